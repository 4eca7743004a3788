"""A GPU that is not there, for the code that names one: torch.cuda's per-device calls replaced at
their boundary, each checking its device as torch itself does (`_get_device_index`, which refuses
an index-less `cuda`), so a test on the CPU fails where a real GPU worker would."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
import torch
from torch.cuda._utils import _get_device_index

TOTAL_BYTES = 141 * 2**30  # an H200 as torch reports it (about 139.8 GiB)


@dataclass
class FakeCuda:
    fractions: dict[int, float] = field(default_factory=dict)

    def set_fraction(self, fraction: float, device=None) -> None:
        index = _get_device_index(device if device is not None else 0)
        if not isinstance(fraction, float):  # as torch: "Invalid type for fraction argument"
            raise TypeError("Invalid type for fraction argument, must be `float`")
        self.fractions[index] = fraction

    def get_fraction(self, device=None) -> float:
        return self.fractions.get(_get_device_index(device if device is not None else 0), 1.0)

    def properties(self, device=None) -> SimpleNamespace:
        _get_device_index(device, optional=True)
        return SimpleNamespace(total_memory=TOTAL_BYTES, name="fake H200")


@pytest.fixture
def fake_cuda(monkeypatch) -> FakeCuda:
    fake = FakeCuda()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "set_per_process_memory_fraction", fake.set_fraction)
    monkeypatch.setattr(torch.cuda, "get_per_process_memory_fraction", fake.get_fraction)
    monkeypatch.setattr(torch.cuda, "get_device_properties", fake.properties)
    return fake
