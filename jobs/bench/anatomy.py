"""`python -m jobs.bench anatomy`: a user's mask as anatomy, against the procedural torso.

A 512 x 512 x 400 mask at 0.8 x 0.8 x 1.5 mm (a phantom_ct chest-abdomen-pelvis label map made at
half that size and doubled, written as NIfTI) is the masks folder. In one fresh process pinned to
one core, alternating, three times each:

- anatomy: the mask placed (posed, deformed, resampled) on 192 x 256 x 256 with its body outline
  and tissue map, against the procedural torso painted on the same grid (goal <= 1.5 s);
- the whole phantom_ct study on the mask against on its own anatomy (goal <= 1.3x).

The one-off cost of reading the mask (scan, full check, decode) is reported apart; a second process
does only the masks path, for its peak memory (goal <= 2 GiB).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np

from jobs.bench.report import WORKDIR, Goal, Report

SHAPE = [192, 256, 256]
MASK_XYZ_MM = (0.8, 0.8, 1.5)
CHILD = r"""
import json, os, re, statistics, sys, time
os.sched_setaffinity(0, {0})
import torch
torch.set_num_threads(1)
from models import GeneratorOptions, make_spec
from pipeline.store.folder import open_folder
from models.base import RENDER_STREAM, study_rng
from models.phantom_ct import patient
from models.phantom_ct.generator import PhantomCT
folder, shape, rounds, only_masks = sys.argv[1], tuple(json.loads(sys.argv[2])), int(sys.argv[3]), sys.argv[4] == "1"
cpu = torch.device("cpu")
started = time.perf_counter()
masks = PhantomCT(GeneratorOptions(shape=shape, params={"anatomy": "masks", "masks": folder}, open_folder=open_folder))
check_s = time.perf_counter() - started
own = PhantomCT(GeneratorOptions(shape=shape, params={"body_region": "chest_abdomen_pelvis"}))
def anatomy(g, i):
    p = make_spec(g, 0, i).params
    rng = study_rng(i, RENDER_STREAM)
    t = time.perf_counter(); patient.draw_anatomy(p, rng, g.label_dict, g.masks, g.name); return time.perf_counter() - t
def study(g, i):
    spec = make_spec(g, 0, i)
    t = time.perf_counter(); g.render(spec, cpu); return time.perf_counter() - t
times = {"anatomy_masks": [], "anatomy_phantom": [], "study_masks": [], "study_phantom": []}
anatomy(masks, 999)  # warm: the first load decodes the mask
for i in range(rounds):
    times["anatomy_masks"].append(anatomy(masks, i))
    if not only_masks:
        times["anatomy_phantom"].append(anatomy(own, i))
        times["study_masks"].append(study(masks, i))
        times["study_phantom"].append(study(own, i))
peak_kib = int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read()).group(1))
out = {k: statistics.median(v) for k, v in times.items() if v}
print(json.dumps({"check_s": check_s, "peak_gib": peak_kib / 2**20, **out}))
"""


def run(quick: bool = False) -> Report:
    shape = [s // 4 for s in SHAPE] if quick else SHAPE
    half = [50, 64, 64] if quick else [200, 256, 256]
    folder = WORKDIR / "anatomy-masks"
    mask = write_mask(folder, half)
    report = Report("anatomy", notes={"one_core": True, "mask_xyz": list(mask.shape), "mask_mm": MASK_XYZ_MM})
    report.notes["output_zyx"] = shape
    both = child(folder, shape, 1 if quick else 3, only_masks=False)
    alone = child(folder, shape, 1 if quick else 2, only_masks=True)
    report.metrics["mask_check_s"] = both["check_s"]
    for key in ("anatomy_masks", "anatomy_phantom", "study_masks", "study_phantom"):
        report.metrics[f"{key}_s"] = both[key]
    report.metrics["peak_gib_masks"] = alone["peak_gib"]
    report.ratios["anatomy_masks_over_phantom"] = both["anatomy_masks"] / both["anatomy_phantom"]
    report.ratios["study_masks_over_phantom"] = both["study_masks"] / both["study_phantom"]
    report.goals = [
        Goal("anatomy_masks_s", "<=", 1.5),
        Goal("peak_gib_masks", "<=", 2.0),
        Goal("study_masks_over_phantom", "<=", 1.3),
    ]
    return report


def write_mask(folder: Path, half_zyx: list[int]) -> np.ndarray:
    """A phantom label map made at `half_zyx`, doubled on every axis, as one NIfTI file (x, y, z)."""
    from models import GeneratorOptions, make_spec
    from models.phantom_ct.generator import PhantomCT

    generator = PhantomCT(GeneratorOptions(shape=tuple(half_zyx), params={"body_region": "chest_abdomen_pelvis"}))
    spec = make_spec(generator, 0, 0)
    label, _ = generator.label_map(spec.params, spec.seed)
    xyz = np.ascontiguousarray(label.repeat(2, 0).repeat(2, 1).repeat(2, 2).transpose(2, 1, 0))
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.nii*"):
        old.unlink()
    dx, dy, dz = MASK_XYZ_MM
    nib.save(nib.Nifti1Image(xyz, np.diag([-dx, -dy, dz, 1.0])), folder / "torso.nii.gz")
    return xyz


def child(folder: Path, shape: list[int], rounds: int, only_masks: bool) -> dict:
    command = [sys.executable, "-c", CHILD, str(folder), json.dumps(shape), str(rounds), "1" if only_masks else "0"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"anatomy benchmark child failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)
