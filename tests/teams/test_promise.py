# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The promise off the beaten path: whatever callbacks raise or wait for, and whatever values do
when they are pickled or unpickled, every task gets its outcome, later tasks still run, and the
crew carries on wherever its process is sound
"""

# externals
import asyncio
import concurrent.futures
import os
import time

import pytest

# the package
from pyre_nexus import exceptions

# the tasks
from tests import tasks
from tests.patience import PATIENCE
from tests.recruiters import drill


# helpers
def settled(staff, futures):
    """
    Wait for every one of {futures}; they all have their outcome within my patience
    """
    done, pending = staff.wait(futures, timeout=PATIENCE)
    assert not pending, f"{len(pending)} tasks without an outcome"
    return done


def carries_on(staff, count=5):
    """
    The team still runs tasks, and they are right
    """
    futures = [staff.submit(tasks.add, index, 1) for index in range(count)]
    assert [future.result(timeout=PATIENCE) for future in futures] == [index + 1 for index in range(count)]


# callbacks that raise what is not an error
@pytest.mark.parametrize("kind", [SystemExit, KeyboardInterrupt])
def test_callback_raises_exit(make_team, kind):
    """
    A done callback that raises {SystemExit} or {KeyboardInterrupt}: it reaches the caller, and
    every task still gets its outcome
    """
    staff = make_team("staff", size=1)
    futures = [staff.submit(tasks.add, index, 0) for index in range(100)]

    def callback(future):
        if future.result() == 3:
            raise kind("from a callback")

    for future in futures:
        future.add_done_callback(callback)
    # the exit reaches the waiter
    with pytest.raises(kind):
        staff.wait(futures, timeout=PATIENCE)
    # and nothing was lost on the way
    settled(staff, futures)
    assert [future.result() for future in futures] == list(range(100))
    carries_on(staff)


def test_callback_raises_in_result(make_team):
    """
    The exit of a callback reaches {result()} of another future too, and the books stay right
    """
    staff = make_team("staff", size=2)
    first = staff.submit(tasks.add, 1, 1)
    first.add_done_callback(lambda future: (_ for _ in ()).throw(SystemExit(7)))
    later = [staff.submit(tasks.add, index, 0) for index in range(20)]
    with pytest.raises(SystemExit):
        later[-1].result(timeout=PATIENCE)
    settled(staff, later)
    assert first.result() == 2
    assert [future.result() for future in later] == list(range(20))
    assert staff.metrics()["outcomes"]["completed"] == 21


# waiting from a callback
def test_callback_waits_for_the_same_crew(make_team):
    """
    A done callback may wait for a task queued on the same crew
    """
    staff = make_team("staff", size=1)
    futures = [staff.submit(tasks.add, index, 0) for index in range(10)]
    seen = []
    futures[0].add_done_callback(lambda future: seen.append(futures[-1].result(timeout=PATIENCE)))
    assert futures[0].result(timeout=PATIENCE) == 0
    assert seen == [9]
    carries_on(staff)


def test_callback_shuts_the_team_down(make_team):
    """
    A done callback may shut its team down and wait for it
    """
    staff = make_team("staff", size=2)
    futures = [staff.submit(tasks.add, index, 0) for index in range(10)]
    futures[0].add_done_callback(lambda future: staff.shutdown(wait=True))
    futures[0].result(timeout=PATIENCE)
    # the shutdown waited for every task and every crew
    assert all(future.done() for future in futures)
    assert [future.result() for future in futures] == list(range(10))
    assert staff.crews == []


def test_progress_callback_waits(make_team):
    """
    A progress callback may wait for another task
    """
    staff = make_team("staff", size=1)
    seen = []
    first = staff.submit(tasks.gossip, "news")
    second = staff.submit(tasks.add, 2, 2)
    first.add_progress_callback(lambda future, news: seen.append((news, second.result(timeout=PATIENCE))))
    assert first.result(timeout=PATIENCE) == "news"
    assert seen == [("news", 4)]


# failures while pickling in the worker
@pytest.mark.parametrize("kind", ["RuntimeError", "OSError", "SystemExit", "MemoryError"])
def test_result_pickling_fails(make_team, kind):
    """
    A result whose pickling raises anything is an {UnpicklableResult} naming it, and the crew
    carries on
    """
    staff = make_team("staff", size=1)
    worker = staff.submit(tasks.pid).result(timeout=PATIENCE)
    future = staff.submit(tasks.hostile_result, kind)
    with pytest.raises(exceptions.UnpicklableResult, match=kind):
        future.result(timeout=PATIENCE)
    # the same worker goes on
    assert staff.submit(tasks.pid).result(timeout=PATIENCE) == worker
    carries_on(staff)


def test_task_raises_cancelled(make_team):
    """
    A task that raises {asyncio.CancelledError} hands it back as itself, as {concurrent.futures}
    does, and the crew carries on
    """
    staff = make_team("staff", size=1)
    worker = staff.submit(tasks.pid).result(timeout=PATIENCE)
    with pytest.raises(asyncio.CancelledError, match="told to stop"):
        staff.submit(tasks.hostile_raise, "cancelled").result(timeout=PATIENCE)
    assert staff.submit(tasks.pid).result(timeout=PATIENCE) == worker


def test_task_raises_base_exception(make_team):
    """
    A task that raises some other {BaseException} hands it back as itself
    """
    staff = make_team("staff", size=1)
    worker = staff.submit(tasks.pid).result(timeout=PATIENCE)
    with pytest.raises(tasks.HostileBase):
        staff.submit(tasks.hostile_raise, "base").result(timeout=PATIENCE)
    assert staff.submit(tasks.pid).result(timeout=PATIENCE) == worker


def test_task_raises_mute_exception(make_team):
    """
    An exception whose message cannot be rendered still comes back as itself, with its
    traceback
    """
    staff = make_team("staff", size=1)
    future = staff.submit(tasks.hostile_raise, "mute")
    error = future.exception(timeout=PATIENCE)
    assert isinstance(error, tasks.HostileMute)
    assert isinstance(error.__cause__, exceptions.RemoteTraceback)
    assert "hostile_raise" in error.__cause__.text
    carries_on(staff)


def test_task_raises_unpicklable_exception(make_team):
    """
    An exception that cannot travel is described: its type, its message and why it could not
    """
    staff = make_team("staff", size=1)
    worker = staff.submit(tasks.pid).result(timeout=PATIENCE)
    error = staff.submit(tasks.hostile_raise, "unpicklable").exception(timeout=PATIENCE)
    assert isinstance(error, exceptions.TaskAborted)
    assert error.kind == "ValueError"
    assert "could not be sent back: RuntimeError: pickling refused" in str(error)
    assert staff.submit(tasks.pid).result(timeout=PATIENCE) == worker


# failures while unpickling in the team
def test_error_unpickles_as_no_exception(make_team):
    """
    An error that unpickles in the team as something that is not an exception becomes a
    {TaskAborted} that says so
    """
    staff = make_team("staff", size=1)
    futures = [staff.submit(tasks.hostile_raise, "impostor")] + [staff.submit(tasks.add, i, 0) for i in range(5)]
    settled(staff, futures)
    error = futures[0].exception()
    assert isinstance(error, exceptions.TaskAborted)
    assert "int is not an exception" in str(error)
    assert [future.result() for future in futures[1:]] == list(range(5))


def test_result_unpickling_exits(make_team):
    """
    A result whose unpickling in the team raises {SystemExit} is an {UnpicklableResult} naming
    it; the team's process does not exit
    """
    staff = make_team("staff", size=1)
    futures = [staff.submit(tasks.hostile_unpickle)] + [staff.submit(tasks.add, i, 0) for i in range(5)]
    settled(staff, futures)
    with pytest.raises(exceptions.UnpicklableResult, match="SystemExit"):
        futures[0].result()
    assert [future.result() for future in futures[1:]] == list(range(5))


# frames the team does not accept
def test_result_over_maxframe(make_team):
    """
    A spawned crew's result larger than {maxframe} is dropped unread: its task fails with
    {FrameTooLarge} naming the sizes, the tasks behind it run elsewhere, and the team goes on
    """
    staff = drill.team(make_team, "spawn", size=1, maxframe=4096)
    futures = [staff.submit(tasks.hostile_big, 100_000)] + [staff.submit(tasks.add, i, 0) for i in range(5)]
    settled(staff, futures)
    error = futures[0].exception()
    assert isinstance(error, exceptions.FrameTooLarge)
    assert "4096 bytes" in str(error) and "maxframe" in str(error)
    assert [future.result() for future in futures[1:]] == list(range(5))
    carries_on(staff)


# processes and time
@pytest.mark.parametrize("recruiter", ["fork", "spawn"])
def test_shutdown_after_cancel_before_registration(make_team, recruiter):
    """
    A task cancelled before its crew registered, then shutdown: the shutdown returns at once,
    and recruits nobody on the way
    """
    staff = drill.team(make_team, recruiter, size=1)
    future = staff.submit(tasks.add, 1, 1)
    assert future.cancel()
    started = time.monotonic()
    staff.shutdown(wait=True)
    assert staff.crews == []
    # one crew was recruited, and none after it
    assert staff.metrics()["former crews"].get("crews", 0) <= 1, staff.metrics()["former crews"]
    print(f"shutdown in {time.monotonic() - started:.3f} s")


def test_task_forks_and_both_return(make_team):
    """
    A task that forks and lets both copies return: only the worker reports, the copy leaves,
    and the tasks behind it are not disturbed
    """
    staff = make_team("staff", size=1)
    futures = [staff.submit(tasks.fork_both_return, 1)] + [staff.submit(tasks.add, i, 0) for i in range(20)]
    settled(staff, futures)
    assert futures[0].result() == (1, "parent")
    assert [future.result() for future in futures[1:]] == list(range(20))
    carries_on(staff)


@pytest.mark.timeout(60)
def test_hanging_initializer(make_team):
    """
    An initializer that never finishes is not the deadline of a task that never started: the
    crews are let go as failed recruitments, and the task gets the error that names the
    initializer
    """
    staff = make_team("staff", size=1, initializer=tasks.hang_forever)
    future = staff.options(deadline=0.5).submit(tasks.add, 1, 1)
    error = future.exception(timeout=PATIENCE)
    assert isinstance(error, exceptions.RecruitmentError), error
    assert "the initializer did not finish" in str(error)
    assert not isinstance(error, exceptions.DeadlineExceeded)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("recruiter", ["fork", "spawn"])
def test_undeliverable_task_is_bounded(make_team, recruiter):
    """
    A task too large for its crews' memory limit, as their address space, kills them while they
    receive it: it is charged like a task that kills its crews, its outcome names the limit, and
    the team does not recruit without end
    """
    from pyre_nexus.recruiters.Process import Process

    # the limit on what a crew maps, as without cgroups, where a mapping counts before it is used
    staff = drill.team(make_team, recruiter, size=1, cgroups="off")
    # an argument that travels in shared memory, which a crew maps as it receives it
    size = 1 << 30
    big = bytes(size)
    # a forked crew starts with what the team maps, the argument's shared copy included, and
    # then maps that copy again; a spawned one starts small
    if recruiter == "fork":
        staff.recruiter.memory = Process.mapped() + size + (256 << 20)
    else:
        staff.recruiter.memory = size // 2
    future = staff.submit(tasks.nbytes, big)
    del big
    error = future.exception(timeout=PATIENCE)
    assert isinstance(error, exceptions.Casualty), error
    assert "memory" in str(error), error
    # a handful of crews at most, not one after another without end
    assert staff.metrics()["former crews"].get("crews", 0) <= 3, staff.metrics()["former crews"]
    carries_on(staff)


# bounds
@pytest.mark.timeout(60)
def test_outcomes_within_bound(make_team):
    """
    A mix of every hostile case above, on two crews: all of them end within the patience of
    one wait
    """
    descriptors = len(os.listdir("/proc/self/fd"))
    staff = make_team("staff", size=2)
    started = time.monotonic()
    futures = [
        staff.submit(tasks.hostile_result, "RuntimeError"),
        staff.submit(tasks.hostile_big, 4 << 20),
        staff.submit(tasks.hostile_raise, "cancelled"),
        staff.submit(tasks.hostile_raise, "base"),
        staff.submit(tasks.hostile_raise, "mute"),
        staff.submit(tasks.hostile_raise, "impostor"),
        staff.submit(tasks.hostile_unpickle),
    ] + [staff.submit(tasks.add, i, 0) for i in range(20)]
    done, pending = staff.wait(futures, timeout=PATIENCE, return_when=concurrent.futures.ALL_COMPLETED)
    assert not pending
    assert futures[1].result() == bytes(4 << 20).replace(b"\0", b"x")
    assert all(future.exception() is not None for future in futures[:1] + futures[2:7])
    assert [future.result() for future in futures[7:]] == list(range(20))
    print(f"every hostile outcome in {time.monotonic() - started:.3f} s")
    # nothing is left: no descriptor, and so no shared memory file either
    staff.shutdown(wait=True)
    assert len(os.listdir("/proc/self/fd")) == descriptors


# end of file
