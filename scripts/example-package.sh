#!/usr/bin/env bash
# The out-of-tree Swift plugin (Examples/SwiftPackage) as a third party would use it:
#   scripts/example-package.sh [GOLDFISH_BIN_FOLDER]   (default: this package's debug build)
# 1. builds the package (it depends on goldfish by path and links only PluginKit);
# 2. runs its own `swift test`, which runs the conformance suite through GoldfishTesting;
# 3. runs `goldfish plugins check` on the .so it built;
# 4. runs the sample pipeline (Examples/Pipeline) with that plugin as the project's storage,
#    and checks that the stored report is a swiftdir:/// object with its lineage.
# Fails (non-zero) on the first step that does; scripts/test.sh runs it, so CI does.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$(pwd)"
bin="${1:-$(swift build --show-bin-path)}"
goldfish() { "$bin/goldfish" "$@"; }
example="$repo/Examples/SwiftPackage"

start=$SECONDS
swift build --package-path "$example"
echo "example-package: build took $((SECONDS - start)) s" >&2
start=$SECONDS
swift test --package-path "$example"
echo "example-package: swift test (GoldfishTesting drags in Host) took $((SECONDS - start)) s" >&2
plugin="$(swift build --package-path "$example" --show-bin-path)/libSwiftDir.so"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
goldfish plugins check "$plugin" --config "{\"root\": \"$work/check\"}"

project="$work/project"
goldfish init sample --path "$project" --from "$repo/Examples/Pipeline"
cd "$project"
# The plugin file by path, selected as the storage, with its own section.
cat >>goldfish.yaml <<YAML

plugins:
  paths: [$plugin]
swiftdir:
  root: ./objects
YAML
sed -i 's/^  backend: file$/  backend: swiftdir/' goldfish.yaml
goldfish config validate
goldfish source register points "$repo/Examples/Pipeline/points.csv" \
  --description "noisy points on a line" --reason "the data every stage of the sample starts from"
goldfish workspace create line --goal "fit a line to the points" --reason "run the sample on the swiftdir storage"
goldfish workspace mount line w1 --reason "run the sample pipeline from slot w1"
goldfish run w1 --wait --reason "the sample pipeline end to end on the out-of-tree Swift storage"
evaluate="$(goldfish runs --stage evaluate --limit 1 --ids)"
lineage="$(goldfish lineage "$evaluate")"
echo "$lineage"
if ! grep -q "swiftdir:///" <<<"$lineage"; then
  echo "example-package: the lineage of $evaluate names no swiftdir:/// object" >&2
  exit 1
fi
if [[ -z "$(find "$project/objects/runs" -path '*outputs/report*' -type f 2>/dev/null)" ]]; then
  echo "example-package: no report object was stored under $project/objects/runs" >&2
  exit 1
fi
echo "example-package: passed" >&2
