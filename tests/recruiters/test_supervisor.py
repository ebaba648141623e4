# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The supervisor, the process outside the team's that ends its crews when the team dies, and the
liveness of local crews, with real processes and tasks that hold the interpreter lock:

- a team SIGKILLed while its forked or spawned crews run a regular expression that backtracks
  without end, which never lets go of the lock, after starting a process of their own: every
  crew and every process its task started is gone within the bound, and so is the supervisor
- the same for worker shells out of the team's reach, as on another host, with a supervisor of
  their own beside them, which lets them leave on their own when the team shuts down
- a spawned crew that holds the lock for 5 s while it pickles its result, so its heartbeat
  cannot beat, is alive and at work, not lost
- the supervisor watches every crew the team has, is replaced if it is killed, and is gone, reaped,
  once the team shuts down
"""

# externals
import json
import os
import signal
import subprocess
import sys
import time

import pytest

# the tasks and the helpers
from tests import tasks
from tests.conftest import alive, wait_until
from tests.patience import PATIENCE
from tests.recruiters import drill


# how long the crews of a SIGKILLed team, and what their tasks started, may outlive it: generous,
# for a loaded machine; the time it takes is printed
BOUND = 5.0


# the script of a team that the tests SIGKILL: its crews run tasks that start a process and then
# hold the interpreter lock for good; it prints the pid of its supervisor and waits
DOOMED = r"""
import json, os, re, subprocess, sys
import pyre_nexus

def hold(folder):
    # a process of my own, in my process group
    sleeper = subprocess.Popen(["sleep", "1000"])
    # say so, in a file named after me
    path = os.path.join(folder, str(os.getpid()))
    with open(path + ".part", "w") as stream:
        stream.write(str(sleeper.pid))
    os.rename(path + ".part", path)
    # and backtrack without end, in C, without letting go of the interpreter lock
    re.match(r"(a+)+$", "a" * 40 + "b")

recruiter, folder, size, traits = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
staff = pyre_nexus.staff()(name="doomed", size=size, pipeline=1)
staff.recruiter = recruiter
for name, value in traits.items():
    setattr(staff.recruiter, name, value)
# all crews at once, so a recruiter that can puts several in one launch
staff.crews.extend(staff.recruiter.recruit(team=staff, count=size))
futures = [staff.submit(hold, folder) for _ in range(size)]
print(staff.supervisor.pid, flush=True)
staff.wait(futures)
"""

# an ssh client, as far as the team can tell: it runs the remote command here, in a session of
# its own, out of reach of the team and its supervisor, as on another host
SSH = """#!/bin/sh
for last; do :; done
exec setsid -w sh -c "$last"
"""


# helpers
@pytest.fixture
def doomed(tmp_path):
    """
    Start teams whose tasks hold the lock, and leave nothing of them behind, whatever happens
    """
    # the teams, and the folders their tasks leave files in
    started = []

    def start(recruiter, size=2, **traits):
        """
        Start a team of {size} crews recruited by {recruiter}, with {traits}; returns the
        process, the pid of its supervisor, and its crews, each with the process its task
        started, once every one holds the lock
        """
        # the script, and the files its tasks leave
        where = tmp_path / f"team-{len(started)}"
        where.mkdir()
        script = where / "doomed.py"
        script.write_text(DOOMED)
        folder = where / "holding"
        folder.mkdir()
        said = where / "stderr"
        with open(said, "w") as stderr:
            team = subprocess.Popen(
                [sys.executable, str(script), recruiter, str(folder), str(size), json.dumps(traits)],
                stdout=subprocess.PIPE,
                stderr=stderr,
            )
        started.append((team, folder))
        # its supervisor
        supervisor = int(team.stdout.readline() or 0)
        team.stdout.close()
        # and its crews, each holding the lock, with a sleeper
        assert supervisor, said.read_text()
        assert wait_until(lambda: len(held(folder)) == size, timeout=PATIENCE), said.read_text()
        return team, supervisor, held(folder)

    # hand over the factory
    yield start
    # and leave nothing: the teams, their crews, and what their tasks started
    for team, folder in started:
        if team.poll() is None:
            team.kill()
            team.wait()
        for crew, sleeper in held(folder).items():
            for pid in (crew, sleeper):
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)


def kill(team, everything):
    """
    SIGKILL {team} and check that {everything} is gone within the bound; returns how long that
    took, in seconds
    """
    # kill the team
    os.kill(team.pid, signal.SIGKILL)
    start = time.monotonic()
    assert team.wait(timeout=PATIENCE) == -signal.SIGKILL
    # and watch the rest go
    gone = wait_until(lambda: not any(alive(pid) for pid in everything), timeout=BOUND, interval=0.001)
    elapsed = time.monotonic() - start
    assert gone, f"left {elapsed:.1f} s after the team: {[pid for pid in everything if alive(pid)]}"
    # all done
    return elapsed


def client(folder):
    """
    Write the stand-in for an ssh client into {folder}; returns its path
    """
    ssh = folder / "ssh"
    ssh.write_text(SSH)
    ssh.chmod(0o755)
    return str(ssh)


def remote(crews):
    """
    The worker shells of {crews}, as if on another host, and the supervisors beside them
    """
    # a crew is its shell, or a child of it, e.g. of a shell that hosts several, or one in a
    # cgroup the shell made
    shells = {parent(pid) if "--launch=" in command(parent(pid)) else pid for pid in crews}
    # the supervisors are the shells' children that run the watch
    beside = {pid for pid in offspring(shells) if "Supervisor.py" in command(pid)}
    return shells, beside


def held(folder):
    """
    The crews that are holding the lock, and the processes they started, from the files in
    {folder}
    """
    # the complete files
    names = [name for name in os.listdir(folder) if not name.endswith(".part")]
    # name the crews, and hold the pids of their sleepers
    return {int(name): int((folder / name).read_text()) for name in names}


def watched(supervisor):
    """
    The processes {supervisor} holds a pidfd of
    """
    pids = set()
    for fd in os.listdir(f"/proc/{supervisor}/fd"):
        try:
            if "pidfd" not in os.readlink(f"/proc/{supervisor}/fd/{fd}"):
                continue
            with open(f"/proc/{supervisor}/fdinfo/{fd}") as info:
                fields = dict(line.split(":", 1) for line in info if ":" in line)
        except OSError:
            continue
        pids.add(int(fields["Pid"]))
    return pids


def offspring(parents=None):
    """
    The child processes of {parents}, this one by default, zombies included: what is left
    unreaped
    """
    parents = {os.getpid()} if parents is None else set(parents)
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and parent(int(entry)) in parents:
            found.append(int(entry))
    return found


def parent(pid):
    """
    The parent of {pid}, or 0 if it is gone
    """
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


def command(pid):
    """
    The command line of {pid}, or nothing if it is gone
    """
    try:
        with open(f"/proc/{pid}/cmdline") as cmdline:
            return cmdline.read().replace("\0", " ")
    except OSError:
        return ""


def workers(staff):
    """
    The pids of the crews of {staff}
    """
    return {crew.pid for crew in staff.crews}


def session(pid):
    """
    The session of {pid}
    """
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[3])


# the death of the team
@pytest.mark.timeout(60)
@pytest.mark.parametrize("recruiter", ["fork", "spawn"])
def test_team_killed_while_tasks_hold_the_lock(doomed, recruiter):
    """
    A team SIGKILLed while its crews hold the interpreter lock for good takes with it, within the
    bound, every crew, every process their tasks started, and its supervisor
    """
    team, supervisor, crews = doomed(recruiter)
    everything = [*crews, *crews.values(), supervisor]
    assert all(alive(pid) for pid in everything)
    # the supervisor watches the crews; a spawned crew is the launcher process itself
    assert wait_until(lambda: set(crews) <= watched(supervisor), timeout=PATIENCE)
    # kill the team
    elapsed = kill(team, everything)
    print(f"{recruiter}: the crews and their processes were gone {1e3 * elapsed:.1f} ms after the team's SIGKILL")


@pytest.mark.timeout(60)
def test_remote_shells_end_with_the_team(doomed, tmp_path):
    """
    Worker shells where the team's supervisor does not reach, as on another host, one hosting
    its crew itself and one hosting two in processes of their own, each with a supervisor
    beside it: a team SIGKILLed while their tasks hold the lock takes with it, within the bound,
    every crew, every process their tasks started, the shells and their supervisors
    """
    team, supervisor, crews = doomed("ssh", size=3, ssh=client(tmp_path), hosts=["one:1", "two:2"])
    # the shells, and the supervisors beside them, which a shell of several crews starts once
    # it has forked them, so perhaps after they took their tasks
    assert wait_until(lambda: len(remote(crews)[1]) == 2, timeout=PATIENCE), remote(crews)
    shells, beside = remote(crews)
    assert len(shells) == 2
    assert wait_until(lambda: set(crews) <= set().union(*map(watched, beside)), timeout=PATIENCE)
    # kill the team
    everything = [*crews, *crews.values(), *shells, *beside, supervisor]
    assert all(alive(pid) for pid in everything)
    elapsed = kill(team, everything)
    print(f"ssh: the crews and their processes were gone {1e3 * elapsed:.1f} ms after the team's SIGKILL")


@pytest.mark.timeout(60)
def test_remote_shells_leave_nothing(make_team, tmp_path):
    """
    A team whose worker shells run where its supervisor does not reach, as on another host, each
    with a supervisor beside it, shuts down and leaves nothing there: the shells leave on their
    own, not killed by their supervisors, which go with them
    """
    staff = drill.team(make_team, "ssh", size=3, ssh=client(tmp_path), hosts=["one:1", "two:2"])
    # the exit statuses the team hears of
    statuses = []
    bury = staff.bury
    staff.bury = lambda crew, status: (statuses.append(status), bury(crew=crew, status=status))[1]
    # work, with every crew
    staff.crews.extend(staff.recruiter.recruit(team=staff, count=3))
    assert list(staff.map(tasks.nap, [0.1] * 12, range(12), timeout=PATIENCE)) == list(range(12))
    shells, beside = remote(workers(staff))
    assert len(shells) == 2 and len(beside) == 2
    # shut down
    staff.shutdown(wait=True)
    assert wait_until(lambda: not any(alive(pid) for pid in [*shells, *beside]), timeout=PATIENCE)
    # the shell that hosted its crew itself speaks for it: it left with status 0; the other hosted two
    assert sorted(statuses, key=str) == [0, None, None]


# liveness
@pytest.mark.timeout(60)
def test_slow_pickling_is_not_lost(make_team):
    """
    A spawned crew that holds the interpreter lock for five heartbeats while it pickles its
    result is at work, not lost: the task has its result, nobody is a casualty, and the crew
    goes on
    """
    drill.busy(drill.team(make_team, "spawn", size=1, heartbeat="1*s"))


# the supervisor itself
@pytest.mark.timeout(60)
@pytest.mark.parametrize("recruiter", ["fork", "spawn"])
def test_supervisor_watches_the_crews_and_leaves_with_the_team(make_team, recruiter):
    """
    The supervisor starts with the first recruitment, in a session of its own, watches every
    crew while it lives, and is gone, reaped, when the team shuts down
    """
    staff = drill.team(make_team, recruiter, size=2)
    assert staff.supervisor.pid is None
    # the first recruitment starts it
    start = time.perf_counter()
    futures = [staff.submit(tasks.nap, 0.2, index) for index in range(4)]
    elapsed = time.perf_counter() - start
    print(f"{recruiter}: the first submission, two recruitments and the supervisor's start: {1e3 * elapsed:.1f} ms")
    supervisor = staff.supervisor.pid
    assert alive(supervisor) and session(supervisor) == supervisor
    # it watches every crew; a spawned crew is the launcher process
    assert [future.result(timeout=PATIENCE) for future in futures] == list(range(4))
    assert len(workers(staff)) == 2
    assert wait_until(lambda: watched(supervisor) - {os.getpid()} == workers(staff), timeout=PATIENCE)
    # a crew that dies is let go
    doomed = staff.submit(tasks.leave, 3)
    assert doomed.exception(timeout=PATIENCE) is not None
    assert staff.submit(tasks.echo, 7).result(timeout=PATIENCE) == 7
    assert wait_until(lambda: watched(supervisor) - {os.getpid()} == workers(staff), timeout=PATIENCE)
    # shut down, and it is gone, not even a zombie, as is everything else
    staff.shutdown(wait=True)
    assert staff.supervisor.pid is None
    assert not os.path.exists(f"/proc/{supervisor}")
    assert offspring() == []


@pytest.mark.timeout(60)
def test_killed_supervisor_is_replaced(make_team):
    """
    A supervisor that is killed is replaced at the next recruitment, and the new one watches the
    crews the old one watched, as well as the new
    """
    staff = make_team(size=2)
    assert list(staff.map(tasks.nap, [0.2] * 4, range(4), timeout=PATIENCE)) == list(range(4))
    old = staff.supervisor.pid
    os.kill(old, signal.SIGKILL)
    # a crew that dies is replaced, which is a recruitment
    assert staff.submit(tasks.leave, 3).exception(timeout=PATIENCE) is not None
    assert list(staff.map(tasks.echo, range(10), timeout=PATIENCE)) == list(range(10))
    new = staff.supervisor.pid
    assert new != old and alive(new) and not os.path.exists(f"/proc/{old}")
    assert wait_until(lambda: watched(new) - {os.getpid()} == workers(staff), timeout=PATIENCE)


@pytest.mark.timeout(60)
def test_pool_leaves_no_supervisor(make_team):
    """
    A pool that runs its workplan twice leaves no supervisor, nor anything else, either time
    """
    pool = make_team("pool", size=2)
    for _ in range(2):
        pool.assemble([tasks.pid] * 4)
        assert all(future.result(timeout=0) > 0 for future in pool.run())
        assert pool.supervisor.pid is None and offspring() == []


# end of file
