"""`python -m jobs.bench maisi`: what maisi_ct's parts cost, to check README's cost model.

Cost model: study_s = label_s + setup_s + steps * step_s + decode_s, times (1 + redraws) for the
sampling part. On the CPU the tiny networks are timed at 256 x 256 x 32 and x 64 (every term but
the label map scales with voxels): seconds per step, per decode, and the model's prediction of a
30-step study against a measured one (goal: within 20 %). The baseline is MAISI's loop
as published, which re-embeds the label code at every step; the ratio is ours against it.

With a GPU (the report is then maisi_gpu, without the CPU part): the full-size MAISI networks with random weights
at MAISI's sizes from 256^3 to 512 x 512 x 768, 30 steps, float16 as MAISI runs: seconds per study,
per step, per decode, and peak GPU memory, for README's sizing table; the whole generator at 256^3
(label map, QC, measurements), whether a second render gives the same bytes, and the throughput
gained by drawing the next label map on the CPU while the GPU samples (ratio over one by one).
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from jobs.bench.report import Goal, Report
from models import GeneratorOptions, make_spec
from models.maisi_ct import weights
from models.maisi_ct.conditioning import to_maisi
from models.maisi_ct.networks import KINDS, build, definitions
from models.maisi_ct.sampler import Sampler, Timing
from models.maisi_ct.sizing import decode_plan
from models.registry import create
from models.schedule import render_in_order

CPU_SIZES = ((32, 256, 256), (64, 256, 256))  # z, y, x
GPU_SIZES = ((256, 256, 256), (256, 512, 512), (512, 512, 512), (768, 512, 512))
SEQUENCE = 4  # studies rendered in a row to measure what preparing ahead hides
STEPS = 30


def run(quick: bool = False) -> Report:
    cuda = torch.cuda.is_available()
    notes = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    report = Report("maisi_gpu" if cuda else "maisi", notes=notes)
    (gpu if cuda else cpu)(report, quick)
    return report


def sampler(network: str, device: torch.device, cache_condition: bool = True) -> Sampler:
    defs = definitions(network)
    nets = {kind: build(defs, kind, device) for kind in KINDS}
    weights.randomise(nets)
    return Sampler(defs, nets, 1.0, device, cache_condition)


def condition(shape_zyx: tuple[int, int, int]) -> tuple[np.ndarray, tuple[float, float, float], float]:
    """A phantom abdomen label map at this size (MAISI axes), its spacing, and the seconds it took."""
    g = create("phantom_ct", GeneratorOptions(shape=shape_zyx, params={"body_region": "abdomen"}))
    spec = make_spec(g, 0, 0)
    started = time.perf_counter()
    label, spacing = g.label_map(spec.params, spec.seed)
    seconds = time.perf_counter() - started
    return to_maisi(label), (spacing[2], spacing[1], spacing[0]), seconds


def timed(s: Sampler, label: np.ndarray, spacing, steps: int, gpu_gib: float | None = None) -> tuple[Timing, float]:
    noise = np.random.default_rng(0).standard_normal(s.latent_shape(label.shape), dtype=np.float32)
    timing = Timing()
    started = time.perf_counter()
    s.sample(label, spacing, 1, noise, steps, decode_plan(label.shape, gpu_gib), timing)
    return timing, time.perf_counter() - started


def per_step(s: Sampler, label: np.ndarray, spacing, few: int, many: int) -> tuple[float, float]:
    """(seconds per step, fixed seconds of the sampling loop): the difference of a short and a long
    run of the denoising loop alone, each the fastest of three, so one-off costs and noise cancel."""
    noise = np.random.default_rng(0).standard_normal(s.latent_shape(label.shape), dtype=np.float32)

    def loop(steps: int) -> float:
        started = time.perf_counter()
        s.denoise(label, spacing, 1, noise, steps)
        if s.cuda:
            torch.cuda.synchronize()
        return time.perf_counter() - started

    # Interleaved, so a passing slowdown (another process winding down) hits both lengths alike.
    runs = [(loop(few), loop(many)) for _ in range(3)]
    short, long = min(r[0] for r in runs), min(r[1] for r in runs)
    step_s = (long - short) / (many - few)
    return step_s, max(short - few * step_s, 0.0)


def cpu(report: Report, quick: bool) -> None:
    device = torch.device("cpu")
    ours, maisi = sampler("tiny", device), sampler("tiny", device, cache_condition=False)
    few, many = (1, 6) if quick else (2, 8)  # quick: still 5 steps apart, or load noise swamps the difference
    for shape in CPU_SIZES[:1] if quick else CPU_SIZES:
        tag = f"{shape[2]}x{shape[1]}x{shape[0]}"
        label, spacing, label_s = condition(shape)
        decode_s = min(timed(ours, label, spacing, 1)[0].decode_s for _ in range(2))
        step_s, setup_s = per_step(ours, label, spacing, few, many)
        base_step_s, _ = per_step(maisi, label, spacing, few, many)
        report.metrics[f"tiny_step_s_{tag}"] = step_s
        report.metrics[f"tiny_decode_s_{tag}"] = decode_s
        report.metrics[f"tiny_setup_s_{tag}"] = setup_s
        report.metrics[f"phantom_label_s_{tag}"] = label_s
        report.metrics[f"maisi_loop_step_s_{tag}"] = base_step_s
        report.ratios[f"step_speedup_vs_maisi_loop_{tag}"] = base_step_s / step_s
        if shape == CPU_SIZES[0]:
            steps = 4 if quick else STEPS
            predicted = label_s + setup_s + steps * step_s + decode_s
            g = create(
                "maisi_ct",
                GeneratorOptions(
                    shape=shape, params={"network": "tiny", "num_inference_steps": steps, "max_redraws": 0}
                ),
            )
            spec = make_spec(g, 0, 0)
            g.render(spec, device)  # loads the networks
            started = time.perf_counter()
            g.render(spec, device)
            measured = time.perf_counter() - started
            report.metrics[f"tiny_study_s_{tag}_{steps}_steps"] = measured
            report.ratios["cost_model_predicted_over_measured"] = predicted / measured
            report.metrics["cost_model_error"] = abs(predicted / measured - 1.0)
    a, b = (f"{s[2]}x{s[1]}x{s[0]}" for s in CPU_SIZES)
    if not quick:
        report.ratios["step_s_per_voxel_ratio_64_over_32"] = (
            report.metrics[f"tiny_step_s_{b}"] / report.metrics[f"tiny_step_s_{a}"]
        )
    report.goals = [Goal("cost_model_error", "<=", 0.2)]


def gpu(report: Report, quick: bool) -> None:
    device = torch.device("cuda")
    gib = torch.cuda.get_device_properties(device).total_memory / 2**30
    report.notes["gpu"] = torch.cuda.get_device_name(device)
    report.notes["gpu_gib"] = round(gib, 1)
    started = time.perf_counter()
    s = sampler("maisi", device)
    report.metrics["gpu_network_setup_s"] = time.perf_counter() - started
    for shape in GPU_SIZES[:1] if quick else GPU_SIZES:
        tag = f"{shape[2]}x{shape[1]}x{shape[0]}"
        label, spacing, _ = condition(shape)
        timed(s, label, spacing, 2, gib)  # warm-up: kernels, allocator
        torch.cuda.reset_peak_memory_stats(device)
        timing, wall = timed(s, label, spacing, STEPS, gib)
        report.metrics[f"gpu_study_s_{tag}_{STEPS}_steps"] = wall
        report.metrics[f"gpu_step_s_{tag}"] = timing.steps_s / STEPS
        report.metrics[f"gpu_decode_s_{tag}"] = timing.decode_s
        report.metrics[f"gpu_peak_gib_{tag}"] = torch.cuda.max_memory_allocated(device) / 2**30
        print(f"{tag}: {wall:.1f} s/study, peak {report.metrics[f'gpu_peak_gib_{tag}']:.1f} GiB", flush=True)
        if shape == GPU_SIZES[0]:
            generator_on_gpu(report, shape, device)
            ours, _ = per_step(s, label, spacing, 2, 6)
            base, _ = per_step(Sampler(s.defs, s.nets, 1.0, device, cache_condition=False), label, spacing, 2, 6)
            report.metrics[f"gpu_maisi_loop_step_s_{tag}"] = base
            report.ratios[f"gpu_step_speedup_vs_maisi_loop_{tag}"] = base / ours
        report.notes[f"decode_plan_{tag}"] = decode_plan(label.shape, gib).source
        report.notes[f"latent_voxels_{tag}"] = math.prod(s.latent_shape(label.shape)[1:])


def generator_on_gpu(report: Report, shape: tuple[int, int, int], device: torch.device) -> None:
    """The whole `maisi_ct` render (label map, sampling, QC, measurements), twice: its time and
    whether the GPU gives the same bytes again."""
    g = create("maisi_ct", GeneratorOptions(shape=shape, params={"max_redraws": 0}))
    spec = make_spec(g, 0, 0)
    first = g.render(spec, device)  # loads the networks onto the GPU
    started = time.perf_counter()
    second = g.render(spec, device)
    tag = f"{shape[2]}x{shape[1]}x{shape[0]}"
    report.metrics[f"gpu_generator_render_s_{tag}"] = time.perf_counter() - started
    report.metrics["gpu_rerender_identical"] = float(np.array_equal(first.image, second.image))
    report.notes["gpu_generator_timing"] = second.timing
    print(f"generator render {report.metrics[f'gpu_generator_render_s_{tag}']:.1f} s", flush=True)
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
    print(f"worker: {one_by_one:.2f} s/study one by one, {ahead:.2f} prepared ahead", flush=True)
