"""The transfer report: train the segmentation model on a synthetic dataset alone, score it on
real labelled scans, beside the same model trained on the real scans (the ceiling) and on noise
with the real labels (the floor), all in one run on one machine.

Everything is checked before any training: the scans and their labels, the vocabulary, the classes
(each must exist on both sides and in some scan), the selection and the device. Then every volume
is brought to one spacing (the first real scan's unless given) and normalised alike
(`pipeline.evaluate.volumes`), the three models train through `pipeline.segmentation.fit` on
patches drawn alike (`pipeline.evaluate.patches`), and each real scan is segmented whole. With
several real scans the ceiling of each is cross-validated: trained on the others. A vocabulary's
midline values (FreeSurfer's corpus callosum) count in the class of their left-side label.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from models.anatomy import vocabulary as vocabularies
from models.anatomy.vocabulary import BACKGROUND
from models.base import indexed
from models.errors import ParamError
from pipeline import catalog, segmentation
from pipeline.config.job import redact
from pipeline.errors import ConfigError
from pipeline.evaluate import classes as class_groups
from pipeline.evaluate import dicom
from pipeline.evaluate.metrics import dice, mean, scores
from pipeline.evaluate.patches import Patches, pad_to_patch
from pipeline.evaluate.volumes import Scan, Spacing, Volume, normalize, read_scan, resample
from pipeline.stream import StudyStream

KINDS = ("synthetic", "ceiling", "floor")
PER_VOLUME = 4  # patches per volume per epoch
MAX_SEEDS = 100


@dataclass(frozen=True)
class EvaluateConfig:
    uri: str
    real: tuple[str, ...]
    labels: tuple[str, ...]
    vocabulary: str
    classes: tuple[class_groups.ClassSpec, ...]
    where: str | None = None
    studies: int = 12
    steps: int = 300
    batch_size: int = 2
    patch: tuple[int, int, int] = (32, 64, 64)
    channels: tuple[int, ...] = segmentation.CHANNELS
    lr: float = 1e-3
    spacing: Spacing | None = None  # None: the first real scan's
    window: tuple[float, float] = (-250.0, 350.0)  # CT normalisation, HU
    device: str = "cpu"
    seed: int = 0
    seeds: int = 1  # synthetic models trained, on seeds seed, seed + 1, ...: their mean and spread
    baselines: bool = True  # train the ceiling and the floor too (on the first seed)
    storage_options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Prepared:
    """What the checks found, ready for training."""

    groups: list[class_groups.ClassGroup]
    scans: list[Volume]
    synthetic: list[Volume]
    study_ids: list[str]
    modality: str
    spacing: Spacing
    device: torch.device


def evaluate(config: EvaluateConfig, log: Callable[[str], None] = print) -> tuple[dict[str, Any], Prepared, dict]:
    """(the report, the volumes, each kind's predictions per scan: the synthetic model's of the
    first seed)."""
    started = time.perf_counter()
    prepared = prepare(config, log)
    runs: dict[str, list[list[np.ndarray]]] = {"synthetic": []}
    fits = []
    for seed in range(config.seed, config.seed + config.seeds):
        what = "synthetic" if config.seeds == 1 else f"synthetic (seed {seed})"
        model = _train(what, prepared.synthetic, prepared, replace(config, seed=seed), log)
        runs["synthetic"].append([_predict(model, scan, prepared, config) for scan in prepared.scans])
        fits.append(fit_scores(model, prepared, config))
        del model
    for kind in KINDS[1:] if config.baselines else ():
        runs[kind] = [train_and_predict(kind, prepared, config, log)]
    report = summarise(config, prepared, runs)
    report["fit"] = _over_seeds(fits, [g.name for g in prepared.groups])
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report, prepared, {kind: found[0] for kind, found in runs.items()}


def prepare(config: EvaluateConfig, log: Callable[[str], None]) -> Prepared:
    segmentation.check_patch(config.patch, config.channels)
    if isinstance(config.seeds, bool) or not isinstance(config.seeds, int) or not 1 <= config.seeds <= MAX_SEEDS:
        raise ConfigError(f"--seeds: must be a whole number of models from 1 to {MAX_SEEDS}, got {config.seeds!r}")
    if len(config.real) != len(config.labels) or not config.real:
        raise ConfigError(
            f"--labels: give one label map per real scan ({len(config.real)} --real, {len(config.labels)} --labels)"
        )
    vocabulary = _vocabulary(config.vocabulary)
    device = _device(config.device)
    cat = catalog.open(config.uri, config.storage_options)
    scans, (vocab_name, names, midline) = _scans(config, vocabulary)
    real_names = set(names.values()) | {n for pair in midline.values() for n in pair}
    groups = class_groups.resolve(config.classes, cat.info.labels, real_names, vocab_name)
    rows = cat.query(config.where, columns=["index", "modality"], limit=config.studies)
    if rows.num_rows == 0:
        raise ConfigError(f"--where: selects no studies of {config.uri}")
    modalities = set(rows.column("modality").to_pylist())
    if len(modalities) != 1:
        raise ConfigError(f"--where: the selection mixes modalities {sorted(modalities)}; select one")
    modality = modalities.pop()
    for scan, path in zip(scans, config.real, strict=True):
        if scan.modality not in (None, modality):
            raise ConfigError(f"--real: {path} is a {scan.modality} series; the studies are {modality}")
    spacing = config.spacing or scans[0].spacing
    real_lut = class_groups.lookup(groups, {**names, **{v: pair[0] for v, pair in midline.items()}}, "real")
    real = [_real_volume(scan, real_lut, spacing, modality, config.window) for scan in scans]
    _check_presence(groups, real, config.labels)
    log(f"{len(real)} real scan(s) at {_mm(spacing)}; reading {rows.num_rows} {modality} studies of {config.uri}")
    indexes = [int(i) for i in rows.column("index").to_pylist()]
    synthetic, ids = _synthetic(config, cat, groups, indexes, spacing, modality)
    return Prepared(groups, real, synthetic, ids, modality, spacing, device)


Mapping = tuple[str, dict[int, str], dict[int, tuple[str, str]]]  # vocabulary name, names, midline


def _vocabulary(spec: str) -> Mapping | None:
    """The named vocabulary's mapping; None for `seg`, whose names are the scans' own."""
    if spec == dicom.SEG:
        return None
    try:
        return vocabularies.mapping(spec)
    except ParamError as exc:
        raise ConfigError(f"--vocabulary: {str(exc).split(': ', 1)[-1]}") from None


def _scans(config: EvaluateConfig, vocabulary: Mapping | None) -> tuple[list[Scan], Mapping]:
    """The real scans (NIfTI or DICOM, `pipeline.evaluate.dicom`) and the mapping of their labels."""
    scans = [
        (dicom.read_scan if dicom.is_dicom(image) or dicom.is_dicom(label) else read_scan)(image, label)
        for image, label in zip(config.real, config.labels, strict=True)
    ]
    if vocabulary is not None:
        return scans, vocabulary
    scans, names = dicom.shared_names(scans, config.labels)
    return scans, (dicom.SEG, names, {})


def _device(name: str) -> torch.device:
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise ConfigError(f"--device: {name!r} is not a torch device (cpu, cuda, cuda:1)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device: {name} asked for, but this machine has no CUDA GPU")
    if device.type not in ("cpu", "cuda"):
        raise ConfigError(f"--device: must be cpu or cuda, got {name!r}")
    return indexed(device)


def _real_volume(scan: Scan, lut: np.ndarray, spacing: Spacing, modality: str, window) -> Volume:
    image = resample(scan.image, scan.spacing, spacing)
    label = resample(lut[scan.label], scan.spacing, spacing, labels=True)
    return Volume(scan.name, normalize(image, modality, window), label, spacing)


def _check_presence(groups: list[class_groups.ClassGroup], real: list[Volume], paths: tuple[str, ...]) -> None:
    """Every scan holds some class, and every class is in some scan."""
    present = [set(np.unique(v.label).tolist()) - {0} for v in real]
    for found, path in zip(present, paths, strict=True):
        if not found:
            raise ConfigError(f"--labels: {path} holds none of the classes {[g.name for g in groups]}")
    for k, group in enumerate(groups, start=1):
        if not any(k in found for found in present):
            raise ConfigError(f"--classes: {group.name!r} is in no real scan's labels ({', '.join(paths)})")


def _synthetic(
    config: EvaluateConfig, cat, groups, indexes: list[int], spacing: Spacing, modality: str
) -> tuple[list[Volume], list[str]]:
    """The selected studies, whole, at the evaluation's spacing, normalised, as class indices."""
    lut = class_groups.lookup(groups, {lb.value: lb.name for lb in cat.info.labels}, "dataset")
    stream = StudyStream(
        config.uri,
        where=f"index IN ({', '.join(str(i) for i in indexes)})",
        normalize="none",
        shuffle=False,
        storage_options=config.storage_options,
    )
    volumes, ids = [], []
    for sample in stream:
        native = tuple(float(s) for s in sample["spacing_mm"].tolist())
        image = resample(sample["image"][0].numpy(), native, spacing)  # the first series
        label = resample(lut[sample["label"][0].numpy()], native, spacing, labels=True)
        volumes.append(Volume(sample["study_id"], normalize(image, modality, config.window), label, spacing))
        ids.append(sample["study_id"])
    return volumes, ids


def train_and_predict(kind: str, p: Prepared, config: EvaluateConfig, log: Callable[[str], None]) -> list[np.ndarray]:
    """Each real scan's predicted classes from the baseline model of `kind` (ceiling or floor)."""
    out = []
    for i, scan in enumerate(p.scans):
        if kind == "ceiling":  # trained on the other real scans, or on this one when it is alone
            volumes = [v for j, v in enumerate(p.scans) if j != i] or [scan]
        else:
            volumes = [_noise(v, config.seed + j) for j, v in enumerate(p.scans)]
        model = _train(f"{kind} ({scan.name})", volumes, p, config, log)
        out.append(_predict(model, scan, p, config))
    return out


def fit_scores(model: torch.nn.Module, p: Prepared, config: EvaluateConfig) -> dict[str, Any]:
    """Dice per class of the synthetic model on the studies it trained on, averaged over them: a
    class it cannot separate on its own training data at this budget will not transfer either, and
    no real scan is needed to see it."""
    names = [g.name for g in p.groups]
    found = [dice(_predict(model, v, p, config), v.label, len(names)) for v in p.synthetic]
    per_class = {n: _round(mean([f[k] for f in found])) for k, n in enumerate(names)}
    return {"dice": per_class, "mean_dice": _round(mean(list(per_class.values()))), "studies": len(found)}


def _noise(volume: Volume, seed: int) -> Volume:
    """The real labels with an image of noise: what a model learns from label layout alone."""
    image = np.random.default_rng(seed).random(volume.image.shape, dtype=np.float32)
    return Volume(f"noise-{volume.name}", image, volume.label, volume.spacing)


def _train(
    what: str, volumes: list[Volume], p: Prepared, config: EvaluateConfig, log: Callable[[str], None]
) -> torch.nn.Module:
    torch.manual_seed(config.seed)
    model = segmentation.build(len(p.groups), config.channels).to(p.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    stream = Patches(volumes, config.patch, PER_VOLUME, config.seed)
    loader = torch.utils.data.DataLoader(stream, batch_size=config.batch_size, num_workers=0)
    state = segmentation.new_state()
    every = max(config.steps // 5, 1)

    def after_step(state: dict) -> None:
        if state["step"] % every == 0:
            log(f"{what}: step {state['step']}/{config.steps}, loss {np.mean(state['losses'][-every:]):.3f}")

    segmentation.fit(model, optimizer, loader, stream, state, config.steps, p.device, after_step)
    return model


def _predict(model: torch.nn.Module, scan: Volume, p: Prepared, config: EvaluateConfig) -> np.ndarray:
    """The scan's classes; a scan thinner than the patch is padded as its training patches were
    (the sliding window's own zero padding, centred, would show the model slices it never saw)."""
    nz, ny, nx = scan.image.shape
    image = torch.from_numpy(pad_to_patch(scan.image, config.patch, "edge"))[None]
    classes = segmentation.predict(model, image, config.patch, p.device).numpy().astype(np.uint8)
    return np.ascontiguousarray(classes[:nz, :ny, :nx])


def summarise(config: EvaluateConfig, p: Prepared, runs: dict[str, list[list[np.ndarray]]]) -> dict[str, Any]:
    """The report: for each kind, its predictions per scan from each seed it was trained on (the
    baselines on one), scored per scan and averaged over the seeds, then over the scans."""
    names = [g.name for g in p.groups]
    per_scan = []
    for i, scan in enumerate(p.scans):
        entry: dict[str, Any] = {"name": scan.name, "shape_zyx": list(scan.label.shape)}
        for kind, seeds in runs.items():
            found = [scores(predicted[i], scan.label, len(names), p.spacing) for predicted in seeds]
            named = [
                {"dice": _named(names, f["dice"]), "hd95_mm": _named(names, f["hd95_mm"]), "mean_dice": mean(f["dice"])}
                for f in found
            ]
            entry[kind] = _over_seeds(named, names)
            entry[kind]["called"] = _called([_targets(names, f["called"]) for f in found], names)
        per_scan.append(entry)
    summary = {}
    for kind in runs:
        summary[kind] = {
            "dice": {n: _round(mean([s[kind]["dice"][n] for s in per_scan])) for n in names},
            "hd95_mm": {n: _round(mean([s[kind]["hd95_mm"][n] for s in per_scan])) for n in names},
            "mean_dice": _round(mean([s[kind]["mean_dice"] for s in per_scan])),
            "called": _called([s[kind]["called"] for s in per_scan], names),
        }
        if len(runs[kind]) > 1:  # each seed's mean Dice over the scans, and their spread
            each = [_round(mean([s[kind]["seeds"][k] for s in per_scan])) for k in range(len(runs[kind]))]
            summary[kind]["seeds"] = each
            summary[kind]["spread"] = _round(max(each) - min(each)) if None not in each else None
    return {
        "dataset": redact(config.uri),
        "studies": p.study_ids,
        "modality": p.modality,
        "spacing_mm": list(p.spacing),
        "classes": {g.name: {"dataset": list(g.dataset), "real": list(g.real)} for g in p.groups},
        "vocabulary": config.vocabulary,
        "settings": {
            "steps": config.steps,
            "batch_size": config.batch_size,
            "patch": list(config.patch),
            "channels": list(config.channels),
            "lr": config.lr,
            "window": list(config.window),
            "seed": config.seed,
            "seeds": config.seeds,
            "device": str(p.device),
            "where": config.where,
        },
        "summary": summary,
        "scans": per_scan,
    }


def _over_seeds(found: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    """Scores from several seeds as one: each class's mean (and HD95's where scored), the mean of
    their mean Dice, and with several seeds each seed's mean Dice."""
    out: dict[str, Any] = {key: dict(found[0][key]) for key in ("dice", "hd95_mm") if key in found[0]}
    for key in out:
        out[key] = {n: _round(mean([f[key][n] for f in found])) for n in names}
    out["mean_dice"] = _round(mean([f["mean_dice"] for f in found]))
    out.update({k: v for k, v in found[0].items() if k not in ("dice", "hd95_mm", "mean_dice")})  # fit's studies
    if len(found) > 1:
        out["seeds"] = [_round(f["mean_dice"]) for f in found]
    return out


def _targets(names: list[str], rows: list[list[float] | None]) -> dict[str, dict[str, float] | None]:
    """Each class's row of shares by what it was called (`background` or a class name)."""
    targets = [BACKGROUND, *names]
    return {
        n: None if row is None else dict(zip(targets, row, strict=True)) for n, row in zip(names, rows, strict=True)
    }


def _called(found: list[dict[str, dict[str, float] | None]], names: list[str]) -> dict[str, dict[str, float] | None]:
    """The mean of several `_targets` (seeds or scans), class by class, over those that hold it."""
    out: dict[str, dict[str, float] | None] = {}
    for n in names:
        rows = [f[n] for f in found if f[n] is not None]
        out[n] = {t: _round(float(np.mean([r[t] for r in rows]))) for t in rows[0]} if rows else None
    return out


def missed_and_mistaken(called: dict[str, dict[str, float] | None]) -> dict[str, tuple[float, float]]:
    """From a report's `called` rows, each class's share of real voxels called background (missed)
    and called another class (mistaken); classes absent from the scans are left out."""
    return {
        name: (row[BACKGROUND], sum(v for target, v in row.items() if target not in (BACKGROUND, name)))
        for name, row in called.items()
        if row is not None
    }


def _named(names: list[str], values: list) -> dict[str, float | None]:
    return {n: _round(v) for n, v in zip(names, values, strict=True)}


def _round(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 4)


def _mm(spacing: Spacing) -> str:
    return " x ".join(f"{s:g}" for s in spacing) + " mm"
