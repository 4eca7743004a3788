"""Optional lesions, each with its own MAISI label: hepatic tumour, lung tumour, kidney cyst and
bone lesion. Their kind, size and place inside the host organ are sampled parameters (in
`params_json`); each is painted only over its host tissue, so it never leaves the organ."""

from __future__ import annotations

from typing import Any

import numpy as np

from models.phantom_ct.body import Frame, Structure
from models.phantom_ct.shapes import Blob
from models.phantom_ct.skeleton import levels

KINDS = ("hepatic_tumor", "lung_tumor", "kidney_cyst", "bone_lesion")
# Where each kind sits (reference mm) and how far from there it may be placed (mm per axis).
HOSTS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float], str]] = {
    "hepatic_tumor": ((-62.0, 5.0, 415.0), (40.0, 40.0, 35.0), "liver"),
    "lung_tumor": ((88.0, 30.0, 560.0), (25.0, 35.0, 50.0), "lung"),
    "kidney_cyst": ((72.0, 50.0, 320.0), (12.0, 10.0, 30.0), "kidney"),
}
LUMBAR = ("L1", "L2", "L3", "L4", "L5")


def sample(
    kinds: tuple[str, ...], rate: float, size_mm: tuple[float, float], rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Each allowed kind is present with probability `rate`; diameter uniform in `size_mm`."""
    drawn = []
    for kind in KINDS:
        present = rng.random() < rate
        offset = [float(v) for v in rng.uniform(-1.0, 1.0, 3)]
        diameter = float(rng.uniform(*size_mm))
        side = "left" if rng.random() < 0.5 else "right"
        level = LUMBAR[int(rng.integers(len(LUMBAR)))]
        if present and kind in kinds:
            drawn.append(
                {
                    "kind": kind,
                    "diameter_mm": round(diameter, 2),
                    "offset": [round(v, 3) for v in offset],
                    "side": side,
                    "level": level,
                }
            )
    return drawn


def paint(lesions: tuple[dict[str, Any], ...], frame: Frame) -> list[Structure]:
    return [_lesion(lesion, frame) for lesion in lesions]


def _lesion(lesion: dict[str, Any], frame: Frame) -> Structure:
    radius = lesion["diameter_mm"] / 2.0
    u = lesion["offset"]
    sign = -1.0 if lesion["side"] == "right" else 1.0
    if lesion["kind"] == "bone_lesion":
        level = next(lv for lv in levels(frame) if lv.name == lesion["level"])
        reach = (level.rx * 0.4, (level.ry) * 0.4, (level.z1 - level.z0) * 0.3)
        center = (u[0] * reach[0], level.yc + u[1] * reach[1], level.zc + u[2] * reach[2])
        radius = min(radius, level.ry * 0.8)
        return Structure("bone lesion", "bone_lesion", Blob(center, (radius,) * 3), frozenset({"cancellous"}))
    (cx, cy, cz), (rx, ry, rz), host = HOSTS[lesion["kind"]]
    if lesion["kind"] == "hepatic_tumor":
        sign = 1.0  # the host point is already on the right
    center = frame.p(sign * cx + u[0] * rx, cy + u[1] * ry, cz + u[2] * rz)
    label = {"hepatic_tumor": "hepatic tumor", "lung_tumor": "lung tumor"}.get(
        lesion["kind"], f"{lesion['side']} kidney cyst"
    )
    tissue = {"hepatic_tumor": "hepatic_tumor", "lung_tumor": "lung_tumor"}.get(lesion["kind"], "cyst")
    return Structure(label, tissue, Blob(center, (radius,) * 3), frozenset({host}))
