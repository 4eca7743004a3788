"""The report as one self-contained HTML page: inline CSS, figures as data: URIs, and a
Content-Security-Policy that lets the page load nothing from anywhere else."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from pipeline.report.figures import Figure
from pipeline.report.summary import Summary

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 24px; color: #222; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 18px; margin: 28px 0 6px; }
.meta { color: #555; margin: 0 0 16px; } code { background: #f3f3f3; padding: 1px 4px; }
.tiles { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.tile { border: 1px solid #ddd; border-radius: 6px; padding: 10px 14px; min-width: 150px; }
.tile b { display: block; font-size: 22px; } .tile span { color: #555; font-size: 13px; }
figure { margin: 0 0 12px; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: 13px; margin-top: 4px; }
footer { color: #777; font-size: 12px; margin-top: 32px; }
"""
POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def render(summary: Summary, figures: Sequence[Figure], tiles: Sequence[tuple[str, str]]) -> str:
    title = f"medsynth dataset report: {summary.name}"
    selection = f" selected by <code>{escape(summary.where)}</code>" if summary.where else ""
    meta = (
        f"<code>{escape(summary.uri)}</code>: {summary.studies} of {summary.planned} planned studies{selection}, "
        f"generator <b>{escape(summary.generator)}</b> {escape(summary.generator_version)}, "
        f"dataset status <b>{escape(summary.status)}</b>."
    )
    tile_html = "".join(
        f'<div class="tile"><b>{escape(value)}</b><span>{escape(name)}</span></div>' for name, value in tiles
    )
    sections = "".join(_figure(f) for f in figures)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n<body>\n"
        f'<h1>{escape(title)}</h1>\n<p class="meta">{meta}</p>\n'
        f'<div class="tiles" id="tiles">{tile_html}</div>\n{sections}'
        f"<footer>Made by <code>python -m jobs.report</code> at {stamp} from the dataset's catalog.</footer>\n"
        "</body></html>\n"
    )


def _figure(figure: Figure) -> str:
    data = base64.b64encode(figure.png).decode("ascii")
    return (
        f'<section id="{figure.key}"><h2>{escape(figure.title)}</h2>'
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(figure.title)}">'
        f"<figcaption>{escape(figure.caption)}</figcaption></figure></section>\n"
    )
