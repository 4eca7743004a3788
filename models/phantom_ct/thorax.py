"""The chest: lungs split into lobes, heart, airways, oesophagus, superior vena cava."""

from __future__ import annotations

from models.phantom_ct import reference
from models.phantom_ct.body import CAVITY, Body, Frame, Jitter, Structure, paint_tube, placed, tube, vessel
from models.phantom_ct.shapes import Blob, Clipped, Dome, Solid

MEDIASTINUM = frozenset({"visceral", "lung", "fat"})
LUNG = reference.landmark("lung")  # the left lung's centre, radii and hilum (the right mirrored)


def thorax(body: Body, frame: Frame, jit: Jitter, dome: Dome) -> list[Structure]:
    parts = lungs(body, frame, jit, dome)
    heart = placed(frame, jit, "heart", body.organ_scale["heart"])
    parts.append(Structure("heart", "heart", Clipped(heart, above=dome, margin=-8.0), frozenset({"visceral", "lung"})))
    parts += airways(frame, jit)
    parts += paint_tube("esophagus", "esophagus", vessel(frame, jit, "esophagus"), MEDIASTINUM | {"muscle"})
    parts += paint_tube("superior vena cava", "svc", vessel(frame, jit, "superior vena cava"), MEDIASTINUM)
    return parts


def lungs(body: Body, frame: Frame, jit: Jitter, dome: Dome) -> list[Structure]:
    """Each lung fills its side of the thoracic cavity above the diaphragm, then is split by its
    fissures: oblique on both sides (lower lobe behind and below), horizontal on the right."""
    inflate = (0.9 + 0.2 * body.inspiration) * body.organ_scale["lung"]
    (x, y, z), (rx, ry, rz) = LUNG["centre_mm"], LUNG["radii_mm"]
    parts: list[Structure] = []
    for side, sign in (("right", -1.0), ("left", 1.0)):
        blob = Blob(
            center=jit.point(frame.p(sign * x, y, z)),
            radii=(rx * frame.sxy * inflate, ry * frame.sxy * inflate, rz * frame.sz * inflate),
            angles_deg=jit.angles((0.0, 0.0, 0.0), 3.0),
            bend=jit.bend(0.05),
        )
        lung = Clipped(blob, above=dome, plane_point=(sign * 8.0, 0.0, 0.0), plane_normal=(-sign, 0.0, 0.0))
        parts.append(Structure(f"{side} lung upper lobe", "lung", lung, CAVITY))
        parts += lobes(side, sign, lung, frame, jit)
    return parts


def lobes(side: str, sign: float, lung: Solid, frame: Frame, jit: Jitter) -> list[Structure]:
    x, y, z = LUNG["hilum_mm"]
    hilum = jit.point(frame.p(sign * x, y, z), 4.0)
    oblique = Clipped(lung, plane_point=hilum, plane_normal=(0.0, -0.7, 0.7))
    parts = [Structure(f"{side} lung lower lobe", "lung", oblique, frozenset({"lung"}))]
    if side == "right":
        horizontal = Clipped(lung, plane_point=(hilum[0], hilum[1], hilum[2] + 15.0), plane_normal=(0.0, 0.1, 1.0))
        parts.append(Structure("right lung middle lobe", "lung", horizontal, on_label="right lung upper lobe"))
    return parts


def airways(frame: Frame, jit: Jitter) -> list[Structure]:
    """Trachea (wall and air column) down to the carina, main bronchi into each hilum."""
    wall = vessel(frame, jit, "trachea")
    lumen = [segment.__class__(segment.a, segment.b, segment.ra - 2.5, segment.rb - 2.5) for segment in wall]
    carina = wall[-1].b
    parts = paint_tube("trachea", "airway_wall", wall, MEDIASTINUM | {"muscle"})
    parts += paint_tube(None, "air", lumen, frozenset({"airway_wall"}))
    for side in ("right", "left"):
        main = reference.path(f"{side} main bronchus")  # from the carina, as the trachea was drawn
        path = [(carina[0] / frame.sxy, carina[1] / frame.sxy, carina[2] / frame.sz), *main.points_mm]
        bronchus = tube(frame, jit, path, main.radii_mm, wander=main.wander_mm)
        parts += paint_tube("airway", "airway_wall", bronchus, MEDIASTINUM)
        inner = [s.__class__(s.a, s.b, max(s.ra - 2.0, 1.5), max(s.rb - 2.0, 1.5)) for s in bronchus]
        parts += paint_tube(None, "air", inner, frozenset({"airway_wall"}))
    return parts
