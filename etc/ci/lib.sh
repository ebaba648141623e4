# -*- bash -*-
#
# etc/ci/lib.sh: what the service scripts next to it share; sourced, not run
#
# every service keeps its state under $NEXUS_INFRA (default /tmp/pyre_nexus-infra); tests/infra.py
# reads the same variable with the same default

set -euo pipefail

NEXUS_INFRA="${NEXUS_INFRA:-/tmp/pyre_nexus-infra}"
CI_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SSH_DIR="$NEXUS_INFRA/ssh"
# the local sshd
SSHD_PORT="${NEXUS_SSHD_PORT:-42222}"
# the test hosts h1..h$HOSTS: network namespaces ${NETNS}h1.. on $NET.0/24, joined by a bridge in
# the namespace ${NETNS}sw; this (the root) namespace is on that network too, as $NET.254
NETNS=nexus-
HOSTS=3
NET=10.232.0
export DEBIAN_FRONTEND=noninteractive

say() { printf '  %s\n' "$*"; }
die() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# packages PKG...: install those of the Debian packages PKG that are not installed yet; the
# machine's package lists are tried first (the image's apt cache holds most of these debs), and
# refreshed only when that fails (lists missing, or naming versions the mirror no longer has)
packages() {
    local missing=() p
    for p in "$@"; do
        [ "$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    local apt=(apt-get -q -y -o DPkg::Lock::Timeout=600)
    say "apt-get install ${missing[*]}"
    if ! "${apt[@]}" install --no-install-recommends "${missing[@]}" >"$NEXUS_INFRA/apt.log" 2>&1; then
        say "apt-get update, then again"
        "${apt[@]}" update >>"$NEXUS_INFRA/apt.log" 2>&1 || true
        "${apt[@]}" install --no-install-recommends "${missing[@]}" >>"$NEXUS_INFRA/apt.log" 2>&1 \
            || { tail -n 20 "$NEXUS_INFRA/apt.log" >&2; die "could not install ${missing[*]}"; }
    fi
}

# live PID: PID is a process that has not ended (a zombie has)
live() {
    local state
    state=$(awk '{sub(/.*\) /, ""); print $1}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

# ours PIDFILE MARK: the pid in PIDFILE is a live process whose command line holds MARK (a path of
# ours), so a pid that was reused by some other process after ours ended is never taken for ours
ours() {
    local pid
    pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] && live "$pid" \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# halt NAME PIDFILE MARK [sessions]: end the daemon recorded in PIDFILE if it is ours; with
# "sessions", first its children (an sshd's per-connection processes outlive the listener)
halt() {
    local name=$1 file=$2 mark=$3 pid child
    if ours "$file" "$mark"; then
        pid=$(cat "$file")
        if [ "${4:-}" = sessions ]; then
            for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do kill "$child" 2>/dev/null || true; done
        fi
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do live "$pid" || break; sleep 0.1; done
        if live "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
        say "stopped $name (pid $pid)"
    fi
    rm -f "$file"
}

# wait_for SECONDS CMD...: retry CMD every 0.1 s until it succeeds or SECONDS pass
wait_for() {
    local tries=$(($1 * 10))
    shift
    for _ in $(seq "$tries"); do "$@" && return 0; sleep 0.1; done
    "$@"
}

mkdir -p "$NEXUS_INFRA"
