"""The report page: one self-contained HTML document whose policy loads nothing from elsewhere, its
figures inline as data: URIs, and every text from the dataset escaped."""

import base64
import re
from html.parser import HTMLParser

from pipeline import catalog
from pipeline.report.figures import Figure
from pipeline.report.page import POLICY, render
from pipeline.report.summary import summarise

PNG = b"\x89PNG\r\n\x1a\nnot really a picture"


class Collected(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_the_page_is_self_contained_and_escapes_what_it_quotes(built_dataset):
    summary = summarise(catalog.open(built_dataset.storage.uri), "index < 3 AND sex <> '<script>'")
    html = render(summary, [Figure("counts", "A & B", "caption <b>", PNG)], [("studies", "3 <x>")])
    parsed = Collected()
    parsed.feed(html)
    tags = parsed.tags
    policy = next(a for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert policy["content"] == POLICY and "default-src 'none'" in POLICY
    sources = [a["src"] for t, a in tags if t in ("img", "script", "link", "iframe") and "src" in a]
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert base64.b64decode(sources[0].split(",", 1)[1]) == PNG
    assert not [t for t, a in tags if t in ("script", "link") or a.get("href")]
    assert "<script>" not in html and "&lt;script&gt;" in html  # the WHERE clause, escaped
    assert "A &amp; B" in html and "3 &lt;x&gt;" in html and 'id="counts"' in html
    assert re.search(r"3 of 10 planned studies selected by", html)
