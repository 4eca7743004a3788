"""Vertebrae as CT shows them: a body in a dense cortical shell, and an arch (pedicles, laminae)
that closes a ring round the spinal canal."""

import numpy as np
from scipy import ndimage

from tests.models.phantom_ct.test_generator import VALUE, rendered


def lumbar(index: int):
    return rendered(index, (96, 128, 128), body_region="abdomen", contrast="non_contrast", noise_hu=8.0)[1]


def test_the_arch_rings_the_spinal_canal():
    for index in range(3):
        study = lumbar(index)
        vertebra = study.label == VALUE["vertebrae T12"]
        cord = study.label == VALUE["spinal cord"]
        slices = [z for z in range(vertebra.shape[0]) if vertebra[z].sum() > 50 and cord[z].any()]
        assert slices, index
        ringed = [(ndimage.binary_fill_holes(vertebra[z]) & cord[z]).sum() / cord[z].sum() for z in slices]
        assert max(ringed) > 0.9, (index, ringed)  # on some slice the bone encloses the canal


def test_the_vertebral_body_is_denser_at_its_rim():
    for index in range(2):
        study = lumbar(index)
        vertebra = study.label == VALUE["vertebrae L3"]
        core = ndimage.binary_erosion(vertebra, iterations=2)
        rim = vertebra & ~ndimage.binary_erosion(vertebra)
        assert np.median(study.image[rim]) > np.median(study.image[core]) + 20, index
