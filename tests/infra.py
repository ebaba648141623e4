# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The services that `bash etc/ci/infra.sh start` runs for the integration tests, described for the
tests, and the session fixtures that hand them out:

    sshd      an sshd for root on 127.0.0.1:42222, known to ssh as "nexus-local"
    hosts     the test hosts h1, h2, h3: network namespaces, each with its own hostname and sshd
    openmpi   OpenMPI's mpirun, with what it needs to run as root on few cores, here or onto hosts
    mpich     MPICH's mpiexec, likewise
    slurm     a single node Slurm
    gridengine  a single node Grid Engine (Son of Grid Engine 8.1.9)

Each fixture checks once per session that its service really works. When it does not, a test
that asks for it fails if the environment variable CI is set (CI must run everything), and is
skipped otherwise; either way the reason names what is missing and how to start it.

All the state lives under $NEXUS_INFRA, /tmp/pyre_nexus-infra by default, as in etc/ci/.
"""

# externals
import dataclasses
import functools
import os
import pathlib
import signal
import subprocess
import time

import pytest


# what {from tests.infra import *} brings into a conftest
__all__ = ["sshd", "hosts", "openmpi", "mpich", "slurm", "gridengine"]


# where things are
INFRA = pathlib.Path(os.environ.get("NEXUS_INFRA") or "/tmp/pyre_nexus-infra")
REPO = pathlib.Path(__file__).resolve().parent.parent
ONHOST = REPO / "etc" / "ci" / "onhost"
SSH_DIR = INFRA / "ssh"
SLURM_DIR = INFRA / "slurm"
SGE_ROOT = INFRA / "gridengine"
# as in etc/ci/lib.sh and etc/ci/gridengine.sh
SSHD_PORT = int(os.environ.get("NEXUS_SSHD_PORT") or 42222)
SGE_QMASTER_PORT = int(os.environ.get("NEXUS_SGE_QMASTER_PORT") or 16444)
SGE_EXECD_PORT = int(os.environ.get("NEXUS_SGE_EXECD_PORT") or 16445)
NET = "10.232.0"
HOSTS = 3
# how to get them
START = "start the test services with `bash etc/ci/infra.sh start` (as root)"


@dataclasses.dataclass(frozen=True)
class SSHD:
    """
    The local sshd: key only, as root, on 127.0.0.1:{port}; {config} names it {host}

    The remote side joins the words of the command and hands them to a shell, so quote
    arguments for it (shlex.join) or pass code in a form that needs none
    """

    # the name of the sshd in {config}
    host: str = "nexus-local"
    address: str = "127.0.0.1"
    port: int = SSHD_PORT
    user: str = "root"
    # the ssh client configuration: this sshd and the test hosts, with key and options
    config: pathlib.Path = SSH_DIR / "ssh_config"
    # an executable that is {ssh -F config}: for launchers that take a single program
    ssh: pathlib.Path = SSH_DIR / "ssh"
    # the user's private key
    key: pathlib.Path = SSH_DIR / "id_ed25519"
    # the pid file of the listening sshd
    pidfile: pathlib.Path = SSH_DIR / "sshd.pid"

    def command(self, *args):
        """
        The argv that runs {args} through this sshd
        """
        return [str(self.ssh), self.host, *map(str, args)]


@dataclasses.dataclass(frozen=True)
class Hosts:
    """
    The test hosts h1..h3: network namespaces nexus-h1.. joined by a bridge, each with its
    hostname, its own 127.0.0.1 and port space, and an sshd on port 22; the file system is
    shared, so this checkout and its venv are where they are here. This (the root) namespace is
    on their network as {local_address}, "h0" to them: a test process here listens there for
    workers on the hosts to connect back to, and reaches the hosts by ssh directly
    """

    names: tuple = tuple(f"h{i}" for i in range(1, HOSTS + 1))
    addresses: dict = dataclasses.field(
        default_factory=lambda: {f"h{i}": f"{NET}.{i}" for i in range(1, HOSTS + 1)}
    )
    namespaces: dict = dataclasses.field(
        default_factory=lambda: {f"h{i}": f"nexus-h{i}" for i in range(1, HOSTS + 1)}
    )
    # the network of the hosts, and the address of this namespace on it
    network: str = f"{NET}.0/24"
    local: str = "h0"
    local_address: str = f"{NET}.254"
    # ssh onto the hosts, from here or from any of them: the same as for the local sshd
    config: pathlib.Path = SSH_DIR / "ssh_config"
    ssh: pathlib.Path = SSH_DIR / "ssh"
    # the runner: etc/ci/onhost I CMD...
    onhost: pathlib.Path = ONHOST

    def run(self, host):
        """
        The argv prefix that runs a command on {host}, given as 2 or "h2"
        """
        number = str(host).removeprefix("h")
        if f"h{number}" not in self.names:
            raise ValueError(f"no test host {host!r}; there are {', '.join(self.names)}")
        return ["/bin/sh", str(self.onhost), number]

    def command(self, host, *args):
        """
        The argv that runs {args} on {host} through its sshd; works from here and from the hosts
        """
        return [str(self.ssh), f"h{str(host).removeprefix('h')}", *map(str, args)]


@dataclasses.dataclass(frozen=True)
class OpenMPI:
    """
    OpenMPI 4.1: {mpirun} with {env} added to the environment (as root, more ranks than cores);
    add {remote} to launch onto the test hosts, e.g. from here or from a host:

        [*openmpi.launch, *openmpi.remote, "--host", "h2:2,h3:2", "-n", "4", sys.executable, ...]

    ranks on other hosts see only the OMPI_* variables and those named with -x NAME
    """

    mpirun: str = "/usr/bin/mpirun.openmpi"
    env: dict = dataclasses.field(
        default_factory=lambda: {
            "OMPI_ALLOW_RUN_AS_ROOT": "1",
            "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
            "OMPI_MCA_rmaps_base_oversubscribe": "1",
            "OMPI_MCA_btl": "self,vader,tcp",
        }
    )
    remote: tuple = (
        "--mca", "plm_rsh_agent", str(SSH_DIR / "ssh"),
        "--mca", "oob_tcp_if_include", f"{NET}.0/24",
        "--mca", "pml", "ob1",
        "--mca", "btl", "self,tcp",
        "--mca", "btl_tcp_if_include", f"{NET}.0/24",
    )  # fmt: skip

    @property
    def launch(self):
        """
        The argv prefix of a launch
        """
        return [self.mpirun]


@dataclasses.dataclass(frozen=True)
class MPICH:
    """
    MPICH 4.0 (hydra): {mpiexec}; add {remote} to launch onto the test hosts, e.g.

        [*mpich.launch, *mpich.remote, "-hosts", "h2:2,h3:2", "-n", "4", sys.executable, ...]

    ranks get the whole environment of mpiexec, on every host; their output lines may run
    together
    """

    mpiexec: str = "/usr/bin/mpiexec.mpich"
    env: dict = dataclasses.field(default_factory=dict)
    remote: tuple = ("-launcher", "ssh", "-launcher-exec", str(SSH_DIR / "ssh"))

    @property
    def launch(self):
        """
        The argv prefix of a launch
        """
        return [self.mpiexec]


@dataclasses.dataclass(frozen=True)
class Slurm:
    """
    Single node Slurm 22.05 on this machine: run {srun} with {env} added to the environment;
    more tasks than {cpus} need --overcommit (--oversubscribe only queues them); after a job
    the node may take a few seconds before it starts the next
    """

    conf: pathlib.Path = SLURM_DIR / "slurm.conf"
    srun: str = "/usr/bin/srun"
    sinfo: str = "/usr/bin/sinfo"
    partition: str = "debug"
    node: str = dataclasses.field(default_factory=lambda: os.uname().nodename.split(".")[0])
    cpus: int = dataclasses.field(default_factory=os.cpu_count)

    @property
    def env(self):
        """
        What the Slurm clients need in their environment
        """
        return {"SLURM_CONF": str(self.conf)}


@dataclasses.dataclass(frozen=True)
class GridEngine:
    """
    Single node Grid Engine (Son of Grid Engine 8.1.9) on this machine: run {qsub} and the other
    clients with {env} added to the environment; the queue {queue} has {slots} slots on this
    host, and a job starts within a second or two of its submission.

    What a job gets: it runs as its submitter (root too), in $HOME unless -cwd; its environment
    is what SGE sets (PATH=$TMP:/usr/local/bin:/bin:/usr/bin, HOME, USER, JOB_ID, JOB_NAME,
    SGE_TASK_ID, "undefined" outside array jobs, NSLOTS, QUEUE, TMP, SGE_O_*, SGE_ROOT ...) plus
    what -v or -V adds; there is no TMPDIR, and no LD_* even when passed with -v. What -v and -V
    pass, `qstat -j` shows to every user: no secrets there. `-b y` runs its arguments as one
    `sh -c` line, joined by spaces; `-b y -shell no` executes them as given. `qdel` and h_rt
    SIGKILL the job's process group (a process of a root job that made a session of its own
    survives). A job whose command cannot be started waits in state Eqw until it is deleted. A
    `qsub -sync y` exits with the job's status, 1 if a signal ended it, but 0 (saying "Unable to
    run job N") if the job was deleted; it deletes its job when it gets SIGINT or SIGTERM, not
    when it is SIGKILLed.
    """

    root: pathlib.Path = SGE_ROOT
    cell: str = "default"
    qmaster_port: int = SGE_QMASTER_PORT
    execd_port: int = SGE_EXECD_PORT
    # Debian's wrappers of the clients
    qsub: str = "/usr/bin/qsub"
    qstat: str = "/usr/bin/qstat"
    qdel: str = "/usr/bin/qdel"
    qacct: str = "/usr/bin/qacct"
    qrsh: str = "/usr/bin/qrsh"
    queue: str = "all.q"
    slots: int = 8
    # the name the host has in the cell, as in all.q@{host}
    host: str = dataclasses.field(default_factory=lambda: os.uname().nodename.split(".")[0])
    # the pid files of the daemons; sge_execd keeps its under a directory named as it calls
    # itself, which need not be {host}
    qmaster_pidfile: pathlib.Path = SGE_ROOT / "default" / "qmaster" / "qmaster.pid"
    execd_spool: pathlib.Path = SGE_ROOT / "default" / "execd"

    @property
    def env(self):
        """
        What the Grid Engine clients need in their environment
        """
        return {
            "SGE_ROOT": str(self.root),
            "SGE_CELL": self.cell,
            "SGE_QMASTER_PORT": str(self.qmaster_port),
            "SGE_EXECD_PORT": str(self.execd_port),
        }


# the fixtures
@pytest.fixture(scope="session")
def sshd():
    """
    The local sshd, see {SSHD}
    """
    _need("sshd", _sshd_problem())
    return SSHD()


@pytest.fixture(scope="session")
def hosts():
    """
    The test hosts, see {Hosts}
    """
    _need("hosts (h1..h3)", _hosts_problem())
    return Hosts()


@pytest.fixture(scope="session")
def openmpi():
    """
    OpenMPI, see {OpenMPI}
    """
    _need("openmpi", _missing(OpenMPI.mpirun, "/usr/bin/orted"))
    return OpenMPI()


@pytest.fixture(scope="session")
def mpich():
    """
    MPICH, see {MPICH}
    """
    _need("mpich", _missing(MPICH.mpiexec, "/usr/bin/hydra_pmi_proxy"))
    return MPICH()


@pytest.fixture(scope="session")
def slurm():
    """
    Slurm, see {Slurm}
    """
    _need("slurm", _slurm_problem())
    return Slurm()


@pytest.fixture(scope="session")
def gridengine():
    """
    Grid Engine, see {GridEngine}
    """
    _need("gridengine", _gridengine_problem())
    return GridEngine()


# implementation details
def _need(service, problem):
    """
    Fail under CI, skip elsewhere, when {service} has a {problem}
    """
    if problem is None:
        return
    reason = f"test service {service} is not available: {problem}; {START}"
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _missing(*paths):
    """
    Which of {paths} are not executables, if any
    """
    missing = [str(path) for path in paths if not os.access(path, os.X_OK)]
    return f"no {', '.join(missing)}" if missing else None


def _ours(pidfile, mark):
    """
    Whether the pid in {pidfile} is a live process whose command line holds {mark}
    """
    try:
        pid = int(pathlib.Path(pidfile).read_text())
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
        cmdline = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except (OSError, ValueError):
        return False
    return str(mark).encode() in cmdline


def _run(argvs, timeout=15):
    """
    Run the commands in {argvs} at once; the first that failed, as a message, or None
    """
    started = [
        (argv, subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,
        ))
        for argv in argvs
    ]  # fmt: skip
    expiration = time.monotonic() + timeout
    problem = None
    for argv, process in started:
        try:
            _, err = process.communicate(timeout=max(0.1, expiration - time.monotonic()))
        except subprocess.TimeoutExpired:
            # the command and what it started
            os.killpg(process.pid, signal.SIGKILL)
            _, err = process.communicate()
            problem = problem or f"`{' '.join(argv)}` took more than {timeout} s"
            continue
        if process.returncode != 0 and problem is None:
            detail = err.decode(errors="replace").strip().splitlines()
            problem = f"`{' '.join(argv)}` exited with {process.returncode}" + (
                f": {detail[-1]}" if detail else ""
            )
    return problem


@functools.cache
def _sshd_problem():
    """
    Why the local sshd does not work, or None
    """
    if missing := _missing(SSHD.ssh, "/usr/bin/ssh"):
        return missing
    if not _ours(SSHD.pidfile, SSH_DIR / "sshd_config"):
        return f"no sshd of ours runs (pid file {SSHD.pidfile})"
    return _run([SSHD().command("true")])


@functools.cache
def _hosts_problem():
    """
    Why the test hosts do not work, or None
    """
    if os.geteuid() != 0:
        return "they need root"
    if missing := _missing(Hosts.ssh, "/usr/bin/ssh", "/usr/sbin/ip", "/usr/bin/unshare"):
        return missing
    each = Hosts()
    for name, namespace in each.namespaces.items():
        if not pathlib.Path("/run/netns", namespace).exists():
            return f"no network namespace {namespace}"
        pidfile = SSH_DIR / f"sshd-{name}.pid"
        if not _ours(pidfile, pidfile):
            return f"the sshd of {name} does not run (pid file {pidfile})"
    # ssh from the first host onto each, and from here onto the others; each has its name
    first = each.names[0]
    named = {name: each.command(name, "test", "$(hostname)", "=", name) for name in each.names}
    return _run(
        [[*each.run(first), *named[name]] for name in each.names]
        + [named[name] for name in each.names[1:]]
    )


@functools.cache
def _slurm_problem():
    """
    Why Slurm does not work, or None
    """
    if missing := _missing(Slurm.srun, Slurm.sinfo):
        return missing
    if not Slurm.conf.exists():
        return f"no {Slurm.conf}"
    for daemon, mark in [
        ("munged", SLURM_DIR / "munge" / "munge.socket.2"),
        ("slurmctld", Slurm.conf),
        ("slurmd", Slurm.conf),
    ]:
        if not _ours(SLURM_DIR / f"{daemon}.pid", mark):
            return f"no {daemon} of ours runs (pid file {SLURM_DIR / daemon}.pid)"
    env = {**os.environ, **Slurm().env}
    states, problem = _probe("sinfo", [Slurm.sinfo, "-h", "-N", "-o", "%T"], env=env, timeout=15)
    if problem:
        return problem
    if not {"idle", "mixed", "allocated", "completing"} & set(states.split()):
        return f"no node takes jobs (sinfo: {' '.join(states.split()) or 'no nodes'})"
    return _probe("srun -n 1 true", [Slurm.srun, "-n", "1", "true"], env=env, timeout=30)[1]


@functools.cache
def _gridengine_problem():
    """
    Why Grid Engine does not work, or None
    """
    engine = GridEngine()
    if missing := _missing(engine.qsub, engine.qstat, "/usr/lib/gridengine/sge_qmaster"):
        return missing
    binaries = engine.root / "bin" / "lx-amd64"
    if not _ours(engine.qmaster_pidfile, binaries / "sge_qmaster"):
        return f"no sge_qmaster of ours runs (pid file {engine.qmaster_pidfile})"
    if not any(_ours(pidfile, binaries / "sge_execd") for pidfile in engine.execd_spool.glob("*/execd.pid")):
        return f"no sge_execd of ours runs (pid file {engine.execd_spool}/*/execd.pid)"
    env = {**os.environ, **engine.env}
    _, problem = _probe("qstat", [engine.qstat, "-f", "-q", engine.queue], env=env, timeout=15)
    if problem:
        return problem
    probe = f"nexus-probe-{os.getpid()}"
    qsub = [engine.qsub, "-sync", "y", "-N", probe, "-b", "y", "-o", "/dev/null", "-j", "y", "true"]
    _, problem = _probe("qsub -sync y -b y true", qsub, env=env, timeout=30)
    # a job outlives its qsub, killed when it took too long
    if problem and "took more than" in problem:
        subprocess.run([engine.qdel, probe], env=env, capture_output=True, timeout=15, check=False)
    return problem


def _probe(what, argv, env, timeout):
    """
    Run {argv}, called {what}, with {env} for at most {timeout} seconds: its output, and why it
    failed, or None
    """
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False, cwd="/")
    except subprocess.TimeoutExpired:
        return "", f"{what} took more than {timeout} s"
    if done.returncode != 0:
        return done.stdout, f"{what} exited with {done.returncode}: {done.stderr.strip()}"
    return done.stdout, None


# end of file
