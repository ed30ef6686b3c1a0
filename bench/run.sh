#!/usr/bin/env bash
# Every benchmark, the gcs and gce rows included: starts gcp-storage-emulator and gcplocal on
# 127.0.0.1 (the storage section and the warm pool's VM rows), runs bench/run.py with the given
# flags (e.g. --quick, --only warm_pool), stops both.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/gcs-emulator.sh
source scripts/gcplocal.sh
services_stop() {
  gcplocal_stop || true
  gcs_emulator_stop || true
}
trap services_stop EXIT
gcs_emulator_start
gcplocal_start
python3 bench/run.py "$@"
