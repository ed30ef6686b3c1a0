#!/usr/bin/env bash
# Installs the Debian packages Goldfish builds and tests against, if any is missing.
# Used by the README's commands and by .ci/run; safe to run again.
set -euo pipefail

# Every program the code, the tests and the scripts run, by package (the table in
# Tests/HostTests/DependencyScriptsTests.swift checks that none is missing):
#   bubblewrap      bwrap: the process backend's sandbox (without it stages run unsandboxed)
#   gcc, pkg-config the C plugin fixtures and the system-library modules
#   curl            the scripts' readiness probes of dockerd and the emulators
#   procps          pgrep/pkill in the process-tree tests
#   git             bench/run.py's baseline repositories
#   time            bench/run.py's peak-memory measure (/usr/bin/time)
#   python3-pytest  python/tests; python3-numpy: the npy tests (never skipped in CI)
#   slurm-wlm slurmrestd slurm-wlm-jwt-plugin munge: the local Slurm cluster of the slurm
#                   backend's tests (scripts/slurm-local.sh; sbatch, scancel, squeue in tests and bench)
#   chromium, chromium-driver  the web dashboard's browser tests (Tests/Browser, Selenium from
#                   scripts/web-venv.sh); xdg-utils: xdg-open for `goldfish web --open`
#   docker-registry the loopback registry of the gce stand-in (scripts/registry.sh)
# docker.io and debootstrap come from scripts/docker-engine.sh; the MCP client, the GCS and
# GCE emulators from their own venvs (mcp-venv.sh, gcs-emulator.sh, gcplocal.sh).
# The Swift toolchain's own needs on Debian 12 (a toolchain unpacked from swift.org runs and
# links only with these): binutils (ld.gold), libc6-dev, libstdc++-12-dev (C++ targets such as
# swift-crypto's BoringSSL), libncurses6 and libxml2 (the driver and tools), tzdata, zlib1g-dev.
packages=(
  pkg-config gcc libgit2-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev python3 python3-venv
  bubblewrap curl procps git time python3-pytest python3-numpy docker-registry
  binutils libc6-dev libstdc++-12-dev libncurses6 libxml2 tzdata zlib1g-dev
  slurm-wlm slurmrestd slurm-wlm-jwt-plugin munge
  chromium chromium-driver xdg-utils
)
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
# A sandbox that cannot work here is said loudly now, not discovered in a run record later.
if ! bwrap --ro-bind / / --unshare-all -- /bin/true 2>/dev/null; then
  echo "WARNING: bubblewrap is installed but cannot create namespaces here: stages will run" >&2
  echo "         unsandboxed (process.sandbox: auto) or be refused (process.sandbox: required)." >&2
fi
if ! command -v swift >/dev/null 2>&1; then
  for candidate in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
    [[ -x $candidate/swift ]] && { echo "swift is at $candidate: add it to PATH" >&2; break; }
  done
  echo "Swift 6 is required (https://swift.org/install); it is not on PATH" >&2
  exit 1
fi
