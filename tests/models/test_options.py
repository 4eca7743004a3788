import numpy as np
import pytest

from models.errors import ParamError
from models.options import Choice, Range, parse_params, sample

DECLARED = {"region": Choice(("chest", "abdomen"), ("chest", "abdomen")), "age": Range((18, 90), (20, 85))}


def test_defaults_and_fixed_values():
    parsed = parse_params(DECLARED, {"region": "chest", "age": 40})
    drawn = sample(DECLARED, parsed, np.random.default_rng(0))
    assert drawn == {"region": "chest", "age": 40.0}


def test_ranges_and_choices_are_sampled_inside():
    parsed = parse_params(DECLARED, {"age": [30, 31]})
    rng = np.random.default_rng(1)
    draws = [sample(DECLARED, parsed, rng) for _ in range(50)]
    assert {d["region"] for d in draws} == {"chest", "abdomen"}
    assert all(30 <= d["age"] <= 31 for d in draws)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"regoin": "chest"}, "params.regoin"),
        ({"region": "head"}, "params.region"),
        ({"age": [50, 40]}, "params.age"),
        ({"age": 120}, "params.age"),
        ({"age": "old"}, "params.age"),
    ],
)
def test_bad_values_name_the_field(given, field):
    with pytest.raises(ParamError, match=rf"^generator.{field}:"):
        parse_params(DECLARED, given)
