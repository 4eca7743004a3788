"""A folder of label maps as a generator reads it, opened for it by the factory.

Models touch no storage (DESIGN.md): a generator that reads a user's label maps
(`params.anatomy=masks`) is given an `OpenFolder` in `GeneratorOptions.open_folder`, and
`pipeline.store.folder.open_folder` is the one the factory gives, so the masks pass the same URI,
credential and endpoint checks and the same retries as the dataset itself. Paths are relative to
the folder's root; errors are `MedsynthError`s (a store's one line) or `FileNotFoundError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class StudyLabels:
    """A medsynth study's label map as stored, without its voxels."""

    shape_zyx: tuple[int, int, int]
    spacing_zyx: tuple[float, float, float]
    identity: str  # of the object holding its voxels: changes whenever they do


class Folder(Protocol):
    uri: str  # for messages: never holds credentials

    def is_folder(self) -> bool: ...

    def exists(self, rel: str) -> bool: ...

    def walk(self) -> list[str]:
        """Every object below the root, relative to it, sorted."""
        ...

    def read(self, rel: str) -> bytes: ...

    def identity(self, rel: str) -> str:
        """What changes whenever the object's bytes do: "etag:<value>" for an object store's
        object, "sha256:<hex>" of the bytes for a file."""
        ...

    def committed_studies(self) -> list[str]:
        """A medsynth dataset's study groups that its catalog holds (shards that never committed
        are not among them), relative to the root, sorted."""
        ...

    def study_labels(self, group: str) -> StudyLabels:
        """A medsynth study's label map: its shape, spacing and identity (no voxels read)."""
        ...

    def read_labels(self, group: str) -> np.ndarray:
        """A medsynth study's label map (z, y, x), as stored."""
        ...


OpenFolder = Callable[[str, "dict[str, Any] | None"], Folder]  # (uri, storage options) -> Folder

__all__ = ["Folder", "OpenFolder", "StudyLabels"]
