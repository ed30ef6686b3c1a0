#!/usr/bin/env bash
# gcp-storage-emulator (PyPI) on 127.0.0.1, in memory, for the gcs storage's tests.
# Source it, then:
#   gcs_emulator_start   installs it into .venv-gcs, starts it on a free loopback port,
#                        creates the test bucket, exports STORAGE_EMULATOR_HOST
#   gcs_emulator_stop    stops it (safe to call twice)
# Or run it: scripts/gcs-emulator.sh start|stop.
GCS_VENV=${GCS_VENV:-.venv-gcs}
GCS_REQUIREMENTS=(gcp-storage-emulator==2026.7.19)
export GOLDFISH_GCS_BUCKET=${GOLDFISH_GCS_BUCKET:-goldfish-test}

gcs_emulator_install() {
  if [[ ! -x $GCS_VENV/bin/gcp-storage-emulator ]]; then
    python3 -m venv "$GCS_VENV"
    "$GCS_VENV/bin/pip" install --quiet --disable-pip-version-check "${GCS_REQUIREMENTS[@]}"
  fi
}

gcs_emulator_start() {
  gcs_emulator_install
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  GCS_EMULATOR_LOG=${GCS_EMULATOR_LOG:-$(mktemp -t gcs-emulator.XXXXXX)}
  "$GCS_VENV/bin/gcp-storage-emulator" start --host 127.0.0.1 --port "$port" -M >"$GCS_EMULATOR_LOG" 2>&1 &
  GCS_EMULATOR_PID=$!
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"name\": \"$GOLDFISH_GCS_BUCKET\"}" \
    "http://127.0.0.1:$port/storage/v1/b" >/dev/null
  export STORAGE_EMULATOR_HOST="http://127.0.0.1:$port"
  echo "gcp-storage-emulator on $STORAGE_EMULATOR_HOST (pid $GCS_EMULATOR_PID, log $GCS_EMULATOR_LOG)" >&2
}

gcs_emulator_stop() {
  if [[ -n ${GCS_EMULATOR_PID:-} ]]; then
    kill "$GCS_EMULATOR_PID" 2>/dev/null || true
    wait "$GCS_EMULATOR_PID" 2>/dev/null || true
    GCS_EMULATOR_PID=
  fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  case ${1:-} in
    start) gcs_emulator_start; echo "export STORAGE_EMULATOR_HOST=$STORAGE_EMULATOR_HOST" ;;
    *) echo "usage: scripts/gcs-emulator.sh start (then kill its pid to stop)" >&2; exit 2 ;;
  esac
fi
