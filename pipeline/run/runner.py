"""The Ray driver: plan shards, keep a bounded number in flight per worker actor, survive deaths.

The driver never touches volumes: actors render, write and commit, and return a `ShardResult`.
An actor that dies is replaced and its shard queued again (at most `ray.max_retries` times per
shard, then the job fails naming the shard). Every retry is safe: studies are overwritten with
identical bytes and a shard commits at most once.
"""

from __future__ import annotations

import logging
import socket
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import ray
import torch
from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError, RayTaskError
from tqdm import tqdm

from models import GeneratorError, ParamError
from pipeline.catalog.identity import Expected
from pipeline.config.job import GenerateConfig, RayConfig, dataset_hash
from pipeline.errors import ConfigError, JobFailed, MedsynthError
from pipeline.run.planning import plan
from pipeline.run.worker import ShardResult, ShardWorker, build_generator
from pipeline.store import dataset_json as dataset
from pipeline.store.layout import ShardTask
from pipeline.store.storage import open_store

log = logging.getLogger(__name__)

NAMESPACE = "medsynth"
ACTOR_LOST = (ActorDiedError, ActorUnavailableError, RayActorError)
DETERMINISTIC = (GeneratorError, ConfigError, ParamError)  # retrying these cannot help


class RayShardWorker(ShardWorker):
    """`ShardWorker` inside a Ray actor: records the node it runs on."""

    def __init__(self, config: GenerateConfig, name: str) -> None:
        torch.set_num_threads(max(1, int(config.ray.cpus_per_worker)))
        super().__init__(config, name)

    def describe(self) -> str:
        context = ray.get_runtime_context()
        return f"{self.name}@{context.get_node_id()[:12]}"


@dataclass
class RunSummary:
    uri: str
    n_studies: int
    n_shards: int
    shards_skipped: int
    shards_run: int = 0
    studies_written: int = 0
    bytes_written: int = 0
    render_s: float = 0.0
    retries: int = 0
    workers: int = 0
    gpus: float = 0.0  # GPUs the workers hold together (workers x ray.gpus_per_worker)
    peak_rss_bytes: int = 0  # the largest of any worker's
    wall_s: float = 0.0
    nodes: set[str] = field(default_factory=set)

    def line(self) -> str:
        rate = self.studies_written / self.wall_s if self.wall_s > 0 else 0.0
        per_gpu = f", {rate * 3600 / self.gpus:.0f} studies/hour per GPU" if self.gpus > 0 else ""
        return (
            f"{self.uri}: {self.studies_written} studies in {self.shards_run} shards written "
            f"({self.shards_skipped} of {self.n_shards} shards already committed) in {self.wall_s:.1f} s, "
            f"{rate:.2f} studies/s{per_gpu}, {self.bytes_written / 2**20:.1f} MiB, {self.workers} workers, "
            f"{self.retries} retries, worker peak RSS {self.peak_rss_bytes / 2**30:.2f} GiB"
        )


def generate(config: GenerateConfig, progress: bool = True) -> RunSummary:
    """Make every missing shard of the dataset `config` describes; resumable and idempotent.

    Every check comes before the first write: the generator's options, the store, an existing
    `dataset.json` (same config) or none with nothing left of an old dataset, every catalog file
    belonging to this dataset, and a Ray that can hold a worker. Only then is `dataset.json` made."""
    generator = build_generator(config)
    store = open_store(config.storage.uri, config.storage.options)
    dataset.refuse_other(store, config, generator)
    config_hash = dataset_hash(config, generator)
    expected = Expected(config_hash, config.dataset.n_studies, config.dataset.shard_size)
    todo = plan(config.dataset, store, expected)
    summary = RunSummary(store.uri, config.dataset.n_studies, config.dataset.n_shards, todo.skipped)
    started = time.perf_counter()
    n_workers = 0
    if todo.n_todo:
        connect(config.ray)
        n_workers = worker_count(config.ray, todo.n_todo)
    existing = dataset.prepare(store, config, generator)  # the first write: made, or found and checked again
    if todo.n_todo:
        Driver(config, n_workers, summary).run(todo.tasks(), todo.studies_todo, progress)
    dataset.mark(store, existing, "complete")
    summary.wall_s = time.perf_counter() - started
    return summary


def connect(cfg: RayConfig) -> None:
    """Join the cluster at `ray.address`, or start a local Ray when it is null; a cluster that
    does not answer is one `ConfigError` within seconds, not minutes of Ray's own retries."""
    if ray.is_initialized():
        return
    if cfg.address not in (None, "auto", "local"):
        check_address(cfg.address)
    try:
        ray.init(address=cfg.address, namespace=NAMESPACE, include_dashboard=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        text = str(exc).strip().splitlines()
        raise ConfigError(
            f"ray.address: cannot join {cfg.address!r} ({text[0] if text else type(exc).__name__})"
        ) from None


# What an HTTP/2 client sends first (RFC 9113, 3.4); a gRPC server (Ray's GCS, and its client
# server behind ray://) answers with its own preface, a SETTINGS frame (type 0x4).
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SETTINGS_FRAME = 0x4


def check_address(address: str, timeout_s: float = 5.0) -> None:
    """`host:port` or `ray://host:port` must accept a connection and speak gRPC (HTTP/2): Ray's
    own join retries for ever, deaf to SIGTERM, against a port where something else listens."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"ray.address: must be auto, host:port or ray://host:port, got {address!r}")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s) as conn:
            conn.sendall(HTTP2_PREFACE)
            header = _receive(conn, 9)
    except OSError as exc:
        reason = f"no answer within {timeout_s:g} s" if isinstance(exc, TimeoutError) else str(exc)
        raise ConfigError(f"ray.address: nothing answers at {address} ({reason})") from None
    if len(header) < 9 or header[3] != SETTINGS_FRAME:
        raise ConfigError(f"ray.address: something answers at {address}, but not as a Ray cluster (no gRPC there)")


def _receive(conn: socket.socket, n: int) -> bytes:
    """Up to `n` bytes, fewer when the peer closes first; a silent peer times out (`OSError`)."""
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def worker_count(cfg: RayConfig, n_tasks: int) -> int:
    """Workers to start; `ConfigError` when no node of the cluster can hold even one."""
    resources = ray.cluster_resources()
    largest = largest_node()
    if cfg.gpus_per_worker > 0:
        gpus = resources.get("GPU", 0.0)
        if gpus <= 0:
            raise ConfigError(
                f"ray.gpus_per_worker: {cfg.gpus_per_worker} GPU per worker asked for, but the cluster has no GPU"
            )
        if largest.get("GPU", 0.0) < cfg.gpus_per_worker:
            raise ConfigError(
                f"ray.gpus_per_worker: {cfg.gpus_per_worker:g} GPUs per worker, but the largest node has "
                f"{largest.get('GPU', 0.0):g}: no worker could ever start"
            )
        fit = int(gpus // cfg.gpus_per_worker)
    else:
        fit = int(resources.get("CPU", 1.0) // cfg.cpus_per_worker)
    if largest.get("CPU", 0.0) < cfg.cpus_per_worker:
        raise ConfigError(
            f"ray.cpus_per_worker: {cfg.cpus_per_worker:g} CPUs per worker, but the largest node has "
            f"{largest.get('CPU', 0.0):g}: no worker could ever start"
        )
    wanted = cfg.num_workers or max(fit, 1)
    if wanted > fit:
        log.warning("ray.num_workers=%d but resources fit %d; the rest wait for the cluster to grow", wanted, fit)
    return max(1, min(wanted, n_tasks))


def largest_node() -> dict[str, float]:
    """The CPUs and GPUs of the cluster's largest live node (an actor lives on one node)."""
    alive = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
    return {kind: max((r.get(kind, 0.0) for r in alive), default=0.0) for kind in ("CPU", "GPU")}


@dataclass
class Slot:
    """One worker position; its actor is replaced in place (next generation) when it dies."""

    index: int
    actor: ray.actor.ActorHandle | None = None
    ready: bool = False
    in_flight: int = 0
    generation: int = 0


@dataclass(frozen=True)
class Pending:
    slot: Slot
    generation: int
    task: ShardTask | None  # None: the actor's start-up call


class TaskQueue:
    """Shards still to submit: those to retry first, then the plan's, drawn lazily."""

    def __init__(self, planned: Iterator[ShardTask]) -> None:
        self.retries: deque[ShardTask] = deque()
        self.planned = planned
        self.head = next(planned, None)

    def __bool__(self) -> bool:
        return bool(self.retries) or self.head is not None

    def pop(self) -> ShardTask:
        if self.retries:
            return self.retries.popleft()
        task, self.head = self.head, next(self.planned, None)
        if task is None:
            raise IndexError("no shard left")
        return task

    def appendleft(self, task: ShardTask) -> None:
        self.retries.appendleft(task)


class Driver:
    def __init__(self, config: GenerateConfig, n_workers: int, summary: RunSummary) -> None:
        self.config = config
        self.summary = summary
        self.summary.workers = n_workers
        self.summary.gpus = n_workers * config.ray.gpus_per_worker
        self.slots = [Slot(i) for i in range(n_workers)]
        self.attempts: dict[int, int] = {}
        self.pending: dict[ray.ObjectRef, Pending] = {}
        self.queue = TaskQueue(iter(()))
        self.job = f"medsynth-{int(time.time() * 1000) % 10**9}"

    def run(self, tasks: Iterator[ShardTask], n_studies: int, progress: bool) -> None:
        self.queue = TaskQueue(tasks)
        bar = tqdm(total=n_studies, unit="study", disable=not progress, dynamic_ncols=True, desc="generate")
        try:
            for slot in self.slots:
                self._start(slot)
            while self.queue or any(p.task is not None for p in self.pending.values()):
                self._submit()
                ready, _ = ray.wait(list(self.pending), num_returns=1, timeout=1.0)
                for ref in ready:
                    self._collect(ref, bar)
        finally:
            bar.close()
            for slot in self.slots:
                if slot.actor is not None:
                    ray.kill(slot.actor, no_restart=True)

    def _start(self, slot: Slot) -> None:
        r = self.config.ray
        slot.generation += 1
        slot.ready, slot.in_flight = False, 0
        actor_class = ray.remote(RayShardWorker).options(
            num_cpus=r.cpus_per_worker,  # set even for GPU actors, or they hold a CPU for life
            num_gpus=r.gpus_per_worker,
            max_restarts=0,
            max_task_retries=0,
            name=f"{self.job}-w{slot.index}-g{slot.generation}",
            namespace=NAMESPACE,
        )
        slot.actor = actor_class.remote(self.config, f"w{slot.index}")
        self.pending[slot.actor.describe.remote()] = Pending(slot, slot.generation, None)

    def _submit(self) -> None:
        for slot in self.slots:
            while self.queue and slot.ready and slot.in_flight < self.config.ray.max_in_flight:
                task = self.queue.pop()
                slot.in_flight += 1
                self.pending[slot.actor.run.remote(task)] = Pending(slot, slot.generation, task)

    def _collect(self, ref: ray.ObjectRef, bar: tqdm) -> None:
        pending = self.pending.pop(ref)
        try:
            result = ray.get(ref)
        except ACTOR_LOST as exc:
            self._lost(pending, exc)
            return
        except RayTaskError as exc:
            self._failed(pending, exc)
            return
        if pending.task is None:
            pending.slot.ready = True
            self.summary.nodes.add(str(result))
            return
        if pending.generation == pending.slot.generation:
            pending.slot.in_flight -= 1
        self._record(result, bar)

    def _record(self, result: ShardResult, bar: tqdm) -> None:
        s = self.summary
        s.shards_run += 1
        s.studies_written += result.n_studies
        s.bytes_written += result.bytes_written
        s.render_s += result.render_s
        s.peak_rss_bytes = max(s.peak_rss_bytes, result.peak_rss_bytes)
        bar.update(result.n_studies)
        bar.set_postfix_str(f"shards {s.shards_run + s.shards_skipped}/{s.n_shards}, retries {s.retries}")
        log.debug("shard %d done by %s in %.1f s", result.shard, result.worker, result.wall_s)

    def _lost(self, pending: Pending, exc: Exception) -> None:
        """The actor died (killed, node lost, out of memory): requeue the shard, replace the actor."""
        slot = pending.slot
        if pending.task is not None:
            self._retry(pending.task, f"worker w{slot.index} died ({type(exc).__name__})")
        elif pending.generation == slot.generation and slot.generation > self.config.ray.max_retries + 1:
            raise JobFailed(f"worker w{slot.index} died {slot.generation} times while starting: {_one_line(exc)}")
        if pending.generation == slot.generation:  # the first report of this death
            ray.kill(slot.actor, no_restart=True)
            self._start(slot)

    def _failed(self, pending: Pending, exc: RayTaskError) -> None:
        """The task raised: deterministic errors end the job, others are retried."""
        cause = exc.cause if isinstance(exc.cause, BaseException) else exc
        slot = pending.slot
        if pending.task is None:
            raise JobFailed(f"worker w{slot.index} could not start: {_one_line(cause)}")
        if pending.generation == slot.generation:
            slot.in_flight -= 1
        if isinstance(cause, DETERMINISTIC):
            raise JobFailed(f"shard {pending.task.shard}: {_one_line(cause)}") from None
        self._retry(pending.task, _one_line(cause))

    def _retry(self, task: ShardTask, why: str) -> None:
        self.attempts[task.shard] = self.attempts.get(task.shard, 0) + 1
        self.summary.retries += 1
        if self.attempts[task.shard] > self.config.ray.max_retries:
            raise JobFailed(f"shard {task.shard} failed {self.attempts[task.shard]} times; last: {why}")
        log.warning(
            "shard %d: %s; retrying (%d/%d)", task.shard, why, self.attempts[task.shard], self.config.ray.max_retries
        )
        self.queue.appendleft(task)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    message = text[-1] if isinstance(exc, RayTaskError) and text else (text[0] if text else "")
    return f"{type(exc).__name__}: {message}" if not isinstance(exc, MedsynthError) else message
