"""`python -m jobs.bench maisi` on a CUDA machine: every GPU figure of README's maisi_ct sizing in
one run (about 7 minutes on one H200; `--quick` about 2), written to bench/results/maisi_gpu.json.

The full-size MAISI networks with random weights, 30 steps, float16 as MAISI runs, at 256^3 and
512 x 512 x 256 (x, y, z):

- batching: 4 studies sampled one by one, in batches of 2 and in one batch of 4: studies/hour,
  peak GPU memory, and whether every batched image has the bytes of the same study alone
  (`models.maisi_ct.invariant`); the batch size the exactness check let run;
- decode plans at 512 x 512 x 256: this card's plan, MAISI's 80 GB config and MAISI's default,
  each against the seamless decode (mean and max |HU|);
- the whole generator at 256^3 (label map, QC), rendered twice: same bytes again, and the
  throughput gained by drawing the next label map on the CPU while the GPU samples;
- the whole factory: `jobs.generate` of maisi_ct into a local folder on local Ray (1 GPU, 16
  CPUs), with 1, 2 and 4 actors per GPU at batch 1 and 1 actor at batch 4; studies/hour per GPU
  from the run's summary line, and `jobs.verify` of the last dataset.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from jobs.bench.maisi import STEPS, batch_round, decoding, draws, sampler
from jobs.bench.report import WORKDIR, Goal, Report
from jobs.generate import DEFAULTS
from models import GeneratorOptions, make_spec
from models.registry import create
from models.schedule import render_in_order
from pipeline import catalog
from pipeline.config import load
from pipeline.runner import generate
from pipeline.verify import verify

SIZES = ((256, 256, 256), (256, 512, 512))  # z, y, x
BATCHES = (1, 2, 4)
FACTORY = ((1, 1), (2, 1), (4, 1), (1, 4))  # (actors per GPU, batch)
SEQUENCE = 4  # studies rendered in a row to measure what preparing ahead hides
TODAY_PER_HOUR_256 = 1040.0  # issue 18: 3.47 s per 256^3 study in a worker on one H200, batch 1


def run_on_gpu(
    report: Report, quick: bool, device: torch.device | None = None, network: str = "maisi", sizes=SIZES
) -> None:
    """Every GPU figure. `device`, `network` and `sizes` exist to rehearse the script on a CPU with
    the tiny networks (`device=torch.device("cpu"), network="tiny", sizes=((32, 256, 256),))`)
    before spending a GPU's time on it."""
    device = device or torch.device("cuda")
    cuda = device.type == "cuda"
    gib = torch.cuda.get_device_properties(device).total_memory / 2**30 if cuda else 139.8
    report.notes["gpu"] = torch.cuda.get_device_name(device) if cuda else f"rehearsal on {device}"
    report.notes["gpu_gib"] = round(gib, 1)
    started = time.perf_counter()
    s = sampler(network, device)
    report.metrics["gpu_network_setup_s"] = time.perf_counter() - started
    steps = 4 if quick else STEPS
    for shape in sizes[:1] if quick else sizes:
        batching_on_gpu(report, s, shape, steps, gib)
    decoding(report, s, (64, 512, 512) if quick and cuda else sizes[-1], gib)
    generator_on_gpu(report, sizes[0], device, steps, network)
    factory(report, 4 if quick else 16, steps, network, sizes[0], cuda)


def batching_on_gpu(report: Report, s, shape: tuple[int, int, int], steps: int, gib: float) -> None:
    tag = f"{shape[2]}x{shape[1]}x{shape[0]}"
    batch = draws(s, shape, max(BATCHES))
    batch_round(s, batch[:2], 2, 1, gib)  # warm-up: kernels, allocator, and the batch-of-2 check
    alone: list = []
    for size in BATCHES:
        if s.cuda:
            torch.cuda.reset_peak_memory_stats()
        seconds, images = batch_round(s, batch, size, steps, gib)
        report.metrics[f"gpu_studies_per_hour_{tag}_batch_{size}"] = len(batch) * 3600 / seconds
        if s.cuda:
            report.metrics[f"gpu_peak_gib_{tag}_batch_{size}"] = torch.cuda.max_memory_allocated() / 2**30
        if size == 1:
            alone = images
        else:
            same = [np.array_equal(a, b) for a, b in zip(alone, images, strict=True)]
            worst = max(float(np.abs(a - b).max()) for a, b in zip(alone, images, strict=True))
            report.metrics[f"gpu_batch_{size}_equals_alone_{tag}"] = float(all(same))
            report.metrics[f"gpu_batch_{size}_max_hu_difference_{tag}"] = worst
        exact = s.invariant.get((size, *batch[0].noise.shape))
        report.notes[f"gpu_batch_{size}_checked_exact_{tag}"] = exact if size > 1 else True
        rate = report.metrics[f"gpu_studies_per_hour_{tag}_batch_{size}"]
        print(f"{tag} batch {size}: {rate:.0f} studies/h", flush=True)
    best = max(report.metrics[f"gpu_studies_per_hour_{tag}_batch_{size}"] for size in BATCHES)
    report.ratios[f"gpu_best_batch_over_batch_1_{tag}"] = best / report.metrics[f"gpu_studies_per_hour_{tag}_batch_1"]
    if shape == SIZES[1]:  # the goal at 512 x 512 x 256: at least 2x
        report.goals.append(Goal(f"gpu_best_batch_over_batch_1_{tag}", ">=", 2.0))


def generator_on_gpu(
    report: Report, shape: tuple[int, int, int], device: torch.device, steps: int, network: str
) -> None:
    """The whole `maisi_ct` render (label map, sampling, QC), twice: its time and whether the GPU
    gives the same bytes again; then `SEQUENCE` studies one by one against prepared ahead."""
    params = {"max_redraws": 0, "num_inference_steps": steps, "network": network}
    g = create("maisi_ct", GeneratorOptions(shape=shape, params=params))
    spec = make_spec(g, 0, 0)
    first = g.render(spec, device)  # loads the networks onto the GPU
    started = time.perf_counter()
    second = g.render(spec, device)
    tag = f"{shape[2]}x{shape[1]}x{shape[0]}"
    report.metrics[f"gpu_generator_render_s_{tag}"] = time.perf_counter() - started
    report.metrics["gpu_rerender_identical"] = float(np.array_equal(first.image, second.image))
    report.notes["gpu_generator_timing"] = second.timing
    specs = [make_spec(g, 0, i) for i in range(1, 1 + SEQUENCE)]
    started = time.perf_counter()
    for spec in specs:
        g.render(spec, device)
    one_by_one = (time.perf_counter() - started) / SEQUENCE
    started = time.perf_counter()
    for _ in render_in_order(g, specs, device):
        pass
    ahead = (time.perf_counter() - started) / SEQUENCE
    report.metrics[f"gpu_worker_s_per_study_{tag}_one_by_one"] = one_by_one
    report.metrics[f"gpu_worker_s_per_study_{tag}_prepared_ahead"] = ahead
    report.ratios[f"gpu_throughput_prepared_ahead_over_one_by_one_{tag}"] = one_by_one / ahead
    report.goals.append(Goal("gpu_rerender_identical", ">=", 1.0))


def factory(report: Report, n_studies: int, steps: int, network: str, shape: tuple[int, int, int], cuda: bool) -> None:
    """`jobs.generate` end to end on local Ray for each (actors per GPU, batch); verify the last."""
    WORKDIR.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(dir=WORKDIR))
    cpus = (os.cpu_count() or 1) / max(a for a, _ in FACTORY)  # 4 on the 16 CPUs of the GPU machine
    uri = ""
    for actors, size in FACTORY:
        uri = str(workdir / f"actors{actors}_batch{size}")
        cfg = load(
            [DEFAULTS],
            [
                "generator.name=maisi_ct",
                f"generator.shape=[{shape[0]},{shape[1]},{shape[2]}]",
                f"generator.params.network={network}",
                f"generator.params.num_inference_steps={steps}",
                "generator.params.max_redraws=0",
                f"generator.params.batch={size}",
                f"dataset.n_studies={n_studies}",
                f"dataset.shard_size={max(size, 2)}",
                f"storage.uri={uri}",
                f"ray.num_workers={actors}",
                f"ray.gpus_per_worker={1 / actors if cuda else 0}",
                f"ray.cpus_per_worker={cpus}",
            ],
        )
        summary = generate(cfg, progress=False)
        print(summary.line(), flush=True)
        key = f"factory_studies_per_hour_per_gpu_actors_{actors}_batch_{size}"
        report.metrics[key] = summary.studies_written * 3600 / summary.wall_s / max(summary.gpus, 1.0)
        report.notes[f"factory_summary_actors_{actors}_batch_{size}"] = summary.line()
    found = verify(catalog.open(uri))
    report.metrics["factory_verify_bad_studies"] = float(len({f.study_id for f in found.findings}))
    report.metrics["factory_verified_studies"] = float(found.n_studies)
    best = max(report.metrics[f"factory_studies_per_hour_per_gpu_actors_{a}_batch_{b}"] for a, b in FACTORY)
    report.ratios["factory_best_over_issue_18_baseline_256"] = best / TODAY_PER_HOUR_256
    report.goals += [
        Goal("factory_verify_bad_studies", "<=", 0.0),
        Goal("factory_best_over_issue_18_baseline_256", ">=", 3.0),
    ]
