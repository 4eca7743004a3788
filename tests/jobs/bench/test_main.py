"""`python -m jobs.bench NAME`: an unknown name or option is one line and exit 2, like every job."""

from jobs.bench.__main__ import BENCHMARKS, main
from jobs.cli import run


def test_a_bad_name_or_option_is_one_line_and_exit_2(capsys, tmp_path):
    assert run(main, ["nosuch", "--out", str(tmp_path)]) == 2
    said = capsys.readouterr().err.splitlines()
    assert len(said) == 1 and "nosuch" in said[0]
    assert run(main, ["phantom", "--fast"]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 1
    assert not list(tmp_path.iterdir())
    assert {"generate", "stream", "realism"} <= set(BENCHMARKS)
