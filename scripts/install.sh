#!/usr/bin/env bash
# Installs goldfish, its run supervisor, the first-party plugins and the plugin header:
#   scripts/install.sh [--prefix DIR] [--build-dir DIR]
# PREFIX/bin/goldfish, PREFIX/bin/goldfish-runner, PREFIX/bin/goldfish-agent, PREFIX/lib/goldfish/plugins/*.so,
# PREFIX/include/goldfish/{goldfish_plugin.h,goldfish_json.h}, PREFIX/lib/goldfish/python (the stage IO library).
# Without --build-dir it builds in release mode.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

prefix="$HOME/.local"
build_dir=""
while (($#)); do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    *) echo "usage: $0 [--prefix DIR] [--build-dir DIR]" >&2; exit 2 ;;
  esac
done
if [[ -z $build_dir ]]; then
  scripts/deps.sh
  swift build -c release
  build_dir="$(swift build -c release --show-bin-path)"
fi
mkdir -p "$prefix/bin" "$prefix/lib/goldfish/plugins" "$prefix/include/goldfish"
install -m 0755 "$build_dir/goldfish" "$build_dir/goldfish-runner" "$build_dir/goldfish-agent" "$prefix/bin/"
for plugin in GoldfishLocal GoldfishDocker GoldfishGCE GoldfishGCS GoldfishSlurm GoldfishCDir; do
  install -m 0755 "$build_dir/lib$plugin.so" "$prefix/lib/goldfish/plugins/"
done
# The ABI header and, for plugins written in C, the JSON reader/writer beside it.
install -m 0644 Sources/PluginABI/include/goldfish_plugin.h Sources/PluginABI/include/goldfish_json.h \
  "$prefix/include/goldfish/"
# The stage IO library (import goldfish.io), found by goldfish at ../lib/goldfish/python.
rm -rf "$prefix/lib/goldfish/python"
mkdir -p "$prefix/lib/goldfish/python"
cp -R python/goldfish "$prefix/lib/goldfish/python/"
find "$prefix/lib/goldfish/python" -name __pycache__ -prune -exec rm -rf {} +
echo "installed goldfish into $prefix"
