"""The generators' error types: one root every layer raises from, and a parameter error that names
its field below `generator`."""

import pytest

from models.errors import GeneratorError, MedsynthError, ParamError, first_line


def test_a_param_error_is_a_generator_error_and_a_value_error():
    assert issubclass(GeneratorError, MedsynthError) and issubclass(ParamError, GeneratorError)
    assert issubclass(ParamError, ValueError)


def test_a_param_error_names_its_field_below_generator():
    error = ParamError("params.age", "must be within [18, 90], got 7")
    assert error.field == "params.age"
    assert str(error) == "generator.params.age: must be within [18, 90], got 7"
    with pytest.raises(GeneratorError):
        raise error


def test_first_line_is_a_foreign_errors_first_line_or_its_type():
    assert first_line(ValueError("\n  bad header\nat byte 3\n")) == "bad header"
    assert first_line(KeyError()) == "KeyError"
    assert first_line(RuntimeError("   ")) == "RuntimeError"
