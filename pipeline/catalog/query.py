"""The catalog: a dataset's committed manifest parts (and its compaction), queried with DuckDB SQL.

    cat = pipeline.catalog.open("s3://bucket/datasets/ct-v1")
    cat.query("modality = 'CT' AND liver_ml > 1800", columns=["study_id", "liver_ml"], limit=10)
    cat.aggregate("count(*) AS n, avg(liver_ml) AS liver_ml", group_by=["body_region"])

Only committed parts are read, so a reader never sees a study whose shard has not committed.
DuckDB reads the Parquet files itself (through the store's fsspec filesystem when it is remote),
with file access limited to the dataset's catalog folder: the SQL a user writes can filter and
aggregate the catalog and reach nothing else. Which files make the catalog is `pipeline.catalog.sources`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.catalog import identity, sql
from pipeline.catalog.columns import schema
from pipeline.catalog.sources import Sources, sources
from pipeline.errors import CatalogError
from pipeline.store import dataset_json
from pipeline.store.layout import CATALOG_DIR
from pipeline.store.storage import Store, open_store


class Session:
    """One sandboxed in-memory DuckDB per catalog object: set up once, its `catalog` view replaced
    when the file set changes, each query on its own cursor (so threads may share it). Not pickled:
    a copy of the catalog sent elsewhere (a Ray actor) opens its own."""

    def __init__(self) -> None:
        self.con: duckdb.DuckDBPyConnection | None = None
        self.found: Sources | None = None
        self.lock = threading.Lock()

    def cursor(self, catalog: Catalog, found: Sources) -> duckdb.DuckDBPyConnection:
        with self.lock:
            if self.con is None:
                self.con = duckdb.connect()
                catalog.sandbox(self.con)
            if found != self.found:
                catalog.define(self.con, found)
                self.found = found
            return self.con.cursor()

    def __getstate__(self) -> dict:
        return {}

    def __setstate__(self, state: dict) -> None:
        self.__init__()  # type: ignore[misc]


QUERY_TIMEOUT_S = 60.0  # a catalog of a million rows answers in seconds; past this, the SQL runs away
STOP_GRACE_S = 1.0  # how long an interrupted query gets to stop before it is left behind


@dataclass(frozen=True)
class Catalog:
    store: Store
    info: dataset_json.DatasetInfo
    timeout_s: float = QUERY_TIMEOUT_S  # each query's time limit
    session: Session = field(default_factory=Session, compare=False, repr=False)
    checked: identity.Checked = field(default_factory=identity.Checked, compare=False, repr=False)

    @cached_property
    def schema(self) -> pa.Schema:
        return schema(self.info.labels, self.info.columns, self.info.series)

    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)

    @property
    def expected(self) -> identity.Expected:
        """What every catalog file of this dataset says of itself."""
        return identity.Expected(
            self.info.config_hash, self.info.n_studies, self.info.shard_size, tuple(self.schema.names)
        )

    def sources(self) -> Sources:
        """The catalog's files; `CatalogError` naming the first that belongs to another dataset."""
        found = sources(self.store)
        self.checked.ensure(self.store, found, self.expected)
        return found

    def query(
        self,
        where: sql.Clauses = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        order_by: str = "index",
    ) -> pa.Table:
        """Rows matching the SQL WHERE clause `where` (all rows if None; several clauses are ANDed,
        each one expression), ordered by `order_by`."""
        if columns is not None and (isinstance(columns, str) or not columns):
            raise CatalogError(f"--columns: must be a non-empty list of column names, got {columns!r}")
        names = [self._check_column(c, "--columns") for c in columns] if columns else self.columns
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise CatalogError(f"--limit: must be a whole number, not negative, got {limit!r}")
        text = sql.select(names, where, [self._check_column(order_by, "order_by")], limit)
        table = self._run(text)
        return table.cast(pa.schema([self.schema.field(n) for n in names]))

    def count(self, where: sql.Clauses = None) -> int:
        return int(self._run(sql.select([], where, aggregate="count(*) AS n")).column("n")[0].as_py())

    def aggregate(self, select: str, group_by: Sequence[str] = (), where: sql.Clauses = None) -> pa.Table:
        """`SELECT <group_by>, <select> ... GROUP BY <group_by>`, ordered by the groups; `select` is
        SQL aggregate expressions, e.g. `count(*) AS n, median(liver_ml) AS liver_ml`."""
        if not isinstance(select, str) or not select.strip():
            raise CatalogError(f"--aggregate: must be SQL aggregate expressions, got {select!r}")
        groups = [self._check_column(c, "--group-by") for c in group_by]
        table = self._run(sql.select(groups, where, groups, aggregate=select))
        names = table.column_names
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise CatalogError(f"--aggregate: the result would have two columns named {twice[0]!r}; name it otherwise")
        return table

    def __len__(self) -> int:
        return self.count()

    def _run(self, text: str) -> pa.Table:
        found = self.sources()
        for attempt in range(2):
            con = None
            abandoned: list[bool] = []
            try:
                con = self.session.cursor(self, found) if found.parts or found.compacted else self._empty()
                return self._bounded(con, text, abandoned)
            except duckdb.Error as exc:
                if attempt == 0 and isinstance(exc, duckdb.IOException | duckdb.InvalidInputException):
                    again = self.sources()
                    if again != found:  # a compaction moved files under us: read the new set
                        found = again
                        continue
                unreadable = self._unreadable(exc, found)
                if unreadable:
                    raise CatalogError(f"{self.store.uri}: a catalog part cannot be read ({unreadable})") from None
                raise CatalogError(f"query: {sql.explain(exc)}") from None
            finally:
                if con is not None and not any(abandoned):
                    con.close()
        raise AssertionError("unreachable")

    def _bounded(self, con: duckdb.DuckDBPyConnection, text: str, abandoned: list[bool]) -> pa.Table:
        """`text`'s result, within `timeout_s` and stopped promptly by Ctrl-C: DuckDB runs in a
        thread of its own while this one waits, so a signal is seen and the query interrupted.
        DuckDB checks for an interrupt between vectors, not inside one huge expression; a query
        that has not stopped `STOP_GRACE_S` after it was told is left to its (daemon) thread and
        its cursor marked `abandoned`, so the caller neither waits for it nor closes it under it."""
        result: list[pa.Table] = []
        failed: list[BaseException] = []
        done = threading.Event()  # not Thread.join: a Ctrl-C inside join marks the thread stopped (3.11)

        def work() -> None:
            try:
                result.append(con.sql(text).to_arrow_table())
            except BaseException as exc:  # handed to the waiting thread, which raises it
                failed.append(exc)
            finally:
                done.set()

        def stop() -> None:
            con.interrupt()
            abandoned.append(not done.wait(STOP_GRACE_S))

        threading.Thread(target=work, name="catalog-query", daemon=True).start()
        started = time.monotonic()
        try:
            while not done.wait(0.05):
                if time.monotonic() - started > self.timeout_s:
                    stop()
                    raise CatalogError(
                        f"query: stopped after {self.timeout_s:g} s (--timeout); simplify the expression"
                    )
        except KeyboardInterrupt:
            stop()
            raise
        if failed:
            raise failed[0]
        return result[0]

    def attach(self, con: duckdb.DuckDBPyConnection, found: Sources, spill: str = "") -> None:
        """Make `catalog` the dataset's rows, and leave `con` able to read the catalog folder only."""
        self.sandbox(con, spill)
        self.define(con, found)

    def sandbox(self, con: duckdb.DuckDBPyConnection, spill: str = "") -> None:
        """Limit `con` to reading this dataset's catalog folder (it cannot be widened again). No
        temp directory unless `spill` names a private one (no user SQL runs there): DuckDB allows
        its temp directory whatever else is forbidden, so a shared one would be readable."""
        if not self.store.is_local:
            con.register_filesystem(self.store.fs)
        con.execute(f"SET temp_directory = {sql.literal(spill)}")
        con.execute(f"SET allowed_directories = [{sql.literal(self._url(CATALOG_DIR) + '/')}]")
        con.execute("SET enable_external_access = false")

    def define(self, con: duckdb.DuckDBPyConnection, found: Sources) -> None:
        """The `catalog` view over `found`: compacted rows a present part supersedes are left out."""
        selects = []
        if found.compacted:
            keep = f" WHERE shard NOT IN ({', '.join(map(str, found.superseded))})" if found.superseded else ""
            selects.append(f"SELECT * FROM read_parquet({self._files(found.compacted)}){keep}")
        if found.parts:
            selects.append(f"SELECT * FROM read_parquet({self._files(found.parts)})")
        if selects:
            con.execute(f"CREATE OR REPLACE VIEW catalog AS {' UNION ALL BY NAME '.join(selects)}")
        else:
            con.register("catalog", self.schema.empty_table())

    def _empty(self) -> duckdb.DuckDBPyConnection:
        """No committed rows yet: the schema alone (a registered table is not seen by cursors)."""
        con = sql.sealed()
        con.register("catalog", self.schema.empty_table())
        return con

    def _url(self, rel: str) -> str:
        path = self.store.path(rel)
        if self.store.is_local:
            return path
        protocol = self.store.fs.protocol
        return f"{protocol[0] if isinstance(protocol, tuple) else protocol}://{path}"

    def _files(self, rels: Sequence[str]) -> str:
        return "[" + ", ".join(sql.literal(self._url(r)) for r in rels) + "]"

    def _unreadable(self, exc: duckdb.Error, found: Sources) -> str | None:
        text = str(exc)
        for rel in (*found.parts, *found.compacted):
            if rel.rsplit("/", 1)[-1] in text:
                return self._url(rel)
        return None

    def _check_column(self, name: str, what: str) -> str:
        if not isinstance(name, str) or name not in self.columns:
            raise CatalogError(f"{what}: unknown column {name!r} (python -m jobs.query URI --list-columns lists them)")
        return name


def open(  # noqa: A001 - mirrors zarr.open
    uri: str, options: dict[str, Any] | None = None, timeout_s: float = QUERY_TIMEOUT_S
) -> Catalog:
    """The catalog of the dataset at `uri` (`CatalogError` if there is no dataset there); each
    query stops with a `CatalogError` after `timeout_s` seconds."""
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float) or not 0 < timeout_s <= 86400:
        raise CatalogError(f"--timeout: must be seconds within (0, 86400], got {timeout_s!r}")
    store = open_store(uri, options)
    return Catalog(store, dataset_json.read(store), timeout_s=float(timeout_s))
