# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The mpi recruiter, with the real launchers of OpenMPI and MPICH: on this host, and from the test
host h1 onto h2 and h3, each a network namespace with its own hostname and sshd
"""

# externals
import json
import os
import shutil
import subprocess
import sys

import pytest

# the package
from pyre_nexus.exceptions import Casualty, RecruitmentError

# the drills
from tests import tasks
from tests.patience import PATIENCE
from tests.recruiters import drill


# the recruiter, by its family name: its short name 'mpi' resolves only once per process, since
# pyre then registers its own package 'mpi' under that name (see test_short_name)
MPI = "pyre_nexus.recruiters.mpi"
# the root of the checkout, where the teams in subprocesses find the tests
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# a team named 'drill', configured on its command line, that runs tasks until it has seen every
# crew, then a thousand more, and prints where its crews were
WHERE = """
import json
import pyre_nexus
from tests.patience import PATIENCE
from tests.recruiters import drill

def whereami(seconds):
    import os, socket, time
    time.sleep(seconds)
    return socket.gethostname(), os.getpid()

team = pyre_nexus.staff()(name="drill")
seen = set()
for _ in range(20):
    seen.update(team.map(whereami, [0.05] * (4 * team.size), timeout=PATIENCE))
    if len(seen) >= team.size:
        break
drill.thousand(team)
print(json.dumps({"hosts": sorted({host for host, _ in seen}), "crews": len(seen)}), flush=True)
team.shutdown()
"""


@pytest.fixture(params=["openmpi", "mpich"])
def mpi(request, monkeypatch):
    """
    Each MPI flavour, with what its launcher needs in the environment
    """
    # get it
    flavour = request.getfixturevalue(request.param)
    # and set up the environment its launcher needs, here and in the teams this test starts
    for name, value in flavour.env.items():
        monkeypatch.setenv(name, value)
    # all done
    return flavour


def settings(mpi, monkeypatch, remote=False, **traits):
    """
    The settings of an mpi recruiter that uses the launcher of {mpi}, on this host or, when
    {remote}, onto the test hosts; the --mca options of OpenMPI go in the environment, as
    OMPI_MCA_ variables, since pyre splits their values, e.g. 'self,tcp', at the commas
    """
    # the launcher options
    options = []
    words = list(mpi.remote) if remote else []
    while words:
        word = words.pop(0)
        if word == "--mca":
            name, value = words.pop(0), words.pop(0)
            monkeypatch.setenv(f"OMPI_MCA_{name}", value)
        else:
            options.append(word)
    # the settings
    found = {"launcher": mpi.launch[0], "options": options}
    found.update(traits)
    # all done
    return found


def test_thousand(make_team, mpi, monkeypatch):
    """
    A thousand tasks on the ranks of an MPI job
    """
    drill.thousand(drill.team(make_team, MPI, **settings(mpi, monkeypatch)))


def test_crash(make_team, mpi, monkeypatch):
    """
    A rank whose worker dies is replaced, and its task is the casualty
    """
    drill.crash(drill.team(make_team, MPI, **settings(mpi, monkeypatch)))


def test_orphans(mpi, monkeypatch):
    """
    No rank outlives its SIGKILLed team
    """
    drill.orphans(options=drill.options("mpi", settings(mpi, monkeypatch)))


def test_kill_spares_the_job(make_team, mpi, monkeypatch, tmp_path):
    """
    A crew the team kills, here for a cancellation, takes only its own task with it: the other
    rank of its job finishes its task, although the launchers end a job when one of its
    processes is killed (MPICH) or fails (OpenMPI)
    """
    drill.spare(drill.team(make_team, MPI, **settings(mpi, monkeypatch)), tmp_path)


def test_hosts(mpi, monkeypatch, hosts):
    """
    A team on h1 whose ranks run on h2 and h3: every task reports the host of its rank
    """
    # the team's settings: ranks on h2 and h3, one slot each
    words = drill.options("mpi", settings(mpi, monkeypatch, remote=True, hosts=["h2", "h3"]))
    # run it on h1
    team = subprocess.run(
        [*hosts.run("h1"), sys.executable, "-c", WHERE, "--drill.size=2", *words],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        timeout=2 * PATIENCE,
    )
    assert team.returncode == 0
    report = json.loads(team.stdout.decode().strip().splitlines()[-1])
    # both crews ran tasks, one on each host
    assert report == {"hosts": ["h2", "h3"], "crews": 2}


def test_hosts_orphans(mpi, monkeypatch, hosts, tmp_path):
    """
    No rank on any host outlives its SIGKILLed team on h1; the hosts come from a host file
    """
    # the hosts
    hostfile = tmp_path / "hosts"
    hostfile.write_text("h2\nh3\n")
    # the team on h1
    words = drill.options("mpi", settings(mpi, monkeypatch, remote=True, hostfile=str(hostfile)))
    news = drill.orphans(options=words, size=2, prefix=hosts.run("h1"))
    # its workers were on the other hosts
    assert len(news["pids"]) == 2


def test_default_launcher(make_team, openmpi, monkeypatch):
    """
    Without a launcher, the recruiter finds the one on the PATH and runs its ranks
    """
    # the environment of OpenMPI, in case the one on the PATH is OpenMPI's
    for name, value in openmpi.env.items():
        monkeypatch.setenv(name, value)
    # no launcher
    staff = drill.team(make_team, MPI, size=1)
    assert staff.submit(tasks.echo, 5).result(timeout=PATIENCE) == 5
    # it used the one on the PATH
    assert os.path.realpath(staff.recruiter.locate()) == os.path.realpath(shutil.which("mpirun"))


def test_bad_launcher(make_team):
    """
    A launcher that does not exist is a recruitment error that names it
    """
    staff = drill.team(make_team, MPI, size=1, launcher="/nonexistent/mpirun")
    error = staff.submit(tasks.noop).exception(timeout=PATIENCE)
    assert isinstance(error, RecruitmentError)
    assert "/nonexistent/mpirun" in str(error)


def test_not_mpi(make_team):
    """
    A launcher that is neither OpenMPI's nor a hydra is a recruitment error that names it
    """
    staff = drill.team(make_team, MPI, size=1, launcher="/bin/echo")
    error = staff.submit(tasks.noop).exception(timeout=PATIENCE)
    assert isinstance(error, RecruitmentError)
    assert "'/bin/echo' is neither" in str(error)


def test_never_connects(make_team, mpi, monkeypatch, tmp_path):
    """
    Ranks that never connect are a recruitment error that names the timeout and the command
    """
    # an interpreter that just sleeps
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nexec sleep 60\n")
    fake.chmod(0o755)
    traits = settings(mpi, monkeypatch, python=str(fake), timeout="3*s")
    staff = drill.team(make_team, MPI, size=1, **traits)
    error = staff.submit(tasks.noop).exception(timeout=PATIENCE)
    assert isinstance(error, RecruitmentError)
    assert "no worker registered within 3 s" in str(error)
    assert f"`{mpi.launch[0]} " in str(error) and str(fake) in str(error)


def test_busy_rank_is_not_lost(make_team, mpi, monkeypatch):
    """
    A rank whose task holds the interpreter lock for five heartbeats, so it cannot beat, is
    vouched for by the supervisor beside it, through the launcher's stderr: at work, not lost
    """
    drill.busy(drill.team(make_team, MPI, size=1, **settings(mpi, monkeypatch, heartbeat="1*s")))


def test_casualty_status(make_team, mpi, monkeypatch):
    """
    A rank that dies alone in its job is a casualty whose status is unknown, rather than that
    of the launcher
    """
    staff = drill.team(make_team, MPI, size=1, **settings(mpi, monkeypatch))
    error = staff.submit(tasks.leave, 3).exception(timeout=PATIENCE)
    assert isinstance(error, Casualty)
    assert "status is unknown" in str(error)


def test_short_name():
    """
    The short name 'mpi' picks the recruiter even after pyre's own package 'mpi' was imported,
    as in any pyre application that uses MPI, or after a first team resolved it
    """
    # a team after pyre's mpi package
    script = "import mpi, pyre_nexus; pyre_nexus.staff()(name='t').recruiter = 'mpi'"
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=PATIENCE)
    assert run.returncode == 0, run.stdout.decode()[-300:]


# end of file
