"""The factory's typed errors. Every message names the field, the URI or the study at fault.

Entry points catch `MedsynthError` (the root, shared with generators) and print one line, exit 2.
"""

from __future__ import annotations

from models.errors import GeneratorError, MedsynthError, ParamError


class ConfigError(MedsynthError, ValueError):
    """A configuration value is missing, unknown or out of range (message starts with its dotted key)."""


class StorageError(MedsynthError):
    """A storage URI cannot be reached, read or written (message names the URI)."""


class CatalogError(MedsynthError):
    """The catalog cannot be read, or a query against it is invalid."""


class CommitConflict(StorageError):
    """A shard's manifest part already exists: another worker committed it first (harmless)."""


class JobFailed(MedsynthError):
    """A generation job could not finish (message names the shard and the last cause)."""


__all__ = [
    "CatalogError",
    "CommitConflict",
    "ConfigError",
    "GeneratorError",
    "JobFailed",
    "MedsynthError",
    "ParamError",
    "StorageError",
]
