"""A local Ray cluster from `infra/local/cluster.sh`, on free ports, for benchmarks and tests.

Every port the script takes (head GCS, worker node manager, dashboard with its job server, and
each node's dashboard agent) is a free one, so the cluster never meets another Ray on the
machine (the agents' default 52365 would, and a head whose agent cannot bind refuses every job
submission). Its files live in a short temp dir of its own (Ray's socket paths must fit 107
bytes), removed on exit together with the cluster.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "cluster.sh"
PORTS = ("MEDSYNTH_RAY_PORT", "WORKER_NODE_MANAGER_PORT", "DASHBOARD_PORT", "AGENT_PORT", "WORKER_AGENT_PORT")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalCluster:
    """`with LocalCluster(worker_nodes=1) as printed:` a head and `worker_nodes` worker nodes of one
    CPU each; `printed` is what `cluster.sh start` printed (RAY_ADDRESS, RAY_AUTH_MODE,
    RAY_JOB_ADDRESS); `env` is the script's environment (its ports and temp dir)."""

    def __init__(self, worker_nodes: int = 1) -> None:
        self.env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "WORKERS": str(worker_nodes),
            **{name: str(free_port()) for name in PORTS},
        }

    def __enter__(self) -> dict[str, str]:
        self.env["MEDSYNTH_RAY_TMP"] = tempfile.mkdtemp(prefix="msr-", dir="/tmp")
        done = self.run("start", timeout=180)
        if done.returncode != 0:
            said = done.stderr[-1000:] + self._logs()  # `ray start` writes to its logs, not to stderr
            self.__exit__()
            raise RuntimeError(f"cluster.sh start failed (exit {done.returncode}): {said}")
        return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)

    def run(self, command: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """`cluster.sh <command>` for this cluster (start, kill-worker, stop)."""
        return subprocess.run([str(SCRIPT), command], env=self.env, capture_output=True, text=True, timeout=timeout)

    def _logs(self) -> str:
        """The end of each node's `ray start` log, for a start that failed."""
        found = []
        for name in ("head.log", "worker.log"):
            path = Path(self.env["MEDSYNTH_RAY_TMP"]) / name
            if path.is_file():
                found.append(f"\n--- {name} ---\n{path.read_text(errors='replace')[-1500:]}")
        return "".join(found)

    def __exit__(self, *exc: object) -> None:
        self.run("stop", timeout=120)
        shutil.rmtree(self.env["MEDSYNTH_RAY_TMP"], ignore_errors=True)
