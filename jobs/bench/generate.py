"""`python -m jobs.bench generate`: what the factory costs on top of rendering.

All in one run, on this machine, at phantom_ct's default size (256 x 256 x 192):
- bare `render` studies/s in one process (the baseline), then the full pipeline (Ray actors,
  OME-Zarr writes, manifest commits) with 1 and with 2 workers;
- encode + write MB/s of `write_study` against raw encode MB/s of the same arrays (same 64^3
  chunks, one thread): plain numcodecs Zstd at the same level, and the configured codec itself;
- peak RSS of a worker process.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import ray
import torch
from numcodecs import Blosc, Zstd

from jobs.bench.report import WORKDIR, Goal, Report
from jobs.generate import DEFAULTS
from models import Study, make_spec
from pipeline.config import job as config_module
from pipeline.run.runner import NAMESPACE, generate
from pipeline.run.worker import build_generator
from pipeline.store.omezarr import Encoding, write_study
from pipeline.store.storage import open_store


def run(quick: bool = False) -> Report:
    shape = [48, 64, 64] if quick else [192, 256, 256]
    n_studies = 4 if quick else 16
    WORKDIR.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(dir=WORKDIR))
    report = Report("generate", notes={"shape_zyx": shape, "n_studies": n_studies, "shard_size": 2})
    torch.set_num_threads(1)  # as inside a 1-CPU worker actor
    try:
        cfg = _config(workdir / "unused", shape, n_studies, 1)
        studies = _bare_render(cfg, n_studies, report)
        _encode_write(cfg, studies, workdir, report)
        del studies
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, namespace=NAMESPACE, logging_level="ERROR")
        for workers in (1, 2):
            _pipeline(_config(workdir / f"w{workers}", shape, n_studies, workers), workers, report)
    finally:
        if ray.is_initialized():
            ray.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
    m = report.metrics
    report.ratios["pipeline_1w_over_bare_render"] = m["pipeline_1w_studies_per_s"] / m["bare_render_studies_per_s"]
    report.ratios["pipeline_2w_over_1w"] = m["pipeline_2w_studies_per_s"] / m["pipeline_1w_studies_per_s"]
    report.ratios["write_over_raw_zstd"] = m["encode_write_mb_per_s"] / m["raw_zstd_encode_mb_per_s"]
    report.ratios["write_over_raw_same_codec"] = m["encode_write_mb_per_s"] / m["raw_codec_encode_mb_per_s"]
    report.goals = [
        Goal("pipeline_1w_over_bare_render", ">=", 0.85),
        Goal("pipeline_2w_over_1w", ">=", 1.7),
        Goal("write_over_raw_zstd", ">=", 0.8),
        Goal("write_over_raw_same_codec", ">=", 0.8),
        Goal("worker_peak_rss_gib", "<=", 2.0),
    ]
    return report


def _config(uri: Path, shape: list[int], n_studies: int, workers: int) -> config_module.GenerateConfig:
    return config_module.load(
        [DEFAULTS],
        [
            "dataset.name=bench",
            f"dataset.n_studies={n_studies}",
            "dataset.shard_size=2",
            f"generator.shape=[{','.join(map(str, shape))}]",
            f"storage.uri={uri}",
            f"ray.num_workers={workers}",
        ],
    )


def _bare_render(cfg: config_module.GenerateConfig, n: int, report: Report) -> list[Study]:
    generator = build_generator(cfg)
    kept: list[Study] = []
    started = time.perf_counter()
    for index in range(n):
        study = generator.render(make_spec(generator, cfg.dataset.seed, index), torch.device("cpu"))
        if len(kept) < 4:
            kept.append(study)
    elapsed = time.perf_counter() - started
    report.metrics["bare_render_studies_per_s"] = n / elapsed
    report.metrics["bare_render_s_per_study"] = elapsed / n
    return kept


def _encode_write(cfg: config_module.GenerateConfig, studies: list[Study], workdir: Path, report: Report) -> None:
    """Raw single-thread encode of every 64^3 chunk (plain zstd, and the configured codec through
    numcodecs) against `write_study` encoding and writing the same arrays."""
    encoding = Encoding(cfg.storage.chunk, cfg.storage.codec, cfg.storage.level)
    raw_bytes = sum(s.image.nbytes + s.label.nbytes for s in studies)
    for name, codec_for in (("zstd", lambda _: Zstd(level=cfg.storage.level)), ("codec", _numcodecs_twin(encoding))):
        started = time.perf_counter()
        for study in studies:
            for array in (study.image, study.label):
                codec = codec_for(array.dtype)
                for chunk in _chunks(array, encoding.chunk):
                    codec.encode(np.ascontiguousarray(chunk))
        report.metrics[f"raw_{name}_encode_mb_per_s"] = raw_bytes / 1e6 / (time.perf_counter() - started)
    generator = build_generator(cfg)
    store = open_store(str(workdir / "write"))
    started = time.perf_counter()
    for i, study in enumerate(studies):
        write_study(store, f"s{i}.zarr", f"s{i}", study, generator.label_dict, encoding, {})
    report.metrics["encode_write_mb_per_s"] = raw_bytes / 1e6 / (time.perf_counter() - started)


def _numcodecs_twin(encoding: Encoding):
    """The numcodecs codec that zarr's codec for `encoding` wraps, per dtype."""

    def make(dtype: np.dtype):
        (codec,) = encoding.compressors(dtype) or (None,)
        if codec is None:
            return _Identity()
        if encoding.codec == "zstd":
            return Zstd(level=encoding.level)
        shuffle = {"shuffle": Blosc.SHUFFLE, "bitshuffle": Blosc.BITSHUFFLE}.get(codec.shuffle.value, Blosc.NOSHUFFLE)
        return Blosc(cname=codec.cname.value, clevel=codec.clevel, shuffle=shuffle)

    return make


class _Identity:
    def encode(self, buf: np.ndarray) -> bytes:
        return buf.tobytes()


def _chunks(array: np.ndarray, chunk: tuple[int, ...]):
    cz, cy, cx = chunk
    for z in range(0, array.shape[0], cz):
        for y in range(0, array.shape[1], cy):
            for x in range(0, array.shape[2], cx):
                yield array[z : z + cz, y : y + cy, x : x + cx]


def _pipeline(cfg: config_module.GenerateConfig, workers: int, report: Report) -> None:
    started = time.perf_counter()
    summary = generate(cfg, progress=False)
    elapsed = time.perf_counter() - started
    report.metrics[f"pipeline_{workers}w_studies_per_s"] = summary.studies_written / elapsed
    report.metrics[f"pipeline_{workers}w_wall_s"] = elapsed
    gib = summary.peak_rss_bytes / 2**30
    report.metrics["worker_peak_rss_gib"] = max(report.metrics.get("worker_peak_rss_gib", 0.0), gib)
