"""Export studies to NIfTI or DICOM: `python -m jobs.export URI --format nifti|dicom --out DIR [--where ...]`.

    python -m jobs.export ./data/ct64 --format nifti --out ./nifti --where "body_region = 'abdomen'"
    python -m jobs.export s3://bucket/ct-v1 --format dicom --out ./dicom --limit 10 -o endpoint_url=http://...

nifti: images/<id>.nii.gz, labels/<id>.nii.gz, labels.json and a MONAI datalist.json.
dicom: <id>/image/NNNN.dcm (a CT or MR series) and <id>/segmentation.dcm (DICOM SEG), labels.json;
       --segmentation binary|labelmap, --compression none|jpeg-ls.
Every study is checked against its catalog checksum before it is written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from jobs.cli import add_storage_options, out_folder, parse, run, storage_options, whole
from pipeline import catalog
from pipeline.export import FORMATS, DicomOptions, export


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.export", description=__doc__.splitlines()[0])
    parser.add_argument("uri", help="dataset root (local path, file://, s3://, ...)")
    parser.add_argument("--format", required=True, help=f"one of {', '.join(FORMATS)}")
    parser.add_argument(
        "--out", required=True, help="local folder to write into (empty, or an earlier export of this dataset)"
    )
    parser.add_argument("--where", default=None, help="SQL WHERE selecting the studies (default: all)")
    parser.add_argument(
        "--limit", type=whole(0, 10**9), default=None, help="at most this many studies (first by index)"
    )
    parser.add_argument(
        "--segmentation",
        default="binary",
        help="DICOM SEG encoding: binary (every viewer) or labelmap (DICOM 2024, smaller and faster)",
    )
    parser.add_argument(
        "--compression",
        default="none",
        help="DICOM pixel data: none (every reader) or jpeg-ls (lossless, ~3x smaller)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_storage_options(parser)
    args = parse(parser, argv)
    out = out_folder(args.out, args.uri)
    cat = catalog.open(args.uri, storage_options(args.storage_option))
    summary = export(
        cat,
        args.format,
        out,
        where=args.where,
        limit=args.limit,
        progress=not args.no_progress,
        dicom_options=DicomOptions(args.segmentation, args.compression),
    )
    per_study = summary.seconds / max(summary.studies, 1)
    ratio = summary.bytes_written / max(summary.stored_bytes, 1)
    print(
        f"{summary.studies} studies exported as {args.format} to {out}: {summary.files} files, "
        f"{summary.bytes_written / 2**20:.1f} MiB ({ratio:.2f}x the OME-Zarr), {per_study:.2f} s/study"
    )
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
