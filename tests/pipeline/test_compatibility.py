"""A dataset made by medsynth before studies could hold several series (tests/data/pre_series:
three phantom_ct studies of 16 x 32 x 32, written by commit f472880) still opens, queries,
streams, exports, verifies and resumes with today's code. The copy under tests/data is read-only
to the tests: each test works on its own copy."""

import re
import shutil
from pathlib import Path

import pytest

from models.phantom_ct.generator import PhantomCT
from pipeline import catalog
from pipeline.config import job as config_module
from pipeline.errors import ConfigError
from pipeline.export.run import export
from pipeline.run.runner import generate
from pipeline.run.verify import stored_config, verify
from pipeline.stream import StudyStream

OLD = Path(__file__).resolve().parents[1] / "data" / "pre_series"


@pytest.fixture
def old(tmp_path) -> Path:
    root = tmp_path / "pre_series"
    shutil.copytree(OLD, root)
    return root


def test_an_old_dataset_opens_queries_and_verifies(old):
    cat = catalog.open(str(old))
    assert cat.info.series == () and "series" not in cat.columns
    rows = cat.query("liver_ml > 0", columns=["study_id", "liver_hu", "intensity_mean"]).to_pylist()
    assert [r["study_id"] for r in rows] == ["s000000000", "s000000001", "s000000002"]
    report = verify(cat)
    assert report.ok and report.n_studies == 3


def test_an_old_dataset_streams_and_exports(old, tmp_path):
    samples = list(StudyStream(str(old), patch_size=(16, 16, 16), shuffle=False))
    assert len(samples) == 3 and samples[0]["image"].shape == (1, 16, 16, 16) and "series" not in samples[0]
    summary = export(catalog.open(str(old)), "nifti", tmp_path / "nifti", progress=False)
    assert summary.studies == 3 and (tmp_path / "nifti/images/s000000000.nii.gz").exists()


def test_an_old_dataset_keeps_its_config_hash_and_refuses_a_newer_generator(old):
    """Its config hashes as it did; today's phantom_ct draws other anatomy for the same seeds, so
    resuming the dataset with it is refused, naming the version, and nothing is written."""
    cat = catalog.open(str(old))
    cfg = stored_config(cat, str(old), {})
    assert cfg.generator.series is None
    assert config_module.content_hash(cfg, cat.info.generator_version) == cat.info.config_hash
    before = sorted(p.relative_to(old) for p in old.rglob("*"))
    with pytest.raises(ConfigError, match=rf"generator\.version: '0\.2\.0' -> '{re.escape(PhantomCT.version)}'"):
        generate(cfg, progress=False)
    assert sorted(p.relative_to(old) for p in old.rglob("*")) == before
