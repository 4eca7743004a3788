"""The abdomen: solid organs, the hollow ones, and the portal venous system.

Organs are painted into the cavity below the diaphragm in anatomical priority: those painted
first keep contested voxels (the liver indents the kidney's upper pole, not the reverse).
"""

from __future__ import annotations

from models.phantom_ct.body import CAVITY, Body, Frame, Jitter, Structure, organ, paint_tube, tube
from models.phantom_ct.shapes import Blob, Clipped, Dome, FieldSolid

GUT = frozenset({"visceral", "bowel", "colon_content"})


def abdomen(body: Body, frame: Frame, jit: Jitter, dome: Dome) -> list[Structure]:
    parts = adrenals(frame, jit)  # first: small, and tucked between liver, crus and kidney
    parts += liver(body, frame, jit, dome)
    s = body.organ_scale
    spleen = organ(frame, jit, (85.0, 45.0, 440.0), (32.3, 55.0, 51.3), s["spleen"], (0.0, 0.0, -30.0), 0.08)
    parts.append(Structure("spleen", "spleen", Clipped(spleen, below=dome), CAVITY))
    parts += kidneys(body, frame, jit)
    parts += stomach(body, frame, jit, dome)
    parts += paint_tube(
        "pancreas",
        "pancreas",
        tube(frame, jit, [(-28, 5, 345), (-5, -8, 360), (30, 10, 375), (70, 35, 395)], [19, 13, 12, 11]),
        CAVITY,
    )
    parts += paint_tube(
        "duodenum",
        "bowel",
        tube(
            frame,
            jit,
            [
                (18, -35, 382),
                (-22, -28, 376),
                (-50, -2, 355),
                (-48, 5, 312),
                (-20, 15, 298),
                (25, 10, 305),
                (38, 2, 335),
            ],
            [12] * 7,
        ),
        CAVITY,
    )
    parts += portal_system(frame, jit)
    parts += colon(body, frame, jit)
    parts += small_bowel(body, frame, jit)
    return parts


def liver(body: Body, frame: Frame, jit: Jitter, dome: Dome) -> list[Structure]:
    """Right and left lobes under the right dome, hepatic and portal vessel branches inside it,
    the gallbladder in its fossa below."""
    scale = body.organ_scale["liver"]
    right = organ(frame, jit, (-62.0, 5.0, 420.0), (83.0, 81.0, 79.0), scale, (0.0, 15.0, 10.0), 0.06)
    left = organ(frame, jit, (25.0, -45.0, 435.0), (64.0, 39.0, 47.0), scale, (0.0, 0.0, 10.0), 0.06)
    parts = [
        Structure("liver", "liver", Clipped(right, below=dome, margin=2.0), CAVITY),
        Structure("liver", "liver", Clipped(left, below=dome, margin=2.0), CAVITY),
    ]
    ivc_top = (-26.0, -6.0, 465.0)
    for end in ((-95, 0, 430), (-55, -50, 445), (5, -45, 450)):  # hepatic veins, draining up to the IVC
        parts += paint_tube(
            "hepatic vessel", "hepatic_vessel", tube(frame, jit, [ivc_top, end], [6, 2.5]), frozenset({"liver"})
        )
    hilum = (-35.0, 10.0, 405.0)
    for end in ((-85, 20, 390), (-30, -45, 420), (-70, -25, 375)):  # portal branches from the hilum
        parts += paint_tube("hepatic vessel", "portal", tube(frame, jit, [hilum, end], [6, 2.5]), frozenset({"liver"}))
    gallbladder = organ(frame, jit, (-50.0, -55.0, 382.0), (17.0, 19.0, 38.0), scale, (25.0, 0.0, 10.0), 0.05)
    parts.append(Structure("gallbladder", "bile", gallbladder, frozenset({"liver", "visceral"})))
    return parts


def kidneys(body: Body, frame: Frame, jit: Jitter) -> list[Structure]:
    """Beans either side of the spine (the right lower, under the liver), each with a fat-filled
    sinus at its hilum."""
    parts: list[Structure] = []
    for side, sign, z in (("right", -1.0, 315.0), ("left", 1.0, 330.0)):
        kidney = organ(
            frame,
            jit,
            (sign * 72.0, 50.0, z),
            (33.0, 27.0, 60.0),
            body.organ_scale["kidney"],
            (-20.0, sign * 12.0, sign * -30.0),
            0.05,
        )
        sinus = Blob((kidney.center[0] - sign * 24.0, kidney.center[1] - 6.0, kidney.center[2]), (12.0, 10.0, 22.0))
        parts += [
            Structure(f"{side} kidney", "kidney", kidney, CAVITY),
            Structure("body", "visceral", sinus, frozenset({"kidney"})),
        ]
    return parts


def adrenals(frame: Frame, jit: Jitter) -> list[Structure]:
    """Flat glands capping each kidney's upper pole, medially (the right one higher, as the kidney)."""
    parts = []
    for side, sign, z in (("right", -1.0, 385.0), ("left", 1.0, 395.0)):
        gland = organ(frame, jit, (sign * 40.0, 46.0, z), (13.0, 6.5, 22.0), 1.0, (0.0, 0.0, sign * 35.0), 0.05)
        parts.append(Structure(f"{side} adrenal gland", "adrenal", gland, CAVITY))
    return parts


def stomach(body: Body, frame: Frame, jit: Jitter, dome: Dome) -> list[Structure]:
    """Wall, fluid, and gas rising to the front (supine) in a share `stomach_gas` of the lumen."""
    wall = organ(
        frame, jit, (62.0, -15.0, 415.0), (45.0, 38.0, 65.0), body.organ_scale["stomach"], (0.0, 30.0, 20.0), 0.08
    )
    lumen = Blob(wall.center, tuple(r * 0.8 for r in wall.radii), wall.angles_deg, wall.bend)
    depth = wall.radii[1] * 0.8
    gas_level = wall.center[1] - depth + 2 * depth * body.stomach_gas
    return [
        Structure("stomach", "stomach_wall", Clipped(wall, below=dome), CAVITY),
        Structure(None, "stomach_fluid", lumen, frozenset({"stomach_wall"})),
        Structure(
            None,
            "gas",
            Clipped(lumen, plane_point=(0.0, gas_level, 0.0), plane_normal=(0.0, 1.0, 0.0)),
            frozenset({"stomach_fluid"}),
        ),
    ]


def portal_system(frame: Frame, jit: Jitter) -> list[Structure]:
    """Portal vein from the confluence behind the pancreatic neck to the liver hilum, the splenic
    vein along the back of the pancreas, the superior mesenteric vein below."""
    confluence = (5.0, 18.0, 368.0)
    soft = CAVITY | {"pancreas", "liver"}
    parts = paint_tube(
        "portal vein and splenic vein",
        "portal",
        tube(frame, jit, [confluence, (-20, 12, 388), (-35, 10, 405)], [8, 8, 7]),
        soft,
    )
    parts += paint_tube(
        "portal vein and splenic vein",
        "portal",
        tube(frame, jit, [confluence, (35, 28, 382), (72, 42, 405)], [5, 5, 5]),
        soft,
    )
    parts += paint_tube(
        "portal vein and splenic vein",
        "portal",
        tube(frame, jit, [confluence, (8, 5, 330), (10, -5, 280)], [6, 6, 5]),
        soft,
    )
    return parts


COLON_PATH = [
    (-70, -10, 175),
    (-85, 15, 250),
    (-80, 12, 330),
    (-60, -35, 372),
    (-20, -72, 335),
    (30, -72, 345),
    (80, -15, 405),
    (92, 25, 330),
    (85, 32, 230),
    (60, 25, 150),
    (15, 55, 125),
    (0, 82, 95),
    (0, 65, 30),
]
COLON_RADII = [28, 26, 25, 24, 22, 22, 22, 20, 20, 18, 18, 22, 20]


def colon(body: Body, frame: Frame, jit: Jitter) -> list[Structure]:
    """Caecum to rectum around the small bowel: wall and mottled content with pockets of gas."""
    segments = tube(frame, jit, COLON_PATH, COLON_RADII, wander=5.0)
    inner = [s.__class__(s.a, s.b, s.ra - 3.0, s.rb - 3.0) for s in segments]
    parts = paint_tube("colon", "bowel", segments, CAVITY)
    parts += paint_tube(None, "colon_content", inner, frozenset({"bowel"}))
    for s in inner:
        gas = FieldSolid(s, jit.seed(), sigma_mm=6.0, threshold=0.3)
        parts.append(Structure(None, "gas", gas, frozenset({"colon_content"})))
    return parts


def small_bowel(body: Body, frame: Frame, jit: Jitter) -> list[Structure]:
    """Loops where a smooth field crosses a threshold in the central abdomen; the rest of the
    mesentery stays fat. More visceral fat, fewer loops."""
    region = Blob(frame.p(0.0, -15.0, 225.0), (110.0 * frame.sxy, 75.0 * frame.sxy, 150.0 * frame.sz))
    threshold = -0.2 + 0.9 * body.visceral_fat
    loops = FieldSolid(region, jit.seed(), sigma_mm=7.0, threshold=threshold)
    gas = FieldSolid(region, jit.seed(), sigma_mm=5.0, threshold=1.8)
    return [
        Structure("small bowel", "bowel", loops, CAVITY),
        Structure(None, "gas", gas, frozenset({"bowel"}), on_label="small bowel"),
    ]
