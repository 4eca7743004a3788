"""One thread at a time per key: work that several threads of a process may ask for at once
(opening an array, fetching a study into the cache) is done by the first, and the others wait
for it and then find it done. A key's lock lives while some thread holds or awaits it."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Hashable, Iterator


class Once:
    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[threading.Lock, list[int]]] = {}  # key -> (lock, [users])
        self._guard = threading.Lock()

    @contextlib.contextmanager
    def per(self, key: Hashable) -> Iterator[None]:
        """Held by one thread at a time for `key`; the caller checks, inside, whether the work
        was done while it waited."""
        with self._guard:
            lock, users = self._locks.setdefault(key, (threading.Lock(), [0]))
            users[0] += 1
        try:
            with lock:
                yield
        finally:
            with self._guard:
                users[0] -= 1
                if not users[0]:
                    del self._locks[key]

    def __len__(self) -> int:
        """Keys held or awaited now."""
        with self._guard:
            return len(self._locks)


__all__ = ["Once"]
