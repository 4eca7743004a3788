"""The report's figures, drawn with matplotlib (Agg) into PNG bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pyarrow as pa
from matplotlib.figure import Figure as MplFigure

from models import LabelDict
from pipeline.export.volume import ExportStudy
from pipeline.report.slices import overlay_colours, views, window
from pipeline.report.summary import Distribution, Summary

DPI = 90
SHOWN_LABELS = 36  # per distribution figure: labels with a published range first, then the most frequent
ACCENT = "#3465a4"
REFERENCE = "#e9b96e"


@dataclass(frozen=True)
class Figure:
    key: str  # the HTML id
    title: str
    caption: str
    png: bytes


def counts(summary: Summary) -> Figure:
    rows = -(-(len(summary.counts) + 1) // 3)
    fig, grid = plt.subplots(rows, 3, figsize=(12.0, 3.0 * rows))
    axes = grid.ravel()
    for ax in axes[len(summary.counts) : -1]:
        ax.set_visible(False)
    for ax, (column, values) in zip(axes, summary.counts.items(), strict=False):
        ax.barh([v for v, _ in values][::-1], [n for _, n in values][::-1], color=ACCENT)
        ax.set_title(column.replace("_", " "), fontsize=10)
        ax.tick_params(labelsize=8)
    ages = np.array([a for a in summary.rows.column("age").to_pylist() if a is not None], dtype=float)
    ax = axes[-1]
    if ages.size:
        ax.hist(ages, bins=np.arange(10 * np.floor(ages.min() / 10), ages.max() + 10, 5), color=ACCENT)
    ax.set_title("age (years)", fontsize=10)
    ax.tick_params(labelsize=8)
    caption = f"{summary.studies} studies; counts of each categorical column, and the age distribution."
    return Figure("counts", "What the dataset contains", caption, _png(fig))


def distributions(key: str, title: str, unit: str, found: Sequence[Distribution], log: bool, note: str) -> Figure:
    """One horizontal box per label (box: 25-75 %, line: median, whiskers: 5-95 %) and, behind
    it, the label's published range as a band. At most SHOWN_LABELS labels, in dictionary order."""
    found, left_out = _shown(found)
    if left_out:
        note += f" {left_out} more labels are in the catalog (python -m jobs.query URI --list-columns)."
    height = 1.2 + 0.24 * len(found)
    fig, ax = plt.subplots(figsize=(11.0, height))
    for y, d in enumerate(reversed(found)):
        if d.reference is not None:
            low, high = d.reference
            ax.add_patch(plt.Rectangle((low, y - 0.4), high - low, 0.8, color=REFERENCE, alpha=0.6, lw=0))
        q05, q25, q50, q75, q95 = d.quantiles
        ax.plot([q05, q95], [y, y], color="black", lw=0.8)
        ax.add_patch(plt.Rectangle((q25, y - 0.28), max(q75 - q25, 1e-9), 0.56, color=ACCENT, lw=0))
        ax.plot([q50, q50], [y - 0.3, y + 0.3], color="white", lw=1.5)
    ax.set_yticks(range(len(found)), [f"{d.label} ({d.studies})" for d in reversed(found)], fontsize=8)
    ax.set_ylim(-0.7, len(found) - 0.3)
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(unit, fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    legend = [
        plt.Rectangle((0, 0), 1, 1, color=ACCENT, label="generated: 25-75 % (line: median; whiskers 5-95 %)"),
        plt.Rectangle((0, 0), 1, 1, color=REFERENCE, alpha=0.6, label="published adult range"),
    ]
    ax.legend(handles=legend, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    fig.tight_layout()
    return Figure(key, title, note, _png(fig))


def quality(summary: Summary) -> Figure:
    fig, (left, right) = plt.subplots(1, 2, figsize=(11.0, 3.0))
    failed = summary.studies - summary.qc_passed
    left.barh(["passed", "failed"], [summary.qc_passed, failed], color=[ACCENT, "#cc0000"])
    left.set_title(f"QC pass rate {summary.qc_passed / max(summary.studies, 1):.1%}", fontsize=10)
    redraws, studies = zip(*summary.redraws, strict=True) if summary.redraws else ((), ())
    right.bar([str(r) for r in redraws], studies, color=ACCENT)
    right.set_title("studies by QC redraws", fontsize=10)
    right.set_xlabel("redraws before the study passed", fontsize=9)
    fig.tight_layout()
    caption = (
        f"{summary.qc_passed} of {summary.studies} studies passed their generator's QC; "
        f"{sum(r * n for r, n in summary.redraws)} redraws in all (a redraw re-samples a study that failed)."
    )
    return Figure("quality", "Quality control", caption, _png(fig))


def throughput(summary: Summary) -> Figure:
    """Studies committed over time, one line per worker, and the bytes each study takes."""
    rows = summary.rows
    workers = np.array([w or "-" for w in rows.column("worker").to_pylist()])
    times = np.asarray(rows.column("created_at").cast(pa.int64()))  # microseconds since the epoch
    stored = summary.stored_bytes
    fig, (left, right) = plt.subplots(1, 2, figsize=(12.0, 3.8))
    start = times.min() if times.size else 0
    rates = []
    for worker in sorted(set(workers)):
        mine = np.sort(times[workers == worker])
        minutes = (mine - start).astype(np.float64) / 60e6
        left.step(minutes, np.arange(1, mine.size + 1), where="post", label=_short(worker), lw=1.2)
        span = (mine[-1] - mine[0]) / 1e6 if mine.size > 1 else 0.0
        rates.append((mine.size - 1) / span if span > 0 else float("nan"))
    left.set_xlabel("minutes since the first study", fontsize=9)
    left.set_ylabel("studies written", fontsize=9)
    if len(rates) <= 12:
        left.legend(fontsize=7)
    left.set_title("throughput per worker", fontsize=10)
    right.hist(stored / 2**20, bins=30, color=ACCENT)
    right.set_xlabel("MiB per study (image + labels, compressed)", fontsize=9)
    right.set_title("bytes per study", fontsize=10)
    fig.tight_layout()
    finite = [r for r in rates if np.isfinite(r)]
    ratio = float(np.sum(summary.raw_bytes) / max(float(stored.sum()), 1.0))
    caption = (
        f"{len(rates)} workers"
        + (f", {np.median(finite):.2f} studies/s each (median)" if finite else "")
        + f"; {np.median(stored) / 2**20:.2f} MiB per study (median), compression {ratio:.1f}x; "
        f"render {np.median(np.asarray(rows.column('render_s'))):.2f} s and write "
        f"{np.median(np.asarray(rows.column('write_s'))):.2f} s per study (median)."
    )
    return Figure("throughput", "Throughput and storage", caption, _png(fig))


def series_strip(study: ExportStudy, labels: LabelDict) -> Figure:
    """Every series of one study: the same axial slice of each, alone and under the one label map."""
    shown = study.views()
    fig, axes = plt.subplots(2, len(shown), figsize=(2.8 * len(shown), 5.6), squeeze=False)
    colours = overlay_colours(labels, int(study.label.max()))
    for k, view in enumerate(shown):
        lo, hi = window(view.image, view.modality)
        axial = views(view.image, study.label, study.spacing_mm)[0]
        for row, overlay in ((0, False), (1, True)):
            ax = axes[row][k]
            ax.imshow(axial.image, cmap="gray", vmin=lo, vmax=hi, aspect=axial.aspect, interpolation="nearest")
            if overlay:
                ax.imshow(colours[axial.label], aspect=axial.aspect, interpolation="nearest")
            ax.set_title(f"{view.number}. {view.name}" if not overlay else "labels", fontsize=8)
            ax.axis("off")
    fig.tight_layout()
    caption = (
        f"Study {study.study_id}: its {len(shown)} series on one grid (the central axial slice of each), "
        "and the one label map every series shares."
    )
    return Figure("series", "Series of one study", caption, _png(fig))


def previews(studies: Sequence[ExportStudy], labels: LabelDict) -> Figure:
    """Axial, coronal and sagittal slices with the label overlay, one row per sampled study (its
    first series when it has several)."""
    studies = [study.views()[0] for study in studies]
    fig, axes = plt.subplots(len(studies), 3, figsize=(11.0, 3.6 * len(studies)), squeeze=False)
    for row, study in zip(axes, studies, strict=True):
        lo, hi = window(study.image, study.modality)
        colours = overlay_colours(labels, int(study.label.max()))
        for ax, view in zip(row, views(study.image, study.label, study.spacing_mm), strict=True):
            ax.imshow(view.image, cmap="gray", vmin=lo, vmax=hi, aspect=view.aspect, interpolation="nearest")
            ax.imshow(colours[view.label], aspect=view.aspect, interpolation="nearest")
            ax.set_title(f"{study.study_id}  {view.name}", fontsize=8)
            ax.axis("off")
    fig.tight_layout()
    caption = f"{len(studies)} studies spread evenly over the selection; labels overlaid in their dictionary colours."
    return Figure("previews", "Preview slices", caption, _png(fig))


def _shown(found: Sequence[Distribution]) -> tuple[list[Distribution], int]:
    ranked = sorted(range(len(found)), key=lambda i: (found[i].reference is None, -found[i].studies, i))
    keep = sorted(ranked[:SHOWN_LABELS])
    return [found[i] for i in keep], len(found) - len(keep)


def _short(worker: str) -> str:
    return worker if len(worker) <= 28 else worker[:12] + "..." + worker[-12:]


def _png(fig: MplFigure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    plt.close(fig)
    return buffer.getvalue()
