#!/usr/bin/env bash
# Every benchmark, the gcs rows included: starts gcp-storage-emulator on 127.0.0.1 for the
# storage section, runs bench/run.py with the given flags (e.g. --quick), stops the emulator.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/gcs-emulator.sh
trap gcs_emulator_stop EXIT
gcs_emulator_start
python3 bench/run.py "$@"
