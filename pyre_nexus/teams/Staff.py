# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import collections
import concurrent.futures
import functools
import itertools
import math
import numbers
import threading
import time
from concurrent.futures._base import FINISHED

# the framework
import pyre
from pyre.framework.Priority import Priority

# my base classes
from .Foreman import Foreman
# my parts
from .Runner import Runner
from ..Dispatcher import limit
from ..exceptions import ArgumentError, WaitInLoop, complain


# declaration
class Staff(Foreman, concurrent.futures.Executor, family="pyre_nexus.teams.staff"):
    """
    A standing team for long lived applications: a {concurrent.futures.Executor}

    {submit} returns a future at once; crews are recruited as the work needs them, up to
    {size}. Its event loop runs in one of two places, by {mode}. In a thread of its own, the
    default for a staff built in code without an event loop: any thread may submit, wait,
    cancel and shut down, the futures complete for {concurrent.futures.wait} and
    {as_completed}, for a thread that only calls {result}, and for asyncio's {wrap_future} and
    {run_in_executor}, and done callbacks run in that thread. Or in the host's loop, the default
    for the staff of a pyre application, built from its configuration, and for one given an
    event loop, e.g. that of a pyre server: waiting for futures, through their
    {result} or through {wait}, {as_completed} and {map}, drives that loop, which only the
    thread that built the staff may do; the host keeps serving while tasks run, and gets the
    done callbacks of the futures in its loop. {wait} and {as_completed} take the futures of
    other teams too, and drive their loops as well. Every {timeout} is a number of seconds:
    {None} or infinity for no limit, 0 to look without waiting
    """

    # user configurable state
    mode = pyre.properties.str(default="auto")
    mode.doc = (
        "where my event loop runs: 'thread', in a thread of my own, started by the first task and "
        "ended by shutdown, so any thread may use me, as an Executor; 'host', in the loop of the "
        "application that hosts me, run by it or by the calls that wait, from the thread that "
        "built me; 'auto', 'host' if an application's configuration built me or i was given a "
        "dispatcher, 'thread' if code built me without one"
    )

    # interface
    def submit(self, fn, /, *args, **kwds):
        """
        Schedule {fn(*args, **kwds)}; returns its future
        """
        # queue it with the team's deadline
        return self.enqueue(fn=fn, args=args, kwds=kwds)

    def options(self, deadline=None, priority=0, retries=None, retryable=None, backoff=None):
        """
        A view of me whose {submit} and {map} apply these to each task: a {priority}, a number,
        higher ones first and equal ones in the order they came; and, each {None} for mine, the
        {deadline}, a number of seconds or a time, e.g. 500*ms, 0 or infinity for no limit; how
        many {retries} after a RecoverableError, or an error of one of the classes {retryable};
        and the {backoff} before a retry: seconds or a time, or {(initial, growth, ceiling)}
        """
        # build it
        return Submitter(
            team=self, deadline=deadline, priority=priority, retries=retries, retryable=retryable, backoff=backoff
        )

    def map(self, fn, *iterables, timeout=None, chunksize=1, priority=0):
        """
        Apply {fn} to the items of {iterables} in parallel; returns an iterator over the
        results, in order. {chunksize} items travel together as one task; {timeout} seconds
        after the call, a result that has not arrived raises {TimeoutError}; the tasks have
        {priority}, higher first
        """
        # with the team's deadline
        return self.options(priority=priority).map(fn, *iterables, timeout=timeout, chunksize=chunksize)

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
        loops, beat = self.loopsOf(futures=futures, call="Staff.wait")
        # waiting for all of them, in loops that the caller runs: look at each once it is done,
        # in order; they mostly finish in the order they were submitted, so a pass looks at few
        # more than finished in it
        if loops and not beat and return_when == concurrent.futures.ALL_COMPLETED:
            self.drive(condition=Sweep(futures=futures).over, timeout=timeout, loops=loops)
        # otherwise, count them down as they finish, in the threads that finish them, so waiting
        # costs nothing per future per pass
        else:
            tally = Tally(futures=futures, return_when=return_when)
            # in the loops the caller runs, looking up often if threads finish some of them
            if loops:
                self.drive(condition=tally.over.is_set, timeout=timeout, loops=loops, beat=beat)
            # or while threads of their own finish them all
            else:
                tally.over.wait(timeout=timeout)
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
        loops, beat = self.loopsOf(futures=pending, call="Staff.as_completed")
        # when to give up
        expiration = None if timeout is None else time.monotonic() + timeout
        # and hand them over as they come
        return self.completions(pending=pending, expiration=expiration, loops=loops, beat=beat)

    # context manager
    def __enter__(self):
        # i'm ready
        return self

    def __exit__(self, *_):
        # wait for the work and let the crews go
        self.shutdown(wait=True)
        # do not swallow exceptions
        return False

    # framework hooks
    def pyre_configured(self):
        """
        Check my configuration, and my {mode}
        """
        # chain up
        yield from super().pyre_configured()
        # the mode is one i know
        if self.mode not in self.modes:
            yield str(complain(self, trait="mode", value=self.mode, accepted=" or ".join(map(repr, self.modes))))
        # all done
        return

    def pyre_traitModified(self, trait, new, old):
        """
        A trait changed after i was built: where my loop runs may change until it runs
        """
        # chain up
        super().pyre_traitModified(trait=trait, new=new, old=old)
        # if where my loop runs may have changed
        if self.pyre_cooked and trait.name in ("mode", "dispatcher"):
            # a loop that runs stays where it is
            if self.runner is not None and self.runner.thread is not None:
                setattr(self, trait.name, old.value)
                raise complain(
                    self, trait=trait.name, value=new.value, accepted="the same as before: my loop runs already"
                )
            # a bad mode is refused
            if self.mode not in self.modes:
                setattr(self, trait.name, old.value)
                raise complain(self, trait="mode", value=new.value, accepted=" or ".join(map(repr, self.modes)))
            # otherwise, it runs where it is told
            self.runner = Runner(team=self) if self.threaded() else None
        # all done
        return self

    def pyre_initialized(self):
        """
        Set up the thread of my own, if my loop runs in one
        """
        # chain up
        errors = list(super().pyre_initialized())
        if errors:
            yield from errors
            return
        # the thread that runs my loop, unless the host's does
        self.runner = Runner(team=self) if self.threaded() else None
        # all done
        return

    # meta-methods
    def __init__(self, **kwds):
        # whether i belong in a host's loop: pyre built me as part of a component, e.g. the team
        # of an application, or i was built anonymously with an event loop; a named staff given
        # one finds it among its configuration
        values = kwds.get("pyre_values") or {}
        self.hosted = kwds.get("implicit", False) or any(trait.name == "dispatcher" for trait in values)
        # chain up
        super().__init__(**kwds)
        # all done
        return

    # the calls of a pool, which a staff does not make, and what it does instead
    missing = {"assemble"}
    instead = "a staff takes tasks as they come: submit() or map(); {name} is a pool's; set team=pool"

    # the places my loop may run
    modes = ("auto", "thread", "host")
    # the values of {return_when} that {wait} knows
    conditions = (
        concurrent.futures.FIRST_COMPLETED,
        concurrent.futures.FIRST_EXCEPTION,
        concurrent.futures.ALL_COMPLETED,
    )

    # implementation details
    def threaded(self):
        """
        Whether my loop runs in a thread of my own
        """
        # as configured
        mode = self.mode
        if mode != "auto":
            return mode == "thread"
        # in a host's loop if i belong there, or was given one in configuration, or later
        priority = self.pyre_inventory.getTraitPriority(self.pyre_trait(alias="dispatcher"))
        given = priority is not None and priority.category > Priority.package.category
        return not (self.hosted or given)

    def loopsOf(self, futures, call):
        """
        The event loops the caller runs to finish {futures}: those of their teams that run in a
        host's loop, and mine, if it runs in the host's, or none if no future needs one; and how
        often to look up from them, if threads of their own finish some of the futures. A
        future that is not done and has no team, e.g. one of a thread pool, is refused, since no
        loop finishes it
        """
        # the loops, each once, and whether any future is finished by a thread
        loops = {}
        threaded = False
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
            # a team on a thread of its own finishes it there, unless the caller is that thread
            runner = team.runner
            if runner is not None:
                if runner.inside():
                    raise WaitInLoop(call=call, what=future.label, team=str(team))
                threaded = True
                continue
            # the loop of a team in its host's loop is run by the caller, who must be its thread
            team.home(call=call)
            loop = team.policy.loop
            loops[id(loop)] = loop
        # mine too, if the caller runs it, for the progress display it draws
        if loops and self.runner is None:
            self.home(call=call)
            loops.setdefault(id(self.policy.loop), self.policy.loop)
        # hand them over
        return list(loops.values()), self.beat if threaded else None

    def completions(self, pending, expiration, loops, beat):
        """
        Yield the futures in {pending} as they finish, driving {loops}, if the caller runs any, or
        waiting for the threads that finish them; raises {TimeoutError} if they are not all done
        by {expiration}
        """
        # the ones that finished and were not yielded, and the news that there are some, handed
        # over by whichever thread finishes them
        finished = collections.deque()
        news = threading.Event()
        total = len(pending)
        enroll(futures=pending, callback=lambda future: (finished.append(future), news.set()))
        # show their progress, on a terminal
        gauge = self.gauge(futures=pending, label="tasks")
        # carefully, so the display comes down however the caller leaves
        try:
            # as long as there are futures left
            while pending:
                # wait for one
                remaining = None if expiration is None else max(0, expiration - time.monotonic())
                if loops:
                    self.drive(condition=news.is_set, timeout=remaining, loops=loops, beat=beat)
                else:
                    news.wait(timeout=remaining)
                if not news.is_set():
                    raise concurrent.futures.TimeoutError(f"{len(pending)} (of {total}) futures unfinished")
                # hand over the ones that finished; the news is cleared first, so one that
                # finishes meanwhile brings news of its own
                news.clear()
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
        return self.team.enqueue(
            fn=fn, args=args, kwds=kwds, deadline=self.deadline, priority=self.priority, retry=self.retry
        )

    def map(self, fn, *iterables, timeout=None, chunksize=1):
        """
        Apply {fn} to the items of {iterables}; returns an iterator over the results, in order,
        with my options
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
    def __init__(self, team, deadline, priority=0, retries=None, retryable=None, backoff=None):
        # save
        self.team = team
        # everything is checked now, so a bad value is refused before anything is submitted;
        # the deadline in seconds, 0 for none, or {None} for the team's
        if deadline is not None:
            # no limit is 0 here, since {None} means the team's
            deadline = limit(deadline, call="Staff.options", argument="deadline", accepted=self.deadlines) or 0.0
        self.deadline = deadline
        # the priority, a real number
        if isinstance(priority, bool) or not isinstance(priority, numbers.Real) or priority != priority:
            raise ArgumentError(call="Staff.options", argument="priority", value=priority, accepted="a number, higher first")
        self.priority = priority
        # the retry policy, if it is not the team's
        self.retry = self.retrying(retries=retries, retryable=retryable, backoff=backoff)
        # all done
        return

    # what a deadline may be
    deadlines = "None for the team's, or a number of seconds or a time, e.g. 500*ms; 0 or inf for none"

    def retrying(self, retries, retryable, backoff):
        """
        The retry policy of my tasks: the team's, with what is given instead; {None} if nothing is
        """
        # nothing given
        if retries is None and retryable is None and backoff is None:
            return None
        # how many
        if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int) or retries < 0):
            raise ArgumentError(call="Staff.options", argument="retries", value=retries, accepted="zero or more retries")
        # on what
        if retryable is not None:
            retryable = retryable if isinstance(retryable, (tuple, list)) else (retryable,)
            if not all(isinstance(kind, type) and issubclass(kind, BaseException) for kind in retryable):
                raise ArgumentError(
                    call="Staff.options", argument="retryable", value=retryable, accepted="exception classes"
                )
        # after how long
        initial = growth = ceiling = None
        if backoff is not None:
            accepted = "seconds or a time before the first retry, or (initial, growth, ceiling)"
            initial, growth, ceiling = backoff if isinstance(backoff, tuple) and len(backoff) == 3 else (backoff, None, None)
            initial = limit(initial, call="Staff.options", argument="backoff", accepted=accepted)
            if initial is None:
                raise ArgumentError(call="Staff.options", argument="backoff", value=backoff, accepted=accepted)
            if growth is not None and not (isinstance(growth, numbers.Real) and 1 <= growth < math.inf):
                raise ArgumentError(call="Staff.options", argument="backoff", value=backoff, accepted=accepted)
            if ceiling is not None:
                ceiling = limit(ceiling, call="Staff.options", argument="backoff", accepted=accepted)
                ceiling = math.inf if ceiling is None else ceiling
        # the team's, adjusted
        return self.team.policy.retry.adjust(
            limit=retries, kinds=retryable, initial=initial, factor=growth, maximum=ceiling
        )

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
            # cancel what is left, all at once in the thread of the team's loop
            if futures:
                self.team.inLoop(functools.partial(cancel, futures))
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
    Count {futures} as they finish, in the threads that finish them, and set {over} once the
    wait for them is over by {return_when}
    """

    # meta-methods
    def __init__(self, futures, return_when):
        # the counts, under a lock, since the threads of several teams may count
        self.pending = len(futures)
        self.failed = 0
        self.lock = threading.Lock()
        # when to stop
        self.first = return_when == concurrent.futures.FIRST_COMPLETED
        self.failure = return_when == concurrent.futures.FIRST_EXCEPTION
        self.over = threading.Event()
        # there is nothing to wait for
        if not futures:
            self.over.set()
        # listen to each future; a future that is done already calls back right away
        enroll(futures=futures, callback=self.count)
        # all done
        return

    # implementation details
    def count(self, future):
        """
        One more future finished
        """
        # count it
        with self.lock:
            self.pending -= 1
            # by the state of the base class, which the futures of other executors share
            if future._state == FINISHED and future._exception is not None:
                self.failed += 1
            # and stop, if that was enough
            if self.first or self.pending == 0 or (self.failure and self.failed):
                self.over.set()
        # all done
        return


# listening to futures
def enroll(futures, callback):
    """
    Add {callback} to the done callbacks of each of {futures}, in the thread of its team's loop,
    where it costs no lock, and all the futures of a team at once
    """
    # the futures, by the team whose thread must add the callbacks
    foreign = collections.defaultdict(list)
    for future in futures:
        # a future with no team, e.g. one of a thread pool that is done, takes it at once
        team = getattr(future, "team", None)
        runner = team and team.runner
        if runner is not None and not runner.inside():
            foreign[team].append(future)
        else:
            future.add_done_callback(callback)
    # hand each team its own
    for team, mine in foreign.items():
        team.inLoop(functools.partial(listen, mine, callback))
    # all done
    return


def listen(futures, callback):
    """
    Add {callback} to the done callbacks of each of {futures}
    """
    for future in futures:
        future.add_done_callback(callback)


# cancel futures
def cancel(futures):
    """
    Cancel each of {futures}
    """
    for future in futures:
        future.cancel()


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
