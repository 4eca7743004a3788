"""`python -m jobs.bench maisi_gpu`: maisi_ct on one GPU, without Ray (bench/results/maisi_gpu.json).

The full-size MAISI networks with random weights, 30 steps, float16 as MAISI runs:

- the sampler alone (label maps drawn beforehand; denoise and decode, one study after another) at
  256^3 and 512 x 512 x 256 (x, y, z): studies/hour and peak GPU memory. This is the rate the
  rest is held against;
- the whole generator at 256^3 (label map, sampling, QC), rendered twice: the same bytes again;
  then a run of studies one by one against the next label map prepared ahead (`models.schedule`);
- the factory's worker without Ray: 1 and 2 processes on the one GPU, each a `ShardWorker` (render,
  check, encode, write, commit) with its share of the card (`ray.gpus_per_worker` = 1/processes),
  as Ray's actors would run them. Studies/hour per GPU from the first shard's start to the last
  commit, each against the sampler's rate measured in this run (goal: the best >= 0.9);
- decode plans at 512 x 512 x 256: this card's plan, MAISI's 80 GB config and MAISI's default,
  each against the seamless decode (mean and max |HU|).

About 5 minutes on an H200, `--quick` about 2. It needs no Ray, so it runs on a GPU machine that
has only torch: carry, as wheels for its Python, monai, zarr, numcodecs, crc32c, donfig, nibabel,
omegaconf and antlr4-python3-runtime (docs/generators/maisi_ct.md gives the commands).
`python -m jobs.bench maisi_factory` is the same through Ray and `jobs.generate`.
"""

from __future__ import annotations

import multiprocessing
import queue
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from jobs.bench.maisi import STEPS, decoding, draws, sampler
from jobs.bench.report import WORKDIR, Goal, Report
from models import GeneratorOptions, make_spec
from models.base import indexed
from models.maisi_ct.sampler import Sampler, Timing
from models.maisi_ct.sizing import decode_plan
from models.registry import create
from models.schedule import render_in_order
from pipeline.config.job import GenerateConfig, load
from pipeline.run.worker import ShardWorker
from pipeline.store import layout

SIZES = ((256, 256, 256), (256, 512, 512))  # z, y, x
PROCESSES = (1, 2)  # workers sharing the one GPU
SEQUENCE = 4  # studies rendered in a row to measure what preparing ahead hides
SHARD = 2  # studies per shard in the worker runs


def run(quick: bool = False) -> Report:
    report = Report("maisi_gpu", notes={"torch": torch.__version__, "threads": torch.get_num_threads()})
    if not torch.cuda.is_available():
        raise SystemExit("jobs.bench maisi_gpu needs a CUDA GPU (python -m jobs.bench maisi is the CPU benchmark)")
    measure(report, quick, torch.device("cuda"))
    return report


def measure(
    report: Report, quick: bool, device: torch.device, network: str = "maisi", sizes=SIZES, steps: int = STEPS
) -> None:
    """Every figure. `device`, `network`, `sizes` and `steps` exist to rehearse the script on a
    CPU with the tiny networks before spending a GPU's time on it (the tests do)."""
    device = indexed(device)
    cuda = device.type == "cuda"
    gib = torch.cuda.get_device_properties(device).total_memory / 2**30 if cuda else 139.8
    report.notes["gpu"] = torch.cuda.get_device_name(device) if cuda else f"rehearsal on {device}"
    report.notes["gpu_gib"] = round(gib, 1)
    started = time.perf_counter()
    s = sampler(network, device)
    report.metrics["network_setup_s"] = time.perf_counter() - started
    steps = min(steps, 4) if quick else steps
    for shape in sizes[:1] if quick else sizes:
        sampler_rate(report, s, shape, steps, 2 if quick else (8 if shape == sizes[0] else 4), gib)
    generator_on_gpu(report, sizes[0], device, steps, network)
    del s
    if cuda:
        torch.cuda.empty_cache()  # the worker processes below each want their share of the card
    workers(report, sizes[0], generator_overrides(network, steps), cuda, 2 if quick else 8)
    decoding(report, sampler(network, device), (64, 512, 512) if quick and cuda else sizes[-1], gib)


def tag(shape: tuple[int, int, int]) -> str:
    return f"{shape[2]}x{shape[1]}x{shape[0]}"


def sampler_rate(report: Report, s: Sampler, shape: tuple[int, int, int], steps: int, n: int, gib: float) -> None:
    """Studies/hour of the sampler alone: `n` different label maps, denoised and decoded in turn."""
    made = draws(s, shape, n + 1)
    plan = decode_plan(made[0].label_xyz.shape, gib)
    s.sample(made[0], steps, plan)  # warm-up: kernels and allocator
    if s.cuda:
        torch.cuda.reset_peak_memory_stats()
    timing = Timing()
    started = time.perf_counter()
    for draw in made[1:]:
        s.sample(draw, steps, plan, timing)
    seconds = time.perf_counter() - started
    report.metrics[f"sampler_studies_per_hour_{tag(shape)}"] = n * 3600 / seconds
    report.metrics[f"sampler_steps_s_{tag(shape)}"] = timing.steps_s / n
    report.metrics[f"sampler_decode_s_{tag(shape)}"] = timing.decode_s / n
    report.notes[f"decode_plan_{tag(shape)}"] = plan.source
    if s.cuda:
        report.metrics[f"peak_gib_{tag(shape)}"] = torch.cuda.max_memory_allocated() / 2**30
    print(f"sampler {tag(shape)}: {n * 3600 / seconds:.0f} studies/h", flush=True)


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
    report.metrics[f"generator_render_s_{tag(shape)}"] = time.perf_counter() - started
    report.metrics["rerender_identical"] = float(np.array_equal(first.image, second.image))
    report.notes["generator_timing"] = second.timing
    specs = [make_spec(g, 0, i) for i in range(1, 1 + SEQUENCE)]
    started = time.perf_counter()
    for spec in specs:
        g.render(spec, device)
    one_by_one = (time.perf_counter() - started) / SEQUENCE
    started = time.perf_counter()
    for _ in render_in_order(g, specs, device):
        pass
    ahead = (time.perf_counter() - started) / SEQUENCE
    report.metrics[f"generator_s_per_study_{tag(shape)}_one_by_one"] = one_by_one
    report.metrics[f"generator_s_per_study_{tag(shape)}_prepared_ahead"] = ahead
    report.ratios[f"prepared_ahead_over_one_by_one_{tag(shape)}"] = one_by_one / ahead
    report.goals.append(Goal("rerender_identical", ">=", 1.0))


def workers(report: Report, shape: tuple[int, int, int], generator: list[str], cuda: bool, per_process: int) -> None:
    """`ShardWorker`s in 1 and 2 processes sharing the GPU: studies/hour per GPU, against the sampler."""
    WORKDIR.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(dir=WORKDIR))
    for processes in PROCESSES:
        cfg = load(
            [],
            [
                *generator,
                f"generator.shape=[{shape[0]},{shape[1]},{shape[2]}]",
                f"dataset.n_studies={processes * per_process}",
                f"dataset.shard_size={SHARD}",
                f"storage.uri={workdir / f'processes{processes}'}",
                f"ray.gpus_per_worker={1 / processes if cuda else 0}",
            ],
        )
        seconds, written = run_workers(cfg, processes)
        rate = written * 3600 / seconds
        report.metrics[f"worker_studies_per_hour_per_gpu_processes_{processes}"] = rate
        alone = report.metrics[f"sampler_studies_per_hour_{tag(shape)}"]
        report.ratios[f"worker_processes_{processes}_over_sampler"] = rate / alone
        print(f"{processes} worker process(es): {rate:.0f} studies/h per GPU", flush=True)
    best = max(report.ratios[f"worker_processes_{p}_over_sampler"] for p in PROCESSES)
    report.ratios["worker_best_over_sampler"] = best
    report.goals.append(Goal("worker_best_over_sampler", ">=", 0.9))


def generator_overrides(network: str, steps: int) -> list[str]:
    """maisi_ct as the benchmark runs it: these networks and steps, no redraws (a fixed cost per study)."""
    return [
        "generator.name=maisi_ct",
        f"generator.params.network={network}",
        f"generator.params.num_inference_steps={steps}",
        "generator.params.max_redraws=0",
    ]


def run_workers(cfg: GenerateConfig, processes: int) -> tuple[float, int]:
    """(seconds from the common start to the last commit, studies written) of `processes` workers,
    each taking every `processes`-th shard, as a Ray actor pool would hand them out. Each loads
    its networks and renders a warm-up study before the clock starts."""
    context = multiprocessing.get_context("spawn")  # CUDA cannot be used in a forked child
    go, messages = context.Event(), context.Queue()
    children = [
        context.Process(target=_work, args=(cfg, k, processes, go, messages), name=f"medsynth-bench-worker-{k}")
        for k in range(processes)
    ]
    for child in children:
        child.start()
    try:
        _collect(messages, children, "ready")
        go.set()
        started = time.perf_counter()
        written = sum(_collect(messages, children, "done"))
        return time.perf_counter() - started, written
    finally:
        for child in children:
            child.join(timeout=60)
            if child.is_alive():
                child.kill()


def _collect(messages, children, kind: str) -> list[int]:
    """One `kind` message from every child (its value), raising what a child reports or its death."""
    values: list[int] = []
    while len(values) < len(children):
        try:
            got, value = messages.get(timeout=5)
        except queue.Empty:
            dead = [c for c in children if c.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"{dead[0].name} died (exit code {dead[0].exitcode})") from None
            continue
        if got == "error":
            raise RuntimeError(f"a bench worker failed: {value}")
        values.append(value)
    return values


def _work(cfg: GenerateConfig, k: int, processes: int, go, messages) -> None:
    try:
        worker = ShardWorker(cfg, f"bench{k}")
        warm = make_spec(worker.generator, cfg.dataset.seed + 1, 0)  # not a study of the dataset
        worker.generator.render(warm, worker.device)
        messages.put(("ready", 0))
        go.wait()
        written = 0
        for shard in range(k, cfg.dataset.n_shards, processes):
            written += worker.run(layout.shard_task(shard, cfg.dataset.shard_size, cfg.dataset.n_studies)).n_studies
        worker.close()
        messages.put(("done", written))
    except BaseException as exc:  # reported to the parent, which raises it
        messages.put(("error", f"worker {k}: {type(exc).__name__}: {exc}"))
