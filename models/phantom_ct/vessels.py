"""The great vessels: aorta to the iliac arteries, iliac veins to the inferior vena cava (their
courses in the reference anatomy, `reference`)."""

from __future__ import annotations

from models.phantom_ct.body import SOFT, Frame, Jitter, Structure, paint_tube, vessel

VESSEL_SPACE = SOFT | {"liver", "heart", "pancreas"}


def vessels(frame: Frame, jit: Jitter) -> list[Structure]:
    parts = paint_tube("aorta", "aorta", vessel(frame, jit, "aorta"), VESSEL_SPACE)
    parts += paint_tube("inferior vena cava", "ivc", vessel(frame, jit, "inferior vena cava"), VESSEL_SPACE)
    for side in ("right", "left"):
        artery, vein = vessel(frame, jit, f"{side} iliac artery"), vessel(frame, jit, f"{side} iliac vena")
        parts += paint_tube(f"{side} iliac artery", "aorta", artery, VESSEL_SPACE)
        parts += paint_tube(f"{side} iliac vena", "ivc", vein, VESSEL_SPACE)
    return parts
