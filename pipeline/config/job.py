"""Typed, frozen configuration of a generation job (OmegaConf structured configs).

YAML and `key=value` dotlists are only the serialised forms: `load` merges the structured
defaults, YAML files and overrides, then builds these dataclasses, whose `__post_init__` checks
every value and raises `ConfigError` naming its dotted key. Nothing is validated with `assert`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from models.base import Generator
from models.errors import first_line
from models.series import MAX_SERIES
from models.uri import problem as uri_problem
from pipeline.config.fields import SHOWN, build, check_fields, shown_key
from pipeline.errors import ConfigError
from pipeline.store.layout import shard_count

CODECS = ("zstd", "blosc-zstd", "blosc-lz4", "none")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_URL_CREDENTIALS = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@]*@")
SECRET_KEY_PATTERN = re.compile(r"key|secret|token|password|credential|session", re.IGNORECASE)
REDACTED = "***"
# Sizes past any real study or cluster: a value above them is a typo, refused before any work.
MAX_SIDE = 2048
MAX_VOXELS = 2**30
MAX_SPACING_MM = 50.0
MAX_WORKERS = 100_000
MAX_PER_WORKER = 1024.0
SERIES_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
# The storage options `dataset.json` records (by name; none of them a credential). Everything
# else (keys, tokens, client_kwargs, config_kwargs) is left out of the record.
RECORDED_OPTIONS = ("endpoint_url", "anon", "profile", "region_name", "requester_pays", "use_ssl", "version_aware")


def _fail(key: str, message: str) -> None:
    raise ConfigError(f"{key}: {message}")


def check_series(series: tuple[str, ...]) -> None:
    """Series names become column suffixes (`pipeline.catalog.columns`): a letter then letters, digits or
    `_`, distinct even in lower case. Which names a generator knows, it checks itself."""
    if not 1 <= len(series) <= MAX_SERIES:
        _fail("generator.series", f"must list 1 to {MAX_SERIES} series (or be null for one), got {len(series)}")
    for k, name in enumerate(series):
        if not SERIES_NAME.match(name):
            _fail(f"generator.series[{k}]", f"must be a letter then letters, digits or _ (32 at most), got {name!r}")
    lower = [name.lower() for name in series]
    twice = sorted({n for n in lower if lower.count(n) > 1})
    if twice:
        _fail("generator.series", f"lists {twice[0]!r} twice (names are compared in lower case)")


def _positive_triple(key: str, value: tuple | None) -> tuple | None:
    if value is not None and (len(value) != 3 or any(v <= 0 for v in value)):
        _fail(key, f"must be 3 positive numbers (z, y, x), got {list(value)}")
    return value


MAX_STUDIES = 10**9  # the most studies one dataset holds


@dataclass(frozen=True)
class DatasetConfig:
    section: ClassVar[str] = "dataset"
    HELP: ClassVar[dict[str, str]] = {  # each key's meaning: docs/reference/configuration.md is made from it
        "name": "name recorded in `dataset.json` (letters, digits, `._-`)",
        "n_studies": "number of studies",
        "seed": "dataset seed; study *i* depends only on `(seed, i)` and the generator config",
        "shard_size": "studies per shard: the unit of work and of commit",
    }
    name: str = "medsynth"
    n_studies: int = 16
    seed: int = 0
    shard_size: int = 8

    def __post_init__(self) -> None:
        check_fields(self)
        if not NAME_PATTERN.match(self.name):
            _fail("dataset.name", f"must be letters, digits, '.', '_' or '-' (got {self.name!r})")
        if not 1 <= self.n_studies <= MAX_STUDIES:
            _fail("dataset.n_studies", f"must be between 1 and 1e9, got {self.n_studies}")
        if not 0 <= self.seed < 2**63:
            _fail("dataset.seed", f"must be a non-negative 63-bit integer, got {self.seed}")
        if not 1 <= self.shard_size <= 100_000:
            _fail("dataset.shard_size", f"must be between 1 and 100000, got {self.shard_size}")

    @property
    def n_shards(self) -> int:
        return shard_count(self.n_studies, self.shard_size)


@dataclass(frozen=True)
class GeneratorConfig:
    section: ClassVar[str] = "generator"
    HELP: ClassVar[dict[str, str]] = {
        "name": "a built-in generator or a `medsynth.generators` entry point",
        "shape": "output size `[z, y, x]`; null = the generator's default",
        "spacing_mm": "voxel spacing `[z, y, x]` in mm; null = the generator chooses",
        "params": "generator-specific parameters (docs/reference/generators.md)",
        "series": "several series per study (docs/generate.md, *Several series per study*); null = one",
    }
    name: str = "phantom_ct"
    shape: tuple[int, ...] | None = None  # z, y, x; None = the generator's default
    spacing_mm: tuple[float, ...] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    series: tuple[str, ...] | None = None  # several series per study (models.series); None = one

    def __post_init__(self) -> None:
        check_fields(self)
        if not self.name:
            _fail("generator.name", "must name a generator")
        if self.series is not None:
            check_series(self.series)
        _positive_triple("generator.shape", self.shape)
        _positive_triple("generator.spacing_mm", self.spacing_mm)
        if self.shape is not None and (max(self.shape) > MAX_SIDE or math.prod(self.shape) > MAX_VOXELS):
            _fail("generator.shape", f"at most {MAX_SIDE} per side and {MAX_VOXELS:,} voxels, got {list(self.shape)}")
        if self.spacing_mm is not None and max(self.spacing_mm) > MAX_SPACING_MM:
            _fail("generator.spacing_mm", f"at most {MAX_SPACING_MM:g} mm, got {list(self.spacing_mm)}")


@dataclass(frozen=True)
class StorageConfig:
    section: ClassVar[str] = "storage"
    HELP: ClassVar[dict[str, str]] = {
        "uri": "dataset root: a path, `file://`, `s3://`, or any fsspec URI; literal, so credentials, control"
        " characters and `*?[]{}` (DuckDB would read them as a file pattern) are refused",
        "options": "fsspec options (`endpoint_url`, `profile`, `anon`, ...) for an object store (refused for a"
        " local folder, where they mean nothing); secrets are never recorded",
        "chunk": "inner Zarr chunk `[z, y, x]` (patch reads touch only the chunks they overlap)",
        "codec": "`blosc-zstd` (zstd after a byte shuffle), `zstd`, `blosc-lz4` or `none`",
        "level": "compression level (blosc: at most 9, zstd: at most 22)",
        "prefix_hash": "hash-prefixed shard folders, to spread keys over S3 partitions",
    }
    uri: str = "./data/demo"
    options: dict[str, Any] = field(default_factory=dict)  # fsspec options (endpoint_url, profile, anon)
    chunk: tuple[int, ...] = (64, 64, 64)  # inner Zarr chunk, z, y, x
    codec: str = "blosc-zstd"
    level: int = 3
    prefix_hash: bool = False  # hash-prefixed shard folders, to spread keys over S3 partitions

    def __post_init__(self) -> None:
        check_fields(self)
        if not self.uri.strip():
            _fail("storage.uri", "must not be empty")
        why = uri_problem(self.uri)
        if why is not None:
            _fail("storage.uri", why)
        _positive_triple("storage.chunk", self.chunk)
        if max(self.chunk) > MAX_SIDE:
            _fail("storage.chunk", f"at most {MAX_SIDE} per side, got {list(self.chunk)}")
        if self.codec not in CODECS:
            _fail("storage.codec", f"must be one of {list(CODECS)}, got {self.codec!r}")
        top = 9 if self.codec.startswith("blosc") else 22
        if not 0 <= self.level <= top:
            _fail("storage.level", f"must be between 0 and {top} for {self.codec}, got {self.level}")


@dataclass(frozen=True)
class RayConfig:
    section: ClassVar[str] = "ray"
    HELP: ClassVar[dict[str, str]] = {
        "address": "null = Ray's default (`RAY_ADDRESS`, or a `ray start` cluster on this machine, else a new"
        " local Ray); `auto`, `host:port` or `ray://host:port` = join that cluster",
        "num_workers": "generator actors; null = as many as the cluster's CPUs (or GPUs) fit",
        "cpus_per_worker": "CPUs each actor reserves (also set for GPU actors)",
        "gpus_per_worker": "GPUs each actor reserves (fractions allowed); > 0 needs GPUs in the cluster",
        "max_in_flight": "shards queued per actor (backpressure)",
        "max_retries": "times a shard is retried after its actor died or a transient error",
        "writer_threads": "encode + write threads per actor, overlapping rendering",
    }
    address: str | None = None
    num_workers: int | None = None  # None: as many as the cluster's resources allow
    cpus_per_worker: float = 1.0
    gpus_per_worker: float = 0.0
    max_in_flight: int = 2  # shards queued per worker (backpressure)
    max_retries: int = 3  # re-submissions of a shard whose worker died, before the job fails
    writer_threads: int = 2  # encode + upload threads inside each worker

    def __post_init__(self) -> None:
        check_fields(self)
        if self.num_workers is not None and self.num_workers < 1:
            _fail("ray.num_workers", f"must be at least 1 (or null for automatic), got {self.num_workers}")
        if not 0 < self.cpus_per_worker <= MAX_PER_WORKER:
            _fail("ray.cpus_per_worker", f"must be within (0, {MAX_PER_WORKER}], got {self.cpus_per_worker}")
        if not 0 <= self.gpus_per_worker <= MAX_PER_WORKER:
            _fail("ray.gpus_per_worker", f"must be within [0, {MAX_PER_WORKER}], got {self.gpus_per_worker}")
        if self.num_workers is not None and self.num_workers > MAX_WORKERS:
            _fail("ray.num_workers", f"must be at most {MAX_WORKERS}, got {self.num_workers}")
        if not 1 <= self.max_in_flight <= 1000:
            _fail("ray.max_in_flight", f"must be between 1 and 1000, got {self.max_in_flight}")
        if not 0 <= self.max_retries <= 100:
            _fail("ray.max_retries", f"must be between 0 and 100, got {self.max_retries}")
        if not 1 <= self.writer_threads <= 64:
            _fail("ray.writer_threads", f"must be between 1 and 64, got {self.writer_threads}")


@dataclass(frozen=True)
class GenerateConfig:
    section: ClassVar[str] = ""
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    ray: RayConfig = field(default_factory=RayConfig)

    def __post_init__(self) -> None:
        check_fields(self)


def load(
    files: Sequence[str | Path] = (), overrides: Sequence[str] = (), resolve_interpolations: bool = False
) -> GenerateConfig:
    """Structured defaults <- each YAML file in order <- `key=value` overrides.

    `${...}` interpolations (OmegaConf's `oc.env` and the rest) are refused unless
    `resolve_interpolations`; then a key whose value came from one is named in errors, never shown."""
    merged = OmegaConf.create({})
    for path in files:
        merged = _merge(merged, _read_yaml(Path(path)), f"--config {path}")
    for item in overrides:
        merged = _merge(merged, _dotlist(item), item.partition("=")[0])
    data = _container(merged, resolve_interpolations)
    if not resolve_interpolations:
        return from_dict(data)
    try:
        return from_dict(data)
    except ConfigError as exc:
        key = str(exc).split(":", 1)[0]
        if key in _interpolated(merged):
            raise ConfigError(f"{key}: invalid value (it came from an interpolation, so it is not shown)") from None
        raise


def from_dict(data: Any) -> GenerateConfig:
    """A config from plain values (a merged YAML, or the `config` recorded in `dataset.json`)."""
    return build(GenerateConfig, data, "")


def _merge(base: Any, layer: Any, where: str) -> Any:
    try:
        return OmegaConf.merge(base, layer)
    except (OmegaConfBaseException, TypeError, ValueError) as exc:
        detail = first_line(exc)
        raise ConfigError(f"{shown_key(where)}: not the kind of value this key takes ({detail[:SHOWN]})") from None


def _container(merged: Any, resolve: bool) -> Any:
    try:
        return OmegaConf.to_container(merged, resolve=resolve)
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", None) or "config"
        raise ConfigError(f"{key}: its interpolation cannot be resolved ({type(exc).__name__})") from None


def _interpolated(merged: Any, prefix: str = "") -> set[str]:
    """Dotted keys (and their parents) whose values are interpolations."""
    found: set[str] = set()
    for key in merged:
        name = f"{prefix}{key}"
        if OmegaConf.is_interpolation(merged, key):
            found.add(name)
        elif OmegaConf.is_dict(merged[key]):
            inner = _interpolated(merged[key], f"{name}.")
            found |= inner | ({name} if inner else set())
    return found


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise ConfigError(f"--config: no such file {str(path)!r}")
    try:
        loaded = OmegaConf.load(path)
    except Exception as exc:  # YAML syntax errors come from several libraries
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        at = f" at line {line + 1}" if line is not None else ""
        raise ConfigError(f"--config: {path} is not valid YAML{at} ({type(exc).__name__})") from None
    sections = [f.name for f in dataclasses.fields(GenerateConfig)]
    if not OmegaConf.is_dict(loaded) or any(str(k) not in sections for k in loaded):
        raise ConfigError(f"--config: {path} is not a medsynth config (a YAML mapping of {', '.join(sections)})")
    return loaded


def _dotlist(item: str) -> Any:
    if "=" not in item or item.startswith("="):
        raise ConfigError(f"{shown_key(item)}: overrides are key=value (for example dataset.n_studies=64)")
    control = next((c for c in item if ord(c) < 0x20 or ord(c) == 0x7F), None)
    if control is not None:  # YAML would fold a newline into a space: another value than written
        raise ConfigError(f"{shown_key(item.partition('=')[0])}: holds the control character {control!r}")
    try:
        return OmegaConf.from_dotlist([item])
    except (OmegaConfBaseException, yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        # the value is YAML: a malformed or absurdly nested one fails in the YAML parser itself
        raise ConfigError(f"{shown_key(item.partition('=')[0])}: cannot be parsed ({type(exc).__name__})") from None


def to_dict(config: GenerateConfig) -> dict[str, Any]:
    """The resolved config as plain JSON values, fit to record: storage options cut to
    `RECORDED_OPTIONS`, and any value under a secret-looking key redacted at any depth."""
    data = json.loads(json.dumps(asdict(config)))
    data["storage"]["options"] = {k: v for k, v in data["storage"]["options"].items() if k in RECORDED_OPTIONS}
    return redact(data)


def redact(data: Any) -> Any:
    """`data` with every value under a secret-looking key replaced, at any depth; credentials in a
    URL (`scheme://user:password@host`) cut out."""
    if isinstance(data, dict):
        return {k: (REDACTED if SECRET_KEY_PATTERN.search(str(k)) else redact(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [redact(v) for v in data]
    if isinstance(data, str):
        return _URL_CREDENTIALS.sub(r"\1", data)
    return data


def dataset_hash(config: GenerateConfig, generator: Generator) -> str:
    """`content_hash` of `config` as `generator` (its version)."""
    return content_hash(config, generator.version)


def content_hash(config: GenerateConfig, generator_version: str) -> str:
    """Hash of everything that decides what the dataset contains and how it is laid out.

    Execution settings (`ray.*`, `storage.uri`, `storage.options`) are left out on purpose: the
    same dataset may be resumed from another machine, cluster size or credential.
    """
    data = to_dict(config)
    if data["generator"].get("series") is None:
        del data["generator"]["series"]  # one series: the hash datasets made before series had
    content = {
        "dataset": data["dataset"],
        "generator": {**data["generator"], "version": generator_version},
        "layout": {k: data["storage"][k] for k in ("chunk", "codec", "level", "prefix_hash")},
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]
