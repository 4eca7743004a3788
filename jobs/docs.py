"""`python -m jobs.docs`: write the reference pages under docs/reference/ from the code they describe.

What can be generated is: the configuration keys (the config dataclasses and their `HELP`), each
built-in generator's parameters (its `declared_params`), the catalog columns
(`pipeline.catalog.columns`) and the benchmark tables (`bench/results/*.json`). `--check` writes nothing
and exits 1 naming every page that differs from what the code makes now (the test suite runs it).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, get_type_hints

from models import registry
from models.options import Choice, Param, Range, Setting, Subset, Weights
from pipeline.catalog import columns
from pipeline.config.job import GenerateConfig

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path("docs") / "reference"
BUILTINS = ("phantom_ct", "brain_mr", "body_mr", "maisi_ct")
HEADER = "<!-- Made by `python -m jobs.docs` from {source}: edit that, then rerun it. -->"


def configuration() -> str:
    lines = [
        "# Configuration reference",
        "",
        HEADER.format(source="`pipeline/config/job.py`"),
        "",
        "Every key of `jobs.generate`'s config (how configs are read and checked: "
        "[configuration](../configuration.md)).",
        "",
        "| key | type | default | meaning |",
        "|---|---|---|---|",
    ]
    for section in dataclasses.fields(GenerateConfig):
        cls = section.type if isinstance(section.type, type) else get_type_hints(GenerateConfig)[section.name]
        hints = get_type_hints(cls)
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
            kind = _type_name(hints[f.name])
            lines.append(f"| `{cls.section}.{f.name}` | {kind} | `{_value(default)}` | {cls.HELP[f.name]} |")
    return "\n".join(lines) + "\n"


def generators() -> str:
    lines = [
        "# Generator parameters",
        "",
        HEADER.format(source="each generator's `declared_params`"),
        "",
        "`generator.params.NAME=VALUE`. A *drawn* parameter takes one value or a list of them (choices, drawn "
        "uniformly per study) or `[lo, hi]` (a range, drawn uniformly); a *setting* is one value for the "
        "whole dataset. What each parameter does is on the generator's page.",
    ]
    for name in BUILTINS:
        declared: dict[str, Param] = registry.factory(name).declared_params  # type: ignore[attr-defined]
        lines += [
            "",
            f"## {name}",
            "",
            f"[{name}](../generators/{name}.md).",
            "",
            "| param | kind | allowed | default |",
            "|---|---|---|---|",
        ]
        lines += [f"| `{key}` | {_kind(p)} | {_allowed(p)} | {_default(p)} |" for key, p in declared.items()]
    return "\n".join(lines) + "\n"


def catalog() -> str:
    lines = [
        "# Catalog columns",
        "",
        HEADER.format(source="`pipeline/catalog/columns.py`"),
        "",
        "Every dataset's catalog has these columns, in this order (what they hold: "
        "[the dataset](../dataset.md)). *stream*: read with every sample by `StudyStream`; *shown*: in "
        "`jobs.query`'s table when no `--columns` are given.",
        "",
        "| column | Arrow type | nullable | stream | shown |",
        "|---|---|---|---|---|",
    ]
    for c in columns.COMMON:
        lines.append(f"| `{c.name}` | `{c.type}` | {_yes(c.nullable)} | {_yes(c.stream)} | {_yes(c.shown)} |")
    lines += [
        "",
        "Then the generator's own columns:",
        "",
        "| generator | column | type |",
        "|---|---|---|",
    ]
    for name in BUILTINS:
        own = registry.factory(name).columns  # type: ignore[attr-defined]
        lines += [f"| {name} | `{column}` | `{kind}` |" for column, kind in own.items()]
    lines += [
        "",
        "With several series (`generator.series`): `series` (the names in order), then per series "
        "`intensity_mean_<series>`, `intensity_std_<series>` and `<label>_hu_<series>` (`<series>` in lower "
        "case). Last, for every label of the generator's dictionary, `<label>_ml` (volume) and `<label>_hu` "
        "(median intensity of the first series), `<label>` in lower case with `_` for spaces.",
    ]
    return "\n".join(lines) + "\n"


def benchmarks(results: Path) -> str:
    lines = [
        "# Benchmark results",
        "",
        HEADER.format(source="`bench/results/*.json`"),
        "",
        "What each benchmark measures and how to read it: [benchmarks](../benchmarks.md). Each runs as "
        "`python -m jobs.bench NAME`.",
    ]
    for path in sorted(results.glob("*.json")):
        data = json.loads(path.read_text())
        machine = data.get("machine", {})
        lines += [
            "",
            f"## {data.get('name', path.stem)}",
            "",
            f"Measured {data.get('measured_at', 'at an unrecorded time')} on {machine.get('cores', '?')} cores, "
            f"Python {machine.get('python', '?')}.",
            "",
            "| metric | value |",
            "|---|---|",
        ]
        lines += [f"| {key} | {_number(value)} |" for key, value in data.get("metrics", {}).items()]
        if data.get("ratios"):
            lines += ["", "| ratio | value |", "|---|---|"]
            lines += [f"| {key} | {_number(value)} |" for key, value in data["ratios"].items()]
        if data.get("goals"):
            lines += ["", "| goal | target | measured | met |", "|---|---|---|---|"]
            for key, goal in data["goals"].items():
                target = f"{goal.get('op', '')} {_number(goal.get('target'))}"
                lines.append(f"| {key} | {target} | {_number(goal.get('value'))} | {_yes(goal.get('met'))} |")
    return "\n".join(lines) + "\n"


def pages(root: Path = ROOT) -> Iterator[tuple[Path, str]]:
    """Every generated page: its path under `root` and its text."""
    made: dict[str, Callable[[], str]] = {
        "configuration.md": configuration,
        "generators.md": generators,
        "catalog.md": catalog,
        "benchmarks.md": lambda: benchmarks(root / "bench" / "results"),
    }
    for name, make in made.items():
        yield REFERENCE / name, make()


def stale(root: Path = ROOT) -> list[Path]:
    """The generated pages whose file under `root` differs from what the code makes now."""
    return [path for path, _ in _differing(root)]


def write(root: Path = ROOT) -> list[Path]:
    """Write the generated pages under `root` that differ from what the code makes now; returns them."""
    written = []
    for path, text in _differing(root):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
        written.append(path)
    return written


def _differing(root: Path) -> list[tuple[Path, str]]:
    """Each page whose file under `root` is missing or holds other text, with the text it should hold."""
    return [(path, text) for path, text in pages(root) if not _holds(root / path, text)]


def _holds(file: Path, text: str) -> bool:
    return file.is_file() and file.read_text() == text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.docs", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a page is stale")
    args = parser.parse_args(argv)
    if args.check:
        behind = stale()
        for path in behind:
            print(f"stale: {path} (run python -m jobs.docs)", file=sys.stderr)
        return 1 if behind else 0
    for path in write():
        print(f"updated {path}")
    return 0


def _type_name(hint: Any) -> str:
    return str(hint).replace("typing.", "").replace("<class '", "").replace("'>", "").replace("|", "or")


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return json.dumps(list(value))
    return json.dumps(value) if isinstance(value, dict) else str(value)


def _kind(p: Param) -> str:
    if isinstance(p, Choice | Range):
        return "drawn"
    return "set of" if isinstance(p, Subset) else "weights" if isinstance(p, Weights) else "setting"


def _allowed(p: Param) -> str:
    if isinstance(p, Choice | Subset):
        return ", ".join(f"`{v}`" for v in p.allowed)
    if isinstance(p, Range):
        return f"{p.limits[0]:g} to {p.limits[1]:g}"
    if isinstance(p, Setting):
        if p.allowed is not None:
            return ", ".join(f"`{v}`" for v in p.allowed)
        if p.limits is not None:
            return f"{p.limits[0]:g} to {p.limits[1]:g}" + (", whole" if p.integer else "")
        return "a string (a path or URI)"
    return "numbers >= 0, one per mask"


def _default(p: Param) -> str:
    d = p.default
    if d is None:
        return "null"
    if isinstance(p, Range):
        return f"`{d[0]:g}`" if d[0] == d[1] else f"`[{d[0]:g}, {d[1]:g}]`"  # type: ignore[index]
    if isinstance(d, tuple):
        return f"`{d[0]}`" if len(d) == 1 else "`[" + ", ".join(str(v) for v in d) + "]`"
    return f"`{d}`"


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return _yes(value) if isinstance(value, bool) else "-"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def _yes(flag: Any) -> str:
    return "yes" if flag else "no"


if __name__ == "__main__":
    sys.exit(main())
