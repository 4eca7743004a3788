"""Rasterising and forming the image: the structure painted last wins, `within` and `on_label`
restrict where a structure may paint, structures outside the grid are skipped, and the image is a
function of the tissue map, the HU table and the seed."""

import numpy as np

from models.labels import maisi_ct_labels
from models.phantom_ct.body import Structure
from models.phantom_ct.render import HU_MAX, form_phases, paint
from models.phantom_ct.shapes import Blob, Grid
from models.phantom_ct.tissue import TISSUE_INDEX

LABELS = maisi_ct_labels()
GRID = Grid(shape=(20, 20, 20), spacing=(1.0, 1.0, 1.0), origin=(-9.5, -9.5, -9.5))  # centred on 0


def ball(radius: float, x: float = 0.0) -> Blob:
    return Blob((x, 0.0, 0.0), (radius,) * 3)


def test_the_last_painted_structure_wins_within_its_allowed_tissue():
    structures = [
        Structure("body", "fat", ball(9.0)),
        Structure("liver", "liver", ball(6.0, x=-3.0)),
        Structure("spleen", "spleen", ball(6.0, x=3.0), within=frozenset({"fat"})),  # not over the liver
        Structure(None, "cyst", ball(2.0, x=-3.0), on_label="liver"),  # keeps the liver's label
        Structure("aorta", "aorta", ball(3.0, x=100.0)),  # outside the grid: skipped
    ]
    label, tissue = paint(GRID, structures, LABELS)
    centre = (10, 10, 10)
    liver_point, spleen_point = (10, 10, 6), (10, 10, 15)  # x = -3.5 and x = 5.5 mm
    assert label[liver_point] == LABELS.value("liver") and tissue[liver_point] == TISSUE_INDEX["cyst"]
    assert label[spleen_point] == LABELS.value("spleen")
    assert label[centre] in (LABELS.value("liver"), LABELS.value("spleen"))
    overlap = (label == LABELS.value("spleen")) & (tissue == TISSUE_INDEX["liver"])
    assert not overlap.any()
    assert not (label == LABELS.value("aorta")).any()
    assert label[0, 0, 0] == 0 and tissue[0, 0, 0] == 0


def test_the_image_is_a_function_of_tissue_hu_and_seed():
    tissue = np.full((24, 24, 24), TISSUE_INDEX["fat"], dtype=np.uint8)
    tissue[6:18, 6:18, 6:18] = TISSUE_INDEX["liver"]
    hu = np.zeros(256, dtype=np.float32)
    hu[TISSUE_INDEX["fat"]], hu[TISSUE_INDEX["liver"]] = -100.0, 60.0
    a = form_phases(tissue, [hu], (2.0, 1.0, 1.0), 10.0, np.random.default_rng(1))[0]
    b = form_phases(tissue, [hu], (2.0, 1.0, 1.0), 10.0, np.random.default_rng(1))[0]
    c = form_phases(tissue, [hu], (2.0, 1.0, 1.0), 10.0, np.random.default_rng(2))[0]
    assert a.dtype == np.int16 and np.array_equal(a, b) and not np.array_equal(a, c)
    assert abs(np.median(a[10:14, 10:14, 10:14]) - 60) < 15 and abs(np.median(a[:3, :3, :3]) + 100) < 15
    extreme = hu.copy()
    extreme[TISSUE_INDEX["liver"]] = 10_000.0
    assert form_phases(tissue, [extreme], (1.0, 1.0, 1.0), 0.0, np.random.default_rng(1))[0].max() == HU_MAX


def test_phases_share_the_texture_and_differ_by_their_hu():
    tissue = np.full((16, 16, 16), TISSUE_INDEX["liver"], dtype=np.uint8)
    plain, enhanced = np.zeros(256, np.float32), np.zeros(256, np.float32)
    plain[TISSUE_INDEX["liver"]], enhanced[TISSUE_INDEX["liver"]] = 55.0, 110.0
    first, second = form_phases(tissue, [plain, enhanced], (1.0, 1.0, 1.0), 0.0, np.random.default_rng(0))
    difference = second.astype(np.int32) - first.astype(np.int32)
    assert np.abs(difference - 55).max() <= 1  # same texture, no noise: only the HU moved
