"""The benchmark's object store (`jobs.bench.objectstore`): moto in its own process, and a proxy
that holds every request the latency it is given, passing the bytes through unchanged."""

import time

import numpy as np
import psutil
import s3fs

from jobs.bench.objectstore import BUCKET, Latency, LocalS3


def test_the_proxy_adds_its_latency_to_every_request_and_changes_no_byte():
    payload = np.random.default_rng(0).integers(0, 256, 2_000_000, dtype=np.uint8).tobytes()
    with LocalS3() as s3, Latency(s3.endpoint, 50) as slow:
        s3fs.S3FileSystem(endpoint_url=s3.endpoint).pipe(f"{BUCKET}/blob", payload)
        direct, delayed = (
            s3fs.S3FileSystem(endpoint_url=e, skip_instance_cache=True) for e in (s3.endpoint, slow.endpoint)
        )
        assert delayed.cat_file(f"{BUCKET}/blob") == payload
        assert delayed.cat_file(f"{BUCKET}/blob", start=1000, end=5000) == payload[1000:5000]

        def fastest(fs) -> float:
            times = []
            for _ in range(5):
                started = time.perf_counter()
                fs.cat_file(f"{BUCKET}/blob", start=0, end=100)
                times.append(time.perf_counter() - started)
            return min(times)

        assert fastest(delayed) - fastest(direct) >= 0.045  # each request held 50 ms
        server = s3.pid
    assert not psutil.pid_exists(server)  # the server stops with the block
