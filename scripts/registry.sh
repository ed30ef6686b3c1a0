#!/usr/bin/env bash
# A Docker registry (Debian's docker-registry, the Distribution registry v2) on 127.0.0.1,
# where stage images are pushed for the gce stand-in's VMs to pull. Source it, then:
#   registry_start   starts it on a free loopback port, storage in a temporary folder,
#                    exports GOLDFISH_REGISTRY (host:port, e.g. 127.0.0.1:5123)
#   registry_stop    stops it (safe to call twice)
# Or run it: scripts/registry.sh start. The Docker engine treats 127.0.0.0/8 registries as
# plain HTTP, so no TLS and no engine flag are needed. scripts/deps.sh installs the package.

registry_start() {
  if ! command -v docker-registry >/dev/null 2>&1; then
    echo "docker-registry is not installed: run scripts/deps.sh (apt-get install docker-registry)" >&2
    return 1
  fi
  local port root
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  root=$(mktemp -d -t goldfish-registry.XXXXXX)
  cat >"$root/config.yml" <<CONFIG
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $root/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
CONFIG
  REGISTRY_LOG=${REGISTRY_LOG:-$root/registry.log}
  docker-registry serve "$root/config.yml" >"$REGISTRY_LOG" 2>&1 &
  REGISTRY_PID=$!
  REGISTRY_ROOT=$root
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
    sleep 0.1
  done
  export GOLDFISH_REGISTRY="127.0.0.1:$port"
  echo "docker-registry on $GOLDFISH_REGISTRY (pid $REGISTRY_PID, log $REGISTRY_LOG)" >&2
}

registry_stop() {
  if [[ -n ${REGISTRY_PID:-} ]]; then
    kill "$REGISTRY_PID" 2>/dev/null || true
    wait "$REGISTRY_PID" 2>/dev/null || true
    REGISTRY_PID=
    [[ -n ${REGISTRY_ROOT:-} ]] && rm -rf "$REGISTRY_ROOT"
  fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  case ${1:-} in
    start) registry_start; echo "export GOLDFISH_REGISTRY=$GOLDFISH_REGISTRY" ;;
    *) echo "usage: scripts/registry.sh start (then kill its pid to stop)" >&2; exit 2 ;;
  esac
fi
