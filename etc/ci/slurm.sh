#!/usr/bin/env bash
#
# slurm.sh [start|stop|status]: single node Slurm with a private munged, under $NEXUS_INFRA/slurm
#
# start  installs slurm-wlm and munge if missing; writes a munge key and slurm.conf (ports 16917
#        and 16918, munged on a socket of its own, plain process tracking, no cgroups); starts
#        munged, slurmctld and slurmd unless they run already; waits until the node takes jobs
# stop   cancels the jobs left, then ends slurmd, slurmctld and munged by their recorded pids
#
# clients: SLURM_CONF=$NEXUS_INFRA/slurm/slurm.conf srun -n 2 hostname
#          (3 tasks on 2 cpus need --overcommit; --oversubscribe only queues them)
# nothing in /etc/slurm or /etc/munge is used or changed

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

D="$NEXUS_INFRA/slurm"
CTLD_PORT="${NEXUS_SLURMCTLD_PORT:-16917}"
SLURMD_PORT="${NEXUS_SLURMD_PORT:-16918}"
NODE="$(hostname -s)"
SOCKET="$D/munge/munge.socket.2"
export SLURM_CONF="$D/slurm.conf"

# the daemons and what tells each of them apart from someone else's: a path of ours on its command line
mark() { case $1 in munged) echo "$SOCKET" ;; *) echo "$SLURM_CONF" ;; esac; }
running() { ours "$D/$1.pid" "$(mark "$1")"; }
ready() { sinfo -h -N -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated|completing)'; }

configure() {
    packages slurm-wlm munge
    mkdir -p "$D"/{munge,state,spool,log}
    chmod 755 "$D" "$D/munge"
    # munged wants its key owned by the user it runs as, and private
    [ -f "$D/munge.key" ] || mungekey --create --keyfile="$D/munge.key"
    chmod 600 "$D/munge.key"
    cat >"$SLURM_CONF" <<CONF
# written by etc/ci/slurm.sh
ClusterName=nexus
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=30
MailProg=/bin/true
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
}

start() {
    configure
    if running munged; then
        say "munged: running (pid $(cat "$D/munged.pid"))"
    else
        /usr/sbin/munged --force --key-file="$D/munge.key" --socket="$SOCKET" --pid-file="$D/munged.pid" \
            --log-file="$D/log/munged.log" --seed-file="$D/munge/munged.seed"
        wait_for 10 running munged || die "munged did not start: $(tail -n 5 "$D/log/munged.log")"
        say "munged: started (pid $(cat "$D/munged.pid"))"
    fi
    munge -S "$SOCKET" -n | unmunge -S "$SOCKET" >/dev/null || die "munge does not answer on $SOCKET"

    if ! running slurmctld && ! running slurmd; then
        for port in "$CTLD_PORT" "$SLURMD_PORT"; do
            if ss -Hltn "sport = :$port" | grep -q .; then die "port $port is taken by a process that is not ours"; fi
        done
    fi
    if running slurmctld; then
        say "slurmctld: running (pid $(cat "$D/slurmctld.pid"))"
    else
        # -i: start afresh whatever state a killed run left; detaches, writes its pid file
        /usr/sbin/slurmctld -i -f "$SLURM_CONF"
        wait_for 20 running slurmctld || die "slurmctld did not start: $(tail -n 5 "$D/log/slurmctld.log")"
        say "slurmctld: started (pid $(cat "$D/slurmctld.pid"))"
    fi
    if running slurmd; then
        say "slurmd: running (pid $(cat "$D/slurmd.pid"))"
    else
        /usr/sbin/slurmd -f "$SLURM_CONF" -N "$NODE"
        wait_for 10 running slurmd || die "slurmd did not start: $(tail -n 5 "$D/log/slurmd.log")"
        say "slurmd: started (pid $(cat "$D/slurmd.pid"))"
    fi
    wait_for 30 ready || die "node $NODE does not take jobs: $(sinfo -h -N -o '%N %T %E' 2>&1)"
    say "slurm: node $NODE $(sinfo -h -N -o '%T, %c cpus'); SLURM_CONF=$SLURM_CONF"
}

stop() {
    if running slurmctld; then timeout 10 scancel --user=root 2>/dev/null || true; fi
    halt slurmd "$D/slurmd.pid" "$SLURM_CONF"
    halt slurmctld "$D/slurmctld.pid" "$SLURM_CONF"
    halt munged "$D/munged.pid" "$SOCKET"
}

status() {
    local bad=0 name
    for name in munged slurmctld slurmd; do
        if running "$name"; then say "$name: running (pid $(cat "$D/$name.pid"))"; else say "$name: down"; bad=1; fi
    done
    return $bad
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
