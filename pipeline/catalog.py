"""The catalog: the union of a dataset's committed manifest parts, queried with DuckDB SQL.

    cat = pipeline.catalog.open("s3://bucket/datasets/ct-v1")
    cat.query("modality = 'CT' AND liver_ml > 1800", columns=["study_id", "liver_ml"], limit=10)

Only committed parts are read, so a reader never sees a study whose shard has not committed.
Parts are read through pyarrow (any fsspec filesystem) and handed to an in-memory DuckDB with
file access switched off: a WHERE clause can filter the catalog and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads

from pipeline import dataset as dataset_json
from pipeline.errors import CatalogError
from pipeline.layout import CATALOG_DIR
from pipeline.manifest import schema
from pipeline.storage import Store, open_store

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_UNREADABLE_PART = re.compile(r"Could not open Parquet input source '([^']+)'")


@dataclass(frozen=True)
class Catalog:
    store: Store
    info: dataset_json.DatasetInfo

    @property
    def schema(self) -> pa.Schema:
        return schema(self.info.labels, self.info.columns)

    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)

    def part_paths(self) -> list[str]:
        return [self.store.path(f"{CATALOG_DIR}/{name}") for name in self.store.list(CATALOG_DIR, ".parquet")]

    def arrow_dataset(self) -> pads.Dataset:
        paths = self.part_paths()
        try:
            return pads.dataset(paths, schema=self.schema, format="parquet", filesystem=self.store.fs)
        except (OSError, pa.ArrowInvalid) as exc:
            raise CatalogError(f"{self.store.uri}: a catalog part cannot be read ({_first_line(exc)})") from None

    def query(
        self,
        where: str | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        order_by: str = "index",
    ) -> pa.Table:
        """Rows matching the SQL WHERE clause `where` (all rows if None), ordered by `order_by`."""
        selected = self._select_list(columns)
        sql = f"SELECT {selected} FROM catalog"
        if where and where.strip():
            sql += f" WHERE {where}"
        sql += f" ORDER BY {_quote(self._check_column(order_by, 'order_by'))}"
        if limit is not None:
            if limit < 0:
                raise CatalogError(f"--limit: must not be negative, got {limit}")
            sql += f" LIMIT {int(limit)}"
        return self._run(sql, where)

    def count(self, where: str | None = None) -> int:
        sql = "SELECT count(*) AS n FROM catalog" + (f" WHERE {where}" if where and where.strip() else "")
        return int(self._run(sql, where).column("n")[0].as_py())

    def __len__(self) -> int:
        return self.count()

    def _run(self, sql: str, where: str | None) -> pa.Table:
        con = duckdb.connect(config={"enable_external_access": False})
        try:
            # Parse the clause on its own first, so a syntax error points into it.
            if where and where.strip() and len(con.extract_statements(f"SELECT * FROM catalog WHERE {where}")) != 1:
                raise CatalogError("query: the WHERE clause must be one expression, not several statements")
            con.register("catalog", self.arrow_dataset())
            return con.sql(sql).to_arrow_table()
        except duckdb.Error as exc:
            unreadable = _UNREADABLE_PART.search(str(exc))
            if unreadable:  # Arrow's read error reaches us only as text inside DuckDB's
                raise CatalogError(f"{self.store.uri}: a catalog part cannot be read ({unreadable.group(1)})") from None
            raise CatalogError(f"query: {_explain(exc)}") from None
        finally:
            con.close()

    def _select_list(self, columns: Sequence[str] | None) -> str:
        if not columns:
            return "*"
        return ", ".join(_quote(self._check_column(c, "--columns")) for c in columns)

    def _check_column(self, name: str, what: str) -> str:
        if name not in self.columns:
            raise CatalogError(f"{what}: unknown column {name!r} (python -m jobs.query URI --list-columns lists them)")
        return name


def open(uri: str, options: dict[str, Any] | None = None) -> Catalog:  # noqa: A001 - mirrors zarr.open
    """The catalog of the dataset at `uri` (`CatalogError` if there is no dataset there)."""
    store = open_store(uri, options)
    return Catalog(store, dataset_json.read(store))


def _quote(name: str) -> str:
    return f'"{name}"' if _IDENTIFIER.match(name) else '"' + name.replace('"', '""') + '"'


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _explain(exc: duckdb.Error) -> str:
    text = _first_line(exc)
    text = re.sub(r"^(Binder|Parser|Conversion|Catalog|Permission|Invalid Input) Error: ", "", text)
    missing = re.search(r'Referenced column "([^"]+)" not found', text)
    if missing:
        return f"unknown column {missing.group(1)!r}"
    return text
