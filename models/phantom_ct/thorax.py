"""The chest: lungs split into lobes, heart, airways, oesophagus, superior vena cava."""

from __future__ import annotations

from models.phantom_ct.body import CAVITY, Body, Frame, Jitter, Structure, organ, paint_tube, tube
from models.phantom_ct.shapes import Blob, Clipped, Dome, Solid

MEDIASTINUM = frozenset({"visceral", "lung", "fat"})


def thorax(body: Body, frame: Frame, jit: Jitter, dome: Dome) -> list[Structure]:
    parts = lungs(body, frame, jit, dome)
    heart = organ(
        frame, jit, (20.0, -25.0, 515.0), (62.0, 50.0, 60.0), body.organ_scale["heart"], (0.0, -20.0, 25.0), 0.05
    )
    parts.append(Structure("heart", "heart", Clipped(heart, above=dome, margin=-8.0), frozenset({"visceral", "lung"})))
    parts += airways(frame, jit)
    parts += paint_tube(
        "esophagus",
        "esophagus",
        tube(frame, jit, [(5, 25, 780), (10, 28, 650), (18, 32, 540), (28, 22, 470), (40, 5, 440)], [8, 8, 8, 8, 9]),
        MEDIASTINUM | {"muscle"},
    )
    parts += paint_tube(
        "superior vena cava",
        "svc",
        tube(frame, jit, [(-32, -12, 665), (-30, -8, 610), (-26, -12, 560)], [10, 11, 12]),
        MEDIASTINUM,
    )
    return parts


def lungs(body: Body, frame: Frame, jit: Jitter, dome: Dome) -> list[Structure]:
    """Each lung fills its side of the thoracic cavity above the diaphragm, then is split by its
    fissures: oblique on both sides (lower lobe behind and below), horizontal on the right."""
    inflate = (0.9 + 0.2 * body.inspiration) * body.organ_scale["lung"]
    parts: list[Structure] = []
    for side, sign in (("right", -1.0), ("left", 1.0)):
        blob = Blob(
            center=jit.point(frame.p(sign * 78.0, 10.0, 570.0)),
            radii=(63.0 * frame.sxy * inflate, 87.0 * frame.sxy * inflate, 122.0 * frame.sz * inflate),
            angles_deg=jit.angles((0.0, 0.0, 0.0), 3.0),
            bend=jit.bend(0.05),
        )
        lung = Clipped(blob, above=dome, plane_point=(sign * 8.0, 0.0, 0.0), plane_normal=(-sign, 0.0, 0.0))
        parts.append(Structure(f"{side} lung upper lobe", "lung", lung, CAVITY))
        parts += lobes(side, sign, lung, frame, jit)
    return parts


def lobes(side: str, sign: float, lung: Solid, frame: Frame, jit: Jitter) -> list[Structure]:
    hilum = jit.point(frame.p(sign * 70.0, 20.0, 560.0), 4.0)
    oblique = Clipped(lung, plane_point=hilum, plane_normal=(0.0, -0.7, 0.7))
    parts = [Structure(f"{side} lung lower lobe", "lung", oblique, frozenset({"lung"}))]
    if side == "right":
        horizontal = Clipped(lung, plane_point=(hilum[0], hilum[1], hilum[2] + 15.0), plane_normal=(0.0, 0.1, 1.0))
        parts.append(Structure("right lung middle lobe", "lung", horizontal, on_label="right lung upper lobe"))
    return parts


def airways(frame: Frame, jit: Jitter) -> list[Structure]:
    """Trachea (wall and air column) down to the carina, main bronchi into each hilum."""
    trachea_path = [(0, -18, 790), (0, -10, 700), (0, 2, 640), (0, 10, 605)]
    wall = tube(frame, jit, trachea_path, [10, 10, 10, 10], wander=1.0)
    lumen = [segment.__class__(segment.a, segment.b, segment.ra - 2.5, segment.rb - 2.5) for segment in wall]
    carina = wall[-1].b
    parts = paint_tube("trachea", "airway_wall", wall, MEDIASTINUM | {"muscle"})
    parts += paint_tube(None, "air", lumen, frozenset({"airway_wall"}))
    for sign in (-1.0, 1.0):
        path = [
            (carina[0] / frame.sxy, carina[1] / frame.sxy, carina[2] / frame.sz),
            (sign * 35, 20, 585),
            (sign * 62, 22, 565),
        ]
        bronchus = tube(frame, jit, path, [7, 6, 4.5], wander=1.0)
        parts += paint_tube("airway", "airway_wall", bronchus, MEDIASTINUM)
        inner = [s.__class__(s.a, s.b, max(s.ra - 2.0, 1.5), max(s.rb - 2.0, 1.5)) for s in bronchus]
        parts += paint_tube(None, "air", inner, frozenset({"airway_wall"}))
    return parts
