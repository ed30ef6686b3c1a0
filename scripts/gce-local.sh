#!/usr/bin/env bash
# The whole gce stand-in on this machine, to try the gce backend as a user would:
#   scripts/gce-local.sh start    starts a private Docker engine, the storage emulator, gcplocal,
#                                 a registry on 127.0.0.1 and the VM harness (each VM a container
#                                 that shares nothing with this machine), then prints the
#                                 goldfish.yaml lines to use; Ctrl-C (or closing it) stops all.
# Or source it for `gce_vm_image`, which imports the image the harness's VMs boot from
# (Debian minbase + curl: what a VM's startup script needs; Docker is the harness's engine).
GOLDFISH_VM_IMAGE=${GOLDFISH_VM_IMAGE:-goldfish/gce-vm:1}

gce_vm_image() {
  docker image inspect "$GOLDFISH_VM_IMAGE" >/dev/null 2>&1 && return 0
  local cache=${GOLDFISH_IMAGE_CACHE:-$HOME/.cache/goldfish}
  local tarball=$cache/gce-vm-bookworm-rootfs.tar
  if [[ ! -s $tarball ]]; then
    mkdir -p "$cache"
    local rootfs
    rootfs=$(mktemp -d "$cache/vm-rootfs.XXXXXX")
    echo "debootstrapping the stand-in VM's rootfs (about a minute, once per machine)" >&2
    debootstrap --variant=minbase --include=curl,ca-certificates bookworm "$rootfs" \
      >"$cache/debootstrap-vm.log" 2>&1 || {
      tail -n 30 "$cache/debootstrap-vm.log" >&2
      rm -rf "$rootfs"
      return 1
    }
    tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
  fi
  docker import - "$GOLDFISH_VM_IMAGE" <"$tarball" >/dev/null
}

gce_local_start() {
  # shellcheck source=scripts/docker-engine.sh
  source scripts/docker-engine.sh
  docker_engine_start
  gce_vm_image
  # shellcheck source=scripts/gcs-emulator.sh
  source scripts/gcs-emulator.sh
  gcs_emulator_start
  # shellcheck source=scripts/gcplocal.sh
  source scripts/gcplocal.sh
  gcplocal_start
  # shellcheck source=scripts/registry.sh
  source scripts/registry.sh
  registry_start
}

gce_local_stop() {
  if declare -F registry_stop >/dev/null; then registry_stop; fi
  if declare -F gcplocal_stop >/dev/null; then gcplocal_stop; fi
  if declare -F gcs_emulator_stop >/dev/null; then gcs_emulator_stop; fi
  if declare -F docker_engine_stop >/dev/null; then docker_engine_stop; fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  case ${1:-} in
    start)
      project=${GOLDFISH_GCE_PROJECT:-gf-local}
      trap gce_local_stop EXIT
      gce_local_start
      bin=$(swift build --show-bin-path)
      [[ -x $bin/goldfish-agent ]] || swift build --product goldfish-agent
      work=$(mktemp -d -t gce-local.XXXXXX)
      # The harness runs until its stdin closes: a fifo held open by this script.
      mkfifo "$work/stdin" "$work/stdout"
      python3 Tests/Fixtures/gce/vm_harness.py --api "$GOLDFISH_GCE_ENDPOINT" --project "$project" \
        --zones us-central1-a --agent "$bin/goldfish-agent" --work "$work" \
        --isolated --vm-image "$GOLDFISH_VM_IMAGE" --engine "$DOCKER_HOST" <"$work/stdin" >"$work/stdout" &
      harness=$!
      exec 3>"$work/stdin"
      read -r _ engine_port <"$work/stdout"
      cat <<YAML
# goldfish.yaml for the local gce stand-in (keep this running; Ctrl-C stops everything).
# Then `goldfish gce doctor` checks it as it would a real project.
jobs:
  backend: gce
storage:
  backend: gcs
gcs:
  bucket: $GOLDFISH_GCS_BUCKET
  endpoint: $STORAGE_EMULATOR_HOST
docker:
  socket: ${DOCKER_HOST#unix://}
gce:
  project_id: $project
  api_endpoint: $GOLDFISH_GCE_ENDPOINT
  zones: [us-central1-a]
  artifact_registry: $GOLDFISH_REGISTRY/goldfish
  agent_docker_host: tcp://127.0.0.1:$engine_port
YAML
      wait "$harness"
      ;;
    *) echo "usage: scripts/gce-local.sh start" >&2; exit 2 ;;
  esac
fi
