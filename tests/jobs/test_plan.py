"""`python -m jobs.plan`: a million studies sized from the shipped samples, and a dataset that
already exists reported with its progress."""

import json

from jobs import plan
from jobs.cli import run


def test_plan_sizes_a_million_studies_and_reports_progress(built_dataset, capsys):
    uri = built_dataset.storage.uri
    assert run(plan.main, ["dataset.n_studies=1000000", "dataset.shard_size=64", "--workers", "8"]) == 0
    out = capsys.readouterr().out
    assert "1,000,000 in 15,625 shards of 64" in out and "8 CPU workers" in out and "progress" not in out
    overrides = [f"storage.uri={uri}", "dataset.n_studies=10", "dataset.shard_size=4", "generator.shape=[48,48,48]"]
    assert run(plan.main, [*overrides, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["shards"] == 3 and report["progress"].startswith("3 of 3 shards committed")
