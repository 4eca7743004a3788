"""Look at a dataset: `python -m jobs.preview URI --n 4 --out DIR [--where ...]`.

One PNG per study: axial, coronal and sagittal slices through the volume's centre, each beside
the same slice with a coloured label overlay, and a legend of the labels present (windows and
orientation: `pipeline.report.slices`).
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

from jobs.cli import add_storage_options, out_folder, parse, run, storage_options, whole
from models import LabelDict
from pipeline.errors import ConfigError, StorageError
from pipeline.report.slices import overlay_colours, views, window
from pipeline.stream import StudyStream


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.preview", description=__doc__.splitlines()[0])
    parser.add_argument("uri")
    parser.add_argument("--n", type=whole(1, 1000), default=4, help="how many studies (first by index)")
    parser.add_argument("--where", default=None, help="SQL WHERE selecting the studies")
    parser.add_argument("--out", required=True, help="folder for the PNG files")
    add_storage_options(parser)
    args = parse(parser, argv)
    options = storage_options(args.storage_option)
    out = out_folder(args.out, args.uri)
    stream = StudyStream(args.uri, where=args.where, normalize="none", shuffle=False, storage_options=options)
    if stream.rows.num_rows == 0:
        raise ConfigError(f"--where: selects no studies of {args.uri}")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"--out: cannot create {out} ({exc.strerror or exc})") from None
    for count, sample in enumerate(stream, start=1):
        path = out / f"{sample['study_id']}.png"
        render(sample, stream.labels, path)
        print(path)
        if count == args.n:
            break
    return 0


def render(sample: dict, labels: LabelDict, path: Path) -> None:
    image = sample["image"][0].numpy()
    label = sample["label"][0].numpy()
    spacing = tuple(float(s) for s in sample["spacing_mm"])
    lo, hi = window(image, sample["modality"])
    colours = overlay_colours(labels, int(label.max()) if label.size else 0)
    fig, axes = plt.subplots(2, 3, figsize=(18, 10))
    for column, view in enumerate(views(image, label, spacing)):
        for row in (0, 1):
            ax = axes[row, column]
            ax.imshow(view.image, cmap="gray", vmin=lo, vmax=hi, aspect=view.aspect, interpolation="nearest")
            if row == 1:
                ax.imshow(colours[view.label], aspect=view.aspect, interpolation="nearest")
            ax.set_title(f"{view.name}{' + labels' if row else ''}", fontsize=10)
            ax.axis("off")
    present = [lb for lb in labels if lb.name != "body" and np.any(label == lb.value)]
    handles = [Patch(color=np.array(lb.color) / 255.0, label=lb.name) for lb in present]
    fig.legend(handles=handles, loc="center right", ncol=2 if len(handles) > 40 else 1, fontsize=7, frameon=False)
    nz, ny, nx = image.shape
    shown = " x ".join(f"{s:.2f}" for s in spacing)
    fig.suptitle(f"{sample['study_id']}   {sample['modality']}   {nz} x {ny} x {nx} voxels of {shown} mm", fontsize=11)
    fig.tight_layout(rect=(0, 0, 0.8, 0.96))
    fig.savefig(path, dpi=70)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(run(main))
