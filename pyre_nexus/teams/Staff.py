# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import collections
import concurrent.futures
import itertools
import time

# my base class
from .Foreman import Foreman


# declaration
class Staff(Foreman, family="pyre_nexus.teams.staff"):
    """
    A standing team for long lived applications, with the interface of
    {concurrent.futures.Executor}

    {submit} returns a future at once; crews are recruited as the work needs them, up to
    {size}. Waiting for futures, through their {result} or through {wait}, {as_completed} and
    {map}, drives the team's event loop; a host application that runs the same loop gets the
    done callbacks of the futures while it keeps serving
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
        A view of me whose {submit} and {map} apply {deadline}, in seconds, to each task
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
        Wait for {futures} as {concurrent.futures.wait} does, driving my event loop meanwhile;
        returns the sets {(done, not_done)}
        """
        # the futures, in order
        futures = list(dict.fromkeys(futures))
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
        self.drive(until=until, timeout=timeout)
        # split
        done = {future for future in futures if future.done()}
        return concurrent.futures._base.DoneAndNotDoneFutures(done, set(futures) - done)

    def as_completed(self, futures, timeout=None):
        """
        Yield {futures} as they finish, driving my event loop meanwhile; raises {TimeoutError}
        if they are not all done {timeout} seconds after the call
        """
        # when to give up
        expiration = None if timeout is None else time.monotonic() + timeout
        # the futures that are not done yet, and the ones that finished and were not yielded
        pending = set(futures)
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
                if not self.drive(until=lambda: bool(finished), timeout=remaining):
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

    # context manager
    def __enter__(self):
        # i'm ready
        return self

    def __exit__(self, *_):
        # wait for the work and let the crews go
        self.shutdown(wait=True)
        # do not swallow exceptions
        return False


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
        if chunksize < 1:
            raise ValueError(f"chunksize: bad value {chunksize!r}; expected a positive integer")
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
        # show their progress, on a terminal
        gauge = self.team.gauge(futures=futures, label=getattr(fn, "__name__", "map"))
        # and hand over the results as they come, in order
        return self.harvest(futures=futures, expiration=expiration, chunked=chunksize > 1, gauge=gauge)

    # meta-methods
    def __init__(self, team, deadline):
        # save
        self.team = team
        self.deadline = deadline
        # all done
        return

    # implementation details
    def harvest(self, futures, expiration, chunked, gauge):
        """
        Yield the results of {futures} in order; cancel the rest if the caller stops early; take
        down the progress display {gauge}, if any, at the end
        """
        # carefully, so the futures that will never be looked at are cancelled
        try:
            # reversed, so popping is cheap and finished futures are let go
            futures.reverse()
            while futures:
                # how long to wait
                remaining = None if expiration is None else expiration - time.monotonic()
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
