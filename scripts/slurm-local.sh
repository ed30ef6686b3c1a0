#!/usr/bin/env bash
# A one-machine Slurm cluster (munged, slurmctld, slurmd, slurmrestd) from Debian's packages,
# every file in a private temp folder, every port on 127.0.0.1: for the slurm backend's tests
# and for trying the backend (docs/slurm.md). Source it, then:
#   slurm_local_start   installs the packages if missing, starts the daemons, exports
#                       SLURM_CONF, GOLDFISH_SLURM_URL (JWT over TCP), GOLDFISH_SLURM_SOCKET
#                       (local auth over a unix socket), GOLDFISH_SLURM_TOKEN_FILE,
#                       GOLDFISH_SLURM_USER and GOLDFISH_SLURM_DIR, prints the goldfish.yaml section
#   slurm_local_stop    cancels every job, then stops the daemons by pid (safe to call twice)
# Or run it: scripts/slurm-local.sh start (prints the exports; stop with scripts/slurm-local.sh stop DIR).
SLURM_PACKAGES=(slurm-wlm slurmrestd slurm-wlm-jwt-plugin munge)

slurm_local_install() {
  local missing=() package
  for package in "${SLURM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  ((${#missing[@]})) || return 0
  echo "installing: ${missing[*]}" >&2
  local sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

slurm_local_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs in the background of this shell, its pid in $SLURM_LOCAL_DIR/run/NAME.bgpid.
slurm_local_spawn() {
  local name=$1
  shift
  "$@" >>"$SLURM_LOCAL_DIR/log/$name.out" 2>&1 &
  echo $! >"$SLURM_LOCAL_DIR/run/$name.bgpid"
}

slurm_local_fail() {
  echo "slurm-local: $1" >&2
  tail -n 20 "$SLURM_LOCAL_DIR"/log/*.log "$SLURM_LOCAL_DIR"/log/*.out 2>/dev/null >&2 || true
  slurm_local_stop
  return 1
}

slurm_local_start() {
  slurm_local_install
  # Slurm must run as root here (SlurmUser=root, slurmrestd drops to the `slurm` user).
  if [[ $(id -u) -ne 0 ]]; then
    echo "slurm-local: the local cluster needs root (slurmd starts jobs as their user)" >&2
    return 1
  fi
  SLURM_LOCAL_DIR=$(mktemp -d -t goldfish-slurm.XXXXXX)
  local T=$SLURM_LOCAL_DIR H
  H=$(hostname -s)
  chmod 755 "$T"
  mkdir -p "$T/munge" "$T/state" "$T/spool" "$T/log" "$T/run" "$T/jobs" "$T/rest"
  chmod 755 "$T/munge"   # munged refuses a socket folder without o+x
  chmod 1777 "$T/jobs"   # a job's working folder, writable by any job user
  chown slurm: "$T/rest" # slurmrestd -u slurm binds its socket after dropping root
  local ctld_port slurmd_port rest_port spare_port
  ctld_port=$(slurm_local_free_port)
  slurmd_port=$(slurm_local_free_port)
  rest_port=$(slurm_local_free_port)
  spare_port=$(slurm_local_free_port)

  mungekey --create --keyfile="$T/munge/munge.key"
  chmod 600 "$T/munge/munge.key"
  slurm_local_spawn munged munged -F --key-file="$T/munge/munge.key" --socket="$T/munge/munge.socket.2" \
    --pid-file="$T/run/munged.pid" --log-file="$T/log/munged.log" --seed-file="$T/munge/munged.seed"
  dd if=/dev/urandom of="$T/jwt_hs256.key" bs=32 count=1 status=none
  chmod 600 "$T/jwt_hs256.key"

  cat >"$T/slurm.conf" <<CONF
ClusterName=goldfish
SlurmctldHost=$H(127.0.0.1)
SlurmUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge/munge.socket.2
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$T/jwt_hs256.key
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool/%n
SlurmctldPidFile=$T/run/slurmctld.pid
SlurmdPidFile=$T/run/slurmd-%n.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$T/log/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
MpiDefault=none
ReturnToService=2
# More CPUs than the machine has (accepted as configured), so parallel tests do not queue behind each other.
SlurmdParameters=config_overrides
MinJobAge=300
PreemptType=preempt/partition_prio
PreemptMode=CANCEL
KillWait=5
NodeName=$H NodeAddr=127.0.0.1 CPUs=$((2 * $(nproc) + 4)) RealMemory=1000 State=UNKNOWN
# A second slurmd on the same machine, alone in its partition: the tests fail it (NODE_FAIL)
# without touching the jobs of the node every other test uses.
NodeName=$H-spare NodeHostname=$H NodeAddr=127.0.0.1 Port=$spare_port CPUs=2 RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$H Default=YES MaxTime=INFINITE State=UP
PartitionName=held Nodes=$H Default=NO MaxTime=INFINITE State=DOWN
PartitionName=spare Nodes=$H-spare Default=NO MaxTime=INFINITE State=UP PriorityTier=1
# A job here takes the spare node from a job of the spare partition (PREEMPTED): only the spare node has two tiers.
PartitionName=spare-urgent Nodes=$H-spare Default=NO MaxTime=INFINITE State=UP PriorityTier=2
CONF
  export SLURM_CONF=$T/slurm.conf

  # A munge client blocks for seconds while munged is not up: check the round trip first.
  local ready=
  for _ in $(seq 50); do
    if timeout 2 munge -n -S "$T/munge/munge.socket.2" 2>/dev/null | timeout 2 unmunge -S "$T/munge/munge.socket.2" \
      >/dev/null 2>&1; then
      ready=1
      break
    fi
    sleep 0.1
  done
  [[ -n $ready ]] || { slurm_local_fail "munged did not answer"; return 1; }

  slurm_local_spawn slurmctld slurmctld -D -f "$T/slurm.conf"
  slurm_local_spawn slurmd slurmd -D -N "$H" -f "$T/slurm.conf"
  slurm_local_spawn slurmd-spare slurmd -D -N "$H-spare" -f "$T/slurm.conf"
  local state= spare=
  for _ in $(seq 300); do
    state=$(timeout 5 sinfo -h -n "$H" -p debug -o %T 2>/dev/null || true)
    spare=$(timeout 5 sinfo -h -n "$H-spare" -p spare -o %T 2>/dev/null || true)
    [[ $state == idle && $spare == idle ]] && break
    sleep 0.1
  done
  [[ $state == idle ]] || { slurm_local_fail "the node is not idle: '$state'"; return 1; }
  [[ $spare == idle ]] || { slurm_local_fail "the spare node is not idle: '$spare'"; return 1; }

  # JWT over TCP needs SLURM_JWT=daemon; local auth over the socket is a second instance run as
  # root with the user check off, so jobs run as root like the JWT ones (both never on 0.0.0.0).
  (cd "$T/run" && SLURM_JWT=daemon exec slurmrestd -f "$T/slurm.conf" -u slurm -a rest_auth/jwt \
    -s openapi/v0.0.38 "127.0.0.1:$rest_port" >>"$T/log/slurmrestd.out" 2>&1) &
  echo $! >"$T/run/slurmrestd.bgpid"
  (cd "$T/run" && SLURMRESTD_SECURITY=disable_user_check exec slurmrestd -f "$T/slurm.conf" -a rest_auth/local \
    -s openapi/v0.0.38 "unix:$T/rest/rest.sock" >>"$T/log/slurmrestd-local.out" 2>&1) &
  echo $! >"$T/run/slurmrestd-local.bgpid"
  scontrol token username=root lifespan=86400 | cut -d= -f2 >"$T/jwt.token"
  chmod 600 "$T/jwt.token"
  local code= socket_code=
  for _ in $(seq 100); do
    # /ping answers 200 whatever the token: /jobs checks it.
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-SLURM-USER-NAME: root" \
      -H "X-SLURM-USER-TOKEN: $(cat "$T/jwt.token")" "http://127.0.0.1:$rest_port/slurm/v0.0.38/jobs" || true)
    socket_code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$T/rest/rest.sock" \
      http://localhost/slurm/v0.0.38/jobs || true)
    [[ $code == 200 && $socket_code == 200 ]] && break
    sleep 0.1
  done
  [[ $code == 200 && $socket_code == 200 ]] || {
    slurm_local_fail "slurmrestd is not ready (tcp $code, socket $socket_code)"
    return 1
  }
  export GOLDFISH_SLURM_URL="http://127.0.0.1:$rest_port"
  export GOLDFISH_SLURM_SOCKET="$T/rest/rest.sock"
  export GOLDFISH_SLURM_TOKEN_FILE="$T/jwt.token"
  export GOLDFISH_SLURM_USER=root
  export GOLDFISH_SLURM_DIR=$T
  export GOLDFISH_SLURM_SPARE_NODE=$H-spare
  echo "slurm-local: cluster up in $T (slurmrestd $GOLDFISH_SLURM_URL and $GOLDFISH_SLURM_SOCKET)" >&2
  cat >&2 <<YAML
slurm-local: the goldfish.yaml section for it:
  jobs:
    backend: slurm
  slurm:
    url: $GOLDFISH_SLURM_URL
    user: root
    token_file: $GOLDFISH_SLURM_TOKEN_FILE
    partition: debug
  # or local auth over the socket: url: unix://$GOLDFISH_SLURM_SOCKET (no user, no token)
YAML
}

slurm_local_stop() {
  local T=${SLURM_LOCAL_DIR:-}
  [[ -n $T && -d $T/run ]] || return 0
  local conf=$T/slurm.conf ids pid file name
  # Cancel first: a job's slurmstepd outlives slurmd and then hangs retrying slurmctld.
  if [[ -f $T/run/slurmctld.bgpid ]] && kill -0 "$(cat "$T/run/slurmctld.bgpid")" 2>/dev/null; then
    ids=$(SLURM_CONF=$conf timeout 5 squeue -h -o %A 2>/dev/null || true)
    if [[ -n $ids ]]; then
      # shellcheck disable=SC2086
      SLURM_CONF=$conf timeout 10 scancel $ids 2>/dev/null || true
      for _ in $(seq 50); do
        [[ -z $(SLURM_CONF=$conf timeout 5 squeue -h -o %A 2>/dev/null || true) ]] && break
        sleep 0.2
      done
    fi
  fi
  for name in slurmrestd slurmrestd-local slurmd slurmd-spare slurmctld munged; do
    file=$T/run/$name.bgpid
    [[ -f $file ]] || continue
    pid=$(cat "$file")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "slurm-local: $name ($pid) ignored SIGTERM, sending SIGKILL" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    rm -f "$file"
  done
  rm -rf "$T"
  SLURM_LOCAL_DIR=
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  case ${1:-} in
    start)
      slurm_local_start
      # The daemons belong to this shell's children: detach them so they outlive it.
      disown -a
      echo "export SLURM_CONF=$SLURM_CONF GOLDFISH_SLURM_URL=$GOLDFISH_SLURM_URL" \
        "GOLDFISH_SLURM_SOCKET=$GOLDFISH_SLURM_SOCKET GOLDFISH_SLURM_TOKEN_FILE=$GOLDFISH_SLURM_TOKEN_FILE" \
        "GOLDFISH_SLURM_USER=root GOLDFISH_SLURM_DIR=$GOLDFISH_SLURM_DIR GOLDFISH_SLURM_SPARE_NODE=$GOLDFISH_SLURM_SPARE_NODE"
      echo "# stop with: scripts/slurm-local.sh stop $GOLDFISH_SLURM_DIR"
      ;;
    stop)
      SLURM_LOCAL_DIR=${2:?usage: scripts/slurm-local.sh stop DIR}
      slurm_local_stop
      ;;
    *)
      echo "usage: scripts/slurm-local.sh start | stop DIR" >&2
      exit 2
      ;;
  esac
fi
