import numpy as np
import pytest
import torch

from models import GeneratorOptions, ParamError, make_spec
from models.labels import maisi_ct_labels
from models.registry import create

CPU = torch.device("cpu")


def render(index: int, shape=(64, 64, 64), **params):
    generator = create("phantom_ct", GeneratorOptions(shape=shape, params=params))
    spec = make_spec(generator, 0, index)
    return generator, spec, generator.render(spec, CPU)


def test_render_is_deterministic():
    _, _, a = render(3)
    _, _, b = render(3)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.label, b.label)
    _, _, c = render(4)
    assert not np.array_equal(a.image, c.image)


def test_arrays_shapes_dtypes_and_labels():
    generator, spec, study = render(1, shape=(40, 56, 64))
    assert study.image.shape == study.label.shape == (40, 56, 64)
    assert study.image.dtype == np.int16 and study.label.dtype == np.uint8
    assert tuple(spec.params["spacing_mm"]) == study.spacing_mm
    values = set(np.unique(study.label).tolist()) - {0}
    assert values <= {lb.value for lb in generator.label_dict}
    assert all(maisi_ct_labels().value(lb.name) == lb.value for lb in generator.label_dict)


def test_labels_lie_inside_the_body_and_air_outside():
    _, _, study = render(2, body_region="abdomen")
    outside = study.label == 0
    assert np.median(study.image[outside]) < -900
    assert (study.label > 0).sum() > 0.2 * study.label.size


@pytest.mark.parametrize("region", ["abdomen", "chest"])
def test_expected_organs_per_region(region):
    _, _, study = render(5, shape=(64, 96, 96), body_region=region)
    present = {name for name, s in study.meta["labels"].items() if s.voxels > 0}
    if region == "abdomen":
        assert {"liver", "spleen", "right kidney", "left kidney", "aorta", "inferior vena cava", "stomach"} <= present
    else:
        assert {"heart", "aorta", "left lung upper lobe", "right lung upper lobe", "sternum"} <= present


def test_left_right_relations_in_patient_coordinates():
    """x grows towards the patient's left: liver right (low x), spleen left (high x)."""
    _, _, study = render(6, shape=(64, 96, 96), body_region="abdomen")
    lut = {lb.name: lb.value for lb in maisi_ct_labels()}

    def centroid_x(name):
        return np.argwhere(study.label == lut[name])[:, 2].mean()

    spine_x = np.argwhere(study.label == lut["vertebrae L1"])[:, 2].mean()
    assert centroid_x("liver") < spine_x < centroid_x("spleen")
    assert centroid_x("right kidney") < spine_x < centroid_x("left kidney")


def test_non_contrast_hu_inside_published_ranges():
    _, _, study = render(7, shape=(64, 96, 96), body_region="abdomen", contrast="non_contrast", noise_hu=8)
    medians = {name: s.median for name, s in study.meta["labels"].items() if s.voxels > 200}
    assert 40 <= medians["liver"] <= 70
    assert 30 <= medians["spleen"] <= 60
    assert 15 <= medians["right kidney"] <= 50


def test_arterial_phase_brightens_the_aorta():
    _, _, plain = render(8, shape=(64, 96, 96), body_region="abdomen", contrast="non_contrast")
    _, _, arterial = render(8, shape=(64, 96, 96), body_region="abdomen", contrast="arterial")
    assert plain.meta["labels"]["aorta"].median < 80
    assert arterial.meta["labels"]["aorta"].median > 150


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (GeneratorOptions(shape=(8, 64, 64)), "generator.shape"),
        (GeneratorOptions(spacing_mm=(0.0, 1.0, 1.0)), "generator.spacing_mm"),
        (GeneratorOptions(params={"body_region": "head"}), "generator.params.body_region"),
        (GeneratorOptions(params={"color": "red"}), "generator.params.color"),
    ],
)
def test_bad_options_name_the_field(options, field):
    with pytest.raises(ParamError, match=rf"^{field}:"):
        create("phantom_ct", options)
