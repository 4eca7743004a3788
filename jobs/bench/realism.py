"""`python -m jobs.bench realism`: how well models trained on medsynth data alone segment real scans.

For each setting, 12 studies are generated and `jobs.evaluate`'s harness runs on a real labelled
case (read `../shared/data/real/README.md`; MEDSYNTH_REAL_DATA moves it): the project's UNet,
16-32-64-128 channels, 300 steps of 2 patches of 32 x 64 x 64 at 3 mm, CT windowed to HU
-250..350, MR scaled by its percentiles. Each seed trains the synthetic model, and once per case
the ceiling (the real scan itself) and the floor (noise with the real labels), so every number has
its bounds from the same run; `<setting>_fit_*` is the synthetic model's Dice on its own training
studies (a class it cannot fit there cannot transfer). Four seeds for the synthetic models
(`jobs.evaluate --seeds`: the mean, and the spread max - min), the first seed for the ceiling and
the floor.

The cases:
- `ct`: the real abdominal CT and its TotalSegmentator labels (liver, spleen, kidney, vertebrae,
  aorta); phantom_ct's abdomen.
- `mr`: the real abdominal MR and its TotalSegmentator `total_mr` labels, the same classes;
  body_mr's abdomen with its default sequence mix, with T2w alone, and with the two-point Dixon
  fat image alone (`body_mr_dixon_fat`, no goal). The data's README calls the scan T2-weighted
  single-shot, but its contrast is a fat image's: bile, the spinal canal and the aorta dark,
  spleen, kidneys and muscle at 2-6 % of subcutaneous fat, the liver at 19 % and marrow at 31 %
  (fat fractions), where a T2-weighted spin echo puts fluid brightest and spleen and kidney
  above liver (docs/realism-history.md).
- `brain`: the real MNI ICBM152 2009a T1 (inside the nilearn wheel, skull-stripped) at 3 mm; its
  reference is grey and white matter as brain_mr's template derives them from the same atlas's
  probability maps (`models.brain_mr.template`: grey = cortical and deep grey matter, white =
  cerebral white matter; cerebellum and brainstem score as neither), written once per run; brain_mr
  with `contrast=T1` on its template, and on the 20 real label maps of `brain_label_maps/` as they
  come, heads left in (`anatomy=masks`, `vocabulary=synthseg`).

Goals (issues 26, 27): phantom_ct's mean Dice >= 0.6 on the real CT with every class >= 0.3;
body_mr's >= 0.45 on the real MR with every class >= 0.2, for its default mix and for T2w; brain_mr
T1's >= 0.85 on the MNI T1 (template), >= 0.80 with the real label maps as anatomy. The real
cases measure; the label maps are anatomy, not the scan scored; nothing is tuned to them.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np

from jobs.bench.report import WORKDIR, Goal, Report
from models.brain_mr import template as brain
from pipeline.config.job import load
from pipeline.errors import ConfigError
from pipeline.evaluate import classes
from pipeline.evaluate.run import EvaluateConfig, evaluate, missed_and_mistaken
from pipeline.run.runner import generate

REAL = Path(os.environ.get("MEDSYNTH_REAL_DATA", Path(__file__).resolve().parents[3] / "shared" / "data" / "real"))
STUDIES = 12
SEEDS = (0, 1, 2, 3)  # one 300-step CPU model's mean Dice moves by up to 0.25 between seeds
ABDOMEN = "liver,spleen,kidney,vertebrae,aorta"
GREY = ("left cortical grey matter", "right cortical grey matter", "left deep grey matter", "right deep grey matter")
WHITE = ("left cerebral white matter", "right cerebral white matter")
BRAIN = f"grey matter={'+'.join(GREY)},white matter={'+'.join(WHITE)}"


@dataclass(frozen=True)
class Case:
    image: str  # below REAL, or "mni:" for the nilearn template written by `mni_case`
    labels: str
    vocabulary: str
    classes: str
    spacing: tuple[float, float, float] | None = None  # None: the scan's own


CASES = {
    "ct": Case("ct/example_ct_sm.nii.gz", "ct/example_seg.nii.gz", "totalsegmentator", ABDOMEN),
    "mr": Case("mr/example_mr_sm.nii.gz", "mr/example_seg_mr.nii.gz", "totalsegmentator_mr", ABDOMEN),
    "brain": Case("mni:t1.nii.gz", "mni:labels.nii.gz", "mni:vocabulary.json", BRAIN, (3.0, 3.0, 3.0)),
}
BODY_MR = ("generator.name=body_mr", "generator.params.body_region=abdomen")
# setting -> (case, generator overrides)
SETTINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "phantom_ct": ("ct", ("generator.name=phantom_ct", "generator.params.body_region=abdomen")),
    "body_mr": ("mr", BODY_MR),
    "body_mr_t2w": ("mr", (*BODY_MR, "generator.params.sequence=T2w")),
    "body_mr_dixon_fat": ("mr", (*BODY_MR, "generator.params.sequence=dixon_fat")),
    "brain_mr_t1": ("brain", ("generator.name=brain_mr", "generator.params.contrast=T1")),
    "brain_mr_t1_masks": (
        "brain",
        (
            "generator.name=brain_mr",
            "generator.params.contrast=T1",
            "generator.params.anatomy=masks",
            f"generator.params.masks={REAL / 'brain_label_maps'}",
            "generator.params.vocabulary=synthseg",
        ),
    ),
}
GOALS: dict[str, tuple[float, float | None]] = {  # mean Dice, every class
    "phantom_ct": (0.6, 0.3),
    "body_mr": (0.45, 0.2),
    "body_mr_t2w": (0.45, 0.2),
    "brain_mr_t1": (0.85, None),
    "brain_mr_t1_masks": (0.80, None),
}


def run(quick: bool = False) -> Report:
    files = [REAL / path for case in CASES.values() for path in (case.image, case.labels) if ":" not in path]
    missing = [str(path) for path in files if not path.is_file()]
    missing += [str(REAL / "brain_label_maps")] if not (REAL / "brain_label_maps").is_dir() else []
    if missing:
        raise ConfigError(f"MEDSYNTH_REAL_DATA: jobs.bench realism needs the real cases, {missing[0]} is missing")
    mni = mni_case(WORKDIR / "realism" / "mni")
    report = Report("realism", notes={"real": str(REAL), "studies": STUDIES, "seeds": list(SEEDS)})
    seeds = SEEDS[:1] if quick else SEEDS
    steps = 20 if quick else 300
    done_baselines: set[str] = set()  # the ceiling and floor: once per case, on the first seed
    for setting, (case_name, overrides) in SETTINGS.items():
        uri = dataset(setting, overrides, 4 if quick else STUDIES)
        case = CASES[case_name]
        image, labels, vocabulary = (_path(p, mni) for p in (case.image, case.labels, case.vocabulary))
        config = EvaluateConfig(
            uri=uri,
            real=(image,),
            labels=(labels,),
            vocabulary=vocabulary,
            classes=classes.parse(case.classes),
            spacing=case.spacing,
            steps=steps,
            seed=seeds[0],
            seeds=len(seeds),
            baselines=case_name not in done_baselines,
        )
        result, _, _ = evaluate(config, log=_log(f"[{setting}]"))
        done_baselines.add(case_name)
        for kind, summary in result["summary"].items():
            record(report, setting if kind == "synthetic" else f"{case_name}_{kind}", summary)
        record(report, f"{setting}_fit", result["fit"])
        if setting in GOALS:
            mean_goal, class_goal = GOALS[setting]
            report.goals.append(Goal(f"{setting}_mean_dice", ">=", mean_goal))
            if class_goal is not None:
                report.goals.append(Goal(f"{setting}_min_class_dice", ">=", class_goal))
        report.ratios[f"{setting}_over_ceiling"] = (
            report.metrics[f"{setting}_mean_dice"] / report.metrics[f"{case_name}_ceiling_mean_dice"]
        )
    return report


def dataset(setting: str, overrides: tuple[str, ...], n_studies: int) -> str:
    """A fresh dataset of `n_studies` for `setting` (the generator as it is now)."""
    root = WORKDIR / "realism" / setting
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    cfg = load(
        [],
        [
            f"dataset.name=realism-{setting}",
            f"dataset.n_studies={n_studies}",
            "dataset.shard_size=2",
            f"storage.uri={root}",
            *overrides,
        ],
    )
    generate(cfg, progress=False)
    return str(root)


def mni_case(folder: Path) -> Path:
    """The MNI ICBM152 2009a T1 that nilearn ships, with brain_mr's template labels on its grid
    (the template's padding cut off) and a vocabulary naming them, written to `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    t1 = nib.load(brain.template_path("t1"))
    pad = brain.PAD_MM
    labels = brain.template().labels[pad:-pad, pad:-pad, pad:-pad]
    if labels.shape != t1.shape:
        raise ConfigError(f"nilearn: the MNI T1 {t1.shape} and its tissue maps {labels.shape} differ in shape")
    nib.save(nib.Nifti1Image(np.asarray(t1.dataobj, dtype=np.float32), t1.affine), folder / "t1.nii.gz")
    nib.save(nib.Nifti1Image(labels.astype(np.int16), t1.affine), folder / "labels.nii.gz")
    names = {str(lb.value): lb.name for lb in brain.LABELS}
    (folder / "vocabulary.json").write_text(json.dumps(names, indent=1))
    return folder


def _path(spec: str, mni: Path) -> str:
    """A case's file: below REAL, or in the written MNI case (`mni:`); a vocabulary name as is."""
    if spec.startswith("mni:"):
        return str(mni / spec.removeprefix("mni:"))
    return str(REAL / spec) if spec.endswith(".nii.gz") else spec


def record(report: Report, key: str, summary: dict) -> None:
    """A model's scores as `jobs.evaluate` reports them (means over its seeds): the mean Dice, its
    spread over the seeds (0 for one), each class's Dice, the lowest class; in the notes HD95 and
    each class's share of real voxels called background (missed) and another class (mistaken)."""
    report.metrics[f"{key}_mean_dice"] = float(summary["mean_dice"] or 0.0)
    each = summary.get("seeds", [summary["mean_dice"]])
    defined = [v for v in each if v is not None]
    report.metrics[f"{key}_mean_dice_spread"] = float(max(defined) - min(defined)) if defined else 0.0
    if len(each) > 1:
        report.notes[f"{key}_mean_dice_per_seed"] = each
    per_class = {name: float(value or 0.0) for name, value in summary["dice"].items()}
    for name, value in per_class.items():
        report.metrics[f"{key}_dice_{name}"] = value
    report.metrics[f"{key}_min_class_dice"] = min(per_class.values())
    if "hd95_mm" in summary:  # not for the fit, which is Dice alone
        report.notes[f"{key}_hd95_mm"] = {name: _round2(value) for name, value in summary["hd95_mm"].items()}
    if "called" in summary:
        shares = missed_and_mistaken(summary["called"])
        report.notes[f"{key}_called_background"] = {name: _round2(missed) for name, (missed, _) in shares.items()}
        report.notes[f"{key}_called_another_class"] = {name: _round2(other) for name, (_, other) in shares.items()}


def _log(prefix: str):
    return lambda line: print(f"{prefix} {line}", flush=True)


def _round2(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


__all__ = ["CASES", "SETTINGS", "run"]
