"""Fuzzing every config key and every generator parameter with wrong kinds, NaN, infinities, huge
and negative values: each is either a valid config or one `ConfigError`/`ParamError` naming its key,
never another exception (which the CLI would print as a traceback)."""

from __future__ import annotations

import copy
import math
from dataclasses import asdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import GeneratorOptions
from models.brain_mr import generator as brain
from models.errors import GeneratorError
from models.phantom_ct import generator as phantom
from models.registry import create
from pipeline.config.job import GenerateConfig, from_dict, to_dict
from pipeline.errors import ConfigError

NASTY = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 10**30, -(10**30), -1, 0, 1e-300, 2**63, True, False, None]),
    st.integers(),
    st.text(max_size=20),
    st.sampled_from(["nan", "inf", "${oc.env:HOME}", "", "1e999", "[1,2]"]),
    st.lists(st.one_of(st.integers(), st.floats(allow_nan=True), st.text(max_size=5)), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def leaf_keys() -> list[tuple[str, str]]:
    data = to_dict(GenerateConfig())
    return [(section, key) for section, values in data.items() for key in values]


@pytest.mark.parametrize(("section", "key"), leaf_keys(), ids=[f"{s}.{k}" for s, k in leaf_keys()])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=NASTY)
def test_every_config_key_takes_a_value_or_names_itself(section, key, value):
    data = copy.deepcopy(to_dict(GenerateConfig()))
    data[section][key] = value
    try:
        cfg = from_dict(data)
    except ConfigError as exc:
        assert str(exc).startswith(f"{section}.{key}"), str(exc)
        return
    assert_finite(asdict(cfg))


def assert_finite(value) -> None:
    if isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, dict):
        for v in value.values():
            assert_finite(v)
    elif isinstance(value, list | tuple):
        for v in value:
            assert_finite(v)


PARAMS = [("phantom_ct", name) for name in phantom.PARAMS] + [("brain_mr", name) for name in brain.PARAMS]


@pytest.mark.parametrize(("generator", "name"), PARAMS, ids=[f"{g}.{n}" for g, n in PARAMS])
@settings(max_examples=40, deadline=None)
@given(value=NASTY)
def test_every_generator_parameter_takes_a_value_or_names_itself(generator, name, value):
    try:
        built = create(generator, GeneratorOptions(params={name: value}))
    except GeneratorError as exc:
        assert str(exc).startswith(f"generator.params.{name}"), str(exc)
        return
    assert_finite(built.params)
