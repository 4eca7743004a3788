"""`jobs.bench realism` in a clone without the real cases: one line naming what is missing, exit 2."""

from jobs.bench import realism
from jobs.bench.__main__ import main
from jobs.cli import run


def test_the_realism_benchmark_without_its_real_cases_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    """A user's clone has no ../shared: the benchmark names what is missing, and writes nothing.
    (In-process, with the folder MEDSYNTH_REAL_DATA would name: the same `main` and exit mapping.)"""
    monkeypatch.setattr(realism, "REAL", tmp_path / "absent")
    assert run(main, ["realism", "--quick", "--out", str(tmp_path / "out")]) == 2
    said = capsys.readouterr().err
    missing = tmp_path / "absent" / "ct" / "example_ct_sm.nii.gz"
    assert said.strip().splitlines() == [
        f"error: MEDSYNTH_REAL_DATA: jobs.bench realism needs the real cases, {missing} is missing"
    ]
    assert not (tmp_path / "out").exists()
