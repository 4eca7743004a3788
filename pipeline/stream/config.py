"""How a stream samples, normalises and splits a dataset: one frozen, validated config.

`StudyStream(uri, **keywords)` and `ray_dataset(uri, **keywords)` take these fields as keywords.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from pipeline.config.fields import check_fields
from pipeline.config.job import MAX_SIDE
from pipeline.errors import ConfigError

SAMPLING = ("uniform", "balanced")
NORMALIZE = ("auto", "ct", "zscore", "none")
MAX_READ_AHEAD = 64


@dataclass(frozen=True)
class StreamConfig:
    section: ClassVar[str] = ""  # errors name the keyword itself
    where: str | tuple[str, ...] | None = None  # SQL WHERE over the catalog, as in jobs.query (several: ANDed)
    patch_size: tuple[int, int, int] | None = None  # z, y, x; None = whole volumes
    patches_per_study: int = 1
    sampling: str = "uniform"  # uniform random patches, or balanced around labelled voxels
    pos_fraction: float = 0.5  # balanced: share of patches centred on a positive voxel
    pos_labels: tuple[str, ...] | None = None  # balanced: names counted as positive (None: all but body)
    normalize: str = "auto"  # auto: ct for CT, zscore for MR; ct: window to [0, 1]; zscore; none
    window: tuple[float, float] = (-1000.0, 1000.0)  # HU window of "ct" normalisation
    classes: tuple[str, ...] | None = None  # label names -> class 1..K (rest 0), int64; None: raw values
    # Several series: a tuple of names (stacked as channels in that order), "random" (one per
    # sample, drawn from the epoch seed), or None (the first).
    series: str | tuple[str, ...] | None = None
    seed: int = 0
    epoch: int = 0
    shuffle: bool = True
    shuffle_buffer: int = 256  # how far (in samples) a patch may move from its study's slot
    cache_dir: str | None = None  # local copies of remote studies, least recently used evicted
    cache_limit_gb: float = 20.0
    storage_options: dict[str, Any] = field(default_factory=dict)
    # Samples loaded ahead, each on its own thread, from an object store (with or without
    # cache_dir; a local dataset's reads are bound by the CPU, not latency: none there). At most
    # read_ahead + 1 samples are held per process.
    read_ahead: int = 4
    rank: int | None = None  # None: from torch.distributed when initialised, else 0
    world_size: int | None = None

    def __post_init__(self) -> None:
        if self.where is not None and not isinstance(self.where, str | tuple | list):  # SQL, not a number
            raise ConfigError(f"where: must be a string of SQL (or several), got {type(self.where).__name__}")
        check_fields(self)
        if self.patch_size is not None and (len(self.patch_size) != 3 or not min(self.patch_size) >= 1):
            raise ConfigError(f"patch_size: must be 3 positive sizes (z, y, x) or None, got {self.patch_size}")
        if self.patch_size is not None and max(self.patch_size) > MAX_SIDE:
            raise ConfigError(f"patch_size: at most {MAX_SIDE} per side, got {self.patch_size}")
        if not 1 <= self.patches_per_study <= 10_000:
            raise ConfigError(f"patches_per_study: must be between 1 and 10000, got {self.patches_per_study}")
        if self.patch_size is None and self.patches_per_study != 1:
            raise ConfigError("patches_per_study: whole volumes (patch_size=None) come one per study")
        if self.sampling not in SAMPLING:
            raise ConfigError(f"sampling: must be one of {list(SAMPLING)}, got {self.sampling!r}")
        if self.sampling == "balanced" and self.patch_size is None:
            raise ConfigError("sampling: 'balanced' needs a patch_size")
        if not 0.0 <= self.pos_fraction <= 1.0:
            raise ConfigError(f"pos_fraction: must be within [0, 1], got {self.pos_fraction}")
        if self.normalize not in NORMALIZE:
            raise ConfigError(f"normalize: must be one of {list(NORMALIZE)}, got {self.normalize!r}")
        if len(self.window) != 2 or not self.window[0] < self.window[1]:
            raise ConfigError(f"window: must be (low, high) with low < high, got {self.window}")
        if isinstance(self.series, str) and self.series != "random":
            raise ConfigError(f"series: must be a tuple of series names, 'random' or None, got {self.series!r}")
        if isinstance(self.series, tuple) and (not self.series or len(set(self.series)) != len(self.series)):
            raise ConfigError(f"series: must be distinct series names, got {self.series}")
        for name in ("classes", "pos_labels"):
            names = getattr(self, name)
            if names is not None and (not names or len(set(names)) != len(names)):
                raise ConfigError(f"{name}: must be distinct label names, got {names}")
        if not 0 <= self.seed < 2**63 or not 0 <= self.epoch < 2**31:
            raise ConfigError(
                f"seed, epoch: must not be negative (seed < 2**63), got seed={self.seed} epoch={self.epoch}"
            )
        if not 1 <= self.shuffle_buffer <= 10**7:
            raise ConfigError(f"shuffle_buffer: must be between 1 and 10000000, got {self.shuffle_buffer}")
        if not 0 <= self.read_ahead <= MAX_READ_AHEAD:
            raise ConfigError(f"read_ahead: must be between 0 and {MAX_READ_AHEAD}, got {self.read_ahead}")
        if not 0 < self.cache_limit_gb <= 10**6:
            raise ConfigError(f"cache_limit_gb: must be positive, got {self.cache_limit_gb}")
        if self.world_size is not None and not 1 <= self.world_size <= 10**6:
            raise ConfigError(f"world_size: must be between 1 and 1000000, got {self.world_size}")
        if self.rank is not None and self.world_size is None:
            raise ConfigError("rank: set world_size too (or neither, to take both from torch.distributed)")
        if self.world_size is not None and not 0 <= (self.rank or 0) < self.world_size:
            raise ConfigError(f"rank: must be within [0, world_size={self.world_size}), got {self.rank}")
