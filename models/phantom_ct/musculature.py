"""Labelled muscles: the erector spinae (autochthon), iliopsoas and gluteus maximus."""

from __future__ import annotations

import numpy as np

from models.phantom_ct import reference
from models.phantom_ct.body import CAVITY, Frame, Jitter, Structure, paint_tube, placed, vessel
from models.phantom_ct.shapes import Tube
from models.phantom_ct.skeleton import levels

# Muscles stay inside the muscle wall or the cavity, never in the subcutaneous fat.
SOFT_WALL = frozenset({"muscle", "visceral"})


def musculature(frame: Frame, jit: Jitter) -> list[Structure]:
    parts = autochthon(frame, jit)
    for side in ("right", "left"):
        parts += paint_tube(f"{side} iliopsoas", "muscle", vessel(frame, jit, f"{side} iliopsoas"), CAVITY | SOFT_WALL)
        gluteus = placed(frame, jit, f"{side} gluteus maximus")
        parts.append(Structure(f"{side} gluteus maximus", "muscle", gluteus, frozenset({"muscle"})))
    return parts


def autochthon(frame: Frame, jit: Jitter) -> list[Structure]:
    """The erector spinae columns either side of the spinous processes, sacrum to T1."""
    canal = [(0.0, lv.canal_y, lv.zc) for lv in levels(frame)]
    at = reference.landmark("autochthon")
    lateral, behind, knots = at["lateral_mm"], at["behind_canal_mm"], (at["radius_z_mm"], at["radius_mm"])
    parts = []
    for side, sign in (("right", -1.0), ("left", 1.0)):
        points = tuple(jit.point((sign * lateral * frame.sxy, q[1] + behind * frame.sxy, q[2]), 1.5) for q in canal)
        radii = tuple(float(np.interp(q[2], *knots)) * frame.sxy for q in canal)
        parts += [Structure(f"{side} autochthon", "muscle", seg, SOFT_WALL) for seg in Tube(points, radii).segments()]
    return parts
