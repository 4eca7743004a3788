"""A report of a dataset: `python -m jobs.report URI --out report.html [--where ...] [--previews N]`.

One self-contained HTML page (figures embedded): counts by generator, modality, contrast, body
region, sex and age; each label's volume and median intensity beside published ranges; QC pass
rate and redraws; throughput per worker and bytes per study; preview slices with label overlays.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from jobs.cli import add_storage_options, parse, run, storage_options, whole
from pipeline import catalog
from pipeline.report import build


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.report", description=__doc__.splitlines()[0])
    parser.add_argument("uri", help="dataset root (local path, file://, s3://, ...)")
    parser.add_argument("--out", type=Path, required=True, help="the .html file to write")
    parser.add_argument("--where", default=None, help="SQL WHERE selecting the studies (default: all)")
    parser.add_argument("--previews", type=whole(0, 64), default=6, help="studies shown as slices (0: none)")
    add_storage_options(parser)
    args = parse(parser, argv)
    cat = catalog.open(args.uri, storage_options(args.storage_option))
    path = build(cat, args.out, where=args.where, previews=args.previews)
    print(f"{path} ({path.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
