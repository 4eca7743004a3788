"""The figure of README.md and docs/generators/body_mr.md: one body_mr patient on eight sequences, one label map.

`python jobs/assets/body_mr_sequences.py [SEED] [OUT]` from the repository root (the docs' is
seed 7, written to jobs/assets/body_mr_sequences.png).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only
import matplotlib.pyplot as plt
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere

from models import GeneratorOptions, make_spec
from models.registry import create

SERIES = ("T1w", "T2w", "T2w_fs", "in_phase", "opposed_phase", "dixon_fat", "T1w_fs", "T1w_fs_gd")
PARAMS = {
    "body_region": "abdomen",
    "field_strength_t": "1.5",
    "lesion_rate": 1.0,
    "lesion_kinds": ["hepatic_tumor", "kidney_cyst"],
    "lesion_size_mm": [25, 35],
}


SHAPE = (96, 160, 160)


def main(seed: int, out: Path, shape: tuple[int, int, int] = SHAPE) -> None:
    generator = create("body_mr", GeneratorOptions(shape=shape, params=PARAMS, series=SERIES))
    spec = make_spec(generator, seed, 0)
    study = generator.render(spec, torch.device("cpu"))
    acquisitions = spec.params["series_acquisitions"]
    label = study.label
    z = int(np.argmax((label == 1).sum(axis=(1, 2))))  # the liver's widest slice
    y = label.shape[1] // 2 + 10
    fig, axes = plt.subplots(2, len(SERIES) + 1, figsize=(2.2 * (len(SERIES) + 1), 4.8))
    for k, name in enumerate(SERIES):
        image = study.image[k].astype(np.float32)
        top = float(np.percentile(image, 99.5))
        s = acquisitions[k]["sequence"]
        timing = f"TR {s['tr_ms']:.0f} TE {s['te_ms']:.1f}" + (f" TI {s['ti_ms']:.0f}" if s.get("ti_ms") else "")
        axes[0, k].imshow(image[z], cmap="gray", vmin=0, vmax=top)
        axes[0, k].set_title(f"{name}\n{timing}", fontsize=7)
        axes[1, k].imshow(image[::-1, y], cmap="gray", vmin=0, vmax=top, aspect="auto")
    colours = plt.get_cmap("tab20")
    axes[0, -1].imshow(label[z] % 20, cmap=colours, interpolation="nearest")
    axes[0, -1].set_title("labels (same for all)", fontsize=7)
    axes[1, -1].imshow(label[::-1, y] % 20, cmap=colours, interpolation="nearest", aspect="auto")
    for ax in axes.ravel():
        ax.axis("off")
    fig.suptitle(
        f"body_mr {generator.version}: one patient (abdomen, 1.5 T, hepatic tumour and kidney cyst), "
        "eight sequences, one label map",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(out, dpi=80)


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 7,
        Path(sys.argv[2] if len(sys.argv) > 2 else Path(__file__).with_suffix(".png")),
    )
