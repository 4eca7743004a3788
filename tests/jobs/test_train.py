"""The training job end to end on a tiny dataset: it trains, evaluates, checkpoints and resumes
mid-epoch onto exactly the run it would have been."""

import json

import pytest

from jobs import train
from jobs.cli import run
from tests.conftest import build_in_process, small_config


@pytest.fixture(scope="module")
def uri(tmp_path_factory) -> str:
    cfg = small_config(
        tmp_path_factory.mktemp("train") / "ds",
        "dataset.n_studies=6",
        "dataset.shard_size=3",
        "generator.shape=[32,48,48]",
        "generator.params.body_region=abdomen",
    )
    build_in_process(cfg)
    return cfg.storage.uri


def args(uri: str, out, steps: int, *extra: str) -> list[str]:
    return [
        uri,
        "--classes",
        "liver,spleen",
        "--patch",
        "16,16,16",
        "--steps",
        str(steps),
        "--batch-size",
        "2",
        "--workers",
        "2",
        "--channels",
        "4,8",
        "--val-every",
        "3",
        "--save-every",
        "2",
        "--out",
        str(out),
        *extra,
    ]


def test_trains_evaluates_and_saves(uri, tmp_path):
    assert run(train.main, args(uri, tmp_path / "run", 3)) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["steps"] == 3 and metrics["final_loss"] > 0
    assert set(metrics["dice"]) == {"liver", "spleen"}
    assert all(0.0 <= v <= 1.0 for v in metrics["dice"].values())
    assert (tmp_path / "run" / "checkpoint.pt").exists()


def test_resume_mid_epoch_reproduces_the_uninterrupted_run(uri, tmp_path):
    assert run(train.main, args(uri, tmp_path / "straight", 6)) == 0
    assert run(train.main, args(uri, tmp_path / "interrupted", 4)) == 0  # an epoch is 4 studies x 4 patches / 2
    assert run(train.main, args(uri, tmp_path / "interrupted", 6, "--resume")) == 0
    straight = json.loads((tmp_path / "straight" / "metrics.json").read_text())
    resumed = json.loads((tmp_path / "interrupted" / "metrics.json").read_text())
    assert resumed["steps"] == 6
    assert resumed["final_loss"] == pytest.approx(straight["final_loss"], rel=1e-5)
    assert resumed["dice"] == straight["dice"]
