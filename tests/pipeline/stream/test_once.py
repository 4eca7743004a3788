"""`Once`: one thread at a time per key, different keys at once, nothing kept afterwards."""

import threading
import time

import pytest

from pipeline.stream.once import Once


def test_threads_asking_for_one_key_do_the_work_once():
    once, done, calls = Once(), set(), []

    def ask() -> None:
        with once.per("study"):
            if "study" not in done:
                calls.append(1)
                time.sleep(0.05)  # the others arrive while this one works
                done.add("study")

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1] and len(once) == 0


def test_different_keys_run_at_once_and_a_failure_releases_its_key():
    once = Once()
    together = threading.Barrier(2, timeout=10)  # passes only if both keys are held at the same time

    def hold(key: str) -> None:
        with once.per(key):
            together.wait()

    threads = [threading.Thread(target=hold, args=(k,)) for k in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not together.broken
    with pytest.raises(ValueError), once.per("a"):
        raise ValueError("failed")
    assert len(once) == 0
    with once.per("a"):  # free again
        pass
