"""What one study's manifest row is filled from: the study, what its writer learned, and what the
rows of its shard share. `pipeline.catalog.columns` declares how each column reads it; `pipeline.catalog.manifest`
builds the row. Neither is imported here, so the two depend on this module and not on each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models import Generator, LabelDict, Study, StudySpec
from models.base import describes
from models.measure import Measurements


@dataclass(frozen=True)
class Written:
    """What the writer learned about a stored study."""

    group_path: str
    image_bytes: int
    label_bytes: int
    checksum: str
    write_s: float


@dataclass(frozen=True)
class RowContext:
    """What every row of one shard shares."""

    shard: int
    version: str
    worker: str
    labels: LabelDict
    extra: dict[str, str] = field(default_factory=dict)  # the generator's columns and their types
    series: tuple[str, ...] = ()  # the series of every study (empty: one)
    describes: dict[str, str] = field(default_factory=dict)  # common column -> the param that fills it

    @classmethod
    def of(cls, generator: Generator, shard: int, worker: str, series: tuple[str, ...] = ()) -> RowContext:
        """The context of `generator`'s rows in `shard`: its version, labels, own columns and the
        common columns it describes."""
        return cls(
            shard,
            generator.version,
            worker,
            generator.label_dict,
            dict(generator.columns),
            series,
            describes(generator),
        )


@dataclass(frozen=True)
class Filling:
    """One study's row's inputs (`pipeline.catalog.columns` reads them)."""

    spec: StudySpec
    study: Study
    written: Written
    render_s: float
    context: RowContext

    def measured(self, k: int) -> Measurements:
        """The measurements of series `k` (0: the study's own for a single-series study)."""
        if self.study.series_measurements is not None:
            return self.study.series_measurements[k]
        if self.study.measurements is None:
            raise ValueError(f"study {self.spec.study_id} was not measured (the worker measures every study)")
        return self.study.measurements
