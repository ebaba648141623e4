# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The drills every launched recruiter (spawn, ssh, mpi, slurm) goes through, with real launchers:
a thousand tasks, a worker crash, a task that keeps its worker from beating, and a team
SIGKILLed with its workers up, after which no worker may be left on any host; and, for the
recruiters that start several crews in one launch (mpi, slurm), a crew killed alone

A test module builds its recruiter's settings, as traits of a team's recruiter or, through
{options}, as pyre command line options for a team named 'drill', and hands them to these
functions
"""

# externals
import json
import os
import signal
import subprocess
import sys
import time

import cloudpickle

# the package
from pyre_nexus.exceptions import Casualty

# the tasks, which travel by value, since remote workers may not find this folder
from tests import tasks
from tests.conftest import wait_until
from tests.patience import PATIENCE

cloudpickle.register_pickle_by_value(tasks)


# the team script
HOLD = os.path.join(os.path.dirname(__file__), "hold.py")


def team(make_team, recruiter, size=2, **traits):
    """
    A staff of {size} crews recruited by {recruiter}, a component or its name, with {traits}
    set on it
    """
    # make the team
    staff = make_team(size=size)
    # and its recruiter
    staff.recruiter = recruiter
    for name, value in traits.items():
        setattr(staff.recruiter, name, value)
    # all done
    return staff


def thousand(staff):
    """
    A thousand tiny tasks, each with its own outcome
    """
    # submit them one by one
    futures = [staff.submit(tasks.add, index, 1) for index in range(1000)]
    # every one comes back right
    assert [future.result(timeout=PATIENCE) for future in futures] == [index + 1 for index in range(1000)]
    # and through map too
    assert list(staff.map(tasks.echo, range(1000), chunksize=10, timeout=PATIENCE)) == list(range(1000))


def crash(staff):
    """
    A worker that dies takes only its task with it, and is replaced
    """
    # a task that kills its worker
    doomed = staff.submit(tasks.leave, 3)
    # is a casualty
    error = doomed.exception(timeout=PATIENCE)
    assert isinstance(error, Casualty), repr(error)
    # and the team goes on, with a replacement
    assert list(staff.map(tasks.echo, range(50), timeout=PATIENCE)) == list(range(50))


def busy(staff):
    """
    A crew whose task holds the interpreter lock for five heartbeats, so its worker cannot
    beat, is at work, not lost: the task has its result, nobody is a casualty, and the same
    crew carries on; {staff} has one crew, with a heartbeat of a second
    """
    assert staff.submit(tasks.stubborn, 5, 42).result(timeout=PATIENCE) == 42
    assert staff.metrics()["outcomes"]["casualties"] == 0
    # the same crew carries on
    (crew,) = staff.crews
    assert staff.submit(tasks.pid).result(timeout=PATIENCE) == crew.pid


def spare(staff, folder):
    """
    A crew the team kills, here for a cancellation, takes only its own task with it: the other
    crew of its launch finishes its task, although a launcher may end the whole launch when one
    of its processes is killed or fails; the tasks leave their marks in {folder}
    """
    # the team recruits as its work grows, a crew at a time; ask for both at once, as after
    # the loss of several crews, so they are the crews of one launch
    staff.crews.extend(staff.recruiter.recruit(team=staff, count=2))
    assert len({crew.notes for crew in staff.crews}) == 1
    # a task for each crew
    marks = [folder / "kept", folder / "doomed"]
    kept = staff.submit(tasks.announce, marks[0], 4, "kept")
    doomed = staff.submit(tasks.announce, marks[1], 60)
    try:
        # both running, on different crews
        assert poll(staff, lambda: all(mark.exists() for mark in marks))
        assert marks[0].read_text() != marks[1].read_text()
        # cancel one
        assert doomed.cancel()
        # and the other finishes
        assert kept.result(timeout=PATIENCE) == "kept"
    # whatever happens, the long one does not hold up the team's shutdown
    finally:
        doomed.cancel()
    # and the team goes on
    assert list(staff.map(tasks.echo, range(20), timeout=PATIENCE)) == list(range(20))


def hosts(staff, expected, rounds=20):
    """
    Run short tasks on {staff} until its crews have reported from every host in {expected}, or
    {rounds} rounds pass; return the hosts seen
    """
    where = set()
    for _ in range(rounds):
        where.update(staff.map(tasks.hostname, [0.05] * (4 * len(expected)), timeout=PATIENCE))
        if len(where) == len(expected):
            break
    return where


def poll(staff, condition, timeout=PATIENCE):
    """
    Drive the event loop of {staff} until {condition}, which no event of the team brings about,
    holds; give up after {timeout} seconds
    """
    expiration = time.monotonic() + timeout
    while not condition() and time.monotonic() < expiration:
        staff.waitUntil(condition=condition, timeout=0.1)
    return condition()


def options(recruiter, settings):
    """
    The {settings} of a {recruiter}, by its short name, as command line options of the drill's
    team
    """
    words = [f"--drill.recruiter={recruiter}"]
    for name, value in settings.items():
        value = ",".join(value) if isinstance(value, list) else value
        words.append(f"--drill.recruiter.{name}={value}")
    return words


def workers(port):
    """
    The worker shells, on any host of this machine, that serve the team behind {port}
    """
    # the mark of the team in a worker's command line
    mark = f":{port}".encode()
    # go through the processes
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as stream:
                words = stream.read().split(b"\0")
        except OSError:
            continue
        if b"pyre_nexus" in words and any(word.startswith(b"--team=") and word.endswith(mark) for word in words):
            found.append(int(entry))
    # all done
    return found


def orphans(options, size=2, prefix=()):
    """
    Run a team in a process of its own, configured by {options} and started behind the command
    {prefix}, e.g. to run it on another host; SIGKILL it once its workers are up, and check
    that none of them is left
    """
    # start the team
    team = subprocess.Popen(
        [*prefix, sys.executable, HOLD, f"--drill.size={size}", *options],
        stdout=subprocess.PIPE,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    try:
        # wait for the news that its workers are up
        line = team.stdout.readline()
        assert line, f"the team exited with status {team.wait()} before its workers were up"
        news = json.loads(line)
        # they are all there
        port = news["port"]
        assert len(set(news["pids"])) == size
        assert len(workers(port)) >= size, news
        # kill the team
        team.send_signal(signal.SIGKILL)
        team.wait()
        # and its workers go too
        assert wait_until(lambda: not workers(port), timeout=PATIENCE), f"workers left: {workers(port)}"
    # whatever happens, the team goes
    finally:
        if team.poll() is None:
            team.kill()
            team.wait()
    # all done
    return news


# end of file
