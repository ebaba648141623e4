#!/usr/bin/env bash
#
# mpi.sh [start|stop|status]: OpenMPI and MPICH, as process launchers only (no daemons)
#
# start  installs openmpi-bin and mpich if missing (the tests' workers never call MPI: the
#        launchers just start them, so neither the -dev packages nor mpi4py are needed)
# stop   nothing to stop
#
# OpenMPI as root on 2 cores needs, on every call (tests/infra.py hands these out):
#   OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# onto the test hosts, from one of them or from here:
#   mpirun.openmpi --mca plm_rsh_agent $NEXUS_INFRA/ssh/ssh --mca oob_tcp_if_include 10.232.0.0/24 --host h2:2,h3:2 ...
#   mpiexec.mpich -launcher ssh -launcher-exec $NEXUS_INFRA/ssh/ssh -hosts h2:2,h3:2 ...

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OPENMPI=/usr/bin/mpirun.openmpi
MPICH=/usr/bin/mpiexec.mpich

version() { "$1" --version 2>/dev/null | awk "$2"; }

status() {
    local bad=0
    if [ -x "$OPENMPI" ]; then
        say "openmpi: $OPENMPI (OpenMPI $(version "$OPENMPI" 'NR == 1 { print $NF }'))"
    else
        say "openmpi: missing"; bad=1
    fi
    if [ -x "$MPICH" ]; then
        say "mpich: $MPICH (MPICH $(version "$MPICH" '/Version:/ { print $2; exit }'))"
    else
        say "mpich: missing"; bad=1
    fi
    return $bad
}

case "${1:-start}" in
    start) packages openmpi-bin mpich; status ;;
    stop) ;;
    status) status ;;
    *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
