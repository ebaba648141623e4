# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The staff keeps the promises of {concurrent.futures}: submission, results, errors, cancellation,
waiting, callbacks and shutdown, all with real forked workers
"""

# externals
import concurrent.futures
import math
import threading
import time

import pytest
from pyre.units.SI import meter, second

# the package
from pyre_nexus.exceptions import ArgumentError, Cancelled, ConfigurationError, RemoteTraceback, TeamClosed

# the tasks
from tests import tasks
from tests.conftest import alive, together, warm
from tests.patience import PATIENCE


# helpers
def poll(condition, timeout=PATIENCE, interval=0.01):
    """
    Poll {condition} until it holds or {timeout} seconds pass; return its last value
    """
    expiration = time.monotonic() + timeout
    while not condition() and time.monotonic() < expiration:
        time.sleep(interval)
    return condition()


def started(staff, future, path):
    """
    Drive the loop of {staff} until the worker that runs {future} wrote its pid to {path}
    """
    expiration = time.monotonic() + PATIENCE
    # the worker writes the file, so the loop must be driven in short steps while polling it
    while not (path.exists() and path.read_text().endswith("\n")):
        assert time.monotonic() < expiration, f"{future} did not start"
        assert not future.done(), f"{future} finished before it was seen running"
        staff.wait([future], timeout=0.01)
    # the team sees it running too
    assert future.running()
    return int(path.read_text())


def boom(future):
    """
    A done callback that fails
    """
    raise RuntimeError("the callback failed")


# submit and result
def test_submit_result(make_team):
    """
    A submitted call delivers its return value through {result}
    """
    staff = make_team("staff", size=2)
    future = staff.submit(tasks.add, 2, 3)
    assert future.result(timeout=PATIENCE) == 5
    assert future.done()
    assert not future.cancelled()
    assert future.exception(timeout=PATIENCE) is None


def test_futures_are_stdlib_futures(make_team):
    """
    The futures of a staff are {concurrent.futures.Future} instances
    """
    staff = make_team("staff", size=1)
    future = staff.submit(tasks.noop)
    assert isinstance(future, concurrent.futures.Future)
    assert future.result(timeout=PATIENCE) is None


def test_kwargs(make_team):
    """
    Keyword arguments reach the task, even ones named like the parameters of {submit}
    """
    staff = make_team("staff", size=1)
    assert staff.submit(tasks.add, 1, y=2).result(timeout=PATIENCE) == 3
    assert staff.submit(tasks.capture, 1, fn=2, self=3).result(timeout=PATIENCE) == (
        (1,),
        {"fn": 2, "self": 3},
    )


def test_task_subclass(make_team):
    """
    Instances of {pyre_nexus.task} subclasses are submitted bare and run their {execute}
    """
    staff = make_team("staff", size=2)
    futures = [staff.submit(tasks.Square(value)) for value in range(5)]
    assert [future.result(timeout=PATIENCE) for future in futures] == [0, 1, 4, 9, 16]


def test_lambda(make_team):
    """
    Lambdas travel to the workers
    """
    staff = make_team("staff", size=1)
    assert staff.submit(lambda x: x * 2, 21).result(timeout=PATIENCE) == 42


def test_closure(make_team):
    """
    Closures travel to the workers with the values they captured
    """
    staff = make_team("staff", size=1)
    offset = 5

    def shift(x):
        return x + offset

    assert staff.submit(shift, 1).result(timeout=PATIENCE) == 6


# map
def test_map_order(make_team):
    """
    {map} yields the results in the order of its input, one item per task
    """
    staff = make_team("staff", size=2)
    # later items finish first
    delays = [0.3, 0.2, 0.1, 0.0]
    results = staff.map(tasks.nap, delays, range(4), timeout=PATIENCE)
    assert list(results) == [0, 1, 2, 3]


def test_map_chunksize(make_team):
    """
    {map} with {chunksize} above one yields every result, in order, including a short last chunk
    """
    staff = make_team("staff", size=2)
    results = staff.map(tasks.echo, range(23), timeout=PATIENCE, chunksize=5)
    assert list(results) == list(range(23))


def test_map_several_iterables(make_team):
    """
    {map} zips several iterables into the arguments of each call
    """
    staff = make_team("staff", size=2)
    results = staff.map(tasks.add, range(10), range(100, 110), timeout=PATIENCE)
    assert list(results) == [100 + 2 * i for i in range(10)]


def test_map_several_iterables_chunked(make_team):
    """
    {map} zips several iterables in chunks too, and stops at the shortest one
    """
    staff = make_team("staff", size=2)
    results = staff.map(tasks.add, range(10), range(100, 107), timeout=PATIENCE, chunksize=3)
    assert list(results) == [100 + 2 * i for i in range(7)]


def test_map_empty(make_team):
    """
    {map} over nothing yields nothing
    """
    staff = make_team("staff", size=1)
    assert list(staff.map(tasks.echo, [], timeout=PATIENCE)) == []


@pytest.mark.timeout(30)
@pytest.mark.parametrize("chunksize", [0, -1, 1.5, math.nan, math.inf, "2", True])
def test_map_bad_chunksize(make_team, chunksize):
    """
    {map} refuses a {chunksize} that is not a positive integer with an {ArgumentError}, a
    {ValueError}, that names the value and what is accepted, before it submits anything
    """
    staff = make_team("staff", size=1)
    with pytest.raises(ValueError) as info:
        staff.map(tasks.echo, range(3), chunksize=chunksize)
    assert isinstance(info.value, ArgumentError)
    assert repr(chunksize) in str(info.value) and "a positive integer" in str(info.value)
    # nothing was submitted, and the team works on
    assert staff.ledger.submitted == 0
    assert list(staff.map(tasks.echo, range(3), chunksize=2)) == [0, 1, 2]


def test_map_timeout(make_team):
    """
    {map} raises {TimeoutError} when a result is not there {timeout} seconds after the call
    """
    staff = make_team("staff", size=1)
    results = staff.map(tasks.nap, [0.0, 30.0], ["quick", "slow"], timeout=0.5)
    # the first one is there in time
    assert next(results) == "quick"
    # the second one is not
    with pytest.raises(TimeoutError):
        next(results)


def test_map_error(make_team):
    """
    {map} yields the results before a failed call, then raises its error
    """
    staff = make_team("staff", size=2)
    results = staff.map(tasks.add, [1, 2, "x", 4], [1, 1, 1, 1], timeout=PATIENCE)
    assert next(results) == 2
    assert next(results) == 3
    with pytest.raises(TypeError):
        next(results)


# errors
def test_exception_type(make_team):
    """
    A task's exception reaches the caller as its own type, with its message
    """
    staff = make_team("staff", size=1)
    future = staff.submit(tasks.fail, "no good")
    with pytest.raises(ValueError, match="no good"):
        future.result(timeout=PATIENCE)


def test_exception_cause(make_team):
    """
    The {__cause__} of a task's exception is a {RemoteTraceback} with the worker's traceback
    """
    staff = make_team("staff", size=1)
    future = staff.submit(tasks.fail, "no good")
    with pytest.raises(ValueError) as info:
        future.result(timeout=PATIENCE)
    cause = info.value.__cause__
    assert isinstance(cause, RemoteTraceback)
    # the traceback names the function that raised, and the error
    assert "in fail" in str(cause)
    assert "ValueError: no good" in str(cause)


def test_exception_method(make_team):
    """
    {exception} returns the task's error, with its remote traceback, without raising it
    """
    staff = make_team("staff", size=1)
    future = staff.submit(tasks.fail, "no good")
    error = future.exception(timeout=PATIENCE)
    assert isinstance(error, ValueError)
    assert str(error) == "no good"
    assert isinstance(error.__cause__, RemoteTraceback)
    assert "in fail" in str(error.__cause__)
    assert future.done() and not future.cancelled()


# timeouts
def test_result_timeout(make_team):
    """
    {result} with a timeout raises {TimeoutError} on a slow task, which still completes later
    """
    staff = make_team("staff", size=1)
    future = staff.submit(tasks.nap, 1.0, "late")
    with pytest.raises(concurrent.futures.TimeoutError):
        future.result(timeout=0.1)
    assert not future.done()
    assert future.result(timeout=PATIENCE) == "late"


def test_exception_timeout(make_team):
    """
    {exception} with a timeout raises {TimeoutError} on a slow task
    """
    staff = make_team("staff", size=1)
    future = staff.submit(tasks.nap, 1.0, "late")
    with pytest.raises(concurrent.futures.TimeoutError):
        future.exception(timeout=0.1)
    assert future.exception(timeout=PATIENCE) is None


# cancellation
def test_cancel_pending(make_team, tmp_path):
    """
    Cancelling a task that waits in the queue cancels it, and it never runs
    """
    staff = make_team("staff", size=1, pipeline=1)
    marker = tmp_path / "ran"
    # a long task in front
    blocker = staff.submit(tasks.nap, 0.5, "blocker")
    # and the one to cancel behind it
    pending = staff.submit(tasks.tally, str(marker))
    assert pending.cancel() is True
    assert pending.cancelled()
    assert pending.done()
    with pytest.raises(Cancelled):
        pending.result(timeout=PATIENCE)
    # the team goes on past it
    assert blocker.result(timeout=PATIENCE) == "blocker"
    assert staff.submit(tasks.echo, "after").result(timeout=PATIENCE) == "after"
    # and it never ran
    assert not marker.exists()


def test_cancelled_is_stdlib_cancelled(make_team):
    """
    The error of a cancelled future is also a {concurrent.futures.CancelledError}
    """
    staff = make_team("staff", size=1, pipeline=1)
    blocker = staff.submit(tasks.nap, 0.2)
    pending = staff.submit(tasks.noop)
    assert pending.cancel()
    with pytest.raises(concurrent.futures.CancelledError):
        pending.result(timeout=PATIENCE)
    with pytest.raises(concurrent.futures.CancelledError):
        pending.exception(timeout=PATIENCE)
    blocker.result(timeout=PATIENCE)


def test_cancel_pipelined(make_team, tmp_path):
    """
    Cancelling a task that waits in a crew's pipeline, behind a running one, keeps it from
    running, and the crew goes on working
    """
    staff = make_team("staff", size=1, pipeline=2)
    # short tasks first, so the team hands its crew two tasks at a time
    warm(staff, depth=2)
    marker = tmp_path / "ran"
    pidfile = tmp_path / "pid"
    # a long task that runs
    running = staff.submit(tasks.announce, str(pidfile), 1.0, "running")
    # and one that sits in the pipeline behind it
    pending = staff.submit(tasks.tally, str(marker))
    # the crew holds both
    assert together(staff, running, pending)
    pid = started(staff, running, pidfile)
    assert pending.cancel() is True
    assert pending.cancelled()
    with pytest.raises(Cancelled):
        pending.result(timeout=PATIENCE)
    # the running one is unaffected, and so is its crew
    assert running.result(timeout=PATIENCE) == "running"
    assert staff.submit(tasks.pid).result(timeout=PATIENCE) == pid
    # and the cancelled one never ran
    assert not marker.exists()


def test_cancel_running(make_team, tmp_path):
    """
    Cancelling a running task kills its worker; the staff replaces it and keeps working
    """
    staff = make_team("staff", size=1, pipeline=1)
    pidfile = tmp_path / "pid"
    future = staff.submit(tasks.announce, str(pidfile), 30, "never")
    # wait until it runs
    pid = started(staff, future, pidfile)
    assert future.running()
    # cancel it
    assert future.cancel() is True
    assert future.cancelled()
    assert not future.running()
    with pytest.raises(Cancelled):
        future.result(timeout=PATIENCE)
    # its worker is gone
    assert poll(lambda: not alive(pid)), f"worker {pid} survived the cancellation"
    # and the staff works on, with a new worker
    replacement = staff.submit(tasks.pid).result(timeout=PATIENCE)
    assert replacement != pid
    assert alive(replacement)


def test_cancel_finished(make_team):
    """
    Cancelling a finished task returns {False} and leaves its result alone
    """
    staff = make_team("staff", size=1)
    future = staff.submit(tasks.echo, "done")
    assert future.result(timeout=PATIENCE) == "done"
    assert future.cancel() is False
    assert not future.cancelled()
    assert future.result(timeout=PATIENCE) == "done"


def test_cancel_failed(make_team):
    """
    Cancelling a task that failed returns {False} and leaves its error alone
    """
    staff = make_team("staff", size=1)
    future = staff.submit(tasks.fail)
    assert isinstance(future.exception(timeout=PATIENCE), ValueError)
    assert future.cancel() is False
    assert not future.cancelled()
    assert isinstance(future.exception(timeout=PATIENCE), ValueError)


def test_cancel_twice(make_team):
    """
    Cancelling a cancelled task again returns {True}, as {concurrent.futures} does
    """
    staff = make_team("staff", size=1, pipeline=1)
    blocker = staff.submit(tasks.nap, 0.2)
    pending = staff.submit(tasks.noop)
    assert pending.cancel() is True
    assert pending.cancel() is True
    assert pending.cancelled()
    blocker.result(timeout=PATIENCE)


# waiting for several futures
def test_as_completed_order(make_team):
    """
    {as_completed} yields every future exactly once, the fastest first
    """
    staff = make_team("staff", size=3, pipeline=1)
    futures = [
        staff.submit(tasks.nap, 1.2, "slow"),
        staff.submit(tasks.nap, 0.1, "fast"),
        staff.submit(tasks.nap, 0.6, "middle"),
    ]
    finished = list(staff.as_completed(futures, timeout=PATIENCE))
    assert len(finished) == 3
    assert set(finished) == set(futures)
    assert [future.result() for future in finished] == ["fast", "middle", "slow"]


def test_as_completed_duplicates(make_team):
    """
    {as_completed} yields a future that appears more than once in its input only once, and
    yields futures that were done before the call
    """
    staff = make_team("staff", size=2)
    first = staff.submit(tasks.echo, 1)
    first.result(timeout=PATIENCE)
    second = staff.submit(tasks.echo, 2)
    finished = list(staff.as_completed([first, second, first, second], timeout=PATIENCE))
    assert len(finished) == 2
    assert set(finished) == {first, second}


def test_as_completed_timeout(make_team):
    """
    {as_completed} raises {TimeoutError} when some futures are not done in time
    """
    staff = make_team("staff", size=1, pipeline=1)
    slow = staff.submit(tasks.nap, 30)
    with pytest.raises(TimeoutError):
        list(staff.as_completed([slow], timeout=0.3))
    # no need to wait for it
    slow.cancel()


def test_wait_first_completed(make_team):
    """
    {wait} with {FIRST_COMPLETED} returns once one future is done
    """
    staff = make_team("staff", size=2, pipeline=1)
    slow = staff.submit(tasks.nap, 30)
    fast = staff.submit(tasks.nap, 0.1, "fast")
    done, pending = staff.wait(
        [slow, fast], timeout=PATIENCE, return_when=concurrent.futures.FIRST_COMPLETED
    )
    assert done == {fast}
    assert pending == {slow}
    assert fast.result() == "fast"
    # no need to wait for the other
    slow.cancel()


def test_wait_first_exception(make_team):
    """
    {wait} with {FIRST_EXCEPTION} returns once one future failed
    """
    staff = make_team("staff", size=2, pipeline=1)
    slow = staff.submit(tasks.nap, 30)
    bad = staff.submit(tasks.fail)
    done, pending = staff.wait(
        [slow, bad], timeout=PATIENCE, return_when=concurrent.futures.FIRST_EXCEPTION
    )
    assert done == {bad}
    assert pending == {slow}
    slow.cancel()


def test_wait_all_completed(make_team):
    """
    {wait} with {ALL_COMPLETED} returns once every future is done
    """
    staff = make_team("staff", size=2, pipeline=1)
    futures = [staff.submit(tasks.nap, 0.1 * i, i) for i in range(4)]
    done, pending = staff.wait(
        futures, timeout=PATIENCE, return_when=concurrent.futures.ALL_COMPLETED
    )
    assert done == set(futures)
    assert pending == set()
    assert [future.result() for future in futures] == [0, 1, 2, 3]


def test_wait_timeout(make_team):
    """
    {wait} with a timeout returns the futures that are not done yet as pending
    """
    staff = make_team("staff", size=1, pipeline=1)
    slow = staff.submit(tasks.nap, 30)
    done, pending = staff.wait([slow], timeout=0.2)
    assert done == set()
    assert pending == {slow}
    slow.cancel()


def test_stdlib_wait_and_as_completed(make_team):
    """
    {concurrent.futures.wait} and {as_completed} accept finished and cancelled futures of a staff
    """
    staff = make_team("staff", size=1, pipeline=1)
    futures = [staff.submit(tasks.echo, i) for i in range(3)]
    futures.append(staff.submit(tasks.fail))
    futures.append(staff.submit(tasks.noop))
    # cancel the last one while it waits
    assert futures[-1].cancel()
    # let the others finish
    staff.wait(futures, timeout=PATIENCE)
    # the standard library sees them all done
    done, pending = concurrent.futures.wait(futures, timeout=PATIENCE)
    assert done == set(futures)
    assert pending == set()
    assert set(concurrent.futures.as_completed(futures, timeout=PATIENCE)) == set(futures)


# callbacks
def test_callback_once(make_team):
    """
    A done callback is called exactly once, with the future
    """
    staff = make_team("staff", size=1)
    calls = []
    future = staff.submit(tasks.echo, 7)
    future.add_done_callback(calls.append)
    assert future.result(timeout=PATIENCE) == 7
    # more traffic through the loop does not call it again
    staff.submit(tasks.noop).result(timeout=PATIENCE)
    future.result(timeout=PATIENCE)
    assert calls == [future]


def test_callback_on_done_future(make_team):
    """
    A done callback added to a finished future is called at once, with the future
    """
    staff = make_team("staff", size=1)
    future = staff.submit(tasks.echo, 7)
    future.result(timeout=PATIENCE)
    calls = []
    future.add_done_callback(calls.append)
    assert calls == [future]


def test_callback_on_cancelled_future(make_team):
    """
    A done callback fires when its future is cancelled
    """
    staff = make_team("staff", size=1, pipeline=1)
    blocker = staff.submit(tasks.nap, 0.2)
    pending = staff.submit(tasks.noop)
    calls = []
    pending.add_done_callback(calls.append)
    pending.cancel()
    assert calls == [pending]
    blocker.result(timeout=PATIENCE)
    assert calls == [pending]


def test_callback_error(make_team):
    """
    A done callback that raises does not break the team: later callbacks still run, and the
    other tasks, in flight and new, still complete
    """
    staff = make_team("staff", size=2, pipeline=1)
    calls = []
    # a future whose callback fails while the loop runs for another one
    early = staff.submit(tasks.nap, 0.1, "early")
    late = staff.submit(tasks.nap, 0.5, "late")
    early.add_done_callback(boom)
    early.add_done_callback(calls.append)
    assert late.result(timeout=PATIENCE) == "late"
    assert early.result(timeout=PATIENCE) == "early"
    assert calls == [early]
    # and new work is fine
    assert staff.submit(tasks.echo, "after").result(timeout=PATIENCE) == "after"


# bad arguments: refused at the call, with an error that names the value and what is accepted
BAD_TIMEOUTS = [-1, -0.001, math.nan, -math.inf, "1", True, -1 * second]


def waiters(staff, future):
    """
    Every call of the API that takes a {timeout}, waiting for {future} of {staff}
    """
    return {
        "result": lambda timeout: future.result(timeout=timeout),
        "exception": lambda timeout: future.exception(timeout=timeout),
        "wait": lambda timeout: staff.wait([future], timeout=timeout),
        "as_completed": lambda timeout: staff.as_completed([future], timeout=timeout),
        "map": lambda timeout: staff.map(tasks.echo, [1], timeout=timeout),
        "drive": lambda timeout: staff.waitUntil(condition=future.done, timeout=timeout),
    }


@pytest.mark.timeout(30)
@pytest.mark.parametrize("timeout", BAD_TIMEOUTS, ids=str)
def test_bad_timeouts_are_refused(make_team, timeout):
    """
    A negative or NaN {timeout}, or one that is not a number of seconds, is refused at once by
    {result}, {exception}, {wait}, {as_completed}, {map} and {drive}, on a future that is done
    or not: an {ArgumentError}, both a {ValueError} and a {TypeError}, that names the value and
    the bound
    """
    staff = make_team("staff", size=1, pipeline=1)
    done = staff.submit(tasks.echo, "done")
    assert done.result(timeout=PATIENCE) == "done"
    slow = staff.submit(tasks.nap, 30, "slow")
    for future in (done, slow):
        for name, call in waiters(staff, future).items():
            with pytest.raises(ArgumentError) as info:
                call(timeout)
            assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)
            message = str(info.value)
            assert "timeout" in message and "0 or more" in message, (name, message)
            assert str(timeout) in message, (name, message)
    # nothing changed: the slow task still runs, and the team takes more work
    assert not slow.done()
    assert slow.cancel() and slow.cancelled()
    assert staff.submit(tasks.echo, "after").result(timeout=PATIENCE) == "after"
    assert staff.ledger.submitted == 3


@pytest.mark.timeout(30)
def test_infinite_timeout_is_no_limit(make_team):
    """
    A {timeout} of infinity waits without limit, as {None} does, and so does a time with units
    """
    staff = make_team("staff", size=1)
    future = staff.submit(tasks.nap, 0.2, "slept")
    assert future.result(timeout=math.inf) == "slept"
    assert future.exception(timeout=math.inf) is None
    futures = [staff.submit(tasks.echo, i) for i in range(3)]
    done, pending = staff.wait(futures, timeout=math.inf)
    assert done == set(futures) and pending == set()
    assert set(staff.as_completed(futures, timeout=math.inf)) == set(futures)
    assert list(staff.map(tasks.echo, range(3), timeout=math.inf)) == [0, 1, 2]
    assert staff.submit(tasks.echo, "units").result(timeout=PATIENCE * second) == "units"


@pytest.mark.timeout(30)
def test_zero_timeout_polls(make_team):
    """
    A {timeout} of 0 looks at what arrived without waiting: repeated, with the caller busy in
    between, it sees the task finish
    """
    staff = make_team("staff", size=1)
    assert staff.submit(tasks.echo, "up").result(timeout=PATIENCE) == "up"
    future = staff.submit(tasks.nap, 0.1, "polled")
    expiration = time.monotonic() + PATIENCE
    while not staff.wait([future], timeout=0).done:
        assert time.monotonic() < expiration, f"{future} never seen done"
        time.sleep(0.01)
    assert future.result(timeout=0) == "polled"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("deadline", [-1, -0.5 * second, math.nan, math.nan * second, "soon", True, 3 * meter])
def test_bad_deadlines_are_refused(make_team, deadline):
    """
    A negative or NaN deadline, or one that is not a time, is refused by {options} at once,
    with an {ArgumentError} that names the value and what is accepted; nothing is submitted
    """
    staff = make_team("staff", size=1)
    with pytest.raises(ValueError) as info:
        staff.options(deadline=deadline)
    assert isinstance(info.value, ArgumentError)
    message = str(info.value)
    assert "deadline" in message and "500*ms" in message, message
    assert staff.ledger.submitted == 0 and staff.crews == []
    # the team works on
    assert staff.options(deadline=PATIENCE).submit(tasks.echo, "after").result(timeout=PATIENCE) == "after"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("deadline", [0, math.inf, math.inf * second])
def test_no_deadline(make_team, deadline):
    """
    A deadline of 0 or infinity is none: the task runs to its end, even where the team has a
    deadline, and the loop that waits for it does not choke on an alarm at infinity
    """
    staff = make_team("staff", size=1, deadline="0.2*s")
    future = staff.options(deadline=deadline).submit(tasks.nap, 0.5, "slept")
    assert future.deadline is None
    assert future.result() == "slept"


@pytest.mark.timeout(30)
def test_infinite_team_deadline_is_none(make_team):
    """
    A team {deadline} of inf*s is none, as 0*s is; a negative or NaN one is refused, and the
    old one stays
    """
    staff = make_team("staff", size=1, deadline="inf*s")
    assert staff.submit(tasks.nap, 0.2, "slept").result() == "slept"
    for bad in (-1 * second, math.nan * second, "soon"):
        with pytest.raises(ConfigurationError) as info:
            staff.deadline = bad
        assert "deadline" in str(info.value) and "non-negative" in str(info.value)
    assert staff.policy.deadline is None
    assert staff.submit(tasks.nap, 0.2, "again").result() == "again"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("return_when", ["FIRST", None, 3, "ALL_COMPLETED "])
def test_wait_bad_return_when(make_team, return_when):
    """
    {wait} takes only the {return_when} values of {concurrent.futures}; anything else is an
    {ArgumentError} that names the value and the three that are accepted
    """
    staff = make_team("staff", size=1)
    future = staff.submit(tasks.echo, 1)
    with pytest.raises(ValueError) as info:
        staff.wait([future], timeout=PATIENCE, return_when=return_when)
    assert isinstance(info.value, ArgumentError)
    message = str(info.value)
    assert repr(return_when) in message
    assert all(name in message for name in ("FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED"))
    assert future.result(timeout=PATIENCE) == 1


# waiting across teams
@pytest.mark.timeout(60)
def test_wait_across_teams(make_team):
    """
    A staff waits for the futures of another team, each with a loop of its own, and for its
    own with them: {wait} in each of its modes, and {as_completed}
    """
    mine = make_team("staff", size=1, pipeline=1)
    theirs = make_team("staff", size=2, pipeline=1)
    assert mine.dispatcher is not theirs.dispatcher
    # theirs alone
    futures = [theirs.submit(tasks.nap, 0.1, i) for i in range(4)]
    done, pending = mine.wait(futures, timeout=PATIENCE)
    assert done == set(futures) and pending == set()
    assert [future.result(timeout=0) for future in futures] == [0, 1, 2, 3]
    # theirs and mine
    slow = mine.submit(tasks.nap, 30, "slow")
    fast = theirs.submit(tasks.nap, 0.1, "fast")
    done, pending = mine.wait([slow, fast], timeout=PATIENCE, return_when=concurrent.futures.FIRST_COMPLETED)
    assert done == {fast} and pending == {slow}
    bad = theirs.submit(tasks.fail)
    done, pending = mine.wait([slow, bad], timeout=PATIENCE, return_when=concurrent.futures.FIRST_EXCEPTION)
    assert done == {bad} and pending == {slow}
    assert slow.cancel()
    # as they finish
    futures = [theirs.submit(tasks.nap, 0.3, "theirs"), mine.submit(tasks.nap, 0.1, "mine")]
    finished = list(mine.as_completed(futures, timeout=PATIENCE))
    assert set(finished) == set(futures)
    assert sorted(future.result(timeout=0) for future in finished) == ["mine", "theirs"]
    # a wait for theirs that runs out of time says so, and the work goes on
    late = theirs.submit(tasks.nap, 30, "late")
    done, pending = mine.wait([late], timeout=0.2)
    assert done == set() and pending == {late}
    with pytest.raises(TimeoutError):
        list(mine.as_completed([late], timeout=0.2))
    assert late.cancel()
    assert theirs.submit(tasks.echo, "after").result(timeout=PATIENCE) == "after"


@pytest.mark.timeout(30)
def test_wait_refuses_futures_no_team_finishes(make_team):
    """
    A future that is not done and has no team, e.g. one of a thread pool, is refused by {wait}
    and {as_completed} at once, since no loop a staff drives finishes it; a done one is fine
    """
    staff = make_team("staff", size=1)
    release = threading.Event()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        stranger = pool.submit(release.wait, PATIENCE)
        for call in (staff.wait, staff.as_completed):
            with pytest.raises(ArgumentError, match="futures of pyre_nexus teams"):
                call([stranger], timeout=PATIENCE)
        release.set()
        assert stranger.result(timeout=PATIENCE) is True
    done, pending = staff.wait([stranger], timeout=PATIENCE)
    assert done == {stranger} and pending == set()


# shutdown
@pytest.mark.parametrize("pipeline", [1, 2])
def test_shutdown_cancel_futures(make_team, tmp_path, pipeline):
    """
    {shutdown(cancel_futures=True)} cancels the tasks that have not started, while the running
    one finishes
    """
    staff = make_team("staff", size=1, pipeline=pipeline)
    marker = tmp_path / "ran"
    pidfile = tmp_path / "pid"
    running = staff.submit(tasks.announce, str(pidfile), 1.0, "finished")
    queued = [staff.submit(tasks.tally, str(marker)) for _ in range(4)]
    # wait until the first one runs
    started(staff, running, pidfile)
    # shut down; not waiting here, so a team that never lets its crews go fails the test
    # instead of hanging it
    staff.shutdown(wait=False, cancel_futures=True)
    # the others were cancelled at once
    assert all(future.cancelled() for future in queued)
    # the running one finishes
    assert running.result(timeout=PATIENCE) == "finished"
    # and then the crews leave, which is what {shutdown(wait=True)} waits for
    assert staff.waitUntil(condition=staff.deserted, timeout=10), f"crews left behind: {staff.crews}"
    # the cancelled tasks never ran
    assert not marker.exists()


def test_shutdown_waits(make_team):
    """
    {shutdown(wait=True)} returns after all the work is done and the crews are gone
    """
    staff = make_team("staff", size=2)
    futures = [staff.submit(tasks.nap, 0.1, i) for i in range(4)]
    staff.shutdown(wait=True)
    assert all(future.done() for future in futures)
    assert [future.result() for future in futures] == [0, 1, 2, 3]
    assert staff.crews == []


def test_submit_after_shutdown(make_team):
    """
    {submit} after {shutdown} raises {TeamClosed}, which is also a {RuntimeError}
    """
    staff = make_team("staff", size=1)
    staff.submit(tasks.noop).result(timeout=PATIENCE)
    staff.shutdown(wait=True)
    with pytest.raises(TeamClosed):
        staff.submit(tasks.noop)
    with pytest.raises(RuntimeError):
        staff.submit(tasks.noop)


def test_map_after_shutdown(make_team):
    """
    {map} after {shutdown} raises {TeamClosed} at the call
    """
    staff = make_team("staff", size=1)
    staff.shutdown(wait=True)
    with pytest.raises(TeamClosed):
        staff.map(tasks.echo, range(3))


def test_context_manager(make_team):
    """
    Leaving the {with} block waits for the work and lets the crews go
    """
    staff = make_team("staff", size=2)
    with staff as team:
        assert team is staff
        futures = [staff.submit(tasks.nap, 0.2, i) for i in range(4)]
    assert all(future.done() for future in futures)
    assert [future.result() for future in futures] == [0, 1, 2, 3]
    assert staff.crews == []
    with pytest.raises(TeamClosed):
        staff.submit(tasks.noop)


def test_context_manager_error(make_team):
    """
    An error in the {with} block propagates, after the work is done
    """
    staff = make_team("staff", size=1)
    with pytest.raises(KeyError):
        with staff:
            future = staff.submit(tasks.nap, 0.2, "done")
            raise KeyError("oops")
    assert future.done()
    assert future.result() == "done"
    assert staff.crews == []


# end of file
