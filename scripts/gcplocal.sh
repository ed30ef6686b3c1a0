#!/usr/bin/env bash
# gcplocal (PyPI), a Compute Engine v1 emulator, on 127.0.0.1, for the gce backend's tests.
# Source it, then:
#   gcplocal_start   installs it into .venv-gce, starts it on a free loopback port,
#                    exports GOLDFISH_GCE_ENDPOINT (the Compute API root, .../compute/v1)
#   gcplocal_stop    stops it (safe to call twice)
# Or run it: scripts/gcplocal.sh start.
# What it does and does not do (found by running it; the tests and the backend rely on this):
# insert/get/list/delete of zonal instances (insert answers a DONE compute#operation and
# replaces an instance of the same name rather than answering 409), zone operations by GET
# (no operations/wait), 404s in the GCP error shape, metadata and labels echoed; no
# `filter` on list, no aggregated list, no stop/start, instances stay RUNNING forever.
# scripts/gcplocal_ext.py adds image families, regions with quotas and testIamPermissions.
GCE_VENV=${GCE_VENV:-.venv-gce}
GCE_REQUIREMENTS=(gcplocal==0.1.0)

gcplocal_install() {
  if [[ ! -x $GCE_VENV/bin/gcplocal ]]; then
    python3 -m venv "$GCE_VENV"
    "$GCE_VENV/bin/pip" install --quiet --disable-pip-version-check "${GCE_REQUIREMENTS[@]}"
  fi
}

gcplocal_start() {
  gcplocal_install
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  GCPLOCAL_LOG=${GCPLOCAL_LOG:-$(mktemp -t gcplocal.XXXXXX)}
  # Its default bind address is every interface: always pass --host 127.0.0.1. The wrapper adds
  # what `goldfish gce doctor` asks (images.getFromFamily, regions.get, testIamPermissions).
  "$GCE_VENV/bin/python" "$(dirname "${BASH_SOURCE[0]}")/gcplocal_ext.py" --host 127.0.0.1 --port "$port" \
    >"$GCPLOCAL_LOG" 2>&1 &
  GCPLOCAL_PID=$!
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/compute/v1/projects/probe/zones/probe/instances" && break
    sleep 0.1
  done
  export GOLDFISH_GCE_ENDPOINT="http://127.0.0.1:$port/compute/v1"
  echo "gcplocal on $GOLDFISH_GCE_ENDPOINT (pid $GCPLOCAL_PID, log $GCPLOCAL_LOG)" >&2
}

gcplocal_stop() {
  if [[ -n ${GCPLOCAL_PID:-} ]]; then
    kill "$GCPLOCAL_PID" 2>/dev/null || true
    wait "$GCPLOCAL_PID" 2>/dev/null || true
    GCPLOCAL_PID=
  fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  case ${1:-} in
    start) gcplocal_start; echo "export GOLDFISH_GCE_ENDPOINT=$GOLDFISH_GCE_ENDPOINT" ;;
    *) echo "usage: scripts/gcplocal.sh start (then kill its pid to stop)" >&2; exit 2 ;;
  esac
fi
