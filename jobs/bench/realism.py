"""`python -m jobs.bench realism`: how well models trained on medsynth data alone segment real scans.

For each setting, 12 studies are generated and `jobs.evaluate`'s harness runs on a real labelled
case of `../shared/data/real/` (read its README; MEDSYNTH_REAL_DATA moves it): the project's UNet,
16-32-64-128 channels, 300 steps of 2 patches of 32 x 64 x 64 at the case's 3 mm, CT windowed to
HU -250..350. Each seed trains the synthetic model, and once per case the ceiling (the real scan
itself) and the floor (noise with the real labels), so every number has its bounds from the same
run. Two seeds; the spread is max - min. Goals (issue 26): phantom_ct's mean Dice >= 0.6 on the real
CT with every class >= 0.3.

The real cases measure; they are never training data, and nothing is tuned to them.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jobs.bench.report import WORKDIR, Goal, Report
from pipeline.config import load
from pipeline.errors import ConfigError
from pipeline.evaluate import classes
from pipeline.evaluate.run import EvaluateConfig, evaluate
from pipeline.runner import generate

REAL = Path(os.environ.get("MEDSYNTH_REAL_DATA", Path(__file__).resolve().parents[3] / "shared" / "data" / "real"))
STUDIES = 12
SEEDS = (0, 1)


@dataclass(frozen=True)
class Case:
    image: str  # below REAL
    labels: str
    vocabulary: str
    classes: str


CASES = {
    "ct": Case(
        "ct/example_ct_sm.nii.gz", "ct/example_seg.nii.gz", "totalsegmentator", "liver,spleen,kidney,vertebrae,aorta"
    ),
}
# setting -> (case, generator overrides)
SETTINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "phantom_ct": ("ct", ("generator.name=phantom_ct", "generator.params.body_region=abdomen")),
}
GOALS = {"phantom_ct": (0.6, 0.3)}  # mean Dice, every class


def run(quick: bool = False) -> Report:
    missing = [str(REAL / path) for case in CASES.values() for path in (case.image, case.labels)]
    missing = [path for path in missing if not Path(path).is_file()]
    if missing:
        raise ConfigError(f"MEDSYNTH_REAL_DATA: jobs.bench realism needs the real cases, {missing[0]} is missing")
    report = Report("realism", notes={"real": str(REAL), "studies": STUDIES, "seeds": list(SEEDS)})
    seeds = SEEDS[:1] if quick else SEEDS
    steps = 20 if quick else 300
    done_baselines: set[tuple[str, int]] = set()
    for setting, (case_name, overrides) in SETTINGS.items():
        uri = dataset(setting, overrides, 4 if quick else STUDIES)
        case = CASES[case_name]
        found: dict[str, list[dict]] = {}
        for seed in seeds:
            baselines = (case_name, seed) not in done_baselines
            config = EvaluateConfig(
                uri=uri,
                real=(str(REAL / case.image),),
                labels=(str(REAL / case.labels),),
                vocabulary=case.vocabulary,
                classes=classes.parse(case.classes),
                steps=steps,
                seed=seed,
                baselines=baselines,
            )
            result, _, _ = evaluate(config, log=_log(f"[{setting} seed {seed}]"))
            done_baselines.add((case_name, seed))
            for kind, summary in result["summary"].items():
                key = setting if kind == "synthetic" else f"{case_name}_{kind}"
                found.setdefault(key, []).append(summary)
        for key, summaries in found.items():
            record(report, key, summaries)
        if setting in GOALS:
            mean_goal, class_goal = GOALS[setting]
            report.goals += [
                Goal(f"{setting}_mean_dice", ">=", mean_goal),
                Goal(f"{setting}_min_class_dice", ">=", class_goal),
            ]
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


def record(report: Report, key: str, summaries: list[dict]) -> None:
    """Mean over seeds of the mean Dice and each class's, and the spread of the mean."""
    means = [s["mean_dice"] for s in summaries]
    report.metrics[f"{key}_mean_dice"] = float(np.mean(means))
    report.metrics[f"{key}_mean_dice_spread"] = float(np.max(means) - np.min(means))
    per_class = {name: float(np.mean([s["dice"][name] or 0.0 for s in summaries])) for name in summaries[0]["dice"]}
    for name, value in per_class.items():
        report.metrics[f"{key}_dice_{name}"] = value
    report.metrics[f"{key}_min_class_dice"] = min(per_class.values())
    report.notes[f"{key}_hd95_mm"] = {
        name: _mean([s["hd95_mm"][name] for s in summaries]) for name in summaries[0]["hd95_mm"]
    }


def _log(prefix: str):
    return lambda line: print(f"{prefix} {line}", flush=True)


def _mean(values: list) -> float | None:
    defined = [v for v in values if v is not None]
    return round(float(np.mean(defined)), 2) if defined else None


__all__ = ["CASES", "SETTINGS", "run"]
