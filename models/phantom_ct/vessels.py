"""The great vessels: aorta to the iliac arteries, iliac veins to the inferior vena cava."""

from __future__ import annotations

from models.phantom_ct.body import SOFT, Frame, Jitter, Structure, paint_tube, tube

VESSEL_SPACE = SOFT | {"liver", "heart", "pancreas"}


def vessels(frame: Frame, jit: Jitter) -> list[Structure]:
    aorta = [
        (8, -25, 540),
        (6, -20, 615),
        (0, 5, 640),
        (20, 35, 615),
        (24, 42, 520),
        (18, 30, 420),
        (12, 15, 330),
        (8, 10, 235),
    ]
    ivc = [(-22, 18, 200), (-24, 14, 330), (-28, 8, 420), (-28, -5, 470), (-25, -15, 500)]
    parts = paint_tube("aorta", "aorta", tube(frame, jit, aorta, [14, 15, 14, 13, 12, 11, 10, 9]), VESSEL_SPACE)
    parts += paint_tube("inferior vena cava", "ivc", tube(frame, jit, ivc, [10, 11, 12, 13, 14]), VESSEL_SPACE)
    for side, sign in (("right", -1.0), ("left", 1.0)):
        artery = [(8, 10, 235), (sign * 38, 18, 188), (sign * 68, 0, 112), (sign * 84, -25, 40)]
        vein = [(-22, 18, 200), (sign * 45, 30, 168), (sign * 74, 6, 100), (sign * 86, -14, 40)]
        parts += paint_tube(f"{side} iliac artery", "aorta", tube(frame, jit, artery, [7, 6, 5, 4.5]), VESSEL_SPACE)
        parts += paint_tube(f"{side} iliac vena", "ivc", tube(frame, jit, vein, [8, 7, 6, 5.5]), VESSEL_SPACE)
    return parts
