#!/usr/bin/env bash
#
# hosts.sh [start|stop|status]: the test hosts h1..h3, each a network namespace with an sshd
#
# start  the namespaces nexus-h1..3 with eth0 = 10.232.0.I/24, joined by the bridge br0 in the
#        namespace nexus-sw; this (the root) namespace joins the bridge too, as 10.232.0.254 on
#        nexus0, so a test process here reaches the hosts and they reach it back; inside the
#        hosts, /etc/netns/nexus-hI/hosts resolves h1..h3, and h0 and this machine's hostname to
#        10.232.0.254; an sshd on port 22 in each host, started with hostname hI (keys and
#        configuration from sshd.sh)
# stop   ends the hosts' sshds by their recorded pids, then removes the namespaces
#
# run a command on host I:  etc/ci/onhost I CMD...
# ssh between hosts:        etc/ci/onhost 1 $NEXUS_INFRA/ssh/ssh h2 CMD   (also works from here)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SW="${NETNS}sw"
UPLINK=nexus0

exists() { ip netns list | awk '{print $1}' | grep -qx -- "$1"; }
pidfile() { echo "$SSH_DIR/sshd-h$1.pid"; }
# the sshd of host I runs, and in the namespace of that name (not in an older one)
sshd_running() {
    ours "$(pidfile "$1")" "$(pidfile "$1")" \
        && [ "$(ip netns identify "$(cat "$(pidfile "$1")")")" = "${NETNS}h$1" ]
}
sshd_listening() { ip netns exec "${NETNS}h$1" ss -Hltn 'sport = :22' | grep -q .; }
# host I is wired as it should be: its address on eth0, and its switch port on the bridge
wired() {
    ip -n "${NETNS}h$1" -4 -o addr show dev eth0 2>/dev/null | grep -qF " $NET.$1/24 " \
        && ip -n "$SW" -o link show dev "p$1" 2>/dev/null | grep -q 'master br0'
}

switch() {
    if exists "$SW"; then
        if ip -n "$SW" link show dev br0 >/dev/null 2>&1; then return; fi
        ip netns del "$SW"
    fi
    ip netns add "$SW"
    ip -n "$SW" link set lo up
    ip -n "$SW" link add br0 type bridge
    ip -n "$SW" link set br0 up
}

host() {
    local i=$1 ns="${NETNS}h$1"
    if ! wired "$i"; then
        halt "sshd on h$i" "$(pidfile "$i")" "$(pidfile "$i")" sessions
        if exists "$ns"; then ip netns del "$ns"; fi
        ip netns add "$ns"
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        # both ends made right where they belong: nothing shows up in this namespace
        ip link add eth0 netns "$ns" type veth peer name "p$i" netns "$SW"
        ip -n "$ns" addr add "$NET.$i/24" dev eth0
        ip -n "$ns" link set lo up
        ip -n "$ns" link set eth0 up
        ip -n "$SW" link set "p$i" master br0 up
    fi
    # ip netns exec puts the files in /etc/netns/NS/ over those in /etc/
    mkdir -p "/etc/netns/$ns"
    {
        echo "127.0.0.1 localhost"
        for j in $(seq "$HOSTS"); do echo "$NET.$j h$j"; done
        # this namespace, also by its own hostname: MPICH's hydra tells the proxies it starts on
        # the hosts to call back to that name
        printf '%s h0 %s\n' "$NET.254" "$(printf '%s\n' "$(hostname)" "$(hostname -s)" | sort -u | xargs)"
    } >"/etc/netns/$ns/hosts"
}

uplink() {
    if ip -4 -o addr show dev "$UPLINK" 2>/dev/null | grep -qF " $NET.254/24 " \
        && ip -n "$SW" -o link show dev p0 2>/dev/null | grep -q 'master br0'; then
        return
    fi
    ip link del "$UPLINK" 2>/dev/null || true
    ip link add "$UPLINK" type veth peer name p0 netns "$SW"
    sysctl -qw "net.ipv6.conf.$UPLINK.disable_ipv6=1"
    ip addr add "$NET.254/24" dev "$UPLINK"
    ip link set "$UPLINK" up
    ip -n "$SW" link set p0 master br0 up
}

start_sshd() {
    local i=$1
    if sshd_running "$i"; then
        say "h$i: sshd running (pid $(cat "$(pidfile "$i")")) on $NET.$i:22"
        return
    fi
    rm -f "$(pidfile "$i")"
    /bin/sh "$CI_DIR/onhost" "$i" /usr/sbin/sshd -f "$SSH_DIR/sshd_config_hosts" \
        -o "PidFile=$(pidfile "$i")" -E "$SSH_DIR/sshd-h$i.log"
    wait_for 10 sshd_running "$i" || die "sshd on h$i did not start: $(tail -n 5 "$SSH_DIR/sshd-h$i.log")"
    wait_for 10 sshd_listening "$i" || die "sshd on h$i does not listen: $(tail -n 5 "$SSH_DIR/sshd-h$i.log")"
    say "h$i: sshd started (pid $(cat "$(pidfile "$i")")) on $NET.$i:22"
}

start() {
    packages iproute2 util-linux
    [ -x "$SSH_DIR/ssh" ] && [ -f "$SSH_DIR/sshd_config_hosts" ] || bash "$CI_DIR/sshd.sh" configure
    switch
    for i in $(seq "$HOSTS"); do host "$i"; done
    uplink
    for i in $(seq "$HOSTS"); do start_sshd "$i"; done
}

stop() {
    local ns left
    for i in $(seq "$HOSTS"); do halt "sshd on h$i" "$(pidfile "$i")" "$(pidfile "$i")" sessions; done
    for ns in $(ip netns list | awk '{print $1}' | grep -x -- "${NETNS}h[0-9]*\|$SW" || true); do
        # a process left inside keeps the namespace alive after its name is gone: say so
        left=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
        [ -z "$left" ] || say "WARNING: processes still in $ns: $left"
        ip netns del "$ns"
        rm -rf "/etc/netns/$ns"
        say "removed namespace $ns"
    done
    ip link del "$UPLINK" 2>/dev/null || true
    rmdir /etc/netns 2>/dev/null || true
}

status() {
    local bad=0
    for i in $(seq "$HOSTS"); do
        if ! exists "${NETNS}h$i"; then
            say "h$i: down"; bad=1
        elif sshd_running "$i"; then
            say "h$i: namespace ${NETNS}h$i, $NET.$i, sshd pid $(cat "$(pidfile "$i")")"
        else
            say "h$i: namespace ${NETNS}h$i, $NET.$i, sshd down"; bad=1
        fi
    done
    return $bad
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
