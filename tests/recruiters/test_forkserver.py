# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The forkserver recruiter, and the fork recruiter once its team is primed, fork crews through a
server forked from the team while it had one thread, and keep every promise of the fork
recruiter: results, casualties with their real statuses, deadlines, cancellation, output,
memory limits, shared memory, escalation, and no process left behind when the team dies of
SIGKILL; the server imports its preload, says clearly when it cannot, and a server that dies or
stops answering is a recruitment error that names why. All with real processes
"""

# externals
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import numpy
import pytest

# the package
import pyre_nexus
from pyre_nexus.exceptions import Cancelled, Casualty, DeadlineExceeded, RecruitmentError
from pyre_nexus.recruiters.Forker import Forker
from pyre_nexus.recruiters.Process import Process

# the tasks and the helpers
from tests import tasks
from tests.conftest import alive, children, wait_until
from tests.patience import PATIENCE
from tests.recruiters.test_fork import await_file, readline, started, status


# unique names for the recruiters made here
names = itertools.count()
# room above what the team maps, for a crew with a memory limit
HEADROOM = 256 * 1024 * 1024


# helpers
def recruiter(kind="forkserver", **traits):
    """
    A recruiter of {kind}, forkserver or fork, with a name nobody else used
    """
    factory = getattr(pyre_nexus, kind)()
    return factory(name=f"test-{kind}-{next(names)}-{uuid.uuid4().hex[:8]}", **traits)


def server(staff):
    """
    The fork server of {staff}
    """
    return staff.recruiter.servers[staff]


def parent(pid):
    """
    The parent of the process {pid}
    """
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


class Holder:
    """
    A thread of the team's process that holds the lock of {tests.tasks} until it is let go, and,
    with {chatty}, prints all the while, so the locks of the standard streams are busy too
    """

    def __init__(self, chatty=False):
        self.chatty = chatty
        self.taken = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.hold, daemon=True)

    def hold(self):
        with tasks.forkserver_lock:
            self.taken.set()
            while not self.done.wait(0.005 if self.chatty else 60):
                print("the team's thread is busy", flush=True)

    def __enter__(self):
        self.thread.start()
        assert self.taken.wait(PATIENCE)
        return self

    def __exit__(self, *args):
        self.done.set()
        self.thread.join(PATIENCE)


# results
def test_results(make_team):
    """
    A staff of forkserver crews runs tasks; the crews are the children of the server, which is
    the team's child, and not of the team
    """
    staff = make_team("staff", size=2, recruiter=recruiter())
    assert list(staff.map(tasks.add, range(50), range(50), timeout=PATIENCE)) == [2 * i for i in range(50)]
    # the server
    forker = server(staff)
    assert forker.pid in children()
    # is the parent of every crew
    assert staff.crews
    for crew in staff.crews:
        assert parent(crew.pid) == forker.pid
    assert staff.submit(os.getppid).result(timeout=PATIENCE) == forker.pid
    # and goes with the team
    staff.shutdown(wait=True)
    assert staff.recruiter.servers == {}
    assert wait_until(lambda: not alive(forker.pid), timeout=10)


def test_primed_fork_goes_through_its_server(make_team):
    """
    The fork recruiter forks a team's crews itself, until the team is primed, as it is before it
    starts a thread of its own: from then on its crews come from the team's server
    """
    staff = make_team("staff", size=1, maxtasks=1, recruiter=recruiter("fork"))
    # a crew of its own
    assert staff.submit(os.getppid).result(timeout=PATIENCE) == os.getpid()
    # primed
    staff.recruiter.prime(team=staff)
    forker = server(staff)
    assert forker.pid in children()
    # each new crew is the server's, after the one the team may have recruited already to
    # replace the first
    parents = [staff.submit(os.getppid).result(timeout=PATIENCE) for _ in range(4)]
    assert parents[1:] == [forker.pid] * 3


def test_thread_mode_primes_fork(make_team):
    """
    A staff that runs its loop in a thread of its own primes its fork recruiter before it starts
    the thread, so its crews come from a server
    """
    staff = make_team("staff", size=2, mode="thread", recruiter=recruiter("fork"))
    assert list(staff.map(tasks.add, range(20), range(20), timeout=PATIENCE)) == [2 * i for i in range(20)]
    assert staff.submit(os.getppid).result(timeout=PATIENCE) == server(staff).pid


# casualties
@pytest.mark.parametrize(
    "task, args, expected",
    [(tasks.leave, (7,), 7), (tasks.suicide, (signal.SIGTERM,), -signal.SIGTERM), (tasks.suicide, (), -signal.SIGKILL)],
    ids=["exit", "sigterm", "sigkill"],
)
def test_crash_is_a_casualty_with_the_real_status(make_team, task, args, expected):
    """
    A task that ends its worker is a {Casualty} with the status the server reaped: the exit
    code, or the signal; the team goes on
    """
    staff = make_team("staff", size=1, recruiter=recruiter())
    first = staff.submit(tasks.pid).result(timeout=PATIENCE)
    error = staff.submit(task, *args).exception(timeout=PATIENCE)
    assert isinstance(error, Casualty), repr(error)
    assert error.status == expected
    assert error.pid == first
    # the crew is replaced, by the same server
    assert staff.submit(os.getppid).result(timeout=PATIENCE) == server(staff).pid
    assert staff.submit(tasks.pid).result(timeout=PATIENCE) != first


# deadlines and cancellation
def test_deadline_kills_the_crew(make_team):
    """
    A task that runs past its deadline is {DeadlineExceeded}, and its worker is killed
    """
    staff = make_team("staff", size=1, recruiter=recruiter())
    pid = staff.submit(tasks.pid).result(timeout=PATIENCE)
    error = staff.options(deadline=0.5).submit(tasks.nap, 60).exception(timeout=PATIENCE)
    assert isinstance(error, DeadlineExceeded), repr(error)
    assert wait_until(lambda: not alive(pid), timeout=10)
    assert staff.submit(tasks.add, 1, 2).result(timeout=PATIENCE) == 3


def test_cancel_kills_worker_and_grandchild(make_team, tmp_path):
    """
    Cancelling a running task kills its worker's process group, through the server, so the
    processes the worker's tasks started die too
    """
    staff = make_team("staff", size=1, recruiter=recruiter())
    grandchild = staff.submit(tasks.spawn_sleeper, 60).result(timeout=PATIENCE)
    try:
        assert os.getpgid(grandchild) == staff.crews[0].pid
        marker = tmp_path / "running"
        future = staff.submit(tasks.fork_announce, str(marker), 60)
        pid = started(staff, marker)
        assert future.cancel()
        with pytest.raises(Cancelled):
            future.result(timeout=PATIENCE)
        assert wait_until(lambda: not alive(pid), timeout=5)
        assert wait_until(lambda: not alive(grandchild), timeout=5), "the grandchild survived"
    finally:
        if alive(grandchild):
            os.kill(grandchild, signal.SIGKILL)


@pytest.mark.parametrize(
    "ignore_term, expected", [(False, -signal.SIGTERM), (True, -signal.SIGKILL)], ids=["term", "kill"]
)
def test_dismissal_escalates(make_team, tmp_path, ignore_term, expected):
    """
    A worker that cut itself off from its team gets SIGTERM after the grace, then SIGKILL,
    through the server, and its casualty has the status the server reaped
    """
    staff = make_team("staff", size=1, recruiter=recruiter(grace="200*ms"))
    marker = tmp_path / "severed"
    future = staff.submit(tasks.fork_sever, str(marker), 60, ignore_term)
    with pytest.raises(Casualty) as info:
        future.result(timeout=PATIENCE)
    pid = int(await_file(marker))
    assert info.value.pid == pid
    assert info.value.status == expected


# output
def test_output_is_forwarded(make_team, capfd):
    """
    What a task prints, from python and from a child process, reaches the team's streams, tagged
    with its crew
    """
    staff = make_team("staff", size=2, recruiter=recruiter())
    assert list(staff.map(tasks.talk, ["a", "b"], timeout=PATIENCE)) == ["a", "b"]
    pids = {crew.pid for crew in staff.crews}
    staff.shutdown(wait=True)
    out, err = capfd.readouterr()
    for tag in "ab":
        for line in (f"{tag} out 0", f"{tag} out 2", f"{tag} child"):
            assert any(text.endswith(f"] {line}") and any(f":{pid}]" in text for pid in pids) for text in out.splitlines()), out
        assert any(text.endswith(f"] {tag} err") for text in err.splitlines()), err


# memory
def test_memory_limit_is_a_casualty(make_team):
    """
    Without cgroups, the memory trait caps the address space of each crew the server forks; a
    task that allocates without bound ends its crew, and is a casualty that names the limit
    """
    limit = Process.mapped() + HEADROOM
    staff = make_team("staff", size=1, recruiter=recruiter(cgroups="off", memory=limit))
    cap, first = staff.submit(tasks.exhaust_cap).result(timeout=PATIENCE)
    assert cap == limit
    error = staff.submit(tasks.exhaust_hog, 1 << 20).exception(timeout=PATIENCE)
    assert isinstance(error, Casualty), repr(error)
    assert error.memory == limit
    # the replacement is capped too
    cap, second = staff.submit(tasks.exhaust_cap).result(timeout=PATIENCE)
    assert (cap, second != first) == (limit, True)


def test_memory_below_what_the_server_maps(make_team):
    """
    A memory limit below what the server maps, which its crews start with, fails every
    recruitment with a reason that names the trait
    """
    staff = make_team("staff", size=1, recruiter=recruiter(cgroups="off", memory=1 << 20))
    error = staff.submit(tasks.echo, 0).exception(timeout=PATIENCE)
    assert isinstance(error, RecruitmentError), repr(error)
    assert "memory limit of 1 MiB" in str(error) and "fork server maps" in str(error)


# shared memory
def test_shared_memory(make_team):
    """
    Large bytes and arrays travel through shared memory, over the socket beside the channel
    """
    staff = make_team("staff", size=1, recruiter=recruiter())
    payload = os.urandom(3 << 20)
    assert staff.submit(tasks.echo, payload).result(timeout=PATIENCE) == payload
    assert staff.submit(tasks.measure, data=payload).result(timeout=PATIENCE) == len(payload)
    array = numpy.zeros(1 << 18)
    result = staff.submit(tasks.scribble, array, 7.0).result(timeout=PATIENCE)
    assert result[0] == 7.0 and result[-1] == 7.0 and array[0] == 0.0


# preload
def test_preload(make_team, tmp_path, monkeypatch):
    """
    The modules of preload are imported in the server, so every crew starts with them, although
    the team never imported them
    """
    # modules of this test's own, which nothing else imports
    modules = [f"preloaded_{tmp_path.name}_{index}" for index in range(2)]
    for name in modules:
        (tmp_path / f"{name}.py").write_text("value = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    staff = make_team("staff", size=2, recruiter=recruiter(preload=modules))
    assert staff.recruiter.preload == modules
    for loaded in staff.map(tasks.forkserver_loaded, [modules] * 4, timeout=PATIENCE):
        assert loaded == [True, True]
    assert not any(name in sys.modules for name in modules)


def test_bad_preload(make_team):
    """
    A module of preload that does not import fails every recruitment with a RecruitmentError
    that quotes the ImportError, and every task submitted gets it as its outcome
    """
    staff = make_team("staff", size=2, recruiter=recruiter(preload=["json", "pyre_nexus_no_such_module"]))
    futures = [staff.submit(tasks.echo, i) for i in range(4)]
    for future in futures:
        error = future.exception(timeout=PATIENCE)
        assert isinstance(error, RecruitmentError), repr(error)
        assert "cannot import 'pyre_nexus_no_such_module'" in str(error)
        assert "ModuleNotFoundError: No module named 'pyre_nexus_no_such_module'" in str(error)
    # and asked directly, the recruiter says so too
    with pytest.raises(RecruitmentError, match="No module named 'pyre_nexus_no_such_module'"):
        staff.recruiter.recruit(team=staff, count=1)
    # no server is left
    assert server(staff).pid is None


# locks
@pytest.mark.parametrize("kind", ["fork", "forkserver"])
def test_locks_held_by_the_teams_threads(make_team, kind):
    """
    The reason for the server. A fork copies the locks of the other threads of the process as
    they are: a crew forked directly while another thread of the team holds a lock gets a copy
    that is held, by a thread the crew does not have, so a task that needs it waits forever
    (see {test_plain_fork_copies_held_locks}, where the task gives up after a timeout). A
    primed fork recruiter, and a forkserver from its first recruitment on, fork their crews
    from a server forked before the lock was taken: here every crew is recruited while a
    thread of the team holds the lock and keeps printing, and each task takes the lock at once
    """
    staff = make_team("staff", size=1, maxtasks=1, recruiter=recruiter(kind))
    # the fork recruiter is primed, as it is when its team starts a thread of its own; the
    # forkserver forks its server at its first recruitment
    if kind == "fork":
        staff.recruiter.prime(team=staff)
    assert staff.submit(tasks.pid).result(timeout=PATIENCE) > 0
    forker = server(staff)
    # while a thread of the team holds the lock and prints
    with Holder(chatty=True):
        results = [staff.submit(tasks.forkserver_take, 10).result(timeout=PATIENCE) for _ in range(3)]
    # each task took the lock, in a crew of its own, forked by the server while the lock was held
    assert [taken for taken, _ in results] == [True] * 3
    assert len({pid for _, pid in results}) == 3
    assert server(staff) is forker


def test_plain_fork_copies_held_locks(make_team):
    """
    What the server is for: a team that forks its crews directly, while another of its threads
    holds a lock, hands each a copy of the lock that nobody will ever release; the task that
    needs it gives up after its timeout, where without one it would hang
    """
    staff = make_team("staff", size=1, maxtasks=1, recruiter=recruiter("fork"))
    with Holder():
        taken, pid = staff.submit(tasks.forkserver_take, 0.5).result(timeout=PATIENCE)
    assert taken is False
    assert staff.recruiter.servers == {}


# the server
def test_server_death(make_team):
    """
    A server that dies is a RecruitmentError for the next recruitment, which names its death;
    the crews it forked work on, and the recruitment after that starts another server
    """
    staff = make_team("staff", size=1, recruiter=recruiter())
    first = staff.submit(tasks.pid).result(timeout=PATIENCE)
    forker = server(staff)
    dead = forker.pid
    os.kill(dead, signal.SIGKILL)
    # the team's loop hears of it
    assert staff.waitUntil(condition=lambda: forker.pid is None, timeout=PATIENCE)
    assert not alive(dead)
    # the next recruitment
    with pytest.raises(RecruitmentError, match=rf"fork server \(pid {dead}\).*killed by signal 9 \(SIGKILL\)"):
        staff.recruiter.recruit(team=staff, count=1)
    # the crew it forked works on
    assert staff.submit(tasks.pid).result(timeout=PATIENCE) == first
    # the one after starts another
    staff.crews.extend(staff.recruiter.recruit(team=staff, count=1))
    assert forker.pid not in (None, dead)
    assert parent(staff.crews[-1].pid) == forker.pid


def test_server_that_does_not_answer(make_team, monkeypatch):
    """
    A server that does not answer within the bound is killed, and the recruitment fails with
    an error that names the bound; the team goes on with a new server
    """
    monkeypatch.setattr(Forker, "patience", 0.5)
    staff = make_team("staff", size=1, recruiter=recruiter())
    assert staff.submit(tasks.pid).result(timeout=PATIENCE) > 0
    forker = server(staff)
    stuck = forker.pid
    os.kill(stuck, signal.SIGSTOP)
    try:
        start = time.monotonic()
        with pytest.raises(RecruitmentError, match=r"did not fork a crew within 0.5 s"):
            staff.recruiter.recruit(team=staff, count=1)
        assert time.monotonic() - start < 5
        assert not alive(stuck)
    finally:
        if alive(stuck):
            os.kill(stuck, signal.SIGKILL)
    # the team goes on
    staff.crews.extend(staff.recruiter.recruit(team=staff, count=1))
    assert forker.pid not in (None, stuck)
    assert list(staff.map(tasks.echo, range(10), timeout=PATIENCE)) == list(range(10))


# the script of a team that the tests SIGKILL: it prints its crews and its server, and waits
DOOMED = """
import json, os, sys, time
import pyre_nexus

def nap(folder, seconds):
    # say i'm running
    open(os.path.join(folder, str(os.getpid())), "w").close()
    time.sleep(seconds)
    return os.getpid()

kind, mode, folder = sys.argv[1:]
recruiter = getattr(pyre_nexus, kind)()(name="doomed.recruiter")
staff = pyre_nexus.staff()(name="doomed.team", size=2, pipeline=1, mode=mode, recruiter=recruiter)
# a long task for each of two crews
futures = [staff.submit(nap, folder, 60) for _ in range(2)]
running = lambda: len(os.listdir(folder)) == 2
while not staff.waitUntil(condition=running, timeout=0.05):
    pass
servers = [server.pid for server in recruiter.servers.values()]
print(json.dumps({"crews": sorted(int(name) for name in os.listdir(folder)), "servers": servers}), flush=True)
staff.wait(futures)
"""


@pytest.mark.parametrize("kind, mode", [("forkserver", "host"), ("fork", "thread")])
def test_team_killed(tmp_path, kind, mode):
    """
    A team SIGKILLed while its crews run long tasks takes its crews and its server with it
    """
    script = tmp_path / "doomed.py"
    script.write_text(DOOMED)
    folder = tmp_path / "running"
    folder.mkdir()
    process = subprocess.Popen(
        [sys.executable, str(script), kind, mode, str(folder)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    pids = []
    try:
        line = readline(process)
        if not line:
            process.kill()
            status(process)
            pytest.fail(f"the team script said nothing: {process.stderr.read() if process.stderr else ''}")
        news = json.loads(line)
        crews, (forker,) = news["crews"], news["servers"]
        pids = [*crews, forker]
        # the crews are the server's
        assert len(crews) == 2 and all(parent(pid) == forker for pid in crews)
        assert parent(forker) == process.pid
        # kill the team
        os.kill(process.pid, signal.SIGKILL)
        assert status(process) == -signal.SIGKILL
        # every crew, and the server, is gone within 5 s
        assert wait_until(lambda: not any(alive(pid) for pid in pids), timeout=5), (
            f"outlived their team: {[pid for pid in pids if alive(pid)]}"
        )
    finally:
        if process.poll() is None:
            process.kill()
            status(process)
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


# configuration
def test_bad_preload_name_is_refused():
    """
    A preload entry that is no module name is refused when the recruiter is built
    """
    with pytest.raises(Exception, match="preload"):
        recruiter(preload=["not a module"])


def test_forkserver_in_a_configuration_file(tmp_path):
    """
    A team whose recruiter is forkserver, with its preload, set in a configuration file
    """
    (tmp_path / "pyre_nexus.pfg").write_text(
        "\n".join(
            [
                "served.team:",
                "    size = 2",
                "    recruiter = forkserver",
                "    recruiter.preload = colorsys, graphlib",
                "",
            ]
        )
    )
    (tmp_path / "served.py").write_text(
        "\n".join(
            [
                "import os, sys, pyre_nexus",
                "def loaded():",
                "    return 'colorsys' in sys.modules and 'graphlib' in sys.modules, os.getppid()",
                "staff = pyre_nexus.staff()(name='served.team')",
                "results = [staff.submit(loaded).result(timeout=30) for _ in range(4)]",
                "servers = [server.pid for server in staff.recruiter.servers.values()]",
                "staff.shutdown()",
                "print(staff.recruiter.pyre_family(), all(ok and ppid in servers for ok, ppid in results))",
                "",
            ]
        )
    )
    result = subprocess.run(
        [sys.executable, "served.py"], cwd=tmp_path, capture_output=True, text=True, timeout=PATIENCE
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["pyre_nexus.recruiters.forkserver", "True"]


# end of file
