# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import collections
import concurrent.futures
import itertools
import numbers
import time

# my base class
from .Foreman import Foreman
# my parts
from ..Dispatcher import limit
from ..exceptions import ArgumentError


# declaration
class Staff(Foreman, family="pyre_nexus.teams.staff"):
    """
    A standing team for long lived applications, with the interface of
    {concurrent.futures.Executor}

    {submit} returns a future at once; crews are recruited as the work needs them, up to
    {size}. Waiting for futures, through their {result} or through {wait}, {as_completed} and
    {map}, drives the team's event loop; a host application that runs the same loop gets the
    done callbacks of the futures while it keeps serving. {wait} and {as_completed} take the
    futures of other teams too, and drive their loops as well. Every {timeout} is a number of
    seconds: {None} or infinity for no limit, 0 to look without waiting
    """

    # interface
    def submit(self, fn, /, *args, **kwds):
        """
        Schedule {fn(*args, **kwds)}; returns its future
        """
        # queue it with the team's deadline
        return self.enqueue(fn=fn, args=args, kwds=kwds)

    def options(self, deadline=None):
        """
        A view of me whose {submit} and {map} apply {deadline} to each task: a number of seconds
        or a time, e.g. 500*ms; 0 or infinity for no limit, {None} for mine
        """
        # build it
        return Submitter(team=self, deadline=deadline)

    def map(self, fn, *iterables, timeout=None, chunksize=1):
        """
        Apply {fn} to the items of {iterables} in parallel; returns an iterator over the
        results, in order. {chunksize} items travel together as one task; {timeout} seconds
        after the call, a result that has not arrived raises {TimeoutError}
        """
        # with the team's deadline
        return self.options().map(fn, *iterables, timeout=timeout, chunksize=chunksize)

    def wait(self, futures, timeout=None, return_when=concurrent.futures.ALL_COMPLETED):
        """
        Wait for {futures} as {concurrent.futures.wait} does, driving my event loop and those
        of their teams meanwhile; returns the sets {(done, not_done)}. {return_when} is one of
        {FIRST_COMPLETED}, {FIRST_EXCEPTION} or {ALL_COMPLETED} of {concurrent.futures}
        """
        # check the arguments
        timeout = limit(timeout, call="Staff.wait")
        if return_when not in self.conditions:
            raise ArgumentError(
                call="Staff.wait",
                argument="return_when",
                value=return_when,
                accepted="one of concurrent.futures.FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED",
            )
        # the futures, in order, and the loops that finish them
        futures = list(dict.fromkeys(futures))
        loops = self.loopsOf(futures=futures, call="Staff.wait")
        # waiting for all of them: look at each once it is done, in order; they mostly finish
        # in the order they were submitted, so a pass looks at few more than finished in it
        if return_when == concurrent.futures.ALL_COMPLETED:
            until = Sweep(futures=futures).over
        # otherwise, count them down as they finish, so waiting costs nothing per future per pass
        else:
            tally = Tally(futures=futures)
            if return_when == concurrent.futures.FIRST_COMPLETED:
                until = lambda: tally.finished > 0
            else:
                until = lambda: tally.pending == 0 or tally.failed > 0
        # drive
        self.waitUntil(condition=until, timeout=timeout, loops=loops)
        # split
        done = {future for future in futures if future.done()}
        return concurrent.futures._base.DoneAndNotDoneFutures(done, set(futures) - done)

    def as_completed(self, futures, timeout=None):
        """
        Yield {futures} as they finish, driving my event loop and those of their teams
        meanwhile; raises {TimeoutError} if they are not all done {timeout} seconds after the
        call
        """
        # check the arguments now, rather than when the caller first asks for a future
        timeout = limit(timeout, call="Staff.as_completed")
        pending = set(futures)
        loops = self.loopsOf(futures=pending, call="Staff.as_completed")
        # when to give up
        expiration = None if timeout is None else time.monotonic() + timeout
        # and hand them over as they come
        return self.completions(pending=pending, expiration=expiration, loops=loops)

    # context manager
    def __enter__(self):
        # i'm ready
        return self

    def __exit__(self, *_):
        # wait for the work and let the crews go
        self.shutdown(wait=True)
        # do not swallow exceptions
        return False

    # the calls of a pool, which a staff does not make, and what it does instead
    missing = {"assemble"}
    instead = "a staff takes tasks as they come: submit() or map(); {name} is a pool's; set team=pool"

    # the values of {return_when} that {wait} knows
    conditions = (
        concurrent.futures.FIRST_COMPLETED,
        concurrent.futures.FIRST_EXCEPTION,
        concurrent.futures.ALL_COMPLETED,
    )

    # implementation details
    def loopsOf(self, futures, call):
        """
        The event loops that finish {futures}, those of their teams; a future that is not done
        and has no team, e.g. one of a thread pool, is refused, since no loop finishes it
        """
        # the loops, each once
        loops = {}
        for future in futures:
            # a future that is done needs no loop
            if future.done():
                continue
            # get its team
            team = getattr(future, "team", None)
            if team is None:
                raise ArgumentError(
                    call=call,
                    argument="futures",
                    value=future,
                    accepted="futures of pyre_nexus teams; wait for others with concurrent.futures",
                )
            # and its loop
            loop = team.policy.loop
            loops[id(loop)] = loop
        # hand them over
        return list(loops.values())

    def completions(self, pending, expiration, loops):
        """
        Yield the futures in {pending} as they finish, driving {loops} as well as mine; raises
        {TimeoutError} if they are not all done by {expiration}
        """
        # the ones that finished and were not yielded
        finished = collections.deque()
        # arrange to hear of each one
        for future in pending:
            future.add_done_callback(finished.append)
        # show their progress, on a terminal
        gauge = self.gauge(futures=pending, label="tasks")
        # carefully, so the display comes down however the caller leaves
        try:
            # as long as there are futures left
            while pending:
                # wait for one
                remaining = None if expiration is None else max(0, expiration - time.monotonic())
                if not self.waitUntil(condition=lambda: bool(finished), timeout=remaining, loops=loops):
                    raise concurrent.futures.TimeoutError(
                        f"{len(pending)} (of {len(pending) + len(finished)}) futures unfinished"
                    )
                # hand over the ones that finished
                while finished:
                    future = finished.popleft()
                    if future in pending:
                        pending.discard(future)
                        yield future
        # end the display
        finally:
            self.ungauge(gauge)
        # all done
        return


# the view with options
class Submitter:
    """
    The submission interface of a staff, with options that apply to each task
    """

    # interface
    def submit(self, fn, /, *args, **kwds):
        """
        Schedule {fn(*args, **kwds)}; returns its future
        """
        # queue it
        return self.team.enqueue(fn=fn, args=args, kwds=kwds, deadline=self.deadline)

    def map(self, fn, *iterables, timeout=None, chunksize=1):
        """
        Apply {fn} to the items of {iterables}; returns an iterator over the results, in order
        """
        # check
        timeout = limit(timeout, call="Staff.map")
        if not isinstance(chunksize, numbers.Integral) or isinstance(chunksize, bool) or chunksize < 1:
            raise ArgumentError(
                call="Staff.map", argument="chunksize", value=chunksize, accepted="a positive integer"
            )
        # when the results are due
        expiration = None if timeout is None else time.monotonic() + timeout
        # the argument tuples
        calls = zip(*iterables)
        # submit everything now, as {concurrent.futures} does
        if chunksize == 1:
            futures = [self.submit(fn, *args) for args in calls]
        # chunks of one iterable carry its items, which cost a third of argument tuples to
        # pickle and unpickle
        elif len(iterables) == 1:
            items = iter(iterables[0])
            futures = [
                self.submit(each, fn, chunk)
                for chunk in iter(lambda: tuple(itertools.islice(items, chunksize)), ())
            ]
        else:
            futures = [
                self.submit(batch, fn, chunk)
                for chunk in iter(lambda: tuple(itertools.islice(calls, chunksize)), ())
            ]
        # hand over the results as they come, in order, under the name of {fn} on their display
        label = getattr(fn, "__name__", "map")
        return self.harvest(futures=futures, expiration=expiration, chunked=chunksize > 1, label=label)

    # meta-methods
    def __init__(self, team, deadline):
        # save
        self.team = team
        # the deadline in seconds, 0 for none, or {None} for the team's; checked now, so a bad
        # one is refused before anything is submitted
        if deadline is not None:
            # no limit is 0 here, since {None} means the team's
            deadline = limit(deadline, call="Staff.options", argument="deadline", accepted=self.deadlines) or 0.0
        self.deadline = deadline
        # all done
        return

    # what a deadline may be
    deadlines = "None for the team's, or a number of seconds or a time, e.g. 500*ms; 0 or inf for none"

    # implementation details
    def harvest(self, futures, expiration, chunked, label):
        """
        Yield the results of {futures} in order; cancel the rest if the caller stops early; show
        their progress under {label} while the caller waits for them
        """
        # show their progress, on a terminal, from the first wait, so an iterator that is never
        # read puts up nothing that its end would not take down
        gauge = self.team.gauge(futures=futures, label=label)
        # carefully, so the futures that will never be looked at are cancelled
        try:
            # reversed, so popping is cheap and finished futures are let go
            futures.reverse()
            while futures:
                # how long to wait
                remaining = None if expiration is None else max(0.0, expiration - time.monotonic())
                # get the result
                result = futures[-1].result(timeout=remaining)
                futures.pop()
                # and hand it over
                if chunked:
                    yield from result
                else:
                    yield result
        # whatever happened
        finally:
            # cancel what is left
            for future in futures:
                future.cancel()
            # and end the display
            self.team.ungauge(gauge)
        # all done
        return


# the sweep over futures that must all finish
class Sweep:
    """
    Tell whether all of {futures} are done, looking at each one once it is
    """

    # interface
    def over(self):
        """
        Whether all my futures are done
        """
        # get them
        futures = self.futures
        # move past the ones that are done
        position = self.position
        while position < len(futures) and futures[position].done():
            position += 1
        self.position = position
        # and say whether that was all of them
        return position == len(futures)

    # meta-methods
    def __init__(self, futures):
        # the futures, and how many at the start of the list are done
        self.futures = futures
        self.position = 0
        # all done
        return


# the counter of finished futures
class Tally:
    """
    Count {futures} as they finish
    """

    # meta-methods
    def __init__(self, futures):
        # the counts
        self.pending = len(futures)
        self.finished = 0
        self.failed = 0
        # listen to each future; a future that is done already calls back right away
        for future in futures:
            future.add_done_callback(self.count)
        # all done
        return

    # implementation details
    def count(self, future):
        """
        One more future finished
        """
        # count it
        self.pending -= 1
        self.finished += 1
        # and its failure
        if future.failed():
            self.failed += 1
        # all done
        return


# the bodies of the chunks of a map; at module level, so the worker finds them by name
def batch(fn, chunk):
    """
    Apply {fn} to each argument tuple in {chunk}
    """
    return [fn(*args) for args in chunk]


def each(fn, chunk):
    """
    Apply {fn} to each item in {chunk}
    """
    return [fn(item) for item in chunk]


# end of file
