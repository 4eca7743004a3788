"""`dataset.json`: what a dataset root holds and how it was made.

It is written once before the first study and checked on every rerun: the same config resumes,
a different one is refused before anything is touched. It records the resolved config (secrets
redacted), the config hash, the generator and its label dictionary, and a status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from models import Generator, LabelDict
from pipeline.catalog.columns import COLUMN_TYPES
from pipeline.config.job import MAX_STUDIES, GenerateConfig, dataset_hash, to_dict
from pipeline.errors import CatalogError, CommitConflict, ConfigError
from pipeline.store.layout import CATALOG_DIR, DATASET_FILE, STUDIES_DIR, shard_count
from pipeline.store.storage import Store

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class DatasetInfo:
    """The parts of `dataset.json` that readers need."""

    name: str
    config_hash: str
    generator: str
    generator_version: str
    labels: LabelDict
    columns: dict[str, str]  # the generator's catalog columns and their Arrow types
    n_studies: int
    shard_size: int
    status: str
    raw: dict[str, Any]
    series: tuple[str, ...] = ()  # the series every study holds (empty: one, in the 3-D layout)

    @property
    def n_shards(self) -> int:
        return shard_count(self.n_studies, self.shard_size)


def record(config: GenerateConfig, generator: Generator, status: str = "running") -> dict[str, Any]:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return {
        "schema_version": SCHEMA_VERSION,
        "name": config.dataset.name,
        "status": status,
        "config_hash": dataset_hash(config, generator),
        "config": to_dict(config),
        "generator": {"name": generator.name, "version": generator.version},
        "labels": {"name": generator.label_dict.name, "entries": generator.label_dict.to_json()},
        "columns": dict(generator.columns),
        **({"series": list(config.generator.series)} if config.generator.series else {}),
        "n_studies": config.dataset.n_studies,
        "n_shards": config.dataset.n_shards,
        "shard_size": config.dataset.shard_size,
        "created_at": now,
        "updated_at": now,
    }


def read(store: Store) -> DatasetInfo:
    """The dataset at `store`; `CatalogError` if there is none or it cannot be parsed."""
    try:
        raw = _checked(json.loads(store.read_bytes(DATASET_FILE)), store.uri)
        return DatasetInfo(
            name=raw["name"],
            config_hash=raw["config_hash"],
            generator=raw["generator"]["name"],
            generator_version=raw["generator"]["version"],
            labels=LabelDict.from_json(raw["labels"]["name"], raw["labels"]["entries"]),
            columns=dict(raw.get("columns", {})),
            n_studies=int(raw["n_studies"]),
            shard_size=int(raw["shard_size"]),
            status=raw["status"],
            raw=raw,
            series=tuple(str(name) for name in raw.get("series", ())),
        )
    except FileNotFoundError:
        if store.list(CATALOG_DIR):
            raise CatalogError(f"{store.uri}: catalog parts but no {DATASET_FILE} (was it deleted?)") from None
        raise CatalogError(f"{store.uri}: no medsynth dataset here ({DATASET_FILE} not found)") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CatalogError(f"{store.uri}/{DATASET_FILE} is corrupt ({type(exc).__name__}: {exc})") from None


def _checked(raw: dict[str, Any], uri: str) -> dict[str, Any]:
    """`raw` if its sizes and column types are ones medsynth writes; `CatalogError` naming the field."""
    where = f"{uri}/{DATASET_FILE} is corrupt"
    for key in ("n_studies", "shard_size"):
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_STUDIES:
            raise CatalogError(f"{where}: {key} must be a whole number within [1, {MAX_STUDIES:,}], got {value!r}")
    columns = raw.get("columns", {})
    if not isinstance(columns, dict):
        raise CatalogError(f"{where}: columns must be a mapping of name to type, got {type(columns).__name__}")
    for name, kind in columns.items():
        if kind not in COLUMN_TYPES:
            raise CatalogError(f"{where}: column {name!r} has type {kind!r}; medsynth writes {', '.join(COLUMN_TYPES)}")
    return raw


def prepare(store: Store, config: GenerateConfig, generator: Generator) -> dict[str, Any]:
    """Create `dataset.json`, or check that the existing one was made with this same config.

    The creation is exclusive (as a part's commit): of two drivers starting one new root at once,
    one creates it and the other reads it back, then joins (same config) or is refused."""
    wanted = record(config, generator)
    if not store.exists(DATASET_FILE):
        store.ensure_writable()
        refuse_orphans(store)
        try:
            store.commit(DATASET_FILE, _encode(wanted))
            return wanted
        except CommitConflict:
            pass  # another driver created it since we looked: compare with that one
    existing = read(store).raw
    _same_config(store, existing, wanted)
    return existing


def refuse_other(store: Store, config: GenerateConfig, generator: Generator) -> None:
    """Before any work, writing nothing: a root whose `dataset.json` holds another config, a root
    without one that holds what a deleted dataset left, or a root that cannot be written is refused."""
    if store.exists(DATASET_FILE):
        _same_config(store, read(store).raw, record(config, generator))
    else:
        store.ensure_writable()
        refuse_orphans(store)


def _same_config(store: Store, existing: dict[str, Any], wanted: dict[str, Any]) -> None:
    if existing["config_hash"] != wanted["config_hash"]:
        raise ConfigError(
            f"storage.uri: {store.uri} holds dataset {existing['name']!r} made with a different config "
            f"({_differences(existing, wanted)}); use a new storage.uri or the original config"
        )


def refuse_orphans(store: Store) -> None:
    """A root without `dataset.json` must hold nothing of a dataset: parts or studies there mean
    it was deleted, and a new config would mix with the old rows."""
    if store.exists(DATASET_FILE):
        return
    leftovers = store.list(CATALOG_DIR) or store.list(STUDIES_DIR)
    if leftovers and not store.exists(DATASET_FILE):  # looked again: a racing driver may have made it
        raise ConfigError(
            f"storage.uri: {store.uri} holds a dataset's catalog or studies but no {DATASET_FILE} "
            "(was it deleted?); restore it, or use a new storage.uri"
        )


def mark(store: Store, existing: dict[str, Any], status: str) -> None:
    if existing.get("status") == status:
        return
    updated = {**existing, "status": status, "updated_at": datetime.now(UTC).isoformat(timespec="seconds")}
    store.write_atomic(DATASET_FILE, _encode(updated))


def _encode(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=False) + "\n").encode()


def _differences(old: dict[str, Any], new: dict[str, Any]) -> str:
    """The first few config keys that differ, as `key: old -> new`."""
    flat_old, flat_new = _flatten(old["config"]), _flatten(new["config"])
    keys = [k for k in sorted(set(flat_old) | set(flat_new)) if flat_old.get(k) != flat_new.get(k)]
    keys = [k for k in keys if not k.startswith(("ray.", "storage.uri", "storage.options"))]
    if old["generator"] != new["generator"]:
        keys.append("generator.version")
        flat_old["generator.version"], flat_new["generator.version"] = (
            old["generator"]["version"],
            new["generator"]["version"],
        )
    shown = [f"{k}: {flat_old.get(k)!r} -> {flat_new.get(k)!r}" for k in keys[:3]]
    return "; ".join(shown) if shown else "config hash differs"


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and key != "params":
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat
