"""The error types every layer raises from: one root, and a parameter error naming its field."""

import pytest

from models.errors import GeneratorError, MedsynthError, ParamError
from pipeline.errors import CatalogError, CommitConflict, ConfigError, JobFailed, StorageError


def test_one_root_that_entry_points_catch():
    for error in (GeneratorError, ParamError, ConfigError, StorageError, CatalogError, CommitConflict, JobFailed):
        assert issubclass(error, MedsynthError)
    assert issubclass(ParamError, ValueError) and issubclass(ConfigError, ValueError)
    assert issubclass(CommitConflict, StorageError)


def test_a_param_error_names_its_field_below_generator():
    error = ParamError("params.age", "must be within [18, 90], got 7")
    assert error.field == "params.age"
    assert str(error) == "generator.params.age: must be within [18, 90], got 7"
    with pytest.raises(GeneratorError):
        raise error
