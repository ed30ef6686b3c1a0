#!/usr/bin/env bash
# Builds the plugin fixtures the host tests load:
#
#   Tests/Fixtures/plugins/build.sh OUTDIR
#
# Every fixture *.c here becomes OUTDIR/lib<name>.so; the cdir example becomes
# OUTDIR/libcdir.so; the ABI growth fixtures of Tests/Fixtures/abi become
# OUTDIR/libabi_*.so; libnot_elf.so is a text file and libexecutable.so an
# executable. Silent on success; on failure the compiler's message is on
# stderr and the exit status is non-zero. CC overrides the compiler (cc).
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
out="$1"
mkdir -p "$out"
# CC may carry words of its own ("ccache cc").
read -r -a cc <<<"${CC:-cc}"
plugin_flags=(-std=c99 -shared -fPIC -fvisibility=hidden -I "$repo/Sources/PluginABI/include")

# Builds through a temp name and renames, so tests running in parallel never
# dlopen a half-written file. Usage: emit NAME command... (output appended).
emit() {
  local dest="$out/$1" tmp
  shift
  tmp="$(mktemp "$out/.build.XXXXXX")"
  if ! "$@" -o "$tmp"; then
    rm -f "$tmp"
    echo "build.sh: building $(basename "$dest") failed" >&2
    exit 1
  fi
  chmod 0755 "$tmp"
  mv -f "$tmp" "$dest"
}

for src in "$here"/*.c; do
  name="$(basename "$src" .c)"
  [[ "$name" == exe_main ]] && continue
  emit "lib$name.so" "${cc[@]}" "${plugin_flags[@]}" "$src"
done
# The ABI growth fixtures (Tests/Fixtures/abi): one source built against the
# frozen 1.0 header (and nothing else on the include path), against a header
# of the future with a field appended to every struct, and with one size wrong.
abi="$repo/Tests/Fixtures/abi"
abi_flags=(-std=c99 -shared -fPIC -fvisibility=hidden -pthread)
emit libabi_v1_0.so "${cc[@]}" "${abi_flags[@]}" -I "$abi" \
  -DGF_FIXTURE_HEADER='"goldfish_plugin_v1_0.h"' "$abi/abi_plugin.c"
emit libabi_future.so "${cc[@]}" "${abi_flags[@]}" -I "$abi" -I "$repo/Sources/PluginABI/include" \
  -DGF_FIXTURE_FUTURE "$abi/abi_plugin.c"
for defect in 1:small_service 2:small_table 3:absurd_service; do
  emit "libabi_${defect#*:}.so" "${cc[@]}" "${abi_flags[@]}" -I "$repo/Sources/PluginABI/include" \
    -DGF_FIXTURE_DEFECT="${defect%%:*}" "$abi/abi_plugin.c"
done
emit libcdir.so "${cc[@]}" "${plugin_flags[@]}" "$repo/Examples/CPlugin/cdir.c"
# Explicitly PIE: glibc then refuses it with "cannot dynamically load
# position-independent executable", whatever the toolchain's default.
emit libexecutable.so "${cc[@]}" -std=c99 -fPIE -pie "$here/exe_main.c"

tmp="$(mktemp "$out/.build.XXXXXX")"
printf 'this is not a shared library\n' >"$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$out/libnot_elf.so"
