# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Teams under fire: workers that die, tasks that overstay their deadline, tasks that fail and
get retried, crews that are recycled or initialized, and input and output that cannot travel.
Every test uses real forked workers; the {make_team} fixture checks that none is left behind
"""

# externals
import collections
import concurrent.futures
import gc
import os
import signal
import threading
import weakref

import pytest

# the framework
import pyre

# the package
from pyre_nexus import exceptions

# the test tasks and helpers
from tests import tasks
from tests.conftest import alive, together, wait_until, warm
from tests.patience import PATIENCE


# the teams of these tests may be left in a bad way by the faults they suffer
def scuttle(team):
    """
    Kill and reap the workers of a {team} that could not be shut down, and empty it, so that
    a library bug in one test does not leave workers behind for the tests that follow
    """
    # take no more work
    team.closed = True
    # kill and reap every worker the team still knows about; they are all our children
    for crew in list(team.crews):
        for kill in (os.killpg, os.kill):
            try:
                kill(crew.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            os.waitpid(crew.pid, 0)
        except ChildProcessError:
            pass
    # and forget them, with the work that is left
    team.crews.clear()
    team.queue.clear()
    # all done
    return


@pytest.fixture
def make_team(make_team):
    """
    The shared {make_team}, with a safety net: each team gets a bounded time to shut down; if
    it fails to, or raises, the test errors out and the team's workers are killed and reaped
    before the shared fixture checks for leftovers
    """
    # the teams made
    teams = []

    def make(kind="staff", **traits):
        team = make_team(kind, **traits)
        teams.append(team)
        return team

    # hand over the factory
    yield make
    # shut the teams down
    problems = []
    for team in teams:
        try:
            team.shutdown(wait=False, cancel_futures=True)
            if not team.waitUntil(condition=team.deserted, timeout=10):
                problems.append(f"{team} did not shut down within 10 s")
        except Exception as error:
            problems.append(f"{team} shutdown raised {error!r}")
        # if anything is left
        if team.crews:
            # get rid of it
            scuttle(team)
    # report
    if problems:
        pytest.fail("; ".join(problems))


# helpers
def workerpid(staff):
    """
    The pid of the worker that runs the next task of {staff}
    """
    return staff.submit(tasks.pid).result(timeout=PATIENCE)


def gone(pid, timeout=10):
    """
    Whether the process {pid} disappears (or turns into a zombie) within {timeout} seconds,
    with every thread of it: a zombie leader's descriptors stay open until its other threads,
    e.g. a worker's watch threads, are done exiting too
    """

    def over():
        try:
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:
            return True
        return not alive(pid) and threads == [str(pid)]

    return wait_until(over, timeout=timeout)


# worker deaths
deaths = [
    pytest.param(tasks.leave, (3,), 3, "exited with status 3", id="exit-3"),
    pytest.param(tasks.suicide, (), -signal.SIGKILL, "SIGKILL", id="sigkill"),
    pytest.param(tasks.segfault, (), -signal.SIGSEGV, "SIGSEGV", id="segfault"),
]


@pytest.mark.parametrize("fn, args, status, words", deaths)
def test_death_is_a_casualty_of_that_task_only(make_team, fn, args, status, words):
    """
    A worker that dies mid-task fails that task with a {Casualty} that names the worker, its
    status and the cause; the tasks around it, pipelined on the same crew, all complete, and a
    replacement crew with a new pid takes over
    """
    # one crew, so every task goes through it, with a deep pipeline so the tasks behind the
    # fatal one are already in the crew when it dies
    staff = make_team("staff", size=1, pipeline=4)
    # bring the crew up, and let the team see that tasks are short, so it fills the pipeline
    warm(staff)
    # the worker that runs the fatal task
    victim = workerpid(staff)
    # a task before the fatal one
    before = [staff.submit(tasks.echo, i) for i in range(2)]
    # the fatal task
    fatal = staff.submit(fn, *args)
    # and the tasks after it
    after = [staff.submit(tasks.echo, i) for i in range(2, 9)]
    replacement = staff.submit(tasks.pid)
    # the fatal task and the ones around it were handed to the crew together
    assert together(staff, before[-1], fatal, after[0]), "the pipeline was not filled"

    # the fatal task fails with a casualty
    error = fatal.exception(timeout=PATIENCE)
    assert isinstance(error, exceptions.Casualty), repr(error)
    # that names the worker
    assert error.pid == victim
    # and how it died
    assert error.status == status
    assert words in str(error)
    assert str(victim) in str(error)
    # and the task
    assert fatal.label in str(error)
    # a second look gives the same error
    with pytest.raises(exceptions.Casualty):
        fatal.result(timeout=0)

    # everything else completed
    assert [f.result(timeout=PATIENCE) for f in before] == [0, 1]
    assert [f.result(timeout=PATIENCE) for f in after] == list(range(2, 9))
    # on a new crew
    successor = replacement.result(timeout=PATIENCE)
    assert successor != victim
    # the dead worker is gone
    assert gone(victim)
    # and the team keeps working on the replacement
    assert staff.submit(tasks.add, 2, y=3).result(timeout=PATIENCE) == 5
    assert workerpid(staff) == successor
    # with exactly one live crew
    assert [crew.pid for crew in staff.crews] == [successor]


def test_death_on_a_team_of_two_spares_the_other_crew(make_team):
    """
    A death on one crew leaves the other crew and its tasks alone
    """
    staff = make_team("staff", size=2)
    # keep both crews busy
    slow = [staff.submit(tasks.nap, 0.5, i) for i in range(4)]
    fatal = staff.submit(tasks.suicide)
    fast = [staff.submit(tasks.echo, i) for i in range(20)]
    # the fatal one fails
    error = fatal.exception(timeout=PATIENCE)
    assert isinstance(error, exceptions.Casualty)
    assert error.status == -signal.SIGKILL
    # the rest succeed
    assert [f.result(timeout=PATIENCE) for f in slow] == list(range(4))
    assert [f.result(timeout=PATIENCE) for f in fast] == list(range(20))
    # each exactly once, with nothing else failing
    assert sum(f.exception() is not None for f in slow + fast + [fatal]) == 1


@pytest.mark.parametrize("casualties", [3, 1])
def test_casualties_bounds_the_crews_a_task_may_kill(make_team, tmp_path, casualties):
    """
    A task that kills every worker that runs it is run {casualties} times, then fails
    """
    staff = make_team("staff", size=1, casualties=casualties)
    log = tmp_path / "runs"
    # run it
    error = staff.submit(tasks.fault_killer, str(log)).exception(timeout=PATIENCE)
    # it failed with a casualty
    assert isinstance(error, exceptions.Casualty), repr(error)
    assert error.status == -signal.SIGKILL
    # after exactly as many runs as the bound allows
    assert log.read_text() == "x" * casualties
    # the team still works
    assert staff.submit(tasks.echo, "alive").result(timeout=PATIENCE) == "alive"
    # and no more runs happened
    assert log.read_text() == "x" * casualties


def test_task_rerun_after_a_death_goes_to_an_idle_crew(make_team, tmp_path):
    """
    A task put back after its crew died is handed to the other crew at once, even though that
    crew is idle and the team needs no replacement to be at strength for the work left
    """
    staff = make_team("staff", size=2, casualties=2)
    # both crews up and idle
    warm(staff)
    log = tmp_path / "runs"
    # a task that kills whoever runs it: rerun once on the idle crew, then blamed
    error = staff.submit(tasks.fault_killer, str(log)).exception(timeout=PATIENCE)
    assert isinstance(error, exceptions.Casualty), repr(error)
    assert log.read_text() == "xx"


# deadlines
def test_team_deadline_kills_an_overdue_task(make_team):
    """
    A task that runs past the team's deadline fails with {DeadlineExceeded} well before it
    would have finished; its worker is killed and replaced
    """
    staff = make_team("staff", size=1, deadline="300*ms")
    # warm up, so the clock below does not include the recruitment
    first = workerpid(staff)
    # run a task that takes far longer than the deadline
    future = staff.submit(tasks.nap, 5, "late")
    error = future.exception(timeout=PATIENCE)
    # it was cut short: had it finished, it would have a result
    assert isinstance(error, exceptions.DeadlineExceeded), repr(error)
    assert isinstance(error, TimeoutError)
    assert error.deadline == pytest.approx(0.3)
    # its worker was the one that ran it, and it is gone
    assert error.pid == first
    assert str(first) in str(error)
    assert gone(error.pid)
    # as the result says too
    with pytest.raises(exceptions.DeadlineExceeded):
        future.result(timeout=0)
    # later tasks work, on a new crew
    assert staff.submit(tasks.echo, 1).result(timeout=PATIENCE) == 1
    assert workerpid(staff) != first
    # and a quick task does not trip the deadline
    assert staff.submit(tasks.nap, 0.05, "quick").result(timeout=PATIENCE) == "quick"


def test_deadline_per_submission(make_team):
    """
    {options(deadline=...)} applies to its submissions only, on a team without a deadline
    """
    staff = make_team("staff", size=1)
    first = workerpid(staff)
    # an overdue task
    error = staff.options(deadline=0.2).submit(tasks.nap, 5).exception(timeout=PATIENCE)
    assert isinstance(error, exceptions.DeadlineExceeded), repr(error)
    assert isinstance(error, TimeoutError)
    assert error.pid == first
    assert gone(first)
    # the team itself has no deadline: a task longer than the one above is fine
    assert staff.submit(tasks.nap, 0.6, "patient").result(timeout=PATIENCE) == "patient"


def test_fast_task_meets_its_deadline(make_team):
    """
    Tasks that finish in time are not disturbed by their deadlines
    """
    staff = make_team("staff", size=2)
    timed = staff.options(deadline=5)
    assert timed.submit(tasks.echo, "ok").result(timeout=PATIENCE) == "ok"
    assert list(timed.map(tasks.add, range(10), range(10))) == [2 * i for i in range(10)]
    # and the crews survived
    pids = {crew.pid for crew in staff.crews}
    assert timed.submit(tasks.pid).result(timeout=PATIENCE) in pids


def test_deadline_clock_starts_when_the_task_starts(make_team):
    """
    A task queued behind a long one on the same crew has its clock started only when it starts
    running, so the wait in the pipeline does not count against it
    """
    staff = make_team("staff", size=1, pipeline=2)
    warm(staff)
    # a long task without a deadline
    long = staff.submit(tasks.nap, 2, "long")
    # and a quick one with a deadline shorter than the long one
    quick = staff.options(deadline=1).submit(tasks.echo, "quick")
    # both were handed to the one crew
    assert together(staff, long, quick), "the pipeline was not filled"
    # both succeed
    assert long.result(timeout=PATIENCE) == "long"
    assert quick.result(timeout=PATIENCE) == "quick"


def test_queued_task_is_not_blamed_for_the_deadline_of_the_running_one(make_team):
    """
    When the running task blows its deadline, the task pipelined behind it on the same crew is
    not failed: it runs on the replacement crew and succeeds
    """
    staff = make_team("staff", size=1, pipeline=2)
    warm(staff)
    timed = staff.options(deadline=0.3)
    # the long one
    long = timed.submit(tasks.nap, 5, "long")
    # and the one behind it, with the same deadline
    behind = timed.submit(tasks.pid)
    # both were handed to the one crew
    assert together(staff, long, behind), "the pipeline was not filled"
    # the long one fails
    error = long.exception(timeout=PATIENCE)
    assert isinstance(error, exceptions.DeadlineExceeded), repr(error)
    # the one behind succeeds, on the replacement
    assert behind.result(timeout=PATIENCE) != error.pid
    assert gone(error.pid)


def test_pipelined_deadlines_do_not_accumulate(make_team):
    """
    Many short tasks queued on one crew, each with a deadline far longer than the task but far
    shorter than the whole batch, all succeed: each clock times its own task
    """
    staff = make_team("staff", size=1, pipeline=4)
    timed = staff.options(deadline=1)
    futures = [timed.submit(tasks.nap, 0.02, i) for i in range(100)]
    assert [f.result(timeout=PATIENCE) for f in futures] == list(range(100))
    # one crew did all the work without being killed
    assert len(staff.crews) == 1


def test_many_deadlines(make_team):
    """
    Thousands of tasks with deadlines all succeed, and their clocks leave nothing behind
    """
    staff = make_team("staff", size=2)
    timed = staff.options(deadline=30)
    count = 2000
    futures = [timed.submit(tasks.echo, i) for i in range(count)]
    done, pending = staff.wait(futures, timeout=PATIENCE)
    assert not pending
    assert [f.result(timeout=0) for f in futures] == list(range(count))
    # no crew was killed along the way
    assert len(staff.crews) == 2
    # no deadline is still armed, and the cancelled ones did not pile up
    heap = staff.dispatcher._heap
    assert not [entry for entry in heap if entry[2].handler is not None]
    assert len(heap) < count // 4


def test_finished_task_releases_its_deadline_clock(make_team):
    """
    Once a task with a deadline is done, its clock is disarmed and lets go of it, even when the
    crew has nothing else to run, so the team does not hold on to finished futures and their
    results until the deadline would have expired
    """
    staff = make_team("staff", size=1)
    future = staff.options(deadline=3600).submit(tasks.echo, b"x" * 1024)
    assert future.result(timeout=PATIENCE) == b"x" * 1024
    # drop the caller's reference; nothing else should keep the future
    ref = weakref.ref(future)
    del future
    gc.collect()
    assert ref() is None, "a finished task is still held, e.g. by its deadline clock"
    # and no clock is left armed
    assert not [entry for entry in staff.dispatcher._heap if entry[2].handler is not None]


# retries
def test_recoverable_error_is_retried(make_team, tmp_path):
    """
    A task that raises a {RecoverableError} twice succeeds on its third run with two retries
    """
    staff = make_team("staff", size=1, retries=2)
    log = tmp_path / "runs"
    assert staff.submit(tasks.flaky, str(log), 2).result(timeout=PATIENCE) == 3
    assert log.read_text() == "xxx"


def test_recoverable_error_runs_out_of_retries(make_team, tmp_path):
    """
    With one retry, a task that fails twice fails with its {RecoverableError} after two runs
    """
    staff = make_team("staff", size=1, retries=1)
    log = tmp_path / "runs"
    error = staff.submit(tasks.flaky, str(log), 2).exception(timeout=PATIENCE)
    assert isinstance(error, exceptions.RecoverableError), repr(error)
    assert "run 2 failed" in str(error)
    assert isinstance(error.__cause__, exceptions.RemoteTraceback)
    assert log.read_text() == "xx"
    # the crew is fine
    assert staff.submit(tasks.echo, 4).result(timeout=PATIENCE) == 4


def test_plain_errors_are_not_retried(make_team, tmp_path):
    """
    An ordinary exception reaches the caller as itself after a single run, retries or not
    """
    staff = make_team("staff", size=1, retries=3)
    log = tmp_path / "runs"
    before = workerpid(staff)
    future = staff.submit(tasks.fault_reject, str(log))
    with pytest.raises(ValueError, match="run 1 rejected") as info:
        future.result(timeout=PATIENCE)
    # with the worker's traceback attached
    assert isinstance(info.value.__cause__, exceptions.RemoteTraceback)
    assert "fault_reject" in str(info.value.__cause__)
    assert log.read_text() == "x"
    # the crew survives an ordinary exception
    assert workerpid(staff) == before


# recycling
def test_maxtasks_recycles_crews(make_team):
    """
    With {maxtasks=3}, no worker runs more than three tasks
    """
    staff = make_team("staff", size=2, maxtasks=3)
    futures = [staff.submit(tasks.pid) for _ in range(9)]
    pids = [f.result(timeout=PATIENCE) for f in futures]
    assert len(pids) == 9
    counts = collections.Counter(pids)
    assert max(counts.values()) <= 3, counts
    assert len(counts) >= 3, counts
    # the workers that reached their limit retire and leave
    for pid, tally in counts.items():
        if tally == 3:
            assert gone(pid), f"retired worker {pid} is still around"
    # and the team keeps working
    assert staff.submit(tasks.echo, "more").result(timeout=PATIENCE) == "more"


# initializers
def markers(directory):
    """
    The marker files the initializer left: pid -> number of runs
    """
    return {int(path.name): len(path.read_text()) for path in directory.iterdir()}


def test_initializer_runs_once_per_crew(make_team, tmp_path):
    """
    The initializer runs exactly once in every crew, including the ones that replace crews
    recycled by {maxtasks}
    """
    staff = make_team(
        "staff", size=2, maxtasks=2, initializer=tasks.fault_mark, initargs=(str(tmp_path),)
    )
    pids = [f.result(timeout=PATIENCE) for f in [staff.submit(tasks.pid) for _ in range(8)]]
    # several crews did the work
    assert len(set(pids)) >= 4
    # let every worker go, so no initializer is still running while the markers are read
    staff.shutdown(wait=True)
    runs = markers(tmp_path)
    # each of them ran the initializer
    assert set(pids) <= set(runs), (pids, runs)
    # exactly once
    assert set(runs.values()) == {1}, runs


def test_initializer_by_name(make_team, tmp_path):
    """
    The initializer may be named as 'module:function'
    """
    staff = make_team(
        "staff",
        size=1,
        initializer=f"{tasks.__name__}:fault_mark",
        initargs=(str(tmp_path),),
    )
    pids = [f.result(timeout=PATIENCE) for f in [staff.submit(tasks.pid) for _ in range(4)]]
    assert len(set(pids)) == 1
    staff.shutdown(wait=True)
    assert markers(tmp_path) == {pids[0]: 1}


def test_failing_initializer_fails_the_tasks(make_team):
    """
    An initializer that raises makes the waiting tasks fail with a {RecruitmentError} that
    says why, rather than hang or retry forever
    """
    staff = make_team(
        "staff", size=2, initializer=tasks.fault_broken_init, initargs=("init-marker-3141",)
    )
    futures = [staff.submit(tasks.echo, i) for i in range(4)]
    # a few failed recruitments take a fraction of a second; don't wait for a hang for long
    done, pending = staff.wait(futures, timeout=5)
    assert not pending, "tasks hang behind a failing initializer"
    for future in futures:
        error = future.exception(timeout=0)
        assert isinstance(error, exceptions.RecruitmentError), repr(error)
        assert "init-marker-3141" in str(error)


# input and output that cannot travel
def test_unpicklable_argument(make_team):
    """
    A task whose arguments cannot be pickled fails at once, before anything is sent, and the
    team carries on
    """
    staff = make_team("staff", size=1)
    future = staff.submit(tasks.echo, threading.Lock())
    # failed already
    assert future.done()
    error = future.exception(timeout=0)
    assert isinstance(error, exceptions.UnpicklableTask), repr(error)
    assert isinstance(error, exceptions.MarshalingError)
    assert "lock" in str(error).lower()
    # nothing was sent: no crew was even recruited for it
    assert staff.crews == []
    # the team works
    assert staff.submit(tasks.echo, "fine").result(timeout=PATIENCE) == "fine"


def test_unpicklable_result(make_team):
    """
    A task whose result cannot be pickled fails with {UnpicklableResult}, and the same worker
    keeps serving
    """
    staff = make_team("staff", size=1)
    before = workerpid(staff)
    error = staff.submit(tasks.fault_lock).exception(timeout=PATIENCE)
    assert isinstance(error, exceptions.UnpicklableResult), repr(error)
    assert isinstance(error, exceptions.MarshalingError)
    assert "lock" in str(error).lower()
    assert workerpid(staff) == before


def test_exception_the_team_cannot_unpickle(make_team):
    """
    An exception that pickles in the worker but cannot be rebuilt in the team still gives the
    caller an error that says what happened, and the crew carries on
    """
    staff = make_team("staff", size=1)
    before = workerpid(staff)
    error = staff.submit(tasks.fault_stubborn).exception(timeout=PATIENCE)
    assert error is not None
    assert isinstance(error, exceptions.NexusError), repr(error)
    assert "FaultStubborn" in str(error)
    assert workerpid(staff) == before


def test_large_result(make_team):
    """
    A 200 MB result arrives intact
    """
    staff = make_team("staff", size=1)
    size = 200 * 1024 * 1024
    blob = staff.submit(tasks.fault_blob, size).result(timeout=50)
    assert isinstance(blob, bytes)
    assert len(blob) == size
    for index in (0, 1, 255, 256, 12345, size // 2 + 7, size - 2, size - 1):
        assert blob[index] == index % 256
    assert blob[-256:] == bytes(range(256))
    del blob
    # the crew is fine
    assert staff.submit(tasks.echo, 1).result(timeout=PATIENCE) == 1


def test_ten_thousand_tiny_tasks(make_team):
    """
    Every one of 10,000 tasks gets exactly one outcome and one done callback
    """
    staff = make_team("staff", size=2)
    count = 10_000
    calls = collections.Counter()
    futures = []
    for i in range(count):
        future = staff.submit(tasks.echo, i)
        future.add_done_callback(lambda f: calls.update([id(f)]))
        futures.append(future)
    done, pending = staff.wait(futures, timeout=50)
    assert not pending
    results = [f.result(timeout=0) for f in futures]
    assert results == list(range(count))
    assert sorted(results) == list(range(count))
    # each callback ran exactly once
    assert sum(calls.values()) == count
    assert set(calls.values()) == {1}
    assert set(calls) == {id(f) for f in futures}
    # a callback added late runs right away, once
    late = []
    futures[0].add_done_callback(late.append)
    assert late == [futures[0]]


def test_shutdown_after_an_unnoticed_death(make_team):
    """
    A worker that died while the team was not looking, e.g. killed from outside while the
    team's loop was idle, does not break the shutdown: telling it to quit finds a broken
    channel, which is no reason to raise
    """
    staff = make_team("staff", size=1)
    victim = workerpid(staff)
    # kill it behind the team's back, and wait until it is dead (a zombie: nobody reaped it)
    os.kill(victim, signal.SIGKILL)
    assert gone(victim)
    # shut down
    try:
        staff.shutdown(wait=True)
    except Exception as error:
        # clean up, so the failure is reported once and no worker is left
        scuttle(staff)
        pytest.fail(f"shutdown raised {error!r}")
    assert staff.crews == []
    # and the team takes no more work
    with pytest.raises(exceptions.TeamClosed):
        staff.submit(tasks.noop)


def test_submit_after_an_unnoticed_death(make_team):
    """
    Submitting to a team whose worker died while the team was not looking returns a future,
    rather than raising the broken channel at the caller, and the task runs on a replacement
    """
    staff = make_team("staff", size=1)
    victim = workerpid(staff)
    # kill it behind the team's back, and wait until it is dead (a zombie: nobody reaped it)
    os.kill(victim, signal.SIGKILL)
    assert gone(victim)
    # submit; the team hands the task to the crew it still believes in
    try:
        future = staff.submit(tasks.pid)
    except Exception as error:
        # clean up, so the failure is reported once and no worker is left
        scuttle(staff)
        pytest.fail(f"submit raised {error!r}")
    # the task never reached the dead worker, so it is not blamed for the death: it runs on a
    # replacement
    assert future.result(timeout=PATIENCE) != victim
    # and the team works
    assert workerpid(staff) != victim


def test_worker_that_closes_its_channel(make_team):
    """
    A worker that closes its own channel mid-task is found lost and the task fails within the
    recruiter's grace and a few seconds, rather than hang
    """
    staff = make_team("staff", size=1)
    victim = workerpid(staff)
    grace = staff.recruiter.grace / pyre.units.SI.second
    future = staff.submit(tasks.fault_blind, 60)
    try:
        error = future.exception(timeout=grace + 10)
    except concurrent.futures.TimeoutError:
        pytest.fail("a worker that closed its channel was not detected")
    assert isinstance(error, exceptions.NexusError), repr(error)
    assert isinstance(error, exceptions.Casualty), repr(error)
    assert error.pid == victim
    assert gone(victim)
    # the team carries on, on a replacement
    assert workerpid(staff) != victim


# end of file


def test_report_is_delivered_before_the_next_task_starts(make_team):
    """
    A large report that does not fit the channel at once goes out before the worker starts
    the next task, so the next task's running time is not charged to the reported one
    """
    staff = make_team("staff", size=1, deadline="2*s")
    warm(staff)
    # a result larger than any pipe buffer, then a task that outlives the deadline
    big = staff.submit(tasks.fault_blob, 4 * 1024 * 1024)
    slow = staff.submit(tasks.nap, 3, "slow")
    assert together(staff, big, slow)
    # the big one made its deadline: its report was not held back while the slow one ran
    assert len(big.result(timeout=30)) == 4 * 1024 * 1024
    # and the slow one is the one that ran past it
    assert isinstance(slow.exception(timeout=30), exceptions.DeadlineExceeded)


def test_requeued_task_is_not_running(make_team, tmp_path):
    """
    A task put back in the queue after its crew died waits again: it is not running
    """
    staff = make_team("staff", size=1, casualties=2)
    path = tmp_path / "runs"
    future = staff.submit(tasks.fault_killer, str(path))
    # wait for the first death, after which the task waits for the replacement crew
    assert staff.waitUntil(condition=lambda: path.exists() and future.running() is False, timeout=30)
    assert not future.done() or isinstance(future.exception(), exceptions.Casualty)
