#!/usr/bin/env bash
#
# gridengine.sh [start|stop|status|packages]: single node Grid Engine (Son of Grid Engine 8.1.9
# from Debian) with its cell under $NEXUS_INFRA/gridengine
#
# packages  preseeds debconf so that the packages set up no cell of their own, and names the
#           packages start needs (infra.sh installs them in its one apt-get)
# start     installs gridengine-master, -exec, -client and bsd-mailx if missing (and dma, the
#           lightest MTA, which bsd-mailx needs, unless the machine has one: apt would pick exim4);
#           makes the cell once: SGE_ROOT=$NEXUS_INFRA/gridengine, cell "default", classic
#           spooling, daemons as root, root jobs allowed, ports 16444 and 16445, a queue all.q of
#           8 slots on this host, the scheduler running every second and on each submission;
#           starts sge_qmaster and sge_execd unless they run already; waits until the queue takes
#           jobs
# stop      deletes all jobs, then ends sge_execd and sge_qmaster by their recorded pids (the
#           qmaster takes 7 s to shut down, and is killed after 5); keeps the cell, so the next
#           start is quick (rm -rf $NEXUS_INFRA/gridengine after stop makes it anew)
#
# clients:  SGE_ROOT=$NEXUS_INFRA/gridengine SGE_CELL=default SGE_QMASTER_PORT=16444 \
#               SGE_EXECD_PORT=16445 qsub -sync y -b y -shell no -o /dev/null -j y /bin/true
#           or first: . $NEXUS_INFRA/gridengine/env.sh (which sets just those four); qsub, qstat,
#           qdel, qacct, qrsh ... are Debian's wrappers in /usr/bin; the ports are in no
#           /etc/services, so both port variables are needed (NEXUS_SGE_QMASTER_PORT and
#           NEXUS_SGE_EXECD_PORT choose others)
# jobs:     run as their submitter (root too) in $HOME, or the cwd with -cwd; they get what SGE
#           sets: PATH=$TMP:/usr/local/bin:/bin:/usr/bin, HOME, USER, SHELL=/bin/sh, JOB_ID,
#           JOB_NAME, SGE_TASK_ID ("undefined" outside arrays), NSLOTS, QUEUE, TMP (a directory per
#           job), SGE_O_* (the submitter's PATH, HOME, WORKDIR ...), SGE_ROOT, SGE_CELL and the
#           ports (from sge_execd, which runs with a clean environment); plus what -v NAME[=VALUE]
#           or -V (all of qsub's) adds, which qstat -j shows to every user; no TMPDIR and no LD_*
#           (SoGE drops them, even when given with -v); "-b y" joins the arguments into one "sh -c"
#           line, "-b y -shell no" executes them as they are
#
# this host's name must come out the same whichever way SGE resolves it: here "vm" resolves to
# 127.0.0.1, which resolves back to "localhost"; the cell's host_aliases makes that an alias of
# "vm" (the daemons still call themselves localhost in their logs and the execd's spool
# directory); nothing in /etc (but what the packages install) and nothing of the packages'
# /var/lib/gridengine is used or changed

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export SGE_ROOT="$NEXUS_INFRA/gridengine" SGE_CELL=default
export SGE_QMASTER_PORT="${NEXUS_SGE_QMASTER_PORT:-16444}" SGE_EXECD_PORT="${NEXUS_SGE_EXECD_PORT:-16445}"
D=$SGE_ROOT
COMMON="$D/$SGE_CELL/common"
ARCH=lx-amd64
BIN="$D/bin/$ARCH"
QUEUE=all.q
SLOTS=8

# the packages, their debconf answers preseeded: "false" makes them set up no cell and no
# act_qmaster under /var/lib/gridengine (with the default "true", they would make one, with an
# empty master name); their init scripts start no daemon here (no runlevel, and policy-rc.d)
needs() {
    debconf-set-selections <<ANSWERS
gridengine-common shared/gridengineconfig boolean false
gridengine-common shared/gridenginecell string default
gridengine-common shared/gridenginemaster string localhost
ANSWERS
    local mta=dma
    if [ -e /usr/sbin/sendmail ] && ! dpkg-query -W -f '${db:Status-Status}' dma 2>/dev/null | grep -qx installed; then mta=; fi
    echo gridengine-master gridengine-exec gridengine-client bsd-mailx $mta
}

# the name SGE gives this host, and the one it gets back from its address: here "vm" resolves to
# 127.0.0.1 and 127.0.0.1 back to "localhost" (the tools want an SGE_ROOT that exists, any will do)
tool() { SGE_ROOT=/var/lib/gridengine SGE_CELL=default "/usr/lib/gridengine/$@"; }
host() { tool gethostname -aname; }
reverse() { tool gethostbyaddr -name "$(tool gethostbyname -all "$(host)" | awk '/^Host Address/ { print $3; exit }')"; }

# the daemons: their pid files (sge_execd keeps its in a directory named as it calls itself), and a
# path of ours on their command line (they run from $BIN)
pidfile() {
    case $1 in
        sge_qmaster) echo "$D/$SGE_CELL/qmaster/qmaster.pid" ;;
        sge_execd) find "$D/$SGE_CELL/execd" -mindepth 2 -maxdepth 2 -name execd.pid 2>/dev/null | head -n 1 ;;
    esac
}
running() { local file; file=$(pidfile "$1") && [ -n "$file" ] && ours "$file" "$BIN/$1"; }
pid() { cat "$(pidfile "$1")"; }
# the queue instance on this host takes jobs: it has no state letters (a: alarm, u: unknown, d ...)
ready() {
    qstat -f -q "$QUEUE" 2>/dev/null | awk -v q="$QUEUE@" 'index($1, q) == 1 { print NF }' | grep -qx 5
}
jobs_left() { [ -n "$(qstat -u '*' 2>/dev/null)" ]; }
# a daemon, started with only what it needs in its environment: jobs get the environment of
# sge_execd, and would otherwise get that of whoever ran this script
daemon() {
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        SGE_ROOT="$SGE_ROOT" SGE_CELL="$SGE_CELL" SGE_QMASTER_PORT="$SGE_QMASTER_PORT" \
        SGE_EXECD_PORT="$SGE_EXECD_PORT" "$BIN/$1"
}

configure() {
    # shellcheck disable=SC2046
    packages $(needs)
    local name alias
    name=$(host) || die "SGE cannot resolve this host's name $(hostname)"
    alias=$(reverse) || alias=$name
    # the cell is made once; one made for another host name, or left half made, is made again
    if [ -f "$D/made" ] && [ "$(cat "$COMMON/act_qmaster" 2>/dev/null)" = "$name" ]; then return; fi
    halt sge_execd "$(pidfile sge_execd)" "$BIN/sge_execd"
    halt sge_qmaster "$(pidfile sge_qmaster)" "$BIN/sge_qmaster"
    rm -rf "$D"
    mkdir -p "$D/bin" "$COMMON" "$D/$SGE_CELL/qmaster" "$D/$SGE_CELL/execd" "$D/templates"/{exechosts,adminhosts,submithosts}
    # SGE_ROOT as the packages lay out /var/lib/gridengine, the programs being where Debian put them
    ln -s /usr/lib/gridengine "$BIN"
    ln -s /var/lib/gridengine/utilbin "$D/utilbin"
    ln -s /var/lib/gridengine/lib "$D/lib"
    ln -s /usr/share/gridengine/util "$D/util"
    echo "$name" >"$COMMON/act_qmaster"
    # SGE checks that the name a peer gives itself is the one its address resolves back to; where
    # they differ, that name is made an alias of this host
    {
        echo "# written by etc/ci/gridengine.sh: $name resolves to an address that resolves back to $alias"
        if [ "$alias" != "$name" ]; then echo "$name $alias"; fi
    } >"$COMMON/host_aliases"
    cat >"$COMMON/bootstrap" <<CONF
# written by etc/ci/gridengine.sh
admin_user              none
default_domain          none
ignore_fqdn             true
spooling_method         classic
spooling_lib            libspoolc
spooling_params         $COMMON;$D/$SGE_CELL/qmaster
binary_path             $D/bin
qmaster_spool_dir       $D/$SGE_CELL/qmaster
security_mode           none
job_spooling            true
listener_threads        2
worker_threads          2
scheduler_threads       1
CONF
    # the global configuration: Debian's, with root jobs (min_uid 0), no login shells (which would
    # read the user's ~/.profile), no mail, quick load reports
    sed -e "s|^execd_spool_dir .*|execd_spool_dir        $D/$SGE_CELL/execd|" \
        -e 's|^mailer .*|mailer                 /bin/true|' \
        -e 's|^min_uid .*|min_uid                0|' \
        -e 's|^min_gid .*|min_gid                0|' \
        -e 's|^login_shells .*|login_shells           none|' \
        -e 's|^load_report_time .*|load_report_time       00:00:05|' \
        -e 's|^administrator_mail .*|administrator_mail     none|' \
        -e 's|^reporting_params .*|reporting_params       accounting=true reporting=false flush_time=00:00:01 joblog=false sharelog=00:00:00|' \
        /usr/share/gridengine/default-configuration >"$D/templates/configuration"
    printf 'hostname %s\n' "$name" >"$D/templates/adminhosts/$name"
    printf 'hostname %s\n' "$name" >"$D/templates/submithosts/$name"
    cat >"$D/templates/exechosts/$name" <<CONF
hostname              $name
load_scaling          NONE
complex_values        NONE
user_lists            NONE
xuser_lists           NONE
projects              NONE
xprojects             NONE
usage_scaling         NONE
report_variables      NONE
CONF
    # the queue: no load thresholds, as the tests load the machine and the queue must not go into
    # alarm for it; a job script's #! line is obeyed (unix_behavior)
    cat >"$D/templates/$QUEUE" <<CONF
qname                 $QUEUE
hostlist              $name
seq_no                0
load_thresholds       NONE
suspend_thresholds    NONE
nsuspend              1
suspend_interval      00:05:00
priority              0
min_cpu_interval      00:05:00
processors            UNDEFINED
qtype                 BATCH INTERACTIVE
ckpt_list             NONE
pe_list               smp
rerun                 FALSE
slots                 $SLOTS
tmpdir                /tmp
shell                 /bin/sh
prolog                NONE
epilog                NONE
shell_start_mode      unix_behavior
starter_method        NONE
suspend_method        NONE
resume_method         NONE
terminate_method      NONE
notify                00:00:60
owner_list            NONE
user_lists            NONE
xuser_lists           NONE
subordinate_list      NONE
complex_values        NONE
projects              NONE
xprojects             NONE
calendar              NONE
initial_state         default
s_rt                  INFINITY
h_rt                  INFINITY
s_cpu                 INFINITY
h_cpu                 INFINITY
s_fsize               INFINITY
h_fsize               INFINITY
s_data                INFINITY
h_data                INFINITY
s_stack               INFINITY
h_stack               INFINITY
s_core                INFINITY
h_core                INFINITY
s_rss                 INFINITY
h_rss                 INFINITY
s_vmem                INFINITY
h_vmem                INFINITY
CONF
    # what needs no qmaster is spooled before it first starts; the queue (whose queue instances
    # only the qmaster makes) and the scheduler's configuration are added through it, in start
    local spool=(/usr/lib/gridengine/spooldefaults)
    {
        /usr/lib/gridengine/spoolinit classic libspoolc "$COMMON;$D/$SGE_CELL/qmaster" init
        "${spool[@]}" configuration "$D/templates/configuration"
        "${spool[@]}" complexes /usr/share/gridengine/util/resources/centry
        "${spool[@]}" usersets /usr/share/gridengine/util/resources/usersets
        "${spool[@]}" pes /usr/share/gridengine/util/resources/pe
        "${spool[@]}" managers root
        "${spool[@]}" operators root
        "${spool[@]}" adminhosts "$D/templates/adminhosts"
        "${spool[@]}" submithosts "$D/templates/submithosts"
        "${spool[@]}" exechosts "$D/templates/exechosts"
    } >"$D/spool.log" 2>&1 || { cat "$D/spool.log" >&2; die "could not make the cell in $D"; }
    touch "$D/made"
    say "gridengine: made the cell in $D"
}

# the queue and the scheduler, once, through the running qmaster: a job starts within a second or
# two of its submission (the scheduler runs every second, and on each submission and end)
queue() {
    [ ! -f "$D/queued" ] || return 0
    local out
    if ! qconf -sq "$QUEUE" >/dev/null 2>&1; then
        out=$(qconf -Aq "$D/templates/$QUEUE" 2>&1) || die "could not add the queue $QUEUE: $out"
    fi
    qconf -ssconf | sed \
        -e 's/^\(schedule_interval *\).*/\10:0:1/' \
        -e 's/^\(flush_submit_sec *\).*/\11/' \
        -e 's/^\(flush_finish_sec *\).*/\11/' \
        -e 's/^\(job_load_adjustments *\).*/\1NONE/' \
        -e 's/^\(load_adjustment_decay_time *\).*/\10:0:0/' >"$D/templates/sched_configuration"
    out=$(qconf -Msconf "$D/templates/sched_configuration" 2>&1) || die "could not configure the scheduler: $out"
    touch "$D/queued"
}

start() {
    configure
    cat >"$D/env.sh" <<CONF
# written by etc/ci/gridengine.sh: what the Grid Engine clients need
export SGE_ROOT=$SGE_ROOT SGE_CELL=$SGE_CELL SGE_QMASTER_PORT=$SGE_QMASTER_PORT SGE_EXECD_PORT=$SGE_EXECD_PORT
CONF
    if ! running sge_qmaster && ! running sge_execd; then
        for port in "$SGE_QMASTER_PORT" "$SGE_EXECD_PORT"; do
            if ss -Hltn "sport = :$port" | grep -q .; then die "port $port is taken by a process that is not ours"; fi
        done
    fi
    if running sge_qmaster; then
        say "sge_qmaster: running (pid $(pid sge_qmaster))"
    else
        daemon sge_qmaster
        wait_for 20 running sge_qmaster || die "sge_qmaster did not start: $(tail -n 5 "$D/$SGE_CELL/qmaster/messages" 2>&1)"
        say "sge_qmaster: started (pid $(pid sge_qmaster))"
        # an execd that outlived its qmaster takes some 30 s to find the new one, a new one no time;
        # its jobs run on meanwhile, and it takes them up again
        halt sge_execd "$(pidfile sge_execd)" "$BIN/sge_execd"
    fi
    wait_for 20 qconf -sh >/dev/null 2>&1 || die "sge_qmaster does not answer: $(qconf -sh 2>&1)"
    queue
    if running sge_execd; then
        say "sge_execd: running (pid $(pid sge_execd))"
    else
        daemon sge_execd
        wait_for 20 running sge_execd || die "sge_execd did not start: $(tail -n 5 "$D/$SGE_CELL"/execd/*/messages 2>&1)"
        say "sge_execd: started (pid $(pid sge_execd))"
    fi
    wait_for 30 ready || die "queue $QUEUE does not take jobs: $(qstat -f -q "$QUEUE" 2>&1 | tail -n 1)"
    say "gridengine: queue $QUEUE@$(host), $SLOTS slots; clients: source $D/env.sh"
}

stop() {
    if running sge_qmaster; then
        # all users' jobs; -f: also those the execd does not answer for
        if jobs_left; then
            timeout 10 qdel -f -u '*' >/dev/null 2>&1 || true
            wait_for 15 eval '! jobs_left' || say "jobs still there: $(qstat -u '*' | tail -n +3 | awk '{print $1}' | tr '\n' ' ')"
        fi
    fi
    halt sge_execd "$(pidfile sge_execd)" "$BIN/sge_execd"
    halt sge_qmaster "$(pidfile sge_qmaster)" "$BIN/sge_qmaster"
}

status() {
    local bad=0 name
    for name in sge_qmaster sge_execd; do
        if running "$name"; then say "$name: running (pid $(pid "$name"))"; else say "$name: down"; bad=1; fi
    done
    return $bad
}

case "${1:-start}" in
    packages) needs ;;
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 [start|stop|status|packages]" >&2; exit 2 ;;
esac
