"""Intensities (SynthSeg's recipe): a Gaussian per label from a contrast preset or fully random,
then (in `models.mr.acquisition`) a smooth multiplicative bias field, and a gamma transform.

Presets give each tissue a mean relative to the brightest (0..1) and a spread, in the orderings
of the usual 3 T sequences: T1 (MPRAGE) WM > GM > CSF; T2 CSF > GM > WM; FLAIR like T2 with the
CSF suppressed and lesions brightest; PD with small contrast between tissues. Values are typical
relative signal intensities, not fitted to any image (the template's own T1 is never read).
"""

from __future__ import annotations

import numpy as np

from models.brain_mr.template import LABELS, VALUE

CONTRASTS = ("T1", "T2", "FLAIR", "PD", "random")
# (mean, spread) per tissue kind and contrast. Kinds: the label name without its side.
PRESETS: dict[str, dict[str, tuple[float, float]]] = {
    "T1": {
        "scalp": (0.65, 0.06),
        "skull": (0.10, 0.03),
        "csf": (0.12, 0.02),
        "lateral ventricle": (0.10, 0.02),
        "cortical grey matter": (0.50, 0.03),
        "cerebral white matter": (0.85, 0.025),
        "deep grey matter": (0.62, 0.03),
        "cerebellum": (0.62, 0.04),
        "brainstem": (0.75, 0.03),
        "white matter hyperintensity": (0.42, 0.03),
        "tumour": (0.35, 0.04),
    },
    "T2": {
        "scalp": (0.50, 0.06),
        "skull": (0.06, 0.02),
        "csf": (1.00, 0.03),
        "lateral ventricle": (1.00, 0.03),
        "cortical grey matter": (0.62, 0.03),
        "cerebral white matter": (0.42, 0.025),
        "deep grey matter": (0.52, 0.03),
        "cerebellum": (0.58, 0.04),
        "brainstem": (0.45, 0.03),
        "white matter hyperintensity": (0.85, 0.04),
        "tumour": (0.80, 0.05),
    },
    "FLAIR": {
        "scalp": (0.55, 0.06),
        "skull": (0.05, 0.02),
        "csf": (0.08, 0.02),
        "lateral ventricle": (0.06, 0.02),
        "cortical grey matter": (0.62, 0.03),
        "cerebral white matter": (0.45, 0.025),
        "deep grey matter": (0.55, 0.03),
        "cerebellum": (0.55, 0.04),
        "brainstem": (0.50, 0.03),
        "white matter hyperintensity": (0.95, 0.04),
        "tumour": (0.88, 0.05),
    },
    "PD": {
        "scalp": (0.70, 0.06),
        "skull": (0.06, 0.02),
        "csf": (0.90, 0.03),
        "lateral ventricle": (0.92, 0.03),
        "cortical grey matter": (0.80, 0.03),
        "cerebral white matter": (0.65, 0.025),
        "deep grey matter": (0.75, 0.03),
        "cerebellum": (0.74, 0.04),
        "brainstem": (0.68, 0.03),
        "white matter hyperintensity": (0.88, 0.04),
        "tumour": (0.85, 0.05),
    },
}


def kind(name: str) -> str:
    return name.removeprefix("left ").removeprefix("right ")


def mixture(contrast: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread per label value (index 0: background, always dark)."""
    size = max(lb.value for lb in LABELS) + 1
    means, spreads = np.zeros(size, np.float32), np.zeros(size, np.float32)
    for lb in LABELS:
        if contrast == "random":  # SynthSeg: any mean, any spread, per label
            means[lb.value], spreads[lb.value] = rng.uniform(0.05, 1.0), rng.uniform(0.005, 0.08)
        else:
            mean, spread = PRESETS[contrast][kind(lb.name)]
            means[lb.value] = max(mean + rng.normal(0.0, 0.03), 0.01)
            spreads[lb.value] = spread * rng.uniform(0.7, 1.3)
    # The two sides of one tissue get one intensity, as in a real scan.
    for left, right in ((VALUE[n], VALUE[n.replace("left", "right")]) for n in VALUE if n.startswith("left ")):
        means[right], spreads[right] = means[left], spreads[left]
    spreads[0] = 0.005
    return means, spreads


def paint_intensities(
    label: np.ndarray, means: np.ndarray, spreads: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    image = rng.standard_normal(label.shape, dtype=np.float32)
    image *= spreads[label]
    image += means[label]
    return image


def gamma(image: np.ndarray, log_gamma: float) -> np.ndarray:
    """Normalise to [0, 1] by the 99.9th percentile and raise to exp(log_gamma)."""
    top = float(np.percentile(image[::4, ::4, ::4], 99.9)) or 1.0
    out = np.clip(image / np.float32(top), 0.0, None)
    np.power(out, np.float32(np.exp(log_gamma)), out=out)
    return out
