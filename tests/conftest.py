"""Shared fixtures: one real local Ray per session (ray.init costs seconds), real files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

from pipeline import config as config_module
from pipeline.config import GenerateConfig

REPO = Path(__file__).resolve().parents[1]
DEFAULTS = REPO / "jobs" / "configs" / "generate.yaml"


@pytest.fixture(scope="session")
def ray_session() -> Iterator[None]:
    """A real local Ray for the whole session, with room for two workers and the driver's tasks."""
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    ray.init(num_cpus=4, include_dashboard=False, namespace="medsynth", logging_level="ERROR")
    yield
    ray.shutdown()


def small_config(uri: str | Path, *overrides: str) -> GenerateConfig:
    """A fast config: 8 studies of 48^3 in shards of 2, two workers, into `uri`."""
    base = [
        "dataset.name=test",
        "dataset.n_studies=8",
        "dataset.shard_size=2",
        "generator.shape=[48,48,48]",
        "storage.chunk=[32,32,32]",
        f"storage.uri={uri}",
        "ray.num_workers=2",
    ]
    return config_module.load([DEFAULTS], [*base, *overrides])


def build_in_process(cfg: GenerateConfig, shards: list[int] | None = None) -> None:
    """Make (some) shards of `cfg` without Ray: the same worker code the actors run."""
    from pipeline import dataset
    from pipeline.layout import shard_task
    from pipeline.worker import ShardWorker

    worker = ShardWorker(cfg, "test")
    dataset.prepare(worker.store, cfg, worker.generator)
    for shard in shards if shards is not None else range(cfg.dataset.n_shards):
        worker.run(shard_task(shard, cfg.dataset.shard_size, cfg.dataset.n_studies))
    worker.close()


@pytest.fixture(scope="session")
def built_dataset(tmp_path_factory) -> GenerateConfig:
    """A small dataset made once per session, for read-only tests (catalog, query)."""
    cfg = small_config(tmp_path_factory.mktemp("built") / "ds", "dataset.n_studies=10", "dataset.shard_size=4")
    build_in_process(cfg)
    return cfg
