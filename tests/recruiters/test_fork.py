# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The fork recruiter keeps its promises about the processes it makes: none outlives its team,
not even one whose team was SIGKILLed; workers hold none of the team's descriptors, ignore
SIGINT, default SIGTERM, lead their own process groups, and are escalated out with SIGTERM,
then SIGKILL, when they do not leave. All with real processes
"""

# externals
import itertools
import json
import os
import pathlib
import select
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

# the package
import pyre_nexus
from pyre_nexus.exceptions import Cancelled, Casualty

# the tasks and the helpers
from tests import tasks
from tests.conftest import alive, children, wait_until
from tests.patience import PATIENCE


# unique names for the recruiters made here
names = itertools.count()


# helpers
def recruiter(**traits):
    """
    A fork recruiter with a name nobody else used
    """
    return pyre_nexus.fork()(name=f"test-fork-{next(names)}-{uuid.uuid4().hex[:8]}", **traits)


def await_file(path, timeout=PATIENCE):
    """
    Wait for {path} to appear; return its contents
    """
    path = pathlib.Path(path)
    assert wait_until(path.exists, timeout=timeout), f"{path} never appeared"
    return path.read_text()


def started(team, path, timeout=PATIENCE):
    """
    Drive the loop of {team} in short steps until the task that writes {path} runs; return the
    pid it wrote. The steps are short because the appearance of a file is no event of the loop
    """
    path = pathlib.Path(path)
    assert wait_until(
        lambda: team.waitUntil(condition=path.exists, timeout=0.05), timeout=timeout, interval=0
    ), f"{path} never appeared"
    return int(path.read_text())


def readline(process, timeout=PATIENCE):
    """
    Read a line from the stdout of {process}, waiting at most {timeout} seconds
    """
    expiration = time.monotonic() + timeout
    line = b""
    fd = process.stdout.fileno()
    while not line.endswith(b"\n"):
        remaining = expiration - time.monotonic()
        if remaining <= 0:
            break
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            break
        chunk = os.read(fd, 1)
        if not chunk:
            break
        line += chunk
    return line.decode()


def status(process, timeout=5):
    """
    Collect the exit status of {process} and let go of its pipes
    """
    try:
        return process.wait(timeout=timeout)
    finally:
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


# the script of a team that the tests SIGKILL; it prints its worker pids and then waits
DOOMED = """
import json, os, sys, time
import pyre_nexus

def pid():
    return os.getpid()

def nap(folder, seconds):
    # say i'm running
    open(os.path.join(folder, str(os.getpid())), "w").close()
    time.sleep(seconds)
    return os.getpid()

busy = os.environ["DOOMED_MODE"] == "busy"
folder = os.environ["DOOMED_FOLDER"]
staff = pyre_nexus.staff()(name="doomed.team", size=2, pipeline=1)
# bring both crews up
for future in [staff.submit(pid) for _ in range(2)]:
    future.result(timeout=30)
staff.waitUntil(
    condition=lambda: len(staff.crews) == 2 and all(c.accepting() for c in staff.crews),
    timeout=30,
)
pids = [crew.pid for crew in staff.crews]
# in busy mode, give each crew a long task
futures = [staff.submit(nap, folder, 60) for _ in range(2)] if busy else []
print(json.dumps(pids), flush=True)
# and wait, driving the loop or not
if futures:
    staff.wait(futures)
else:
    time.sleep(120)
"""


def doomed(tmp_path, mode):
    """
    Start a team in a subprocess in {mode}, busy or idle; return the process and its worker pids
    """
    script = tmp_path / "doomed.py"
    script.write_text(DOOMED)
    folder = tmp_path / "running"
    folder.mkdir()
    env = dict(os.environ, DOOMED_MODE=mode, DOOMED_FOLDER=str(folder))
    process = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    line = readline(process)
    if not line:
        process.kill()
        status(process)
        pytest.fail(f"the team script said nothing: {process.stderr.read() if process.stderr else ''}")
    pids = json.loads(line)
    # in busy mode, wait for both tasks to be running
    if mode == "busy":
        assert wait_until(
            lambda: sorted(int(name) for name in os.listdir(folder)) == sorted(pids), timeout=PATIENCE
        ), f"the long tasks never started on {pids}"
    return process, pids


# shutdown
def test_shutdown_leaves_no_process(make_team):
    """
    After a staff is shut down none of its workers is left
    """
    # a staff of two
    staff = make_team("staff", size=2)
    # put both crews to work
    futures = [staff.submit(tasks.nap, 0.2, i) for i in range(6)]
    assert [f.result(timeout=PATIENCE) for f in futures] == list(range(6))
    # the workers
    pids = [crew.pid for crew in staff.crews]
    assert pids and all(alive(pid) for pid in pids)
    assert set(pids) <= set(children())
    # shut down
    staff.shutdown(wait=True)
    # the crews are gone
    assert staff.crews == []
    # and so are the processes, reaped
    assert wait_until(lambda: not children(), timeout=10), f"workers left: {children()}"
    assert not any(alive(pid) for pid in pids)


def test_pool_leaves_no_process(make_team):
    """
    After a pool runs its workplan none of its workers is left
    """
    pool = make_team("pool", size=2)
    pool.assemble([tasks.pid] * 4)
    futures = pool.run()
    pids = {future.result(timeout=PATIENCE) for future in futures}
    assert pool.crews == []
    assert wait_until(lambda: not children(), timeout=10), f"workers left: {children()}"
    assert not any(alive(pid) for pid in pids)


# death of the team
@pytest.mark.parametrize("mode", ["busy", "idle"])
def test_team_killed(tmp_path, mode):
    """
    A team SIGKILLed while its workers run long tasks, or wait for work, takes them with it
    """
    process, pids = doomed(tmp_path, mode)
    try:
        # the workers are alive
        assert len(pids) == 2 and all(alive(pid) for pid in pids)
        # kill the team
        os.kill(process.pid, signal.SIGKILL)
        assert status(process) == -signal.SIGKILL
        # every worker is gone within 5 s
        assert wait_until(lambda: not any(alive(pid) for pid in pids), timeout=5), (
            f"workers outlived their team: {[pid for pid in pids if alive(pid)]}"
        )
    finally:
        if process.poll() is None:
            process.kill()
            status(process)
        # never leave a worker behind, whatever happened
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


# descriptors
def test_worker_holds_no_inherited_descriptor(make_team, tmp_path):
    """
    A worker holds 0, 1, 2, its channel and the socket beside it; the team's socket, file and
    other crews' channels are not among its descriptors
    """
    # the team's own descriptors, opened before recruiting
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    secret = tmp_path / "secret.txt"
    log = open(secret, "w")
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        inode = os.fstat(listener.fileno()).st_ino
        # a staff of two with one task each, so the second crew is forked while the team
        # holds the channel to the first
        staff = make_team("staff", size=2, pipeline=1)
        futures = [staff.submit(tasks.fork_descriptors, 0.5) for _ in range(4)]
        reports = [future.result(timeout=PATIENCE) for future in futures]
        # the team's standard streams, which its forked workers start with
        streams = {os.readlink(f"/proc/self/fd/{fd}") for fd in (1, 2)}
        # the team side of each crew: the worker's channel is the other end of these pipes
        channels = {}
        for crew in staff.crews:
            ends = {crew.channel.inbound, crew.channel.outbound}
            fds = {end if isinstance(end, int) else end.fileno() for end in ends}
            channels[crew.pid] = {os.readlink(f"/proc/self/fd/{fd}") for fd in fds}
        # check every report
        for pid, descriptors in reports:
            # the worker is one of the team's
            assert pid in channels
            targets = set(descriptors.values())
            # the socket and the file are not there
            assert f"socket:[{inode}]" not in targets, descriptors
            assert str(secret) not in targets, descriptors
            assert not any(target.startswith(str(secret)) for target in targets), descriptors
            # and apart from the standard streams, which the capture of its output turns into
            # pipes whose read ends it holds, while it keeps the originals to put them back,
            # nothing but its channel, the one socket beside it that carries shared memory, its
            # own event loop, the capture's wake up call, and the team's descriptors pointed at
            # /dev/null
            standard = {descriptors[fd] for fd in (1, 2)} | streams
            sockets = 0
            for fd, target in descriptors.items():
                if fd <= 2 or target == os.devnull or target in standard:
                    continue
                if target == "anon_inode:[eventfd]":
                    continue
                if target in channels[pid] or target == "anon_inode:[eventpoll]":
                    continue
                if target.startswith("socket:[") and sockets == 0:
                    sockets += 1
                    continue
                pytest.fail(f"worker {pid} holds fd {fd} -> {target!r}: {descriptors}")
            # its channel is there
            assert channels[pid] <= targets, descriptors
            # and no other crew's channel
            for other, ends in channels.items():
                if other != pid:
                    assert not (ends & targets), f"worker {pid} holds the channel of {other}"
    finally:
        listener.close()
        log.close()


# signals
def test_worker_ignores_sigint(make_team, tmp_path):
    """
    Ctrl-C is for the team: a worker that gets SIGINT finishes its task
    """
    staff = make_team("staff", size=1)
    marker = tmp_path / "running"
    future = staff.submit(tasks.fork_announce, str(marker), 2, "done")
    # drive the loop until the task is running in the worker
    pid = started(staff, marker)
    assert not future.done()
    # interrupt it
    os.kill(pid, signal.SIGINT)
    # the task completes, in the same worker
    assert future.result(timeout=PATIENCE) == (pid, "done")
    assert alive(pid)
    assert [crew.pid for crew in staff.crews] == [pid]


def test_team_sigterm_handler_not_inherited(make_team, tmp_path):
    """
    A SIGTERM handler the team installed before recruiting does not protect its workers
    """
    heard = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: heard.append(signum))
    try:
        staff = make_team("staff", size=1)
        marker = tmp_path / "running"
        future = staff.submit(tasks.fork_announce, str(marker), 30)
        pid = started(staff, marker)
        assert not future.done()
        # terminate the worker
        os.kill(pid, signal.SIGTERM)
        # it dies of it, and its task is the casualty
        with pytest.raises(Casualty) as info:
            future.result(timeout=PATIENCE)
        assert info.value.status == -signal.SIGTERM
        assert info.value.pid == pid
        assert wait_until(lambda: not alive(pid), timeout=10)
        # the team's handler was not involved
        assert heard == []
    finally:
        signal.signal(signal.SIGTERM, previous)


# process groups
def test_worker_leads_its_own_group(make_team):
    """
    Each worker leads a process group of its own
    """
    staff = make_team("staff", size=2, pipeline=1)
    futures = [staff.submit(tasks.fork_group) for _ in range(4)]
    for pid, group in (future.result(timeout=PATIENCE) for future in futures):
        assert group == pid
        assert group != os.getpgid(0)


def test_cancel_kills_grandchild(make_team, tmp_path):
    """
    Cancelling a running task kills the worker's process group, so the processes that the
    worker's tasks started die too
    """
    staff = make_team("staff", size=1)
    # start a grandchild
    grandchild = staff.submit(tasks.spawn_sleeper, 60).result(timeout=PATIENCE)
    try:
        assert alive(grandchild)
        assert os.getpgid(grandchild) == staff.crews[0].pid
        # give the same worker a long task
        marker = tmp_path / "running"
        future = staff.submit(tasks.fork_announce, str(marker), 60)
        pid = started(staff, marker)
        assert future.running()
        # cancel it while it runs
        assert future.cancel()
        with pytest.raises(Cancelled):
            future.result(timeout=PATIENCE)
        # the worker and its grandchild are gone
        assert wait_until(lambda: not alive(pid), timeout=5)
        assert wait_until(lambda: not alive(grandchild), timeout=5), "the grandchild survived"
    finally:
        if alive(grandchild):
            os.kill(grandchild, signal.SIGKILL)


# transports
def test_socket_transport(make_team):
    """
    A recruiter with the socket transport runs tasks over unix socket pairs
    """
    fork = recruiter(transport="socket")
    staff = make_team("staff", size=2, recruiter=fork)
    assert staff.recruiter is fork
    assert staff.recruiter.transport.pyre_family() == "pyre.ipc.transports.socket"
    # work
    assert list(staff.map(tasks.add, range(20), range(20), timeout=PATIENCE)) == [
        2 * i for i in range(20)
    ]
    # over sockets
    assert staff.crews
    for crew in staff.crews:
        assert "socket" in type(crew.channel).__name__.lower()
    # and the worker sees a socket as its channel
    pid, descriptors = staff.submit(tasks.fork_descriptors).result(timeout=PATIENCE)
    assert any(target.startswith("socket:") for target in descriptors.values())
    # the only pipes are the ones that capture its output
    capture = {descriptors[1], descriptors[2]}
    assert not any(target.startswith("pipe:") and target not in capture for target in descriptors.values())


def test_socket_transport_from_configuration(tmp_path):
    """
    The transport of a team's recruiter set in a configuration file
    """
    (tmp_path / "pyre_nexus.pfg").write_text(
        textwrap.dedent(
            """
            sock.team:
                size = 2
                recruiter = fork
                recruiter.transport = socket
            """
        )
    )
    (tmp_path / "sock.py").write_text(
        textwrap.dedent(
            """
            import os, pyre_nexus
            staff = pyre_nexus.staff()(name="sock.team")
            results = list(staff.map(pow, range(10), [2] * 10, timeout=30))
            kinds = {type(crew.channel).__name__ for crew in staff.crews}
            staff.shutdown()
            print(staff.recruiter.transport.pyre_family(), results == [i * i for i in range(10)], sorted(kinds))
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "sock.py"], cwd=tmp_path, capture_output=True, text=True, timeout=PATIENCE
    )
    assert result.returncode == 0, result.stderr
    family, correct, kinds = result.stdout.split(" ", 2)
    assert family == "pyre.ipc.transports.socket"
    assert correct == "True"
    assert "socket" in kinds.lower()


# dismissal
@pytest.mark.parametrize(
    "ignore_term, expected", [(False, -signal.SIGTERM), (True, -signal.SIGKILL)], ids=["term", "kill"]
)
def test_dismissal_escalates(make_team, tmp_path, ignore_term, expected):
    """
    A worker that cut itself off from its team and does not leave gets SIGTERM after the
    recruiter's grace, and SIGKILL after another if it ignores SIGTERM
    """
    fork = recruiter(grace="200*ms")
    staff = make_team("staff", size=1, recruiter=fork)
    marker = tmp_path / "severed"
    future = staff.submit(tasks.fork_sever, str(marker), 60, ignore_term)
    # the task's outcome: its worker died of the escalation
    with pytest.raises(Casualty) as info:
        future.result(timeout=PATIENCE)
    pid = int(await_file(marker))
    assert info.value.pid == pid
    assert info.value.status == expected
    assert wait_until(lambda: not alive(pid), timeout=5)


# end of file


def test_grandchildren_end_with_their_worker(make_team):
    """
    A process started by a task is in its worker's process group, and ends when the worker
    leaves, even when the worker leaves in good order
    """
    staff = make_team("staff", size=1)
    grandchild = staff.submit(tasks.spawn_sleeper, 60).result(timeout=30)
    assert alive(grandchild)
    # dismiss the crew
    staff.shutdown(wait=True)
    # and its group went with it
    assert wait_until(lambda: not alive(grandchild), timeout=10), "a grandchild outlived its crew"


def test_recruiting_leaves_the_applications_frozen_objects_alone(make_team):
    """
    An application that froze objects of its own, e.g. before forking servers, finds them
    still frozen after its team recruits crews
    """
    import gc

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        staff = make_team("staff", size=2)
        assert staff.submit(tasks.pid).result(timeout=30) > 0
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
