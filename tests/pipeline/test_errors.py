"""The factory's error types build on the generators' root, so an entry point turns any of them into
one line and exit code 2; and pipeline.errors hands on the generator errors too."""

import pytest

from jobs.cli import EXIT_BAD_INPUT, run
from models.errors import MedsynthError
from pipeline import errors
from pipeline.errors import CatalogError, CommitConflict, ConfigError, JobFailed, ParamError, StorageError


def test_every_error_is_a_medsynth_error():
    for error in (ConfigError, StorageError, CatalogError, CommitConflict, JobFailed):
        assert issubclass(error, MedsynthError), error
    assert issubclass(ConfigError, ValueError) and issubclass(CommitConflict, StorageError)
    assert set(errors.__all__) >= {"GeneratorError", "ParamError", "MedsynthError"}


@pytest.mark.parametrize(
    "error",
    [
        ConfigError("dataset.n_studies: must be positive"),
        StorageError("s3://bucket/ds: not found"),
        CatalogError("query: unknown column"),
        JobFailed("shard 3: failed 4 times"),
        ParamError("params.age", "too old"),
    ],
)
def test_an_entry_point_prints_one_line_and_exits_2(error, capsys):
    def main(argv):
        raise error

    assert run(main, []) == EXIT_BAD_INPUT == 2
    said = capsys.readouterr().err
    assert said == f"error: {error}\n"
