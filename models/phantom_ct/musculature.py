"""Labelled muscles: the erector spinae (autochthon), iliopsoas and gluteus maximus."""

from __future__ import annotations

import numpy as np

from models.phantom_ct.body import CAVITY, Frame, Jitter, Structure, organ, paint_tube, tube
from models.phantom_ct.shapes import Tube
from models.phantom_ct.skeleton import levels

# Muscles stay inside the muscle wall or the cavity, never in the subcutaneous fat.
SOFT_WALL = frozenset({"muscle", "visceral"})


def musculature(frame: Frame, jit: Jitter) -> list[Structure]:
    parts = autochthon(frame, jit)
    for side, sign in (("right", -1.0), ("left", 1.0)):
        path = [
            (sign * 32, 45, 370),
            (sign * 48, 40, 265),
            (sign * 66, 22, 165),
            (sign * 80, -5, 80),
            (sign * 85, -22, 25),
            (sign * 84, -12, -40),
        ]
        parts += paint_tube(
            f"{side} iliopsoas", "muscle", tube(frame, jit, path, [9, 16, 22, 22, 16, 13]), CAVITY | SOFT_WALL
        )
        gluteus = organ(frame, jit, (sign * 82.0, 96.0, 55.0), (55.0, 30.0, 85.0), 1.0, (0.0, sign * 20.0, 0.0), 0.05)
        parts.append(Structure(f"{side} gluteus maximus", "muscle", gluteus, frozenset({"muscle"})))
    return parts


def autochthon(frame: Frame, jit: Jitter) -> list[Structure]:
    """The erector spinae columns either side of the spinous processes, sacrum to T1."""
    canal = [(0.0, lv.canal_y, lv.zc) for lv in levels(frame)]
    parts = []
    for side, sign in (("right", -1.0), ("left", 1.0)):
        points = tuple(jit.point((sign * 38.0 * frame.sxy, q[1] + 22.0 * frame.sxy, q[2]), 1.5) for q in canal)
        radii = tuple(float(np.interp(q[2], (200.0, 400.0, 700.0), (30.0, 24.0, 16.0))) * frame.sxy for q in canal)
        parts += [Structure(f"{side} autochthon", "muscle", seg, SOFT_WALL) for seg in Tube(points, radii).segments()]
    return parts
