#!/usr/bin/env bash
# Runs a command (default: .ci/run) on a fresh Debian 12 root where none of the project's
# packages is installed: the "fresh clone on a clean machine" check of issue #12.
#   sudo scripts/fresh-machine.sh [COMMAND...]          FRESH_ROOT=DIR to keep/reuse the root
# The root comes from `debootstrap --variant=minbase bookworm`; only the Swift toolchain
# (/opt/swift, read-only) is bind-mounted in, and the repository is a fresh `git clone` of
# HEAD. It is entered with pivot_root in private mount and PID namespaces, not chroot: in a
# plain chroot bubblewrap cannot make its namespaces ("Failed to make / slave"), so the
# sandbox tests would fail for a reason no real machine has.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)
[[ $(id -u) -eq 0 ]] || { echo "run as root (it mounts and pivots)" >&2; exit 2; }
root=${FRESH_ROOT:-/tmp/goldfish-fresh-$$}
swift_dir=${SWIFT_DIR:-/opt/swift}
[[ -x $swift_dir/usr/bin/swift ]] || { echo "no Swift toolchain at $swift_dir (set SWIFT_DIR)" >&2; exit 2; }

if [[ ! -x $root/usr/bin/apt-get ]]; then
  command -v debootstrap >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  echo "debootstrapping a minimal bookworm into $root" >&2
  mkdir -p "$root"
  debootstrap --variant=minbase bookworm "$root" >"$root.debootstrap.log" 2>&1 || {
    tail -n 20 "$root.debootstrap.log" >&2
    exit 1
  }
fi
# The machine's own mirror settings and resolver, so apt and pip reach what they reach here.
cp /etc/resolv.conf "$root/etc/resolv.conf"
# And its trust store and pip settings: where PyPI is reached through a proxy that the machine
# trusts by a CA of its own, a root without that CA could not install the MCP client.
mkdir -p "$root/etc/ssl/certs" "$root/usr/local/share/ca-certificates"
[[ -f /etc/ssl/certs/ca-certificates.crt ]] && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
[[ -f /etc/pip.conf ]] && cp /etc/pip.conf "$root/etc/pip.conf"
if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
  rm -f "$root/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/"
fi
cp /etc/apt/apt.conf.d/99* "$root/etc/apt/apt.conf.d/" 2>/dev/null || true
# Likewise where Swift packages come from: git's url.<base>.insteadOf rules (a local mirror of
# GitHub here) are copied, and a local mirror folder they name is bind-mounted read-only.
: >"$root/etc/gitconfig"
mirrors=()
while read -r key value; do
  git config --file "$root/etc/gitconfig" --add "$key" "$value"
  base=${key#url.}
  base=${base%.insteadof}
  [[ $base == /* && -d $base ]] && mirrors+=("$base")
done < <(git config --system --get-regexp '^url\..*\.insteadof$' 2>/dev/null || true)
rm -rf "$root/src/goldfish"
mkdir -p "$root/src" "$root/opt/swift" "$root/.oldroot"
git clone -q --no-hardlinks "$repo" "$root/src/goldfish"

command=("$@")
((${#command[@]})) || command=(.ci/run)
printf -v quoted '%q ' "${command[@]}"
unshare --mount --pid --fork --propagation private /bin/bash -c "
  set -e
  mount --bind '$root' '$root'
  mount --bind '$swift_dir' '$root/opt/swift' && mount -o remount,bind,ro '$root/opt/swift'
  for mirror in ${mirrors[*]:-}; do
    mkdir -p '$root'\$mirror && mount --bind \$mirror '$root'\$mirror && mount -o remount,bind,ro '$root'\$mirror
  done
  cd '$root'
  mount -t proc proc proc
  mount --rbind /dev dev
  mount --rbind /sys sys
  mount -t tmpfs tmp tmp
  pivot_root . .oldroot
  umount -l /.oldroot
  cd /src/goldfish
  export PATH=/opt/swift/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
  exec $quoted"
