"""A benchmark's report: goals judged against the value of the same name, a table that says which
goals are met, and a JSON file with the machine it ran on."""

import json

from jobs.bench.report import Goal, Report


def test_goals_are_judged_and_saved_with_the_machine(tmp_path):
    report = Report("x", metrics={"render_s": 1.5, "peak_gib": 3.0}, ratios={"speedup": 2.0})
    report.goals = [Goal("render_s", "<=", 2.0), Goal("peak_gib", "<=", 2.0), Goal("speedup", ">=", 1.7)]
    saved = json.loads(report.save(tmp_path).read_text())
    assert saved["goals"] == {
        "render_s": {"op": "<=", "target": 2.0, "value": 1.5, "met": True},
        "peak_gib": {"op": "<=", "target": 2.0, "value": 3.0, "met": False},
        "speedup": {"op": ">=", "target": 1.7, "value": 2.0, "met": True},
    }
    assert saved["machine"]["cores"] >= 1 and saved["machine"]["python"].startswith("3.")
    assert set(saved) >= {"metrics", "ratios", "goals", "machine", "measured_at"}
    table = report.table().splitlines()
    assert table[0] == "benchmark x"
    assert [line.split()[-1] for line in table if line.startswith(("render_s", "peak_gib", "speedup"))] == [
        "yes",
        "NO",
        "yes",
    ]
