#!/usr/bin/env bash
# A local S3 API (moto) on 127.0.0.1, for trying medsynth against object storage on a laptop.
#
#   infra/local/s3.sh start   # prints the endpoint and the storage options to use
#   infra/local/s3.sh stop
#
#   python -m jobs.generate storage.uri=s3://medsynth/demo \
#       storage.options.endpoint_url=http://127.0.0.1:9000
#
# Settings (environment): MEDSYNTH_S3_PORT (9000), MEDSYNTH_S3_BUCKET (medsynth).
# moto accepts any credentials; fake ones are exported here if none are set.
set -euo pipefail

PORT=${MEDSYNTH_S3_PORT:-9000}
BUCKET=${MEDSYNTH_S3_BUCKET:-medsynth}
PIDFILE=${TMPDIR:-/tmp}/medsynth-s3-$PORT.pid
PYTHON=${PYTHON:-python}

case "${1:-}" in
  start)
    export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-local} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-local}
    export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
    nohup "$PYTHON" -m moto.server -H 127.0.0.1 -p "$PORT" >"${PIDFILE%.pid}.log" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 50); do
      "$PYTHON" - "$PORT" "$BUCKET" <<'PY' && break || sleep 0.2
import sys, s3fs
fs = s3fs.S3FileSystem(endpoint_url=f"http://127.0.0.1:{sys.argv[1]}")
if not fs.exists(sys.argv[2]):
    fs.mkdir(sys.argv[2])
PY
    done
    echo "endpoint: http://127.0.0.1:$PORT  bucket: $BUCKET"
    echo "use: storage.uri=s3://$BUCKET/<name> storage.options.endpoint_url=http://127.0.0.1:$PORT"
    ;;
  stop)
    [ -f "$PIDFILE" ] && kill "$(cat "$PIDFILE")" 2>/dev/null || true
    rm -f "$PIDFILE"
    echo "stopped"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
