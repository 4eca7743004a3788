"""brain_mr: SynthSeg's randomisations do what they claim; contrasts order tissues as published."""

from functools import cache

import numpy as np
import pytest
import torch

from models import GeneratorOptions, ParamError, make_spec
from models.brain_mr.template import VALUE
from models.registry import create

CPU = torch.device("cpu")
SMALL = (88, 104, 88)  # the default field of view at 2 mm
STILL = {
    "rotation_deg": 0.0,
    "scaling": 0.0,
    "shear": 0.0,
    "deformation_mm": 0.0,
    "flip_rate": 0.0,
    "bias": 0.0,
    "gamma": 0.0,
    "resolution_mm": 1.0,
    "anisotropic": 0.0,
    "noise": 0.0,
    "skull_strip_rate": 0.0,
}


@cache
def rendered(index: int, shape=SMALL, **params):
    g = create("brain_mr", GeneratorOptions(shape=shape, params=dict(params)))
    spec = make_spec(g, 0, index)
    return spec, g.render(spec, CPU)


def median(study, *names: str) -> float:
    mask = np.isin(study.label, [VALUE[n] for n in names])
    return float(np.median(study.image[mask]))


def test_render_is_deterministic_and_mr_typed():
    spec, a = rendered(1)
    g = create("brain_mr", GeneratorOptions(shape=SMALL))
    b = g.render(make_spec(g, 0, 1), CPU)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.label, b.label)
    assert a.image.dtype == np.uint16 and a.label.dtype == np.uint8 and a.image.shape == SMALL
    assert spec.params["modality"] == "MR" and a.spacing_mm == (2.0, 2.0, 2.0)


@pytest.mark.parametrize(
    ("contrast", "brighter"),
    [
        ("T1", ["cerebral white matter", "cortical grey matter", "lateral ventricle"]),
        ("T2", ["lateral ventricle", "cortical grey matter", "cerebral white matter"]),
        ("FLAIR", ["cortical grey matter", "cerebral white matter", "lateral ventricle"]),
        ("PD", ["lateral ventricle", "cortical grey matter", "cerebral white matter"]),
    ],
)
def test_contrast_presets_order_the_tissues(contrast, brighter):
    """CSF measured in the ventricles: the sulcal CSF is a layer thinner than a voxel of a
    low-resolution acquisition, whose median partial volume pulls toward its neighbours."""
    for index in range(3):
        _, study = rendered(index, contrast=contrast)
        values = [median(study, f"left {k}", f"right {k}") for k in brighter]
        assert values == sorted(values, reverse=True), (contrast, brighter, values)


def test_flair_lesions_are_bright_and_t1_lesions_dark():
    _, flair = rendered(3, contrast="FLAIR", wmh_rate=1.0, **STILL)
    _, t1 = rendered(3, contrast="T1", wmh_rate=1.0, **STILL)
    white = ("left cerebral white matter", "right cerebral white matter")
    assert median(flair, "white matter hyperintensity") > median(flair, *white)
    assert median(t1, "white matter hyperintensity") < median(t1, *white)


def test_random_contrast_draws_intensities_per_study():
    orders = set()
    for index in range(6):
        _, study = rendered(index, contrast="random")
        values = [
            median(study, "left cerebral white matter"),
            median(study, "left cortical grey matter"),
            median(study, "csf"),
        ]
        orders.add(tuple(np.argsort(values)))
    assert len(orders) >= 3  # no fixed tissue ordering


def test_volumes_stay_adult_after_deformation():
    """Adult ranges: grey matter 450-900 ml, white matter 330-700 ml, lateral ventricles 5-70 ml."""
    for index in range(6):
        _, study = rendered(index)
        v = {n: s.volume_ml for n, s in study.measurements.labels.items()}
        grey = sum(v[f"{s} {k}"] for s in ("left", "right") for k in ("cortical grey matter", "deep grey matter"))
        white = v["left cerebral white matter"] + v["right cerebral white matter"]
        ventricles = v["left lateral ventricle"] + v["right lateral ventricle"]
        assert 450 <= grey <= 900 and 330 <= white <= 700 and 5 <= ventricles <= 70, (grey, white, ventricles)


def test_spatial_augmentations_move_the_anatomy():
    _, still = rendered(4, **STILL)
    for change in ({"rotation_deg": 15.0}, {"deformation_mm": 5.0}, {"scaling": 0.2}):
        _, moved = rendered(4, **{**STILL, **change})
        assert (moved.label != still.label).mean() > 0.05, change
    still_volume = still.measurements.labels["left cerebral white matter"].volume_ml
    _, deformed = rendered(4, **{**STILL, "deformation_mm": 5.0})
    assert abs(deformed.measurements.labels["left cerebral white matter"].volume_ml / still_volume - 1) < 0.1


def test_flip_swaps_sides_and_labels():
    _, still = rendered(5, **STILL)
    _, flipped = rendered(5, **{**STILL, "flip_rate": 1.0})
    assert flipped.columns["flipped"]
    left = VALUE["left cerebral white matter"]
    # x grows to the patient's left: the left hemisphere's labels stay on the left (higher x).
    centre = (SMALL[2] - 1) / 2
    assert np.argwhere(still.label == left)[:, 2].mean() > centre
    assert np.argwhere(flipped.label == left)[:, 2].mean() > centre
    # The mirror image: what was the left hemisphere's is now the right's.
    for kind in ("cerebral white matter", "lateral ventricle"):
        left_now = flipped.measurements.labels[f"left {kind}"].volume_ml
        right_before = still.measurements.labels[f"right {kind}"].volume_ml
        assert abs(left_now / right_before - 1) < 0.05, kind


def test_bias_noise_and_resolution_change_what_they_claim():
    white = ("left cerebral white matter", "right cerebral white matter")

    def spread(study):
        values = study.image[np.isin(study.label, [VALUE[n] for n in white])].astype(float)
        return values.std() / values.mean()

    _, plain = rendered(6, **STILL)
    _, biased = rendered(6, **{**STILL, "bias": 0.5})
    assert spread(biased) > spread(plain)
    _, noisy = rendered(6, **{**STILL, "noise": 0.08})
    background = plain.label == 0
    assert noisy.image[background].mean() > plain.image[background].mean() + 50  # Rician: a bright floor
    spec, thick = rendered(6, **{**STILL, "anisotropic": 1.0, "thickness_mm": 8.0})
    axis = int(np.argmax(spec.params["acquisition"]["resolution_mm"]))
    assert thick.columns["resolution_mm"] == 8.0

    def roughness(study, along: int) -> float:
        return float(np.abs(np.diff(study.image.astype(float), axis=along)).mean())

    assert roughness(thick, axis) < 0.6 * roughness(plain, axis)  # thick slices blur along their axis
    other = (axis + 1) % 3
    assert roughness(thick, axis) < roughness(thick, other)


def test_lesions_have_their_own_labels_inside_brain_tissue():
    _, study = rendered(7, wmh_rate=1.0, tumour_rate=1.0, tumour_mm=30.0)
    assert study.measurements.labels["white matter hyperintensity"].voxels > 0
    assert study.measurements.labels["tumour"].voxels > 0
    assert study.columns["lesion_count"] >= 2


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (GeneratorOptions(shape=(8, 64, 64)), "generator.shape"),
        (GeneratorOptions(params={"contrast": "DWI"}), "generator.params.contrast"),
        (GeneratorOptions(params={"rotation_deg": 90}), "generator.params.rotation_deg"),
    ],
)
def test_bad_options_name_the_field(options, field):
    with pytest.raises(ParamError, match=rf"^{field}:"):
        create("brain_mr", options)
