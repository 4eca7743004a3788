import numpy as np
import pytest

from models.phantom_ct.shapes import Blob, Capsule, Clipped, Cylinder, FieldSolid, Grid, Inset, Plate, Prism, Swept

GRID = Grid(shape=(60, 60, 60), spacing=(2.0, 2.0, 2.0), origin=(-59.0, -59.0, -59.0))


def everywhere(solid):
    z = GRID.axis(0)[:, None, None]
    y = GRID.axis(1)[None, :, None]
    x = GRID.axis(2)[None, None, :]
    return solid.inside(x, y, z), x, y, z


@pytest.mark.parametrize(
    "solid",
    [
        Blob((5.0, -3.0, 2.0), (20.0, 12.0, 30.0), (10.0, 25.0, -40.0), tuple([0.08] * 9)),
        Capsule((-20.0, 0.0, -20.0), (25.0, 10.0, 30.0), 8.0, 4.0),
        Cylinder((3.0, 4.0), (15.0, 10.0), (-10.0, 25.0)),
        Plate((-30.0, 0.0, -20.0), (30.0, 10.0, -10.0), (0.0, -5.0, 40.0), 4.0),
        Prism((-40.0, 0.0, 40.0), (30.0, 40.0, 20.0), (20.0, 25.0, 15.0), (0.0, 5.0, 0.0), 2.4),
        Swept(Blob((-5.0, 0.0, 0.0), (12.0, 20.0, 25.0), (0.0, 0.0, 30.0)), (0.6, -0.8, 0.0), 20.0),
    ],
)
def test_every_inside_voxel_lies_in_the_bounding_box(solid):
    mask, *_ = everywhere(solid)
    assert mask.any()
    lo, hi = solid.bbox()
    zz, yy, xx = np.nonzero(mask)
    assert lo[0] <= GRID.axis(2)[xx].min() and GRID.axis(2)[xx].max() <= hi[0]
    assert lo[1] <= GRID.axis(1)[yy].min() and GRID.axis(1)[yy].max() <= hi[1]
    assert lo[2] <= GRID.axis(0)[zz].min() and GRID.axis(0)[zz].max() <= hi[2]


def test_blob_without_bend_is_its_ellipsoid():
    blob = Blob((0.0, 0.0, 0.0), (20.0, 10.0, 30.0))
    mask, x, y, z = everywhere(blob)
    expected = (x / 20.0) ** 2 + (y / 10.0) ** 2 + (z / 30.0) ** 2 < 1
    assert np.array_equal(mask, expected)
    volume = mask.sum() * 8.0
    assert abs(volume - 4 / 3 * np.pi * 20 * 10 * 30) / volume < 0.05


def test_plate_is_thin_and_triangular():
    plate = Plate((-30.0, 0.0, -30.0), (30.0, 0.0, -30.0), (0.0, 0.0, 40.0), 3.0)
    mask, *_ = everywhere(plate)
    assert set(np.nonzero(mask)[1].tolist()) == {29, 30}  # |y| < 3 mm: the voxel layers at y = -1, +1
    area = mask.sum() * 8.0 / 4.0  # two 2-mm layers
    assert abs(area - 0.5 * 60 * 70) / area < 0.15


def test_clipping_keeps_one_side():
    half = Clipped(Blob((0.0, 0.0, 0.0), (30.0, 30.0, 30.0)), plane_point=(0.0, 0.0, 0.0), plane_normal=(1.0, 0.0, 0.0))
    mask, x, *_ = everywhere(half)
    assert mask.any() and np.all(np.broadcast_to(x, mask.shape)[mask] < 0)


def test_field_solid_is_fixed_by_its_seed():
    region = Blob((0.0, 0.0, 0.0), (40.0, 40.0, 40.0))
    a, *_ = everywhere(FieldSolid(region, seed=3, sigma_mm=6.0, threshold=0.3))
    b, *_ = everywhere(FieldSolid(region, seed=3, sigma_mm=6.0, threshold=0.3))
    c, *_ = everywhere(FieldSolid(region, seed=4, sigma_mm=6.0, threshold=0.3))
    inside, *_ = everywhere(region)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert 0.2 < a.sum() / inside.sum() < 0.6  # a threshold of 0.3 sigma keeps about 38 %


def test_inset_is_the_solid_a_wall_thickness_in():
    """A tube of radius 12 mm inset by 3 mm is the tube of radius 9 mm (the bowel's lumen in its
    wall), to a voxel; a tube thinner than the wall has no inside."""
    tube = Capsule((0.0, 0.0, -40.0), (0.0, 0.0, 40.0), 12.0, 12.0)
    lumen, x, y, z = everywhere(Inset(tube, 3.0))
    outer, *_ = everywhere(tube)
    assert lumen.any() and not (lumen & ~outer).any()
    radius = np.hypot(np.broadcast_to(x, lumen.shape), np.broadcast_to(y, lumen.shape))
    middle = np.abs(np.broadcast_to(z, lumen.shape)) < 20  # away from the end caps
    assert radius[lumen & middle].max() <= 9.0 + 2.0 and radius[outer & middle & ~lumen].min() >= 9.0 - 2.0
    thin, *_ = everywhere(Inset(Capsule((0.0, 0.0, -40.0), (0.0, 0.0, 40.0), 2.5, 2.5), 3.0))
    assert not thin.any()


def test_a_swept_solid_is_its_solid_slid_along_the_direction():
    """A sphere of radius 10 swept 20 mm along +x is the capsule from its centre to 20 mm on: its
    face turned that way pushed out, the face behind it where it was."""
    sphere = Blob((-10.0, 0.0, 0.0), (10.0, 10.0, 10.0))
    swept, x, *_ = everywhere(Swept(sphere, (1.0, 0.0, 0.0), 20.0))
    capsule, *_ = everywhere(Capsule((-10.0, 0.0, 0.0), (10.0, 0.0, 0.0), 10.0, 10.0))
    assert np.array_equal(swept, capsule)
    original, *_ = everywhere(sphere)
    assert not (original & ~swept).any()
    reach = np.broadcast_to(x, swept.shape)[swept]
    assert reach.max() == 19.0 and reach.min() == -19.0
