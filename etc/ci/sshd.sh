#!/usr/bin/env bash
#
# sshd.sh [start|stop|status]: a private sshd for root on 127.0.0.1:$SSHD_PORT (42222), key only
#
# configure  only the packages, keys and configurations of start
# start  installs openssh-server if missing; makes the keys and the configurations under
#        $NEXUS_INFRA/ssh, the same for the local sshd and for those of the test hosts (hosts.sh);
#        starts the local sshd unless it runs already
# stop   ends the local sshd and its sessions, by the recorded pid; keeps keys and configurations
#
# clients: $NEXUS_INFRA/ssh/ssh nexus-local CMD   (the wrapper = ssh -F $NEXUS_INFRA/ssh/ssh_config)
# nothing in /etc/ssh or ~root/.ssh is used or changed

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PIDFILE="$SSH_DIR/sshd.pid"

configure() {
    packages openssh-server openssh-client
    mkdir -p "$SSH_DIR"
    chmod 700 "$SSH_DIR"
    # sshd refuses to start without its privilege separation directory
    install -d -m 755 /run/sshd
    [ -f "$SSH_DIR/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C nexus-host -f "$SSH_DIR/host_ed25519"
    [ -f "$SSH_DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C nexus-user -f "$SSH_DIR/id_ed25519"
    cp "$SSH_DIR/id_ed25519.pub" "$SSH_DIR/authorized_keys"
    chmod 600 "$SSH_DIR/authorized_keys"

    # what every sshd of ours shares; Port, ListenAddress and PidFile may add up when given twice,
    # so they are in the local sshd's file only and the hosts' sshds get theirs on the command line
    local common
    common=$(cat <<CONF
HostKey $SSH_DIR/host_ed25519
AuthorizedKeysFile $SSH_DIR/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
# no PAM session setup and no ownership checks of the files under /tmp
UsePAM no
StrictModes no
# the tests open many sessions at once; the default 10:30:100 starts dropping them at 10
MaxStartups 200
MaxSessions 200
# tear down the sessions of clients that went away
ClientAliveInterval 5
ClientAliveCountMax 3
PrintMotd no
PrintLastLog no
AcceptEnv LANG LC_*
LogLevel INFO
CONF
)
    printf '# written by etc/ci/sshd.sh\nPort %s\nListenAddress 127.0.0.1\nPidFile %s\n%s\n' \
        "$SSHD_PORT" "$PIDFILE" "$common" >"$SSH_DIR/sshd_config"
    printf '# written by etc/ci/sshd.sh: the test hosts, one sshd in each (see hosts.sh)\nAddressFamily inet\n%s\n' \
        "$common" >"$SSH_DIR/sshd_config_hosts"

    # the client side: nexus-local is the local sshd, h1..hN the test hosts (by address, so they
    # resolve in this namespace too)
    {
        echo "# written by etc/ci/sshd.sh"
        printf 'Host nexus-local\n  HostName 127.0.0.1\n  Port %s\n' "$SSHD_PORT"
        for i in $(seq "$HOSTS"); do printf 'Host h%s\n  HostName %s.%s\n  Port 22\n' "$i" "$NET" "$i"; done
        printf 'Host nexus-local %s\n' "$(seq -f 'h%g' -s ' ' "$HOSTS")"
        cat <<CONF
  User root
  IdentityFile $SSH_DIR/id_ed25519
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile $SSH_DIR/known_hosts
  BatchMode yes
  LogLevel ERROR
  ConnectTimeout 5
CONF
    } >"$SSH_DIR/ssh_config"
    # launchers that take a single executable (MPICH's -launcher-exec, OpenMPI's plm_rsh_agent)
    printf '#!/bin/sh\nexec /usr/bin/ssh -F %s/ssh_config "$@"\n' "$SSH_DIR" >"$SSH_DIR/ssh"
    chmod 755 "$SSH_DIR/ssh"
    /usr/sbin/sshd -t -f "$SSH_DIR/sshd_config"
    /usr/sbin/sshd -t -f "$SSH_DIR/sshd_config_hosts"
}

running() { ours "$PIDFILE" "$SSH_DIR/sshd_config"; }

listening() { ss -Hltn "sport = :$SSHD_PORT" | grep -q .; }

start() {
    configure
    if running; then
        say "sshd: running (pid $(cat "$PIDFILE")) on 127.0.0.1:$SSHD_PORT"
        return
    fi
    listening && die "port $SSHD_PORT is taken by a process that is not ours; set NEXUS_SSHD_PORT"
    # sshd must be started by its absolute path; it detaches and writes its PidFile
    /usr/sbin/sshd -f "$SSH_DIR/sshd_config" -E "$SSH_DIR/sshd.log"
    wait_for 10 running || die "sshd did not start: $(tail -n 5 "$SSH_DIR/sshd.log")"
    wait_for 10 listening || die "sshd does not listen on $SSHD_PORT: $(tail -n 5 "$SSH_DIR/sshd.log")"
    say "sshd: started (pid $(cat "$PIDFILE")) on 127.0.0.1:$SSHD_PORT"
}

stop() { halt sshd "$PIDFILE" "$SSH_DIR/sshd_config" sessions; }

status() {
    if running; then say "sshd: running (pid $(cat "$PIDFILE")) on 127.0.0.1:$SSHD_PORT"; else say "sshd: down"; return 1; fi
}

case "${1:-start}" in
    start) start ;;
    configure) configure ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
