"""Size a dataset before making it: `python -m jobs.plan [--config FILE] [key=value ...] [--workers N]`.

    python -m jobs.plan dataset.n_studies=1000000 dataset.shard_size=64 --workers 256
    python -m jobs.plan generator.name=maisi_ct dataset.n_studies=1000000 ray.gpus_per_worker=1 --workers 64
    python -m jobs.plan generator.name=brain_mr --measure 4 --save   # measure here, keep the sample

Takes the same config as jobs.generate and prints shards, objects, bytes, catalog size, request
rates and time, from measured samples (pipeline/data/sizing.json, or --measure N renders N studies
here). If storage.uri already holds the dataset, it also says how many shards are left.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from jobs.cli import add_config_options, parse, run, whole
from jobs.generate import DEFAULTS
from pipeline.config import job as config_module
from pipeline.config.job import MAX_WORKERS
from pipeline.run.planning import plan
from pipeline.run.sizing import Sample, estimate, measure, nearest, shipped
from pipeline.run.worker import build_generator
from pipeline.store.layout import DATASET_FILE
from pipeline.store.storage import open_store


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.plan", description=__doc__.splitlines()[0])
    add_config_options(parser)
    parser.add_argument(
        "--workers", type=whole(1, MAX_WORKERS), default=None, help="CPU or GPU workers (default ray.num_workers, or 1)"
    )
    parser.add_argument("--measure", type=whole(0, 64), default=0, metavar="N", help="render N studies here to measure")
    parser.add_argument("--save", action="store_true", help="with --measure: keep the sample in sizing.json")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    args = parse(parser, argv)
    config = config_module.load([DEFAULTS, *args.config], args.overrides, args.resolve_interpolations)
    generator = build_generator(config)  # validates its options
    if args.measure:
        where = f"{platform.node()} ({os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d})"
        sample = measure(config, args.measure, where)
        if args.save:
            save(sample)
    else:
        shape = tuple(config.generator.shape or generator.shape)
        sample = nearest(shipped(), generator.name, shape, config.storage.codec)  # type: ignore[arg-type]
    workers = args.workers or config.ray.num_workers or 1
    result = estimate(config, sample, workers)
    progress = committed(config)
    if args.format == "json":
        print(json.dumps({**result.to_json(), "progress": progress}, indent=1))
    else:
        print(result.table())
        if progress:
            print(f"{'progress':<15}  {progress}")
    return 0


def committed(config) -> str | None:
    """How far the dataset at storage.uri is, if one is there."""
    store = open_store(config.storage.uri, config.storage.options)
    if not store.exists(DATASET_FILE):
        return None
    todo = plan(config.dataset, store)
    return f"{todo.skipped:,} of {config.dataset.n_shards:,} shards committed at {store.uri}; {todo.n_todo:,} to make"


def save(sample: Sample) -> None:
    path = Path(str(resources.files("pipeline").joinpath("data/sizing.json")))
    data = json.loads(path.read_text())
    key = (sample.generator, list(sample.shape), sample.codec, sample.series)
    kept = [s for s in data["samples"] if (s["generator"], s["shape"], s["codec"], s.get("series", 1)) != key]
    entry = {**asdict(sample), "shape": list(sample.shape)}
    data["samples"] = sorted([*kept, entry], key=lambda s: (s["generator"], s["shape"]))
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(f"saved the sample in {path}")


if __name__ == "__main__":
    sys.exit(run(main))
