"""The axial skeleton: vertebrae T1 to L5, sacrum, spinal canal and cord, ribs, sternum.

Bones are a cortical shell around a cancellous core. Vertebral bodies are elliptic cylinders with
flat end plates and discs between them; the posterior arch is a ring of capsules (pedicles,
laminae, spinous and transverse processes) around the canal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.phantom_ct import reference
from models.phantom_ct.body import SECTION_KNOTS, Frame, Jitter, Structure, wall_point
from models.phantom_ct.shapes import Blob, Capsule, Cylinder, Tube, Vec3

# Vertebrae from the sacrum up: (name, body height mm, disc below mm, body radii x, y).
VERTEBRAE = reference.table("vertebrae")
SACRUM_TOP_Z = float(reference.landmark("sacrum_top_z_mm")["value"])
SPINE_Z, SPINE_Y = zip(*reference.table("spine_curve"), strict=True)
ARCH = reference.landmark("vertebral_arch")
CANAL = reference.landmark("spinal_canal")
SACRUM = reference.landmark("sacrum")
RIB = reference.landmark("rib")
STERNUM = reference.landmark("sternum")


def spine_y(z: float) -> float:
    """Vertebral body centre y (mm): lumbar lordosis, thoracic kyphosis."""
    return float(np.interp(z, SPINE_Z, SPINE_Y))


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
        return self.yc + self.ry + ARCH["canal_behind_body_mm"]


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
    canal: list[Vec3] = [(x * frame.sxy, y * frame.sxy, frame.z(z)) for x, y, z in CANAL["sacral_mm"]]
    for lv in levels(frame):
        parts += vertebra(f"vertebrae {lv.name}", frame, lv)
        parts.append(Structure("body", "disc", Cylinder((0.0, lv.yc), (lv.rx, lv.ry), (lv.disc_z0, lv.z0))))
        canal.append((0.0, lv.canal_y, lv.zc))
    canal_tube = Tube(tuple(canal), tuple(CANAL["radius_mm"] * frame.sxy for _ in canal))
    cord_points = tuple(q for q in canal if q[2] > frame.z(CANAL["cord_end_z_mm"]))  # the cord ends near L1-L2
    cord_tube = Tube(cord_points, tuple(CANAL["cord_radius_mm"] * frame.sxy for _ in cord_points))
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
    a, radius, share = ARCH, ARCH["radii_mm"], ARCH["height_share"]
    shell = a["shell_mm"]
    side_x = a["pedicle_x_mm"] * s  # pedicle axis, either side of the midline
    joint_y = lv.canal_y + a["joint_behind_canal_mm"] * s  # where pedicle, lamina and transverse process meet
    spine_y = lv.canal_y + a["spinous_base_behind_canal_mm"] * s  # the spinous process's base, behind the canal
    height = lv.z1 - lv.z0
    arch = []  # (from, to, radius, share of the body's height the element spans)
    for sign in (-1.0, 1.0):
        corner = (sign * side_x * 0.9, yc + ry * 0.55)  # the body's posterolateral corner
        joint = (sign * side_x, joint_y)
        transverse_end = (sign * (rx + a["transverse_beyond_body_mm"] * s), joint_y + a["transverse_back_mm"] * s)
        arch += [
            (corner, joint, radius["pedicle"] * s, share["pedicle"]),
            (joint, (sign * a["lamina_end_x_mm"] * s, spine_y), radius["lamina"] * s, share["lamina"]),
            (joint, transverse_end, radius["transverse"] * s, share["transverse"]),
        ]
    spinous_end = (0.0, spine_y + a["spinous_length_mm"] * s)
    arch.append(((0.0, spine_y), spinous_end, radius["spinous"] * s, share["spinous"]))
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
    sa = SACRUM
    (y0, y1), (w0, w1), (d0, d1), (t0, t1) = sa["y_mm"], sa["half_width_mm"], sa["depth_mm"], sa["tilt_deg"]
    for t in np.linspace(0.0, 1.0, 6):
        z = frame.z(SACRUM_TOP_Z - sa["top_gap_mm"] - sa["length_mm"] * t)
        y = (y0 + y1 * t**1.5) * frame.sxy
        half_width = (w0 - w1 * t) * frame.sxy
        depth = (d0 - d1 * t) * frame.sxy
        plate = (half_width, depth, sa["half_height_mm"] * frame.sz)
        angles = (t0 + t1 * t, 0.0, 0.0)  # tilted forward at the top, curling back below
        core = tuple(r - sa["shell_mm"] for r in plate)
        parts += bone("sacrum", Blob((0.0, y, z), plate, angles), Blob((0.0, y, z), core, angles))  # type: ignore[arg-type]
    return parts


# How far round the chest each rib reaches (radians from the back, pi = the front midline) and how
# far it drops from its vertebra to its front end (mm).
_, RIB_REACH, RIB_DROP = zip(*reference.table("ribs"), strict=True)
# Half-width (mm, reference frame) of the rib cage's mid-wall line by height: narrow at the inlet.
CAGE_Z, CAGE_HALF_WIDTH = zip(*reference.table("rib_cage"), strict=True)
RIB_SPACE = frozenset({"muscle", "fat", "visceral", "lung", "cartilage"})


def rib_cage(frame: Frame, jit: Jitter) -> list[Structure]:
    """Twelve pairs of ribs arcing from the transverse processes round the wall, the sternum in
    front and costal cartilages joining the true ribs to it."""
    parts: list[Structure] = []
    thoracic = {lv.name: lv for lv in levels(frame) if lv.name.startswith("T")}
    st = STERNUM
    sternum_y = wall_point(frame, frame.z(st["costal_z_mm"]), np.pi)[1]
    for k in range(1, 13):
        lv = thoracic[f"T{k}"]
        for side, sign in (("right", -1.0), ("left", 1.0)):
            path = _rib_path(frame, lv, k, sign, jit)
            rib = Tube(path, tuple(RIB["radius_mm"] * frame.sxy for _ in path))
            core = Tube(path, tuple(RIB["core_radius_mm"] * frame.sxy for _ in path))
            parts += [Structure(f"{side} rib {k}", "cortical", seg, RIB_SPACE) for seg in rib.segments()]
            parts += [Structure(None, "cancellous", seg, frozenset({"cortical"})) for seg in core.segments()]
            if k <= 10:
                end = path[-1]
                floor = frame.z(st["false_rib_floor_z_mm"])
                joint = (sign * st["cartilage_x_mm"] * frame.sxy, sternum_y, min(end[2], floor) if k > 7 else end[2])
                cartilage = Capsule(end, joint, st["cartilage_radius_mm"], st["cartilage_radius_mm"])
                parts.append(Structure("costal cartilages", "cartilage", cartilage, RIB_SPACE))
    top, bottom = frame.z(st["top_z_mm"]), frame.z(st["bottom_z_mm"])
    for dx in (-st["bars_x_mm"], st["bars_x_mm"]):
        upper, lower = (dx * frame.sxy, wall_point(frame, top, np.pi)[1], top), (dx * frame.sxy, sternum_y, bottom)
        bar = Capsule(upper, lower, *st["radii_mm"])
        parts.append(Structure("sternum", "cancellous", bar, RIB_SPACE | {"cancellous"}))
    return parts


def _rib_path(frame: Frame, lv: Level, k: int, sign: float, jit: Jitter) -> tuple[Vec3, ...]:
    zs, _, ds, cs = zip(*SECTION_KNOTS, strict=True)
    start = (sign * (lv.rx + RIB["start_beyond_body_mm"] * frame.sxy), lv.canal_y, lv.zc)
    theta0, theta1 = RIB["start_rad"], RIB_REACH[k - 1] * np.pi
    drop = RIB_DROP[k - 1] * frame.sz * jit.factor(0.05)
    points = [start]
    for t in np.linspace(0.0, 1.0, 9):
        theta = theta0 + (theta1 - theta0) * t
        z = lv.zc - drop * t**1.3
        half_width = float(np.interp(z / frame.sz, CAGE_Z, CAGE_HALF_WIDTH)) * frame.sxy
        depth = float(np.interp(z / frame.sz, zs, ds)) * frame.sxy - RIB["inset_mm"]
        centre = float(np.interp(z / frame.sz, zs, cs)) * frame.sxy
        sin, cos = np.sin(theta), np.cos(theta)
        x = sign * half_width * np.abs(sin) ** (2 / 2.4)
        y = centre + depth * np.sign(cos) * np.abs(cos) ** (2 / 2.4)
        points.append((float(x), float(y), float(z)))
    return tuple(points)
