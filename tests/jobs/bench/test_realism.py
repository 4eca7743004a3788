"""`jobs.bench realism` in a clone without the real cases: one line naming what is missing, exit 2;
what it records of a model's report."""

from jobs.bench import realism
from jobs.bench.__main__ import main
from jobs.bench.report import Report
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


def test_a_models_misses_and_mistakes_are_recorded_per_class():
    summary = {
        "mean_dice": 0.4,
        "dice": {"liver": 0.6, "kidney": 0.2},
        "hd95_mm": {"liver": 12.0, "kidney": None},
        "called": {
            "liver": {"background": 0.2, "liver": 0.7, "kidney": 0.1},
            "kidney": {"background": 0.6, "liver": 0.25, "kidney": 0.15},
        },
    }
    report = Report("realism")
    realism.record(report, "phantom_ct", summary)
    assert report.notes["phantom_ct_called_background"] == {"liver": 0.2, "kidney": 0.6}
    assert report.notes["phantom_ct_called_another_class"] == {"liver": 0.1, "kidney": 0.25}
    assert report.metrics["phantom_ct_min_class_dice"] == 0.2
