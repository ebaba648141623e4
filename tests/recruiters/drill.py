# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The drills every launched recruiter (spawn, ssh, mpi, slurm) goes through, with real launchers:
a thousand tasks, a worker crash, and a team SIGKILLed with its workers up, after which no
worker may be left on any host

A test module builds its recruiter's settings as pyre command line options for a team named
'drill' and hands them to these functions
"""

# externals
import json
import os
import signal
import subprocess
import sys

import cloudpickle

# the package
from pyre_nexus.exceptions import Casualty

# the tasks, which travel by value, since remote workers may not find this folder
from tests import tasks
from tests.conftest import wait_until

cloudpickle.register_pickle_by_value(tasks)


# how long launches get on a loaded machine
PATIENCE = 60
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
