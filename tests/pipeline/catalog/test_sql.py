"""The catalog's query language on its own: what a clause may hold, and the SQL built from it runs
on a real DuckDB table (no dataset needed)."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.catalog import sql
from pipeline.errors import CatalogError


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute('CREATE TABLE catalog ("index" INTEGER, sex VARCHAR, liver_ml DOUBLE, "odd""name" INTEGER)')
    con.execute("INSERT INTO catalog VALUES (0, 'F', 1200, 1), (1, 'M', 1700, 2), (2, 'F', 1900, 3), (3, 'M', 900, 4)")
    return con


def rows(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple]:
    return con.execute(query).fetchall()


def test_select_runs_the_clauses_anded_in_order_and_limited(con):
    query = sql.select(["index"], ["liver_ml > 1000", ["sex = 'F'", None, "  "]], order_by=["index"], limit=5)
    assert rows(con, query) == [(0,), (2,)]
    assert rows(con, sql.select(["index"], None, order_by=["index"], limit=2)) == [(0,), (1,)]


def test_a_comment_cannot_swallow_the_limit_or_order():
    query = sql.select(["index"], "liver_ml > 0 --", order_by=["index"], limit=1)
    con = duckdb.connect()
    con.execute('CREATE TABLE catalog ("index" INTEGER, liver_ml DOUBLE)')
    con.execute("INSERT INTO catalog VALUES (2, 1), (1, 1), (0, 1)")
    assert rows(con, query) == [(0,)]


def test_aggregates_group_by_the_columns(con):
    query = sql.select(["sex"], None, order_by=["sex"], aggregate="count(*) AS n, max(liver_ml) AS top")
    assert rows(con, query) == [("F", 2, 1900.0), ("M", 2, 1700.0)]


def test_quote_and_literal_escape_their_delimiters(con):
    odd = sql.quote('odd"name')
    assert odd == '"odd""name"'
    assert rows(con, f"SELECT {odd} FROM catalog WHERE sex = {sql.literal('F')} ORDER BY 1") == [(1,), (3,)]
    assert sql.literal("O'Brien") == "'O''Brien'"
    assert rows(con, f"SELECT {sql.literal('a -- b')}") == [("a -- b",)]


@pytest.mark.parametrize(
    ("clause", "says"),
    [
        ("false UNION ALL SELECT * FROM catalog", "must be one expression"),
        ("true; DROP TABLE catalog", "not several statements"),
        ("liver_ml > (SELECT 1)", "a subquery is not allowed"),
        ("index IN (SELECT index FROM read_csv('/etc/passwd'))", "a subquery is not allowed"),
        ("getenv('HOME') IS NULL", "getenv() is not allowed"),
        ("row_number() OVER () = 1", "a window function is not allowed"),
        ("true ORDER BY liver_ml", "modifiers"),
        ("true GROUP BY sex", "GROUP BY"),
        ("liver_ml >", "query:"),
    ],
)
def test_where_refuses_what_may_not_stand_in_a_clause(clause, says):
    with pytest.raises(CatalogError, match=r"^query: ") as caught:
        sql.where(clause)
    assert says in str(caught.value)


def test_where_names_the_place_and_refuses_non_text():
    with pytest.raises(CatalogError, match=r"^--where: "):
        sql.where("(SELECT 1) = 1", what="--where")
    with pytest.raises(CatalogError, match="where: must be SQL text, got int"):
        sql.where([1])
    assert sql.where(None) == [] and sql.where(["", "  "]) == []


@pytest.mark.parametrize(
    ("select", "says"),
    [
        ("*", "'*' is not an aggregate"),
        ("* FROM duckdb_settings() --", "it adds another table"),
        ("(SELECT 1) AS s", "a subquery is not allowed"),
        ("count(*) AS n FROM catalog AS c --", "another table"),
        ("current_setting('threads') AS t", "current_setting() is not allowed"),
    ],
)
def test_aggregates_refuse_stars_tables_and_subqueries(select, says):
    with pytest.raises(CatalogError, match=r"^--aggregate: ") as caught:
        sql.aggregates(select)
    assert says in str(caught.value)


def test_the_parser_reads_no_files(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    with pytest.raises(duckdb.Error):
        sql._connection().execute(f"SELECT * FROM read_csv('{secret}')").fetchall()
