"""Produce N studies: `python -m jobs.generate [--config FILE] [key=value ...]`.

    python -m jobs.generate dataset.n_studies=64 storage.uri=./data/ct64
    ray job submit --working-dir . -- python -m jobs.generate storage.uri=s3://bucket/ct-v1 ...

Defaults come from jobs/configs/generate.yaml; see docs/reference/configuration.md for every key.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from jobs.cli import add_config_options, parse, run
from pipeline.config import job as config_module
from pipeline.run.runner import generate

DEFAULTS = Path(__file__).parent / "configs" / "generate.yaml"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m jobs.generate", description=__doc__.splitlines()[0])
    add_config_options(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parse(parser, argv)


INTERRUPTED = "interrupted: committed shards are kept; rerun the same command to resume"


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    config = config_module.load([DEFAULTS, *args.config], args.overrides, args.resolve_interpolations)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    summary = generate(config, progress=not args.no_progress)
    print(summary.line())
    return 0


if __name__ == "__main__":
    sys.exit(run(main, interrupted=INTERRUPTED))
