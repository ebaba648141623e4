# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import atexit
import functools
import itertools
import math
import os
import re
import threading
import time
import weakref

# the framework
import journal
import pyre
from pyre.nexus.Peer import Peer
from pyre.units.SI import second

# my parts
from ..Codec import Codec
from ..Crew import Crew
from ..Dispatcher import Dispatcher, limit
from ..Future import Future
from ..Plain import Plain
from ..Relay import Relay
from ..Unclaimed import Unclaimed
from ..Reserve import Reserve
from .Echo import Echo
from .Gauge import Gauge
from .Ledger import Ledger
from .Policy import Policy
from .Queue import Queue
from ..Interrupts import Interrupts
from .. import exceptions
# my protocols
from .Team import Team
from ..recruiters.Recruiter import Recruiter
from ..recruiters.Supervisor import Supervisor


# the teams still alive, so none leaves workers behind when the interpreter exits
teams = weakref.WeakSet()


# declaration
class Foreman(Plain, Peer, implements=Team):
    """
    The engine shared by every team

    It recruits crews through its {recruiter} as its work needs them, up to {size}, hands each
    one up to {pipeline} tasks at a time, keeps one deadline clock per crew for the task that
    crew is running, and routes every report to exactly one outcome. A recoverable failure is
    retried up to {retries} times; a task whose crew dies is blamed with a {Casualty} once it has
    killed {casualties} crews, and the dead crew is replaced; a crew is recycled after {maxtasks}
    tasks. A crew that sat {idle} is let go, down to {minimum}; {resize} sets {size} while the
    team works. A crew whose recruiter says when it must end, e.g. at its batch job's walltime,
    takes no more tasks from then on, and its replacement is recruited ahead of it
    """

    # user configurable state
    size = pyre.properties.int(default=os.cpu_count() or 1)
    size.doc = "the most crews to recruit; the team recruits them as its work needs them"

    minimum = pyre.properties.int(default=0)
    minimum.doc = "the fewest crews to keep once there is work, idle or not; at most {size}"

    idle = pyre.properties.dimensional(default=0 * second)
    idle.doc = (
        "how long a crew may sit idle before it is let go, down to {minimum}; "
        "0*s or inf*s keeps every crew until the team shuts down"
    )

    recruiter = Recruiter()
    recruiter.doc = "the strategy for recruiting crews: fork, or the full family of another"

    dispatcher = pyre.ipc.dispatcher(default=Dispatcher)
    dispatcher.doc = "the event loop; share the host application's to serve while tasks run"

    deadline = pyre.properties.dimensional(default=0 * second)
    deadline.doc = "how long a task may run before its worker is killed; 0*s or inf*s for no limit"

    retries = pyre.properties.int(default=0)
    retries.doc = "how many times a task that raises a RecoverableError, or one of {retryable}, runs again"

    retryable = pyre.properties.strings(default=[])
    retryable.doc = (
        "the exceptions, besides RecoverableError, whose tasks run again: builtins, e.g. OSError, "
        "or 'module:Class'"
    )

    backoff = pyre.properties.dimensional(default=0 * second)
    backoff.doc = "how long a task waits before it runs again the first time; 0*s for at once"

    growth = pyre.properties.float(default=2.0)
    growth.doc = "by how much the wait before a task runs again grows with each retry"

    ceiling = pyre.properties.dimensional(default=60 * second)
    ceiling.doc = "the longest wait before a task runs again"

    casualties = pyre.properties.int(default=1)
    casualties.doc = "how many crews a task may kill before it fails with a Casualty"

    maxtasks = pyre.properties.int(default=0)
    maxtasks.doc = "how many tasks a crew runs before it is replaced; 0 for no limit"

    pipeline = pyre.properties.int(default=16)
    pipeline.doc = "the most tasks a crew holds at once; the team keeps about 2 ms of work in each"

    initializer = pyre.properties.object(default=None)
    initializer.doc = "a callable, or the 'module:function' name of one, run by every crew once"

    initargs = pyre.properties.list(default=())
    initargs.doc = "the positional arguments of the initializer; strings when set in a file"

    summary = pyre.properties.bool(default=False)
    summary.doc = "whether to show my books in the journal (channel pyre_nexus.metrics) when i shut down"

    output = pyre.properties.str(default="forward")
    output.doc = (
        "what becomes of what workers print: 'forward' it to my streams, each line tagged with its "
        "crew's host and pid; 'capture' it on the future of the task that printed it; 'discard' it"
    )

    progress = pyre.properties.bool(default=True)
    progress.doc = "whether workplans and maps show a progress display, when standard error is a terminal"

    # the team side crew class
    crew = Crew
    # what building me with values i cannot use raises: pyre's, said as it is raised
    ConfigurationError = exceptions.Misconfigured

    # interface
    @pyre.export
    def vacancies(self):
        """
        Compute how many recruits are needed to take the team to the strength its work needs
        """
        # the crews at work, and the work
        working, outstanding = self.demand()
        # as many as the work needs, up to my size, and at least my minimum
        policy = self.policy
        return max(0, max(policy.minimum, min(policy.size, outstanding)) - working)

    @pyre.export
    def resize(self, size):
        """
        Set my {size} to {size} crews while i work: grow to it now, or let the crews beyond it
        go, the idle ones first and the busy ones once their tasks report. From any thread, if a
        thread of my own runs my loop; it returns at once, and the crews come and go as it runs
        """
        # a count, no less than one, nor than my minimum
        least = max(1, self.minimum)
        if isinstance(size, bool) or not isinstance(size, int) or size < least:
            raise exceptions.complain(
                self,
                trait="size",
                value=size,
                accepted=f"a whole number of crews, at least {least}: the team needs one to run its "
                f"tasks, and keeps its minimum of {self.minimum}; to let idle crews go, set "
                f"'minimum' to 0 and 'idle' to a time",
            )
        # a closed team takes no orders
        if self.closed:
            raise exceptions.TeamClosed(team=str(self))
        # in the thread of my loop
        call = functools.partial(self.rescale, size=size)
        runner = self.runner
        if runner is None:
            self.home(call="resize")
            call()
        # which a thread of my own runs, started if it is not yet
        else:
            runner.hand(call)
        # all done
        return

    def everywhere(self, fn, /, *args, again=False, **kwds):
        """
        Run {fn(*args, **kwds)} once on every crew that is at work or on its way; returns a
        future for each, whose outcome is that crew's: its result, its error, or {CrewGone} or
        a {Casualty} if the crew goes first. With {again}, every crew recruited later runs it
        too, before its first task. The call is pickled for each crew as it is handed to it
        """
        # a closed team takes no work
        if self.closed:
            raise exceptions.TeamClosed(team=str(self))
        # from any thread, if my loop runs in one of its own; else from the host's
        if self.runner is None:
            self.home(call="everywhere")
        # hand one to each crew, in the thread of my loop
        return self.inLoop(functools.partial(self.dispatch, call=(fn, args, kwds), again=again))

    @pyre.export
    def cancel(self, future, reason):
        """
        Cancel the task behind {future}, whether it is waiting or running
        """
        # if it is over
        if future.done():
            # there is nothing to cancel
            return future.cancelled()
        # find its crew
        crew = future.crew
        # settle it; a waiting task stays in the queue, which skips settled ones
        future.set_cancelled(reason=reason)
        # if a crew holds it
        if crew is not None:
            # if it is running
            if crew.runs(future):
                # take it off
                crew.release()
                # and kill the worker, which is the only way to stop it
                self.kill(crew=crew, reason=f"{future.label} was cancelled")
            # otherwise
            else:
                # ask the worker to skip it, if it still hears
                crew.revoke(task=future)
        # all done
        return True

    @pyre.export
    def waitUntil(self, condition, timeout=None, loops=()):
        """
        Wait until {condition()} is true or {timeout} seconds pass, running my event loop, unless
        a thread of my own runs it, and the other event {loops}, e.g. those of other teams whose
        futures the caller waits for; returns {condition()}. A {timeout} of {None} or infinity is
        no limit, and 0 looks once, after a pass that does not wait if there is a loop to run
        """
        # figure out when to give up
        timeout = limit(timeout, call=f"{type(self).__name__}.waitUntil")
        # a loop that runs in the host's thread is run by the caller, who must be that thread
        runner = self.runner
        if runner is None:
            self.home(call="waitUntil")
            return self.drive(condition=condition, timeout=timeout, loops=[self.policy.loop, *loops])
        # mine runs in a thread of its own; with no other loop to run, wait for it
        if not loops:
            return runner.waitUntil(condition=condition, timeout=timeout)
        # otherwise, run the others, looking often, since my thread brings things about too
        return self.drive(condition=condition, timeout=timeout, loops=loops, beat=self.beat)

    def drive(self, condition, timeout, loops, beat=None):
        """
        Run the event {loops} until {condition()} is true or {timeout} seconds pass; with a
        {beat}, wait no longer than that between looks, for a condition that other threads
        bring about too
        """
        # when to give up
        expiration = None if timeout is None else time.monotonic() + timeout
        # the loops, each once
        loops = list({id(loop): loop for loop in loops}.values())
        dispatcher = loops[0] if len(loops) == 1 else Relay(dispatchers=loops)
        # go around
        while not condition():
            # how long to wait
            remaining = None if expiration is None else max(0.0, expiration - time.monotonic())
            pause = remaining if beat is None else beat if remaining is None else min(beat, remaining)
            # do a pass
            if not dispatcher.step(timeout=pause):
                # a loop with nothing to watch can't bring {condition} about, on its own
                if beat is None:
                    raise exceptions.NexusError(
                        description=f"{self}: the event loop ran out of work with a caller waiting"
                    )
                # but other threads may
                time.sleep(pause)
            # once the time is up, after at least the one pass
            if remaining == 0:
                break
        # say how it went
        return condition()

    @pyre.export
    def shutdown(self, wait=True, *, cancel_futures=False):
        """
        Take no more work; with {cancel_futures}, cancel the tasks no crew has started; with
        {wait}, wait until every task has its outcome and every crew is gone, driving my loop
        unless a thread of my own runs it. Without {wait}, the crews leave once their work is
        done, as the loop runs
        """
        # what shuts me down
        close = functools.partial(self.close, cancel_futures=cancel_futures)
        # in the host's loop
        runner = self.runner
        if runner is None:
            # which only its thread may run
            self.home(call="shutdown")
            close()
            # the crews are gone after all work is done
            if wait:
                self.waitUntil(condition=self.deserted)
        # in my own thread
        else:
            # which refuses submissions from now on
            runner.close(call=close)
            # and ends once the crews are gone
            if wait:
                runner.join()
        # close the books
        if wait and self.summary and self.ledger.submitted:
            self.books.report(report=self.ledger.summary(team=self))
            self.books.log()
        # all done
        return

    @pyre.export
    def metrics(self):
        """
        My books: how my tasks ended, how deep my queue got, and what each crew did, as a
        dictionary of plain values, ready for {json.dumps}
        """
        # from any thread, if a thread of my own runs my loop; else from the host's
        if self.runner is None:
            self.home(call="metrics")
        return self.inLoop(functools.partial(self.ledger.snapshot, team=self))

    # team side hooks: what my crews and recruiter call
    def activate(self, crew):
        """
        {crew} registered and is ready to work
        """
        # tell it what to do with its output, and what to run before its tasks
        crew.brief(discard=self.policy.output == "discard", setup=self.policy.setup)
        # the calls that every crew runs first, and those meant for it alone that waited for it
        for call in self.standing:
            crew.errands.append(self.errand(crew=crew, call=call))
        errands, crew.errands = crew.errands, []
        for task in errands:
            if not task.done():
                crew.execute(team=self, task=task)
        # and hand it work
        self.schedule(crew=crew)
        # a crew that must end at a given time, e.g. its batch job's walltime, is watched for it
        if crew.retires is not None:
            self.oversee()
        # all done
        return

    def schedule(self, crew):
        """
        Fill the pipeline of {crew} from the queue
        """
        # only active crews take tasks
        if crew.accepting():
            # get the queue and my policy
            queue = self.queue
            policy = self.policy
            # how much room is there
            room = self.depth - crew.load()
            # with a limit on the tasks per crew
            if policy.maxtasks:
                room = min(room, policy.maxtasks - crew.assigned)
            # fill it
            while room > 0 and queue:
                # get the next task
                task = queue.popleft()
                # tasks that were cancelled while waiting are done already
                if task.done():
                    continue
                # hand it over
                crew.execute(team=self, task=task)
                room -= 1
            # a crew that reached its limit takes no more
            if policy.maxtasks and crew.assigned >= policy.maxtasks:
                # so it retires
                crew.retire()
                # and a replacement comes up while it finishes
                self.recruit()
        # a retiring crew with nothing left to do
        if crew.leaving() and not crew.load():
            # is let go
            self.dismiss(crew=crew)
        # otherwise
        else:
            # send what was queued
            crew.transmit()
        # all done
        return

    def measure(self, elapsed, count):
        """
        A crew took {elapsed} seconds for {count} tasks: adjust how many tasks each crew holds,
        so short tasks travel in batches and long ones do not queue behind each other
        """
        # the seconds per task, smoothed
        self.pace += 0.25 * (elapsed / count - self.pace)
        # enough tasks for a crew to stay busy over my horizon, within my pipeline
        self.depth = min(self.policy.pipeline, max(1, math.ceil(self.horizon / max(self.pace, 1e-7))))
        # all done
        return

    def collect(self, crew, task, result):
        """
        {task} completed with {result}
        """
        # a crew that delivers has proven its recruitment
        if self.rejections:
            self.recovered()
        # deliver
        task.set_result(result)
        # and see whether the team is done
        self.conclude()
        # all done
        return

    def echo(self, crew, tid, stream, data):
        """
        {crew} wrote {data} to its {stream}, 1 for output and 2 for error, while running {tid}
        """
        self.printer.hear(crew=crew, tid=tid, stream=stream, data=data)
        # all done
        return

    def advance(self, crew, tid, body):
        """
        The task {tid} on {crew} reported its progress
        """
        # find it
        task = crew.find(tid)
        # a task that is over has nothing to say
        if task is None:
            return
        # decode the news, and hand it to the future
        try:
            task.set_progress(Codec.decode(body))
        # a report that does not decode here, whatever its unpickling raised, is the task's
        # problem, not the team's
        except BaseException as error:
            crew.warning.log(f"{crew}: {task.label}: a progress report that does not decode: {error!r}")
        # all done
        return

    def gauge(self, futures, label):
        """
        Show the progress of {futures} on the terminal, if wanted; returns the display, or
        {None}
        """
        # if displays are off, or not for a terminal, or one is up already, mine or another
        # team's: the terminal has room for one bar, and a wait within a wait shows the outer
        if not self.policy.progress or Gauge.current is not None or not Gauge.wanted():
            # there is nothing to show
            return None
        # otherwise, put one up; my event loop draws it if no future finishes after its delay
        return self.inLoop(functools.partial(Gauge, futures=futures, label=label, dispatcher=self.policy.loop))

    def ungauge(self, gauge):
        """
        Take down the progress display {gauge}
        """
        # if there is one
        if gauge is not None:
            # close it, in my loop's thread, which gives the program its streams back
            self.inLoop(gauge.close)
        # all done
        return

    def inLoop(self, call):
        """
        Make {call()} in the thread that runs my event loop, and return what it returns
        """
        # a thread of my own runs it, unless the caller is that thread
        runner = self.runner
        if runner is not None and not runner.inside():
            return runner.ask(call)
        # otherwise, the caller does
        return call()

    def home(self, call):
        """
        Check that the caller is the thread whose loop i run in, the only one that may {call}
        """
        # if it is not
        if threading.get_ident() != self.owner:
            raise exceptions.WrongThread(call=call, team=str(self), thread=self.ownerName)
        # all done
        return

    def dispatch(self, call, again):
        """
        Make a task of {call}, a function with its arguments, for each crew at work or on its
        way, and for every later one too if {again}; in the thread of my loop
        """
        # every later crew runs it first
        if again:
            self.standing.append(call)
        # every crew now
        futures = []
        for crew in self.crews:
            # but those on their way out
            if not crew.available():
                continue
            # its own task
            task = self.errand(crew=crew, call=call)
            futures.append(task)
            # which goes to it, unless it could not be pickled
            if not task.done():
                self.pin(task=task)
        # all done
        return futures

    def errand(self, crew, call):
        """
        A task of {call}, a function with its arguments, for {crew} alone; failed already if
        the call cannot be pickled
        """
        # the call, and its name
        fn, args, kwds = call
        name = getattr(fn, "__qualname__", None) or type(fn).__qualname__
        # pickled for this crew, so no two tasks share the memory of a large one
        try:
            payload = Codec.encodeTask(fn, args, kwds, reserve=self.reserve)
        except Codec.unpicklable as error:
            payload = error
        # make it
        task = Future(team=self, tid=next(self.tids), name=name, payload=None, deadline=self.policy.deadline)
        task.pinned = crew
        # count it
        self.ledger.submitted += 1
        # a call that cannot travel fails here, naming the part to blame
        if isinstance(payload, Exception):
            what = task.label if payload.culprit is None else f"{payload.culprit} of {task.label}"
            task.set_exception(
                exceptions.UnpicklableTask(what=what, error=f"{type(payload).__name__}: {payload}")
            )
        else:
            task.payload = payload
        # all done
        return task

    def pin(self, task):
        """
        Hand {task}, which is meant for one crew alone, to that crew: now if it is at work, once
        it registers if it is on its way; if it is gone, the task fails with {CrewGone}
        """
        # the crew
        crew = task.pinned
        # at work, or finishing
        if crew.serving():
            crew.execute(team=self, task=task)
            crew.transmit()
        # on its way
        elif crew.starting():
            crew.errands.append(task)
        # gone
        else:
            self.abandon(task=task, error=exceptions.CrewGone(task=task.label, crew=str(crew)))
        # all done
        return

    def strength(self):
        """
        The crews that are or will soon be taking tasks, but those already being replaced
        """
        return [crew for crew in self.crews if crew.available() and not crew.renewed]

    def demand(self):
        """
        How many crews are or will soon be taking tasks, but those already being replaced, and
        the tasks outstanding: those waiting, and those the crews hold
        """
        # the crews
        working = len(self.strength())
        # the work outstanding
        outstanding = len(self.queue) + sum(crew.load() for crew in self.crews)
        # all done
        return working, outstanding

    def rescale(self, size):
        """
        Take my size to {size} crews, in the thread of my loop
        """
        # a team that closed meanwhile has no use for more crews
        if self.closed:
            return
        # set it, which takes in my configuration again
        self.size = size
        # the crews that are or will be taking tasks
        available = self.strength()
        # too few
        if len(available) < size:
            # recruit the rest now
            self.recruit(count=size - len(available), why=f"resized to {size}")
            return
        # too many: let the excess go, those not up yet first, then the idle, then the least busy
        excess = sorted(available, key=lambda crew: (not crew.starting(), crew.load()))[: len(available) - size]
        for crew in excess:
            self.letgo(crew=crew)
        # note it
        if excess:
            self.ledger.decide(action="shrink", before=len(available), after=size, why=f"resized to {size}")
        # all done
        return

    def letgo(self, crew):
        """
        Let {crew} go because the team needs it no more: at once if it is idle, once its tasks
        report if it is busy
        """
        # one that is not up yet
        if crew.starting():
            # is stopped on its way, without counting as a failed recruitment
            crew.lose()
            self.recruiter.dismiss(team=self, crew=crew)
        # one with work
        elif crew.load():
            # takes no more, and goes once it reports
            crew.retire()
        # an idle one
        else:
            # goes now
            self.dismiss(crew=crew)
        # all done
        return

    def oversee(self):
        """
        Make sure my survey of idle crews and of crews nearing their end looks again now: a crew
        just came up, or was recruited
        """
        # if there is nothing to look for
        if not self.policy.idle and not any(crew.retires is not None for crew in self.crews):
            # there is no survey
            return
        # look now; the survey says when to look again
        if self.surveyor is not None:
            self.surveyor.cancel()
        self.surveyor = self.dispatcher.alarm(interval=0, call=self.survey)
        # all done
        return

    def survey(self, timestamp):
        """
        Let go of the crews that sat idle too long, down to my minimum, retire those whose end
        is near, and recruit their replacements ahead of it

        N.B.: this is an alarm handler; it returns the interval to the next invocation
        """
        # when
        now = time.monotonic()
        policy = self.policy
        # when to look again
        due = math.inf
        # the crews nearing their end
        renew = 0
        for crew in list(self.crews):
            # skip those without one, and those that are going anyway
            if crew.retires is None or not crew.accepting():
                continue
            # if its replacement is due and not on its way
            if not crew.renewed:
                if now >= crew.renews:
                    crew.renewed = True
                    renew += 1
                else:
                    due = min(due, crew.renews)
            # if its time is up, it takes no more tasks
            if now >= crew.retires:
                self.letgo(crew=crew)
            else:
                due = min(due, crew.retires)
        # the replacements, as far as the work needs them
        if renew and (count := min(renew, self.vacancies())):
            self.recruit(count=count, why=f"replacing {plural(count, 'crew')} near the end of its time")
        # the idle crews, if they are let go
        if policy.idle:
            # those that may go: the ones taking tasks, beyond my minimum
            available = self.strength()
            spare = len(available) - policy.minimum
            # idle ones, the longest idle first
            idle = sorted(
                ((max(crew.since, crew.joined), crew)
                for crew in available
                if crew.accepting() and not crew.load() and crew.joined is not None),
                key=lambda pair: pair[0],
            )
            let = 0
            for since, crew in idle:
                # the ones that sat long enough go, while there are spares
                if now - since >= policy.idle and let < spare:
                    self.dismiss(crew=crew)
                    let += 1
                # the others may go later
                else:
                    due = min(due, since + policy.idle)
            # a busy crew may go once it sat idle for long enough
            if any(crew.available() for crew in self.crews):
                due = min(due, now + policy.idle)
            # note it
            if let:
                self.ledger.decide(
                    action="shrink",
                    before=len(available),
                    after=len(available) - let,
                    why=f"{plural(let, 'crew')} idle for {policy.idle:g} s",
                )
        # with no crews left, there is nothing to look at until the next recruitment
        if not self.crews or due == math.inf:
            self.surveyor = None
            return None
        # otherwise, look again when something may change
        return max(due - now, 1e-3)

    def recoverable(self, task, error):
        """
        Whether {task}, which raised {error}, runs again by the kind of its error: one of those
        its retry policy lists; a {RecoverableError} always may
        """
        return (task.retry or self.policy.retry).covers(error)

    def requeue(self, task, error):
        """
        {task} failed with the recoverable {error}: run it again, if it has retries left, after
        the wait its retry policy says
        """
        # a crew that reports has proven its recruitment
        if self.rejections:
            self.recovered()
        # if it has retries left
        retry = task.retry or self.policy.retry
        if task.retries < retry.limit:
            # count this one, by its cause
            task.retries += 1
            self.ledger.retry(error=error)
            # and put it at the head of the queue, so a retry does not wait behind everything,
            # at once or after its wait
            wait = retry.wait(task.retries)
            if wait:
                self.park(task=task, wait=wait)
            else:
                self.putback(task=task)
            # all done
            return
        # otherwise, it has failed for good
        self.abandon(task=task, error=error)
        # all done
        return

    def park(self, task, wait):
        """
        Put {task} aside for {wait} seconds, before it runs again
        """
        # no crew holds it, and it is waiting again
        task.crew = None
        task.set_pending()
        # aside, where the team counts it as work
        self.parked.add(task)
        # until its time comes
        self.dispatcher.alarm(interval=wait, call=functools.partial(self.unpark, task=task))
        # all done
        return

    def unpark(self, timestamp, task):
        """
        {task} waited long enough: queue it again, unless it was cancelled meanwhile

        N.B.: this is an alarm handler; returning {None} keeps it from being rescheduled
        """
        # it is no longer aside
        self.parked.discard(task)
        # a task that is done, e.g. cancelled while it waited, may have been the last
        if task.done():
            self.conclude()
            return None
        # the others go first among their equals
        self.putback(task=task)
        # to a crew with room, or one recruited for it, e.g. after the idle ones left
        self.distribute()
        self.recruit()
        # do not reschedule
        return None

    def abandon(self, task, error):
        """
        {task} failed with {error}, for good
        """
        # a crew that reports has proven its recruitment
        if self.rejections:
            self.recovered()
        # deliver
        task.set_exception(error)
        # and see whether the team is done
        self.conclude()
        # all done
        return

    def overdue(self, timestamp, crew, task):
        """
        {task} ran past its deadline on {crew}: fail it and kill the worker

        N.B.: this is an alarm handler; returning {None} keeps it from being rescheduled
        """
        # if the crew never finished its initializer, the task never started
        if crew.accepting() and not crew.ready and crew.runs(task):
            # the crew is no use, and the task waits for another
            self.lost(
                crew=crew,
                reason=f"{crew}: the initializer did not finish within the {task.deadline} s deadline of {task.label}",
                suspect=False,
                unfit=True,
            )
            self.recruiter.kill(team=self, crew=crew)
        # if the task is still running there
        elif crew.runs(task) and not task.done():
            # take it off
            crew.release()
            # fail it
            task.set_exception(
                exceptions.DeadlineExceeded(
                    task=task.label, deadline=task.deadline, crew=str(crew), pid=crew.pid
                )
            )
            # and kill the worker
            self.kill(crew=crew, reason=f"{task.label} ran past its deadline")
        # do not reschedule
        return None

    def lost(self, crew, reason, suspect=True, unfit=False):
        """
        The channel of {crew} is closed or useless: let it go, and put the tasks it never
        started back in the queue; unless the crew is {suspect}, i.e. it may have died running
        its oldest task, none of them started
        """
        # if it is gone already
        if crew.gone():
            # there is nothing to do
            return
        # leave a note
        self.debug.log(reason)
        # a crew that never registered is a failed recruitment
        failed = unfit or crew.starting()
        # the task it may have been running stays with it until its fate is known
        self.reclaim(crew=crew, keep=1 if suspect else 0)
        # and it lets go of its channel
        crew.lose()
        # count the failure, now that the crew no longer counts as on its way
        if failed:
            self.reject(reason=reason)
        # see that the worker ends; the recruiter buries it when it does
        self.recruiter.dismiss(team=self, crew=crew)
        # hand what it held to the crews with room, and replace it
        self.distribute()
        self.replenish()
        # all done
        return

    def kill(self, crew, reason):
        """
        The team needs the worker of {crew} dead: kill it, and put the tasks it never started
        back in the queue
        """
        # leave a note
        self.debug.log(f"{crew}: killed: {reason}")
        # whatever it still holds never started, since the running task was settled
        self.reclaim(crew=crew, keep=0)
        # it lets go of its channel, unless it did when it was lost, e.g. holding the task
        # that was cancelled
        if not crew.gone():
            crew.lose()
        # kill it; the recruiter buries it when it is gone
        self.recruiter.kill(team=self, crew=crew)
        # hand what it held to the crews with room, and replace it
        self.distribute()
        self.replenish()
        # all done
        return

    def dismiss(self, crew):
        """
        Let {crew} go
        """
        # tell it
        crew.dismissed()
        # and see that its worker ends; the recruiter buries it when it does
        self.recruiter.dismiss(team=self, crew=crew)
        # all done
        return

    def bury(self, crew, status):
        """
        The worker of {crew} is gone, with the exit {status}
        """
        # if it was buried already
        if crew.reaped():
            # there is nothing to do
            return
        # a crew that never registered is a failed recruitment
        failed = crew.starting()
        # let go of what is left
        crew.bury()
        # finish the lines it left cut short
        self.printer.close(crew=crew)
        # take it off the rosters, and into the books
        self.crews.remove(crew)
        self.ledger.bury(crew)
        # count the failure, now that the crew no longer counts as on its way
        if failed:
            self.reject(reason=f"{crew} died before it registered: {exceptions.Casualty.cause(status)}")
        # a task still in flight is the one that was running when the worker died
        if crew.load():
            # get it
            task = crew.release()
            # a task none of whose frame went out never reached the worker
            if not task.done() and crew.sent is not None and task.onset >= crew.sent:
                # so it goes back to the queue, blameless
                self.putback(task=task)
            # if nobody settled it yet
            elif not task.done():
                # it is a suspect, even if its frame only partly went out: a crew that dies
                # while it receives a task, e.g. one too large for its memory, would otherwise
                # be replaced without end
                task.deaths += 1
                undelivered = crew.sent is not None and task.mark > crew.sent
                # give it another chance, if it has one, on a crew that may run it
                if task.deaths < self.policy.casualties and task.pinned is None:
                    self.ledger.rerun += 1
                    self.putback(task=task)
                # otherwise, blame it, with the limit that likely ended a crew it never reached
                else:
                    self.abandon(
                        task=task,
                        error=exceptions.Casualty(
                            crew=str(crew),
                            pid=crew.pid,
                            status=status,
                            task=task.label if not undelivered else f"{task.label}, which it was still receiving",
                            link=crew.failure,
                            memory=crew.memory
                            or (
                                getattr(self.recruiter, "memory", 0)
                                if undelivered or status == exceptions.Casualty.starved
                                else 0
                            ),
                            pids=crew.pids,
                        ),
                    )
        # anything behind it never started, nor did what waited for it to register
        self.reclaim(crew=crew, keep=0)
        for task in crew.errands:
            self.pin(task=task)
        crew.errands = []
        # hand what it held to the crews with room, and replace it, if the work needs it
        self.distribute()
        self.replenish()
        # and see whether the team is done
        self.conclude()
        # a closed team without crews is done
        if self.closed and not self.crews:
            self.disband()
        # all done
        return

    # implementation details
    def enqueue(self, fn, args=(), kwds=None, deadline=None, priority=0, retry=None):
        """
        Make a future for the call {fn(*args, **kwds)} and queue it, with its {priority} and,
        if it has one of its own, its {retry} policy
        """
        # a closed team takes no work
        if self.closed:
            raise exceptions.TeamClosed(team=str(self))
        # from any thread, if my loop runs in one of its own; else from the host's
        runner = self.runner
        if runner is None:
            self.home(call="submit")
            foreign = False
        else:
            foreign = not runner.inside()
        # name it
        tid = next(self.tids)
        name = getattr(fn, "__qualname__", None) or type(fn).__qualname__
        # the team's deadline, unless the caller gave one
        deadline = self.policy.deadline if deadline is None else (float(deadline) or None)
        # serialize it now, so a task that can't travel fails here and nothing is sent
        try:
            payload = Codec.encodeTask(fn, args, kwds or {}, reserve=self.reserve)
        # if it can't
        except Codec.unpicklable as error:
            # fail its future, naming the part of the call to blame, if one alone is
            future = Future(team=self, tid=tid, name=name, payload=None)
            what = future.label if error.culprit is None else f"{error.culprit} of {future.label}"
            failure = exceptions.UnpicklableTask(what=what, error=f"{type(error).__name__}: {error}")
            # in the thread that keeps my books
            self.inLoop(functools.partial(future.set_exception, failure))
            return future
        # make the future
        future = Future(team=self, tid=tid, name=name, payload=payload, deadline=deadline, priority=priority, retry=retry)
        # and hand it to the thread of my loop, which queues it
        if foreign:
            runner.hand(functools.partial(self.accept, future))
        else:
            self.accept(future)
        # all done
        return future

    def accept(self, future):
        """
        Queue {future}, in the thread of my loop
        """
        # a team that ended meanwhile, e.g. as the interpreter exits, runs it no more
        if self.closed and self.terminated:
            future.set_cancelled(reason=self.terminated)
            return
        # queue it
        queue = self.queue
        queue.append(future)
        # count it
        ledger = self.ledger
        ledger.submitted += 1
        if len(queue) > ledger.deepest:
            ledger.deepest = len(queue)
        # if it is the only one waiting, a crew may have room for it
        if len(queue) == 1:
            self.distribute()
        # if the team is short of crews
        if len(self.crews) < self.policy.size:
            # recruit
            self.recruit()
        # all done
        return

    def distribute(self):
        """
        Hand queued tasks to the crews that have room
        """
        # go through the crews
        for crew in self.crews:
            # stop when the queue is empty
            if not self.queue:
                break
            # fill it
            self.schedule(crew=crew)
        # all done
        return

    def recruit(self, count=None, why=None):
        """
        Recruit {count} crews, for the reason {why}; by default, as many as the work needs
        """
        # a closed team with nothing left to do recruits nobody, e.g. after its only task was
        # cancelled before its crew came up
        if self.closed and not self.busy():
            return
        # how many
        if count is None:
            count = self.vacancies()
            working, outstanding = self.demand()
            why = f"{plural(outstanding, 'task')} for {plural(working, 'crew')}"
        # if none
        if count <= 0:
            # nothing to do
            return
        # the crews there are, for the books
        before, _ = self.demand()
        # register me with the exit handler, now that i will have workers, and see that SIGINT
        # and SIGTERM reach it without cutting a handler of my loop short
        teams.add(self)
        Interrupts.install(team=self)
        # carefully
        try:
            # recruit; each joins me as it comes up
            recruits = self.recruiter.recruit(team=self, count=count)
            self.crews.extend(recruits)
        # if the recruiter fails, in whatever way
        except Exception as error:
            # count it; the waiting tasks get the error if it keeps failing
            self.reject(reason=str(error))
            return
        # note it
        self.ledger.decide(action="grow", before=before, after=before + len(recruits), why=why)
        # and watch them for idleness, if i let idle crews go
        if self.policy.idle and self.surveyor is None:
            self.oversee()
        # all done
        return

    def replenish(self):
        """
        Recruit replacements for lost crews, if the work needs them and recruitment works
        """
        # unless recruitment keeps failing, while other crews carry on; with none left, the
        # waiting work needs another try, whose failure hands it the error
        if self.rejections < self.policy.tolerance or not any(
            crew.available() for crew in self.crews
        ):
            # recruit
            self.recruit()
        # all done
        return

    def reject(self, reason):
        """
        A recruitment failed for {reason}: if it keeps failing, fail the waiting tasks
        """
        # count it
        self.rejections += 1
        # leave a note, unless it says what the last one did, but for the ids and numbers of
        # the attempt: a recruiter that keeps failing the same way is said once, however many
        # tasks get the error that quotes it
        shape = self.numerals.sub("#", reason)
        if shape == self.complaint:
            self.repeats += 1
        else:
            self.complaint, self.repeats = shape, 0
            self.warning.log(reason)
        # if there are crews on the way or at work, they carry on with the waiting tasks
        if any(crew.available() for crew in self.crews):
            return
        # otherwise, if recruitment has not failed too often
        if self.rejections < self.policy.tolerance:
            # try again soon, backing off, so a system short of processes gets a breather
            self.dispatcher.alarm(interval=0.05 * self.rejections, call=self.retry)
            return
        # it keeps failing, so the waiting tasks would wait forever
        error = exceptions.RecruitmentError(
            recruiter=str(self.recruiter.pyre_name),
            reason=f"{self.rejections} attempts in a row failed; the last: {reason}",
        )
        # so fail them
        while self.queue:
            task = self.queue.popleft()
            if not task.done():
                task.set_exception(error)
        # start counting afresh, so later work tries again
        self.rejections = 0
        # and see whether the team is done
        self.conclude()
        # all done
        return

    def recovered(self):
        """
        A crew delivered after failed recruitments: start counting afresh, and say how often the
        failure that was said once happened again
        """
        # start over
        self.rejections = 0
        # if the last failure repeated
        if self.repeats:
            self.warning.log(f"{self.repeats} more recruitments failed the same way before a crew came up")
        # and the next failure is news again
        self.complaint, self.repeats = None, 0
        # all done
        return

    def retry(self, timestamp):
        """
        A recruitment failed a moment ago: try again, if there is still work waiting

        N.B.: this is an alarm handler; returning {None} keeps it from being rescheduled
        """
        # if there is work
        if self.busy():
            # recruit
            self.recruit()
        # do not reschedule
        return None

    def reclaim(self, crew, keep):
        """
        Put the tasks {crew} holds back at the head of the queue, except the first {keep}
        """
        # take the ones that never started, last first, so they keep their order
        for task in crew.recall(keep=keep):
            # if nobody settled it
            if not task.done():
                # queue it again
                self.putback(task=task)
        # all done
        return

    def putback(self, task):
        """
        Put {task} back at the head of the queue, waiting again; or, if it is meant for one crew
        alone, back to that crew, if it is still there
        """
        # no crew holds it
        task.crew = None
        # it is not running any more
        task.set_pending()
        # one meant for one crew alone
        if task.pinned is not None:
            # goes back to it
            self.pin(task=task)
            return
        # and it goes first
        self.queue.appendleft(task)
        # all done
        return

    def purge(self, reason):
        """
        Cancel the tasks that no crew has started
        """
        # go through the queue
        while self.queue:
            task = self.queue.popleft()
            if not task.done():
                task.set_cancelled(reason=reason)
        # the tasks waiting to run again
        for task in list(self.parked):
            if not task.done():
                task.set_cancelled(reason=reason)
        # and the tasks waiting in the crews' pipelines, or for them to register
        for crew in self.crews:
            for task in crew.waiting():
                self.cancel(future=task, reason=reason)
            for task in crew.errands:
                if not task.done():
                    task.set_cancelled(reason=reason)
        # all done
        return

    def conclude(self):
        """
        If i am closed and all work is done, let the crews go
        """
        # if i take work, or there is work left
        if not self.closed or self.busy():
            # nothing to do
            return
        # dismiss the crews that are still working
        for crew in list(self.crews):
            if not crew.gone():
                self.dismiss(crew=crew)
        # all done
        return

    def busy(self):
        """
        Whether any task is waiting or running
        """
        # check the queue, carefully, since it holds the cancelled ones until they come up, and
        # the tasks waiting to run again
        if any(not task.done() for task in self.queue) or any(not task.done() for task in self.parked):
            return True
        # and the crews, with what waits for them to register
        return any(crew.load() or crew.errands for crew in self.crews)

    def deserted(self):
        """
        Whether all my crews are gone
        """
        return not self.crews

    def disband(self):
        """
        I am closed and my crews are gone: let go of the descriptors i hold until i take work
        again, as a pool that runs again does
        """
        # a closed team without crews never recruits again, so its recruiter can let go of
        # what it holds for recruitment, e.g. a listening port
        self.recruiter.release(team=self)
        # nor does it look for idle crews
        if self.surveyor is not None:
            self.surveyor.cancel()
            self.surveyor = None
        # and my supervisor, which watches crews from outside my process, goes too
        self.supervisor.close()
        # what my crews printed and my streams have not taken yet goes out, or is dropped
        self.printer.finish()
        # the shared memory files kept for reuse go too; a team at work makes more
        self.reserve.clear()
        # SIGINT and SIGTERM go back to the host's handling, once no other team needs mine
        Interrupts.uninstall(team=self)
        # my event loop lets go of its kernel selector, and builds another when it is needed;
        # unless pyre built it for me under my name, it may be serving others, so it is theirs
        loop = self.policy.loop
        if self.pyre_name and loop.pyre_name == f"{self.pyre_name}.dispatcher":
            loop.close()
        # all done
        return

    def close(self, cancel_futures):
        """
        Take no more work; with {cancel_futures}, cancel the tasks no crew has started; let the
        crews go once the work is done
        """
        # take no more work
        self.closed = True
        # if the caller wants the waiting tasks cancelled
        if cancel_futures:
            # cancel the ones in the queue
            self.purge(reason=f"{self} was shut down")
        # if there is nothing left to do, dismiss the crews now
        self.conclude()
        # without crews, none is buried to say the team is done, so it is done now
        if not self.crews:
            self.disband()
        # all done
        return

    def terminate(self, reason="the interpreter is exiting"):
        """
        End now, for {reason}, e.g. the interpreter is exiting: cancel what is left and kill my
        workers
        """
        # take no more work
        self.closed = True
        self.terminated = reason
        # cancel the waiting tasks
        self.purge(reason=reason)
        # and the running ones
        for crew in self.crews:
            for task in crew.recall():
                if not task.done():
                    task.set_cancelled(reason=reason)
        # kill the workers that are left and reap them, and let go of what the recruiter holds
        # for me, e.g. the server that forks my crews
        self.recruiter.release(team=self)
        self.crews.clear()
        if self.surveyor is not None:
            self.surveyor.cancel()
            self.surveyor = None
        # my supervisor has nothing left to watch
        self.supervisor.close()
        # all done
        return

    # framework hooks
    def pyre_configured(self):
        """
        Check my configuration; each complaint names the trait, the value and what is accepted,
        or the setting that names none of my traits, where it was made, and the traits it may mean
        """
        # chain up
        yield from super().pyre_configured()
        # a setting that names none of my traits, e.g. a misspelled one, would be ignored
        yield from Unclaimed.check(component=self)
        # check each of my traits
        for trait in Policy.checked:
            for problem in Policy.check(team=self, trait=trait):
                # complaints are text, and those of my recruiter's come as they are, said already
                yield problem if isinstance(problem, str) else str(problem)
        # all done
        return

    def pyre_initialized(self):
        """
        Set up the state that depends on my configuration
        """
        # chain up
        errors = list(super().pyre_initialized())
        # if my configuration is bad, there is nothing to set up
        if errors:
            yield from errors
            return
        # take in my configuration
        self.policy = Policy(team=self)
        # and what to do with the output of my crews
        self.printer = Echo(mode=self.policy.output, dispatcher=self.policy.loop)
        # all done
        return

    def pyre_traitModified(self, trait, new, old):
        """
        A trait changed after i was built: check it, and take in my configuration again
        """
        # chain up
        super().pyre_traitModified(trait=trait, new=new, old=old)
        # if i'm built and the trait matters
        if self.pyre_cooked and trait.name in Policy.checked:
            # a bad value is refused: the old one comes back, and my work goes on with it
            for problem in Policy.check(team=self, trait=trait.name):
                setattr(self, trait.name, old.value)
                # the complaints of a recruiter that cannot be built come as its text
                if isinstance(problem, str):
                    problem = exceptions.complain(
                        self, trait=trait.name, value=new.value, accepted=f"one that can be built: {problem}"
                    )
                raise problem
            # a good one takes effect
            self.policy = Policy(team=self)
            self.printer.mode = self.policy.output
            self.printer.dispatcher = self.policy.loop
            self.depth = min(self.depth, self.policy.pipeline)
            # the survey of idle crews looks again with the new limits
            if trait.name in ("idle", "minimum") and self.crews:
                self.inLoop(self.oversee)
        # all done
        return self

    # meta-methods
    def __init__(self, **kwds):
        # chain up
        super().__init__(**kwds)
        # the tasks waiting for a crew, and those waiting to run again after a failure
        self.queue = Queue()
        self.parked = set()
        # the calls every crew runs before its first task, serialized, with their names
        self.standing = []
        # the crews, in every state but buried
        self.crews = []
        # task ids; zero is reserved for the setup of a crew
        self.tids = itertools.count(1)
        # whether i take work, and why i ended at once, if i did
        self.closed = False
        self.terminated = None
        # the thread that built me, whose loop i run in unless a thread of my own runs it
        self.owner = threading.get_ident()
        self.ownerName = threading.current_thread().name
        # failed recruitments in a row; the last failure said, with the ids and numbers of its
        # attempt blotted out, and how often it happened again without being said
        self.rejections = 0
        self.complaint = None
        self.repeats = 0
        # my books, and the journal channel that shows them when i shut down
        self.ledger = Ledger()
        self.books = journal.info("pyre_nexus.metrics")
        # the seconds per task, as the crews report them, and the number of tasks each crew
        # holds; it starts at one, so tasks of unknown length do not queue behind each other
        self.pace = 0.0
        self.depth = 1
        # the shared memory files of finished large tasks, for the next ones
        self.reserve = Reserve()
        # the process outside mine that ends my crews if i die, started with the first of them
        self.supervisor = Supervisor()
        # the clock of my survey of idle crews and of crews nearing their end, while it runs
        self.surveyor = None
        # all done
        return

    def __str__(self):
        # use my name, or my family
        return f"team {self.pyre_name or self.pyre_family()}"

    def __getattr__(self, name):
        # code written for the other kind of team, given me by its configuration, learns which
        # is which
        if name in self.missing:
            raise AttributeError(
                f"{self} has no attribute '{name}': {self.instead.format(name=name)}", name=name, obj=self
            )
        # the rest as pyre sees fit: a trait under one of its aliases, or no such attribute
        return super().__getattr__(name)

    # the calls of the other kind of team, which i do not make, and what i do instead
    missing = frozenset()
    instead = ""
    # the thread of my own that runs my loop, if one does
    runner = None
    # how often a caller that runs other loops looks at what my thread brought about, in seconds
    beat = 0.01
    # how many seconds of work each crew holds: enough to cover a round trip many times over
    horizon = 2e-3
    # what differs between two attempts that fail the same way: launch ids, ports, pids
    numerals = re.compile(r"[0-9a-f]{8,}|\d+")


# the count of a noun in words
def plural(count, noun):
    """
    {count} {noun}, or {nouns}, as {count} says
    """
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# the exit handler
@atexit.register
def _terminate():
    """
    Kill the workers of the teams that are still around when the interpreter exits
    """
    # go through the teams
    for team in list(teams):
        # but those whose own thread is still at it, and may not be touched from here
        if team.runner is not None and team.runner.running():
            continue
        # carefully, since the interpreter is going down
        try:
            team.terminate()
        except Exception:
            pass
    # the callbacks that a signal or an exit kept from running when their pass ended get their
    # turn, so every future's callbacks run once
    later = Interrupts.thread.later
    while later:
        try:
            later.popleft()()
        except BaseException:
            pass
    # all done
    return


# end of file
