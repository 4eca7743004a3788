"""Assemble the report: summarise the catalog, draw the figures, sample studies for previews,
write the page atomically (a temp file renamed over `out`)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pipeline.catalog import Catalog
from pipeline.config.fields import whole_number
from pipeline.errors import ConfigError, StorageError
from pipeline.export.volume import ROW_COLUMNS, acquisition_record, read
from pipeline.report import figures, page
from pipeline.report.summary import Summary, summarise
from pipeline.store.storage import ensure_local_folder


def build(cat: Catalog, out: Path, where: str | None = None, previews: int = 6) -> Path:
    """Write the report of the studies `where` selects to `out` (an .html path); returns `out`."""
    whole_number("--previews", previews, 0, 64)
    summary = summarise(cat, where)  # a bad WHERE fails here, before anything is written
    if summary.studies == 0:
        raise ConfigError(f"--where: no committed studies match in {cat.store.uri}")
    _check_writable(out)
    drawn = [
        figures.counts(summary),
        figures.distributions(
            "volumes",
            "Label volumes",
            "ml",
            summary.volumes,
            log=True,
            note="Volume of each label over the studies that contain it (count in brackets), "
            "with published adult ranges where the literature gives one.",
        ),
        *[
            figures.distributions(
                f"intensity-{contrast}",
                f"Median intensity per label: {contrast}",
                "HU" if summary.modality == "CT" else "stored intensity",
                found,
                log=False,
                note=f"Median intensity inside each label ({contrast}); published CT ranges per contrast phase "
                "where the label is one tissue. MR is grouped by sequence where it has one and has no "
                "reference: its stored intensities have no absolute scale. A dataset of several series "
                "shows each series.",
            )
            for contrast, found in summary.intensities.items()
        ],
        figures.quality(summary),
        figures.throughput(summary),
    ]
    if previews:
        sampled = _sample(cat, where, summary, previews)
        drawn.append(figures.previews(sampled, cat.info.labels))
        if cat.info.series:
            drawn.append(figures.series_strip(sampled[0], cat.info.labels))
    html = page.render(summary, drawn, _tiles(summary))
    temp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    temp.write_text(html, encoding="utf-8")
    temp.replace(out)
    return out


def _sample(cat: Catalog, where: str | None, summary: Summary, n: int) -> list:
    rows = cat.query(where, columns=[*ROW_COLUMNS, "index", *(["series"] if cat.info.series else [])]).to_pylist()
    picks = np.unique(np.linspace(0, len(rows) - 1, num=min(n, len(rows))).round().astype(int))
    record = acquisition_record(cat.info.generator)
    return [read(cat.store, rows[i], record) for i in picks]


def _tiles(summary: Summary) -> list[tuple[str, str]]:
    stored = summary.stored_bytes
    return [
        ("studies", f"{summary.studies:,}"),
        ("QC pass rate", f"{summary.qc_passed / summary.studies:.1%}"),
        ("QC redraws", f"{sum(r * n for r, n in summary.redraws):,}"),
        ("per study (median)", f"{np.median(stored) / 2**20:.2f} MiB"),
        ("labels present", f"{len(summary.volumes)}"),
        ("render s/study (median)", f"{np.median(np.asarray(summary.rows.column('render_s'))):.2f}"),
    ]


def _check_writable(out: Path) -> None:
    if out.is_dir():
        raise StorageError(f"--out: {out} is a folder; name the .html file to write")
    ensure_local_folder(out.parent, "--out")
