"""`python -m jobs.bench maisi_factory`: maisi_ct through the whole factory on a GPU machine with Ray
(bench/results/maisi_factory.json).

`jobs.generate` of maisi_ct at 256^3 (30 steps, random full-size weights) into a local folder on
local Ray, with 1 and 2 actors per GPU: studies/hour per GPU from each run's summary line, against
the sampler alone measured in the same run (`jobs.bench.maisi_gpu.sampler_rate`; goal: the best
>= 0.9), and `jobs.verify` of the last dataset. A run's wall time includes starting its actors and
loading their networks, as a user's does; 16 studies per actor keep that a small part. The same
without Ray is `maisi_gpu`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

from jobs.bench.maisi import STEPS, sampler
from jobs.bench.maisi_gpu import SIZES, generator_overrides, sampler_rate, tag
from jobs.bench.report import WORKDIR, Goal, Report
from pipeline import catalog
from pipeline.config.job import load
from pipeline.run.runner import generate
from pipeline.run.verify import verify

ACTORS = (1, 2)  # per GPU


def run(quick: bool = False) -> Report:
    if not torch.cuda.is_available():
        raise SystemExit("jobs.bench maisi_factory needs a CUDA GPU (python -m jobs.bench maisi is the CPU benchmark)")
    report = Report("maisi_factory", notes={"torch": torch.__version__, "gpu": torch.cuda.get_device_name()})
    measure(report, quick, torch.device("cuda"))
    return report


def measure(report: Report, quick: bool, device: torch.device, network: str = "maisi", steps: int = STEPS) -> None:
    """`network` and `steps` exist to rehearse on a CPU with the tiny networks."""
    shape = SIZES[0] if device.type == "cuda" else (32, 256, 256)
    steps = min(steps, 4) if quick else steps
    gib = torch.cuda.get_device_properties(device).total_memory / 2**30 if device.type == "cuda" else 139.8
    s = sampler(network, device)
    sampler_rate(report, s, shape, steps, 2 if quick else 8, gib)
    del s
    WORKDIR.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(dir=WORKDIR))
    uri = ""
    for actors in ACTORS:
        uri = str(workdir / f"actors{actors}")
        cfg = load(
            [],
            [
                *generator_overrides(network, steps),
                f"generator.shape=[{shape[0]},{shape[1]},{shape[2]}]",
                f"dataset.n_studies={actors * (2 if quick else 16)}",
                "dataset.shard_size=2",
                f"storage.uri={uri}",
                f"ray.num_workers={actors}",
                f"ray.gpus_per_worker={1 / actors if device.type == 'cuda' else 0}",
                f"ray.cpus_per_worker={(os.cpu_count() or 1) / max(ACTORS)}",
            ],
        )
        summary = generate(cfg, progress=False)
        print(summary.line(), flush=True)
        rate = summary.studies_written * 3600 / summary.wall_s / max(summary.gpus, 1.0)
        report.metrics[f"factory_studies_per_hour_per_gpu_actors_{actors}"] = rate
        report.ratios[f"factory_actors_{actors}_over_sampler"] = (
            rate / report.metrics[f"sampler_studies_per_hour_{tag(shape)}"]
        )
        report.notes[f"factory_summary_actors_{actors}"] = summary.line()
    found = verify(catalog.open(uri))
    report.metrics["factory_verify_bad_studies"] = float(len({f.study_id for f in found.findings}))
    report.ratios["factory_best_over_sampler"] = max(report.ratios[f"factory_actors_{a}_over_sampler"] for a in ACTORS)
    report.goals += [Goal("factory_verify_bad_studies", "<=", 0.0), Goal("factory_best_over_sampler", ">=", 0.9)]
