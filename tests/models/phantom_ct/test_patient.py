"""The patient: organs shrink after 50 and are smaller in women, habitus makes fat, each region's
field of view covers its reference extent, and a study made from masks is not redrawn without
them."""

import numpy as np
import pytest

from models.errors import ParamError
from models.labels import maisi_ct_labels
from models.phantom_ct.patient import REGIONS, body_params, draw_anatomy, geometry, grid


def mean_params(n: int = 300, **drawn) -> dict:
    rng = np.random.default_rng(0)
    found = [body_params({"sex": "M", "age": 50.0, "habitus": 0.0, **drawn}, rng) for _ in range(n)]
    organs = {k: float(np.mean([f["organ_scale"][k] for f in found])) for k in found[0]["organ_scale"]}
    return {"organs": organs, **{k: float(np.mean([f[k] for f in found])) for k in ("frame_scale", "fat_mm")}}


def test_organs_are_smaller_in_women_and_after_fifty_and_fat_follows_habitus():
    man, woman, older = mean_params(), mean_params(sex="F"), mean_params(age=80.0)
    assert woman["organs"]["liver"] < man["organs"]["liver"] and woman["frame_scale"] < man["frame_scale"]
    # 0.6 % of liver volume a year for 30 years: linear size (1 - 0.18) ** (1/3) ~ 0.936.
    assert abs(older["organs"]["liver"] / man["organs"]["liver"] - 0.82 ** (1 / 3)) < 0.02
    assert older["organs"]["prostate"] > man["organs"]["prostate"]  # benign growth with age
    assert mean_params(habitus=1.0)["fat_mm"] > man["fat_mm"] + 30


def test_each_region_spans_its_reference_extent():
    body = {"height_scale": 1.0, "frame_scale": 1.0, "fat_mm": 20.0}
    for region, (low, high) in REGIONS.items():
        drawn = {"body_region": region, "slice_mm": None, "inplane_mm": None}
        found = geometry(drawn, body, (64, 128, 128), None, True)
        assert abs(found["spacing_mm"][0] * 64 - (high - low)) < 0.01 * 64
        assert found["z_center_mm"] == round((low + high) / 2, 2)
        assert 300.0 <= found["spacing_mm"][1] * 128 <= 500.0  # field of view across
    chest = geometry({"body_region": "chest", "slice_mm": 3.0, "inplane_mm": 0.8}, body, (64, 128, 128), None, False)
    # 270 mm in 3 mm slices; across, 2 x (165 + 20 mm of fat) x 1.08 = 399.6 mm in 0.8 mm pixels
    assert chest["shape"] == [90, 500, 500] and chest["spacing_mm"] == [3.0, 0.8, 0.8]


def test_the_grid_is_centred_on_the_body_axis():
    g = grid([10, 20, 30], [2.0, 1.0, 1.0], z_center=100.0)
    assert abs(g.axis(2).mean()) < 1e-4 and abs(g.axis(0).mean() - 100.0) < 1e-4


def test_a_study_made_from_masks_needs_the_masks():
    with pytest.raises(ParamError, match=r"^generator\.params\.anatomy: this study was made from masks"):
        draw_anatomy({"anatomy": "masks"}, np.random.default_rng(0), maisi_ct_labels(), None, "phantom_ct")
