# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Priorities: the tasks that wait for a crew run the highest priority first, and first in, first
out among equals, whether submitted one by one or by map
"""

# externals
import pytest

# the package
from pyre_nexus.exceptions import ArgumentError
from pyre_nexus.teams.Queue import Queue

# the tasks, and the helpers
from tests import tasks
from tests.patience import PATIENCE


class Waiting:
    """
    A task in a queue, as far as the queue sees it
    """

    def __init__(self, name, priority=0):
        self.name = name
        self.priority = priority

    def __repr__(self):
        return self.name


def test_the_queue_orders_by_priority_then_arrival():
    """
    Higher priorities come out first, equals in the order they came, and one put back first
    among its equals
    """
    queue = Queue()
    for name, priority in [("a", 0), ("b", 5), ("c", 0), ("d", -1), ("e", 5), ("f", 2.5)]:
        queue.append(Waiting(name, priority))
    queue.appendleft(Waiting("c0", 0))
    assert len(queue) == 7 and bool(queue)
    assert [task.name for task in queue] == ["b", "e", "f", "c0", "a", "c", "d"]
    assert [queue.popleft().name for _ in range(7)] == ["b", "e", "f", "c0", "a", "c", "d"]
    assert len(queue) == 0 and not queue
    # and it works again once empty, with one priority or several
    queue.append(Waiting("g", 1))
    queue.append(Waiting("h", 3))
    assert [queue.popleft().name for _ in range(2)] == ["h", "g"]


@pytest.mark.timeout(PATIENCE)
def test_priorities_order_100_waiting_tasks_on_one_crew(make_team, tmp_path):
    """
    One crew, busy while 100 tasks of random priorities queue up: they run highest first, and in
    the order they were submitted among equals
    """
    import random

    staff = make_team(size=1)
    log = tmp_path / "log"
    # keep the crew busy, so everything else waits in the queue
    gate = staff.submit(tasks.nap, 0.5)
    assert staff.waitUntil(lambda: gate.running(), timeout=PATIENCE)
    # the tasks, each with a priority
    shuffled = random.Random(7)
    priorities = [shuffled.choice([0, 1, 2, 5, -3]) for _ in range(100)]
    futures = [
        staff.options(priority=priority).submit(tasks.note, str(log), index)
        for index, priority in enumerate(priorities)
    ]
    staff.wait(futures, timeout=PATIENCE)
    ran = [int(line) for line in log.read_text().split()]
    # highest first, then first come first served
    assert ran == sorted(range(100), key=lambda index: (-priorities[index], index))


@pytest.mark.timeout(PATIENCE)
def test_map_takes_a_priority(make_team, tmp_path):
    """
    A map of high priority overtakes the tasks of a map that were queued before it
    """
    staff = make_team(size=1)
    log = tmp_path / "log"
    gate = staff.submit(tasks.nap, 0.5)
    assert staff.waitUntil(lambda: gate.running(), timeout=PATIENCE)
    low = staff.map(tasks.note, [str(log)] * 5, range(5))
    high = staff.map(tasks.note, [str(log)] * 5, range(100, 105), priority=10)
    assert list(high) == list(range(100, 105)) and list(low) == list(range(5))
    assert [int(line) for line in log.read_text().split()] == [100, 101, 102, 103, 104, 0, 1, 2, 3, 4]


@pytest.mark.timeout(PATIENCE)
@pytest.mark.parametrize("priority", ["high", None, True, float("nan")])
def test_a_priority_that_is_no_number(make_team, priority):
    """
    A priority that is not a number is refused before anything is submitted
    """
    staff = make_team(size=1)
    with pytest.raises(ArgumentError) as info:
        staff.options(priority=priority)
    assert "priority" in str(info.value) and "a number, higher first" in str(info.value)
    with pytest.raises(ArgumentError):
        list(staff.map(tasks.echo, [1], priority=priority))


# end of file
