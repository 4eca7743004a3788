"""A size-limited local copy of remote studies, shared by every worker process on the machine.

A study is fetched whole (its seven objects, requested together) the first time a worker needs
it, into a temp folder renamed into place, so concurrent workers never see half a study; the
winner of a race keeps its copy and the others discard theirs. Each copy carries a marker holding
its size; touching the marker on use keeps a least-recently-used order, and the oldest copies are
evicted once the cache grows past its limit.

Eviction deletes the marker before any data, so a reader that finds the marker still there after
its read knows the read saw the whole copy (zarr reads a missing chunk as fill value, silently);
if the marker is gone, the reader fetches the study again and rereads.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pipeline.store.storage import Store
from pipeline.stream.once import Once

MARKER = ".medsynth-cached"
FETCH_THREADS = 8  # a study's objects requested at once (7 for a one-series study)


_FETCHES = Once()  # this process's looks for and fetches of a copy, one thread at a time per copy


@dataclass(frozen=True)
class StudyCache:
    root: Path
    limit_bytes: int

    def path(self, store: Store, group: str) -> Path:
        return self.root / hashlib.sha256(store.uri.encode()).hexdigest()[:12] / group

    def holds(self, store: Store, group: str) -> bool:
        """Whether the copy is (still) complete: true after a read means the read was whole."""
        return (self.path(store, group) / MARKER).exists()

    def local(self, store: Store, group: str) -> Path:
        """A local folder holding `group` of `store`, fetched now if it is not cached yet (once
        per process, however many of its threads ask at the same time)."""
        dest = self.path(store, group)
        marker = dest / MARKER
        with _FETCHES.per(dest):  # a second thread asking for the same study waits, then finds it
            if marker.exists():
                with contextlib.suppress(FileNotFoundError):  # evicted by another worker just now
                    os.utime(marker)
                    return dest
            self._fetch(store, group, dest)
            self.evict(keep=dest)
        return dest

    def _fetch(self, store: Store, group: str, dest: Path) -> None:
        """The study's objects, requested together (their round trips overlap), into a temp
        folder renamed into place; nothing is left behind if one fails."""
        tmp = dest.parent / f".{dest.name}.tmp-{uuid.uuid4().hex}"
        paths = store.walk(group)

        def copy(path: str) -> int:
            target = tmp / path[len(group) + 1 :]
            target.parent.mkdir(parents=True, exist_ok=True)
            data = store.read_bytes(path)
            target.write_bytes(data)
            return len(data)

        try:
            with ThreadPoolExecutor(
                max(1, min(FETCH_THREADS, len(paths))), thread_name_prefix="medsynth-fetch"
            ) as pool:
                total = sum(pool.map(copy, paths))
            (tmp / MARKER).write_text(str(total))
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        try:
            tmp.rename(dest)
        except OSError:  # another worker cached it first: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)

    def size(self) -> int:
        return sum(size for _, size, _ in self._entries())

    def evict(self, keep: Path | None = None) -> None:
        entries = sorted(self._entries(), key=lambda e: e[2])  # oldest use first
        total = sum(size for _, size, _ in entries)
        for path, size, _ in entries:
            if total <= self.limit_bytes:
                return
            if path == keep:
                continue
            with contextlib.suppress(FileNotFoundError):
                (path / MARKER).unlink()  # first: readers of this copy will notice and refetch
            shutil.rmtree(path, ignore_errors=True)
            total -= size

    def _entries(self) -> list[tuple[Path, int, float]]:
        """Every complete copy: (folder, size, last use). Other workers' fetches come and go
        while this walks (os.walk passes over a folder renamed or deleted under it, where
        Path.glob raises)."""
        found = []
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = [d for d in dirs if not d.startswith(".")]  # fetches still in progress
            if MARKER in files:
                dirs.clear()  # a study's copy: nothing cached inside it
                marker = Path(folder) / MARKER
                with contextlib.suppress(FileNotFoundError, ValueError):
                    found.append((marker.parent, int(marker.read_text()), marker.stat().st_mtime))
        return found
