import pickle

import numpy as np
import pytest

from models import GeneratorOptions, ParamError
from models.base import (
    PARAMS_STREAM,
    RENDER_STREAM,
    Study,
    StudySpec,
    arrays_problem,
    make_spec,
    study_id,
    study_rng,
    study_seed,
)
from models.registry import create


def test_seed_depends_only_on_dataset_seed_and_index():
    assert study_seed(7, 3) == study_seed(7, 3)
    assert study_seed(7, 3) != study_seed(7, 4)
    assert study_seed(7, 3) != study_seed(8, 3)
    assert 0 <= study_seed(2**62, 10**9) < 2**63


def test_streams_are_independent():
    a = study_rng(123, PARAMS_STREAM).random(4)
    b = study_rng(123, RENDER_STREAM).random(4)
    assert not np.allclose(a, b)
    assert np.array_equal(a, study_rng(123, PARAMS_STREAM).random(4))


def test_make_spec_is_reproducible_and_json_round_trips():
    generator = create("phantom_ct", GeneratorOptions(shape=(32, 32, 32)))
    spec = make_spec(generator, 5, 11)
    again = make_spec(create("phantom_ct", GeneratorOptions(shape=(32, 32, 32))), 5, 11)
    assert spec == again
    assert spec.study_id == study_id(11) == "s000000011"
    assert StudySpec.from_json(spec.to_json()) == spec
    assert pickle.loads(pickle.dumps(spec)) == spec


@pytest.mark.parametrize("name", ["phantom_ct", "body_mr", "brain_mr"])
def test_a_bad_grid_is_refused_in_the_words_of_the_generator_that_refuses_it(name):
    with pytest.raises(ParamError, match=rf"^generator\.shape: {name} makes 3 sizes .*got \[8, 64, 64\]"):
        create(name, GeneratorOptions(shape=(8, 64, 64)))
    with pytest.raises(ParamError, match=rf"^generator\.spacing_mm: {name} takes 3 spacings .*got \[1.0, 1.0\]"):
        create(name, GeneratorOptions(spacing_mm=(1.0, 1.0)))
    options = GeneratorOptions(shape=(32, 48, 64), spacing_mm=(2, 1, 1))
    assert options.checked_shape(name, (1, 1, 1), (16, 64)) == (32, 48, 64)
    assert options.checked_spacing(name, (0.5, 4.0)) == (2.0, 1.0, 1.0)
    assert GeneratorOptions().checked_shape(name, (1, 2, 3), (16, 64)) == (1, 2, 3)
    assert GeneratorOptions().checked_spacing(name, (0.5, 4.0)) is None


@pytest.mark.parametrize(
    ("image", "label", "spacing", "says"),
    [
        ("int16", "uint8", (1.0, 1.0, 1.0), None),
        ("float16", "uint16", (2.0, 1.0, 1.0), None),  # the factory stores both: so does the contract kit
        ("float64", "uint8", (1.0, 1.0, 1.0), "unsupported dtypes image=float64"),
        ("int16", "int32", (1.0, 1.0, 1.0), "unsupported dtypes image=int16 label=int32"),
        ("int16", "uint8", (1.0, 0.0, 1.0), "must be 3 positive numbers"),
    ],
)
def test_one_rule_for_a_studys_arrays(image, label, spacing, says):
    study = Study(np.zeros((4, 5, 6), image), np.zeros((4, 5, 6), label), spacing)
    problem = arrays_problem(study)
    assert problem is None if says is None else says in problem
    assert "equal 3-D shapes" in arrays_problem(Study(np.zeros((4, 5, 6), "int16"), np.zeros((4, 5), "uint8"), spacing))
