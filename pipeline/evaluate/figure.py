"""The overlay a person reads in a minute: for each real scan, the axial slice with the most
labelled voxels, as the scan, its reference labels, and each model's prediction over it."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from pipeline.evaluate.volumes import Volume

COLOURS = plt.get_cmap("tab10").colors


def overlay(
    scan: Volume, predictions: dict[str, np.ndarray], names: list[str], dice: dict[str, float | None], out: Path
) -> Path:
    """A PNG of `scan`'s most labelled slice: image, reference, then each prediction (with its mean Dice)."""
    z = int(np.argmax((scan.label > 0).sum(axis=(1, 2))))
    panels = [("real scan", None), ("reference", scan.label[z])]
    panels += [(f"{kind} (mean Dice {_fmt(dice.get(kind))})", p[z]) for kind, p in predictions.items()]
    colours = ListedColormap([(0, 0, 0, 0), *[(*COLOURS[k % 10], 0.55) for k in range(len(names))]])
    aspect = scan.spacing[1] / scan.spacing[2]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.6))
    for ax, (title, label) in zip(np.atleast_1d(axes), panels, strict=True):
        ax.imshow(scan.image[z], cmap="gray", vmin=0.0, vmax=1.0, aspect=aspect)
        if label is not None:
            ax.imshow(label, cmap=colours, vmin=0, vmax=len(names), interpolation="nearest", aspect=aspect)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    handles = [Patch(color=COLOURS[k % 10], label=name) for k, name in enumerate(names)]
    fig.legend(handles=handles, loc="lower center", ncol=len(names), fontsize=8, frameon=False)
    fig.suptitle(f"{scan.name}, slice {z} of {scan.label.shape[0]}", fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    path = out / f"overlay_{scan.name}.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"
