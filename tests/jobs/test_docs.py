"""The docs stay true: generated pages current, every page reachable from README, no section
written twice, every code symbol and path they name still there."""

from __future__ import annotations

import importlib
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from jobs import docs

ROOT = docs.ROOT
LINK = re.compile(r"\]\(([^)#\s]+\.md)(?:#[^)]*)?\)")
SYMBOL = re.compile(r"`((?:models|pipeline|jobs)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)(?:\([^`]*\))?`")
PATH = re.compile(r"`((?:models|pipeline|jobs|tests|infra|bench)/[A-Za-z0-9_./-]+)`")


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def prose(path: Path) -> str:
    """The page without its fenced code blocks (commands are repeated on purpose)."""
    return re.sub(r"```.*?```", "", path.read_text(), flags=re.DOTALL)


def test_generated_pages_are_current() -> None:
    assert docs.stale() == [], "run python -m jobs.docs and commit docs/reference/"


def test_a_changed_result_makes_its_page_stale(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "bench" / "results", tmp_path / "bench" / "results")
    shutil.copytree(ROOT / "docs" / "reference", tmp_path / "docs" / "reference")
    assert docs.stale(tmp_path) == []
    result = tmp_path / "bench" / "results" / "phantom.json"
    result.write_text(result.read_text().replace('"metrics": {', '"metrics": {"new_metric": 1.5, ', 1))
    assert docs.stale(tmp_path) == [docs.REFERENCE / "benchmarks.md"]
    assert docs.write(tmp_path) == [docs.REFERENCE / "benchmarks.md"]  # only the page that moved
    assert docs.stale(tmp_path) == []


def test_every_config_key_has_its_meaning() -> None:
    text = docs.configuration()
    assert "| `ray.address` |" in text and "RAY_ADDRESS" in text
    assert "| `storage.prefix_hash` |" in text


def test_every_page_is_reachable_from_the_readme() -> None:
    seen, todo = set(), [ROOT / "README.md"]
    while todo:
        page = todo.pop()
        if page in seen:
            continue
        seen.add(page)
        for target in LINK.findall(page.read_text()):
            linked = (page.parent / target).resolve()
            assert linked.is_file(), f"{page.relative_to(ROOT)} links to {target}, which does not exist"
            todo.append(linked)
    unreachable = [p.relative_to(ROOT) for p in pages() if p.resolve() not in seen]
    assert unreachable == []


def repeated(paths: list[Path]) -> list[str]:
    """Paragraphs of prose (160 characters or more) found more than once over `paths`, and
    headings found twice on one page."""
    paragraphs: Counter[str] = Counter()
    found = []
    for page in paths:
        for block in re.split(r"\n\s*\n", prose(page)):
            text = " ".join(block.split())
            if len(text) >= 160 and not text.startswith("|"):  # tables repeat their header rows
                paragraphs[text] += 1
        headings = Counter(re.findall(r"^#+ .*$", prose(page), flags=re.MULTILINE))
        found += [f"{page.name}: {h}" for h, n in headings.items() if n > 1]
    return found + [text[:80] for text, n in paragraphs.items() if n > 1]


def test_no_section_is_written_twice() -> None:
    assert repeated(pages()) == []


def test_a_copied_section_is_found(tmp_path: Path) -> None:
    section = (ROOT / "docs" / "query.md").read_text()
    (tmp_path / "a.md").write_text(section)
    (tmp_path / "b.md").write_text("# Another page\n\n" + section.split("\n\n", 2)[2])
    assert repeated([tmp_path / "a.md"]) == []
    assert len(repeated([tmp_path / "a.md", tmp_path / "b.md"])) >= 2


def test_a_vanished_symbol_does_not_resolve() -> None:
    assert resolves("pipeline.stream.StudyStream") and resolves("pipeline.config.job.StorageConfig.prefix_hash")
    assert not resolves("pipeline.catalog.manifest.BASE_FIELDS")
    assert not resolves("pipeline.no_such_module")


def test_no_readme_is_longer_than_a_newcomer_reads() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_named_symbol_and_path_exists(page: Path) -> None:
    text = page.read_text()
    for dotted in sorted(set(SYMBOL.findall(text))):
        assert resolves(dotted), f"{page.relative_to(ROOT)} names `{dotted}`, which the code no longer has"
    for path in sorted(set(PATH.findall(text))):
        if re.search(r"[A-Z]{2,}|\.\.\.", path):  # a pattern (`jobs/bench/NAME.py`), not a file
            continue
        assert (ROOT / path.rstrip(".")).exists(), f"{page.relative_to(ROOT)} names `{path}`, which is not there"


def resolves(dotted: str) -> bool:
    """`dotted` is a module, or an attribute path inside the longest module prefix of it."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            if not hasattr(found, name):
                annotations = getattr(found, "__dataclass_fields__", {}) or getattr(found, "__annotations__", {})
                return name in annotations
            found = getattr(found, name)
        return True
    return False


# --- the benchmarks page describes; the results page quotes --------------------------------------

NUMBER = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")


def quoted_results(page: str, results: Path) -> list[str]:
    """Decimal numbers of `page` (three or more significant digits, so not a design parameter such
    as 1.5 mm) that are a measured value of some `results/*.json`, as a writer would round it."""
    measured = set()
    for path in results.glob("*.json"):
        data = json.loads(path.read_text())
        for value in [*data.get("metrics", {}).values(), *data.get("ratios", {}).values()]:
            if isinstance(value, int | float) and not isinstance(value, bool):
                measured |= {f"{value:.3g}", f"{value:.4g}", f"{value:.2f}", f"{value:.3f}"}
    digits = [n for n in NUMBER.findall(page) if len(n.replace(".", "").lstrip("0")) >= 3]
    return sorted({n for n in digits if n in measured})


def test_the_benchmarks_page_quotes_no_result_and_describes_every_benchmark() -> None:
    page = prose(ROOT / "docs" / "benchmarks.md")
    assert quoted_results(page, ROOT / "bench" / "results") == []
    assert not re.search(r"^\|.*\d.*\|$", page, flags=re.MULTILINE), "result tables belong to the generated page"
    described = set(re.findall(r"\*\*`([a-z_]+)`\*\*", page))
    assert {p.stem for p in (ROOT / "bench" / "results").glob("*.json")} - {"maisi_gpu"} <= described


def test_a_quoted_result_is_found(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text(json.dumps({"metrics": {"render_s": 1.2437}, "ratios": {"r": 0.4523}}))
    assert quoted_results("renders in 1.24 s at 0.8 mm; 0.452 of the ceiling; 0.9 goal", tmp_path) == ["0.452", "1.24"]
