"""`python -m jobs.bench maisi`: what maisi_ct's parts cost, to check the cost model (docs/generators/maisi_ct.md).

Cost model: study_s = label_s + setup_s + steps * step_s + decode_s, times (1 + redraws) for the
sampling part. On the CPU the tiny networks are timed at 256 x 256 x 32 and x 64 (every term but
the label map scales with voxels): seconds per step, per decode, and the model's prediction of a
30-step study against a measured one (goal: within 20 %). The baseline is MAISI's loop
as published, which re-embeds the label code at every step; the ratio is ours against it.

Decode plans: one latent of a 256 x 256 x 128 output decoded by MAISI's default plan, by a MAISI
per-memory config, and by the plans `sizing` makes for larger cards, each against the seamless
decode (the whole latent in one window): mean and max |HU| difference.

The GPU figures are `python -m jobs.bench maisi_gpu` (no Ray) and `maisi_factory` (through Ray).
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
from models.maisi_ct.sampler import Draw, Sampler, Timing
from models.maisi_ct.sizing import HEADROOM, DecodePlan, decode_plan, large_plan, peak_gib
from models.registry import create

CPU_SIZES = ((32, 256, 256), (64, 256, 256))  # z, y, x
STEPS = 30
DECODE_SIZE = (128, 256, 256)  # z, y, x: a latent larger than MAISI's default window


def run(quick: bool = False) -> Report:
    report = Report("maisi", notes={"torch": torch.__version__, "threads": torch.get_num_threads()})
    cpu(report, quick)
    decoding(report, sampler("tiny", torch.device("cpu")), CPU_SIZES[0] if quick else DECODE_SIZE, None)
    return report


def sampler(network: str, device: torch.device, cache_condition: bool = True) -> Sampler:
    defs = definitions(network)
    nets = {kind: build(defs, kind, device) for kind in KINDS}
    weights.randomise(nets)
    return Sampler(defs, nets, 1.0, device, cache_condition)


def condition(shape_zyx: tuple[int, int, int], index: int = 0) -> tuple[np.ndarray, tuple[float, float, float], float]:
    """A phantom abdomen label map at this size (MAISI axes), its spacing (x, y, z), and the seconds
    it took; `index` picks the study."""
    g = create("phantom_ct", GeneratorOptions(shape=shape_zyx, params={"body_region": "abdomen"}))
    spec = make_spec(g, 0, index)
    started = time.perf_counter()
    label, spacing = g.label_map(spec.params, spec.seed)
    seconds = time.perf_counter() - started
    return to_maisi(label), (spacing[2], spacing[1], spacing[0]), seconds


def timed(s: Sampler, label: np.ndarray, spacing, steps: int, gpu_gib: float | None = None) -> tuple[Timing, float]:
    noise = np.random.default_rng(0).standard_normal(s.latent_shape(label.shape), dtype=np.float32)
    timing = Timing()
    started = time.perf_counter()
    s.sample(Draw(label, spacing, 1, noise), steps, decode_plan(label.shape, gpu_gib), timing)
    return timing, time.perf_counter() - started


def per_step(s: Sampler, label: np.ndarray, spacing, few: int, many: int) -> tuple[float, float]:
    """(seconds per step, fixed seconds of the sampling loop): the difference of a short and a long
    run of the denoising loop alone, each the fastest of three, so one-off costs and noise cancel."""
    noise = np.random.default_rng(0).standard_normal(s.latent_shape(label.shape), dtype=np.float32)

    def loop(steps: int) -> float:
        started = time.perf_counter()
        s.denoise(Draw(label, spacing, 1, noise), steps)
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


def draws(s: Sampler, shape_zyx: tuple[int, int, int], n: int) -> list[Draw]:
    """`n` studies' images: phantom abdomens of different seeds, each with its own noise."""
    made = []
    for i in range(n):
        label_xyz, spacing_xyz, _ = condition(shape_zyx, i)
        noise = np.random.default_rng(i).standard_normal(s.latent_shape(label_xyz.shape), dtype=np.float32)
        made.append(Draw(label_xyz, spacing_xyz, 1 + i % 2, noise))
    return made


def decoding(report: Report, s: Sampler, shape: tuple[int, int, int], gpu_gib: float | None) -> None:
    """Each decode plan's distance (mean and max |HU|) to the seamless decode and to MAISI's default."""
    draw = draws(s, shape, 1)[0]
    latent = s.denoise(draw, 2)
    size = draw.label_xyz.shape
    whole = tuple(n // s.defs.vae_stride for n in size)
    plans = {
        "seamless": DecodePlan(whole, 0.4, 4, "whole latent"),  # type: ignore[arg-type]
        "maisi_default": decode_plan(size, None),
        "maisi_80g": decode_plan(size, 80.0),
        "ours_140g": decode_plan(size, 139.8),
        # Our rule on a share just too small for the whole latent: its largest window that fits.
        "ours_windowed": large_plan(whole, 0.95 * peak_gib(math.prod(whole)) / HEADROOM),  # type: ignore[arg-type]
    }
    if gpu_gib is not None:
        plans["ours_this_gpu"] = decode_plan(size, gpu_gib)
    images = {}
    for name, plan in plans.items():
        started = time.perf_counter()
        images[name] = np.rint(s.decode(latent, plan))
        report.metrics[f"decode_s_{name}"] = time.perf_counter() - started
        report.notes[f"decode_plan_{name}"] = plan.source
    tag = f"{size[0]}x{size[1]}x{size[2]}"
    for name, image in images.items():
        for against in ("seamless", "maisi_default"):
            if name == against:
                continue
            d = np.abs(image - images[against])
            report.metrics[f"decode_{name}_vs_{against}_mean_hu_{tag}"] = float(d.mean())
            report.metrics[f"decode_{name}_vs_{against}_max_hu_{tag}"] = float(d.max())
    # MAISI's tolerance: its own default plan's distance to the seamless decode. Ours must be within it.
    default = report.metrics[f"decode_maisi_default_vs_seamless_mean_hu_{tag}"]
    ours = report.metrics[f"decode_ours_140g_vs_seamless_mean_hu_{tag}"]
    report.ratios[f"decode_ours_140g_error_over_maisi_default_{tag}"] = ours / default if default else 0.0
    report.goals.append(Goal(f"decode_ours_140g_error_over_maisi_default_{tag}", "<=", 1.0))
