#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds everything, runs every test.
#   scripts/test.sh [extra swift test arguments]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/deps.sh
python3 -m pytest python/tests -q -p no:cacheprovider
swift build --build-tests
swift test --skip-build "$@"
