"""A rows-only dataset: a real `dataset.json` and one manifest part per shard, filled with
plausible rows (no volumes), for measuring the catalog at a million studies.

Values follow the phantom_ct catalog: categorical columns drawn from the generator's choices,
each label present with its own probability, volumes log-normal around a per-label size, medians
whole HU (as measured from integer images), absent labels 0 ml and null HU.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from jobs.generate import DEFAULTS
from pipeline.catalog.columns import schema
from pipeline.config import job as config_module
from pipeline.run.worker import build_generator
from pipeline.store.dataset_json import record
from pipeline.store.layout import CATALOG_DIR, DATASET_FILE, part_path, shard_task
from pipeline.store.omezarr import IMAGE_PATH, LABEL_PATH

CHOICES = {
    "generator": ["phantom_ct"],
    "modality": ["CT"],
    "contrast": ["non_contrast", "arterial", "portal_venous"],
    "body_region": ["chest", "abdomen", "pelvis", "chest_abdomen_pelvis"],
    "sex": ["F", "M"],
    "image_dtype": ["int16"],
    "label_dtype": ["uint8"],
}
CHUNK = 65_536


def build(root: Path, n_studies: int, shard_size: int, seed: int = 0) -> None:
    """Write the dataset at `root` (a local folder) as a finished generate run would leave it."""
    config = config_module.load(
        [DEFAULTS], [f"dataset.n_studies={n_studies}", f"dataset.shard_size={shard_size}", f"storage.uri={root}"]
    )
    generator = build_generator(config)
    (root / CATALOG_DIR).mkdir(parents=True, exist_ok=True)
    (root / DATASET_FILE).write_text(json.dumps(record(config, generator, status="complete"), indent=2))
    target = schema(generator.label_dict, generator.columns)
    rng = np.random.default_rng(seed)
    sizes = {lb.name: float(np.exp(rng.uniform(np.log(5.0), np.log(2500.0)))) for lb in generator.label_dict}
    presence = {lb.name: float(rng.uniform(0.05, 1.0)) for lb in generator.label_dict}
    names = {f"{lb.column}_ml": lb.name for lb in generator.label_dict}
    for start in range(0, n_studies, CHUNK):
        table = rows(target, start, min(CHUNK, n_studies - start), shard_size, rng, sizes, presence, names)
        for shard in range(start // shard_size, -(-(start + table.num_rows) // shard_size)):
            task = shard_task(shard, shard_size, n_studies)
            part = table.slice(task.start - start, task.size)
            pq.write_table(part, root / part_path(shard), compression="zstd")


def rows(target: pa.Schema, start: int, n: int, shard_size: int, rng, sizes, presence, names) -> pa.Table:
    index = np.arange(start, start + n)
    ids = [f"s{i:09d}" for i in index]
    columns = []
    present: dict[str, np.ndarray] = {}
    for field in target:
        name = field.name
        if name in CHOICES:
            values = pa.array(np.array(CHOICES[name], dtype=object)[rng.integers(len(CHOICES[name]), size=n)])
        elif name == "study_id":
            values = pa.array(ids)
        elif name == "index" or name == "seed":
            values = pa.array(index if name == "index" else rng.integers(0, 2**62, n), pa.int64())
        elif name == "shard":
            values = pa.array(index // shard_size, pa.int32())
        elif name.endswith("_ml") and name in names:
            label = names[name]
            present[label] = rng.random(n) < presence[label]
            volume = sizes[label] * np.exp(rng.normal(0.0, 0.25, n))
            values = pa.array(np.where(present[label], volume, 0.0))
        elif name.endswith("_hu"):
            label = names.get(name[:-3] + "_ml")
            hu = np.rint(rng.normal(rng.uniform(-100, 400), 20.0, n))
            values = pa.array(hu, mask=~present[label]) if label in present else pa.array(hu)
        elif name in ("image_path", "label_path"):
            suffix = IMAGE_PATH if name == "image_path" else LABEL_PATH
            values = pa.array(
                [f"studies/{i // shard_size:06d}/{s}.zarr/{suffix}" for i, s in zip(index, ids, strict=True)]
            )
        elif name == "params_json":
            values = pa.array([json.dumps({"age": round(float(a), 1)}) for a in rng.uniform(20, 85, n)])
        elif name == "checksum":
            values = pa.array([f"{v:016x}" * 4 for v in rng.integers(0, 2**62, n)])
        elif name == "worker":
            values = pa.array([f"w{k}@node{k % 16:02d}" for k in rng.integers(0, 256, n)])
        elif pa.types.is_list(field.type):
            value = [192, 256, 256] if pa.types.is_integer(field.type.value_type) else [1.5, 1.5, 1.5]
            values = pa.array([value] * n, field.type)
        elif pa.types.is_timestamp(field.type):
            values = pa.array(1_795_000_000_000_000 + index * 1_000_000, pa.int64()).cast(field.type)
        elif pa.types.is_boolean(field.type):
            values = pa.array(rng.random(n) < 0.97)
        elif pa.types.is_integer(field.type):
            values = pa.array(rng.poisson(0.1, n)).cast(field.type)
        else:  # other numbers: ages, render times, intensities, generator columns
            values = pa.array(rng.uniform(0.0, 100.0, n))
        columns.append(values.cast(field.type))
    return pa.Table.from_arrays(columns, schema=target)
