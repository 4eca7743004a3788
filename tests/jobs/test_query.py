import csv
import io
import json

import duckdb
import pytest

from jobs import query
from jobs.cli import run


def test_table_output_shows_identity_and_mentioned_columns(built_dataset, capsys):
    code = run(query.main, [built_dataset.storage.uri, "liver_ml >= 0", "--limit", "3"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].split()[:2] == ["study_id", "generator"] and "liver_ml" in out[0]
    assert len(out) == 1 + 3 + 1 and out[-1] == "(3 of 10 matching studies)"


def test_csv_and_json_formats(built_dataset, capsys):
    assert (
        run(query.main, [built_dataset.storage.uri, "index < 2", "--format", "csv", "--columns", "study_id,shape_zyx"])
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["study_id"] for r in rows] == ["s000000000", "s000000001"]
    assert json.loads(rows[0]["shape_zyx"]) == [48, 48, 48]
    assert run(query.main, [built_dataset.storage.uri, "", "--format", "json", "--limit", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["index"] == 0


def test_list_columns(built_dataset, capsys):
    assert run(query.main, [built_dataset.storage.uri, "--list-columns"]) == 0
    assert "liver_ml\tdouble" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch_col > 1"], "unknown column 'nosuch_col'"),
        (["liver_ml > AND 3"], "syntax error"),
        (["", "--columns", "study_id,bogus"], "unknown column 'bogus'"),
    ],
)
def test_bad_queries_exit_2_with_one_line(built_dataset, capsys, args, message):
    assert run(query.main, [built_dataset.storage.uri, *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_missing_dataset_exit_2(tmp_path, capsys):
    assert run(query.main, [str(tmp_path / "none")]) == 2
    assert "no medsynth dataset" in capsys.readouterr().err


def test_group_by_and_aggregate(built_dataset, capsys):
    args = [built_dataset.storage.uri, "index < 8", "--group-by", "shard", "--aggregate", "count(*) AS n, min(index)"]
    assert run(query.main, [*args, "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows == [{"shard": 0, "n": 4, 'min("index")': 0}, {"shard": 1, "n": 4, 'min("index")': 4}]


def test_a_comment_cannot_swallow_the_limit_nor_a_union_add_rows(built_dataset, capsys):
    uri = built_dataset.storage.uri
    assert run(query.main, [uri, "true --", "--limit", "1", "--format", "json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1
    assert run(query.main, [uri, "false UNION ALL SELECT * FROM catalog"]) == 2
    assert "one expression" in capsys.readouterr().err


def test_aggregates_of_any_type_render_as_csv(built_dataset, capsys):
    args = [built_dataset.storage.uri, "--aggregate", "INTERVAL 1 DAY AS i, count(*) AS n", "--format", "csv"]
    assert run(query.main, args) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["n"] == "10" and rows[0]["i"]


def test_nothing_outside_the_catalog_is_readable_not_even_duckdbs_temp_folder(built_dataset, tmp_path, monkeypatch):
    from pipeline import catalog

    (tmp_path / ".tmp").mkdir()
    (tmp_path / ".tmp" / "secret.txt").write_text("do-not-read")
    monkeypatch.chdir(tmp_path)  # DuckDB's default temp folder is <cwd>/.tmp
    cat = catalog.open(built_dataset.storage.uri)
    cursor = cat.session.cursor(cat, cat.sources())
    with pytest.raises(duckdb.Error, match=r"disabled by configuration|Permission"):
        cursor.sql("SELECT content FROM read_text('.tmp/secret.txt')").fetchall()


def test_studies_are_selected_by_series(series_dataset, built_dataset, capsys):
    uri = series_dataset.storage.uri
    code = run(
        query.main, [uri, "list_contains(series, 'arterial') AND liver_hu_arterial > liver_hu", "--format", "json"]
    )
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0 and len(rows) == 4
    assert rows[0]["series"] == ["non_contrast", "arterial", "portal_venous", "delayed"]
    assert run(query.main, [uri, "list_contains(series, 'nope')"]) == 0
    assert "(0 of 0 matching studies)" in capsys.readouterr().out
    assert run(query.main, [built_dataset.storage.uri, "list_contains(series, 'arterial')"]) == 2
    assert "unknown column 'series'" in capsys.readouterr().err
