# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The cgroups of crews: where this host lets the team make them, each crew of the fork and spawn
recruiters is in a cgroup of its own before it takes a task. Killing the crew kills every
process in it, whatever session it moved to; the {memory} trait limits the resident memory of
the crew and the {pids} trait its processes and threads, and a task that runs into either is a
casualty that names it; the cgroups are gone when the team is done. With {cgroups} off, crews
are what they are without cgroups

Real cgroups need root and a writable hierarchy: the tests that need them are skipped where
there are none, and fail under CI (the environment variable CI set), which runs as root
"""

# externals
import glob
import json
import os
import pathlib
import signal
import subprocess
import sys

import pytest

# the package
from pyre_nexus import exceptions
from pyre_nexus.recruiters.Cgroup import Cgroup
from pyre_nexus.recruiters.Process import Process

# the tasks and the helpers
from tests import tasks
from tests.conftest import alive, children, end, wait_until
from tests.patience import PATIENCE


# how much more than the team has resident a crew may have
HEADROOM = 256 * 1024 * 1024
# the limit of processes and threads for the fork bombs
PIDS = 64
# the recruiters with cgroups
RECRUITERS = ("fork", "forkserver", "spawn")


# helpers
def available(roles=Cgroup.roles, **limits):
    """
    Skip, or fail under CI, unless this host gives a team's crews the cgroups of {roles}, with
    a group made with {limits}; returns where each role is
    """
    # make a team's group, as a recruiter would
    group = Cgroup.team(**(limits or dict(memory=1 << 30, pids=1024)))
    places, lines = dict(group.places), group.describe()
    group.dissolve()
    # what is missing
    missing = [role for role in roles if role not in places]
    if missing:
        reason = (
            f"cgroups lack {', '.join(missing)} here: {'; '.join(lines)}; run the tests as root "
            f"on a host with a writable cgroup hierarchy"
        )
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        print(reason)
        pytest.skip(reason)
    return places


@pytest.fixture
def cgroups():
    """
    This host gives crews the kill, and limits on memory and pids
    """
    return available()


def crew(make_team, recruiter, **traits):
    """
    A staff of one crew by {recruiter}, with the recruiter {traits}
    """
    staff = make_team("staff", size=1)
    staff.recruiter = recruiter
    for name, value in traits.items():
        setattr(staff.recruiter, name, value)
    return staff


def directories(staff):
    """
    The directories of the cgroups of {staff} and of its crews, now
    """
    group, _ = staff.recruiter.groups[staff]
    return [*group.paths(), *(path for cell in group.cells for path in cell.paths())]


def enrolled(staff, pid):
    """
    The cgroup of the crew of {staff} whose worker is {pid}
    """
    group, _ = staff.recruiter.groups[staff]
    cells = [cell for cell in group.cells if all(pid in Cgroup.members(path) for path in cell.paths())]
    assert len(cells) == 1, f"worker {pid} is in {len(cells)} crews' cgroups"
    return cells[0]


def vacated(staff, paths):
    """
    Shut {staff} down; its workers are gone, and so are the cgroups at {paths}
    """
    staff.shutdown(wait=True)
    assert staff.crews == []
    assert wait_until(lambda: not children(), timeout=10), f"workers left: {children()}"
    assert not [path for path in paths if os.path.exists(path)], "cgroups left behind"
    assert staff not in staff.recruiter.groups


def announced(staff, path):
    """
    Drive the loop of {staff} until {path} appears; return its contents
    """
    path = pathlib.Path(path)
    assert wait_until(lambda: staff.waitUntil(condition=path.exists, timeout=0.05), timeout=PATIENCE, interval=0), (
        f"{path} never appeared"
    )
    return path.read_text()


# placement
@pytest.mark.parametrize("recruiter", RECRUITERS)
def test_worker_is_in_its_crews_cgroup(make_team, cgroups, recruiter):
    """
    Each crew's worker is in a cgroup of its own, under its team's, in the hierarchies of the
    kill and of the limits, before it runs a task; they are gone once the team is done
    """
    staff = crew(make_team, recruiter, memory=Process.mapped("VmRSS") + HEADROOM, pids=1024)
    staff.size = 2
    # two crews, each in a cgroup of its own with the limits
    pids = {staff.submit(tasks.pid).result(timeout=PATIENCE) for _ in range(20)}
    cells = {pid: enrolled(staff, pid) for pid in pids}
    assert len({id(cell) for cell in cells.values()}) == len(pids)
    for pid, found in cells.items():
        assert set(found.places) == set(Cgroup.roles), found.places
        assert found.memory == staff.recruiter.memory and found.pids == 1024
    # every hierarchy has the team's group above the crews'
    group, _ = staff.recruiter.groups[staff]
    for found in cells.values():
        assert [os.path.dirname(path) for path in found.paths()] == group.paths()
    # and nothing is left when the team is done
    vacated(staff, directories(staff))


# memory
@pytest.mark.parametrize("recruiter", RECRUITERS)
def test_memory_limit_is_resident(make_team, cgroups, recruiter):
    """
    With a memory controller, the {memory} trait limits what the crew has resident: a task may
    map more than that, but one that fills more is killed by the kernel, and is a casualty that
    names the limit; the crew is replaced, in a cgroup with the same limit, and the team goes on
    """
    limit = Process.mapped("VmRSS") + HEADROOM
    staff = crew(make_team, recruiter, memory=limit)
    # what it maps but does not touch does not count
    first = staff.submit(tasks.pid).result(timeout=PATIENCE)
    assert staff.submit(tasks.cgroup_reserve, 4 * limit).result(timeout=PATIENCE) == 4 * limit
    # what it fills does
    error = staff.submit(tasks.cgroup_hog).exception(timeout=PATIENCE)
    print(f"{recruiter}: {error!r}")
    assert isinstance(error, exceptions.Casualty), repr(error)
    assert error.memory == limit
    assert f"ran out of memory: the crew's limit is {exceptions.Casualty.size(limit)} (memory trait)" in str(error)
    # the crew is replaced, with the same limit
    second = staff.submit(tasks.pid).result(timeout=PATIENCE)
    assert second != first
    assert enrolled(staff, second).memory == limit
    # and the team goes on
    assert list(staff.map(tasks.echo, range(20), timeout=PATIENCE)) == list(range(20))
    vacated(staff, directories(staff))


# processes
@pytest.mark.parametrize("recruiter", RECRUITERS)
def test_fork_bomb(make_team, tmp_path, cgroups, recruiter):
    """
    A fork bomb under the {pids} limit ends its crew, with every process of the bomb, and is a
    casualty that names the limit; the crew is replaced, and the team goes on
    """
    staff = crew(make_team, recruiter, pids=PIDS)
    first = staff.submit(tasks.pid).result(timeout=PATIENCE)
    # the bomb
    error = staff.submit(tasks.cgroup_bomb, str(tmp_path)).exception(timeout=PATIENCE)
    print(f"{recruiter}: {error!r}")
    assert isinstance(error, exceptions.Casualty), repr(error)
    assert error.pids == PIDS
    assert f"ran into the crew's limit of {PIDS} processes and threads (pids trait)" in str(error)
    # it went off, and none of it is left
    bomb = [int(name) for name in os.listdir(tmp_path)]
    assert len(bomb) > PIDS // 2
    assert wait_until(lambda: not any(alive(pid) for pid in bomb), timeout=10), "the bomb survived"
    # the crew is replaced, and the team goes on
    assert staff.submit(tasks.pid).result(timeout=PATIENCE) != first
    assert list(staff.map(tasks.echo, range(20), timeout=PATIENCE)) == list(range(20))
    vacated(staff, directories(staff))


@pytest.mark.parametrize("recruiter", RECRUITERS)
@pytest.mark.parametrize("how", ["cancel", "deadline"])
def test_daemon_dies_with_its_crew(make_team, tmp_path, cgroups, recruiter, how):
    """
    A task starts a daemon the classic way, through a child that starts a session of its own
    and forks again; when the crew is killed, by a cancel or a deadline, the daemon dies with it
    """
    staff = crew(make_team, recruiter)
    worker = staff.submit(tasks.pid).result(timeout=PATIENCE)
    daemon = None
    try:
        # start it, in a task that waits
        options = staff.options(deadline=3) if how == "deadline" else staff
        future = options.submit(tasks.cgroup_daemon, str(tmp_path), 60)
        daemon = int(announced(staff, tmp_path / "daemon"))
        # it left the worker's session, and lives on its own
        assert alive(daemon)
        assert os.getsid(daemon) != os.getsid(worker)
        # end the crew
        end(future, how)
        # the daemon is gone with it
        assert wait_until(lambda: not alive(daemon), timeout=10), "the daemon survived its crew"
        # and the team goes on
        assert list(staff.map(tasks.echo, range(20), timeout=PATIENCE)) == list(range(20))
        vacated(staff, directories(staff))
    finally:
        if daemon is not None and alive(daemon):
            os.kill(daemon, signal.SIGKILL)


def test_remote_shell_makes_the_cgroups(make_team, tmp_path, cgroups):
    """
    A worker shell started as on another host, which the team's cgroups do not reach, makes
    its crew's cgroup itself: a daemon its task started in a session of its own dies when the
    crew is cancelled, and the shell leaves no cgroup behind
    """
    from tests.recruiters.test_supervisor import client

    staff = crew(make_team, "ssh", ssh=client(tmp_path), hosts=["one:1"])
    groups, shell = staff.submit(tasks.whereabouts).result(timeout=PATIENCE)
    assert "/nexus-" in groups and "/crew-" in groups, groups
    # a daemon, which leaves the crew's session
    future = staff.submit(tasks.cgroup_daemon, str(tmp_path), 60)
    daemon = int(announced(staff, tmp_path / "daemon"))
    try:
        # dies with its crew
        assert future.cancel()
        assert wait_until(lambda: not alive(daemon), timeout=10), "the daemon survived its crew"
        # and the team goes on, on a new crew
        assert list(staff.map(tasks.echo, range(20), timeout=PATIENCE)) == list(range(20))
        staff.shutdown(wait=True)
        assert wait_until(lambda: not children(), timeout=10), f"workers left: {children()}"
        # the shells removed their cgroups
        def left():
            return [path for path in glob.glob("/sys/fs/cgroup/**/nexus-*", recursive=True) if f"-{shell}-" in path]
        assert wait_until(lambda: not left(), timeout=10), left()
    finally:
        if alive(daemon):
            os.kill(daemon, signal.SIGKILL)


@pytest.mark.parametrize("recruiter", RECRUITERS)
def test_nothing_left_after_shutdown(make_team, tmp_path, cgroups, recruiter):
    """
    A task that returns, leaving a daemon behind; when the team is done, the daemon is gone, and
    so are the cgroups of the team and its crews
    """
    staff = crew(make_team, recruiter, pids=1024)
    daemon = None
    try:
        # the task returns
        assert staff.submit(tasks.cgroup_daemon, str(tmp_path), 0).result(timeout=PATIENCE)
        daemon = int(announced(staff, tmp_path / "daemon"))
        assert alive(daemon)
        # the team is done
        paths = directories(staff)
        assert paths and all(os.path.isdir(path) for path in paths)
        vacated(staff, paths)
        # and the daemon is gone
        assert wait_until(lambda: not alive(daemon), timeout=10), "the daemon survived its team"
    finally:
        if daemon is not None and alive(daemon):
            os.kill(daemon, signal.SIGKILL)


# a team that the test SIGKILLs while its task waits beside the daemon it started
DOOMED = r"""
import json, os, sys
sys.path.insert(0, os.environ["TEAM_ROOT"])
import pyre_nexus
from tests import tasks

folder = os.environ["DOOMED_FOLDER"]
staff = pyre_nexus.staff()(name="doomed.team", size=1)
staff.recruiter = os.environ["DOOMED_RECRUITER"]
worker = staff.submit(tasks.pid).result(timeout=30)
future = staff.submit(tasks.cgroup_daemon, folder, 60)
daemon = os.path.join(folder, "daemon")
while not os.path.exists(daemon):
    staff.waitUntil(condition=lambda: os.path.exists(daemon), timeout=0.05)
group, _ = staff.recruiter.groups[staff]
paths = [*group.paths(), *(path for cell in group.cells for path in cell.paths())]
print(json.dumps(dict(worker=worker, paths=paths)), flush=True)
staff.wait([future])
"""


@pytest.mark.parametrize("recruiter", RECRUITERS)
def test_team_killed(tmp_path, cgroups, recruiter):
    """
    A team SIGKILLed while its task waits beside a daemon it started: the worker, which sees
    its team go, kills its cgroup, daemon included; the empty cgroups left behind are removed
    by the next team that makes its own
    """
    script = tmp_path / "doomed.py"
    script.write_text(DOOMED)
    folder = tmp_path / "running"
    folder.mkdir()
    root = pathlib.Path(__file__).resolve().parent.parent.parent
    env = dict(os.environ, TEAM_ROOT=str(root), DOOMED_FOLDER=str(folder), DOOMED_RECRUITER=recruiter)
    process = subprocess.Popen([sys.executable, str(script)], cwd=root, env=env, stdout=subprocess.PIPE)
    daemon = worker = None
    try:
        line = process.stdout.readline()
        assert line, f"the team exited with status {process.wait()} before its task ran"
        started = json.loads(line)
        worker, paths = started["worker"], started["paths"]
        daemon = int((folder / "daemon").read_text())
        assert alive(worker) and alive(daemon)
        # kill the team
        process.kill()
        assert process.wait(timeout=PATIENCE) == -signal.SIGKILL
        # its worker and the daemon follow
        assert wait_until(lambda: not alive(worker) and not alive(daemon), timeout=PATIENCE), (
            f"outlived their team: worker {alive(worker)}, daemon {alive(daemon)}"
        )
        # the cgroups stay behind until another team makes its own, once the dead are gone
        assert all(os.path.isdir(path) for path in paths)
        swept = lambda: Cgroup.team().dissolve() and not any(os.path.exists(path) for path in paths)
        assert wait_until(swept, timeout=10), "the cgroups of the dead team are still there"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        for pid in (worker, daemon):
            if pid is not None and alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_kill_by_signals(tmp_path, cgroups):
    """
    Without cgroup2, a kill signals the processes of a crew's cgroup in a v1 hierarchy until
    none is left, daemons included; the groups are removed once they are gone
    """
    # the host without its cgroup2 hierarchy
    mounts = tmp_path / "mountinfo"
    with open("/proc/self/mountinfo") as stream:
        mounts.write_text("".join(line for line in stream if " - cgroup2 " not in line))
    group = Cgroup.team(pids=PIDS, mounts=str(mounts))
    ready, go = os.pipe()
    daemon = None
    try:
        if "kill" not in group.places:
            available(roles=["kill"], pids=PIDS, mounts=str(mounts))
        assert group.signalled
        # a crew's group, with a process that starts a daemon, admitted before it starts
        cell = group.crew()
        pid = os.fork()
        if pid == 0:
            try:
                os.read(ready, 1)
                tasks.cgroup_daemon(str(tmp_path), 60)
            finally:
                os._exit(0)
        cell.admit(pid=pid)
        os.write(go, b"x")
        marker = tmp_path / "daemon"
        daemon = int(wait_until(lambda: marker.exists() and marker.read_text(), timeout=PATIENCE))
        assert daemon in Cgroup.members(cell.places["kill"][1])
        # the kill reaches both
        cell.kill()
        assert os.waitpid(pid, 0)[1] == signal.SIGKILL
        assert wait_until(lambda: not alive(daemon), timeout=10), "the daemon survived the kill"
        # and the groups go
        paths = [*group.paths(), *cell.paths()]
        assert group.dissolve(patience=Cgroup.patience)
        assert not [path for path in paths if os.path.exists(path)]
    finally:
        group.dissolve(patience=Cgroup.patience)
        for fd in (ready, go):
            os.close(fd)
        if daemon is not None and alive(daemon):
            os.kill(daemon, signal.SIGKILL)


# without cgroups
def test_not_available(tmp_path):
    """
    Where every cgroup hierarchy is read only, a team's group has no role and says why, and the
    groups of its crews do nothing, so the crews are what they are without cgroups
    """
    # the host with its cgroup hierarchies read only
    mounts = tmp_path / "mountinfo"
    with open("/proc/self/mountinfo") as stream:
        lines = [line.split(" ") for line in stream]
    for fields in lines:
        if fields[fields.index("-") + 1] in ("cgroup", "cgroup2"):
            fields[5] = ",".join(["ro", *(option for option in fields[5].split(",") if option != "rw")])
    mounts.write_text("".join(" ".join(fields) for fields in lines))
    group = Cgroup.team(memory=1 << 30, pids=1024, mounts=str(mounts))
    # nothing, and why
    assert group.places == {} and group.paths() == []
    [line] = group.describe()
    assert line.startswith("not available: "), line
    if any(" - cgroup" in " ".join(fields) for fields in lines):
        assert "is read only" in line, line
    # a crew's group does nothing
    cell = group.crew()
    assert cell.paths() == [] and cell.memory == cell.pids == 0
    cell.admit(pid=os.getpid())
    cell.kill()
    assert not cell.oomed() and not cell.refused()
    assert group.dissolve()


@pytest.mark.parametrize("recruiter", RECRUITERS)
def test_cgroups_off(make_team, tmp_path, recruiter):
    """
    With {cgroups} off, a crew gets none: the {memory} trait caps its address space, and a
    daemon its task starts outlives the crew, the known limit of process groups
    """
    limit = Process.mapped() + HEADROOM
    staff = crew(make_team, recruiter, cgroups="off", memory=limit)
    daemon = None
    try:
        # no cgroup
        worker = staff.submit(tasks.pid).result(timeout=PATIENCE)
        with open(f"/proc/{worker}/cgroup") as stream:
            assert "/nexus-" not in stream.read()
        assert staff.recruiter.groups == {}
        # the limit on the address space
        cap, _ = staff.submit(tasks.exhaust_cap).result(timeout=PATIENCE)
        assert cap == limit
        # a daemon escapes its crew
        future = staff.submit(tasks.cgroup_daemon, str(tmp_path), 60)
        daemon = int(announced(staff, tmp_path / "daemon"))
        assert future.cancel()
        replaced = lambda: not staff.crews or all(c.accepting() for c in staff.crews)
        assert staff.waitUntil(condition=replaced, timeout=PATIENCE)
        assert alive(daemon)
        # and the team goes on
        assert list(staff.map(tasks.echo, range(20), timeout=PATIENCE)) == list(range(20))
    finally:
        if daemon is not None and alive(daemon):
            os.kill(daemon, signal.SIGKILL)


# end of file
