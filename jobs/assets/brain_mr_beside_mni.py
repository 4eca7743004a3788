"""The figure of docs/generators/brain_mr.md: brain_mr T1 studies beside a real T1, the MNI ICBM152
2009a template inside the nilearn wheel (an average of 152 adults' scans, skull-stripped).

`python jobs/assets/brain_mr_beside_mni.py [SEED] [OUT]` from the repository root (the docs' is
seed 3, written to jobs/assets/brain_mr_beside_mni.png). Columns: the real T1; a brain_mr T1 study
of the whole head; the same study brain-extracted (`skull_strip_rate=1`); its label map. Rows: an
axial and a coronal slice through the middle of the brain. The synthetic studies are posed
without rotation, so that the slices cut the same planes, and acquired at 1 mm, as the template
is; the defaults rotate each head by up to 15 degrees and draw the resolution from 1 to 4 mm.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only
import matplotlib.pyplot as plt
import nibabel as nib
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere

from models import GeneratorOptions, make_spec
from models.brain_mr.template import template_path
from models.registry import create

PARAMS = {"contrast": "T1", "rotation_deg": 0.0, "flip_rate": 0.0, "resolution_mm": 1.0, "anisotropic": 0.0}
SHAPE = (176, 208, 176)


def real_t1() -> np.ndarray:
    """nilearn's MNI T1 as (z, y, x), superior and anterior last, like brain_mr's grid."""
    data = np.asarray(nib.load(template_path("t1")).dataobj, dtype=np.float32)  # x, y, z in RAS
    return np.ascontiguousarray(data.transpose(2, 1, 0))


def main(seed: int, out: Path, shape: tuple[int, int, int] = SHAPE) -> None:
    studies = []
    for rate in (0.0, 1.0):
        generator = create("brain_mr", GeneratorOptions(shape=shape, params={**PARAMS, "skull_strip_rate": rate}))
        studies.append(generator.render(make_spec(generator, seed, 0), torch.device("cpu")))
    whole, stripped = studies
    real = real_t1()
    columns = [
        ("real T1 (MNI ICBM152, skull-stripped)", real),
        (f"brain_mr {generator.version} T1, whole head", whole.image.astype(np.float32)),
        ("the same study, brain-extracted", stripped.image.astype(np.float32)),
        ("its label map", None),
    ]
    fig, axes = plt.subplots(2, len(columns), figsize=(3.0 * len(columns), 6.2))
    for k, (title, image) in enumerate(columns):
        volume = whole.label if image is None else image
        z, y = _brain_middle(volume if image is None else image)
        for row, plane in enumerate((volume[z], volume[:, y])):
            ax = axes[row, k]
            if image is None:
                ax.imshow(plane % 20, cmap=plt.get_cmap("tab20"), interpolation="nearest", origin="lower")
            else:
                ax.imshow(plane, cmap="gray", vmin=0, vmax=float(np.percentile(image, 99.5)), origin="lower")
            ax.axis("off")
        axes[0, k].set_title(title, fontsize=8)
    fig.suptitle("brain_mr T1 beside a real T1: half of brain_mr's studies are brain-extracted by default", fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def _brain_middle(volume: np.ndarray) -> tuple[int, int]:
    """The axial and coronal index through the middle of what is not background."""
    inside = np.argwhere(volume > 0)
    middle = (inside.min(axis=0) + inside.max(axis=0)) // 2
    return int(middle[0]), int(middle[1])


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 3,
        Path(sys.argv[2] if len(sys.argv) > 2 else Path(__file__).with_suffix(".png")),
    )
