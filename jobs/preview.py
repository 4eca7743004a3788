"""Look at a dataset: `python -m jobs.preview URI --n 4 --out DIR [--where ...]`.

One PNG per study: axial, coronal and sagittal slices through the volume's centre, each beside
the same slice with a coloured label overlay, and a legend of the labels present. CT is shown in
a soft-tissue window (W 400, L 40); other modalities between their 1st and 99th percentiles.
Slices are drawn in millimetres (spacing respected), superior up, patient's left on the right.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from jobs.cli import add_storage_options, run, storage_options
from models import LabelDict
from pipeline.errors import ConfigError, StorageError
from pipeline.stream import StudyStream

SOFT_TISSUE = (40.0 - 200.0, 40.0 + 200.0)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.preview", description=__doc__.splitlines()[0])
    parser.add_argument("uri")
    parser.add_argument("--n", type=int, default=4, help="how many studies (first by index)")
    parser.add_argument("--where", default=None, help="SQL WHERE selecting the studies")
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    add_storage_options(parser)
    args = parser.parse_args(argv)
    if args.n < 1:
        raise ConfigError(f"--n: must be at least 1, got {args.n}")
    options = storage_options(args.storage_option)
    stream = StudyStream(args.uri, where=args.where, normalize="none", shuffle=False, storage_options=options)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"--out: cannot create {args.out} ({exc.strerror or exc})") from None
    for count, sample in enumerate(stream, start=1):
        path = args.out / f"{sample['study_id']}.png"
        render(sample, stream.labels, path)
        print(path)
        if count == args.n:
            break
    return 0


def render(sample: dict, labels: LabelDict, path: Path) -> None:
    modality_name = sample["modality"]
    image = sample["image"][0].numpy()
    label = sample["label"][0].numpy()
    spacing = [float(s) for s in sample["spacing_mm"]]
    lo, hi = SOFT_TISSUE if modality_name == "CT" else tuple(np.percentile(image, [1, 99]))
    colours = np.zeros((int(label.max()) + 1 if label.size else 1, 4))
    for lb in labels:
        if lb.value < len(colours) and lb.name != "body":
            colours[lb.value] = np.array(lb.color) / 255.0
    colours[:, 3] *= 0.55
    nz, ny, nx = image.shape
    views = [
        ("axial", image[nz // 2], label[nz // 2], spacing[1] / spacing[2]),
        ("coronal", image[::-1, ny // 2], label[::-1, ny // 2], spacing[0] / spacing[2]),
        ("sagittal", image[::-1, :, nx // 2], label[::-1, :, nx // 2], spacing[0] / spacing[1]),
    ]
    fig, axes = plt.subplots(2, 3, figsize=(18, 10))
    for column, (name, img, lab, aspect) in enumerate(views):
        for row in (0, 1):
            ax = axes[row, column]
            ax.imshow(img, cmap="gray", vmin=lo, vmax=hi, aspect=aspect, interpolation="nearest")
            if row == 1:
                ax.imshow(colours[lab], aspect=aspect, interpolation="nearest")
            ax.set_title(f"{name}{' + labels' if row else ''}", fontsize=10)
            ax.axis("off")
    present = [lb for lb in labels if lb.name != "body" and np.any(label == lb.value)]
    handles = [Patch(color=np.array(lb.color) / 255.0, label=lb.name) for lb in present]
    fig.legend(handles=handles, loc="center right", ncol=2 if len(handles) > 40 else 1, fontsize=7, frameon=False)
    shown = " x ".join(f"{s:.2f}" for s in spacing)
    fig.suptitle(f"{sample['study_id']}   {modality_name}   {nz} x {ny} x {nx} voxels of {shown} mm", fontsize=11)
    fig.tight_layout(rect=(0, 0, 0.8, 0.96))
    fig.savefig(path, dpi=70)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(run(main))
