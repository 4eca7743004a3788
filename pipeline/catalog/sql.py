"""The catalog's query language: what a user may write, parsed by DuckDB's own parser.

Users write SQL in two places: a WHERE clause (`jobs.query URI "liver_ml > 1500"`, `--where`,
`StudyStream(where=...)`) and an aggregate list (`--aggregate "count(*) AS n"`). Neither is ever
pasted into a query. Each is parsed (`json_serialize_sql`) inside a statement of our own, held to
the one shape it may have (one expression; a list of expressions), searched for what may not stand
in it at any depth (subqueries, windows, `*`, functions that reach outside the catalog), and then
grafted into a parse tree of the query we mean to run, which DuckDB turns back into SQL
(`json_deserialize_sql`). So a comment cannot swallow our ORDER BY or LIMIT, a UNION cannot add
rows, and a subquery cannot read a file, whatever the text.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb

from models.errors import first_line
from pipeline.errors import CatalogError

# Expression classes a clause may hold (DuckDB's ExpressionClass names in its JSON parse tree).
ALLOWED = {
    "BETWEEN",
    "CASE",
    "CAST",
    "COLLATE",
    "COLUMN_REF",
    "COMPARISON",
    "CONJUNCTION",
    "CONSTANT",
    "FUNCTION",
    "LAMBDA",
    "OPERATOR",
    "TYPE",  # the type of a CAST
}
# Scalar functions that tell about the machine rather than the catalog.
DENIED_FUNCTIONS = {"getenv", "current_setting", "current_query", "getvariable", "query", "query_table"}
Clauses = str | Sequence[Any] | None  # one clause, or several (nested lists too), all ANDed

_parser = threading.local()


def where(clauses: Clauses, what: str = "query") -> list[dict[str, Any]]:
    """The parse trees of each non-empty clause, each held to one row-level expression."""
    trees = []
    for clause in _texts(clauses):
        node = _select(f"SELECT * FROM catalog WHERE {clause}", what)
        _only(node, what, "where_clause")
        if node["where_clause"] is None:
            raise CatalogError(f"{what}: the WHERE clause is empty")
        _check(node["where_clause"], what)
        trees.append(node["where_clause"])
    return trees


def aggregates(select: str, what: str = "--aggregate") -> list[dict[str, Any]]:
    """The parse trees of a list of aggregate expressions (`count(*) AS n, median(liver_ml)`)."""
    node = _select(f"SELECT {select} FROM catalog", what)
    _only(node, what)
    for item in node["select_list"]:
        if item["class"] == "STAR":
            raise CatalogError(f"{what}: '*' is not an aggregate; name one (count(*) AS n)")
        _check(item, what)
    return node["select_list"]


def select(
    columns: Sequence[str],
    clauses: Clauses = None,
    order_by: Sequence[str] = (),
    limit: int | None = None,
    aggregate: str | None = None,
) -> str:
    """`SELECT columns[, aggregate] FROM catalog WHERE clauses [GROUP BY columns] ORDER BY ...
    LIMIT ...` as SQL, built from parse trees. `columns` and `order_by` are checked column names
    (quoted here); with `aggregate`, `columns` are the groups."""
    head = ", ".join([*(quote(c) for c in columns), *(["1"] if aggregate else [])]) or "1"
    template = f"SELECT {head} FROM catalog WHERE true"
    if aggregate and columns:
        template += f" GROUP BY {', '.join(quote(c) for c in columns)}"
    if order_by:
        template += f" ORDER BY {', '.join(quote(c) for c in order_by)}"
    if limit is not None:
        template += f" LIMIT {int(limit)}"
    statement = _parse(template, "query")
    node = statement["statements"][0]["node"]
    if aggregate:
        node["select_list"] = [*node["select_list"][: len(columns)], *aggregates(aggregate)]
    trees = where(clauses)
    node["where_clause"] = _and(trees) if trees else None
    return _unparse(statement)


def literal(text: str) -> str:
    """`text` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _texts(clauses: Clauses) -> list[str]:
    if clauses is None:
        return []
    items: list = []
    for item in [clauses] if isinstance(clauses, str) else list(clauses):
        items += list(item) if isinstance(item, list | tuple) else [item]  # clauses of clauses: all ANDed
    for item in items:
        if item is not None and not isinstance(item, str):
            raise CatalogError(f"where: must be SQL text, got {type(item).__name__}")
    return [c for c in items if c and c.strip()]


def _and(trees: list[dict[str, Any]]) -> dict[str, Any]:
    if len(trees) == 1:
        return trees[0]
    return {"class": "CONJUNCTION", "type": "CONJUNCTION_AND", "alias": "", "children": trees}


def _select(sql: str, what: str) -> dict[str, Any]:
    try:
        count = len(_connection().extract_statements(sql))  # parses only
    except duckdb.Error as exc:
        raise CatalogError(f"{what}: {explain(exc)}") from None
    if count != 1:
        raise CatalogError(f"{what}: must be one expression, not several statements")
    statements = _parse(sql, what)["statements"]
    if len(statements) != 1:
        raise CatalogError(f"{what}: must be one expression, not several statements")
    node = statements[0]["node"]
    if node.get("type") != "SELECT_NODE":
        raise CatalogError(f"{what}: must be one expression (no UNION, INTERSECT or EXCEPT)")
    return node


def _only(node: dict[str, Any], what: str, *allowed: str) -> None:
    """Nothing but the parts `allowed` may differ from a bare `SELECT ... FROM catalog`."""
    table = node.get("from_table") or {}
    present = {
        "modifiers (ORDER BY, LIMIT, DISTINCT)": bool(node.get("modifiers")),
        "WITH": bool((node.get("cte_map") or {}).get("map")),
        "GROUP BY": bool(node.get("group_expressions")) or bool(node.get("group_sets")),
        "HAVING": node.get("having") is not None,
        "QUALIFY": node.get("qualify") is not None,
        "SAMPLE": node.get("sample") is not None,
        "where_clause": node.get("where_clause") is not None,
        "another table": table.get("type") != "BASE_TABLE"
        or table.get("table_name") != "catalog"
        or bool(table.get("schema_name") or table.get("catalog_name") or table.get("alias")),
    }
    extra = [name for name, found in present.items() if found and name not in allowed]
    if extra:
        shown = "a WHERE clause" if extra[0] == "where_clause" else extra[0]
        raise CatalogError(f"{what}: must be one expression; it adds {shown}")


def _check(tree: dict[str, Any], what: str) -> None:
    for node in _nodes(tree):
        kind = node.get("class")
        if kind not in ALLOWED:
            name = {"SUBQUERY": "a subquery", "WINDOW": "a window function", "STAR": "'*'"}.get(kind, kind)
            raise CatalogError(f"{what}: {name} is not allowed here (only expressions over the catalog's columns)")
        if kind == "FUNCTION" and str(node.get("function_name", "")).lower() in DENIED_FUNCTIONS:
            raise CatalogError(f"{what}: the function {node['function_name']}() is not allowed here")


def _nodes(tree: Any) -> Iterator[dict[str, Any]]:
    """Every expression node below `tree` (dicts with a `class`), depth first."""
    if isinstance(tree, dict):
        if "class" in tree:
            yield tree
        for value in tree.values():
            yield from _nodes(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _nodes(value)


def sealed() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that reads no files and has no temp directory (DuckDB allows its temp
    directory whatever else is forbidden): for SQL over tables registered in it, and the parser.
    A dataset's own connections are `Catalog.sandbox`ed to its catalog folder instead."""
    return duckdb.connect(config={"enable_external_access": False, "temp_directory": ""})


def explain(exc: duckdb.Error) -> str:
    """DuckDB's error as one line for a `CatalogError`: its kind prefix dropped, a missing column
    named as `jobs.query` names it."""
    text = first_line(exc)
    text = re.sub(r"^(Binder|Parser|Conversion|Catalog|Permission|Invalid Input) Error: ", "", text)
    missing = re.search(r'Referenced column "([^"]+)" not found', text)
    if missing:
        return f"unknown column {missing.group(1)!r}"
    return text


def _connection() -> duckdb.DuckDBPyConnection:
    """A parser only: no catalog, no files (one per thread, reused)."""
    con = getattr(_parser, "con", None)
    if con is None:
        con = sealed()
        _parser.con = con
    return con


def _parse(sql: str, what: str) -> dict[str, Any]:
    text = _connection().execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0]
    parsed = json.loads(text)
    if parsed.get("error"):
        message = str(parsed.get("error_message", "cannot be parsed")).splitlines()[0]
        raise CatalogError(f"{what}: {message.removeprefix('Parser Error: ')}")
    return parsed


def _unparse(statement: dict[str, Any]) -> str:
    try:
        return _connection().execute("SELECT json_deserialize_sql(?)", [json.dumps(statement)]).fetchone()[0]
    except duckdb.Error as exc:
        raise CatalogError(f"query: cannot be written back as SQL ({explain(exc)})") from None
