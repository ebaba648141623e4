# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Shared fixtures: teams with unique names that are shut down after each test, and a check that
no test leaves a worker process behind
"""

# externals
import itertools
import os
import time

import pytest

# the package
import pyre_nexus
from pyre_nexus import exceptions
from tests import tasks
from tests.patience import PATIENCE
# the services of the integration tests: sshd, test hosts, MPI, Slurm, Grid Engine
from tests.infra import gridengine, hosts, mpich, openmpi, slurm, sshd  # noqa: F401


# unique team names: pyre hands back the same instance for a name it has seen before
names = itertools.count()


def children(pid=None):
    """
    The live (not zombie) child processes of {pid}, this process by default
    """
    # whose children
    pid = os.getpid() if pid is None else pid
    # collect them from /proc
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[0] is the state, fields[1] the parent
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


def alive(pid):
    """
    Whether {pid} is a live process; a zombie is not alive
    """
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(condition, timeout=10.0, interval=0.01):
    """
    Poll {condition} until it holds or {timeout} seconds pass; return its last value
    """
    expiration = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > expiration:
            return value
        time.sleep(interval)


def warm(staff, count=20, depth=3):
    """
    Run quick tasks through {staff}, {count} at a time, until its crews are up and it has seen
    that tasks are short enough to hand each crew at least {depth} of them; a loaded machine
    may need a few rounds
    """
    for _ in range(50):
        assert list(staff.map(tasks.echo, range(count))) == list(range(count))
        if staff.depth >= min(depth, staff.pipeline):
            return
    raise AssertionError(f"the team still hands out {staff.depth} task(s) at a time")


def together(staff, *futures):
    """
    Whether {futures} were all handed to the same crew and none of them has been reported yet
    """
    return any(all(crew.holds(future) for future in futures) for crew in staff.crews)


def end(future, how):
    """
    End {future}, a running task, and with it its crew, by {how}: "deadline" waits for the
    deadline it was submitted with to run out, anything else cancels it; its outcome says which
    """
    if how == "deadline":
        assert isinstance(future.exception(timeout=PATIENCE), exceptions.DeadlineExceeded)
    else:
        assert future.cancel()
        with pytest.raises(exceptions.Cancelled):
            future.result(timeout=PATIENCE)


@pytest.fixture
def make_team():
    """
    Build teams with unique names; each is shut down at the end of the test, which must leave
    no worker behind
    """
    # the teams made
    teams = []

    def make(kind="staff", **traits):
        # a staff runs in the test's thread, whose loop the tests drive and look into, unless
        # the test asks for a thread of its own
        if kind == "staff":
            traits.setdefault("mode", "host")
        # build one
        factory = getattr(pyre_nexus, kind)()
        team = factory(name=f"test-{kind}-{next(names)}", **traits)
        teams.append(team)
        return team

    # hand over the factory
    yield make
    # shut the teams down, cancelling what is left
    for team in teams:
        team.shutdown(wait=True, cancel_futures=True)
        # their crews are gone
        assert team.crews == []
    # and their processes too
    assert wait_until(lambda: not children(), timeout=10), f"workers left: {children()}"


@pytest.fixture
def staff(make_team):
    """
    A staff of two forked crews
    """
    return make_team("staff", size=2)


# end of file
