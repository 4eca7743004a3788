"""Check a dataset against its catalog, and repair what fails by rendering it again.

For every catalog row: the study's objects exist, both arrays decode (the shard index carries a
crc32c), shapes and dtypes match the row, the checksum of the decoded arrays matches, and the
OME-Zarr metadata is valid. Repair re-renders exactly the failing studies from their specs (the
catalog row holds everything needed) and recommits their shards' parts.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import zarr

from models import StudySpec
from pipeline.catalog import Catalog, identity
from pipeline.catalog.manifest import encode_part
from pipeline.catalog.sources import sources
from pipeline.config.fields import whole_number
from pipeline.config.job import GenerateConfig, from_dict
from pipeline.errors import CatalogError, ConfigError
from pipeline.run.worker import ShardWorker
from pipeline.store import layout
from pipeline.store.omezarr import IMAGE_PATH, LABEL_PATH, checksum, open_study, series_names, validate


@dataclass(frozen=True)
class Finding:
    study_id: str
    shard: int
    problem: str


@dataclass
class Verification:
    """What `verify` found: the studies, each bad one's finding, shards committed against expected."""

    n_studies: int = 0
    findings: list[Finding] = field(default_factory=list)
    committed_shards: int = 0
    expected_shards: int = 0
    uncommitted_groups: int = 0
    foreign_files: list[tuple[str, str]] = field(default_factory=list)  # catalog files of another dataset
    accounts: list[str] = field(default_factory=list)  # the catalog against what the dataset says it holds

    @property
    def ok(self) -> bool:
        return not self.findings and not self.foreign_files and not self.accounts

    def lines(self) -> list[str]:
        bad = sorted({f.study_id for f in self.findings})
        out = [f"{rel}: {why}" for rel, why in self.foreign_files]
        if self.foreign_files:
            out.append(
                f"{len(self.foreign_files)} catalog files do not belong to this dataset; "
                "move them out of the catalog, then verify again (studies were not checked)"
            )
            return out
        out += self.accounts
        out += [f"{f.study_id} (shard {f.shard}): {f.problem}" for f in self.findings]
        out.append(
            f"{self.n_studies - len(bad)} of {self.n_studies} studies verified; {len(bad)} bad; "
            f"{self.committed_shards} of {self.expected_shards} shards committed; "
            f"{self.uncommitted_groups} uncommitted study groups (shards in flight or interrupted)"
        )
        return out


def verify(catalog: Catalog, threads: int = 8) -> Verification:
    whole_number("--threads", threads, 1, 256)
    foreign = identity.problems(catalog.store, identity.files(sources(catalog.store)), catalog.expected)
    if foreign:
        return Verification(foreign_files=foreign)
    rows = catalog.query().to_pylist()
    report = Verification(
        n_studies=len(rows),
        committed_shards=len({r["shard"] for r in rows}),
        expected_shards=catalog.info.n_shards,
    )
    with ThreadPoolExecutor(threads) as pool:
        for found in pool.map(lambda r: check_row(catalog, r), rows):
            report.findings += found
    report.accounts = account(catalog, rows)
    committed = {r["image_path"].rsplit("/", 1)[0] for r in rows}
    groups = {p.split(".zarr/")[0] + ".zarr" for p in catalog.store.walk(layout.STUDIES_DIR) if ".zarr/" in p}
    report.uncommitted_groups = len(groups - committed)
    return report


def account(catalog: Catalog, rows: list[dict[str, Any]]) -> list[str]:
    """The catalog against what the dataset says it holds: each study once, each shard with the
    rows of its task, no stray part-like file, and with `dataset.json` saying complete, every shard."""
    info, out = catalog.info, []
    strays = [n for n in catalog.store.list(layout.CATALOG_DIR, ".parquet") if layout.PART_PATTERN.match(n)]
    for name in (n for n in strays if layout.part_shard(n) is None):
        out.append(f"{layout.CATALOG_DIR}/{name}: not a part name this dataset writes (a copy?); readers ignore it")
    ids = Counter(r["study_id"] for r in rows)
    twice = sorted(i for i, n in ids.items() if n > 1)
    if twice:
        out.append(
            f"{len(twice)} studies have more than one catalog row (first {twice[0]}): a catalog file repeats another"
        )
    shards = info.n_shards
    per_shard = Counter(r["shard"] for r in rows)
    for shard, n in sorted(per_shard.items()):
        want = layout.shard_task(shard, info.shard_size, info.n_studies).size if 0 <= shard < shards else 0
        if n != want:
            out.append(f"shard {shard}: {n} catalog rows where its task holds {want}")
    missing = sorted(set(range(shards)) - set(per_shard))
    if info.status == "complete" and missing:
        out.append(
            f"{len(missing)} of {shards} shards have no catalog rows though dataset.json says complete (first: shard "
            f"{missing[0]}): a catalog part was deleted, or the compaction pointer lists too few files"
        )
    return out


def check_row(catalog: Catalog, r: dict[str, Any]) -> list[Finding]:
    def finding(problem: str) -> list[Finding]:
        return [Finding(r["study_id"], r["shard"], problem)]

    group_path = r["image_path"].rsplit("/", 1)[0]
    try:
        group = open_study(catalog.store.zarr_store(group_path))
        problems = validate(group)
        image, label = group[IMAGE_PATH][...], group[LABEL_PATH][...]
    except (KeyError, FileNotFoundError, zarr.errors.BaseZarrError) as exc:
        return finding(f"cannot be opened ({type(exc).__name__}: {exc})")
    except (RuntimeError, ValueError, OSError) as exc:  # corrupt bytes: blosc's RuntimeError, a codec's ValueError
        return finding(f"cannot be decoded ({type(exc).__name__}: {str(exc).strip()[:200]})")
    if problems:
        return finding("invalid OME-Zarr metadata: " + "; ".join(problems))
    series = catalog.info.series
    if series_names(group) != series:
        return finding(f"holds the series {list(series_names(group))}, the dataset has {list(series)}")
    lead = ([len(series)], [1]) if series else ([], [])  # a series axis first: the image's, the label's 1
    for name, array, dtype, first in (
        ("image", image, r["image_dtype"], lead[0]),
        ("label", label, r["label_dtype"], lead[1]),
    ):
        expected = [*first, *r["shape_zyx"]]
        if list(array.shape) != expected or str(array.dtype) != dtype:
            return finding(f"{name} is {array.dtype}{list(array.shape)}, catalog says {dtype}{expected}")
    if checksum(np.asarray(image), np.asarray(label)) != r["checksum"]:
        return finding("checksum mismatch: the decoded arrays differ from what was written")
    return []


def stored_config(catalog: Catalog, uri: str, options: dict[str, Any]) -> GenerateConfig:
    """The dataset's own config (from dataset.json), pointed at `uri` with these storage options."""
    data = json.loads(json.dumps(catalog.info.raw["config"]))
    data["storage"]["uri"], data["storage"]["options"] = uri, dict(options)
    return from_dict(data)


def repair(catalog: Catalog, report: Verification, config: GenerateConfig) -> list[int]:
    """Re-render every failing study from its catalog row and recommit its shard's part."""
    if report.foreign_files:
        rel, why = report.foreign_files[0]
        raise CatalogError(
            f"--repair: {catalog.store.uri}/{rel}: {why}; a repair cannot tell which rows are right, "
            "so move such files out of the catalog first"
        )
    worker = ShardWorker(config, "repair")
    if worker.generator.version != catalog.info.generator_version:
        raise ConfigError(
            f"generator.name: the dataset was made by {catalog.info.generator} {catalog.info.generator_version}, "
            f"this install has {worker.generator.version}; an exact repair needs the same version"
        )
    bad: dict[int, set[str]] = defaultdict(set)
    for f in report.findings:
        bad[f.shard].add(f.study_id)
    try:
        for shard, study_ids in sorted(bad.items()):
            _repair_shard(catalog, worker, shard, study_ids)
    finally:
        worker.close()
    return sorted(bad)


def _repair_shard(catalog: Catalog, worker: ShardWorker, shard: int, study_ids: set[str]) -> None:
    rows = catalog.query(f"shard = {int(shard)}").to_pylist()
    context = worker.context(shard)
    fixed = []
    for r in rows:
        if r["study_id"] not in study_ids:
            fixed.append(r)
            continue
        spec = StudySpec(r["study_id"], r["index"], r["seed"], r["generator"], json.loads(r["params_json"]))
        fixed.append(worker.write_spec(spec, context, group=r["image_path"].rsplit("/", 1)[0]))
    # A deliberate replacement of a committed part: the rows are the same studies, rewritten.
    task = layout.shard_task(shard, catalog.info.shard_size, catalog.info.n_studies)
    part = encode_part(fixed, catalog.info.labels, catalog.info.columns, worker.identity(task), catalog.info.series)
    catalog.store.write_atomic(layout.part_path(shard), part)
