"""`python -m jobs.bench storage`: does the storage layer reach the storage's own speed?

Studies are rendered and encoded first (not timed). Then, for a local folder and for S3 (moto's
server on 127.0.0.1, in this process), the same objects are written twice in the same run:
- the pipeline's way: `Store.put_objects` per study from a pool of `ray.writer_threads` threads,
  as a worker does, then one exclusive commit of a manifest part per shard;
- the raw way: plain file writes, or one `s3fs.pipe` of every object (s3fs's own concurrency).
Locally both go to the page cache (study objects are not fsynced, see pipeline/store/storage.py); the
folder on disk is measured, and the same in RAM (/dev/shm), which shows the storage layer's own
overhead without the disk's writeback noise. The goal is the ratio of the two MB/s (>= 0.8),
the median over five alternating pairs of runs, with `sync` before each run. Objects and S3
requests per study are counted from the client's own API calls (PutObject, ...), not estimated.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import statistics
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import s3fs
import torch

from jobs.bench.report import WORKDIR, Goal, Report
from jobs.generate import DEFAULTS
from models import Generator, make_spec
from pipeline.catalog.filling import RowContext, Written
from pipeline.catalog.manifest import encode_part, row
from pipeline.config import job as config_module
from pipeline.run.worker import build_generator
from pipeline.store.layout import part_path, study_path
from pipeline.store.omezarr import IMAGE_PATH, LABEL_PATH, Encoding, checksum, encode_study, stored_bytes
from pipeline.store.storage import Store, open_store

BUCKET = "medsynth-bench"
SHARD_SIZE = 4
REPEATS = 5  # alternating pipeline and raw runs; medians are reported (the page cache and moto are noisy)
TMPFS = Path("/dev/shm/medsynth-bench")
# A folder on this machine's disk, the same in RAM (the storage layer's own overhead, free of the
# disk's noise), and S3.
TARGETS = ("local", "tmpfs", "s3")


def run(quick: bool = False) -> Report:
    shape = [48, 64, 64] if quick else [192, 256, 256]
    n_studies = 4 if quick else 16
    WORKDIR.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(dir=WORKDIR))
    report = Report("storage", notes={"shape_zyx": shape, "n_studies": n_studies, "shard_size": SHARD_SIZE})
    cfg = config_module.load([DEFAULTS], [f"generator.shape=[{','.join(map(str, shape))}]"])
    generator = build_generator(cfg)
    studies = _encoded_studies(cfg, n_studies)
    report.metrics["stored_mb_per_study"] = sum(len(b) for s in studies for b in s[1].values()) / 1e6 / n_studies
    server, endpoint = _moto()
    mb = sum(len(b) for s in studies for b in s[1].values()) / 1e6
    try:
        for target in (t for t in TARGETS if t != "tmpfs" or TMPFS.parent.is_dir()):
            pipeline_s, raw_s = [], []
            for rep in range(REPEATS):
                store = _store(target, workdir, endpoint, rep)
                calls = _count_calls(store)
                os.sync()  # each way starts with no dirty pages of the other pending
                pipeline_s.append(_pipeline_write(store, studies, generator, cfg.ray.writer_threads))
                pipeline_calls = Counter(calls)
                os.sync()
                raw_s.append(_raw_write(target, store, studies, f"raw{rep}"))
            report.notes[f"{target}_requests"] = dict(pipeline_calls)
            report.notes[f"{target}_seconds"] = {"pipeline": pipeline_s, "raw": raw_s}
            report.metrics[f"{target}_pipeline_mb_per_s"] = mb / statistics.median(pipeline_s)
            report.metrics[f"{target}_raw_mb_per_s"] = mb / statistics.median(raw_s)
            report.ratios[f"{target}_pipeline_over_raw"] = statistics.median(
                r / p for p, r in zip(pipeline_s, raw_s, strict=True)
            )
            report.metrics[f"{target}_objects_per_study"] = _objects_per_study(store, n_studies)
            if target == "s3":
                report.metrics["s3_puts_per_study"] = pipeline_calls["PutObject"] / n_studies
                report.metrics["s3_requests_per_study"] = sum(pipeline_calls.values()) / n_studies
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(TMPFS, ignore_errors=True)
    report.goals = [
        Goal("local_pipeline_over_raw", ">=", 0.8),
        Goal("tmpfs_pipeline_over_raw", ">=", 0.8),
        Goal("s3_pipeline_over_raw", ">=", 0.8),
        Goal("s3_objects_per_study", "<=", 8),
        Goal("local_objects_per_study", "<=", 8),
    ]
    return report


def _encoded_studies(cfg: config_module.GenerateConfig, n: int) -> list[tuple[dict, dict[str, bytes]]]:
    """(manifest row, encoded objects) per study, exactly as a worker would have them."""
    torch.set_num_threads(1)
    generator = build_generator(cfg)
    encoding = Encoding(cfg.storage.chunk, cfg.storage.codec, cfg.storage.level)
    out = []
    for index in range(n):
        spec = make_spec(generator, cfg.dataset.seed, index)
        study = generator.render(spec, torch.device("cpu"))
        digest = checksum(study.image, study.label)
        objects = encode_study(spec.study_id, study, generator.label_dict, encoding, {"checksum": digest})
        shard = index // SHARD_SIZE
        group = study_path(shard, spec.study_id)
        written = Written(group, stored_bytes(objects, IMAGE_PATH), stored_bytes(objects, LABEL_PATH), digest, 0.0)
        context = RowContext.of(generator, shard, "bench")
        out.append((row(spec, study, written, 0.0, context), objects))
    return out


def _pipeline_write(
    store: Store, studies: list[tuple[dict, dict[str, bytes]]], generator: Generator, threads: int
) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda s: store.put_objects(s[0]["image_path"].rsplit("/", 1)[0], s[1]), studies))
    for shard in sorted({r["shard"] for r, _ in studies}):
        rows = [r for r, _ in studies if r["shard"] == shard]
        store.commit(part_path(shard), encode_part(rows, generator.label_dict, dict(generator.columns)))
    return time.perf_counter() - started


def _raw_write(target: str, store: Store, studies: list[tuple[dict, dict[str, bytes]]], name: str) -> float:
    """Plain writes of the same objects: one `open().write()` each, or one `s3fs.pipe`."""
    objects = {
        f"{store.root}/{name}/{r['image_path'].rsplit('/', 1)[0]}/{key}": data
        for r, objs in studies
        for key, data in objs.items()
    }
    started = time.perf_counter()
    if store.is_local:
        for path, data in objects.items():
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(data)
    else:
        store.fs.pipe(objects)
    return time.perf_counter() - started


def _objects_per_study(store: Store, n: int) -> float:
    return len([p for p in store.walk("studies")]) / n


def _store(target: str, workdir: Path, endpoint: str, rep: int) -> Store:
    """A fresh, empty dataset root for each repetition."""
    if target == "local":
        return open_store(str(workdir / f"local{rep}"))
    if target == "tmpfs":
        return open_store(str(TMPFS / f"local{rep}"))
    fs = s3fs.S3FileSystem(endpoint_url=endpoint)
    if not fs.exists(BUCKET):
        fs.mkdir(BUCKET)
    return open_store(f"s3://{BUCKET}/ds{rep}", {"endpoint_url": endpoint})


def _count_calls(store: Store) -> Counter:
    """S3 API calls made through this store's client, by operation name."""
    calls: Counter = Counter()
    if isinstance(store.fs, s3fs.S3FileSystem):
        store.fs.connect()
        store.fs.s3.meta.events.register("before-call.s3.*", lambda model, **_: calls.update([model.name]))
    return calls


def _moto():
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"
