#!/usr/bin/env bash
# A two-node Ray cluster on this machine: a head node and one worker node, each with its own
# CPUs and a custom resource naming it. Its files live under its own temp dir, so it never
# mixes with another Ray on the machine, and `stop` ends only this cluster.
#
#   infra/local/cluster.sh start        # prints RAY_ADDRESS=...; export it, then ray.address=auto
#   infra/local/cluster.sh kill-worker  # SIGKILL the worker node's raylet (simulates node loss)
#   infra/local/cluster.sh stop
#
# Settings (environment): MEDSYNTH_RAY_PORT (head GCS port, 6390), MEDSYNTH_RAY_TMP
# (/tmp/medsynth-ray), HEAD_CPUS / WORKER_CPUS (1 each), WORKERS (worker nodes: 1, or 0 for a
# one-node cluster), WORKER_NODE_MANAGER_PORT (46390), DASHBOARD_PORT (8275: `ray job submit`),
# AGENT_PORT / WORKER_AGENT_PORT (52375 / 52376). Each node runs a dashboard
# agent with an HTTP port; Ray's default (52365) is taken by any other Ray on this machine, and
# a head whose agent cannot bind refuses every `ray job submit`.
set -euo pipefail

PORT=${MEDSYNTH_RAY_PORT:-6390}
TMP=${MEDSYNTH_RAY_TMP:-/tmp/medsynth-ray}
WORKER_NM_PORT=${WORKER_NODE_MANAGER_PORT:-46390}
AGENT_PORT=${AGENT_PORT:-52375}
WORKER_AGENT_PORT=${WORKER_AGENT_PORT:-52376}
# Local clusters use token authentication: every client and joining node must present it.
export RAY_AUTH_MODE=token
RAY=${RAY:-ray}

pids() { pgrep -f -- "$TMP" || true; }

case "${1:-}" in
  start)
    mkdir -p "$TMP"
    # `ray start` finds the token but does not make one (ray.init() does, at ~/.ray/auth_token):
    # make it here when missing, so a fresh machine's first cluster starts. Never printed.
    "$RAY" get-auth-token --generate >/dev/null 2>&1 || true  # a failure shows in `ray start`
    # The dashboard hosts the job server that `ray job submit` talks to (loopback only).
    "$RAY" start --head --port="$PORT" --num-cpus="${HEAD_CPUS:-1}" --resources='{"medsynth_head": 1}' \
      --temp-dir="$TMP" --include-dashboard=true --dashboard-host=127.0.0.1 \
      --dashboard-port="${DASHBOARD_PORT:-8275}" --dashboard-agent-listen-port="$AGENT_PORT" \
      --disable-usage-stats >"$TMP/head.log" 2>&1
    address=$(cat "$TMP/ray_current_cluster")
    if [ "${WORKERS:-1}" != 0 ]; then
      "$RAY" start --address="$address" --num-cpus="${WORKER_CPUS:-1}" --resources='{"medsynth_worker": 1}' \
        --node-manager-port="$WORKER_NM_PORT" --dashboard-agent-listen-port="$WORKER_AGENT_PORT" \
        --disable-usage-stats >"$TMP/worker.log" 2>&1
    fi
    echo "RAY_ADDRESS=$address"
    echo "RAY_AUTH_MODE=token"
    echo "RAY_JOB_ADDRESS=http://127.0.0.1:${DASHBOARD_PORT:-8275}"
    ;;
  kill-worker)
    pkill -9 -f -- "raylet.*--node_manager_port=$WORKER_NM_PORT" && echo "worker node killed"
    ;;
  stop)
    for pid in $(pids); do kill -9 "$pid" 2>/dev/null || true; done
    pkill -9 -f -- "raylet.*--node_manager_port=$WORKER_NM_PORT" 2>/dev/null || true
    echo "stopped"
    ;;
  *)
    echo "usage: $0 start|kill-worker|stop" >&2
    exit 2
    ;;
esac
