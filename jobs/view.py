"""View one study in neuroglancer: `python -m jobs.view URI STUDY_ID [--port N] [--direct]`.

Serves the neuroglancer client (from the `neuroglancer` package) and the study's OME-Zarr group on
127.0.0.1 with CORS and byte ranges, and prints two links: the local client, and the same state
for any neuroglancer client. Either opens the image in its window with the label map over it,
named and coloured as the dataset's label dictionary, scaled in millimetres. S3 datasets are read
with your credentials by the server (they never reach the browser); with `--direct` the state
reads a public bucket itself. Runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from jobs.cli import add_storage_options, parse, run, storage_options, whole
from pipeline import catalog
from pipeline.view import open_view


def main(argv: Sequence[str], stop: threading.Event | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.view", description=__doc__.splitlines()[0])
    parser.add_argument("uri", help="dataset root (local path, file://, s3://, ...)")
    parser.add_argument("study_id", help="the study to open, e.g. s000000003 (jobs.query lists them)")
    parser.add_argument(
        "--port",
        type=whole(0, 65534),
        default=0,
        help="the client's port on 127.0.0.1, the data on the next one (default: free ports)",
    )
    parser.add_argument(
        "--direct", action="store_true", help="S3 only: the browser reads the (public) bucket itself, not the server"
    )
    add_storage_options(parser)
    args = parse(parser, argv)
    cat = catalog.open(args.uri, storage_options(args.storage_option))
    with open_view(cat, args.study_id, port=args.port, direct=args.direct) as viewer:
        study = viewer.study
        shape = " x ".join(map(str, study.shape_zyx))
        print(f"{study.study_id}: {study.modality}, {shape} voxels; data on {viewer.data.url}")
        print(f"open {viewer.url}")
        print(f"or, in any neuroglancer client: {viewer.link}", flush=True)
        wait_for_stop(stop or threading.Event())
    print("stopped", file=sys.stderr)
    return 0


def wait_for_stop(stop: threading.Event) -> None:
    """Until `stop` is set, or Ctrl-C / SIGTERM arrive (handled even where the shell that started
    this process ignores SIGINT, as a non-interactive shell does for background jobs)."""
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass


if __name__ == "__main__":
    sys.exit(run(main))
