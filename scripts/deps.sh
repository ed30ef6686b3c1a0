#!/usr/bin/env bash
# Installs the Debian packages Goldfish builds and tests against, if any is missing.
# Used by the README's commands and by .ci/run; safe to run again.
set -euo pipefail

packages=(pkg-config gcc libgit2-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev python3 python3-venv)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The stage IO library's tests run with pytest (from PyPI when Debian's is missing).
if ! python3 -c "import pytest" 2>/dev/null; then
  python3 -m pip install --quiet pytest 2>/dev/null || python3 -m pip install --quiet --break-system-packages pytest
fi
if ! command -v swift >/dev/null 2>&1; then
  for candidate in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
    [[ -x $candidate/swift ]] && { echo "swift is at $candidate: add it to PATH" >&2; break; }
  done
  echo "Swift 6 is required (https://swift.org/install); it is not on PATH" >&2
  exit 1
fi
