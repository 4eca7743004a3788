"""A row's inputs: the measurements each series' columns read, and a study the worker never measured."""

import numpy as np
import pytest

from models import Study, StudySpec
from models.labels import LabelDict
from pipeline.catalog.filling import Filling, RowContext, Written

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


def test_common_columns_come_from_the_params_the_generator_names_and_no_others():
    from pipeline.catalog.columns import COMMON

    fills = {c.name: c.fill for c in COMMON}
    params = {"sex": "hemisphere", "weighting": "T1", "age": 40, "contrast": "arterial"}
    image = np.zeros((2, 2, 2), np.float32)
    study = Study(image, image.astype(np.uint8), (1.0, 1.0, 1.0))
    spec = StudySpec("s000000007", 7, 1, "third_party", params)

    def described(describes):
        context = RowContext(0, "1.0", "w", LabelDict("none", ()), describes=describes)
        f = Filling(spec, study, WRITTEN, 0.0, context)
        return {name: fills[name](f) for name in ("contrast", "body_region", "sex", "age")}

    # Undeclared: params named like the columns do not leak into them (its "sex" means something else).
    assert described({}) == {"contrast": None, "body_region": None, "sex": None, "age": None}
    assert described({"contrast": "weighting", "age": "age"}) == {
        "contrast": "T1",
        "body_region": None,
        "sex": None,
        "age": 40.0,
    }
    assert described({"body_region": "region"})["body_region"] is None  # named, but not in these params


def test_a_row_context_of_a_generator_carries_what_it_declares():
    from models import GeneratorOptions
    from models.registry import create

    generator = create("brain_mr", GeneratorOptions(shape=(32, 32, 32)))
    context = RowContext.of(generator, 3, "w", ("T1",))
    assert context.describes == {"contrast": "contrast", "body_region": "body_region"}
    assert (context.shard, context.version, context.series) == (3, generator.version, ("T1",))
    assert context.extra == dict(generator.columns) and context.labels == generator.label_dict
