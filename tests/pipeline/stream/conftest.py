"""The stream tests' dataset, built once for the whole folder (the stream, its reader, Ray Data)."""

import pytest

from tests.conftest import build_in_process, small_config


@pytest.fixture(scope="package")
def uri(tmp_path_factory) -> str:
    """Six studies of 64 x 96 x 96 in 32^3 chunks (so a patch overlaps a few of 18 chunks)."""
    cfg = small_config(
        tmp_path_factory.mktemp("stream") / "ds",
        "dataset.n_studies=6",
        "dataset.shard_size=3",
        "generator.shape=[64,96,96]",
        "storage.chunk=[32,32,32]",
        "generator.params.body_region=abdomen",
    )
    build_in_process(cfg)
    return cfg.storage.uri
