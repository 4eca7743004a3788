"""`jobs.bench maisi_factory` rehearsed on the CPU with the tiny networks: the factory's rate per
actor count against the sampler alone, and the verification of what it wrote."""

import pytest
import torch

from jobs.bench import maisi_factory
from jobs.bench.maisi_factory import ACTORS, measure
from jobs.bench.report import Report


@pytest.mark.bench
def test_the_factory_benchmark_rehearses_on_the_cpu(ray_session, tmp_path, monkeypatch):
    monkeypatch.setattr(maisi_factory, "WORKDIR", tmp_path)  # its datasets, outside the checkout
    report = Report("maisi_factory")
    measure(report, quick=True, device=torch.device("cpu"), network="tiny", steps=1)
    for actors in ACTORS:
        assert report.metrics[f"factory_studies_per_hour_per_gpu_actors_{actors}"] > 0
        assert report.ratios[f"factory_actors_{actors}_over_sampler"] > 0
    assert report.metrics["factory_verify_bad_studies"] == 0.0
    assert {g.name for g in report.goals} == {"factory_verify_bad_studies", "factory_best_over_sampler"}
