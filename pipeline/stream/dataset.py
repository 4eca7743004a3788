"""`StudyStream`: a dataset's studies or patches as a PyTorch IterableDataset.

    stream = StudyStream("s3://bucket/ct-v1", where="body_region = 'abdomen'", patch_size=(96, 96, 96),
                         patches_per_study=4, sampling="balanced", classes=("liver", "spleen"),
                         storage_options={"endpoint_url": ...})
    loader = StreamLoader(stream, batch_size=2, num_workers=2)

Rows are selected once, here, with the catalog's WHERE language (committed parts only). Every
sample is fixed by (seed, epoch, study index, patch k), and the order of an epoch by (seed, epoch)
(see `plan`), so a rank's sequence is the same whatever the worker count, no sample repeats or goes
missing in an epoch, and `state_dict()` after k samples resumes at sample k exactly.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, replace
from typing import Any, TypeVar

import numpy as np
import torch
import torch.distributed as dist
import zarr
from torch.utils.data import IterableDataset, get_worker_info

from pipeline import catalog
from pipeline.catalog.columns import stream_columns
from pipeline.config.fields import build, whole_number
from pipeline.errors import ConfigError
from pipeline.stream import epochs, shards
from pipeline.stream.batch import BatchShape, BlockPool, ReceivedBlocks, SharedBatches, collate
from pipeline.stream.config import StreamConfig
from pipeline.stream.reader import StudyReader, check_labels, check_series

T = TypeVar("T")


class StudyStream(IterableDataset):
    def __init__(self, uri: str, **keywords: Any) -> None:
        self.config = build(StreamConfig, keywords, "")
        cat = catalog.open(uri, self.config.storage_options)
        check_labels(self.config, cat.info.labels)
        check_series(self.config, cat.info.series, uri)
        self.uri = uri
        self.series = cat.info.series
        names = stream_columns(self.series)
        self.rows = cat.query(self.config.where, columns=list(names))
        self._columns = {name: self.rows.column(name).to_pylist() for name in names}
        self.labels = cat.info.labels
        self.store = cat.store
        self.rank, self.world_size = _distributed(self.config)
        # StreamLoader sets its batch size: its workers then deal whole batches, each read
        # straight into the shared memory that carries it (`pipeline.stream.batch`)
        self.batch_size: int | None = None
        self.pool_in_use: torch.Tensor | None = None  # a StreamLoader pass's block flags (`batch.BlockPool`)
        self._resume_at = 0
        self._yielded = 0
        self._reader: StudyReader | None = None

    @property
    def per_study(self) -> int:
        return self.config.patches_per_study

    def __len__(self) -> int:
        """Samples this rank reads in one epoch."""
        total = self.rows.num_rows * self.per_study
        return len(range(self.rank, total, self.world_size))

    def set_epoch(self, epoch: int) -> None:
        """Like DistributedSampler.set_epoch: a new order and new patches, from the same seed."""
        self.config = replace(self.config, epoch=epoch)
        self._resume_at = self._yielded = 0

    def order(self) -> np.ndarray:
        """This rank's sample ids for the current epoch, in the order they are consumed."""
        c = self.config
        whole = epochs.epoch_order(self.rows.num_rows, self.per_study, c.seed, c.epoch, c.shuffle, c.shuffle_buffer)
        return epochs.rank_order(whole, self.rank, self.world_size)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        info = get_worker_info()
        worker, n_workers = (info.id, info.num_workers) if info is not None else (0, 1)
        if info is not None:
            # Parallelism comes from the workers: one decode thread each, not a pool per process
            # competing for the same cores (as DataLoader does for torch's own threads).
            zarr.config.set({"threading.max_workers": 1})
            shards.set_threads(1)
        batch_size = (self.batch_size or 1) if info is not None else 1
        order = self.order()
        start, self._yielded = self._resume_at, self._resume_at
        reader = self._get_reader()
        positions = epochs.worker_positions(order.size, start, worker, n_workers, batch_size)

        def row_of(position: int) -> tuple[dict[str, Any], int]:
            study, patch = divmod(int(order[position]), self.per_study)
            return {name: values[study] for name, values in self._columns.items()}, patch

        blocks = None
        if info is not None and self.batch_size is not None and self.config.patch_size is not None and positions.size:
            image, label, dtype = reader.sample_shapes(row_of(int(positions[0]))[0])
            pool = None if self.pool_in_use is None else BlockPool(worker, self.pool_in_use[worker])
            blocks = SharedBatches(BatchShape(batch_size, image, label, dtype), pool)

        def load(j: int) -> dict[str, Any]:  # the worker's j-th sample
            row, patch = row_of(int(positions[j]))
            return reader.read(row, patch, self.config.epoch, out=None if blocks is None else blocks.slot(j))

        def prefetch(j: int) -> None:
            reader.prefetch(*row_of(int(positions[j])), self.config.epoch)

        ahead = 0 if self.store.is_local else self.config.read_ahead
        js = range(positions.size)
        if ahead:  # an object store: whole samples read ahead on threads
            samples = read_ahead(load, js, ahead)
        elif shards.decode_threads() == 1:  # one decode thread (a worker's): the next sample's I/O beside it
            samples = prefetch_next(load, positions.size, prefetch)
        else:  # several decode threads overlap each other's I/O
            samples = map(load, js)
        for sample in samples:
            self._yielded += 1
            yield sample
        self._resume_at = 0

    def state_dict(self, samples: int | None = None) -> dict[str, Any]:
        """Where this rank is in the epoch. In-process iteration counts its own samples; a
        StreamLoader passes the count of samples it has handed out."""
        return {
            "epoch": self.config.epoch,
            "samples": self._yielded if samples is None else samples,
            "fingerprint": self.fingerprint(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume where `state_dict` was taken: the same stream, a position inside an epoch."""
        if not isinstance(state, dict) or state.get("fingerprint") != self.fingerprint():
            raise ConfigError("state_dict: it was saved by a stream over other studies, settings or world size")
        epoch, samples = state.get("epoch"), state.get("samples")
        for key, value, most in (("epoch", epoch, 10**9), ("samples", samples, len(self))):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
                raise ConfigError(f"state_dict: {key} must be a whole number within [0, {most}], got {value!r}")
        self.config = replace(self.config, epoch=epoch)
        self._resume_at = self._yielded = samples

    def fingerprint(self) -> str:
        """What the order depends on: the selection, the sampling settings, seed and world size."""
        c = asdict(self.config)
        for key in ("epoch", "cache_dir", "cache_limit_gb", "storage_options", "read_ahead", "rank"):
            c.pop(key)
        content = {"config": c, "studies": self.rows.column("study_id").to_pylist(), "world": self.world_size}
        return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def _get_reader(self) -> StudyReader:
        if self._reader is None:
            self._reader = StudyReader(self.store, self.labels, self.config, self.series)
        return self._reader

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_reader"] = None  # each worker process opens its own arrays
        return state


def read_ahead(load: Callable[[int], T], positions: Iterable[int], ahead: int) -> Iterator[T]:
    """`load` of each position in order, the next `ahead` loading on threads while this one is
    consumed: an object store's latency overlaps the training step and the other loads' latency;
    at most `ahead` + 1 samples held."""
    with ThreadPoolExecutor(ahead, thread_name_prefix="medsynth-ahead") as pool:
        pending: deque[Future[T]] = deque()
        for position in positions:
            pending.append(pool.submit(load, position))
            if len(pending) > ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def prefetch_next(load: Callable[[int], T], n: int, prefetch: Callable[[int], None]) -> Iterator[T]:
    """`load(j)` for j < n in order, `prefetch(j + 1)` on a thread meanwhile: a local disk reads
    the next sample's chunks while this one decodes (its errors are the next load's to raise)."""
    with ThreadPoolExecutor(1, thread_name_prefix="medsynth-prefetch") as pool:
        for j in range(n):
            if j + 1 < n:
                pool.submit(prefetch, j + 1)
            yield load(j)


def _distributed(config: StreamConfig) -> tuple[int, int]:
    if config.world_size is not None:
        return config.rank or 0, config.world_size
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def worker_context() -> multiprocessing.context.BaseContext:
    """The fork server StreamLoader workers start from, `pipeline.stream` and the main module
    (`main_module`) imported there once (`pipeline.stream.preload` last)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pipeline.stream", *main_module(), "pipeline.stream.preload"])
    return context


def main_module() -> list[str]:
    """The training program's module, when it runs as `python -m NAME`, for the fork server to import.

    Every worker runs the main module again before it unpickles anything (multiprocessing's spawn
    rule, so that what the program defines resolves in the worker), and StreamLoader workers start
    again every epoch: `python -m jobs.train` stalled 1.9 s an epoch while both workers imported
    MONAI. With the module imported in the server, a worker's run of it finds its imports done.
    A program run as a file path is run again in each worker as before: CPython 3.11's server
    preloads `__main__` only from a `main_path` that spawn's preparation data never holds (it
    holds `init_main_from_path`). A package's `__main__` (`python -m pytest`) is not run in workers.
    """
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    name = getattr(spec, "name", None)
    return [name] if isinstance(name, str) and name and not name.endswith("__main__") else []


class StreamLoader(torch.utils.data.DataLoader):
    """A DataLoader over a StudyStream that can save and restore its place mid-epoch.

    Its workers read whole batches in turn (worker w: batches w, w + W, ...), which is the order
    the DataLoader hands them out in, so the batches come in the stream's own order and
    `state_dict()` is simply how many samples have been handed out.

    Workers start from a fork server (unless `multiprocessing_context` says otherwise), not by
    forking the training process: a process that already runs threads (Ray's, DuckDB's, OpenMP's)
    cannot be forked safely, as only the forking thread survives in the child, holding whatever
    locks the others held; a worker forked that way crashed intermittently (a segfault in
    `tests/jobs/test_train.py` under the full suite, issue 30). The server imports
    `pipeline.stream` once, so only the first epoch pays for it (about 1.6 s; later ones 0.1 s),
    and a `python -m NAME` program's module, whose imports each worker would otherwise pay for
    again every epoch (`main_module`)."""

    def __init__(self, dataset: StudyStream, batch_size: int = 1, **kwargs: Any) -> None:
        whole_number("batch_size", batch_size, 1, 65536)
        whole_number("num_workers", kwargs.get("num_workers", 0), 0, 1024)
        if kwargs.get("persistent_workers"):
            raise ConfigError("persistent_workers: a StreamLoader restarts its workers each epoch to move on")
        dataset.batch_size = batch_size
        kwargs.setdefault("collate_fn", collate)
        if kwargs.get("num_workers", 0) > 0 and kwargs.get("multiprocessing_context") is None:
            kwargs["multiprocessing_context"] = worker_context()
        super().__init__(dataset, batch_size=batch_size, **kwargs)
        self._handed_out = 0

    def __iter__(self) -> Iterator[Any]:
        stream: StudyStream = self.dataset  # type: ignore[assignment]
        self._handed_out = stream._resume_at
        # pinned as the DataLoader decides it: its own pinning saw only a pooled block's number
        received = ReceivedBlocks(self.num_workers, pin=self.pin_memory and torch.accelerator.is_available())
        stream.pool_in_use = received.in_use if self.num_workers else None
        try:
            batches = super().__iter__()  # the workers start here, each taking the flags with the stream
        finally:
            stream.pool_in_use = None
        for batch in batches:
            batch = received.unpack(batch)
            self._handed_out += len(batch["study_id"])
            yield batch
        stream._resume_at = 0

    def state_dict(self) -> dict[str, Any]:
        return self.dataset.state_dict(samples=self._handed_out)  # type: ignore[attr-defined]

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.dataset.load_state_dict(state)  # type: ignore[attr-defined]
        self._handed_out = int(state["samples"])
