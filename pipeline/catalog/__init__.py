"""The catalog room: a dataset's manifest rows, the Parquet parts that commit them, and their query.

    cat = pipeline.catalog.open("s3://bucket/datasets/ct-v1")

`query` opens and queries a catalog (re-exported here, the public entry point); `sql` is the
language a user may write; `columns` declares every column and `filling` what a row is filled
from; `manifest` builds a shard's rows and its part; `sources` says which files make the catalog,
`identity` which dataset each belongs to; `compaction` merges parts.

The re-export is lazy (PEP 562): `query` needs DuckDB, and a shard worker, which imports
`filling` and `manifest` through this package, must not (the GPU machine has no DuckDB, and
`jobs.bench maisi_gpu` runs the factory's workers there).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.catalog.query import Catalog, open  # noqa: A004 (the DESIGN.md entry point)

__all__ = ["Catalog", "open"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pipeline.catalog import query

        return getattr(query, name)
    raise AttributeError(f"module 'pipeline.catalog' has no attribute {name!r}")
