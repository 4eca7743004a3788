"""Preparing the next study while the current one renders."""

import threading

import numpy as np
import pytest
import torch

from models import Study, StudySpec
from models.schedule import render_in_order

CPU = torch.device("cpu")


def specs(n: int) -> list[StudySpec]:
    return [StudySpec(f"s{i}", i, i, "fake", {}) for i in range(n)]


class Preparing:
    """Render of study i waits until study i + 1's preparation has begun: only overlap passes."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.started: dict[str, threading.Event] = {}
        self.prepared: set[str] = set()
        self.fail_on = fail_on

    def prepare(self, spec: StudySpec) -> None:
        self.started.setdefault(spec.study_id, threading.Event()).set()
        if spec.study_id == self.fail_on:
            raise ValueError(f"cannot prepare {spec.study_id}")
        self.prepared.add(spec.study_id)

    def render(self, spec: StudySpec, device: torch.device) -> Study:
        assert spec.study_id in self.prepared  # prepared before its render
        following = f"s{spec.index + 1}"
        if spec.index < 2:
            event = self.started.setdefault(following, threading.Event())
            assert event.wait(timeout=10), f"{following} was not being prepared during {spec.study_id}"
        return Study(np.zeros((1, 1, 1), np.int16), np.zeros((1, 1, 1), np.uint8), (1.0, 1.0, 1.0))


def test_the_next_study_is_prepared_while_this_one_renders():
    done = [spec.study_id for spec, _, seconds in render_in_order(Preparing(), specs(3), CPU) if seconds >= 0]
    assert done == ["s0", "s1", "s2"]


def test_a_failed_preparation_raises_in_order():
    rendered = []
    with pytest.raises(ValueError, match="cannot prepare s1"):
        for spec, _, _ in render_in_order(Preparing(fail_on="s1"), specs(3), CPU):
            rendered.append(spec.study_id)
    assert rendered == ["s0"]


def test_generators_without_prepare_render_plainly():
    class Plain:
        def render(self, spec, device):
            return spec.study_id

    assert [study for _, study, _ in render_in_order(Plain(), specs(2), CPU)] == ["s0", "s1"]
    assert list(render_in_order(Plain(), [], CPU)) == []
