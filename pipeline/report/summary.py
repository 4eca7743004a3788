"""What the report shows, computed from the catalog: counts, per-label distributions (as
quantiles computed by DuckDB, so a million rows cost one scan), QC, throughput and bytes.

Only a handful of narrow columns come back row by row (age, worker, times, bytes); every
per-label figure is a quantile summary, whatever the size of the dataset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from models import references as published
from models.labels import snake_case
from pipeline.catalog import Catalog
from pipeline.catalog.columns import suffix
from pipeline.catalog.sql import Clauses, literal

COUNTED = ("generator", "modality", "contrast", "body_region", "sex")
# An MR dataset's acquisition columns (models.mr.sequence.COLUMNS) also counted where present.
ACQUISITION = ("sequence", "field_strength_t")
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
ROW_COLUMNS = ("worker", "created_at", "render_s", "write_s", "image_bytes", "label_bytes", "shape_zyx", "age")


@dataclass(frozen=True)
class Distribution:
    """One label's values over the studies that contain it."""

    label: str
    studies: int  # studies where the label is present
    quantiles: tuple[float, ...]  # at QUANTILES
    reference: tuple[float, float] | None  # published range, when there is one


@dataclass(frozen=True)
class Summary:
    name: str
    uri: str
    generator: str
    generator_version: str
    planned: int  # dataset.n_studies
    status: str
    where: str | None
    studies: int
    counts: dict[str, list[tuple[str, int]]]  # column -> (value, studies)
    volumes: list[Distribution]  # ml
    intensities: dict[str, list[Distribution]]  # contrast (or "all") -> median intensity per label
    qc_passed: int
    redraws: list[tuple[int, int]]  # (redraws, studies)
    rows: pa.Table  # ROW_COLUMNS, one row per study
    stored_bytes: np.ndarray  # compressed image + label bytes per study, as stored
    raw_bytes: np.ndarray  # uncompressed image + label bytes per study
    modality: str


def summarise(cat: Catalog, where: str | None = None) -> Summary:
    studies = cat.count(where)
    counts = {}
    for column in (*COUNTED, *(c for c in ACQUISITION if c in cat.columns)):
        table = cat.aggregate("count(*) AS n", group_by=[column], where=where).to_pylist()
        counts[column] = [(str(r[column]) if r[column] is not None else "-", int(r["n"])) for r in table]
    names = [lb.name for lb in cat.info.labels]
    volumes = _distributions(cat, names, "_ml", where, None)
    modality = counts["modality"][0][0] if len(counts["modality"]) == 1 else "mixed"
    # MR intensities are grouped by the sequence that made them where there is one; CT's by phase,
    # with the published HU ranges beside them (MR has no absolute scale to compare with).
    sequences = [value for value, _ in counts.get("sequence", []) if value != "-"]
    group = "sequence" if sequences else "contrast"
    intensities: dict[str, list[Distribution]] = {}
    if cat.info.series:  # every study holds every series: one group per series, its own columns
        counts["series"] = [
            (name, cat.count([where, f"list_contains(series, {literal(name)})"])) for name in cat.info.series
        ]
        for name in cat.info.series:
            phase = name if modality == "CT" and name in published.CT_PHASES else None
            found = _distributions(cat, names, f"_hu_{suffix(name)}", where, phase, references=phase is not None)
            if found:
                intensities[name] = found
    for value, _ in [] if cat.info.series else counts[group]:
        within = "{} = '{}'".format(group, value.replace("'", "''")) if value != "-" else f"{group} IS NULL"
        phase = value if modality == "CT" and value != "-" else None
        found = _distributions(cat, names, "_hu", [where, within], phase, references=modality == "CT")
        if found:
            intensities[value if value != "-" else "all"] = found
    qc = cat.aggregate("count(*) FILTER (WHERE qc_pass) AS passed", where=where).to_pylist()[0]
    redraws = cat.aggregate("count(*) AS n", group_by=["qc_redraws"], where=where).to_pylist()
    rows = cat.query(where, columns=[*ROW_COLUMNS, "image_dtype", "label_dtype", "modality"])
    return Summary(
        name=cat.info.name,
        uri=cat.store.uri,
        generator=cat.info.generator,
        generator_version=cat.info.generator_version,
        planned=cat.info.n_studies,
        status=cat.info.status,
        where=where,
        studies=studies,
        counts=counts,
        volumes=volumes,
        intensities=intensities,
        qc_passed=int(qc["passed"] or 0),
        redraws=[(int(r["qc_redraws"]), int(r["n"])) for r in redraws],
        rows=rows.select(list(ROW_COLUMNS)),
        stored_bytes=np.asarray(rows.column("image_bytes")) + np.asarray(rows.column("label_bytes")),
        raw_bytes=_raw_bytes(rows, max(len(cat.info.series), 1)),
        modality=modality,
    )


def _distributions(
    cat: Catalog, names: list[str], suffix: str, where: Clauses, contrast: str | None, references: bool = True
) -> list[Distribution]:
    """Quantiles of `<label><suffix>` over the studies where the label is present (volume > 0);
    with the published reference ranges unless `references` is False."""
    parts = []
    for i, name in enumerate(names):
        value, present = f'"{snake_case(name)}{suffix}"', f'"{snake_case(name)}_ml" > 0'
        parts.append(f"count(*) FILTER (WHERE {present} AND {value} IS NOT NULL) AS n{i}")
        parts.append(f"quantile_cont({value}, {list(QUANTILES)}) FILTER (WHERE {present}) AS q{i}")
    if not parts:
        return []
    row: dict[str, Any] = cat.aggregate(", ".join(parts), where=where).to_pylist()[0]
    found = []
    for i, name in enumerate(names):
        if not row[f"n{i}"] or row[f"q{i}"] is None:
            continue
        reference = None
        if references:
            reference = published.volume_ml(name) if suffix == "_ml" else published.hu(name, contrast)
        found.append(Distribution(name, int(row[f"n{i}"]), tuple(float(q) for q in row[f"q{i}"]), reference))
    return found


def _raw_bytes(rows: pa.Table, n_series: int = 1) -> np.ndarray:
    voxels = np.array([int(np.prod(shape)) for shape in rows.column("shape_zyx").to_pylist()], dtype=np.int64)
    image = np.array([np.dtype(d).itemsize for d in rows.column("image_dtype").to_pylist()], dtype=np.int64)
    label = np.array([np.dtype(d).itemsize for d in rows.column("label_dtype").to_pylist()], dtype=np.int64)
    return voxels * (image * n_series + label)
