"""What every entry point shares: one line on stderr and exit 2 for bad input, and the
`medsynth` console script that dispatches to the jobs."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any

from models.errors import MedsynthError
from pipeline.errors import ConfigError

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
JOBS = ("generate", "plan", "query", "compact", "verify", "export", "report", "train", "preview")


def run(main: Callable[[Sequence[str]], int], argv: Sequence[str] | None = None) -> int:
    """Call a job's `main`, turning medsynth errors into one line and exit code 2."""
    try:
        return main(list(sys.argv[1:] if argv is None else argv))
    except MedsynthError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted: committed shards are kept; rerun the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED


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
    return run(job.main, args[1:])


if __name__ == "__main__":
    sys.exit(main())
