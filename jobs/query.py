"""Query a dataset's catalog: `python -m jobs.query URI "WHERE clause" [--limit N] [--columns a,b]`.

    python -m jobs.query ./data/ct64 "liver_ml > 1500 AND body_region = 'abdomen'" --limit 5
    python -m jobs.query s3://bucket/ct-v1 "qc_pass" --format csv -o endpoint_url=http://...
    python -m jobs.query ./data/ct64 --group-by body_region,contrast --aggregate "count(*) AS n, median(liver_ml)"

The clause is DuckDB SQL over the committed manifest parts; `--list-columns` shows the columns.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from jobs.cli import add_storage_options, number, parse, run, storage_options, whole
from pipeline import catalog
from pipeline.catalog.columns import shown_columns
from pipeline.catalog.query import QUERY_TIMEOUT_S
from pipeline.errors import ConfigError

TABLE_COLUMNS = (*shown_columns(), "series")  # series: where the dataset has them


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m jobs.query", description=__doc__.splitlines()[0])
    parser.add_argument("uri", help="dataset root (local path, file://, s3://, ...)")
    parser.add_argument("where", nargs="?", default="", help="SQL WHERE clause; empty = every study")
    parser.add_argument("--limit", type=whole(0, 10**9), default=None, help="at most this many rows")
    parser.add_argument("--columns", default=None, help="comma-separated columns to print")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.add_argument("--list-columns", action="store_true", help="print the catalog's columns and exit")
    parser.add_argument("--aggregate", default=None, metavar="EXPRS", help='SQL aggregates, e.g. "count(*) AS n"')
    parser.add_argument("--group-by", default=None, metavar="COLUMNS", help="comma-separated columns to group by")
    parser.add_argument(
        "--timeout",
        type=number(0.001, 86400.0),
        default=QUERY_TIMEOUT_S,
        metavar="SECONDS",
        help=f"stop a query that runs longer (default {QUERY_TIMEOUT_S:g})",
    )
    add_storage_options(parser)
    return parse(parser, argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    cat = catalog.open(args.uri, storage_options(args.storage_option), timeout_s=args.timeout)
    if args.list_columns:
        print("\n".join(f"{f.name}\t{f.type}" for f in cat.schema))
        return 0
    if args.aggregate or args.group_by:
        groups = [c.strip() for c in (args.group_by or "").split(",") if c.strip()]
        table = cat.aggregate(args.aggregate or "count(*) AS n", groups, args.where)
        sys.stdout.write(render(table, args.format))
        return 0
    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    twice = sorted({c for c in columns or () if columns.count(c) > 1})
    if twice:
        raise ConfigError(f"--columns: names {twice[0]!r} twice")
    if columns is None and args.format == "table":
        columns = default_columns(cat.columns, args.where)
    table = cat.query(args.where, columns=columns, limit=args.limit)
    sys.stdout.write(render(table, args.format))
    if args.format == "table":
        print(f"({table.num_rows} of {cat.count(args.where)} matching studies)")
    return 0


def default_columns(available: list[str], where: str) -> list[str]:
    """The usual identifying columns plus every column the WHERE clause mentions."""
    mentioned = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", where))
    extra = [c for c in available if c in mentioned and c not in TABLE_COLUMNS]
    return [c for c in TABLE_COLUMNS if c in available] + extra


def render(table: pa.Table, fmt: str) -> str:
    if fmt == "json":
        return "".join(json.dumps(r, default=str) + "\n" for r in table.to_pylist())
    if fmt == "csv":
        flat = table
        for i, f in enumerate(flat.schema):
            if not _csv_native(f.type):  # lists, intervals, structs, ...: their JSON (or text) in one cell
                cells = [None if v is None else json.dumps(v, default=str) for v in flat.column(i).to_pylist()]
                flat = flat.set_column(i, f.name, pa.array(cells, pa.string()))
        sink = pa.BufferOutputStream()
        pacsv.write_csv(flat, sink)
        return sink.getvalue().to_pybytes().decode()
    return format_table(table)


def _csv_native(kind: pa.DataType) -> bool:
    t = pa.types
    return t.is_integer(kind) or t.is_floating(kind) or t.is_boolean(kind) or t.is_string(kind) or t.is_timestamp(kind)


def format_table(table: pa.Table) -> str:
    rows = [[_cell(v) for v in r.values()] for r in table.to_pylist()]
    header = table.column_names
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)  # series
    if isinstance(value, list):
        return "x".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return "" if value is None else str(value)


if __name__ == "__main__":
    sys.exit(run(main))
