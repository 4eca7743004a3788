"""Typed, frozen configuration of a generation job (OmegaConf structured configs).

YAML and `key=value` dotlists are only the serialised forms: `load` merges the structured
defaults, YAML files and overrides, then builds these dataclasses, whose `__post_init__` checks
every value and raises `ConfigError` naming its dotted key. Nothing is validated with `assert`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from pipeline.errors import ConfigError

CODECS = ("zstd", "blosc-zstd", "blosc-lz4", "none")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
SECRET_KEY_PATTERN = re.compile(r"key|secret|token|password|credential|session", re.IGNORECASE)
REDACTED = "***"


def _fail(key: str, message: str) -> None:
    raise ConfigError(f"{key}: {message}")


def _positive_triple(key: str, value: Sequence[float] | None, kind: type) -> tuple | None:
    if value is None:
        return None
    if len(value) != 3 or any(v <= 0 for v in value):
        _fail(key, f"must be 3 positive numbers (z, y, x), got {list(value)}")
    return tuple(kind(v) for v in value)


@dataclass(frozen=True)
class DatasetConfig:
    name: str = "medsynth"
    n_studies: int = 16
    seed: int = 0
    shard_size: int = 8

    def __post_init__(self) -> None:
        if not NAME_PATTERN.match(self.name):
            _fail("dataset.name", f"must be letters, digits, '.', '_' or '-' (got {self.name!r})")
        if not 1 <= self.n_studies <= 10**9:
            _fail("dataset.n_studies", f"must be between 1 and 1e9, got {self.n_studies}")
        if not 0 <= self.seed < 2**63:
            _fail("dataset.seed", f"must be a non-negative 63-bit integer, got {self.seed}")
        if not 1 <= self.shard_size <= 100_000:
            _fail("dataset.shard_size", f"must be between 1 and 100000, got {self.shard_size}")

    @property
    def n_shards(self) -> int:
        return -(-self.n_studies // self.shard_size)


@dataclass(frozen=True)
class GeneratorConfig:
    name: str = "phantom_ct"
    shape: tuple[int, ...] | None = None  # z, y, x; None = the generator's default
    spacing_mm: tuple[float, ...] | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name:
            _fail("generator.name", "must name a generator")
        object.__setattr__(self, "shape", _positive_triple("generator.shape", self.shape, int))
        object.__setattr__(self, "spacing_mm", _positive_triple("generator.spacing_mm", self.spacing_mm, float))


@dataclass(frozen=True)
class StorageConfig:
    uri: str = "./data/demo"
    options: dict[str, Any] = field(default_factory=dict)  # fsspec options (endpoint_url, profile, anon)
    chunk: tuple[int, ...] = (64, 64, 64)  # inner Zarr chunk, z, y, x
    codec: str = "blosc-zstd"
    level: int = 3
    prefix_hash: bool = False  # hash-prefixed shard folders, to spread keys over S3 partitions

    def __post_init__(self) -> None:
        if not self.uri.strip():
            _fail("storage.uri", "must not be empty")
        object.__setattr__(self, "chunk", _positive_triple("storage.chunk", self.chunk, int))
        if self.codec not in CODECS:
            _fail("storage.codec", f"must be one of {list(CODECS)}, got {self.codec!r}")
        top = 9 if self.codec.startswith("blosc") else 22
        if not 0 <= self.level <= top:
            _fail("storage.level", f"must be between 0 and {top} for {self.codec}, got {self.level}")


@dataclass(frozen=True)
class RayConfig:
    address: str | None = None  # None: start a local Ray; "auto" or "ray://host:port": join a cluster
    num_workers: int | None = None  # None: as many as the cluster's resources allow
    cpus_per_worker: float = 1.0
    gpus_per_worker: float = 0.0
    max_in_flight: int = 2  # shards queued per worker (backpressure)
    max_retries: int = 3  # re-submissions of a shard whose worker died, before the job fails
    writer_threads: int = 2  # encode + upload threads inside each worker

    def __post_init__(self) -> None:
        if self.num_workers is not None and self.num_workers < 1:
            _fail("ray.num_workers", f"must be at least 1 (or null for automatic), got {self.num_workers}")
        if self.cpus_per_worker <= 0:
            _fail("ray.cpus_per_worker", f"must be positive, got {self.cpus_per_worker}")
        if self.gpus_per_worker < 0:
            _fail("ray.gpus_per_worker", f"must not be negative, got {self.gpus_per_worker}")
        if self.max_in_flight < 1:
            _fail("ray.max_in_flight", f"must be at least 1, got {self.max_in_flight}")
        if self.max_retries < 0:
            _fail("ray.max_retries", f"must not be negative, got {self.max_retries}")
        if self.writer_threads < 1:
            _fail("ray.writer_threads", f"must be at least 1, got {self.writer_threads}")


@dataclass(frozen=True)
class GenerateConfig:
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    ray: RayConfig = field(default_factory=RayConfig)


def load(files: Sequence[str | Path] = (), overrides: Sequence[str] = ()) -> GenerateConfig:
    """Structured defaults <- each YAML file in order <- `key=value` overrides."""
    try:
        merged = OmegaConf.structured(GenerateConfig)
        for path in files:
            merged = OmegaConf.merge(merged, _read_yaml(Path(path)))
        merged = OmegaConf.merge(merged, _dotlist(overrides))
        return OmegaConf.to_object(merged)  # type: ignore[return-value]
    except OmegaConfBaseException as exc:
        raise ConfigError(_omegaconf_message(exc)) from None


def from_dict(data: dict[str, Any]) -> GenerateConfig:
    """A config from plain values (for example the `config` recorded in `dataset.json`)."""
    try:
        return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(GenerateConfig), OmegaConf.create(data)))  # type: ignore[return-value]
    except OmegaConfBaseException as exc:
        raise ConfigError(_omegaconf_message(exc)) from None


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise ConfigError(f"--config: no such file {str(path)!r}")
    try:
        return OmegaConf.load(path)
    except Exception as exc:  # YAML syntax errors come from several libraries
        raise ConfigError(f"--config: {path} is not valid YAML ({str(exc).splitlines()[0]})") from None


def _dotlist(overrides: Sequence[str]) -> Any:
    for item in overrides:
        if "=" not in item or item.startswith("="):
            raise ConfigError(f"{item}: overrides are key=value (for example dataset.n_studies=64)")
    return OmegaConf.from_dotlist(list(overrides))


def _omegaconf_message(exc: OmegaConfBaseException) -> str:
    key = getattr(exc, "full_key", None) or "config"
    detail = (getattr(exc, "msg", None) or str(exc)).splitlines()[0]
    if type(exc).__name__ == "ConfigKeyError":
        detail = "unknown key"
    return f"{key}: {detail}"


def to_dict(config: GenerateConfig) -> dict[str, Any]:
    """The resolved config as plain JSON values, with secret-looking storage options redacted."""
    data = json.loads(json.dumps(asdict(config)))
    data["storage"]["options"] = redact(data["storage"]["options"])
    return data


def redact(options: dict[str, Any]) -> dict[str, Any]:
    return {k: (REDACTED if SECRET_KEY_PATTERN.search(k) else v) for k, v in options.items()}


def content_hash(config: GenerateConfig, generator_version: str) -> str:
    """Hash of everything that decides what the dataset contains and how it is laid out.

    Execution settings (`ray.*`, `storage.uri`, `storage.options`) are left out on purpose: the
    same dataset may be resumed from another machine, cluster size or credential.
    """
    data = to_dict(config)
    content = {
        "dataset": data["dataset"],
        "generator": {**data["generator"], "version": generator_version},
        "layout": {k: data["storage"][k] for k in ("chunk", "codec", "level", "prefix_hash")},
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]
