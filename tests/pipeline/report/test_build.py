import base64
import io
import re

import matplotlib.image

from pipeline import catalog
from pipeline.report import build
from pipeline.report.summary import summarise

SECTIONS = ("counts", "volumes", "quality", "throughput", "previews")


def figures(html: str) -> dict[str, bytes]:
    found = re.findall(r'<section id="([\w-]+)">.*?src="data:image/png;base64,([^"]+)"', html)
    return {key: base64.b64decode(data) for key, data in found}


def test_ct_report_is_one_self_contained_page(built_dataset, tmp_path):
    out = build(catalog.open(built_dataset.storage.uri), tmp_path / "r.html", previews=3)
    html = out.read_text()
    drawn = figures(html)
    assert set(SECTIONS) <= set(drawn)
    assert {k for k in drawn if k.startswith("intensity-")}  # one per contrast phase present
    for key, png in drawn.items():
        picture = matplotlib.image.imread(io.BytesIO(png), format="png")
        assert picture.shape[0] > 150 and picture.shape[1] > 400, key
    assert re.search(r"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'", html)
    assert not re.search(r'(src|href)="(https?:|//)', html)  # nothing loaded from elsewhere
    assert "10 of 10 planned studies" in html and "phantom_ct" in html
    preview = matplotlib.image.imread(io.BytesIO(drawn["previews"]), format="png")
    assert preview.shape[0] > 0.8 * preview.shape[1]  # three studies, one row of three views each


def test_report_of_a_selection_says_so_and_writes_atomically(built_dataset, tmp_path):
    out = build(catalog.open(built_dataset.storage.uri), tmp_path / "sel.html", where="body_region = 'chest'")
    html = out.read_text()
    assert "selected by <code>body_region = &#x27;chest&#x27;</code>" in html
    assert [p.name for p in tmp_path.iterdir()] == ["sel.html"]  # no temp or probe files left


def test_brain_report(brain_dataset, tmp_path):
    html = build(catalog.open(brain_dataset.storage.uri), tmp_path / "b.html", previews=2).read_text()
    assert set(SECTIONS) | {"intensity-T1"} <= set(figures(html))


def test_body_mr_report_groups_intensities_by_sequence_without_ct_references(body_mr_dataset, tmp_path):
    cat = catalog.open(body_mr_dataset.storage.uri)
    summary = summarise(cat)
    assert set(summary.intensities) == {"T2w", "T1w_fs_gd", "STIR", "opposed_phase"}
    assert all(d.reference is None for found in summary.intensities.values() for d in found)
    assert {v for v, _ in summary.counts["sequence"]} == set(summary.intensities)
    html = build(cat, tmp_path / "mr.html", previews=2).read_text()
    assert {"intensity-STIR", "intensity-T2w"} <= set(figures(html))


def test_a_report_of_several_series_shows_each_series_and_a_strip_of_one_study(series_dataset, tmp_path):
    from tests.conftest import SERIES

    cat = catalog.open(series_dataset.storage.uri)
    summary = summarise(cat)
    assert summary.counts["series"] == [(name, 4) for name in SERIES]
    assert list(summary.intensities) == list(SERIES)
    aorta = {
        name: next(d for d in found if d.label == "aorta").quantiles[2] for name, found in summary.intensities.items()
    }
    assert aorta["arterial"] > aorta["portal_venous"] > aorta["delayed"] > aorta["non_contrast"]
    delayed_liver = next(d for d in summary.intensities["delayed"] if d.label == "liver")
    assert delayed_liver.reference is not None  # the delayed phase has its published-derived range
    assert summary.raw_bytes[0] == 48 * 64 * 64 * (2 * 4 + 1)  # four int16 series and one uint8 label map
    drawn = figures(build(cat, tmp_path / "r.html", previews=2).read_text())
    assert {f"intensity-{name}" for name in SERIES} | {"series", "previews"} <= set(drawn)
    strip = matplotlib.image.imread(io.BytesIO(drawn["series"]), format="png")
    assert strip.shape[1] > 1.5 * strip.shape[0]  # one column per series
