#!/usr/bin/env bash
# Every benchmark with every service its rows need: the private Docker engine (docker rows of
# speed_run and the warm pool), gcp-storage-emulator and gcplocal on 127.0.0.1 (gcs storage,
# the gce stand-in's warm pool and gce rows), the one-machine Slurm cluster (slurm rows). Runs
# bench/run.py with the given flags (e.g. --quick, --only warm_pool) and stops them all.
# GOLDFISH_NO_DOCKER=1 leaves the engine out where it cannot run (its rows then say why).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
services_stop() {
  if declare -F slurm_local_stop >/dev/null; then slurm_local_stop || true; fi
  if declare -F gcplocal_stop >/dev/null; then gcplocal_stop || true; fi
  if declare -F gcs_emulator_stop >/dev/null; then gcs_emulator_stop || true; fi
  if declare -F docker_engine_stop >/dev/null; then docker_engine_stop || true; fi
}
trap services_stop EXIT
if [[ ${GOLDFISH_NO_DOCKER:-0} != 1 ]]; then
  source scripts/docker-engine.sh
  docker_engine_start
fi
source scripts/gcs-emulator.sh
gcs_emulator_start
source scripts/gcplocal.sh
gcplocal_start
source scripts/slurm-local.sh
slurm_local_start
# The stage IO library of this checkout, wherever the measured binary was built (--scratch-path).
export GOLDFISH_PYTHON_PATH=${GOLDFISH_PYTHON_PATH:-$PWD/python}
python3 bench/run.py "$@"
