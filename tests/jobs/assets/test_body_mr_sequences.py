"""The docs' body_mr figure: one patient on the eight sequences and its one label map, as a PNG."""

from PIL import Image

from jobs.assets import body_mr_sequences


def test_the_figure_shows_every_sequence_and_the_labels(tmp_path):
    out = tmp_path / "figure.png"
    body_mr_sequences.main(7, out, shape=(32, 48, 48))
    width, height = Image.open(out).size
    assert width > 4 * height  # nine panels across (eight sequences and the labels), two rows
    assert len(body_mr_sequences.SERIES) == 8
