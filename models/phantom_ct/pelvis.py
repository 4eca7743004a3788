"""The pelvis: hip bones around the femoral heads, the femurs, bladder and prostate."""

from __future__ import annotations

import itertools

from models.phantom_ct.body import CAVITY, Body, Frame, Jitter, Structure, organ
from models.phantom_ct.shapes import Blob, Capsule, Clipped, Plate
from models.phantom_ct.skeleton import bone


def pelvis(body: Body, frame: Frame, jit: Jitter) -> list[Structure]:
    parts: list[Structure] = []
    for side, sign in (("right", -1.0), ("left", 1.0)):
        parts += hip(f"{side} hip", sign, frame, jit)
        parts += femur(f"{side} femur", sign, frame)
    fill = 0.55 + 0.6 * body.bladder_fill
    bladder = organ(frame, jit, (0.0, -45.0, 45.0), (50.0, 40.0, 40.0), fill, (10.0, 0.0, 0.0), 0.06)
    parts.append(Structure("bladder", "urine", bladder, CAVITY))
    if body.sex == "M":
        prostate = organ(
            frame, jit, (0.0, -22.0, 2.0), (20.0, 16.0, 17.0), body.organ_scale["prostate"], (0.0, 0.0, 0.0), 0.05
        )
        parts.append(Structure("prostate", "prostate", prostate, CAVITY | {"muscle"}))
    return parts


def hip(label: str, sign: float, frame: Frame, jit: Jitter) -> list[Structure]:
    """The iliac wing as a plate fanning from the sacroiliac joint to its rolled crest, its body
    down to a cup round the femoral head, and the pubic and ischial rami meeting below it."""

    def p(x: float, y: float, z: float) -> tuple[float, float, float]:
        return jit.point(frame.p(sign * x, y, z), 1.5)

    si, acetabulum = p(42, 62, 160), p(88, 5, 42)
    crest = [p(75, 70, 218), p(118, 30, 238), p(125, -15, 222), p(108, -42, 192)]
    parts: list[Structure] = []
    fans = [
        (si, crest[0], crest[1]),
        (si, crest[1], acetabulum),
        (crest[1], crest[2], acetabulum),
        (crest[2], crest[3], acetabulum),
    ]
    for a, b, c in fans:
        parts += bone(label, Plate(a, b, c, 6.0), Plate(a, b, c, 3.5))
    for a, b in itertools.pairwise(crest):  # the rolled rim of the crest
        parts += bone(label, Capsule(a, b, 7.0, 7.0), Capsule(a, b, 4.0, 4.0))
    rami = [
        (acetabulum, p(40, -45, 20)),
        (p(40, -45, 20), p(12, -58, 5)),  # superior pubic ramus
        (p(12, -58, 0), p(45, 25, -28)),
        (p(45, 25, -28), p(70, 30, 10)),
        (p(70, 30, 10), acetabulum),  # ischium
        (si, acetabulum),  # the thick body of the ilium behind the cup
    ]
    for a, b in rami:
        parts += bone(label, Capsule(a, b, 9.0, 9.0), Capsule(a, b, 6.0, 6.0))
    cup = Clipped(Blob(acetabulum, (33.0, 33.0, 33.0)), plane_point=acetabulum, plane_normal=(sign * 0.6, 0.0, -0.8))
    parts += bone(label, cup, Blob(acetabulum, (29.0, 29.0, 29.0)))
    return parts


def femur(label: str, sign: float, frame: Frame) -> list[Structure]:
    """Head in the acetabulum, neck out to the greater trochanter, shaft going down and in."""
    head = frame.p(sign * 88.0, 5.0, 42.0)
    trochanter = frame.p(sign * 120.0, 12.0, 5.0)
    knee_ward = frame.p(sign * 105.0, 18.0, -260.0)
    parts = bone(label, Blob(head, (24.0, 24.0, 24.0)), Blob(head, (21.0, 21.0, 21.0)))
    parts += bone(label, Capsule(head, trochanter, 17.0, 20.0), Capsule(head, trochanter, 13.0, 16.0))
    parts += [
        Structure(label, "cortical", Capsule(trochanter, knee_ward, 16.0, 14.0)),
        Structure(None, "marrow", Capsule(trochanter, knee_ward, 10.0, 8.0), frozenset({"cortical"})),
    ]
    return parts
