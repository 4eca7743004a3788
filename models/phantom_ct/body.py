"""The patient: sampled body description, the reference frame, and the body wall.

Reference geometry is an adult male torso in patient millimetres (LPS, see `shapes`), z = 0 at
the pubic symphysis. A study scales it by its frame (`frame_scale`, x-y) and stature
(`height_scale`, z); organs take their own size from `organ_scale` (sex, age, individual spread),
not from the frame, so habitus changes fat, not livers. Every organ then gets a smooth random
offset, size, tilt and surface bend from the render stream (`Jitter`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.phantom_ct import reference
from models.phantom_ct.shapes import Blob, Capsule, Dome, Prism, Solid, Tube, Vec3

CAVITY = frozenset({"visceral"})
SOFT = frozenset({"visceral", "fat", "muscle", "lung", "bowel_wall", "bowel_fluid", "colon_content"})


@dataclass(frozen=True)
class Structure:
    label: str | None  # MAISI label name; None keeps whatever label is already there
    tissue: str
    solid: Solid
    within: frozenset[str] | None = None  # paint only over these tissues (None: anywhere)
    on_label: str | None = None  # paint only over voxels that currently carry this label


@dataclass(frozen=True)
class Body:
    """The sampled, steerable description of one patient (lengths in mm)."""

    sex: str
    age: float
    frame_scale: float
    height_scale: float
    fat_mm: float  # subcutaneous fat thickness
    visceral_fat: float  # 0..1: share of the abdominal cavity that is fat rather than bowel
    organ_scale: dict[str, float]  # linear size factors
    inspiration: float  # 0 = expiration, 1 = deep inspiration
    stomach_gas: float  # fraction of the stomach lumen filled with gas
    bladder_fill: float  # 0..1
    lesions: tuple[dict, ...] = ()


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

    def seed(self) -> int:
        return int(self.rng.integers(2**31))


class Frame:
    """Maps reference coordinates to this body's (frame in x-y, stature in z)."""

    def __init__(self, body: Body) -> None:
        self.sxy = body.frame_scale
        self.sz = body.height_scale
        self.body = body

    def p(self, x: float, y: float, z: float) -> Vec3:
        return (x * self.sxy, y * self.sxy, z * self.sz)

    def r(self, rx: float, ry: float, rz: float, scale: float = 1.0) -> Vec3:
        """Organ radii: sized by the organ's own scale (and stature for z), not by the frame."""
        return (rx * scale, ry * scale, rz * scale * self.sz)

    def z(self, z: float) -> float:
        return z * self.sz


def organ(frame: Frame, jit: Jitter, center: Vec3, radii: Vec3, scale: float, angles: Vec3, bend: float) -> Blob:
    """A solid organ at its reference place and size, moved, scaled, tilted and bent for this study."""
    return Blob(jit.point(frame.p(*center)), frame.r(*radii, scale), jit.angles(angles), jit.bend(bend))


def tube(frame: Frame, jit: Jitter, path: Sequence[Vec3], radii: Sequence[float], wander: float = 2.5) -> list[Capsule]:
    """A vessel or duct along reference `path`, each point nudged by up to ~`wander` mm."""
    points = tuple(jit.point(frame.p(*q), wander) for q in path)
    return Tube(points, tuple(radii)).segments()


def placed(frame: Frame, jit: Jitter, name: str, scale: float = 1.0) -> Blob:
    """The reference anatomy's organ `name` (`reference.organ`), placed for this study."""
    o = reference.organ(name)
    return organ(frame, jit, o.centre_mm, o.radii_mm, scale, o.angles_deg, o.bend)


def vessel(frame: Frame, jit: Jitter, name: str) -> list[Capsule]:
    """The reference anatomy's tube `name` (`reference.path`: a vessel, duct, bowel or muscle)."""
    p = reference.path(name)
    return tube(frame, jit, p.points_mm, p.radii_mm, p.wander_mm)


def paint_tube(
    label: str | None, tissue: str, segments: list[Capsule], within: frozenset[str] | None = None
) -> list[Structure]:
    return [Structure(label, tissue, segment, within) for segment in segments]


# Fat-free torso cross-section (z, half-width, half-depth, centre y): thigh roots to thoracic inlet.
SECTION_KNOTS = reference.table("section")
WALL_MM = 14.0
# The abdominopelvic cavity (z, half-width, half-depth, centre y): in the abdomen the wall's
# inner face; in the pelvis it narrows between the iliac wings to the true pelvis, the space
# outside it filled by the pelvic and gluteal muscles.
CAVITY_KNOTS = reference.table("cavity")


def section(frame: Frame, grow_mm: float, knots: tuple = SECTION_KNOTS) -> Prism:
    zs, ws, ds, cs = zip(*knots, strict=True)
    return Prism(
        z_knots=tuple(frame.z(z) for z in zs),
        half_widths=tuple(max(w * frame.sxy + grow_mm, 1.0) for w in ws),
        half_depths=tuple(max(d * frame.sxy + grow_mm, 1.0) for d in ds),
        center_y=tuple(c * frame.sxy for c in cs),
        power=2.4,
    )


def wall_point(frame: Frame, z: float, theta: float, inset: float = WALL_MM / 2) -> tuple[float, float]:
    """(x, y) on the mid-line of the muscle wall at height z, `theta` radians from the back
    (0: behind, pi/2: patient's left side, pi: front)."""
    zs, ws, ds, cs = zip(*SECTION_KNOTS, strict=True)
    a = float(np.interp(z / frame.sz, zs, ws)) * frame.sxy - inset
    b = float(np.interp(z / frame.sz, zs, ds)) * frame.sxy - inset
    c = float(np.interp(z / frame.sz, zs, cs)) * frame.sxy
    sin, cos = np.sin(theta), np.cos(theta)
    return float(a * np.sign(sin) * abs(sin) ** (2 / 2.4)), float(c + b * np.sign(cos) * abs(cos) ** (2 / 2.4))


def body_wall(body: Body, frame: Frame) -> list[Structure]:
    """Skin, subcutaneous fat, muscle wall and the cavity it encloses (all labelled body)."""
    return [
        Structure("body", "skin", section(frame, body.fat_mm)),
        Structure(None, "fat", section(frame, body.fat_mm - 2.0)),
        Structure(None, "muscle", section(frame, 0.0)),
        Structure(None, "visceral", section(frame, 0.0, CAVITY_KNOTS)),
    ]


def diaphragm(body: Body, frame: Frame, jit: Jitter) -> Dome:
    # Deep inspiration pulls the domes down by ~35 mm relative to full expiration.
    descent = 35.0 * (body.inspiration - 0.5)
    d = reference.landmark("diaphragm")
    return Dome(
        right_top=frame.z(d["right_top_z_mm"]) - descent + jit.rng.normal(0, 6),
        left_top=frame.z(d["left_top_z_mm"]) - descent + jit.rng.normal(0, 6),
        right_x=d["right_x_mm"] * frame.sxy,
        left_x=d["left_x_mm"] * frame.sxy,
        curvature=d["curvature_per_mm"] / frame.sxy,
        apex_y=d["apex_y_mm"] * frame.sxy,
    )
