"""`python -m jobs.bench stream`: how fast and how lean StudyStream feeds training.

The same studies (phantom_ct's default 192 x 256 x 256), the same run:
- 96^3 patches/s from StudyStream against the usual baseline: the studies exported as NIfTI
  .nii.gz and loaded with MONAI LoadImaged + RandSpatialCropd (one patch per load, in-process both);
- bytes zarr read per patch against the stored bytes of exactly the chunks the patch overlaps;
- a StreamLoader with 2 workers against 1 worker (patches/s; median of three alternating pairs);
- resident memory after 2,000 samples minus after 200 (in-process).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import psutil
import torch
from monai.data import Dataset
from monai.transforms import Compose, EnsureChannelFirstd, LoadImaged, RandSpatialCropd

from jobs.bench import remote
from jobs.bench.readers import compare, patches
from jobs.bench.report import WORKDIR, Goal, Report
from jobs.generate import DEFAULTS
from pipeline.config import job as config_module
from pipeline.run.worker import ShardWorker
from pipeline.store import dataset_json as dataset
from pipeline.store.layout import shard_task
from pipeline.store.omezarr import overlapped_bytes
from pipeline.stream import StreamLoader, StudyStream
from pipeline.stream.reader import StudyReader

PATCH = (96, 96, 96)
PATHS = ("image_path", "label_path")
REPEATS = 3
LOADER_REPEATS = 5  # a loader pass is short (about 2 s): more of them for a stable median


def run(quick: bool = False) -> Report:
    n_studies = 2 if quick else 8
    shape = [96, 128, 128] if quick else [192, 256, 256]
    samples = 40 if quick else 2000
    WORKDIR.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(dir=WORKDIR))
    report = Report("stream", notes={"shape_zyx": shape, "n_studies": n_studies, "patch": list(PATCH)})
    torch.set_num_threads(1)
    try:
        uri = make_dataset(workdir / "ds", n_studies, shape)
        files = _export_nifti(uri, workdir / "nifti")
        n_patches = 4 * n_studies
        _readers(report, uri, n_patches, 1 if quick else REPEATS)
        _remote(report, uri, n_patches, 1 if quick else REPEATS)
        report.metrics["stream_patches_per_s"] = _stream_rate(uri, n_patches)
        report.metrics["nifti_monai_patches_per_s"] = _nifti_rate(files, n_patches)
        report.metrics["bytes_read_per_patch"], report.metrics["bytes_overlapped_per_patch"] = _bytes(uri)
        per_study = 4 if quick else 32  # enough batches that starting the workers does not dominate
        _loader_rate(uri, 1, 1, n_studies)  # starts the fork server (once per process): not timed
        rates: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(1 if quick else LOADER_REPEATS):  # alternating: this machine's speed drifts
            for workers in (1, 2):
                rates[workers].append(_loader_rate(uri, workers, per_study, n_studies))
        for workers, values in rates.items():
            report.metrics[f"loader_{workers}w_patches_per_s"] = statistics.median(values)
        report.ratios["loader_2w_over_1w"] = statistics.median(b / a for a, b in zip(rates[1], rates[2], strict=True))
        report.notes["loader_rates"] = rates
        report.metrics["rss_growth_mib"] = _rss_growth(uri, samples)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    m = report.metrics
    report.ratios["stream_over_nifti_monai"] = m["stream_patches_per_s"] / m["nifti_monai_patches_per_s"]
    report.ratios["bytes_read_over_overlapped"] = m["bytes_read_per_patch"] / m["bytes_overlapped_per_patch"]
    report.goals = [
        *(Goal(f"studystream_over_tensorstore_{kind}", ">=", 0.9) for kind in ("cold", "warm")),
        *(Goal(f"studystream_over_tensorstore_1thread_{kind}", ">=", 0.9) for kind in ("cold", "warm")),
        Goal("cpu_ms_per_patch_over_tensorstore", "<=", 1.15),
        Goal("s3_studystream_over_tensorstore", ">=", 0.9),
        Goal("s3_20ms_studystream_over_tensorstore", ">=", 0.9),
        Goal("s3_20ms_over_0ms_studystream", ">=", 0.5),
        Goal("stream_over_nifti_monai", ">=", 5.0),
        Goal("bytes_read_over_overlapped", "<=", 1.5),
        Goal("loader_2w_over_1w", ">=", 1.7),
        Goal("rss_growth_mib", "<=", 100.0),
    ]
    return report


def _readers(report: Report, uri: str, n_patches: int, repeats: int) -> None:
    """StudyStream, tensorstore and the raw-decode floor on the same patches, cold and warm, in one
    process and with one decode thread (`jobs.bench.readers`): medians, spread, paired ratios."""
    passes = compare(uri, PATCH, 4, repeats)
    for name, found in passes.items():
        _rates(report, name, [seconds for seconds, _, _ in found], n_patches)
    for kind in ("cold", "warm"):
        for ours, theirs in (("studystream", "tensorstore"), ("studystream_1thread", "tensorstore_1thread")):
            pairs = zip(passes[f"{ours}_{kind}"], passes[f"{theirs}_{kind}"], strict=True)
            name = f"{ours.replace('studystream', 'studystream_over_tensorstore')}_{kind}"
            report.ratios[name] = statistics.median(t[0] / o[0] for o, t in pairs)  # time ratio: theirs over ours
    cpu = {
        name: statistics.median(1000 * c / n_patches for _, c, _ in passes[f"{name}_warm"])
        for name in ("studystream", "tensorstore")
    }
    report.metrics["studystream_cpu_ms_per_patch"], report.metrics["tensorstore_cpu_ms_per_patch"] = (
        cpu["studystream"],
        cpu["tensorstore"],
    )
    report.ratios["cpu_ms_per_patch_over_tensorstore"] = cpu["studystream"] / cpu["tensorstore"]


def _remote(report: Report, uri: str, n_patches: int, repeats: int) -> None:
    """The same patches from the local S3 (`jobs.bench.remote`), with and without 20 ms a request:
    medians, spread, CPU per patch here and in the S3 server, paired ratios."""
    passes = remote.compare(uri, patches(uri, PATCH, 4), PATCH, 4, repeats)
    for name, found in passes.items():
        _rates(report, f"s3_{name}", [seconds for seconds, _, _ in found], n_patches)
        report.notes[f"s3_{name}_cpu_ms_per_patch"] = round(
            statistics.median(1000 * c / n_patches for _, c, _ in found), 2
        )
        report.notes[f"s3_{name}_server_cpu_ms_per_patch"] = round(
            statistics.median(1000 * s / n_patches for _, _, s in found), 2
        )
    for latency in remote.LATENCIES_MS:
        pairs = zip(passes[f"{latency}ms_studystream"], passes[f"{latency}ms_tensorstore"], strict=True)
        name = "s3_studystream_over_tensorstore" if latency == 0 else f"s3_{latency}ms_studystream_over_tensorstore"
        report.ratios[name] = statistics.median(t[0] / o[0] for o, t in pairs)
    m = report.metrics
    report.ratios["s3_20ms_over_0ms_studystream"] = (
        m["s3_20ms_studystream_patches_per_s"] / m["s3_0ms_studystream_patches_per_s"]
    )


def _rates(report: Report, name: str, seconds: list[float], n_patches: int) -> None:
    """A reader's patches/s: the median as the metric, every pass in the notes."""
    rates = [n_patches / s for s in seconds]
    report.metrics[f"{name}_patches_per_s"] = statistics.median(rates)
    report.notes[f"{name}_patches_per_s"] = [round(r, 1) for r in rates]


def make_dataset(root: Path, n: int, shape: list[int], *overrides: str) -> str:
    """`n` phantom_ct studies of `shape` in one shard at `root`, made in-process as a worker would."""
    cfg = config_module.load(
        [DEFAULTS],
        [
            f"dataset.n_studies={n}",
            f"dataset.shard_size={n}",
            f"generator.shape=[{','.join(map(str, shape))}]",
            f"storage.uri={root}",
            *overrides,
        ],
    )
    worker = ShardWorker(cfg, "bench")
    dataset.prepare(worker.store, cfg, worker.generator)
    worker.run(shard_task(0, n, n))
    worker.close()
    return str(root)


def _export_nifti(uri: str, out: Path) -> list[dict[str, str]]:
    """Each study as image + label .nii.gz, spacing in the affine (what most pipelines start from)."""
    out.mkdir(parents=True)
    files = []
    for sample in StudyStream(uri, normalize="none", shuffle=False):
        spacing = sample["spacing_mm"].tolist()
        affine = np.diag([*spacing[::-1], 1.0])  # x, y, z voxel axes
        paths = {}
        for key, dtype in (("image", np.int16), ("label", np.uint8)):
            data = sample[key][0].numpy().astype(dtype).transpose(2, 1, 0)  # z, y, x -> x, y, z
            paths[key] = str(out / f"{sample['study_id']}_{key}.nii.gz")
            nib.save(nib.Nifti1Image(data, affine), paths[key])
        files.append(paths)
    return files


def _stream_rate(uri: str, n: int) -> float:
    stream = StudyStream(uri, patch_size=PATCH, patches_per_study=4)
    started = time.perf_counter()
    count = sum(1 for _ in stream)
    return count / (time.perf_counter() - started) if count == n else float("nan")


def _nifti_rate(files: list[dict[str, str]], n: int) -> float:
    transform = Compose(
        [
            LoadImaged(keys=["image", "label"], reader="NibabelReader"),
            EnsureChannelFirstd(keys=["image", "label"]),
            RandSpatialCropd(keys=["image", "label"], roi_size=PATCH, random_size=False),
        ]
    )
    data = Dataset([files[i % len(files)] for i in range(n)], transform)
    started = time.perf_counter()
    for i in range(n):
        sample = data[i]
        if tuple(sample["image"].shape[1:]) != PATCH:
            raise RuntimeError(f"MONAI baseline made a {tuple(sample['image'].shape)} patch, expected {PATCH}")
    return n / (time.perf_counter() - started)


def _bytes(uri: str) -> tuple[float, float]:
    stream = StudyStream(uri, patch_size=PATCH, shuffle=False, normalize="none")
    reader = StudyReader(stream.store, stream.labels, stream.config)
    read, overlapped = [], []
    for position in range(stream.rows.num_rows):
        row = {name: values[position] for name, values in stream._columns.items()}
        reader.read(row, 0, 0)  # opens the arrays: their metadata is not a per-patch cost
        for patch in range(1, 5):
            before = reader.bytes_read[0]
            sample = reader.read(row, patch, 0)
            read.append(reader.bytes_read[0] - before)
            origin = sample["origin"].tolist()
            overlapped.append(sum(overlapped_bytes(stream.store, row[p], origin, PATCH) for p in PATHS))
    return float(np.mean(read)), float(np.mean(overlapped))


def _loader_rate(uri: str, workers: int, per_study: int, n_studies: int) -> float:
    n = per_study * n_studies
    loader = StreamLoader(
        StudyStream(uri, patch_size=PATCH, patches_per_study=per_study), batch_size=2, num_workers=workers
    )
    started = time.perf_counter()
    count = sum(len(batch["study_id"]) for batch in loader)
    return count / (time.perf_counter() - started) if count == n else float("nan")


def _rss_growth(uri: str, samples: int) -> float:
    stream = StudyStream(uri, patch_size=PATCH, patches_per_study=4)
    process = psutil.Process(os.getpid())
    count, epoch, at_200 = 0, 0, None
    while count < samples:
        stream.set_epoch(epoch)
        for _ in stream:
            count += 1
            if count == min(200, samples // 10):
                at_200 = process.memory_info().rss
            if count == samples:
                break
        epoch += 1
    return (process.memory_info().rss - at_200) / 2**20
