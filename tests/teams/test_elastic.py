# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
A team changes its size while it works: {resize} grows it at once or lets the crews beyond the
new size go, the idle ones first and the busy ones once their tasks report; with {idle}, a crew
that sat idle that long is let go, down to {minimum}; every decision is in the books
"""

# externals
import threading
import time

import pytest
from pyre.units.SI import second

# the package
from pyre_nexus.exceptions import ConfigurationError, TeamClosed, WrongThread

# the tasks, and the helpers
from tests import tasks
from tests.patience import PATIENCE
from tests.test_config import report, run


# helpers
def accepting(team):
    """
    The crews of {team} that take tasks
    """
    return [crew for crew in team.crews if crew.accepting()]


# resizing
@pytest.mark.timeout(PATIENCE)
def test_resize_grows_now(make_team):
    """
    A staff that never had work grows to the new size at once, and says why in its books
    """
    staff = make_team(size=2)
    # grow
    staff.resize(4)
    assert staff.waitUntil(lambda: len(accepting(staff)) == 4, timeout=PATIENCE)
    # the size is the new one, and the books say why
    assert staff.size == 4
    decisions = staff.metrics()["decisions"]
    assert decisions[-1]["action"] == "grow"
    assert decisions[-1]["crews"] == [0, 4]
    assert decisions[-1]["why"] == "resized to 4"


@pytest.mark.timeout(PATIENCE)
def test_resize_lets_idle_crews_go_first(make_team):
    """
    Shrinking keeps the busy crew and lets the idle ones go at once
    """
    staff = make_team(size=3)
    staff.resize(3)
    assert staff.waitUntil(lambda: len(accepting(staff)) == 3, timeout=PATIENCE)
    # one crew at work
    future = staff.submit(tasks.doze, 1.0)
    assert staff.waitUntil(lambda: future.running(), timeout=PATIENCE)
    busy = future.crew
    # shrink to one
    staff.resize(1)
    # the idle ones are gone while the task still runs, and the busy one stayed
    assert staff.waitUntil(lambda: staff.crews == [busy], timeout=PATIENCE)
    assert not future.done()
    assert future.result(timeout=PATIENCE) == busy.pid
    # and the books say so
    assert staff.metrics()["decisions"][-1] == {
        **staff.metrics()["decisions"][-1],
        "action": "shrink",
        "crews": [3, 1],
        "why": "resized to 1",
    }


@pytest.mark.timeout(PATIENCE)
def test_resize_lets_busy_crews_go_once_they_report(make_team):
    """
    Crews beyond the new size that are all busy finish their tasks, then go; no task is lost
    """
    staff = make_team(size=3)
    staff.resize(3)
    assert staff.waitUntil(lambda: len(accepting(staff)) == 3, timeout=PATIENCE)
    # every crew at work
    futures = [staff.submit(tasks.doze, 0.5) for _ in range(3)]
    assert staff.waitUntil(lambda: all(future.running() for future in futures), timeout=PATIENCE)
    # shrink to one: two crews retire, and none is killed
    staff.resize(1)
    assert sorted(crew.state for crew in staff.crews) == ["active", "retiring", "retiring"]
    # every task reports
    assert len({future.result(timeout=PATIENCE) for future in futures}) == 3
    # and then the two leave
    assert staff.waitUntil(lambda: len(staff.crews) == 1, timeout=PATIENCE)
    # more work runs on the one that is left
    assert staff.submit(tasks.doze, 0).result(timeout=PATIENCE) == staff.crews[0].pid


@pytest.mark.timeout(PATIENCE)
@pytest.mark.parametrize("size", [0, -1, 2.5, "3", True, None])
def test_resize_refuses_what_is_no_size(make_team, size):
    """
    A size that is not a whole number of crews, at least one, is refused at once, with what is
    accepted, and the team goes on as it was
    """
    staff = make_team(size=2)
    started = time.monotonic()
    with pytest.raises(ConfigurationError) as info:
        staff.resize(size)
    assert time.monotonic() - started < 5
    text = str(info.value)
    assert "size" in text and "a whole number of crews, at least 1" in text
    # nothing changed
    assert staff.size == 2
    assert staff.submit(pow, 2, 3).result(timeout=PATIENCE) == 8


@pytest.mark.timeout(PATIENCE)
def test_resize_below_the_minimum(make_team):
    """
    A size below the team's minimum is refused, naming the minimum and how to let crews go
    """
    staff = make_team(size=4, minimum=2)
    with pytest.raises(ConfigurationError) as info:
        staff.resize(1)
    text = str(info.value)
    assert "at least 2" in text and "'minimum'" in text and "'idle'" in text


@pytest.mark.timeout(PATIENCE)
def test_resize_after_shutdown(make_team):
    """
    A team that is shut down takes no orders to resize
    """
    staff = make_team(size=2)
    staff.shutdown()
    with pytest.raises(TeamClosed):
        staff.resize(3)


@pytest.mark.timeout(PATIENCE)
def test_resize_from_another_thread_of_a_host_staff(make_team):
    """
    A staff that runs in the host's loop is resized only by the thread that built it
    """
    staff = make_team(size=2)
    errors = []

    def other():
        try:
            staff.resize(3)
        except Exception as error:
            errors.append(error)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(timeout=5)
    assert isinstance(errors[0], WrongThread), errors
    assert "resize" in str(errors[0])
    assert staff.size == 2


@pytest.mark.timeout(PATIENCE)
def test_resize_from_any_thread_of_a_threaded_staff(make_team):
    """
    A staff on a thread of its own is resized from any thread, even before its first task
    """
    staff = make_team(size=2, mode="thread")
    thread = threading.Thread(target=staff.resize, args=(3,))
    thread.start()
    thread.join(timeout=5)
    deadline = time.monotonic() + PATIENCE
    while len(staff.metrics()["crews"]) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(staff.metrics()["crews"]) == 3
    assert staff.size == 3


# adapting
@pytest.mark.timeout(PATIENCE)
def test_adapts_up_and_down(make_team):
    """
    A staff with no crews grows to its size under 1,000 tasks, and lets every crew go once they
    sat idle; every task completes, and the books tell each step
    """
    staff = make_team(size=4, idle=0.5 * second, mode="thread")
    futures = [staff.submit(tasks.doze, 0.002) for _ in range(1000)]
    # watch its size while it works
    peak = 0
    while not all(future.done() for future in futures):
        peak = max(peak, len(staff.metrics()["crews"]))
        time.sleep(0.01)
    assert peak == 4
    assert all(future.exception() is None for future in futures)
    # then it goes back to none
    deadline = time.monotonic() + PATIENCE
    while staff.metrics()["crews"] and time.monotonic() < deadline:
        time.sleep(0.05)
    books = staff.metrics()
    assert books["crews"] == []
    assert books["grown"] >= 4 and books["shrunk"] >= 4
    assert books["outcomes"]["completed"] == 1000
    # the last decision let the last crews go, for their idleness
    assert books["decisions"][-1]["action"] == "shrink"
    assert books["decisions"][-1]["crews"][1] == 0
    assert "idle for 0.5 s" in books["decisions"][-1]["why"]


@pytest.mark.timeout(PATIENCE)
def test_keeps_its_minimum(make_team):
    """
    Idle crews are let go down to the minimum, which stays
    """
    staff = make_team(size=4, minimum=2, idle=0.2 * second)
    futures = [staff.submit(tasks.doze, 0.01) for _ in range(100)]
    staff.wait(futures)
    # the extra ones go
    assert staff.waitUntil(lambda: len(staff.crews) == 2, timeout=PATIENCE)
    # and the minimum stays, well past its idle time
    staff.waitUntil(lambda: len(staff.crews) < 2, timeout=1.0)
    assert len(accepting(staff)) == 2


@pytest.mark.timeout(PATIENCE)
def test_minimum_comes_up_with_the_first_task(make_team):
    """
    A team with a minimum recruits it with its first task, even if the task needs one crew
    """
    staff = make_team(size=4, minimum=3)
    assert staff.submit(pow, 3, 2).result(timeout=PATIENCE) == 9
    assert staff.waitUntil(lambda: len(accepting(staff)) == 3, timeout=PATIENCE)


# configuration
ADAPTIVE = """
import json, pyre_nexus
from pyre.units.SI import second
team = pyre_nexus.staff()(name="app.team")
print(json.dumps({"size": team.size, "minimum": team.minimum, "idle": team.idle / second}))
"""


@pytest.mark.timeout(PATIENCE)
def test_adaptive_traits_in_a_file(tmp_path):
    """
    The size, minimum and idle time of a team are set in its application's .pfg
    """
    files = {
        "pyre_nexus.pfg": """
            app.team:
                size = 8
                minimum = 1
                idle = 30*s
            """
    }
    assert report(tmp_path, ADAPTIVE, files=files) == {"size": 8, "minimum": 1, "idle": 30.0}


@pytest.mark.timeout(PATIENCE)
@pytest.mark.parametrize(
    "settings, words",
    [
        ("minimum = 5\n    size = 4", ["minimum", "at most the size, 4"]),
        ("minimum = -1", ["minimum", "zero or more crews"]),
        ("idle = soon", ["idle", "a non-negative time with units"]),
        ("idle = 3", ["idle", "a non-negative time with units"]),
    ],
)
def test_bad_adaptive_traits(tmp_path, settings, words):
    """
    A minimum above the size, or an idle time that is no time, is refused, naming the trait
    """
    files = {"pyre_nexus.pfg": f"app.team:\n    {settings}\n"}
    result = run(tmp_path, ADAPTIVE, files=files)
    assert result.returncode != 0
    for word in words:
        assert word in result.stderr, result.stderr


# end of file
