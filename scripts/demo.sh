#!/usr/bin/env bash
# Goldfish's main job on the embedded default (process backend, file storage): creates a
# sample project with a three-stage pipeline (preprocess → train → evaluate, plain Python),
# runs it, and prints the lineage and metrics of the result.
#   scripts/demo.sh [PROJECT_DIR]     (default: a new temporary folder)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$(pwd)"

scripts/deps.sh
swift build
bin="$(swift build --show-bin-path)"
goldfish() { "$bin/goldfish" "$@"; }

dir="${1:-$(mktemp -d)/demo}"
goldfish init demo --path "$dir" --from "$repo/Examples/Pipeline"
cd "$dir"
goldfish source register points "$repo/Examples/Pipeline/points.csv" \
  --description "200 noisy points on the line y = 0.3x + 1" --reason "the data every stage starts from"
goldfish workspace create line --goal "fit a line to the points" --reason "the first experiment of the demo"
goldfish workspace mount line w1 --reason "run the sample pipeline from slot w1"
goldfish pipeline validate w1
# The stages run under bubblewrap when it works here; otherwise they run unsandboxed
# (process.sandbox: auto), and the demo says so before they start, not only in the run's record.
if ! command -v bwrap >/dev/null 2>&1 || ! bwrap --ro-bind / / --unshare-all -- /bin/true 2>/dev/null; then
  echo >&2
  echo "WARNING: the stages of this demo run WITHOUT a sandbox: bubblewrap is missing or cannot" >&2
  echo "         create namespaces here. Install it (apt-get install bubblewrap; scripts/deps.sh does)." >&2
  echo >&2
fi
goldfish run w1 --wait --reason "run the whole sample pipeline end to end"
evaluate="$(goldfish runs --stage evaluate --limit 1 --ids)"
echo
echo "Lineage of $evaluate:"
goldfish lineage "$evaluate"
echo
echo "Metrics:"
goldfish runs --limit 3 --metrics
echo
echo "The project is in $dir (STATE.md tells where it stands)."
