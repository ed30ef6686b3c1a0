#!/usr/bin/env bash
# A private Docker engine for the tests, and the Python image stages run in.
#   source scripts/docker-engine.sh && docker_engine_start   # exports DOCKER_HOST
#   docker_engine_stop
# The engine never touches the machine's networking: no bridge, no iptables, a private
# socket and data folder (see ../shared/reference/platform.md). No registry is reachable,
# so the image `goldfish/python:3` is imported from a debootstrapped rootfs, cached in
# ~/.cache/goldfish so later runs on one machine take a second instead of a minute.

GOLDFISH_ENGINE_ROOT=${GOLDFISH_ENGINE_ROOT:-/tmp/goldfish-engine-$(id -u)-$(printf %s "$PWD" | md5sum | cut -c1-8)}
GOLDFISH_IMAGE_CACHE=${GOLDFISH_IMAGE_CACHE:-$HOME/.cache/goldfish}
GOLDFISH_PYTHON_IMAGE=${GOLDFISH_PYTHON_IMAGE:-goldfish/python:3}

docker_engine_install() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  ((${#missing[@]})) || return 0
  echo "installing: ${missing[*]}" >&2
  local sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq docker.io debootstrap >/dev/null
}

docker_engine_start() {
  docker_engine_install
  local root=$GOLDFISH_ENGINE_ROOT
  mkdir -p "$root"
  export DOCKER_HOST="unix://$root/docker.sock"
  if ! curl -sf --unix-socket "$root/docker.sock" http://localhost/_ping >/dev/null 2>&1; then
    # Mandatory flags: the default bridge would claim a private address range.
    dockerd --bridge=none --iptables=false --ip6tables=false -H "$DOCKER_HOST" \
      --data-root "$root/data" --exec-root "$root/exec" --pidfile "$root/dockerd.pid" \
      >"$root/dockerd.log" 2>&1 &
    local waited=0
    until curl -sf --unix-socket "$root/docker.sock" http://localhost/_ping >/dev/null 2>&1; do
      sleep 0.5
      waited=$((waited + 1))
      if ((waited > 120)); then
        echo "dockerd did not answer on $root/docker.sock within 60 s; its log:" >&2
        tail -n 30 "$root/dockerd.log" >&2
        return 1
      fi
    done
  fi
  docker_python_image
  echo "docker engine ready at $DOCKER_HOST" >&2
}

docker_python_image() {
  docker image inspect "$GOLDFISH_PYTHON_IMAGE" >/dev/null 2>&1 && return 0
  local tarball=$GOLDFISH_IMAGE_CACHE/python3-bookworm-rootfs.tar
  if [[ ! -s $tarball ]]; then
    mkdir -p "$GOLDFISH_IMAGE_CACHE"
    local rootfs
    rootfs=$(mktemp -d "$GOLDFISH_IMAGE_CACHE/rootfs.XXXXXX")
    echo "debootstrapping a Python rootfs (about a minute, once per machine)" >&2
    debootstrap --variant=minbase --include=python3-minimal,python3-numpy,python3-pip bookworm "$rootfs" \
      >"$GOLDFISH_IMAGE_CACHE/debootstrap.log" 2>&1 || {
      tail -n 30 "$GOLDFISH_IMAGE_CACHE/debootstrap.log" >&2
      rm -rf "$rootfs"
      return 1
    }
    tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
  fi
  docker import - "$GOLDFISH_PYTHON_IMAGE" <"$tarball" >/dev/null
}

docker_engine_stop() {
  local pidfile=$GOLDFISH_ENGINE_ROOT/dockerd.pid
  [[ -s $pidfile ]] || return 0
  local pid
  pid=$(cat "$pidfile")
  # Only the engine this script started, by its own pid file.
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  case ${1:-start} in
    start) docker_engine_start && echo "export DOCKER_HOST=$DOCKER_HOST" ;;
    stop) docker_engine_stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
  esac
fi
