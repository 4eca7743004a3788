"""Manifest rows and the Parquet part that commits a shard: the declared schema, sorted rows, the
dataset identity in the file's metadata, and a row built from a real rendered study."""

from __future__ import annotations

import io
import random

import pyarrow.parquet as pq
import pytest

from models import make_spec
from pipeline import catalog
from pipeline.catalog.columns import declare, schema
from pipeline.catalog.filling import RowContext, Written
from pipeline.catalog.identity import Identity
from pipeline.catalog.manifest import encode_part, row
from pipeline.run.worker import admit_study, build_generator


def test_a_part_holds_its_rows_sorted_with_the_declared_schema_and_identity(built_dataset):
    cat = catalog.open(built_dataset.storage.uri)
    rows = cat.query("shard = 0").to_pylist()
    shuffled = random.Random(0).sample(rows, len(rows))
    identity = Identity("0" * 64, "test", shard=0, start=0, stop=len(rows))
    data = encode_part(shuffled, cat.info.labels, cat.info.columns, identity)

    part = pq.ParquetFile(io.BytesIO(data))
    table = part.read()
    assert table.schema.remove_metadata() == schema(cat.info.labels, cat.info.columns)
    assert table.column("index").to_pylist() == sorted(r["index"] for r in rows)
    assert table.to_pylist() == sorted(rows, key=lambda r: r["index"])
    assert Identity.parse(table.schema.metadata) == identity
    assert part.metadata.num_row_groups == 1
    assert part.metadata.row_group(0).column(0).compression == "ZSTD"


def rendered_first_study(cfg):
    """The generator of `cfg`, the spec and study of its study 0 (measured, as the worker does),
    and the row context of its shard 0."""
    generator = build_generator(cfg)
    spec = make_spec(generator, cfg.dataset.seed, 0)
    study = generator.render(spec, "cpu")
    admit_study(spec, study, generator.label_dict)
    context = RowContext.of(generator, 0, "rebuilt")
    return generator, spec, study, context


def test_a_row_rebuilt_from_its_study_matches_the_committed_one(built_dataset):
    """Render the catalog's first study again from its spec: every column that does not record
    when, where or how fast it was written is the same as the committed row's."""
    cfg = built_dataset
    committed = catalog.open(cfg.storage.uri).query("index = 0").to_pylist()[0]
    generator, spec, study, context = rendered_first_study(cfg)
    group = committed["image_path"].removesuffix("/0")
    written = Written(group, committed["image_bytes"], committed["label_bytes"], "c" * 64, 0.0)
    rebuilt = row(spec, study, written, 0.0, context)

    assert list(rebuilt) == [c.name for c in declare(generator.label_dict, dict(generator.columns))]
    varying = {"checksum", "worker", "render_s", "write_s", "created_at"}
    assert set(rebuilt) - set(committed) == set()
    same = {k: v for k, v in committed.items() if k not in varying}
    assert {k: rebuilt[k] for k in same} == same
    assert rebuilt["checksum"] == "c" * 64 and rebuilt["worker"] == "rebuilt"


def test_an_unmeasured_study_cannot_fill_a_row(built_dataset):
    _, spec, study, context = rendered_first_study(built_dataset)
    study.measurements = None
    with pytest.raises(ValueError, match=f"study {spec.study_id} was not measured"):
        row(spec, study, Written("g", 1, 1, "c", 0.0), 0.0, context)
