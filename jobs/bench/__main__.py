"""`python -m jobs.bench NAME [options]`: run one benchmark, print its table, save its JSON."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from jobs import docs
from jobs.bench.report import RESULTS
from jobs.cli import parse, run

BENCHMARKS = (
    "generate",
    "storage",
    "stream",
    "phantom",
    "brain",
    "maisi",
    "maisi_gpu",
    "maisi_factory",
    "scale",
    "export",
    "anatomy",
    "mr",
    "series",
    "realism",
)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.bench", description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=BENCHMARKS)
    parser.add_argument("--quick", action="store_true", help="small sizes: checks that it runs, numbers mean little")
    parser.add_argument("--no-save", action="store_true", help="print only; leave bench/results alone")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for NAME.json (default bench/results)")
    args = parse(parser, argv)
    report = importlib.import_module(f"jobs.bench.{args.name}").run(quick=args.quick)
    print(report.table())
    if not args.no_save:
        print(f"\nsaved {report.save(args.out)}")
        if args.out.resolve() == RESULTS.resolve():  # the committed results: their page follows them
            for page in docs.write():
                print(f"updated {page}")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
