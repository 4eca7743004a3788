"""The torso as a painted list of structures, built from one study's sampled body.

Reference geometry is an adult male torso in patient millimetres (LPS, see `shapes`), z = 0 at
the pubic symphysis. A study scales it by its frame (`frame_scale`, x-y) and stature
(`height_scale`, z), then every organ gets its own smooth random offset, size, tilt and surface
bend from the render stream. Structures are painted in list order; `within` restricts a
structure to voxels whose tissue is one of those named, which is how organs stay inside the body
cavity and displace each other in a fixed, anatomical priority.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.phantom_ct.shapes import Blob, Capsule, Clipped, Cylinder, Dome, Prism, Solid, Tube, Vec3

CAVITY = frozenset({"visceral"})


@dataclass(frozen=True)
class Structure:
    label: str | None  # MAISI label name; None keeps whatever label is already there
    tissue: str
    solid: Solid
    within: frozenset[str] | None = None
    on_label: str | None = None  # paint only over voxels that currently carry this label


@dataclass(frozen=True)
class Body:
    """The sampled, steerable description of one patient (all lengths mm)."""

    sex: str
    frame_scale: float
    height_scale: float
    fat_mm: float  # subcutaneous fat thickness
    organ_scale: dict[str, float]
    inspiration: float  # 0 = expiration, 1 = deep inspiration
    stomach_gas: float  # fraction of the stomach lumen filled with gas


class Jitter:
    """Small, smooth per-organ variation drawn from the study's render stream."""

    def __init__(self, rng: np.random.Generator, offset_mm: float = 5.0) -> None:
        self.rng = rng
        self.offset_mm = offset_mm

    def point(self, p: Vec3, sd: float | None = None) -> Vec3:
        d = self.rng.normal(0.0, self.offset_mm if sd is None else sd, 3)
        return (p[0] + d[0], p[1] + d[1], p[2] + d[2])

    def factor(self, sd: float = 0.06) -> float:
        return float(np.exp(self.rng.normal(0.0, sd)))

    def angles(self, base: Vec3, sd_deg: float = 6.0) -> Vec3:
        d = self.rng.normal(0.0, sd_deg, 3)
        return (base[0] + d[0], base[1] + d[1], base[2] + d[2])

    def bend(self, amount: float = 0.06) -> tuple[float, ...]:
        return tuple(float(v) for v in self.rng.normal(0.0, amount, 9))


class Frame:
    """Maps reference coordinates to this body's (frame in x-y, stature in z)."""

    def __init__(self, body: Body) -> None:
        self.sxy = body.frame_scale
        self.sz = body.height_scale

    def p(self, x: float, y: float, z: float) -> Vec3:
        return (x * self.sxy, y * self.sxy, z * self.sz)

    def r(self, rx: float, ry: float, rz: float, scale: float = 1.0) -> Vec3:
        return (rx * self.sxy * scale, ry * self.sxy * scale, rz * self.sz * scale)

    def z(self, z: float) -> float:
        return z * self.sz


# Fat-free torso cross-section (z, half-width, half-depth, centre y): pelvis to thoracic inlet.
SECTION_KNOTS = (
    (-40.0, 165.0, 105.0, 5.0),
    (100.0, 170.0, 110.0, 5.0),
    (200.0, 158.0, 105.0, 0.0),
    (300.0, 145.0, 105.0, 0.0),
    (420.0, 152.0, 115.0, 5.0),
    (560.0, 160.0, 118.0, 10.0),
    (700.0, 150.0, 105.0, 15.0),
    (780.0, 130.0, 90.0, 15.0),
)


def build(body: Body, rng: np.random.Generator) -> list[Structure]:
    """Every structure of the torso, in painting order."""
    frame, jit = Frame(body), Jitter(rng)
    dome = diaphragm(body, frame, jit)
    parts = body_wall(body, frame, jit)
    parts += thorax(body, frame, jit, dome)
    parts += abdomen(body, frame, jit, dome)
    parts += vessels(frame, jit)
    parts += spine(frame, jit)
    parts += rib_cage(frame, jit)
    return parts


def diaphragm(body: Body, frame: Frame, jit: Jitter) -> Dome:
    # Deep inspiration pulls the domes down by ~30 mm relative to expiration.
    descent = 30.0 * (body.inspiration - 0.5)
    return Dome(
        right_top=frame.z(485.0) - descent + jit.rng.normal(0, 6),
        left_top=frame.z(470.0) - descent + jit.rng.normal(0, 6),
        right_x=-70.0 * frame.sxy,
        left_x=75.0 * frame.sxy,
        curvature=0.006 / frame.sxy,
        apex_y=10.0 * frame.sxy,
    )


def section(frame: Frame, grow_mm: float, y_shift: float = 0.0) -> Prism:
    zs, ws, ds, cs = zip(*SECTION_KNOTS, strict=True)
    return Prism(
        z_knots=tuple(frame.z(z) for z in zs),
        half_widths=tuple(max(w * frame.sxy + grow_mm, 1.0) for w in ws),
        half_depths=tuple(max(d * frame.sxy + grow_mm, 1.0) for d in ds),
        center_y=tuple(c * frame.sxy + y_shift for c in cs),
        power=2.4,
    )


def body_wall(body: Body, frame: Frame, jit: Jitter) -> list[Structure]:
    """Skin, subcutaneous fat, muscle wall and the cavity it encloses (all labelled body)."""
    wall = 14.0 * frame.sxy
    return [
        Structure("body", "skin", section(frame, body.fat_mm)),
        Structure(None, "fat", section(frame, body.fat_mm - 2.0)),
        Structure(None, "muscle", section(frame, 0.0)),
        Structure(None, "visceral", section(frame, -wall, y_shift=-8.0 * frame.sxy)),
    ]


def thorax(body: Body, frame: Frame, jit: Jitter, dome: Dome) -> list[Structure]:
    inflate = 0.9 + 0.2 * body.inspiration
    parts: list[Structure] = []
    for side, sign in (("right", -1.0), ("left", 1.0)):
        blob = Blob(
            center=jit.point(frame.p(sign * 78.0, 10.0, 590.0)),
            radii=frame.r(72.0, 105.0, 175.0, inflate * body.organ_scale["lung"] * jit.factor(0.04)),
            angles_deg=jit.angles((0.0, 0.0, 0.0), 3.0),
            bend=jit.bend(0.05),
        )
        lung = Clipped(blob, plane_point=(sign * 8.0, 0.0, 0.0), plane_normal=(-sign, 0.0, 0.0))
        parts.append(Structure(f"{side} lung upper lobe", "lung", Clipped(lung, above=dome), CAVITY))
        parts += lung_lobes(side, sign, lung, frame, jit)
    heart = Blob(
        center=jit.point(frame.p(20.0, -25.0, 515.0)),
        radii=frame.r(62.0, 50.0, 60.0, body.organ_scale["heart"]),
        angles_deg=jit.angles((0.0, -20.0, 25.0)),
        bend=jit.bend(0.05),
    )
    parts.append(Structure("heart", "heart", Clipped(heart, above=dome, margin=-8.0), frozenset({"visceral", "lung"})))
    return parts


def lung_lobes(side: str, sign: float, lung: Solid, frame: Frame, jit: Jitter) -> list[Structure]:
    """Split a lung by its fissures: oblique (both sides) and horizontal (right)."""
    hilum = jit.point(frame.p(sign * 70.0, 20.0, 560.0), 4.0)
    oblique = Clipped(lung, plane_point=hilum, plane_normal=(0.0, -0.7, 0.7))
    parts = [Structure(f"{side} lung lower lobe", "lung", oblique, frozenset({"lung"}))]
    if side == "right":
        horizontal = Clipped(lung, plane_point=(hilum[0], hilum[1], hilum[2] + 15.0), plane_normal=(0.0, 0.1, 1.0))
        parts.append(Structure("right lung middle lobe", "lung", horizontal, on_label="right lung upper lobe"))
    return parts


def abdomen(body: Body, frame: Frame, jit: Jitter, dome: Dome) -> list[Structure]:
    s = body.organ_scale
    liver_right = organ(frame, jit, (-62.0, 5.0, 420.0), (80.0, 78.0, 76.0), s["liver"], (0.0, 15.0, 10.0), 0.06)
    liver_left = organ(frame, jit, (25.0, -45.0, 435.0), (62.0, 38.0, 45.0), s["liver"], (0.0, 0.0, 10.0), 0.06)
    spleen = organ(frame, jit, (85.0, 45.0, 440.0), (34.0, 58.0, 54.0), s["spleen"], (0.0, 0.0, -30.0), 0.08)
    stomach = organ(frame, jit, (62.0, -15.0, 415.0), (45.0, 38.0, 65.0), s["stomach"], (0.0, 30.0, 20.0), 0.08)
    lumen = Blob(stomach.center, tuple(r * 0.8 for r in stomach.radii), stomach.angles_deg, stomach.bend)
    gas_level = stomach.center[1] - stomach.radii[1] * 0.8 + 2 * stomach.radii[1] * 0.8 * body.stomach_gas
    parts = [
        Structure("liver", "liver", Clipped(liver_right, below=dome), CAVITY),
        Structure("liver", "liver", Clipped(liver_left, below=dome), CAVITY),
        Structure("spleen", "spleen", Clipped(spleen, below=dome), CAVITY),
        Structure("stomach", "stomach_wall", Clipped(stomach, below=dome), CAVITY),
        Structure(None, "stomach_fluid", lumen, frozenset({"stomach_wall"})),
        # Gas rises anteriorly (supine): the non-dependent part of the lumen (smaller y).
        Structure(
            None,
            "gas",
            Clipped(lumen, plane_point=(0.0, gas_level, 0.0), plane_normal=(0.0, 1.0, 0.0)),
            frozenset({"stomach_fluid"}),
        ),
    ]
    for side, sign, z in (("right", -1.0, 315.0), ("left", 1.0, 330.0)):
        kidney = organ(
            frame,
            jit,
            (sign * 72.0, 50.0, z),
            (33.0, 27.0, 60.0),
            s["kidney"],
            (-20.0, sign * 12.0, sign * -30.0),
            0.05,
        )
        hilum = Blob(
            (kidney.center[0] - sign * 24.0 * frame.sxy, kidney.center[1] - 6.0, kidney.center[2]), (12.0, 10.0, 22.0)
        )
        parts.append(Structure(f"{side} kidney", "kidney", kidney, CAVITY))
        parts.append(Structure("body", "visceral", hilum, frozenset({"kidney"})))
    return parts


def organ(frame: Frame, jit: Jitter, center: Vec3, radii: Vec3, scale: float, angles: Vec3, bend: float) -> Blob:
    """A solid organ at its reference place and size, moved, scaled, tilted and bent for this study."""
    return Blob(jit.point(frame.p(*center)), frame.r(*radii, scale), jit.angles(angles), jit.bend(bend))


def vessels(frame: Frame, jit: Jitter) -> list[Structure]:
    p = frame.p
    aorta_path = (
        p(8, -25, 540),
        p(6, -20, 615),
        p(0, 5, 640),
        p(20, 35, 615),
        p(24, 42, 520),
        p(18, 30, 420),
        p(12, 15, 330),
        p(8, 10, 235),
    )
    ivc_path = (p(-22, 18, 200), p(-24, 14, 330), p(-28, 8, 420), p(-28, -5, 470), p(-25, -15, 500))
    wander = 2.5
    aorta = Tube(tuple(jit.point(q, wander) for q in aorta_path), (14, 15, 14, 13, 12, 11, 10, 9))
    ivc = Tube(tuple(jit.point(q, wander) for q in ivc_path), (10, 11, 12, 13, 14))
    anywhere_soft = frozenset({"visceral", "lung", "liver", "heart", "fat", "muscle"})
    parts = [Structure("aorta", "aorta", seg, anywhere_soft) for seg in aorta.segments()]
    parts += [Structure("inferior vena cava", "ivc", seg, anywhere_soft) for seg in ivc.segments()]
    return parts


# Vertebrae from the sacrum up: (name, body height mm, disc below mm, body radii x, y).
VERTEBRAE = (
    ("L5", 28.0, 11.0, 25.0, 19.0),
    ("L4", 28.0, 11.0, 25.0, 19.0),
    ("L3", 28.0, 10.0, 24.0, 18.0),
    ("L2", 27.0, 10.0, 23.0, 17.0),
    ("L1", 26.0, 9.0, 22.0, 16.0),
    ("T12", 25.0, 7.0, 21.0, 16.0),
    ("T11", 24.0, 6.0, 20.0, 15.0),
    ("T10", 23.0, 6.0, 18.0, 15.0),
    ("T9", 22.0, 5.0, 17.0, 14.0),
    ("T8", 21.0, 5.0, 16.0, 14.0),
    ("T7", 21.0, 5.0, 16.0, 14.0),
    ("T6", 20.0, 5.0, 15.0, 13.0),
    ("T5", 20.0, 5.0, 15.0, 13.0),
    ("T4", 19.0, 5.0, 15.0, 13.0),
    ("T3", 19.0, 5.0, 15.0, 13.0),
    ("T2", 19.0, 5.0, 16.0, 13.0),
    ("T1", 18.0, 5.0, 17.0, 13.0),
)
SACRUM_TOP_Z = 175.0


def spine_y(z: float) -> float:
    """Vertebral body centre y (mm): lumbar lordosis, thoracic kyphosis."""
    return float(np.interp(z, (150.0, 280.0, 420.0, 560.0, 720.0), (55.0, 40.0, 50.0, 62.0, 50.0)))


@dataclass(frozen=True)
class Level:
    """One vertebra placed in this body: name, body z-range, body centre y and radii, the disc below."""

    name: str
    z0: float
    z1: float
    disc_z0: float
    yc: float
    rx: float
    ry: float

    @property
    def zc(self) -> float:
        return (self.z0 + self.z1) / 2

    @property
    def canal_y(self) -> float:
        return self.yc + self.ry + 11.0


def levels(frame: Frame) -> list[Level]:
    out, z = [], SACRUM_TOP_Z
    for name, height, disc, rx, ry in VERTEBRAE:
        z0, z1 = z + disc, z + disc + height
        yc = spine_y((z0 + z1) / 2) * frame.sxy
        out.append(Level(name, frame.z(z0), frame.z(z1), frame.z(z), yc, rx * frame.sxy, ry * frame.sxy))
        z = z1
    return out


def spine(frame: Frame, jit: Jitter) -> list[Structure]:
    parts: list[Structure] = []
    canal: list[Vec3] = []
    for lv in levels(frame):
        parts += vertebra(f"vertebrae {lv.name}", frame, lv)
        parts.append(Structure("body", "disc", Cylinder((0.0, lv.yc), (lv.rx, lv.ry), (lv.disc_z0, lv.z0))))
        canal.append((0.0, lv.canal_y, lv.zc))
    canal_tube = Tube(tuple(canal), tuple(8.0 * frame.sxy for _ in canal))
    cord_points = tuple(q for q in canal if q[2] > frame.z(330.0))  # the cord ends near L1-L2
    cord_tube = Tube(cord_points, tuple(4.5 * frame.sxy for _ in cord_points))
    parts += [Structure("body", "csf", seg) for seg in canal_tube.segments()]
    parts += [Structure("spinal cord", "cord", seg) for seg in cord_tube.segments()]
    parts += autochthon(frame, jit, canal)
    return parts


def vertebra(label: str, frame: Frame, lv: Level) -> list[Structure]:
    """Body (cortical shell, cancellous core) and the posterior arch around the canal."""
    zc, yc, rx, ry = lv.zc, lv.yc, lv.rx, lv.ry
    shell = 1.5
    arch_r = 4.5 * frame.sxy
    back = lv.canal_y + 10.0 * frame.sxy
    s = frame.sxy
    ends = [
        ((-10.0 * s, yc + ry * 0.6, zc), (-9.0 * s, back - 3.0, zc)),  # pedicle + lamina, right
        ((10.0 * s, yc + ry * 0.6, zc), (9.0 * s, back - 3.0, zc)),  # left
        ((-9.0 * s, back - 3.0, zc), (9.0 * s, back - 3.0, zc)),  # lamina roof
        ((0.0, back - 2.0, zc), (0.0, back + 28.0 * s, zc - 12.0 * frame.sz)),  # spinous process
        ((-12.0 * s, lv.canal_y - 2.0, zc), (-rx - 18.0 * s, lv.canal_y + 2.0, zc)),  # transverse, right
        ((12.0 * s, lv.canal_y - 2.0, zc), (rx + 18.0 * s, lv.canal_y + 2.0, zc)),
    ]
    parts = [
        Structure(label, "cortical", Cylinder((0.0, yc), (rx, ry), (lv.z0, lv.z1))),
        Structure(
            None,
            "cancellous",
            Cylinder((0.0, yc), (rx - shell, ry - shell), (lv.z0 + shell, lv.z1 - shell)),
            frozenset({"cortical"}),
        ),
    ]
    parts += [Structure(label, "cortical", Capsule(a, b, arch_r, arch_r * 0.8)) for a, b in ends]
    return parts


# How far round the chest each rib reaches (radians from the back, pi = the front midline) and how
# far it drops from its vertebra to its front end (mm).
RIB_REACH = (0.78, 0.84, 0.86, 0.87, 0.87, 0.86, 0.85, 0.80, 0.75, 0.70, 0.55, 0.42)
RIB_DROP = (25.0, 55.0, 75.0, 90.0, 100.0, 105.0, 105.0, 100.0, 90.0, 80.0, 55.0, 35.0)
# Half-width (mm, reference frame) of the rib cage's mid-wall line by height: narrow at the inlet.
CAGE_Z = (380.0, 480.0, 600.0, 660.0, 720.0)
CAGE_HALF_WIDTH = (140.0, 146.0, 140.0, 115.0, 70.0)


def rib_cage(frame: Frame, jit: Jitter) -> list[Structure]:
    """Twelve pairs of ribs arcing from the transverse processes round the wall, the sternum in
    front and costal cartilages joining the true ribs to it."""
    parts: list[Structure] = []
    thoracic = {lv.name: lv for lv in levels(frame) if lv.name.startswith("T")}
    sternum_y = _wall_y(frame, frame.z(540.0), anterior=True)
    for k in range(1, 13):
        lv = thoracic[f"T{k}"]
        for side, sign in (("right", -1.0), ("left", 1.0)):
            path = _rib_path(frame, lv, k, sign, jit)
            rib = Tube(path, tuple(5.0 * frame.sxy for _ in path))
            core = Tube(path, tuple(2.8 * frame.sxy for _ in path))
            parts += [Structure(f"{side} rib {k}", "cortical", seg, RIB_SPACE) for seg in rib.segments()]
            parts += [Structure(None, "cancellous", seg, frozenset({"cortical"})) for seg in core.segments()]
            if k <= 10:
                end = path[-1]
                joint = (sign * 14.0 * frame.sxy, sternum_y, min(end[2], frame.z(470.0)) if k > 7 else end[2])
                parts.append(Structure("costal cartilages", "cartilage", Capsule(end, joint, 4.0, 4.0), RIB_SPACE))
    top, bottom = frame.z(640.0), frame.z(450.0)
    for dx in (-8.0, 8.0):
        bar = Capsule((dx * frame.sxy, _wall_y(frame, top, True), top), (dx * frame.sxy, sternum_y, bottom), 8.0, 7.0)
        parts.append(Structure("sternum", "cancellous", bar, RIB_SPACE | {"cancellous"}))
    return parts


RIB_SPACE = frozenset({"muscle", "fat", "visceral", "lung", "cartilage"})


def _wall_y(frame: Frame, z: float, anterior: bool) -> float:
    """y of the middle of the muscle wall at height z, in front (anterior) or behind."""
    zs, _, ds, cs = zip(*SECTION_KNOTS, strict=True)
    depth = float(np.interp(z / frame.sz, zs, ds)) * frame.sxy - 7.0
    centre = float(np.interp(z / frame.sz, zs, cs)) * frame.sxy
    return centre - depth if anterior else centre + depth


def _rib_path(frame: Frame, lv: Level, k: int, sign: float, jit: Jitter) -> tuple[Vec3, ...]:
    zs, _, ds, cs = zip(*SECTION_KNOTS, strict=True)
    start = (sign * (lv.rx + 16.0 * frame.sxy), lv.canal_y, lv.zc)
    theta0, theta1 = 0.3, RIB_REACH[k - 1] * np.pi
    drop = RIB_DROP[k - 1] * frame.sz * jit.factor(0.05)
    points = [start]
    for t in np.linspace(0.0, 1.0, 9):
        theta = theta0 + (theta1 - theta0) * t
        z = lv.zc - drop * t**1.3
        half_width = float(np.interp(z / frame.sz, CAGE_Z, CAGE_HALF_WIDTH)) * frame.sxy
        depth = float(np.interp(z / frame.sz, zs, ds)) * frame.sxy - 7.0
        centre = float(np.interp(z / frame.sz, zs, cs)) * frame.sxy
        sin, cos = np.sin(theta), np.cos(theta)
        x = sign * half_width * np.abs(sin) ** (2 / 2.4)
        y = centre + depth * np.sign(cos) * np.abs(cos) ** (2 / 2.4)
        points.append((float(x), float(y), float(z)))
    return tuple(points)


def autochthon(frame: Frame, jit: Jitter, canal: list[Vec3]) -> list[Structure]:
    """The erector spinae columns either side of the spinous processes."""
    parts = []
    for side, sign in (("right", -1.0), ("left", 1.0)):
        points = tuple(jit.point((sign * 38.0 * frame.sxy, q[1] + 22.0 * frame.sxy, q[2]), 1.5) for q in canal)
        radii = tuple(float(np.interp(q[2], (200.0, 400.0, 700.0), (30.0, 24.0, 16.0))) * frame.sxy for q in canal)
        muscle = Tube(points, radii)
        parts += [
            Structure(f"{side} autochthon", "muscle", seg, frozenset({"muscle", "fat", "visceral"}))
            for seg in muscle.segments()
        ]
    return parts
