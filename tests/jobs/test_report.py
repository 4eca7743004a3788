"""The report in a real browser: Debian's Chromium, headless, driven by Playwright (the `browser`
fixture in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs import report
from jobs.cli import run


def open_page(browser, path: Path, screenshot: Path) -> dict:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    figures = page.evaluate(
        """() => [...document.querySelectorAll('section')].map(s => {
            const img = s.querySelector('figure img');
            return {id: s.id, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
                    shown: img.getBoundingClientRect().width, caption: s.querySelector('figcaption').innerText};
        })"""
    )
    tiles = page.locator("#tiles .tile").count()
    page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    return {"problems": problems, "figures": figures, "tiles": tiles, "requests": requests}


@pytest.mark.parametrize("dataset", ["built_dataset", "brain_dataset"])
def test_report_loads_in_chromium_without_errors_and_shows_its_figures(dataset, browser, request, tmp_path, capsys):
    cfg = request.getfixturevalue(dataset)
    out = tmp_path / "report.html"
    assert run(report.main, [cfg.storage.uri, "--out", str(out), "--previews", "2"]) == 0
    assert str(out) in capsys.readouterr().out
    seen = open_page(browser, out, tmp_path / "report.png")
    assert seen["problems"] == []
    assert [url for url in seen["requests"] if not url.startswith(("file:", "data:"))] == []
    ids = [f["id"] for f in seen["figures"]]
    assert {"counts", "volumes", "quality", "throughput", "previews"} <= set(ids)
    assert any(i.startswith("intensity-") for i in ids)
    for figure in seen["figures"]:
        assert figure["complete"] and figure["width"] > 400 and figure["height"] > 150, figure
        assert 0 < figure["shown"] <= 1200 and figure["caption"], figure
    assert seen["tiles"] == 6
    assert (tmp_path / "report.png").stat().st_size > 50_000
