"""Verify a dataset: `python -m jobs.verify URI [--repair] [-o KEY=VALUE]`.

For every catalog row the study's objects exist, its arrays decode, shapes and dtypes match the
row, the checksum matches and the OME-Zarr metadata is valid. Exit 0 when all is well, 1 when
anything is wrong (the bad study ids are listed), 2 for bad input. `--repair` re-renders exactly
the bad studies from their catalog rows and recommits their shards, then verifies again.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from jobs.cli import add_storage_options, parse, run, storage_options, whole
from pipeline import catalog
from pipeline.run.verify import repair, stored_config, verify

EXIT_FINDINGS = 1


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.verify", description=__doc__.splitlines()[0])
    parser.add_argument("uri", help="dataset root (local path, file://, s3://, ...)")
    parser.add_argument("--repair", action="store_true", help="re-render the bad studies and recommit their shards")
    parser.add_argument("--threads", type=whole(1, 256), default=8, help="studies checked at once")
    add_storage_options(parser)
    args = parse(parser, argv)
    options = storage_options(args.storage_option)
    cat = catalog.open(args.uri, options)
    report = verify(cat, threads=args.threads)
    print("\n".join(report.lines()))
    if report.ok:
        return 0
    if not args.repair:
        return EXIT_FINDINGS
    shards = repair(cat, report, stored_config(cat, args.uri, options))
    print(f"repaired shards {shards}; verifying again")
    again = verify(catalog.open(args.uri, options), threads=args.threads)
    print("\n".join(again.lines()))
    return 0 if again.ok else EXIT_FINDINGS


if __name__ == "__main__":
    sys.exit(run(main))
