#!/usr/bin/env bash
# Goldfish's main job on the embedded default (process backend, file storage):
# builds Goldfish, shows the plugins it loads, and runs the conformance suite of the
# local backend and storage end to end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/deps.sh
swift build
bin="$(swift build --show-bin-path)"
"$bin/goldfish" --version
"$bin/goldfish" plugins list
"$bin/goldfish" plugins check "$bin/libGoldfishLocal.so"
