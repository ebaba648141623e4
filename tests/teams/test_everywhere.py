# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Work on every crew, and state that lives in each: {everywhere} runs a call once on each crew
and gives one outcome per crew, and, with {again}, on every crew recruited later before its
first task; what the initializer returns is {pyre_nexus.state()} for the tasks of that crew
"""

# externals
import os
import threading

import pytest

# the package
import pyre_nexus
from pyre_nexus.exceptions import Casualty, TeamClosed, UnpicklableTask

# the tasks, and the helpers
from tests import tasks
from tests.patience import PATIENCE


def up(staff, count):
    """
    Take {staff} to {count} crews at work
    """
    staff.resize(count)
    assert staff.waitUntil(lambda: sum(crew.accepting() for crew in staff.crews) == count, timeout=PATIENCE)
    return {crew.pid for crew in staff.crews}


@pytest.mark.timeout(PATIENCE)
def test_once_on_each_crew(make_team):
    """
    Four crews, four futures, one result from each crew
    """
    staff = make_team(size=4)
    pids = up(staff, 4)
    futures = staff.everywhere(os.getpid)
    assert len(futures) == 4
    assert {future.result(timeout=PATIENCE) for future in futures} == pids


@pytest.mark.timeout(PATIENCE)
def test_a_crew_that_dies_mid_call(make_team, tmp_path):
    """
    One crew of four dies while it runs the call: a casualty for that crew, results for the
    others, and the call is not run again elsewhere
    """
    staff = make_team(size=4)
    pids = up(staff, 4)
    futures = staff.everywhere(tasks.first_dies, str(tmp_path / "claim"))
    staff.wait(futures, timeout=PATIENCE)
    errors = [future.exception() for future in futures if future.exception() is not None]
    results = [future.result() for future in futures if future.exception() is None]
    assert len(errors) == 1 and isinstance(errors[0], Casualty), errors
    assert len(results) == 3 and set(results) < pids
    # the team goes on, with a replacement
    assert staff.submit(pow, 2, 5).result(timeout=PATIENCE) == 32


@pytest.mark.timeout(PATIENCE)
def test_crews_on_their_way(make_team):
    """
    Crews that are still coming up run the call once they register
    """
    staff = make_team(size=2)
    staff.resize(2)
    futures = staff.everywhere(os.getpid)
    assert len(futures) == 2
    assert len({future.result(timeout=PATIENCE) for future in futures}) == 2


@pytest.mark.timeout(PATIENCE)
def test_again_on_every_later_crew(make_team, tmp_path):
    """
    With {again}, every crew recruited later runs the call before its first task
    """
    log = tmp_path / "log"
    staff = make_team(size=3)
    first = up(staff, 1)
    staff.wait(staff.everywhere(tasks.note, str(log), "setup", again=True), timeout=PATIENCE)
    pids = up(staff, 3)
    # each later crew ran it before anything else
    futures = [staff.submit(tasks.crewstate) for _ in range(30)]
    staff.wait(futures, timeout=PATIENCE)
    assert log.read_text().split() == ["setup"] * 3
    assert len(pids - first) == 2


@pytest.mark.timeout(PATIENCE)
def test_the_initializer_state_of_each_crew(make_team, tmp_path):
    """
    What the initializer returned is reachable by the tasks of that crew, and differs between crews
    """
    staff = make_team(size=3, initializer=tasks.remember, initargs=[str(tmp_path / "log")])
    up(staff, 3)
    states = [future.result(timeout=PATIENCE) for future in staff.everywhere(tasks.crewstate)]
    assert sorted(state["pid"] for state in states) == sorted(crew.pid for crew in staff.crews)
    assert len({state["token"] for state in states}) == 3
    # outside a worker there is none
    assert pyre_nexus.state() is None


@pytest.mark.timeout(PATIENCE)
def test_misuse(make_team):
    """
    A call that cannot travel fails the future of each crew at once, naming what could not; a
    team with no crew gets no futures; a team that is shut down takes none
    """
    staff = make_team(size=2)
    assert staff.everywhere(os.getpid) == []
    up(staff, 2)
    lock = threading.Lock()
    futures = staff.everywhere(tasks.echo, lock)
    assert len(futures) == 2
    for future in futures:
        error = future.exception(timeout=5)
        assert isinstance(error, UnpicklableTask) and "argument 1" in str(error) and "lock" in str(error)
    staff.shutdown()
    with pytest.raises(TeamClosed):
        staff.everywhere(os.getpid)


@pytest.mark.timeout(PATIENCE)
def test_from_another_thread(make_team):
    """
    A staff on a thread of its own takes the call from any thread
    """
    staff = make_team(size=2, mode="thread")
    staff.resize(2)
    results = []
    thread = threading.Thread(target=lambda: results.extend(f.result(timeout=PATIENCE) for f in staff.everywhere(os.getpid)))
    thread.start()
    thread.join(timeout=PATIENCE)
    assert len(set(results)) == 2


# end of file
