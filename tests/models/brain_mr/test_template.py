"""The brain template's labels: complete, stable, symmetric, in adult proportions."""

import numpy as np

from models.brain_mr.template import LABELS, MIRROR, VALUE, template


def volumes() -> dict[str, float]:
    counts = np.bincount(template().labels.ravel(), minlength=256)
    return {lb.name: counts[lb.value] / 1000.0 for lb in LABELS}  # 1 mm voxels: ml


def test_every_anatomical_label_is_derived():
    v = volumes()
    anatomical = [lb.name for lb in LABELS if lb.name not in ("white matter hyperintensity", "tumour")]
    assert all(v[name] > 5 for name in anatomical), {n: v[n] for n in anatomical}
    assert v["white matter hyperintensity"] == 0 and v["tumour"] == 0  # lesions are per study


def test_the_template_is_stable():
    assert template() is template()  # cached per process
    labels = template().labels
    assert labels.dtype == np.uint8 and set(np.unique(labels).tolist()) <= {0, *VALUE.values()}


def test_hemispheres_mirror_each_other():
    v = volumes()
    names = {lb.value: lb.name for lb in LABELS}
    for left, right in MIRROR.items():
        assert abs(v[names[left]] - v[names[right]]) / v[names[left]] < 0.3, (names[left], names[right])


def test_proportions_in_mni_space():
    """MNI space is about 1.25x an adult brain's volume; the generator shrinks it (NATIVE_SCALE)."""
    v = volumes()
    grey = (
        v["left cortical grey matter"]
        + v["right cortical grey matter"]
        + v["left deep grey matter"]
        + v["right deep grey matter"]
    )
    white = v["left cerebral white matter"] + v["right cerebral white matter"]
    assert 1.2 < grey / white < 2.0
    assert 10 < v["left lateral ventricle"] + v["right lateral ventricle"] < 80
    assert 100 < v["left cerebellum"] + v["right cerebellum"] < 220
