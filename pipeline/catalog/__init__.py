"""The catalog room: a dataset's manifest rows, the Parquet parts that commit them, and their query.

    cat = pipeline.catalog.open("s3://bucket/datasets/ct-v1")

`query` opens and queries a catalog (re-exported here, the public entry point); `sql` is the
language a user may write; `columns` declares every column and `filling` what a row is filled
from; `manifest` builds a shard's rows and its part; `sources` says which files make the catalog,
`identity` which dataset each belongs to; `compaction` merges parts.
"""

from pipeline.catalog.query import Catalog, open  # noqa: A004 (the DESIGN.md entry point: pipeline.catalog.open)

__all__ = ["Catalog", "open"]
