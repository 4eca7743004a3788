"""The study cache on its own: a study is copied whole or not at all, least recently used copies
go first, the marker goes before the data, and a lost race keeps the winner's copy."""

import os
import threading
import time
from pathlib import Path

import pytest

from pipeline.errors import StorageError
from pipeline.store.storage import Store, open_store
from pipeline.stream.cache import MARKER, StudyCache

STUDY_BYTES = 3 * 1000


@pytest.fixture
def store(tmp_path):
    root = tmp_path / "remote"
    for k in range(4):
        group = root / "studies" / "000000" / f"s{k}.zarr"
        (group / "c").mkdir(parents=True)
        (group / "zarr.json").write_bytes(b"{" + b"j" * 998 + b"}")
        (group / "c" / "0").write_bytes(bytes([k]) * 1000)
        (group / "c" / "1").write_bytes(bytes([k]) * 1000)
    return open_store(str(root))


def group(k: int) -> str:
    return f"studies/000000/s{k}.zarr"


def test_a_study_is_copied_whole_with_its_size(store, tmp_path):
    cache = StudyCache(tmp_path / "cache", limit_bytes=10 * STUDY_BYTES)
    local = cache.local(store, group(1))
    assert (local / "c" / "1").read_bytes() == bytes([1]) * 1000
    assert sorted(str(p.relative_to(local)) for p in local.rglob("*") if p.is_file()) == [
        MARKER,
        "c/0",
        "c/1",
        "zarr.json",
    ]
    assert (local / MARKER).read_text() == str(STUDY_BYTES) and cache.size() == STUDY_BYTES
    assert cache.holds(store, group(1)) and not cache.holds(store, group(2))
    assert not list(local.parent.glob(".*tmp-*"))  # no temp folder left behind
    assert cache.local(store, group(1)) == local  # a hit: nothing fetched again


def test_the_least_recently_used_copies_are_evicted_past_the_limit(store, tmp_path):
    cache = StudyCache(tmp_path / "cache", limit_bytes=2 * STUDY_BYTES)
    for k in (0, 1):
        cache.local(store, group(k))
    old = time.time() - 100
    os.utime(cache.path(store, group(1)) / MARKER, (old, old))  # 1 is now the older
    cache.local(store, group(0))  # used again: touched
    cache.local(store, group(2))  # over the limit: 1 goes
    assert [cache.holds(store, group(k)) for k in range(3)] == [True, False, True]
    assert not cache.path(store, group(1)).exists() and cache.size() == 2 * STUDY_BYTES


def test_the_study_just_fetched_is_kept_even_above_the_limit(store, tmp_path):
    cache = StudyCache(tmp_path / "cache", limit_bytes=STUDY_BYTES // 2)
    cache.local(store, group(0))
    cache.local(store, group(3))
    assert not cache.holds(store, group(0)) and cache.holds(store, group(3))


def test_a_lost_race_keeps_the_winners_copy(store, tmp_path):
    cache = StudyCache(tmp_path / "cache", limit_bytes=10 * STUDY_BYTES)
    winner = cache.path(store, group(0))
    winner.mkdir(parents=True)
    (winner / "c").mkdir()
    (winner / "c" / "0").write_bytes(b"theirs")  # another worker's copy, marker not yet written
    cache._fetch(store, group(0), winner)
    assert (winner / "c" / "0").read_bytes() == b"theirs"
    assert not [p for p in Path(winner.parent).iterdir() if p.name.startswith(".")]


def test_copies_of_two_stores_do_not_meet(store, tmp_path):
    other = open_store(str(tmp_path / "remote"))  # the same root: the same place
    elsewhere = open_store(str(tmp_path / "elsewhere"))
    cache = StudyCache(tmp_path / "cache", limit_bytes=10 * STUDY_BYTES)
    assert cache.path(store, group(0)) == cache.path(other, group(0))
    assert cache.path(store, group(0)) != cache.path(elsewhere, group(0))


def test_a_fetch_in_progress_is_neither_counted_nor_evicted(store, tmp_path):
    """Another worker's temp folder (already holding its marker, not yet renamed) is not a copy:
    evicting it would pull the files from under that fetch."""
    cache = StudyCache(tmp_path / "cache", limit_bytes=STUDY_BYTES // 2)
    cache.local(store, group(0))
    pending = cache.path(store, group(1)).parent / ".s1.zarr.tmp-0123"
    pending.mkdir()
    (pending / MARKER).write_text(str(STUDY_BYTES))
    assert [path for path, _, _ in cache._entries()] == [cache.path(store, group(0))]
    cache.evict()
    assert (pending / MARKER).exists()


def test_a_fetch_that_fails_leaves_nothing_behind(store, tmp_path, monkeypatch):
    cache = StudyCache(tmp_path / "cache", limit_bytes=10 * STUDY_BYTES)
    read = Store.read_bytes

    def flaky(self, rel):
        if rel.endswith("c/1"):
            raise StorageError(f"{rel}: gone")
        return read(self, rel)

    monkeypatch.setattr(Store, "read_bytes", flaky)
    with pytest.raises(StorageError, match="c/1: gone"):
        cache.local(store, group(2))
    parent = cache.path(store, group(2)).parent
    assert not cache.holds(store, group(2))
    assert not parent.exists() or list(parent.iterdir()) == []  # no temp folder, no half copy


def test_threads_asking_for_one_study_fetch_it_once(store, tmp_path, monkeypatch):
    cache = StudyCache(tmp_path / "cache", limit_bytes=10 * STUDY_BYTES)
    walked = []
    walk = Store.walk

    def counted(self, rel):
        walked.append(rel)
        time.sleep(0.05)  # the other threads ask while this fetch runs
        return walk(self, rel)

    monkeypatch.setattr(Store, "walk", counted)
    found = []
    threads = [threading.Thread(target=lambda: found.append(cache.local(store, group(1)))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert walked == [group(1)] and len(set(found)) == 1 and cache.holds(store, group(1))
