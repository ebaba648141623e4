#!/usr/bin/env bash
#
# infra.sh [start|stop|status|check]: the services the integration tests use, all at once
#
# start   installs what is missing, then starts what is not running (quick when all runs):
#           sshd.sh   sshd for root on 127.0.0.1:42222 ("nexus-local")
#           hosts.sh  test hosts h1..h3: network namespaces, each with its own hostname and sshd;
#                     nftables, with which tests drop packets inside a host (test_network.py)
#           mpi.sh    OpenMPI and MPICH launchers
#           slurm.sh  single node Slurm
#           gridengine.sh  single node Grid Engine (SoGE 8.1.9), queue all.q with 8 slots
# stop    ends the daemons by their recorded pids and removes the namespaces; keeps keys and
#         configurations, so the next start is quick (rm -rf $NEXUS_INFRA after stop resets all)
# status  what runs; exits 1 unless all does
# check   runs a command through each: ssh, ssh between hosts, nft inside a host, mpirun/mpiexec
#         here and from h1 onto h2,h3, srun, qsub -sync y
#
# must run as root; the state is under $NEXUS_INFRA (default /tmp/pyre_nexus-infra); tests/infra.py
# describes all of it to the tests

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$(id -u)" = 0 ] || die "must run as root"

SSH="$SSH_DIR/ssh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl=self,vader,tcp
OPENMPI_HOSTS=(--mca plm_rsh_agent "$SSH" --mca oob_tcp_if_include "$NET.0/24"
               --mca pml ob1 --mca btl self,tcp --mca btl_tcp_if_include "$NET.0/24")
MPICH_HOSTS=(-launcher ssh -launcher-exec "$SSH")

elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

start() {
    local t0=$EPOCHREALTIME
    echo "== starting the test services (state in $NEXUS_INFRA)"
    # one apt-get run for all that is missing is quicker than one per service; gridengine.sh
    # packages preseeds the debconf answers of the Grid Engine packages and names them
    # shellcheck disable=SC2046
    packages openssh-server openssh-client iproute2 util-linux nftables openmpi-bin mpich slurm-wlm munge \
        $(bash "$CI_DIR/gridengine.sh" packages)
    bash "$CI_DIR/sshd.sh" start
    bash "$CI_DIR/hosts.sh" start
    bash "$CI_DIR/mpi.sh" status
    bash "$CI_DIR/slurm.sh" start
    bash "$CI_DIR/gridengine.sh" start
    echo "== test services up in $(elapsed "$t0") s"
}

stop() {
    echo "== stopping the test services"
    bash "$CI_DIR/gridengine.sh" stop
    bash "$CI_DIR/slurm.sh" stop
    bash "$CI_DIR/hosts.sh" stop
    bash "$CI_DIR/sshd.sh" stop
}

status() {
    local bad=0
    bash "$CI_DIR/sshd.sh" status || bad=1
    bash "$CI_DIR/hosts.sh" status || bad=1
    bash "$CI_DIR/mpi.sh" status || bad=1
    bash "$CI_DIR/slurm.sh" status || bad=1
    bash "$CI_DIR/gridengine.sh" status || bad=1
    return $bad
}

# words: the words of the input, sorted, on one line; a word is letters and the digits after them,
# as the launchers may run together the lines of different ranks ("h3h3\n\n")
words() { grep -oE '[A-Za-z]+[0-9]*' | sort | tr '\n' ' ' | sed 's/ $//'; }

# expect WHAT WANTED CMD...: run CMD (60 s at most); the words of its output must be those of WANTED
expect() {
    local what=$1 wanted got t0=$EPOCHREALTIME
    wanted=$(echo "$2" | words)
    shift 2
    got=$(timeout 60 "$@" 2>&1 | words) || true
    if [ "$got" = "$wanted" ]; then
        say "ok   $what: $got ($(elapsed "$t0") s)"
    else
        say "FAIL $what: wanted '$wanted', got '$got'"
        return 1
    fi
}

check() {
    local bad=0 py=/usr/bin/python3 on1=(/bin/sh "$CI_DIR/onhost" 1)
    local where='import socket; print(socket.gethostname())'
    echo "== checking the test services"
    expect "ssh nexus-local" "$(hostname)" "$SSH" nexus-local hostname || bad=1
    expect "h1: ssh h2" h2 "${on1[@]}" "$SSH" h2 hostname || bad=1
    expect "here: ssh h3" h3 "$SSH" h3 hostname || bad=1
    expect "nft in h2" ok ip netns exec "${NETNS}h2" /bin/sh -c \
        'nft add table inet probe && nft delete table inet probe && echo ok' || bad=1
    expect "openmpi here, 3 ranks" "r0 r1 r2" /usr/bin/mpirun.openmpi -n 3 \
        "$py" -c 'import os; print("r" + os.environ["OMPI_COMM_WORLD_RANK"])' || bad=1
    expect "openmpi h1 onto h2,h3" "h2 h2 h3 h3" "${on1[@]}" /usr/bin/mpirun.openmpi "${OPENMPI_HOSTS[@]}" \
        --host h2:2,h3:2 -n 4 "$py" -c "$where" || bad=1
    expect "openmpi here onto h2,h3" "h2 h3" /usr/bin/mpirun.openmpi "${OPENMPI_HOSTS[@]}" \
        --host h2,h3 -n 2 "$py" -c "$where" || bad=1
    expect "mpich here, 3 ranks" "r0 r1 r2" /usr/bin/mpiexec.mpich -n 3 \
        "$py" -c 'import os; print("r" + os.environ["PMI_RANK"])' || bad=1
    expect "mpich h1 onto h2,h3" "h2 h2 h3 h3" "${on1[@]}" /usr/bin/mpiexec.mpich "${MPICH_HOSTS[@]}" \
        -hosts h2:2,h3:2 -n 4 "$py" -c "$where" || bad=1
    expect "mpich here onto h2,h3" "h2 h3" /usr/bin/mpiexec.mpich "${MPICH_HOSTS[@]}" \
        -hosts h2,h3 -n 2 "$py" -c "$where" || bad=1
    expect "srun -n 2" "$(hostname) $(hostname)" env SLURM_CONF="$NEXUS_INFRA/slurm/slurm.conf" srun -n 2 hostname || bad=1
    expect "srun -n 3 --overcommit" "r0 r1 r2" env SLURM_CONF="$NEXUS_INFRA/slurm/slurm.conf" srun -n 3 --overcommit \
        "$py" -c 'import os; print("r" + os.environ["SLURM_PROCID"])' || bad=1
    expect "qsub -sync y" "job ok" /bin/sh -c '. "$1/gridengine/env.sh" && out=$(mktemp) &&
        qsub -sync y -b y -shell no -j y -o "$out" /bin/echo job ok >/dev/null && cat "$out"; rm -f "$out"' \
        sh "$NEXUS_INFRA" || bad=1
    return $bad
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    check) check ;;
    *) echo "usage: $0 start|stop|status|check" >&2; exit 2 ;;
esac
