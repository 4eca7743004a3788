"""The report's figures from a real dataset's summary: PNGs of the size drawn, captions that state
the summary's own numbers."""

import io

import numpy as np
from PIL import Image

from pipeline import catalog
from pipeline.report import figures
from pipeline.report.summary import summarise


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(data)).size


def test_each_figure_is_a_png_whose_caption_states_the_summary(built_dataset):
    summary = summarise(catalog.open(built_dataset.storage.uri))
    counts = figures.counts(summary)
    assert counts.key == "counts" and counts.caption.startswith(f"{summary.studies} studies;")
    width, height = png_size(counts.png)
    assert width > 600 and height > 200
    quality = figures.quality(summary)
    assert quality.key == "quality" and png_size(quality.png)[0] > 300
    throughput = figures.throughput(summary)
    workers = len(set(summary.rows.column("worker").to_pylist()))
    assert throughput.caption.startswith(f"{workers} workers")
    ratio = float(np.sum(summary.raw_bytes) / summary.stored_bytes.sum())
    assert f"compression {ratio:.1f}x" in throughput.caption


def test_distributions_show_at_most_their_limit_and_say_how_many_were_left_out(built_dataset):
    summary = summarise(catalog.open(built_dataset.storage.uri))
    many = [*summary.volumes] * 10
    figure = figures.distributions("volumes", "Organ volumes", "ml", many, log=True, note="")
    assert figure.key == "volumes" and png_size(figure.png)[1] > 100
    assert len(many) > figures.SHOWN_LABELS
    assert f"{len(many) - figures.SHOWN_LABELS} more labels are in the catalog" in figure.caption
