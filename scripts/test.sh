#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds everything, runs every test.
#   scripts/test.sh [extra swift test arguments]
# A private Docker engine (scripts/docker-engine.sh) runs for the duration, so the docker
# backend's tests run rather than skip; GOLDFISH_NO_DOCKER=1 leaves it out on a machine
# where the engine cannot run. gcp-storage-emulator (scripts/gcs-emulator.sh) runs on a
# loopback port for the gcs storage's tests, and gcplocal (scripts/gcplocal.sh) for the gce
# backend's, also for the duration. A one-machine Slurm cluster (scripts/slurm-local.sh) runs for
# the slurm backend's tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/deps.sh
python3 -m pytest python/tests -q -p no:cacheprovider
scripts/mcp-venv.sh
scripts/web-venv.sh
# One EXIT trap stops whatever was started, so neither service outlives a failed run.
services_stop() {
  if declare -F gcs_emulator_stop >/dev/null; then gcs_emulator_stop; fi
  if declare -F gcplocal_stop >/dev/null; then gcplocal_stop; fi
  if declare -F registry_stop >/dev/null; then registry_stop; fi
  if declare -F docker_engine_stop >/dev/null; then docker_engine_stop; fi
  if declare -F slurm_local_stop >/dev/null; then slurm_local_stop; fi
}
trap services_stop EXIT
if [[ ${GOLDFISH_NO_DOCKER:-0} != 1 ]]; then
  # shellcheck source=scripts/docker-engine.sh
  source scripts/docker-engine.sh
  docker_engine_start
  # The image the gce stand-in's isolated VMs boot from (scripts/gce-local.sh).
  # shellcheck source=scripts/gce-local.sh
  source scripts/gce-local.sh
  gce_vm_image
fi
# shellcheck source=scripts/gcs-emulator.sh
source scripts/gcs-emulator.sh
gcs_emulator_start
# shellcheck source=scripts/gcplocal.sh
source scripts/gcplocal.sh
gcplocal_start
# shellcheck source=scripts/slurm-local.sh
source scripts/slurm-local.sh
slurm_local_start
# The registry the gce stand-in's VMs pull stage images from (scripts/registry.sh).
# shellcheck source=scripts/registry.sh
source scripts/registry.sh
registry_start
swift build --build-tests
# CI shows only the end of this script's output, and a parallel run prints a failure long before
# it ends: the issues are repeated after the summary, each with the lines of its message.
test_log=$(mktemp)
trap 'rm -f "$test_log"; services_stop' EXIT
if ! swift test --skip-build "$@" 2>&1 | tee "$test_log"; then
  echo
  echo "The issues recorded above, again:"
  issue_lines='/recorded an issue/ { show = 1; print; next } /^(◇|✔|✘)/ { show = 0 } show { print }'
  awk "$issue_lines" "$test_log" | cut -c1-1500 | head -90
  exit 1
fi
# The out-of-tree Swift plugin package: its build, its own swift test (GoldfishTesting), plugins
# check on its .so and the sample pipeline on it.
scripts/example-package.sh
# goldfish serve, driven end to end by the official MCP client (pytest's exit code is the script's).
GOLDFISH_BIN="$(swift build --show-bin-path)/goldfish" \
  .venv-mcp/bin/python -m pytest Tests/MCP -q -p no:cacheprovider -c Tests/MCP/pytest.ini
# goldfish web in a real headless Chromium (Debian's chromium + chromium-driver, Selenium).
GOLDFISH_BIN="$(swift build --show-bin-path)/goldfish" \
  .venv-web/bin/python -m pytest Tests/Browser -q -p no:cacheprovider -c Tests/Browser/pytest.ini
