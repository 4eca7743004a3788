"""The pelvis: hip bones around the femoral heads, the femurs, bladder and prostate."""

from __future__ import annotations

import itertools

from models.phantom_ct import reference
from models.phantom_ct.body import CAVITY, Body, Frame, Jitter, Structure, placed
from models.phantom_ct.shapes import Blob, Capsule, Clipped, Plate
from models.phantom_ct.skeleton import bone


def pelvis(body: Body, frame: Frame, jit: Jitter) -> list[Structure]:
    parts: list[Structure] = []
    for side, sign in (("right", -1.0), ("left", 1.0)):
        parts += hip(f"{side} hip", sign, frame, jit)
        parts += femur(f"{side} femur", sign, frame)
    fill = 0.55 + 0.6 * body.bladder_fill
    bladder = placed(frame, jit, "bladder", fill)
    parts.append(Structure("bladder", "urine", bladder, CAVITY))
    if body.sex == "M":
        prostate = placed(frame, jit, "prostate", body.organ_scale["prostate"])
        parts.append(Structure("prostate", "prostate", prostate, CAVITY | {"muscle"}))
    return parts


def hip(label: str, sign: float, frame: Frame, jit: Jitter) -> list[Structure]:
    """The iliac wing as a plate fanning from the sacroiliac joint to its rolled crest, its body
    down to a cup round the femoral head, and the pubic and ischial rami meeting below it."""

    def p(x: float, y: float, z: float) -> tuple[float, float, float]:
        return jit.point(frame.p(sign * x, y, z), 1.5)

    at = reference.landmark("hip")
    si, acetabulum = p(*at["sacroiliac_mm"]), p(*at["acetabulum_mm"])
    crest = [p(*q) for q in at["crest_mm"]]
    (pubic, symphysis, symphysis_low), (ischial, tuberosity) = at["pubic_mm"], at["ischial_mm"]
    parts: list[Structure] = []
    fans = [
        (si, crest[0], crest[1]),
        (si, crest[1], acetabulum),
        (crest[1], crest[2], acetabulum),
        (crest[2], crest[3], acetabulum),
    ]
    (wing, wing_core), (rim, rim_core) = at["wing_mm"], at["crest_radius_mm"]
    for a, b, c in fans:
        parts += bone(label, Plate(a, b, c, wing), Plate(a, b, c, wing_core))
    for a, b in itertools.pairwise(crest):  # the rolled rim of the crest
        parts += bone(label, Capsule(a, b, rim, rim), Capsule(a, b, rim_core, rim_core))
    rami = [
        (acetabulum, p(*pubic)),
        (p(*pubic), p(*symphysis)),  # superior pubic ramus
        (p(*symphysis_low), p(*ischial)),
        (p(*ischial), p(*tuberosity)),
        (p(*tuberosity), acetabulum),  # ischium
        (si, acetabulum),  # the thick body of the ilium behind the cup
    ]
    (ramus, ramus_core), (cup_r, cup_core) = at["rami_radius_mm"], at["cup_radius_mm"]
    for a, b in rami:
        parts += bone(label, Capsule(a, b, ramus, ramus), Capsule(a, b, ramus_core, ramus_core))
    nx, ny, nz = at["cup_normal"]
    cup = Clipped(Blob(acetabulum, (cup_r,) * 3), plane_point=acetabulum, plane_normal=(sign * nx, ny, nz))
    parts += bone(label, cup, Blob(acetabulum, (cup_core,) * 3))
    return parts


def femur(label: str, sign: float, frame: Frame) -> list[Structure]:
    """Head in the acetabulum, neck out to the greater trochanter, shaft going down and in."""
    at = reference.landmark("femur")
    (hx, hy, hz), (tx, ty, tz), (kx, ky, kz) = at["head_mm"], at["trochanter_mm"], at["shaft_end_mm"]
    head = frame.p(sign * hx, hy, hz)
    trochanter = frame.p(sign * tx, ty, tz)
    knee_ward = frame.p(sign * kx, ky, kz)
    (r, r_core), (neck, neck_core), (shaft, marrow) = at["head_radius_mm"], at["neck_radii_mm"], at["shaft_radii_mm"]
    parts = bone(label, Blob(head, (r,) * 3), Blob(head, (r_core,) * 3))
    parts += bone(label, Capsule(head, trochanter, *neck), Capsule(head, trochanter, *neck_core))
    parts += [
        Structure(label, "cortical", Capsule(trochanter, knee_ward, *shaft)),
        Structure(None, "marrow", Capsule(trochanter, knee_ward, *marrow), frozenset({"cortical"})),
    ]
    return parts
