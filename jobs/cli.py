"""What every entry point shares: one line on stderr and exit 2 for bad input, and the
`medsynth` console script that dispatches to the jobs."""

from __future__ import annotations

import argparse
import importlib
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from models.errors import MedsynthError
from pipeline.errors import ConfigError

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
JOBS = ("generate", "plan", "query", "compact", "verify", "export", "report", "train", "evaluate", "preview", "view")


def run(
    main: Callable[[Sequence[str]], int], argv: Sequence[str] | None = None, interrupted: str = "interrupted"
) -> int:
    """Call a job's `main`, turning medsynth errors into one line and exit code 2, and Ctrl-C into
    the job's own `interrupted` line and exit code 130."""
    try:
        return main(list(sys.argv[1:] if argv is None else argv))
    except MedsynthError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(interrupted, file=sys.stderr)
        return EXIT_INTERRUPTED


def out_folder(out: str | Path, uri: str) -> Path:
    """An --out folder of its own: named, and never the local dataset `uri` or inside it."""
    if not str(out).strip():
        raise ConfigError("--out: must name a folder")
    folder = Path(out).expanduser()
    if "://" not in uri or uri.startswith("file://"):
        root = Path(uri.removeprefix("file://")).expanduser().resolve()
        if folder.resolve() == root or root in folder.resolve().parents:
            raise ConfigError(f"--out: {out} is inside the dataset {uri}; write elsewhere")
    return folder


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """What every job that takes a generation config accepts: overrides, YAML files, interpolation."""
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. dataset.n_studies=64")
    parser.add_argument(
        "--config", action="append", default=[], metavar="FILE", help="YAML config merged over the defaults"
    )
    parser.add_argument(
        "--resolve-interpolations",
        action="store_true",
        help="resolve ${...} in the config (e.g. ${oc.env:NAME}); off by default, so nothing reads the environment",
    )


def parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """Options and positionals in any order (`key=value --no-progress key=value`); a usage error is
    one line and exit 2 like any other bad input."""

    def error(message: str) -> NoReturn:
        raise ConfigError(message)

    parser.exit_on_error = False
    parser.error = error  # type: ignore[method-assign]
    try:
        return parser.parse_intermixed_args(list(argv))
    except argparse.ArgumentError as exc:
        raise ConfigError(str(exc)) from None


def whole(lo: int, hi: int) -> Callable[[str], int]:
    """An argparse `type`: a whole number within [lo, hi] (a bad one names its option, exit 2)."""

    def parse_whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text[:40]!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be between {lo} and {hi:,}, got {value}")
        return value

    return parse_whole


def wholes(least: int, most: int, lo: int, hi: int) -> Callable[[str], tuple[int, ...]]:
    """An argparse `type`: `least` to `most` comma-separated whole numbers, each within [lo, hi]."""
    one = whole(lo, hi)

    def parse_wholes(text: str) -> tuple[int, ...]:
        values = tuple(one(v.strip()) for v in text.split(","))
        if not least <= len(values) <= most:
            count = str(least) if least == most else f"{least} to {most}"
            raise argparse.ArgumentTypeError(f"must be {count} comma-separated numbers, got {text[:40]!r}")
        return values

    return parse_wholes


def number(lo: float, hi: float) -> Callable[[str], float]:
    """An argparse `type`: a finite number within [lo, hi]."""

    def parse_number(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text[:40]!r}") from None
        if not math.isfinite(value) or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be a finite number within [{lo:g}, {hi:g}], got {text[:40]}")
        return value

    return parse_number


def numbers(count: int, lo: float, hi: float) -> Callable[[str], tuple[float, ...]]:
    """An argparse `type`: exactly `count` comma-separated finite numbers, each within [lo, hi]."""
    one = number(lo, hi)

    def parse_numbers(text: str) -> tuple[float, ...]:
        values = tuple(one(v.strip()) for v in text.split(","))
        if len(values) != count:
            raise argparse.ArgumentTypeError(f"must be {count} comma-separated numbers, got {text[:40]!r}")
        return values

    return parse_numbers


def add_storage_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--storage-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="fsspec storage option, e.g. endpoint_url=http://127.0.0.1:9000 (repeatable)",
    )


def storage_options(items: Sequence[str]) -> dict[str, Any]:
    """`-o KEY=VALUE` arguments as fsspec options (true/false become booleans)."""
    options: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--storage-option: expected KEY=VALUE, got {item!r}")
        options[key] = {"true": True, "false": False}.get(value.lower(), value)
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """`medsynth <job> ...` == `python -m jobs.<job> ...`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or args[0] not in JOBS:
        print(f"usage: medsynth {{{','.join(JOBS)}}} ...", file=sys.stderr)
        return 0 if args and args[0] in ("-h", "--help") else EXIT_BAD_INPUT
    job = importlib.import_module(f"jobs.{args[0]}")
    return run(job.main, args[1:], getattr(job, "INTERRUPTED", "interrupted"))


if __name__ == "__main__":
    sys.exit(main())
