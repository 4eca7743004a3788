"""The axial skeleton: vertebrae T1 to L5, sacrum, spinal canal and cord, ribs, sternum.

Bones are a cortical shell around a cancellous core. Vertebral bodies are elliptic cylinders with
flat end plates and discs between them; the posterior arch is a ring of capsules (pedicles,
laminae, spinous and transverse processes) around the canal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.phantom_ct.body import SECTION_KNOTS, Frame, Jitter, Structure, wall_point
from models.phantom_ct.shapes import Blob, Capsule, Cylinder, Tube, Vec3

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


def spine(frame: Frame) -> list[Structure]:
    parts: list[Structure] = []
    canal: list[Vec3] = [(0.0, 95.0 * frame.sxy, frame.z(120.0)), (0.0, 80.0 * frame.sxy, frame.z(165.0))]
    for lv in levels(frame):
        parts += vertebra(f"vertebrae {lv.name}", frame, lv)
        parts.append(Structure("body", "disc", Cylinder((0.0, lv.yc), (lv.rx, lv.ry), (lv.disc_z0, lv.z0))))
        canal.append((0.0, lv.canal_y, lv.zc))
    canal_tube = Tube(tuple(canal), tuple(8.0 * frame.sxy for _ in canal))
    cord_points = tuple(q for q in canal if q[2] > frame.z(330.0))  # the cord ends near L1-L2
    cord_tube = Tube(cord_points, tuple(4.5 * frame.sxy for _ in cord_points))
    parts += sacrum(frame)
    parts += [Structure("body", "csf", seg) for seg in canal_tube.segments()]
    parts += [Structure("spinal cord", "cord", seg) for seg in cord_tube.segments()]
    return parts


def bone(label: str, outer: object, inner: object, shell: str = "cortical") -> list[Structure]:
    """A shell of `shell` tissue (`outer`) around a cancellous core (`inner`)."""
    return [
        Structure(label, shell, outer),  # type: ignore[arg-type]
        Structure(None, "cancellous", inner, frozenset({shell})),  # type: ignore[arg-type]
    ]


def vertebra(label: str, frame: Frame, lv: Level) -> list[Structure]:
    """Body and posterior arch, each a thin shell (`vertebral_cortex`) round a cancellous core.

    The arch rings the canal (about 16 mm across, centred 11 mm behind the body): a
    pedicle from each posterolateral corner of the body back past the canal, a lamina from each
    pedicle to the spinous process's base behind the canal, the spinous process running back, and a
    transverse process out from each pedicle-lamina junction, angled slightly back. Each element is
    a plate: a stack of bars spanning its share of the body's height (pedicles about half of it,
    laminae and the spinous process most of it, transverse processes a third), so the arch shows in
    most axial slices, as in a real spine, not in a thin band at mid-height.
    Lumbar morphometry (interpedicular distance about 22-26 mm, canal 15-18 mm deep) as in Gray's
    Anatomy; the thoracic arches take the same shape at their smaller body size."""
    zc, yc, rx, ry = lv.zc, lv.yc, lv.rx, lv.ry
    s = frame.sxy
    shell = 1.5
    side_x = 12.5 * s  # pedicle axis, either side of the midline
    joint_y = lv.canal_y + 2.0 * s  # where pedicle, lamina and transverse process meet
    spine_y = lv.canal_y + 13.0 * s  # the spinous process's base, behind the canal
    height = lv.z1 - lv.z0
    arch = []  # (from, to, radius, share of the body's height the element spans)
    for sign in (-1.0, 1.0):
        corner = (sign * side_x * 0.9, yc + ry * 0.55)
        joint = (sign * side_x, joint_y)
        arch += [
            (corner, joint, 4.5 * s, 0.55),  # pedicle
            (joint, (sign * 3.0 * s, spine_y), 3.5 * s, 0.8),  # lamina
            (joint, (sign * (rx + 22.0 * s), joint_y + 6.0 * s), 3.0 * s, 0.35),  # transverse process
        ]
    arch.append(((0.0, spine_y), (0.0, spine_y + 26.0 * s), 3.5 * s, 0.9))  # spinous process
    parts = bone(
        label,
        Cylinder((0.0, yc), (rx, ry), (lv.z0, lv.z1)),
        Cylinder((0.0, yc), (rx - shell, ry - shell), (lv.z0 + shell, lv.z1 - shell)),
        "vertebral_cortex",
    )
    for (ax, ay), (bx, by), r, share in arch:
        for dz in np.linspace(-share * height / 2, share * height / 2, max(int(share * height / r) + 1, 2)):
            a, b = (ax, ay, zc + dz), (bx, by, zc + dz)
            parts += bone(label, Capsule(a, b, r, r), Capsule(a, b, r - shell, r - shell), "vertebral_cortex")
    return parts


def sacrum(frame: Frame) -> list[Structure]:
    """Five fused segments curving back and down from S1 to the coccyx, narrowing as they go."""
    parts: list[Structure] = []
    for t in np.linspace(0.0, 1.0, 6):
        z = frame.z(SACRUM_TOP_Z - 12.0 - 105.0 * t)
        y = (52.0 + 55.0 * t**1.5) * frame.sxy
        half_width = (52.0 - 40.0 * t) * frame.sxy
        depth = (17.0 - 7.0 * t) * frame.sxy
        plate = (half_width, depth, 13.0 * frame.sz)
        angles = (-25.0 - 35.0 * t, 0.0, 0.0)  # tilted forward at the top, curling back below
        parts += bone(
            "sacrum", Blob((0.0, y, z), plate, angles), Blob((0.0, y, z), tuple(r - 2.0 for r in plate), angles)
        )  # type: ignore[arg-type]
    return parts


# How far round the chest each rib reaches (radians from the back, pi = the front midline) and how
# far it drops from its vertebra to its front end (mm).
RIB_REACH = (0.78, 0.84, 0.86, 0.87, 0.87, 0.86, 0.85, 0.80, 0.75, 0.70, 0.55, 0.42)
RIB_DROP = (25.0, 55.0, 75.0, 90.0, 100.0, 105.0, 105.0, 100.0, 90.0, 80.0, 55.0, 35.0)
# Half-width (mm, reference frame) of the rib cage's mid-wall line by height: narrow at the inlet.
CAGE_Z = (380.0, 480.0, 600.0, 660.0, 720.0)
CAGE_HALF_WIDTH = (140.0, 146.0, 140.0, 115.0, 70.0)
RIB_SPACE = frozenset({"muscle", "fat", "visceral", "lung", "cartilage"})


def rib_cage(frame: Frame, jit: Jitter) -> list[Structure]:
    """Twelve pairs of ribs arcing from the transverse processes round the wall, the sternum in
    front and costal cartilages joining the true ribs to it."""
    parts: list[Structure] = []
    thoracic = {lv.name: lv for lv in levels(frame) if lv.name.startswith("T")}
    sternum_y = wall_point(frame, frame.z(540.0), np.pi)[1]
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
        bar = Capsule(
            (dx * frame.sxy, wall_point(frame, top, np.pi)[1], top), (dx * frame.sxy, sternum_y, bottom), 8.0, 7.0
        )
        parts.append(Structure("sternum", "cancellous", bar, RIB_SPACE | {"cancellous"}))
    return parts


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
