"""A shard worker: renders a shard's studies, writes each as OME-Zarr, then commits the shard.

It is plain Python (the Ray runner wraps it in an actor) so it can be tested and profiled
without Ray. Rendering runs on the calling thread while a small pool encodes and uploads the
previous studies; at most `ray.writer_threads` studies wait for the pool, which bounds memory.
A generator with `prepare` (CPU work ahead of a GPU render) gets the next study prepared on
another thread meanwhile (`models.schedule`).
The manifest part is written only after every study of the shard is stored: the part is the commit.
"""

from __future__ import annotations

import logging
import resource
import socket
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from models import Generator, GeneratorError, GeneratorOptions, LabelDict, Study, StudySpec, make_spec
from models.base import arrays_problem, indexed
from models.measure import image_failures, measure
from models.registry import create
from models.schedule import render_in_order
from pipeline.catalog.filling import RowContext, Written
from pipeline.catalog.identity import Identity
from pipeline.catalog.manifest import encode_part, row
from pipeline.config.job import GenerateConfig, dataset_hash
from pipeline.errors import CommitConflict
from pipeline.store import layout
from pipeline.store.folder import open_folder
from pipeline.store.omezarr import Encoding, checksum, write_study
from pipeline.store.storage import open_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShardResult:
    """All a worker sends back: counts and timings, never volumes."""

    shard: int
    n_studies: int
    render_s: float
    write_s: float
    bytes_written: int
    wall_s: float
    worker: str
    peak_rss_bytes: int = 0  # high-water mark of the worker process so far
    already_committed: bool = False


def build_generator(config: GenerateConfig) -> Generator:
    """The generator `config` names, built with its options (`ParamError` names a bad one)."""
    g = config.generator
    options = GeneratorOptions(
        shape=g.shape, spacing_mm=g.spacing_mm, params=dict(g.params), series=g.series, open_folder=open_folder
    )
    return create(g.name, options)


class ShardWorker:
    def __init__(self, config: GenerateConfig, name: str = "local") -> None:
        self.config = config
        self.name = name
        self.generator = build_generator(config)
        self.store = open_store(config.storage.uri, config.storage.options)
        self.encoding = Encoding(config.storage.chunk, config.storage.codec, config.storage.level)
        self.device = worker_device(config.ray.gpus_per_worker)
        self.pool = ThreadPoolExecutor(config.ray.writer_threads, thread_name_prefix="medsynth-writer")
        self.config_hash = dataset_hash(config, self.generator)

    def identity(self, task: layout.ShardTask) -> Identity:
        """What the shard's part says it is: this dataset's config, this shard, these studies."""
        return Identity(self.config_hash, self.config.dataset.name, task.shard, task.start, task.stop)

    def describe(self) -> str:
        """Where this worker runs (recorded in every manifest row it writes)."""
        return f"{self.name}@{socket.gethostname()}"

    def run(self, task: layout.ShardTask) -> ShardResult:
        started = time.perf_counter()
        context = self.context(task.shard)
        pending: deque[Future[dict[str, Any]]] = deque()
        rows: list[dict[str, Any]] = []
        specs = [make_spec(self.generator, self.config.dataset.seed, i) for i in range(task.start, task.stop)]
        for spec, study, render_s in render_in_order(self.generator, specs, self.device):
            pending.append(self.pool.submit(self._write, spec, study, render_s, context))
            while len(pending) > self.config.ray.writer_threads:
                rows.append(pending.popleft().result())
        rows += [future.result() for future in pending]
        committed = self._commit(task, rows, context)
        return ShardResult(
            shard=task.shard,
            n_studies=len(rows),
            render_s=sum(r["render_s"] for r in rows),
            write_s=sum(r["write_s"] for r in rows),
            bytes_written=sum(r["image_bytes"] + r["label_bytes"] for r in rows),
            wall_s=time.perf_counter() - started,
            worker=context.worker,
            peak_rss_bytes=peak_rss_bytes(),
            already_committed=not committed,
        )

    def context(self, shard: int) -> RowContext:
        """What every row of `shard` written here shares."""
        return RowContext.of(self.generator, shard, self.describe(), self.config.generator.series or ())

    def write_spec(self, spec: StudySpec, context: RowContext, group: str | None = None) -> dict[str, Any]:
        """Render one study from its spec and write it (regeneration, repair); returns its row."""
        t0 = time.perf_counter()
        study = self.generator.render(spec, self.device)
        return self._write(spec, study, time.perf_counter() - t0, context, group)

    def _write(
        self, spec: StudySpec, study: Study, render_s: float, context: RowContext, group: str | None = None
    ) -> dict[str, Any]:
        admit_study(spec, study, context.labels, context.series)  # here, on the pool: off the render thread
        t0 = time.perf_counter()
        group = group or layout.study_path(context.shard, spec.study_id, self.config.storage.prefix_hash)
        digest = checksum(study.image, study.label)
        extra = {"spec": spec.to_json(), "generator_version": context.version, "checksum": digest}
        sizes = write_study(self.store, group, spec.study_id, study, context.labels, self.encoding, extra)
        written = Written(group, *sizes, digest, time.perf_counter() - t0)
        return row(spec, study, written, render_s, context)

    def _commit(self, task: layout.ShardTask, rows: list[dict[str, Any]], context: RowContext) -> bool:
        try:
            part = encode_part(rows, context.labels, context.extra, self.identity(task), context.series)
            self.store.commit(layout.part_path(task.shard), part)
            return True
        except CommitConflict:
            # Another attempt of this shard committed first; its studies are byte-identical.
            log.warning("shard %d was already committed by another worker; keeping that part", task.shard)
            return False

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def worker_device(gpus_per_worker: float) -> torch.device:
    """The device a worker renders on: its first GPU, by index, or the CPU.

    Ray shows an actor only the GPUs it was given (CUDA_VISIBLE_DEVICES), so its first is the
    current device. The index matters: torch's per-device calls refuse an index-less `cuda`.
    Actors sharing a GPU (`gpus_per_worker` < 1) each hold their share of its memory, so one
    cannot starve another, and a generator plans within it (maisi_ct's decode)."""
    if gpus_per_worker <= 0 or not torch.cuda.is_available():
        return torch.device("cpu")
    device = indexed("cuda")
    if gpus_per_worker < 1:
        torch.cuda.set_per_process_memory_fraction(float(gpus_per_worker), device)
    return device


def peak_rss_bytes() -> int:
    """This process's peak resident memory (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def admit_study(spec: StudySpec, study: Study, labels: LabelDict, series: tuple[str, ...] = ()) -> None:
    """Admit a rendered study into the dataset: refuse one that breaks the generator contract
    (`models.base.arrays_problem`, then label values the dictionary lacks), fill in the per-label
    measurements (per series) the generator did not provide, and add the image's own QC failures
    (`models.measure.image_failures`) to the study's QC, whatever the generator's said."""
    where = f"study {spec.study_id} ({spec.generator})"
    problem = arrays_problem(study, series)
    if problem is not None:
        raise GeneratorError(f"{where}: {problem}")
    spacing = tuple(study.spacing_mm)
    if series and study.series_measurements is None:
        study.series_measurements = tuple(
            measure(study.image[k], study.label, spacing, labels) for k in range(len(series))
        )
    if study.measurements is None:
        study.measurements = (
            study.series_measurements[0]
            if study.series_measurements
            else measure(study.image, study.label, spacing, labels)
        )
    for k in range(max(len(series), 1)):  # whatever the generator's own QC said
        failures = image_failures(study.series_image(k))
        if failures:
            named = tuple(f"{series[k]}: {f}" for f in failures) if series else failures
            study.qc = replace(study.qc, passed=False, failures=(*study.qc.failures, *named))
    # Every labelled voxel must carry a dictionary value: compare counts (cheap) before searching.
    counted = sum(stats.voxels for stats in study.measurements.labels.values())
    if counted != int(np.count_nonzero(study.label)):
        known = {0, *(lb.value for lb in labels)}
        unknown = sorted(int(v) for v in np.flatnonzero(np.bincount(study.label.ravel())) if int(v) not in known)
        raise GeneratorError(f"{where}: label values {unknown} are not in the label dictionary {labels.name!r}")
