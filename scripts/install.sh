#!/usr/bin/env bash
# Installs goldfish, its run supervisor, the first-party plugins and the plugin header:
#   scripts/install.sh [--prefix DIR] [--build-dir DIR]
# PREFIX/bin/goldfish, PREFIX/bin/goldfish-runner, PREFIX/lib/goldfish/plugins/*.so,
# PREFIX/include/goldfish/goldfish_plugin.h. Without --build-dir it builds in release mode.
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
install -m 0755 "$build_dir/goldfish" "$build_dir/goldfish-runner" "$prefix/bin/"
for plugin in GoldfishLocal GoldfishDocker GoldfishGCE GoldfishGCS GoldfishCDir; do
  install -m 0755 "$build_dir/lib$plugin.so" "$prefix/lib/goldfish/plugins/"
done
install -m 0644 Sources/PluginABI/include/goldfish_plugin.h "$prefix/include/goldfish/"
echo "installed goldfish into $prefix"
