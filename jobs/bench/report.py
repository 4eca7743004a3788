"""One benchmark's result: metrics, ratios against a baseline measured in the same run, goals."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"
# Scratch datasets of every benchmark; MEDSYNTH_BENCH_TMP moves them (the tests put them outside
# the checkout).
WORKDIR = Path(os.environ.get("MEDSYNTH_BENCH_TMP", Path(__file__).resolve().parents[2] / "bench" / "tmp"))


@dataclass(frozen=True)
class Goal:
    """`ratio` (or metric) `name` must be >= or <= `target`."""

    name: str
    op: str  # ">=" or "<="
    target: float

    def met(self, value: float) -> bool:
        return value >= self.target if self.op == ">=" else value <= self.target


@dataclass
class Report:
    name: str
    metrics: dict[str, float] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    def value(self, name: str) -> float:
        return self.ratios[name] if name in self.ratios else self.metrics[name]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "metrics": self.metrics,
            "ratios": self.ratios,
            "goals": {
                g.name: {"op": g.op, "target": g.target, "value": self.value(g.name), "met": g.met(self.value(g.name))}
                for g in self.goals
            },
            "notes": self.notes,
            "machine": {
                "cores": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
                "processor": platform.machine(),
            },
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    def table(self) -> str:
        goals = {g.name: g for g in self.goals}
        lines = [f"benchmark {self.name}", "", f"{'metric':44s} {'value':>12s} {'goal':>10s}  met"]
        lines += [self._line(k, v, goals.get(k)) for k, v in self.metrics.items()]
        lines += ["", f"{'ratio':44s} {'value':>12s} {'goal':>10s}  met"]
        lines += [self._line(k, v, goals.get(k)) for k, v in self.ratios.items()]
        return "\n".join(lines)

    @staticmethod
    def _line(name: str, value: float, goal: Goal | None) -> str:
        target = f"{goal.op} {goal.target:g}" if goal else ""
        met = ("yes" if goal.met(value) else "NO") if goal else ""
        return f"{name:44s} {value:12.3f} {target:>10s}  {met}"

    def save(self, directory: Path = RESULTS) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.name}.json"
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        return path
