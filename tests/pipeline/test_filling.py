"""A row's inputs: the measurements each series' columns read, and a study the worker never measured."""

import numpy as np
import pytest

from models import Study, StudySpec
from models.labels import LabelDict
from pipeline.filling import Filling, RowContext, Written

SPEC = StudySpec("s000000007", 7, 1, "phantom_ct", {})
CONTEXT = RowContext(0, "1.0", "w", LabelDict("none", ()))
WRITTEN = Written("g", 1, 1, "c", 0.0)


def filling(**study) -> Filling:
    image = np.zeros((2, 2, 2), np.float32)
    return Filling(SPEC, Study(image, image.astype(np.uint8), (1.0, 1.0, 1.0), **study), WRITTEN, 0.0, CONTEXT)


def test_each_series_reads_its_own_measurements_and_a_single_study_its_one():
    one, two = object(), object()
    assert filling(series=("a", "b"), series_measurements=(one, two)).measured(1) is two
    assert filling(measurements=one).measured(0) is one


def test_an_unmeasured_study_names_itself():
    with pytest.raises(ValueError, match="study s000000007 was not measured"):
        filling().measured(0)
