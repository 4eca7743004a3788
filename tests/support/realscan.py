"""Stand-ins for a user's real labelled scans: a phantom_ct study written as NIfTI (RAS, as scanners
export it) with its labels in TotalSegmentator's values, for tests that must not need real data;
and where the shared real data is (`REAL`), for the tests that use it where it exists."""

from __future__ import annotations

import os
from pathlib import Path

import nibabel as nib
import numpy as np
import torch

from models import GeneratorOptions, make_spec
from models.anatomy.vocabulary import TOTALSEGMENTATOR_V2, maisi_name
from models.registry import create

# The shared real scans and label maps beside the checkout (MEDSYNTH_REAL_DATA moves them, as for
# `jobs.bench realism`); a user's clone has none, and the tests that need them skip.
REAL = Path(os.environ.get("MEDSYNTH_REAL_DATA", Path(__file__).resolve().parents[3] / "shared" / "data" / "real"))


def as_ras(volume_zyx: np.ndarray) -> np.ndarray:
    """LPS (z, y, x) -> RAS (x, y, z)."""
    return np.ascontiguousarray(volume_zyx.transpose(2, 1, 0)[::-1, ::-1, :])


def write_nifti(path: Path, volume_zyx: np.ndarray, spacing_zyx: tuple[float, float, float]) -> Path:
    affine = np.diag([spacing_zyx[2], spacing_zyx[1], spacing_zyx[0], 1.0])
    nib.save(nib.Nifti1Image(as_ras(volume_zyx), affine), str(path))
    return path


def phantom_scan(folder: Path, index: int = 100, shape=(32, 48, 48), name: str = "scan") -> tuple[Path, Path]:
    """(image, labels) NIfTI files of one phantom_ct abdomen, labels in TotalSegmentator v2 values."""
    g = create("phantom_ct", GeneratorOptions(shape=shape, params={"body_region": "abdomen"}))
    study = g.render(make_spec(g, 7, index), torch.device("cpu"))
    to_ts = {maisi_name(n): v for v, n in TOTALSEGMENTATOR_V2.items()}
    lut = np.zeros(256, dtype=np.uint8)
    for label in g.label_dict:
        lut[label.value] = to_ts.get(label.name, 0)
    folder.mkdir(parents=True, exist_ok=True)
    image = write_nifti(folder / f"{name}.nii.gz", study.image, study.spacing_mm)
    labels = write_nifti(folder / f"{name}_seg.nii.gz", lut[study.label], study.spacing_mm)
    return image, labels
