# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Futures awaited from asyncio: results, errors, deadlines and cancellation reach the coroutines
that await them, the asyncio loop keeps serving while tasks run, cancelling a coroutine cancels
its task and kills the worker that runs it, and the synchronous interface works alongside, all
with real forked workers
"""

# externals
import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest

# the package
from pyre_nexus.Bridge import Bridge
from pyre_nexus.exceptions import Cancelled, DeadlineExceeded, RemoteTraceback

# the tasks
from tests import tasks
from tests.conftest import alive
from tests.patience import PATIENCE


# the repository, where the scripts of the signal tests run, so they find the test tasks
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# helpers
async def started(future, path):
    """
    Wait, serving the asyncio loop, until the worker that runs {future} wrote its pid to {path}
    """
    expiration = time.monotonic() + PATIENCE
    while not (path.exists() and path.read_text().endswith("\n")):
        assert time.monotonic() < expiration, f"{future} did not start"
        assert not future.done(), f"{future} finished before it was seen running"
        await asyncio.sleep(0.01)
    # the team sees it running too
    assert future.running()
    return int(path.read_text())


async def vanished(pid):
    """
    Wait, serving the asyncio loop, until {pid} is gone; return whether it went
    """
    expiration = time.monotonic() + PATIENCE
    while alive(pid) and time.monotonic() < expiration:
        await asyncio.sleep(0.01)
    return not alive(pid)


# the tests
def test_await_result(make_team):
    """
    Awaiting a future returns its result, whether it is still running or done already
    """
    staff = make_team("staff", size=2)

    async def main():
        # a fresh team: awaiting it recruits and serves the crews
        future = staff.submit(tasks.add, 1, 2)
        assert await future == 3
        # a future that is done is awaited without a pass of the loop
        assert future.done()
        assert await future == 3
        # awaited as submitted
        assert await staff.submit(tasks.echo, "hello") == "hello"

    asyncio.run(main())


def test_gather(make_team):
    """
    Five hundred futures awaited at once, through {asyncio.gather}, all get their results, in
    order; so do futures taken as they finish, through {asyncio.as_completed}
    """
    staff = make_team("staff", size=2)

    async def main():
        # gathered
        results = await asyncio.gather(*(staff.submit(tasks.echo, n) for n in range(500)))
        assert results == list(range(500))
        # as they finish
        futures = [staff.submit(tasks.echo, n) for n in range(100)]
        seen = [await future for future in asyncio.as_completed(futures)]
        assert sorted(seen) == list(range(100))

    asyncio.run(main())


def test_exception(make_team):
    """
    The error of a task reaches the coroutine with its type, and the worker's traceback
    """
    staff = make_team("staff", size=1)

    async def main():
        with pytest.raises(ValueError, match="bad input") as info:
            await staff.submit(tasks.fail)
        assert isinstance(info.value.__cause__, RemoteTraceback)
        # the crew carries on
        assert await staff.submit(tasks.echo, "after") == "after"

    asyncio.run(main())


@pytest.mark.parametrize("ready", [False, True], ids=["recruiting", "idle-crew"])
def test_deadline(make_team, ready):
    """
    A task that runs past its deadline fails the coroutine with {DeadlineExceeded}, raised by
    the team's alarm while only asyncio runs; the deadline of a task that starts at once on an
    idle crew is armed by the submission, outside any pass of the team's loop
    """
    staff = make_team("staff", size=1, pipeline=1)

    async def main():
        # with the crew up and idle, and the loop serving the team, or neither yet
        if ready:
            assert await staff.submit(tasks.echo, "ready") == "ready"
        start = time.monotonic()
        with pytest.raises(DeadlineExceeded):
            await staff.options(deadline=0.5).submit(tasks.nap, PATIENCE)
        # well before the task would have finished
        assert time.monotonic() - start < PATIENCE / 2
        # and the team goes on, with a new crew
        assert await staff.submit(tasks.echo, "after") == "after"

    asyncio.run(main())


def test_cancel_on_timeout(make_team, tmp_path):
    """
    A coroutine that stops waiting, through {asyncio.wait_for}, cancels its running task: the
    worker is killed, and the team recruits a replacement and works on
    """
    staff = make_team("staff", size=1, pipeline=1)
    pidfile = tmp_path / "pid"

    async def main():
        # the loop serves the team before anything is awaited, so the test can watch the task
        Bridge.join(staff)
        future = staff.submit(tasks.announce, str(pidfile), PATIENCE, "never")
        # it runs
        pid = await started(future, pidfile)
        # give up on it
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(future, timeout=0.2)
        # so it was cancelled
        assert future.cancelled()
        with pytest.raises(Cancelled, match="cancelled by the caller"):
            future.result()
        # its worker is gone
        assert await vanished(pid), f"worker {pid} survived the cancellation"
        # and the team works on, with a new one
        replacement = await staff.submit(tasks.pid)
        assert replacement != pid
        assert alive(replacement)

    asyncio.run(main())


def test_cancel_task(make_team, tmp_path):
    """
    Cancelling the asyncio task that awaits a running future cancels the future and kills its
    worker; cancelling one that awaits a queued future takes it off the queue, and no worker
    dies for it
    """
    staff = make_team("staff", size=1, pipeline=1)
    pidfile = tmp_path / "pid"
    marker = tmp_path / "ran"

    async def main():
        running = staff.submit(tasks.announce, str(pidfile), PATIENCE, "never")
        queued = staff.submit(tasks.tally, str(marker))
        # a coroutine awaits each
        first = asyncio.create_task(awaiting(running))
        second = asyncio.create_task(awaiting(queued))
        pid = await started(running, pidfile)
        # cancel the one waiting for the queued task
        second.cancel()
        with pytest.raises(asyncio.CancelledError):
            await second
        assert queued.cancelled()
        # its crew is untouched
        assert alive(pid) and running.running()
        # now the one waiting for the running task
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        assert running.cancelled()
        assert await vanished(pid), f"worker {pid} survived the cancellation"
        # the team works on, with a new worker
        replacement = await staff.submit(tasks.pid)
        assert replacement != pid
        # and the queued task never ran
        assert not marker.exists()

    async def awaiting(future):
        return await future

    asyncio.run(main())


def test_cancelled_by_the_team(make_team):
    """
    A task cancelled by somebody else fails the coroutine that awaits it with {Cancelled}, as
    {result()} does, rather than cancelling the coroutine
    """
    staff = make_team("staff", size=1, pipeline=1)

    async def main():
        blocker = staff.submit(tasks.nap, 0.5, "blocker")
        queued = staff.submit(tasks.echo, "never")
        # cancel it a moment after the coroutine starts waiting
        asyncio.get_running_loop().call_later(0.1, queued.cancel)
        with pytest.raises(Cancelled, match="cancelled by the caller"):
            await queued
        # the coroutine itself goes on
        assert await blocker == "blocker"

    asyncio.run(main())


def test_loop_serves(make_team):
    """
    While a task runs, the asyncio loop serves its other coroutines
    """
    staff = make_team("staff", size=1)

    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        clock = asyncio.create_task(ticker())
        assert await staff.submit(tasks.nap, 1.0, "slept") == "slept"
        clock.cancel()
        # a hundred ticks fit in a second; a loaded machine gets at least a fair share of them
        assert ticks >= 20

    asyncio.run(main())


def test_sync_alongside(make_team):
    """
    The synchronous interface works in a coroutine, which it blocks, and after the asyncio loop
    is gone; a second asyncio loop takes the team over
    """
    staff = make_team("staff", size=2)

    async def main(value):
        # awaited
        assert await staff.submit(tasks.echo, value) == value
        # and waited for synchronously, in the middle of the coroutine
        assert staff.submit(tasks.add, value, 1).result(timeout=PATIENCE) == value + 1
        # awaited again
        assert await staff.submit(tasks.echo, value) == value

    asyncio.run(main(1))
    # after the loop closed: results, and a deadline, whose alarm the old loop will not raise
    assert staff.submit(tasks.add, 2, 3).result(timeout=PATIENCE) == 5
    with pytest.raises(DeadlineExceeded):
        staff.options(deadline=0.3).submit(tasks.nap, PATIENCE).result(timeout=PATIENCE)
    assert list(staff.map(tasks.echo, range(10))) == list(range(10))
    # and another loop
    asyncio.run(main(2))


def test_shutdown_without_waiting(make_team):
    """
    A team shut down without waiting, from a coroutine, lets its crews go as the asyncio loop
    runs, since the loop keeps running the passes of the team's loop
    """
    staff = make_team("staff", size=2)

    async def main():
        assert await asyncio.gather(*(staff.submit(tasks.pid) for _ in range(20)))
        pids = [crew.pid for crew in staff.crews]
        staff.shutdown(wait=False)
        # the crews leave, and their workers with them
        expiration = time.monotonic() + PATIENCE
        while staff.crews and time.monotonic() < expiration:
            await asyncio.sleep(0.01)
        assert staff.crews == []
        for pid in pids:
            assert await vanished(pid), f"worker {pid} is still there"

    asyncio.run(main())


# the interrupt tests run a script of their own, which the test interrupts
SCRIPT = r"""
import asyncio, os, sys
import pyre_nexus
from tests import tasks

pidfile = sys.argv[1]
staff = pyre_nexus.staff()(name="interrupted", size=1)
# with the crew recruited before asyncio runs, the team holds SIGINT; otherwise, asyncio does
if sys.argv[2] == "before":
    staff.submit(tasks.noop).result()
future = staff.submit(tasks.announce, pidfile, 60, "never")

async def main():
    # say so once the coroutine waits
    asyncio.get_running_loop().call_soon(lambda: print("waiting", flush=True))
    await future

try:
    asyncio.run(main())
except KeyboardInterrupt:
    print("interrupted", future.cancelled(), future.cancellation, flush=True)
"""


@pytest.mark.parametrize("recruited", ["before", "inside"])
def test_interrupt(tmp_path, recruited):
    """
    Ctrl-C during {asyncio.run} raises {KeyboardInterrupt} out of it and cancels the awaited
    task, whether asyncio or the team handles SIGINT: the team holds it only while its handlers
    run, and asyncio cancels what its loop awaits on the way out
    """
    pidfile = tmp_path / "pid"
    script = tmp_path / "interrupted.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=ROOT)
    process = subprocess.Popen(
        [sys.executable, str(script), str(pidfile), recruited],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        # wait for the coroutine to wait
        assert process.stdout.readline() == "waiting\n"
        # and for the task to run
        expiration = time.monotonic() + PATIENCE
        while not (pidfile.exists() and pidfile.read_text().endswith("\n")):
            assert process.poll() is None, "the script ended before its task ran"
            assert time.monotonic() < expiration, "the task did not start"
            time.sleep(0.01)
        pid = int(pidfile.read_text())
        # interrupt
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=PATIENCE)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # the task was cancelled by the coroutine that awaited it
    assert output.split() == ["interrupted", "True", "cancelled", "by", "the", "caller"]
    assert process.returncode == 0
    # and its worker is gone
    assert not alive(pid)


# end of file
