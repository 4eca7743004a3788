"""The commands of "bring your own anatomy", end to end on a real local Ray: label maps exported
with `jobs.export --format nifti`, renamed to TotalSegmentator and FreeSurfer values, and a
medsynth dataset on S3 as the masks of another."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from jobs import export, generate, query, verify
from jobs.cli import run
from models.brain_mr.template import VALUE
from pipeline import catalog
from tests.conftest import build_in_process, small_config
from tests.models.anatomy.maskfiles import renamed
from tests.models.brain_mr.test_on_masks import ASEG

TS = {1: 5, 3: 1, 5: 2, 14: 3, 6: 52, 7: 63, 12: 6}  # MAISI -> TotalSegmentator v2 (the rest: background)
SMALL = ["dataset.n_studies=3", "dataset.shard_size=2", "ray.num_workers=1", "--no-progress"]


def exported_labels(uri: str, out: Path, mapping: dict[int, int]) -> Path:
    """The dataset's label maps as NIfTI (`jobs.export`), their values renamed."""
    assert run(export.main, [uri, "--format", "nifti", "--out", str(out / "export"), "--limit", "2"]) == 0
    folder = out / "masks"
    folder.mkdir()
    for path in sorted((out / "export" / "labels").glob("*.nii.gz")):
        image = nib.load(path)
        data = renamed(np.asarray(image.dataobj), mapping).astype(np.int16)
        nib.save(nib.Nifti1Image(data, image.affine), folder / path.name)
    return folder


def rows(uri: str, options=None) -> list[dict]:
    return catalog.open(uri, options).query(columns=["study_id", "params_json", "qc_pass"]).to_pylist()


@pytest.mark.slow
def test_phantom_ct_from_totalsegmentator_masks(built_dataset, tmp_path, ray_session, capsys):
    folder = exported_labels(built_dataset.storage.uri, tmp_path, TS)
    uri = str(tmp_path / "ct-from-masks")
    args = [
        "generator.name=phantom_ct",
        "generator.params.anatomy=masks",
        f"generator.params.masks={folder}",
        "generator.params.vocabulary=totalsegmentator",
        "generator.shape=[40,56,56]",
        f"storage.uri={uri}",
        *SMALL,
    ]
    assert run(generate.main, args) == 0
    found = rows(uri)
    assert len(found) == 3 and all(r["qc_pass"] for r in found)
    assert {json.loads(r["params_json"])["mask"] for r in found} <= {p.name for p in folder.iterdir()}
    assert run(query.main, [uri, "liver_ml > 100", "--columns", "study_id"]) == 0
    assert "s000000000" in capsys.readouterr().out
    assert run(verify.main, [uri]) == 0


@pytest.mark.slow
def test_brain_mr_from_freesurfer_asegs_and_from_a_dataset_on_s3(brain_dataset, tmp_path, s3, ray_session):
    folder = exported_labels(brain_dataset.storage.uri, tmp_path, {VALUE[k]: v for k, v in ASEG.items()})
    uri = str(tmp_path / "brain-from-aseg")
    brain = ["generator.name=brain_mr", "generator.shape=[44,52,44]", "generator.params.anatomy=masks"]
    args = [*brain, f"generator.params.masks={folder}", "generator.params.vocabulary=freesurfer"]
    assert run(generate.main, [*args, f"storage.uri={uri}", *SMALL]) == 0
    assert len(rows(uri)) == 3

    source = small_config(s3.uri("brain-v1"), *s3.overrides("brain-v1")[1:], "generator.name=brain_mr",
                          "generator.shape=[44,52,44]", "dataset.n_studies=2", "dataset.shard_size=2")  # fmt: skip
    build_in_process(source)
    target = str(tmp_path / "brain-from-dataset")
    masks = [f"generator.params.masks={s3.uri('brain-v1')}", f"generator.params.masks_endpoint_url={s3.endpoint}"]
    assert run(generate.main, [*brain, *masks, f"storage.uri={target}", *SMALL]) == 0
    found = rows(target)
    assert {json.loads(r["params_json"])["mask"] for r in found} <= {
        "studies/000000/s000000000.zarr",
        "studies/000000/s000000001.zarr",
    }
    assert all(json.loads(r["params_json"])["mask_identity"].startswith("etag:") for r in found)
