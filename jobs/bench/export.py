"""`python -m jobs.bench export`: what exporting and reporting cost, against rendering.

Builds a phantom_ct dataset (256 x 256 x 192) and a brain_mr one (1 mm, 176 x 208 x 176) in
process, then per format (NIfTI; DICOM with a BINARY or a LABELMAP segmentation, the latter also
with JPEG-LS lossless pixel data) measures seconds
per study and bytes on disk relative to the same studies as OME-Zarr. Baseline in the same run:
each study's own render time from the catalog (`render_s`), so `<set>_<format>_over_render` says
how exporting compares to making the study. Also seconds for `jobs.report` over each dataset.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pyarrow.compute as pc
import torch

from jobs.bench.report import WORKDIR, Report
from jobs.generate import DEFAULTS
from pipeline import catalog
from pipeline.config import job as config_module
from pipeline.export import DicomOptions, export
from pipeline.report import build
from pipeline.run.worker import ShardWorker
from pipeline.store import dataset_json
from pipeline.store.layout import shard_task

SETS = {
    "ct": ("phantom_ct", [192, 256, 256], [48, 64, 64]),
    "brain": ("brain_mr", [176, 208, 176], [44, 52, 44]),
}
WAYS = {
    "nifti": ("nifti", DicomOptions()),
    "dicom_binary": ("dicom", DicomOptions("binary")),
    "dicom_labelmap": ("dicom", DicomOptions("labelmap")),
    "dicom_labelmap_jpegls": ("dicom", DicomOptions("labelmap", "jpeg-ls")),
}


def run(quick: bool = False) -> Report:
    n = 2 if quick else 6
    report = Report("export", notes={"n_studies": n, "one_thread": True})
    WORKDIR.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(dir=WORKDIR))
    torch.set_num_threads(1)
    try:
        for name, (generator, full, small) in SETS.items():
            shape = small if quick else full
            report.notes[f"{name}_shape_zyx"] = shape
            uri = str(workdir / name)
            _build(uri, generator, shape, n)
            cat = catalog.open(uri)
            render_s = float(pc.mean(cat.query(columns=["render_s"])["render_s"]).as_py())
            report.metrics[f"{name}_render_s_per_study"] = render_s
            for way, (fmt, options) in WAYS.items():
                out = workdir / f"{name}-{way}"
                summary = export(cat, fmt, out, progress=False, dicom_options=options)
                per_study = summary.seconds / summary.studies
                report.metrics[f"{name}_{way}_s_per_study"] = per_study
                report.metrics[f"{name}_{way}_mib_per_study"] = summary.bytes_written / summary.studies / 2**20
                report.ratios[f"{name}_{way}_bytes_over_omezarr"] = summary.bytes_written / summary.stored_bytes
                report.ratios[f"{name}_{way}_over_render"] = per_study / render_s
                shutil.rmtree(out)
            report.metrics[f"{name}_omezarr_mib_per_study"] = summary.stored_bytes / summary.studies / 2**20
            times = []
            for _ in range(2):
                started = time.perf_counter()
                build(cat, workdir / f"{name}.html", previews=6)
                times.append(time.perf_counter() - started)
            report.metrics[f"{name}_report_s"] = statistics.median(times)
            report.metrics[f"{name}_report_mib"] = (workdir / f"{name}.html").stat().st_size / 2**20
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return report


def _build(uri: str, generator: str, shape: list[int], n: int) -> None:
    overrides = [
        f"generator.name={generator}",
        f"generator.shape=[{','.join(map(str, shape))}]",
        f"dataset.n_studies={n}",
        f"dataset.shard_size={n}",
        f"storage.uri={uri}",
    ]
    cfg = config_module.load([DEFAULTS], overrides)
    worker = ShardWorker(cfg, "bench")
    dataset_json.prepare(worker.store, cfg, worker.generator)
    worker.run(shard_task(0, n, n))
    worker.close()
