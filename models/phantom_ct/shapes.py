"""Implicit solids in patient millimetres, rasterised only inside their bounding boxes.

Patient frame (DICOM LPS): +x towards the patient's left, +y posterior, +z superior. Volumes are
indexed [z, y, x] with the same directions, so an axial slice plotted with row 0 at the top is in
the radiological convention (anterior up, patient's left on the viewer's right).

Each solid answers `bbox()` (min and max corner, x-y-z mm) and `inside(x, y, z)`, where the three
coordinate arrays broadcast against each other ((1,1,nx), (1,ny,1), (nz,1,1)). Separable terms stay
cheap that way: a body cross-section over a whole volume costs one add and one compare per voxel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

Vec3 = tuple[float, float, float]
Box = tuple[np.ndarray, np.ndarray]


class Solid(Protocol):
    def bbox(self) -> Box: ...

    def inside(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Grid:
    """Voxel-centre coordinates of an output volume in patient millimetres."""

    shape: tuple[int, int, int]  # z, y, x
    spacing: Vec3  # z, y, x
    origin: Vec3  # x, y, z of voxel [0, 0, 0]

    def axis(self, dim: int) -> np.ndarray:
        """Coordinates along array dimension `dim` (0 = z, 1 = y, 2 = x)."""
        start = self.origin[2 - dim]
        return (start + self.spacing[dim] * np.arange(self.shape[dim])).astype(np.float32)

    def window(self, box: Box) -> tuple[tuple[slice, slice, slice], np.ndarray, np.ndarray, np.ndarray] | None:
        """Index window covering `box`, and its broadcastable x, y, z coordinates; None if outside."""
        lo, hi = box
        slices = []
        for dim in range(3):
            axis_lo, axis_hi = lo[2 - dim], hi[2 - dim]
            first = int(np.floor((axis_lo - self.origin[2 - dim]) / self.spacing[dim]))
            last = int(np.ceil((axis_hi - self.origin[2 - dim]) / self.spacing[dim])) + 1
            first, last = max(first, 0), min(last, self.shape[dim])
            if first >= last:
                return None
            slices.append(slice(first, last))
        z = self.axis(0)[slices[0]][:, None, None]
        y = self.axis(1)[slices[1]][None, :, None]
        x = self.axis(2)[slices[2]][None, None, :]
        return (slices[0], slices[1], slices[2]), x, y, z


def rotation(angles_deg: Vec3) -> np.ndarray:
    """Rotation matrix from intrinsic x, y, z angles in degrees."""
    ax, ay, az = np.deg2rad(angles_deg)
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


def _fibonacci_sphere(n: int) -> np.ndarray:
    k = np.arange(n) + 0.5
    polar = np.arccos(1 - 2 * k / n)
    azimuth = np.pi * (1 + 5**0.5) * k
    return np.stack([np.cos(azimuth) * np.sin(polar), np.sin(azimuth) * np.sin(polar), np.cos(polar)])


_SPHERE = _fibonacci_sphere(2000)


@dataclass(frozen=True)
class Blob:
    """An ellipsoid whose surface is bent by a smooth polynomial of the direction.

    Inside where |q| < 1 + f(q/|q|), q being the point in the ellipsoid's own unit frame and f a
    linear plus quadratic form (`bend`: 3 linear then 6 quadratic coefficients, small). Linear
    terms make eggs, quadratic ones beans and saddles: smooth, organ-like variation of shape.
    """

    center: Vec3
    radii: Vec3
    angles_deg: Vec3 = (0.0, 0.0, 0.0)
    bend: tuple[float, ...] = ()

    def bbox(self) -> Box:
        # Axis-aligned extent of the rotated ellipsoid, grown by the largest possible bend.
        scaled = rotation(self.angles_deg) * np.asarray(self.radii)[None, :]
        reach = np.sqrt((scaled**2).sum(axis=1)) * (1.0 + self._max_bend())
        c = np.asarray(self.center)
        return c - reach, c + reach

    def inside(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        r = rotation(self.angles_deg).astype(np.float32)
        d = (x - self.center[0], y - self.center[1], z - self.center[2])
        q = [(r[0, i] * d[0] + r[1, i] * d[1] + r[2, i] * d[2]) / self.radii[i] for i in range(3)]
        rho2 = q[0] ** 2 + q[1] ** 2 + q[2] ** 2
        reach = self._max_bend()
        if reach == 0.0:
            return rho2 < 1.0
        # Only a thin band around the unit sphere can be moved by the bend: evaluate it there.
        mask = rho2 < (1.0 - reach) ** 2
        band = ~mask & (rho2 < (1.0 + reach) ** 2)
        qb = [qi[band] for qi in q]
        rho = np.sqrt(rho2[band]) + np.float32(1e-6)
        mask[band] = rho < 1.0 + self._bend([qi / rho for qi in qb])
        return mask

    def _max_bend(self) -> float:
        """Largest |bend| over the sphere (a smooth quadratic, so a dense direction sample plus a
        small margin bounds it), capped so the body never turns inside out."""
        if not self.bend:
            return 0.0
        u = list(_SPHERE)
        return float(min(np.abs(self._bend(u)).max() + 0.02, 0.9))

    def _bend(self, u: list[np.ndarray]) -> np.ndarray:
        b = self.bend
        linear = b[0] * u[0] + b[1] * u[1] + b[2] * u[2]
        quad = b[3] * u[0] * u[1] + b[4] * u[1] * u[2] + b[5] * u[0] * u[2]
        quad = quad + b[6] * (u[0] ** 2 - u[1] ** 2) + b[7] * (u[1] ** 2 - u[2] ** 2) + b[8] * (u[2] ** 2 - u[0] ** 2)
        return linear + quad


@dataclass(frozen=True)
class Tube:
    """A tube of radius varying linearly along a polyline (vessels, cord, airway)."""

    points: tuple[Vec3, ...]
    radii: tuple[float, ...]

    def bbox(self) -> Box:
        p = np.asarray(self.points)
        r = max(self.radii)
        return p.min(axis=0) - r, p.max(axis=0) + r

    def segments(self) -> list[Capsule]:
        return [
            Capsule(self.points[i], self.points[i + 1], self.radii[i], self.radii[i + 1])
            for i in range(len(self.points) - 1)
        ]


@dataclass(frozen=True)
class Capsule:
    """One segment of a `Tube`: a cone with rounded ends."""

    a: Vec3
    b: Vec3
    ra: float
    rb: float

    def bbox(self) -> Box:
        p = np.asarray([self.a, self.b])
        r = max(self.ra, self.rb)
        return p.min(axis=0) - r, p.max(axis=0) + r

    def inside(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        d = np.subtract(self.b, self.a)
        length2 = float(d @ d) or 1e-6
        px, py, pz = x - self.a[0], y - self.a[1], z - self.a[2]
        t = np.clip((px * d[0] + py * d[1] + pz * d[2]) / length2, 0.0, 1.0)
        dist2 = (px - t * d[0]) ** 2 + (py - t * d[1]) ** 2 + (pz - t * d[2]) ** 2
        radius = self.ra + (self.rb - self.ra) * t
        return dist2 < radius**2


@dataclass(frozen=True)
class Prism:
    """A stack of superellipses: cross-section semi-axes interpolated along z.

    `z_knots` are increasing heights; `half_widths` (x) and `half_depths` (y) are the semi-axes at
    each knot; `center_y` shifts the section posteriorly (per knot). Outside the knots: nothing.
    """

    z_knots: tuple[float, ...]
    half_widths: tuple[float, ...]
    half_depths: tuple[float, ...]
    center_y: tuple[float, ...]
    power: float = 2.0

    def bbox(self) -> Box:
        lo = np.array([-max(self.half_widths), min(np.subtract(self.center_y, self.half_depths)), self.z_knots[0]])
        hi = np.array([max(self.half_widths), max(np.add(self.center_y, self.half_depths)), self.z_knots[-1]])
        return lo, hi

    def inside(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        zf = z.ravel()
        a = np.interp(zf, self.z_knots, self.half_widths).astype(np.float32).reshape(z.shape)
        b = np.interp(zf, self.z_knots, self.half_depths).astype(np.float32).reshape(z.shape)
        cy = np.interp(zf, self.z_knots, self.center_y).astype(np.float32).reshape(z.shape)
        in_z = (z >= self.z_knots[0]) & (z <= self.z_knots[-1])
        a, b = np.maximum(a, 1e-3), np.maximum(b, 1e-3)
        return (np.abs(x / a) ** self.power + np.abs((y - cy) / b) ** self.power < 1.0) & in_z


@dataclass(frozen=True)
class Clipped:
    """`solid` cut by the diaphragm (keep `below` or `above` it, `margin` mm apart) and/or a plane.

    The plane keeps the side where normal . (p - point) < 0.
    """

    solid: Solid
    below: Dome | None = None
    above: Dome | None = None
    margin: float = 0.0
    plane_point: Vec3 | None = None
    plane_normal: Vec3 | None = None

    def bbox(self) -> Box:
        return self.solid.bbox()

    def inside(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        mask = self.solid.inside(x, y, z)
        if self.below is not None:
            mask &= z < self.below.height(x, y) - self.margin
        if self.above is not None:
            mask &= z > self.above.height(x, y) + self.margin
        if self.plane_point is not None and self.plane_normal is not None:
            mask &= half_space(self.plane_point, self.plane_normal, x, y, z)
        return mask


@dataclass(frozen=True)
class Carved:
    """`solid` with `hollow` taken out: a concave face (the spleen's visceral surface)."""

    solid: Solid
    hollow: Solid

    def bbox(self) -> Box:
        return self.solid.bbox()

    def inside(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        return self.solid.inside(x, y, z) & ~self.hollow.inside(x, y, z)


@dataclass(frozen=True)
class Swept:
    """`solid` swept `depth_mm` along the unit vector `direction`: every point it covers as it
    slides that far, so its face turned that way is pushed out to fill a gap (an organ's face
    pressed against the wall; painted only into the cavity, the sweep stops where the wall begins).
    Sampled every `step_mm` mm, which leaves ridges far under a voxel on a smooth solid."""

    solid: Solid
    direction: Vec3
    depth_mm: float
    step_mm: float = 2.0

    def bbox(self) -> Box:
        lo, hi = self.solid.bbox()
        shift = self.depth_mm * np.asarray(self.direction)
        return np.minimum(lo, lo + shift), np.maximum(hi, hi + shift)

    def inside(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        ux, uy, uz = self.direction
        mask = self.solid.inside(x, y, z)
        steps = int(np.ceil(self.depth_mm / self.step_mm))
        for t in np.linspace(0.0, self.depth_mm, steps + 1)[1:]:  # none when depth_mm is 0
            mask = mask | self.solid.inside(x - t * ux, y - t * uy, z - t * uz)
        return mask


@dataclass(frozen=True)
class Inset:
    """The part of `solid` more than `depth_mm` inside its surface, measured on the painted grid
    (a lumen inside its wall): a solid thinner than twice the depth has none. The grid's edge is not
    a surface, so a solid cut by the field of view keeps its inside there."""

    solid: Solid
    depth_mm: float

    def bbox(self) -> Box:
        return self.solid.bbox()

    def inside(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        from scipy import ndimage

        from models.phantom_ct.fields import axis_step

        axes = (z.ravel(), y.ravel(), x.ravel())
        mask = np.broadcast_to(self.solid.inside(x, y, z), tuple(a.size for a in axes))
        spacing = [axis_step(a) for a in axes]
        # The distance to the nearest voxel outside; the surface lies about half a voxel nearer.
        depth = ndimage.distance_transform_edt(np.pad(mask, 1, mode="edge"), sampling=spacing)
        return depth[1:-1, 1:-1, 1:-1] > self.depth_mm + 0.5 * min(spacing)


def half_space(point: Vec3, normal: Vec3, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """True where normal . (p - point) < 0."""
    n = normal
    return n[0] * (x - point[0]) + n[1] * (y - point[1]) + n[2] * (z - point[2]) < 0


@dataclass(frozen=True)
class Dome:
    """One hemidiaphragm pair: z of the diaphragm surface at (x, y), two paraboloid domes."""

    right_top: float  # z of the right dome's apex (the liver side, x < 0)
    left_top: float
    right_x: float
    left_x: float
    curvature: float  # mm of drop per mm^2 of distance from the apex
    apex_y: float

    def height(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        r2_right = (x - self.right_x) ** 2 + (y - self.apex_y) ** 2
        r2_left = (x - self.left_x) ** 2 + (y - self.apex_y) ** 2
        right = self.right_top - self.curvature * r2_right
        left = self.left_top - self.curvature * r2_left
        return np.maximum(right, left)


@dataclass(frozen=True)
class Cylinder:
    """An elliptic cylinder along z (vertebral bodies: flat end plates)."""

    center_xy: tuple[float, float]
    radii_xy: tuple[float, float]
    z_range: tuple[float, float]

    def bbox(self) -> Box:
        (cx, cy), (rx, ry) = self.center_xy, self.radii_xy
        return np.array([cx - rx, cy - ry, self.z_range[0]]), np.array([cx + rx, cy + ry, self.z_range[1]])

    def inside(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        (cx, cy), (rx, ry) = self.center_xy, self.radii_xy
        in_z = (z >= self.z_range[0]) & (z < self.z_range[1])
        return (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 < 1.0) & in_z


@dataclass(frozen=True)
class FieldSolid:
    """Where a smooth random field exceeds `threshold` inside `region`: loops of bowel, pockets of
    gas. The field is seeded per structure and made over the painted window, so it is fixed by the
    study's seed and grid."""

    region: Solid
    seed: int
    sigma_mm: float
    threshold: float

    def bbox(self) -> Box:
        return self.region.bbox()

    def inside(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        from models.phantom_ct.fields import field_on

        mask = self.region.inside(x, y, z)
        return mask & (field_on(x, y, z, self.sigma_mm, self.seed) > self.threshold)


@dataclass(frozen=True)
class Plate:
    """A flat triangular plate of half-thickness `half` (flat bones: the iliac wing)."""

    a: Vec3
    b: Vec3
    c: Vec3
    half: float

    def bbox(self) -> Box:
        p = np.asarray([self.a, self.b, self.c])
        return p.min(axis=0) - self.half, p.max(axis=0) + self.half

    def inside(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        a, b, c = (np.asarray(v, dtype=np.float64) for v in (self.a, self.b, self.c))
        u, v = b - a, c - a
        n = np.cross(u, v)
        n /= np.linalg.norm(n) or 1.0
        d = (x - a[0], y - a[1], z - a[2])
        near = np.abs(n[0] * d[0] + n[1] * d[1] + n[2] * d[2]) < self.half
        # Barycentric coordinates of the point's projection onto the plane.
        uu, uv, vv = u @ u, u @ v, v @ v
        du = u[0] * d[0] + u[1] * d[1] + u[2] * d[2]
        dv = v[0] * d[0] + v[1] * d[1] + v[2] * d[2]
        det = uu * vv - uv * uv or 1e-9
        s = (vv * du - uv * dv) / det
        t = (uu * dv - uv * du) / det
        return near & (s >= 0) & (t >= 0) & (s + t <= 1)
