# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import concurrent.futures
import functools
import threading
# the states of futures
from concurrent.futures._base import (
    PENDING,
    RUNNING,
    CANCELLED,
    CANCELLED_AND_NOTIFIED,
    FINISHED,
)

# my parts
from .Dispatcher import Dispatcher
from .Interrupts import Interrupts
from .exceptions import Cancelled, WaitInLoop
# my parts
from .Dispatcher import limit


# the states in which a future has its outcome
_DONE = frozenset((CANCELLED, CANCELLED_AND_NOTIFIED, FINISHED))
# guards the lazy creation of conditions
_GUARD = threading.Lock()


# declaration
class Future(concurrent.futures.Future):
    """
    The outcome of a task handed to a team: a {concurrent.futures.Future} that knows its team

    {result()} and {exception()} wait at most {timeout} seconds for the outcome: {None} or
    infinity for no limit, 0 to look without waiting. For a team that runs in its host's event
    loop they drive that loop meanwhile, so they work from plain synchronous code as well as from
    inside a handler of a loop that is already running; for a team that runs on a thread of its
    own they wait for that thread, from any other thread, as {concurrent.futures} does. {cancel()}
    works on running tasks too, by killing the worker that runs it. Every future ends in exactly
    one of: a result, an exception, or cancelled. Done callbacks run in the thread of the team's
    event loop; added to a future that is done already, in the thread that adds them
    """

    # interface
    def cancel(self):
        """
        Cancel the task: a pending one is taken off the queue, a running one has its worker
        killed and replaced; returns {False} if the task had already finished
        """
        # if it is over
        if self._state in _DONE:
            # say whether it was cancelled
            return self._state is not FINISHED
        # ask my team, in the thread of its loop; it knows where i am
        team = self.team
        runner = team.runner
        if runner is None:
            team.home(call="Future.cancel")
        elif not runner.inside():
            return runner.ask(functools.partial(team.cancel, future=self, reason="cancelled by the caller"))
        return team.cancel(future=self, reason="cancelled by the caller")

    def running(self):
        """
        Whether a worker is carrying the task right now
        """
        return self._state is RUNNING

    def done(self):
        """
        Whether the task has its outcome
        """
        return self._state in _DONE

    def cancelled(self):
        """
        Whether the task was cancelled
        """
        return self._state is CANCELLED or self._state is CANCELLED_AND_NOTIFIED

    def failed(self):
        """
        Whether the task finished with an error
        """
        return self._state is FINISHED and self._exception is not None

    def result(self, timeout=None):
        """
        Wait at most {timeout} seconds for the outcome; return the result or raise the error
        """
        # drive the loop until i'm done
        self._await(timeout=timeout, call="Future.result")
        # if i was cancelled
        if self._state is not FINISHED:
            # say why
            raise Cancelled(reason=self.cancellation)
        # if the task failed
        if self._exception is not None:
            # raise its error
            raise self._exception
        # otherwise, hand over the result
        return self._result

    def exception(self, timeout=None):
        """
        Wait at most {timeout} seconds for the outcome; return the error, or {None} on success
        """
        # drive the loop until i'm done
        self._await(timeout=timeout, call="Future.exception")
        # if i was cancelled
        if self._state is not FINISHED:
            # say why
            raise Cancelled(reason=self.cancellation)
        # otherwise, hand over the error
        return self._exception

    def __await__(self):
        """
        Wait for the outcome in a coroutine, as {await future}: return the result or raise the
        error, as {result()} does; cancelling the coroutine cancels the task
        """
        # unless i'm done
        if self._state not in _DONE:
            # imported here, so a worker that never awaits does not import asyncio
            import asyncio

            # the loop of a team on its own thread runs there; asyncio hears from it
            if self.team.runner is not None:
                yield from asyncio.wrap_future(self)
            # otherwise, wait in the running asyncio loop, which runs the passes of my team's
            # loop meanwhile
            else:
                from .Bridge import Bridge

                yield from Bridge.wait(future=self)
        # hand over the outcome
        return self.result()

    def add_done_callback(self, fn):
        """
        Arrange for {fn(future)} to be called when i'm done; right away if i am already
        """
        # if i'm not done
        if self._state not in _DONE:
            # the thread that settles me may touch my callbacks without a lock
            if self._settling():
                # save it for later
                self._done_callbacks.append(fn)
                return
            # any other thread takes my lock, under which i am settled
            with self._condition:
                if self._state not in _DONE:
                    self._done_callbacks.append(fn)
                    return
        # otherwise, call it now, as the base class does, logging what it raises
        try:
            fn(self)
        except Exception:
            concurrent.futures._base.LOGGER.exception("exception calling callback for %r", self)
        # all done
        return

    def add_progress_callback(self, fn):
        """
        Arrange for {fn(future, news)} to be called, in the team's event loop, each time the
        task reports its progress through {pyre_nexus.progress(news)}
        """
        # another thread than the one that hears the reports takes my lock
        if not self._settling():
            with self._condition:
                self.listeners = [*(self.listeners or ()), fn]
            return
        # add it to the listeners
        if self.listeners is None:
            self.listeners = []
        self.listeners.append(fn)
        # all done
        return

    @property
    def stdout(self):
        """
        What the task wrote to its standard output, when its team captures output
        """
        return b"".join(self.output[1]).decode(errors="replace") if self.output else ""

    @property
    def stderr(self):
        """
        What the task wrote to its standard error, when its team captures output
        """
        return b"".join(self.output[2]).decode(errors="replace") if self.output else ""

    # team side interface: the one way outcomes get recorded
    def set_running_or_notify_cancel(self):
        """
        Mark the task as running; {False} if it was cancelled instead
        """
        # if i was cancelled
        if self._state is CANCELLED:
            # move to the final state and tell the waiters
            self._state = CANCELLED_AND_NOTIFIED
            for waiter in self._waiters:
                waiter.add_cancelled(self)
            # and say so
            return False
        # a waiting task is running now
        if self._state is PENDING:
            self._state = RUNNING
        # say so
        return True

    def set_pending(self):
        """
        Mark a task that was running as waiting again, e.g. after its crew died
        """
        # only a running task goes back
        if self._state is RUNNING:
            self._state = PENDING
        # all done
        return

    def set_progress(self, news):
        """
        Record the latest progress report of the task, and pass it on to the listeners
        """
        # save it
        self.progress = news
        # and tell the listeners, once no handler is halfway through, if one is running
        if self.listeners:
            if Interrupts.thread.depth:
                Dispatcher.defer(functools.partial(self._announce, news=news))
            else:
                self._announce(news=news)
        # all done
        return

    def add_output(self, stream, data):
        """
        Keep {data} that the task wrote to {stream}, 1 for output and 2 for error; the bytes
        are decoded when asked for, all at once, so a character cut between pieces stays whole
        """
        # make room
        if self.output is None:
            self.output = {1: [], 2: []}
        # and keep it
        self.output[stream].append(data)
        # all done
        return

    def set_result(self, result):
        """
        Record the result of the task
        """
        # save it
        self._result = result
        # and settle
        return self._settle(state=FINISHED, notify="add_result")

    def set_exception(self, exception):
        """
        Record the error of the task
        """
        # save it
        self._exception = exception
        # and settle
        return self._settle(state=FINISHED, notify="add_exception")

    def set_cancelled(self, reason):
        """
        Record that the task was cancelled, and why
        """
        # save the reason; the error is built when somebody asks, since a shutdown may cancel
        # a million tasks nobody will look at
        self.cancellation = reason
        # and settle
        return self._settle(state=CANCELLED_AND_NOTIFIED, notify="add_cancelled")

    # meta-methods
    def __init__(self, team, tid, name, payload, deadline=None, priority=0, retry=None):
        # N.B.: the base class initializer is skipped on purpose: it builds a condition, with
        # a lock and a queue, that costs a kilobyte a future and is only needed by threads
        # that wait on it, so it is built when first asked for
        self._state = PENDING
        self._result = None
        self._exception = None
        self._waiters = []
        self._done_callbacks = []
        # bookkeeping owned by my team
        # the team that owns me, and my task id within it
        self.team = team
        self.tid = tid
        # the name of the callable, for error messages
        self.name = name
        # the pickled task; released once the outcome is known
        self.payload = payload
        # the longest the task may run, in seconds; {None} for no limit
        self.deadline = deadline
        # the number of times the task was retried after a recoverable error
        self.retries = 0
        # its place in the queue, higher first, and its own retry policy, if not the team's
        self.priority = priority
        self.retry = retry
        # the one crew it must run on, if it is meant for one alone
        self.pinned = None
        # the number of crews that died while running the task
        self.deaths = 0
        # the crew that holds the task, if any, and where its frame starts and ends in that
        # crew's traffic
        self.crew = None
        self.onset = 0
        self.mark = 0
        # why i was cancelled, if i was
        self.cancellation = None
        # the latest progress report of the task, the callbacks that want each one, and what
        # the task printed, if my team captures it
        self.progress = None
        self.listeners = None
        self.output = None
        # all done
        return

    @property
    def label(self):
        """
        A short description of my task, for messages
        """
        return f"task {self.tid} ({self.name})"

    def __repr__(self):
        # show the task and my state
        return f"<{type(self).__name__} {self.label} {self._state.lower()}>"

    # my bookkeeping lives in slots: a team may hold a million of us
    __slots__ = (
        "team",
        "tid",
        "name",
        "payload",
        "deadline",
        "retries",
        "deaths",
        "crew",
        "onset",
        "mark",
        "cancellation",
        "progress",
        "listeners",
        "output",
    )

    # the condition, built on first use
    @property
    def _condition(self):
        # the thread that settles me asks for it only to wait, e.g. in {concurrent.futures.wait}
        # called from a done callback, which would wait for itself; refused even when i am
        # done, since {wait} takes the conditions of its futures one after the other and would
        # keep those it took before the one that refuses
        if self.team.runner is not None and self.team.runner.inside():
            raise WaitInLoop(call="concurrent.futures.wait", what=self.label, team=str(self.team))
        # look for it
        condition = self.__dict__.get("_lazycondition")
        # if it's not there
        if condition is None:
            # make one, carefully, since only threads ask for it
            with _GUARD:
                condition = self.__dict__.setdefault("_lazycondition", threading.Condition(threading.Lock()))
        # and hand it over
        return condition

    # implementation details
    def _settling(self):
        """
        Whether the caller is the thread that settles me
        """
        # the thread of my team's own, or the one whose loop it runs in
        runner = self.team.runner
        return runner.inside() if runner is not None else threading.get_ident() == self.team.owner

    def _await(self, timeout, call):
        """
        Wait until i'm done, or {timeout} seconds pass, driving my team's loop unless a thread of
        its own runs it; {call} is the method that waits, for the errors
        """
        # a bad timeout is refused even when there is nothing to wait for
        if timeout is not None:
            limit(timeout, call=call)
        # if i'm not done
        if self._state not in _DONE:
            # a team on a thread of its own settles me there
            runner = self.team.runner
            if runner is not None:
                runner.wait(future=self, timeout=timeout, call=call)
            # otherwise, have my team drive its loop until i am
            else:
                self.team.waitUntil(condition=self.done, timeout=timeout)
        # if i'm still not done
        if self._state not in _DONE:
            # the caller ran out of patience
            raise concurrent.futures.TimeoutError(f"{self.label} is not done after {timeout} s")
        # all done
        return

    def _settle(self, state, notify):
        """
        Move to the final {state}, tell the waiters through their {notify} method and invoke
        the callbacks
        """
        # the pickled task is not needed any more
        self.payload = None
        # threads waiting on my condition, if it exists, need a notification
        condition = self.__dict__.get("_lazycondition")
        # if there is none, settle under the guard that builds it, so a thread that builds it
        # meanwhile either sees me settled or is notified
        if condition is None:
            with _GUARD:
                condition = self.__dict__.get("_lazycondition")
                if condition is None:
                    # nobody can be waiting on it
                    self._state = state
        # if there is one
        if condition is not None:
            # update under its lock
            with condition:
                self._state = state
                for waiter in self._waiters:
                    getattr(waiter, notify)(self)
                condition.notify_all()
        # my team keeps the books
        self.team.ledger.record(self)
        # invoke the callbacks, which are user code: a handler that settles me puts them off
        # until the handlers of its pass are done, so they may wait on other futures or shut
        # my team down, and whatever they raise leaves no task halfway through; the base class
        # logs and swallows their errors, and lets the others, e.g. {SystemExit}, through
        if self._done_callbacks:
            if Interrupts.thread.depth:
                Dispatcher.defer(self._invoke_callbacks)
            else:
                self._invoke_callbacks()
        # all done
        return True

    def _announce(self, news):
        """
        Hand the progress report {news} to my listeners, logging what they raise
        """
        for listener in self.listeners:
            try:
                listener(self, news)
            except Exception:
                concurrent.futures._base.LOGGER.exception("exception calling progress callback for %r", self)
        # all done
        return


# end of file
