# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The staff is a {concurrent.futures.Executor}, in both places its event loop may run: in a thread
of its own (mode=thread) and in the loop of its host (mode=host), which the test's thread drives.
The promises checked are those the Python documentation of {concurrent.futures} makes: submit,
map, shutdown, the context manager, wait, as_completed, and the methods of the futures; then what
a thread of its own adds: many threads at once, asyncio, shutdown racing submissions, interpreter
exit; and the misuses that must fail at once with a message that says what to do
"""

# externals
import asyncio
import concurrent.futures
import logging
import os
import pathlib
import subprocess
import sys
import textwrap
import threading
import time

import pytest

# the package
from pyre_nexus import exceptions

# the tasks
from tests import tasks
from tests.conftest import alive, wait_until
from tests.patience import PATIENCE


# the root of the checkout, for the scripts run in a child interpreter
ROOT = pathlib.Path(__file__).resolve().parents[2]
# how long a call that must fail at once may take, on a loaded machine
PROMPT = 5.0


# fixtures
@pytest.fixture(params=["thread", "host"])
def executor(request, make_team):
    """
    A staff of two forked crews, whose loop runs in a thread of its own or in the test's thread
    """
    return make_team("staff", size=2, mode=request.param)


@pytest.fixture
def threaded(make_team):
    """
    A staff of two forked crews whose loop runs in a thread of its own
    """
    return make_team("staff", size=2, mode="thread")


@pytest.fixture
def hosted(make_team):
    """
    A staff of two forked crews whose loop runs in the test's thread
    """
    return make_team("staff", size=2, mode="host")


# helpers
def bells():
    """
    The number of eventfd descriptors this process holds
    """
    count = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{name}") == "anon_inode:[eventfd]"
        except OSError:
            pass
    return count


def waiting(staff):
    """
    The {wait} and {as_completed} for the futures of {staff}: those of the standard library when
    its loop runs in a thread of its own; the staff's own when it runs in its host's loop, since
    the standard library's only block on a condition and cannot drive that loop, so they would
    wait for ever for futures that only the loop they keep from running can finish
    """
    if staff.runner is not None:
        return concurrent.futures.wait, concurrent.futures.as_completed
    return staff.wait, staff.as_completed


def until(staff, condition, timeout=PATIENCE):
    """
    Wait until {condition()} holds, driving the loop of {staff} if the caller must; fail after
    {timeout} seconds
    """
    expiration = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < expiration, "the condition did not come about in time"
        # a staff in the host's loop needs the caller to run it; a thread of its own does not
        if staff.runner is None:
            staff.waitUntil(condition=condition, timeout=0.02)
        else:
            time.sleep(0.01)
    return


def idle(staff, seconds):
    """
    Let {seconds} pass, driving the loop of {staff} if the caller must, so it may do what it
    would do meanwhile
    """
    expiration = time.monotonic() + seconds
    # a loop with nothing to watch, e.g. once its crews are gone, refuses to be run
    if staff.runner is None and staff.crews:
        try:
            staff.waitUntil(condition=lambda: False, timeout=seconds)
        except exceptions.NexusError as error:
            assert "ran out of work" in str(error), error
    time.sleep(max(0.0, expiration - time.monotonic()))
    return


def started(staff, path):
    """
    Wait until the task that writes its worker's pid to {path} runs; return the pid
    """
    until(staff, path.exists)
    return int(path.read_text())


def elsewhere(call, timeout=PATIENCE):
    """
    Make {call()} in another thread; return what it raised, or {None}, and how long it took
    """
    outcome = {}

    def body():
        start = time.monotonic()
        try:
            call()
        except BaseException as error:
            outcome["error"] = error
        outcome["seconds"] = time.monotonic() - start

    thread = threading.Thread(target=body, name="elsewhere")
    thread.start()
    thread.join(timeout=timeout)
    assert not thread.is_alive(), f"{call} from another thread did not return"
    return outcome.get("error"), outcome["seconds"]


# the executor
@pytest.mark.timeout(60)
def test_is_executor(executor):
    """
    A staff is a {concurrent.futures.Executor}, whose futures are {concurrent.futures.Future}s;
    only a staff in thread mode starts a thread, and only once it has work
    """
    assert isinstance(executor, concurrent.futures.Executor)

    def mine():
        return [thread for thread in threading.enumerate() if thread.name == f"pyre_nexus {executor}"]

    # no thread before the first submission
    assert mine() == []
    future = executor.submit(tasks.add, 2, 3)
    assert isinstance(future, concurrent.futures.Future)
    assert future.result(timeout=PATIENCE) == 5
    # a thread of its own in thread mode, none in host mode
    assert len(mine()) == (1 if executor.mode == "thread" else 0)


@pytest.mark.timeout(60)
def test_submit_arguments(executor):
    """
    {submit(fn, /, *args, **kwargs)} passes every argument on, a keyword named {fn} or {self}
    too, and refuses a callable given by keyword, since {fn} is positional only
    """
    future = executor.submit(tasks.capture, 1, "two", fn=3, self=4, kwds=5)
    assert future.result(timeout=PATIENCE) == ((1, "two"), {"fn": 3, "self": 4, "kwds": 5})
    with pytest.raises(TypeError):
        executor.submit(fn=tasks.noop)


# map
@pytest.mark.timeout(60)
def test_map_several_iterables(executor):
    """
    {map} is lazy in its results, takes one argument from each iterable per call, stops at the
    shortest, and yields the results in the order of its input, not of completion
    """
    results = executor.map(tasks.nap, [0.4, 0.2, 0.0, 0.0], ["a", "b", "c", "d", "e"])
    assert iter(results) is results
    assert list(results) == ["a", "b", "c", "d"]
    results = executor.map(tasks.add, range(10), range(100, 107), timeout=PATIENCE)
    assert list(results) == [100 + 2 * i for i in range(7)]


@pytest.mark.timeout(90)
def test_map_timeout(executor, tmp_path):
    """
    The iterator of {map} raises {TimeoutError} when a result is not there {timeout} seconds after
    the call; the tasks it gave up on are cancelled, the running one by killing its worker
    """
    quick, slow = tmp_path / "quick", tmp_path / "slow"
    timeout = 3.0
    start = time.monotonic()
    results = executor.map(tasks.fork_announce, [quick, slow], [0.0, PATIENCE], ["quick", "slow"], timeout=timeout)
    assert next(results)[1] == "quick"
    with pytest.raises(TimeoutError):
        next(results)
    elapsed = time.monotonic() - start
    assert timeout - 0.1 <= elapsed < timeout + PROMPT
    # the iterator is over
    with pytest.raises(StopIteration):
        next(results)
    # the slow one ran, and its worker is gone
    pid = started(executor, slow)
    assert wait_until(lambda: not alive(pid), timeout=PATIENCE / 4), "the worker of the late task lives on"
    assert executor.metrics()["outcomes"]["cancelled"] == 1


@pytest.mark.timeout(60)
def test_map_chunksize(executor):
    """
    {map} with {chunksize} sends that many items per task, and still yields every result in order
    """
    assert list(executor.map(tasks.echo, range(23), chunksize=5, timeout=PATIENCE)) == list(range(23))
    # five tasks carried the 23 items
    assert executor.metrics()["submitted"] == 5
    # several iterables travel in chunks too
    results = executor.map(tasks.add, range(10), range(100, 107), chunksize=3, timeout=PATIENCE)
    assert list(results) == [100 + 2 * i for i in range(7)]
    assert executor.metrics()["submitted"] == 5 + 3


@pytest.mark.timeout(90)
def test_map_early_exit(executor, tmp_path):
    """
    Breaking out of the iterator of {map} cancels the calls whose results were not taken: the
    waiting ones never run, the running ones have their workers killed
    """
    count = 8
    paths = [tmp_path / f"item-{i}" for i in range(count)]
    seconds = [0.0] + [PATIENCE] * (count - 1)
    for pid, value in executor.map(tasks.fork_announce, paths, seconds, range(count)):
        assert value == 0
        break
    # the rest are cancelled
    outcomes = executor.metrics()["outcomes"]
    assert outcomes["completed"] == 1 and outcomes["cancelled"] == count - 1
    # the workers of those that had started are gone
    idle(executor, 0.2)
    begun = [path for path in paths[1:] if path.exists()]
    pids = [int(path.read_text()) for path in begun]
    assert wait_until(lambda: not any(map(alive, pids)), timeout=PATIENCE / 4), "workers of cancelled tasks live on"
    # and the others never start
    idle(executor, 0.5)
    assert [path for path in paths[1:] if path.exists()] == begun
    # so nothing keeps a shutdown waiting
    start = time.monotonic()
    executor.shutdown(wait=True)
    assert time.monotonic() - start < PATIENCE / 4


@pytest.mark.timeout(60)
def test_map_exception(executor):
    """
    An exception raised by a call of {map} is raised when its value is taken from the iterator,
    after the values before it
    """
    results = executor.map(tasks.add, [1, 2, "three", 4], [10, 10, 10, 10], timeout=PATIENCE)
    assert next(results) == 11
    assert next(results) == 12
    with pytest.raises(TypeError):
        next(results)
    with pytest.raises(StopIteration):
        next(results)


# shutdown
@pytest.mark.timeout(60)
def test_shutdown_wait(executor):
    """
    {shutdown(wait=True)} returns once every pending future is done and the resources are let
    go: the crews, and the thread of its own
    """
    futures = [executor.submit(tasks.nap, 0.2, i) for i in range(6)]
    executor.shutdown(wait=True)
    assert all(future.done() for future in futures)
    assert [future.result(timeout=0) for future in futures] == list(range(6))
    assert executor.crews == []
    if executor.runner is not None:
        assert not executor.runner.running()


@pytest.mark.timeout(60)
def test_shutdown_nowait(executor):
    """
    {shutdown(wait=False)} returns at once, and the pending futures still get their results
    """
    futures = [executor.submit(tasks.nap, 0.5, i) for i in range(4)]
    executor.shutdown(wait=False)
    # two crews need a second for the four
    assert not all(future.done() for future in futures)
    assert [future.result(timeout=PATIENCE) for future in futures] == list(range(4))
    # and then the team lets its resources go
    until(executor, lambda: not executor.crews)
    if executor.runner is not None:
        assert wait_until(lambda: not executor.runner.running(), timeout=PATIENCE / 4)
    with pytest.raises(RuntimeError):
        executor.submit(tasks.noop)


@pytest.mark.timeout(60)
def test_shutdown_cancel_futures(executor, tmp_path):
    """
    {shutdown(cancel_futures=True)} cancels the futures no crew has started; the running ones
    complete
    """
    paths = [tmp_path / f"running-{i}" for i in range(2)]
    running = [executor.submit(tasks.fork_announce, path, 2.0, i) for i, path in enumerate(paths)]
    for path in paths:
        started(executor, path)
    pending = [executor.submit(tasks.echo, i) for i in range(10)]
    executor.shutdown(wait=True, cancel_futures=True)
    assert [future.result(timeout=0)[1] for future in running] == [0, 1]
    assert all(future.cancelled() for future in pending)
    with pytest.raises(concurrent.futures.CancelledError):
        pending[0].result(timeout=0)


@pytest.mark.timeout(60)
def test_shutdown_twice(executor):
    """
    Shutting down again does nothing, and raises nothing
    """
    future = executor.submit(tasks.add, 1, 2)
    executor.shutdown(wait=True)
    executor.shutdown(wait=True)
    executor.shutdown(wait=False, cancel_futures=True)
    assert future.result(timeout=0) == 3


@pytest.mark.timeout(60)
def test_submit_after_shutdown(executor):
    """
    {submit} and {map} after {shutdown} raise a {RuntimeError}, before and after any work
    """
    executor.shutdown(wait=True)
    with pytest.raises(RuntimeError) as info:
        executor.submit(tasks.noop)
    assert isinstance(info.value, exceptions.TeamClosed)
    with pytest.raises(RuntimeError):
        executor.map(tasks.echo, [1, 2])


@pytest.mark.timeout(60)
def test_context_manager(executor, make_team):
    """
    {with staff} hands over the staff and shuts it down with {wait=True} on the way out, even
    when the body raises, which it lets through
    """
    with executor as entered:
        assert entered is executor
        futures = [entered.submit(tasks.nap, 0.2, i) for i in range(4)]
    assert [future.result(timeout=0) for future in futures] == list(range(4))
    with pytest.raises(RuntimeError):
        executor.submit(tasks.noop)
    # a body that raises
    other = make_team("staff", size=1, mode=executor.mode)
    with pytest.raises(KeyError):
        with other:
            future = other.submit(tasks.nap, 0.2, "still")
            raise KeyError("the body failed")
    assert future.result(timeout=0) == "still"
    assert other.crews == []
    with pytest.raises(RuntimeError):
        other.submit(tasks.noop)


# wait
@pytest.mark.timeout(60)
def test_wait_first_completed(executor):
    """
    {wait(return_when=FIRST_COMPLETED)} returns when any future finishes
    """
    wait, _ = waiting(executor)
    slow = executor.submit(tasks.nap, PATIENCE, "slow")
    quick = executor.submit(tasks.nap, 0.1, "quick")
    done, not_done = wait([slow, quick], timeout=PATIENCE, return_when=concurrent.futures.FIRST_COMPLETED)
    assert done == {quick} and not_done == {slow}
    assert slow.cancel()


@pytest.mark.timeout(60)
def test_wait_first_exception(executor):
    """
    {wait(return_when=FIRST_EXCEPTION)} returns when a future raises, not when the first one
    finishes; with no exception, when all are done
    """
    wait, _ = waiting(executor)
    slow = executor.submit(tasks.nap, PATIENCE, "slow")
    fine = executor.submit(tasks.nap, 0.0, "fine")
    failing = executor.submit(tasks.late_fail, 0.5)
    done, not_done = wait([slow, fine, failing], timeout=PATIENCE, return_when=concurrent.futures.FIRST_EXCEPTION)
    assert failing in done and slow in not_done
    assert isinstance(failing.exception(timeout=0), ValueError)
    assert slow.cancel()
    # without an exception, it waits for them all
    futures = [executor.submit(tasks.nap, delay, delay) for delay in (0.0, 0.3, 0.6)]
    done, not_done = wait(futures, timeout=PATIENCE, return_when=concurrent.futures.FIRST_EXCEPTION)
    assert done == set(futures) and not_done == set()


@pytest.mark.timeout(60)
def test_wait_all_completed(executor):
    """
    {wait} returns when all futures are done, the failed ones too, by default
    """
    wait, _ = waiting(executor)
    futures = [executor.submit(tasks.nap, 0.2, i) for i in range(4)] + [executor.submit(tasks.fail)]
    done, not_done = wait(futures, timeout=PATIENCE)
    assert done == set(futures) and not_done == set()
    done, not_done = wait(futures, timeout=PATIENCE, return_when=concurrent.futures.ALL_COMPLETED)
    assert done == set(futures) and not_done == set()


@pytest.mark.timeout(60)
def test_wait_timeout(executor):
    """
    {wait} with a {timeout} returns after that long with the futures that are not done; with 0,
    at once
    """
    wait, _ = waiting(executor)
    quick = executor.submit(tasks.echo, "quick")
    assert quick.result(timeout=PATIENCE) == "quick"
    slow = executor.submit(tasks.nap, PATIENCE, "slow")
    start = time.monotonic()
    done, not_done = wait([slow, quick], timeout=0.5)
    elapsed = time.monotonic() - start
    assert done == {quick} and not_done == {slow}
    assert 0.45 <= elapsed < 0.5 + PROMPT
    # looking without waiting
    start = time.monotonic()
    done, not_done = wait([slow, quick], timeout=0)
    assert done == {quick} and not_done == {slow}
    assert time.monotonic() - start < PROMPT
    assert slow.cancel()


# as_completed
@pytest.mark.timeout(60)
def test_as_completed(executor):
    """
    {as_completed} yields the futures as they finish, the ones done already first, each once
    even if given twice
    """
    _, as_completed = waiting(executor)
    ready = executor.submit(tasks.echo, "ready")
    ready.result(timeout=PATIENCE)
    # submitted first, since a crew may hold both, in its pipeline, and run them in turn
    early = executor.submit(tasks.nap, 0.0, "early")
    late = executor.submit(tasks.nap, 1.0, "late")
    order = list(as_completed([late, early, ready, late], timeout=PATIENCE))
    assert order == [ready, early, late]


@pytest.mark.timeout(60)
def test_as_completed_timeout(executor):
    """
    The iterator of {as_completed} raises {TimeoutError} when a future is not done {timeout}
    seconds after the call, having yielded those that were
    """
    _, as_completed = waiting(executor)
    slow = executor.submit(tasks.nap, PATIENCE, "slow")
    quick = executor.submit(tasks.nap, 0.0, "quick")
    seen = []
    timeout = 2.0
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        for future in as_completed([slow, quick], timeout=timeout):
            seen.append(future)
    elapsed = time.monotonic() - start
    assert seen == [quick]
    assert timeout - 0.1 <= elapsed < timeout + PROMPT
    assert slow.cancel()


# the futures
@pytest.mark.timeout(60)
def test_done_callback(executor):
    """
    A done callback is called once, with its future, in the thread of the team's loop: its own
    thread in thread mode, the test's in host mode; added to a done future, it is called at once,
    in the thread that adds it
    """
    calls = []

    def record(future):
        calls.append((future, threading.get_ident()))

    future = executor.submit(tasks.nap, 0.2, "value")
    future.add_done_callback(record)
    assert future.result(timeout=PATIENCE) == "value"
    # the callback may come a moment after the result, from the team's thread
    until(executor, lambda: calls)
    # and once
    idle(executor, 0.3)
    assert len(calls) == 1
    called, thread = calls[0]
    assert called is future
    loop = executor.runner.ident if executor.runner is not None else threading.get_ident()
    assert thread == loop
    # on a future that is done, at once
    later = []
    future.add_done_callback(lambda future: later.append((future, threading.get_ident())))
    assert later == [(future, threading.get_ident())]


@pytest.mark.timeout(60)
def test_done_callback_chains(executor):
    """
    A done callback may submit more work, which is how the message of {WaitInLoop} says to chain
    tasks without waiting in the team's thread
    """
    chained = []

    def follow(future):
        chained.append(executor.submit(tasks.add, future.result(), 10))

    first = executor.submit(tasks.add, 1, 2)
    first.add_done_callback(follow)
    until(executor, lambda: chained)
    assert chained[0].result(timeout=PATIENCE) == 13


@pytest.mark.timeout(60)
def test_done_callback_failing(executor, caplog):
    """
    A done callback that raises is logged and ignored; the others run
    """
    calls = []

    def boom(future):
        raise RuntimeError("the callback failed")

    future = executor.submit(tasks.nap, 0.2, "value")
    future.add_done_callback(boom)
    future.add_done_callback(calls.append)
    with caplog.at_level(logging.ERROR, logger="concurrent.futures"):
        assert future.result(timeout=PATIENCE) == "value"
        until(executor, lambda: calls)
    assert calls == [future]
    assert any("the callback failed" in str(record.exc_info[1]) for record in caplog.records if record.exc_info)
    # the team works on
    assert executor.submit(tasks.add, 1, 1).result(timeout=PATIENCE) == 2


@pytest.mark.timeout(60)
def test_done_callback_cancelled(executor):
    """
    Cancelling a future calls its done callbacks, which see it cancelled
    """
    calls = []
    blockers = [executor.submit(tasks.nap, PATIENCE) for _ in range(2)]
    pending = executor.submit(tasks.noop)
    pending.add_done_callback(lambda future: calls.append(future.cancelled()))
    assert pending.cancel()
    until(executor, lambda: calls)
    assert calls == [True]
    for blocker in blockers:
        assert blocker.cancel()


@pytest.mark.timeout(60)
def test_failing_task(executor):
    """
    {exception()} returns the error of a failed task, {result()} raises it; with a {timeout},
    both raise {TimeoutError} on a task that is not done in time
    """
    future = executor.submit(tasks.late_fail, 0.5, "broken")
    with pytest.raises(TimeoutError):
        future.exception(timeout=0.05)
    with pytest.raises(TimeoutError):
        future.result(timeout=0.05)
    error = future.exception(timeout=PATIENCE)
    assert isinstance(error, ValueError) and str(error) == "broken"
    with pytest.raises(ValueError, match="broken"):
        future.result(timeout=0)
    assert future.done() and not future.cancelled() and not future.running()


@pytest.mark.timeout(60)
def test_cancel_pending(executor, tmp_path):
    """
    {cancel()} of a task no crew has started cancels it, and it never runs
    """
    paths = [tmp_path / f"blocker-{i}" for i in range(2)]
    blockers = [executor.submit(tasks.fork_announce, path, PATIENCE) for path in paths]
    for path in paths:
        started(executor, path)
    marker = tmp_path / "ran"
    pending = executor.submit(tasks.tally, str(marker))
    assert not pending.running() and not pending.done() and not pending.cancelled()
    assert pending.cancel() is True
    assert pending.cancelled() and pending.done() and not pending.running()
    # again, it says it is cancelled
    assert pending.cancel() is True
    with pytest.raises(concurrent.futures.CancelledError):
        pending.result(timeout=0)
    with pytest.raises(concurrent.futures.CancelledError):
        pending.exception(timeout=0)
    # the crews go on, past it
    for blocker in blockers:
        assert blocker.cancel()
    assert executor.submit(tasks.add, 1, 1).result(timeout=PATIENCE) == 2
    assert not marker.exists()


@pytest.mark.timeout(60)
def test_cancel_running(executor, tmp_path):
    """
    {cancel()} of a running task cancels it by killing its worker, which is replaced; a finished
    task cannot be cancelled
    """
    path = tmp_path / "running"
    future = executor.submit(tasks.fork_announce, path, PATIENCE)
    pid = started(executor, path)
    until(executor, future.running)
    assert future.cancel() is True
    assert future.cancelled() and future.done() and not future.running()
    with pytest.raises(concurrent.futures.CancelledError):
        future.result(timeout=0)
    assert wait_until(lambda: not alive(pid), timeout=PATIENCE / 4), "the worker of a cancelled task lives on"
    # the team works on
    finished = executor.submit(tasks.add, 1, 1)
    assert finished.result(timeout=PATIENCE) == 2
    assert finished.cancel() is False
    assert not finished.cancelled() and finished.done()


@pytest.mark.timeout(60)
def test_future_states(executor, tmp_path):
    """
    A future is pending, then running, then done; never cancelled if it was not
    """
    path = tmp_path / "task"
    future = executor.submit(tasks.fork_announce, path, 1.0, "value")
    assert not future.done() and not future.cancelled()
    started(executor, path)
    until(executor, future.running)
    assert not future.done() and not future.cancelled()
    assert future.result(timeout=PATIENCE)[1] == "value"
    assert future.done() and not future.running() and not future.cancelled()


# thread mode: what a thread of its own makes possible
@pytest.mark.timeout(120)
def test_many_threads(threaded):
    """
    Eight threads submit a thousand tasks each at once, and each gets every result right
    """
    count, each = 8, 1000
    barrier = threading.Barrier(count)
    results, errors = {}, []

    def work(index):
        try:
            barrier.wait(timeout=PATIENCE)
            futures = [threaded.submit(tasks.add, i, index * each) for i in range(each)]
            results[index] = [future.result(timeout=PATIENCE) for future in futures]
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * PATIENCE)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs"
    assert errors == []
    for index in range(count):
        assert results[index] == [index * each + i for i in range(each)]
    assert threaded.metrics()["outcomes"]["completed"] == count * each


@pytest.mark.timeout(60)
def test_result_only(threaded):
    """
    A thread that only calls {result()} gets its results, while the thread that submitted does
    nothing but wait for it
    """
    futures = [threaded.submit(tasks.nap, 0.1, i) for i in range(6)]
    results = []
    error, _ = elsewhere(lambda: results.extend(future.result(timeout=PATIENCE) for future in futures))
    assert error is None
    assert results == list(range(6))


@pytest.mark.timeout(60)
def test_asyncio(threaded):
    """
    {loop.run_in_executor(staff, ...)} and {asyncio.wrap_future} deliver the results to a
    coroutine, and the asyncio loop runs on meanwhile
    """

    async def main():
        loop = asyncio.get_running_loop()
        ticks = 0

        async def tick():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.02)
                ticks += 1

        ticker = asyncio.ensure_future(tick())
        single = await loop.run_in_executor(threaded, tasks.nap, 0.5, "slept")
        wrapped = await asyncio.wrap_future(threaded.submit(tasks.add, 3, 4))
        awaited = await threaded.submit(tasks.add, 5, 6)
        assert awaited == 11
        many = await asyncio.gather(*(loop.run_in_executor(threaded, tasks.echo, i) for i in range(10)))
        ticker.cancel()
        return single, wrapped, many, ticks

    single, wrapped, many, ticks = asyncio.run(main())
    assert single == "slept" and wrapped == 7 and many == list(range(10))
    assert ticks >= 5, "the asyncio loop was blocked while it waited"


@pytest.mark.timeout(60)
def test_asyncio_cancel(threaded, tmp_path):
    """
    Cancelling the future of {run_in_executor} cancels the task: its worker is killed
    """
    path = tmp_path / "running"

    async def main():
        loop = asyncio.get_running_loop()
        waiting = loop.run_in_executor(threaded, tasks.fork_announce, path, PATIENCE, "never")
        expiration = time.monotonic() + PATIENCE
        while not path.exists():
            assert time.monotonic() < expiration, "the task did not start"
            await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(main())
    pid = int(path.read_text())
    assert wait_until(lambda: not alive(pid), timeout=PATIENCE / 4), "the worker of a cancelled task lives on"
    assert wait_until(lambda: threaded.metrics()["outcomes"]["cancelled"] == 1, timeout=PATIENCE / 4)


@pytest.mark.timeout(90)
@pytest.mark.parametrize("cancel_futures", [False, True])
def test_shutdown_races_submissions(threaded, cancel_futures):
    """
    A shutdown from one thread while others submit: every submission either returns a future
    that gets its outcome, or raises {TeamClosed}; nothing hangs
    """
    count, cap = 4, 5000
    submitted = [[] for _ in range(count)]
    refused, errors = [], []
    going = threading.Barrier(count + 1)

    def work(index):
        try:
            going.wait(timeout=PATIENCE)
            for n in range(cap):
                try:
                    future = threaded.submit(tasks.echo, (index, n))
                except exceptions.TeamClosed:
                    refused.append(index)
                    return
                submitted[index].append(future)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    going.wait(timeout=PATIENCE)
    # let them get going, and shut down under their feet
    assert wait_until(lambda: sum(map(len, submitted)) >= 200, timeout=PATIENCE / 2)
    start = time.monotonic()
    threaded.shutdown(wait=False, cancel_futures=cancel_futures)
    for thread in threads:
        thread.join(timeout=PATIENCE / 2)
    assert not any(thread.is_alive() for thread in threads), "a submitting thread hangs"
    assert errors == []
    # the shutdown did race the submissions
    assert refused, "every thread was done before the shutdown"
    # each thread stopped because it was refused, unless it was done before the shutdown
    assert sorted(refused + [i for i in range(count) if len(submitted[i]) == cap]) == list(range(count))
    # every future gets its outcome, without anybody driving anything
    threaded.shutdown(wait=True)
    assert time.monotonic() - start < PATIENCE
    futures = [future for each in submitted for future in each]
    assert all(future.done() for future in futures)
    for index, each in enumerate(submitted):
        for n, future in enumerate(each):
            if future.cancelled():
                assert cancel_futures, "a task was cancelled by a shutdown that cancels nothing"
            else:
                assert future.result(timeout=0) == (index, n)
    assert not threaded.runner.running()


# interpreter exit, in a child interpreter
EXITING = textwrap.dedent(
    """
    import pathlib, sys, time
    import pyre_nexus
    from tests import tasks

    folder = pathlib.Path(sys.argv[1])
    staff = pyre_nexus.staff()(name="exiting", size=2, mode="thread")
    # long tasks, two of them running, the rest waiting
    futures = [staff.submit(tasks.fork_announce, folder / f"pid-{i}", 600, i) for i in range(6)]
    expiration = time.monotonic() + 60
    while len(list(folder.glob("pid-[0-9]"))) < 2 and time.monotonic() < expiration:
        time.sleep(0.01)
    # each future says how it ended, from the thread of the team
    def record(future):
        index = futures.index(future)
        (folder / f"outcome-{index}").write_text("cancelled" if future.cancelled() else repr(future.exception()))
    for future in futures:
        future.add_done_callback(record)
    print("ready", flush=True)
    if sys.argv[2] == "raise":
        raise RuntimeError("the main thread gives up")
    """
)


@pytest.mark.timeout(90)
@pytest.mark.parametrize("how", ["exit", "raise"])
def test_interpreter_exit(tmp_path, how):
    """
    An interpreter that exits with work pending and the team's thread alive, without shutting
    the team down, or because its main thread raised, exits promptly with its status, says
    nothing but the error it raised, cancels the tasks, whose done callbacks run, and leaves no
    worker behind
    """
    script = tmp_path / "exiting.py"
    script.write_text(EXITING)
    folder = tmp_path / "pids"
    folder.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.monotonic()
    child = subprocess.run(
        [sys.executable, str(script), str(folder), how],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
    )
    elapsed = time.monotonic() - start
    assert "ready" in child.stdout, child.stderr
    # promptly
    assert elapsed < PATIENCE / 2, f"the interpreter took {elapsed:.1f} s to exit"
    # with the status of the main thread, and nothing else to say
    if how == "exit":
        assert child.returncode == 0, child.stderr
        assert "Traceback" not in child.stderr, child.stderr
    else:
        assert child.returncode == 1, child.stderr
        assert child.stderr.count("Traceback") == 1, child.stderr
        assert "RuntimeError: the main thread gives up" in child.stderr
    assert "Exception ignored" not in child.stderr, child.stderr
    # every task was cancelled, and its callbacks ran
    outcomes = {path.name: path.read_text() for path in folder.glob("outcome-*")}
    assert outcomes == {f"outcome-{i}": "cancelled" for i in range(6)}
    # and no worker lives on
    pids = [int(path.read_text()) for path in folder.glob("pid-[0-9]")]
    assert len(pids) >= 2
    assert wait_until(lambda: not any(map(alive, pids)), timeout=PATIENCE / 6), "workers survived the exit"


# misuse
@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "how", ["result", "exception", "wait", "as_completed", "shutdown", "futures.wait", "futures.as_completed"]
)
def test_wait_in_callback(threaded, how):
    """
    Waiting for a future in a done callback, i.e. in the thread of the team's loop, which alone
    can finish it, raises {WaitInLoop} at once, with a message that names the rule and what to
    do instead
    """
    calls = {
        "result": lambda future: future.result(timeout=PATIENCE),
        "exception": lambda future: future.exception(timeout=PATIENCE),
        "wait": lambda future: threaded.wait([future], timeout=PATIENCE),
        "as_completed": lambda future: next(threaded.as_completed([future], timeout=PATIENCE)),
        "shutdown": lambda future: threaded.shutdown(wait=True),
        "futures.wait": lambda future: concurrent.futures.wait([future], timeout=PATIENCE),
        "futures.as_completed": lambda future: next(concurrent.futures.as_completed([future], timeout=PATIENCE)),
    }
    call = calls[how]
    captured = []
    called = threading.Event()

    def callback(future):
        start = time.monotonic()
        try:
            call(slow)
        except BaseException as error:
            captured.append((error, time.monotonic() - start))
        else:
            captured.append((None, time.monotonic() - start))
        called.set()

    # a task that is still running when the callback is added, so the staff's thread calls it,
    # and the slow one after it, so a crew that holds both runs the quick one first
    quick = threaded.submit(tasks.nap, 0.5, "quick")
    quick.add_done_callback(callback)
    slow = threaded.submit(tasks.nap, PATIENCE, "slow")
    assert called.wait(timeout=PATIENCE), "the callback never returned"
    error, seconds = captured[0]
    assert isinstance(error, exceptions.WaitInLoop), error
    assert seconds < PROMPT
    message = str(error)
    assert "done callback" in message and "wait forever" in message
    assert "wait in another thread" in message
    # the team lives on
    assert slow.cancel()
    if how != "shutdown":
        assert threaded.submit(tasks.add, 1, 1).result(timeout=PATIENCE) == 2


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "how", ["result", "exception", "submit", "map", "shutdown", "wait", "as_completed", "cancel"]
)
def test_host_from_another_thread(hosted, how):
    """
    A staff in the host's loop is used from the thread that built it alone: from another thread,
    each call raises {WrongThread} at once, saying which thread may, and that mode=thread takes
    any; the staff works on from its own thread
    """
    future = hosted.submit(tasks.nap, 0.5, "value")
    calls = {
        "result": lambda: future.result(timeout=PATIENCE),
        "exception": lambda: future.exception(timeout=PATIENCE),
        "submit": lambda: hosted.submit(tasks.noop),
        "map": lambda: list(hosted.map(tasks.echo, [1, 2])),
        "shutdown": lambda: hosted.shutdown(wait=True),
        "wait": lambda: hosted.wait([future], timeout=PATIENCE),
        "as_completed": lambda: list(hosted.as_completed([future], timeout=PATIENCE)),
        # cancelling changes the loop's state, which only its thread may touch
        "cancel": lambda: future.cancel(),
    }
    error, seconds = elsewhere(calls[how])
    assert isinstance(error, exceptions.WrongThread), error
    assert seconds < PROMPT
    message = str(error)
    assert threading.current_thread().name in message
    assert "alone may use it" in message and "mode=thread" in message
    # nothing was done
    assert not future.cancelled()
    assert future.result(timeout=PATIENCE) == "value"
    assert hosted.submit(tasks.add, 1, 1).result(timeout=PATIENCE) == 2


@pytest.mark.timeout(60)
def test_submit_after_shutdown_elsewhere(executor):
    """
    Submitting from another thread to a staff that was shut down raises {TeamClosed}, a
    {RuntimeError}, at once, whatever the mode, with a message that says so
    """
    executor.submit(tasks.noop).result(timeout=PATIENCE)
    executor.shutdown(wait=True)
    error, seconds = elsewhere(lambda: executor.submit(tasks.noop))
    assert isinstance(error, exceptions.TeamClosed) and isinstance(error, RuntimeError), error
    assert seconds < PROMPT
    assert "shut down" in str(error) and "no more work" in str(error)


@pytest.mark.timeout(60)
def test_team_closed_says_what_to_do(executor):
    """
    The message of {TeamClosed} says what to do instead, as those of the other misuses do
    """
    executor.shutdown(wait=True)
    with pytest.raises(exceptions.TeamClosed) as info:
        executor.submit(tasks.noop)
    message = str(info.value)
    # the rule
    assert "shut down" in message and "no more work" in message
    # and what to do: submit before the shutdown, or to another team
    assert "before" in message or "another team" in message or "new team" in message, message


@pytest.mark.timeout(60)
def test_metrics_from_threads(threaded):
    """
    {metrics()} from several threads while tasks run gives consistent books, promptly
    """
    count = 2000
    stop = threading.Event()
    errors, slowest = [], [0.0]

    def read():
        last = 0
        try:
            while not stop.is_set():
                start = time.monotonic()
                books = threaded.metrics()
                slowest[0] = max(slowest[0], time.monotonic() - start)
                assert books["submitted"] >= last
                assert sum(books["outcomes"].values()) <= books["submitted"]
                last = books["submitted"]
        except BaseException as error:
            errors.append(error)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        assert list(threaded.map(tasks.echo, range(count), timeout=PATIENCE)) == list(range(count))
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=PATIENCE)
    assert not any(reader.is_alive() for reader in readers)
    assert errors == []
    assert slowest[0] < PROMPT
    books = threaded.metrics()
    assert books["submitted"] == count and books["outcomes"]["completed"] == count



@pytest.mark.timeout(60)
def test_thread_that_cannot_start(threaded, monkeypatch):
    """
    A process that cannot start the thread of a staff's loop, e.g. at its limit of threads, has
    the submission refused with the reason, holds no descriptor for it, and a later submission,
    once threads can start again, runs
    """
    from pyre_nexus.teams import Runner

    # the thread of a staff's loop cannot start; the others can, since the fork server, forked
    # as the staff starts its thread, keeps this class for the threads of its crews
    class Stillborn(threading.Thread):
        def start(self):
            if self.name.startswith("pyre_nexus "):
                raise RuntimeError("can't start new thread")
            return super().start()

    monkeypatch.setattr(Runner.threading, "Thread", Stillborn)
    descriptors = bells()
    began = time.monotonic()
    with pytest.raises(exceptions.NexusError) as info:
        threaded.submit(tasks.noop)
    assert time.monotonic() - began < 5
    assert "cannot start the thread of its loop" in str(info.value)
    assert "can't start new thread" in str(info.value)
    assert bells() == descriptors
    # once threads start again, so does the staff
    monkeypatch.undo()
    assert threaded.submit(tasks.echo, 7).result(timeout=PATIENCE) == 7



@pytest.mark.timeout(60)
def test_watch_the_loop_of_a_thread(threaded):
    """
    Running the loop of a staff on a thread of its own from another thread, as a host would run
    a loop it shares, raises {WrongThread} at once, saying to run a loop of its own or to build the
    staff with mode=host; the staff goes on working
    """
    # the staff's thread runs its loop
    assert threaded.submit(tasks.echo, 1).result(timeout=PATIENCE) == 1
    began = time.monotonic()
    with pytest.raises(exceptions.WrongThread) as info:
        threaded.dispatcher.watch()
    assert time.monotonic() - began < PROMPT
    assert "mode=host" in str(info.value)
    assert threaded.submit(tasks.echo, 2).result(timeout=PATIENCE) == 2


@pytest.mark.timeout(60)
def test_standard_wait_in_callback_keeps_no_lock(threaded):
    """
    The standard library's {wait}, called in a done callback on futures of the staff, done ones
    first, raises {WaitInLoop} before it takes the lock of any of them, so a wait from another
    thread on the done ones returns at once afterwards
    """
    done = threaded.submit(tasks.echo, "done")
    assert done.result(timeout=PATIENCE) == "done"
    captured = []
    called = threading.Event()

    def callback(future):
        try:
            concurrent.futures.wait([done, slow], timeout=PATIENCE)
        except BaseException as error:
            captured.append(error)
        called.set()

    # a task that is still running when the callback is added, so the staff's thread calls it,
    # and the slow one after it, so a crew that holds both runs the quick one first
    quick = threaded.submit(tasks.nap, 0.5, "quick")
    quick.add_done_callback(callback)
    slow = threaded.submit(tasks.nap, PATIENCE, "slow")
    assert called.wait(timeout=PATIENCE), "the callback never returned"
    assert isinstance(captured[0], exceptions.WaitInLoop), captured
    # the done future's lock is free
    began = time.monotonic()
    finished, _ = concurrent.futures.wait([done], timeout=PATIENCE)
    assert finished == {done}
    assert time.monotonic() - began < PROMPT
    assert slow.cancel()

# end of file
