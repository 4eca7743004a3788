"""Compact a dataset's catalog: `python -m jobs.compact URI [--rows-per-file N] [-o KEY=VALUE]`.

Merges the committed manifest parts into a few large Parquet files sorted by generator, modality,
body region, contrast, sex and index, and switches readers to them atomically; queries, streams
and reruns of jobs.generate keep working during and after it, and parts committed later are read
beside the compacted files. Safe to rerun at any time; one compaction runs at a time.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from jobs.cli import add_storage_options, parse, run, storage_options, whole
from pipeline import catalog
from pipeline.catalog.compaction import ROW_GROUP_ROWS, ROWS_PER_FILE, compact


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.compact", description=__doc__.splitlines()[0])
    parser.add_argument("uri", help="dataset root (local path, file://, s3://, ...)")
    parser.add_argument(
        "--rows-per-file", type=whole(1, 100_000_000), default=ROWS_PER_FILE, help="rows per compacted file"
    )
    parser.add_argument(
        "--row-group-rows", type=whole(1, 10_000_000), default=ROW_GROUP_ROWS, help="rows per Parquet row group"
    )
    parser.add_argument("--break-lock", action="store_true", help="remove a stale lock left by a crashed compaction")
    add_storage_options(parser)
    args = parse(parser, argv)
    cat = catalog.open(args.uri, storage_options(args.storage_option))
    result = compact(cat, args.rows_per_file, args.row_group_rows, args.break_lock)
    print(result.line(cat.store.uri))
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
