"""phantom_ct against anatomy, published CT figures, and its own promises."""

from functools import cache

import numpy as np
import pytest
import torch
from scipy import ndimage

from models import GeneratorOptions, ParamError, make_spec
from models.base import QC, RENDER_STREAM, study_rng
from models.labels import maisi_ct_labels
from models.phantom_ct import anatomy
from models.phantom_ct.generator import PARAMS
from models.phantom_ct.patient import body as _body
from models.phantom_ct.patient import grid as _grid
from models.phantom_ct.render import form_phases, paint
from models.phantom_ct.tissue import TISSUE_INDEX, sample_phases
from models.registry import create

CPU = torch.device("cpu")
VALUE = {lb.name: lb.value for lb in maisi_ct_labels()}


def generator(shape=(64, 64, 64), **params):
    return create("phantom_ct", GeneratorOptions(shape=shape, params=params))


@cache
def rendered(index: int, shape=(64, 64, 64), **params):
    g = create("phantom_ct", GeneratorOptions(shape=shape, params=dict(params)))
    spec = make_spec(g, 0, index)
    return spec, g.render(spec, CPU)


def cap(index: int, **params):
    """A whole torso (chest, abdomen, pelvis) at about 4-6 mm: every organ in view."""
    return rendered(index, (128, 80, 80), body_region="chest_abdomen_pelvis", **params)


def centroid(label: np.ndarray, name: str) -> np.ndarray:
    return np.argwhere(label == VALUE[name]).mean(axis=0)  # z, y, x


def test_render_is_deterministic():
    _, a = rendered(3)
    g = generator()
    b = g.render(make_spec(g, 0, 3), CPU)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.label, b.label)
    assert not np.array_equal(a.image, rendered(4)[1].image)


def test_at_least_forty_labelled_structures_with_maisi_values():
    _, study = cap(1, lesion_rate=1.0)
    present = {name for name, s in study.measurements.labels.items() if s.voxels > 0 and name != "body"}
    assert len(present) >= 40, sorted(present)
    required = {
        "right lung upper lobe",
        "right lung middle lobe",
        "right lung lower lobe",
        "left lung upper lobe",
        "left lung lower lobe",
        "trachea",
        "heart",
        "aorta",
        "inferior vena cava",
        "superior vena cava",
        "portal vein and splenic vein",
        "liver",
        "hepatic vessel",
        "gallbladder",
        "spleen",
        "pancreas",
        "right kidney",
        "left kidney",
        "right adrenal gland",
        "left adrenal gland",
        "stomach",
        "duodenum",
        "small bowel",
        "colon",
        "bladder",
        "esophagus",
        "spinal cord",
        "sacrum",
        "sternum",
        "left hip",
        "right hip",
        "left femur",
        "right femur",
        "left iliopsoas",
        "right iliopsoas",
        "left autochthon",
        "right autochthon",
        *(f"vertebrae {v}" for v in ("T1", "T6", "T12", "L1", "L5")),
        *(f"{side} rib {k}" for side in ("left", "right") for k in range(2, 10)),
    }
    assert required <= present, sorted(required - present)
    assert set(np.unique(study.label).tolist()) - {0} <= {VALUE[name] for name in VALUE}


def test_organs_lie_inside_the_body():
    """No labelled organ touches the air outside the body (only the body envelope does)."""
    _, study = cap(2)
    outside = study.label == 0
    for name, stats in study.measurements.labels.items():
        if stats.voxels == 0 or name == "body":
            continue
        grown = ndimage.binary_dilation(study.label == VALUE[name])
        assert not (grown & outside).any(), f"{name} touches the outside air"


def test_anatomical_relations():
    """x grows to the patient's left, z upwards (LPS): liver right, spleen left, kidneys either side of
    the spine, lungs and heart above the liver, bladder lowest, vertebrae in order."""
    _, study = cap(3)
    c = {
        name: centroid(study.label, name)
        for name in (
            "liver",
            "spleen",
            "right kidney",
            "left kidney",
            "vertebrae L1",
            "heart",
            "right lung lower lobe",
            "bladder",
            "stomach",
            "vertebrae L5",
            "vertebrae T1",
            "right hip",
            "left hip",
            "trachea",
            "sacrum",
        )
    }
    spine_x = c["vertebrae L1"][2]
    assert c["liver"][2] < spine_x < c["spleen"][2]
    assert c["right kidney"][2] < spine_x < c["left kidney"][2]
    assert c["right hip"][2] < spine_x < c["left hip"][2]
    assert c["heart"][0] > c["liver"][0] and c["right lung lower lobe"][0] > c["liver"][0]
    assert c["bladder"][0] < c["right kidney"][0] < c["liver"][0]
    assert c["vertebrae L5"][0] < c["vertebrae L1"][0] < c["vertebrae T1"][0] < c["trachea"][0] + 10
    assert c["sacrum"][0] < c["vertebrae L5"][0]
    assert c["stomach"][2] > spine_x  # the stomach lies left


def test_non_contrast_hu_inside_published_ranges():
    """Median HU per structure over young adults (bone loses density with age), non-contrast."""
    expected = {
        "liver": (45, 65),
        "spleen": (35, 55),
        "right kidney": (20, 45),
        "left kidney": (20, 45),
        "aorta": (30, 50),
        # muscle at 25-35: from young women's cut-off (mean - 2 SD, 34.3 HU; Derstine 2018) less partial volume
        "left autochthon": (32, 58),
        "right iliopsoas": (32, 58),
        "right lung lower lobe": (-900, -600),
        "left lung upper lobe": (-900, -600),
        "vertebrae L3": (200, 550),  # cortical shell and cancellous core together
        "left rib 6": (500, 1900),
        "left femur": (200, 1900),
    }
    medians: dict[str, list[float]] = {name: [] for name in expected}
    for index in range(3):
        _, study = rendered(
            index,
            (96, 128, 128),
            body_region="chest_abdomen_pelvis",
            contrast="non_contrast",
            age=(25.0, 35.0),
            noise_hu=10.0,
        )
        for name in expected:
            stats = study.measurements.labels[name]
            if stats.voxels > 50:
                medians[name].append(stats.median)
    for name, (lo, hi) in expected.items():
        assert medians[name], name
        assert all(lo <= m <= hi for m in medians[name]), (name, medians[name])


def test_unlabelled_tissues_in_the_image_hold_their_hu():
    """Fat, air and water-like fluids carry no organ label; check them on the tissue map itself."""
    g = generator((96, 128, 128), body_region="abdomen", contrast="non_contrast", noise_hu=10.0)
    spec = make_spec(g, 0, 12)
    p = spec.params
    grid = _grid(p["shape"], p["spacing_mm"], p["z_center_mm"])
    rng = study_rng(spec.seed, RENDER_STREAM)
    _, tissue = paint(grid, anatomy.build(_body(p), rng), g.label_dict)
    hu = sample_phases(("non_contrast",), p["age"], p["sex"], rng)
    image = form_phases(tissue, hu, grid.spacing, 10.0, rng)[0]

    def core(name: str) -> np.ndarray:  # away from the edges, where partial volume mixes tissues
        return ndimage.binary_erosion(tissue == TISSUE_INDEX[name], iterations=1)

    assert -120 <= np.median(image[core("fat")]) <= -90
    # L1 trabecular bone: 226 +- 44 HU under 30, 2.5 HU a year less with age (Jang et al. 2019)
    assert 182 - 2.5 * max(p["age"] - 25, 0) - 20 <= np.median(image[core("cancellous")]) <= 400
    assert 500 <= np.median(image[tissue == TISSUE_INDEX["cortical"]]) <= 1900
    assert np.median(image[tissue == TISSUE_INDEX["air"]]) <= -990
    assert -10 <= np.median(image[tissue == TISSUE_INDEX["stomach_fluid"]]) <= 30


def test_organ_volumes_in_published_adult_ranges():
    """CT volumetry / ICRP 89: liver ~1,400 (F) to 1,700 (M) ml, spleen 120-300, kidney 120-200 each,
    lungs 3-6 L at inspiration. Means per sex, and most individuals inside wide published bounds."""
    volumes: dict[str, dict[str, list[float]]] = {"F": {}, "M": {}}
    for index in range(16):
        spec, study = cap(index, inspiration=(0.8, 1.0))
        stats = study.measurements.labels
        lungs = sum(s.volume_ml for n, s in stats.items() if "lung" in n and "tumor" not in n)
        row = {
            "liver": stats["liver"].volume_ml,
            "spleen": stats["spleen"].volume_ml,
            "kidney": (stats["right kidney"].volume_ml + stats["left kidney"].volume_ml) / 2,
            "lungs": lungs,
        }
        for key, value in row.items():
            volumes[spec.params["sex"]].setdefault(key, []).append(value)
    assert volumes["F"] and volumes["M"]
    assert 1150 <= np.mean(volumes["F"]["liver"]) <= 1650 and 1450 <= np.mean(volumes["M"]["liver"]) <= 2000
    assert np.mean(volumes["F"]["liver"]) < np.mean(volumes["M"]["liver"])
    everyone = {k: volumes["F"][k] + volumes["M"][k] for k in volumes["F"]}
    for key, (lo, hi) in {
        "liver": (900, 2600),
        "spleen": (80, 450),
        "kidney": (90, 260),
        "lungs": (2500, 8000),
    }.items():
        inside = np.mean([(lo <= v <= hi) for v in everyone[key]])
        assert inside >= 0.85, (key, everyone[key])
    assert 3000 <= np.median(everyone["lungs"]) <= 6500


@pytest.mark.parametrize(
    ("param", "low", "high", "measure"),
    [
        (
            "habitus",
            0.0,
            1.0,
            lambda s: np.count_nonzero((s.label == VALUE["body"]) & (s.image < -60) & (s.image > -200)),
        ),
        ("inspiration", 0.0, 1.0, lambda s: sum(v.voxels for n, v in s.measurements.labels.items() if "lung" in n)),
        ("noise_hu", 5.0, 40.0, lambda s: float(np.std(s.image[s.label == VALUE["liver"]]))),
        ("bladder_fill", 0.0, 1.0, lambda s: s.measurements.labels["bladder"].voxels),
    ],
)
def test_each_steerable_parameter_moves_what_it_claims(param, low, high, measure):
    for index in (0, 1):
        a = measure(cap(index, **{param: low}, sex="M")[1])
        b = measure(cap(index, **{param: high}, sex="M")[1])
        assert b > a, (param, a, b)


def test_contrast_phases_shift_vessels_and_parenchyma():
    plain = cap(5, contrast="non_contrast", sex="F")[1].measurements.labels
    arterial = cap(5, contrast="arterial", sex="F")[1].measurements.labels
    venous = cap(5, contrast="portal_venous", sex="F")[1].measurements.labels
    assert plain["aorta"].median < 60 and 150 <= arterial["aorta"].median <= 350
    assert venous["liver"].median > arterial["liver"].median > plain["liver"].median
    assert venous["portal vein and splenic vein"].median > plain["portal vein and splenic vein"].median + 80


def test_age_trends_bone_density_and_organ_size():
    young = cap(6, age=25.0, sex="F")[1].measurements.labels
    old = cap(6, age=85.0, sex="F")[1].measurements.labels
    assert old["vertebrae L3"].median < young["vertebrae L3"].median - 40
    assert old["liver"].volume_ml < young["liver"].volume_ml


def test_sex_sizes_organs_and_adds_a_prostate():
    female = cap(7, sex="F")[1].measurements.labels
    male = cap(7, sex="M")[1].measurements.labels
    assert female["liver"].volume_ml < male["liver"].volume_ml
    assert female["prostate"].voxels == 0 < male["prostate"].voxels


def test_lesions_carry_their_own_labels_inside_their_organ():
    spec, study = cap(8, lesion_rate=1.0, lesion_size_mm=(20.0, 30.0))
    assert {lesion["kind"] for lesion in spec.params["lesions"]} == {
        "hepatic_tumor",
        "lung_tumor",
        "kidney_cyst",
        "bone_lesion",
    }
    stats = study.measurements.labels
    assert stats["hepatic tumor"].voxels > 0 and stats["lung tumor"].voxels > 0 and stats["bone lesion"].voxels > 0
    assert stats["left kidney cyst"].voxels + stats["right kidney cyst"].voxels > 0
    grown = ndimage.binary_dilation(study.label == VALUE["hepatic tumor"])
    neighbours = set(np.unique(study.label[grown]).tolist()) - {VALUE["hepatic tumor"]}
    assert VALUE["liver"] in neighbours
    assert not cap(8)[0].params["lesions"]  # none by default


def test_field_of_view_follows_the_body_region():
    chest = set(_present(rendered(9, (64, 64, 64), body_region="chest")[1]))
    pelvis = set(_present(rendered(9, (64, 64, 64), body_region="pelvis")[1]))
    assert {"heart", "trachea"} <= chest and "bladder" not in chest
    assert {"bladder", "left femur", "sacrum"} <= pelvis and "heart" not in pelvis


def _present(study) -> list[str]:
    return [name for name, s in study.measurements.labels.items() if s.voxels > 0]


def test_spacing_and_shape_vary_when_asked():
    g = create(
        "phantom_ct",
        GeneratorOptions(params={"inplane_mm": [0.6, 1.5], "slice_mm": [1.0, 5.0], "body_region": "abdomen"}),
    )
    for index in range(4):
        p = make_spec(g, 0, index).params
        assert 1.0 <= p["spacing_mm"][0] <= 5.0 and 0.6 <= p["spacing_mm"][1] == p["spacing_mm"][2] <= 1.5
        assert p["shape"][1] <= 512 and p["shape"][0] * p["spacing_mm"][0] >= 250
    fixed = create("phantom_ct", GeneratorOptions(shape=(40, 64, 64), params={"inplane_mm": 2.0}))
    p = make_spec(fixed, 0, 0).params
    assert p["shape"] == [40, 64, 64] and p["spacing_mm"][1] == 2.0


def test_quality_control_redraws_deterministically():
    _, ok = rendered(11)
    assert ok.qc == QC(True, 0, ())
    strict = generator(qc_tolerance_hu=-6.0, body_region="abdomen")  # liver 50-62 narrowed to 56 exactly
    spec = make_spec(strict, 0, 11)
    a, b = strict.render(spec, CPU), strict.render(spec, CPU)
    assert a.qc.redraws >= 1 and a.qc == b.qc
    assert np.array_equal(a.image, b.image)
    if not a.qc.passed:
        assert a.qc.redraws == 3 and a.qc.failures


def test_every_sampled_value_is_in_the_params():
    spec, _ = rendered(11)
    p = spec.params
    for key in (
        *PARAMS.keys() - {"lesion_rate", "lesion_kinds", "lesion_size_mm"},
        "lesions",
        "organ_scale",
        "frame_scale",
        "height_scale",
        "fat_mm",
        "visceral_fat",
        "shape",
        "spacing_mm",
    ):
        assert key in p, key


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (GeneratorOptions(shape=(8, 64, 64)), "generator.shape"),
        (GeneratorOptions(spacing_mm=(0.0, 1.0, 1.0)), "generator.spacing_mm"),
        (GeneratorOptions(params={"body_region": "head"}), "generator.params.body_region"),
        (GeneratorOptions(params={"color": "red"}), "generator.params.color"),
        (GeneratorOptions(params={"lesion_kinds": ["wart"]}), "generator.params.lesion_kinds"),
        (GeneratorOptions(params={"inplane_mm": 9.0}), "generator.params.inplane_mm"),
    ],
)
def test_bad_options_name_the_field(options, field):
    with pytest.raises(ParamError, match=rf"^{field}:"):
        create("phantom_ct", options)
