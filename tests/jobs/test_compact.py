"""`python -m jobs.compact`: one line saying what was merged, the same rows before and after, and a
second run with nothing to do says so."""

import shutil

from jobs import compact
from jobs.cli import run
from pipeline import catalog


def test_compacts_a_dataset_and_says_what_it_did(built_dataset, tmp_path, capsys):
    root = tmp_path / "ds"
    shutil.copytree(built_dataset.storage.uri, root)
    before = catalog.open(str(root)).query().to_pylist()
    assert run(compact.main, [str(root), "--rows-per-file", "4"]) == 0
    said = capsys.readouterr().out.strip().splitlines()
    assert len(said) == 1 and said[0].startswith(str(root)) and "3 parts" in said[0]
    assert catalog.open(str(root)).query().to_pylist() == before
    assert not list((root / "catalog").glob("part-*.parquet"))
    assert run(compact.main, [str(root)]) == 0
    assert "nothing to compact" in capsys.readouterr().out


def test_bad_options_are_one_line_and_exit_2(built_dataset, capsys):
    assert run(compact.main, [built_dataset.storage.uri, "--rows-per-file", "0"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
