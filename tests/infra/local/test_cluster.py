"""The local cluster wrapper: every port it hands `cluster.sh` is its own, and a start that fails
says why (the end of the node's `ray start` log, where Ray writes), leaving nothing behind."""

from pathlib import Path

import pytest

from infra.local.cluster import PORTS, LocalCluster


def test_a_failed_start_quotes_the_nodes_log_and_cleans_up(tmp_path):
    fake = tmp_path / "ray"
    fake.write_text("#!/bin/sh\necho 'ray start: could not bind the GCS port' >&1\nexit 3\n")
    fake.chmod(0o755)
    cluster = LocalCluster(worker_nodes=1)
    assert len({cluster.env[name] for name in PORTS}) == len(PORTS)  # five distinct free ports
    cluster.env["RAY"] = str(fake)
    with pytest.raises(RuntimeError, match="could not bind the GCS port") as failed:
        cluster.__enter__()
    assert "--- head.log ---" in str(failed.value)
    assert not Path(cluster.env["MEDSYNTH_RAY_TMP"]).exists()
