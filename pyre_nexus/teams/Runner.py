# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import collections
import os
import threading
import time
import traceback
import weakref

# the framework
import journal

# my parts
from .. import exceptions


# declaration
class Runner:
    """
    The thread of its own that runs the event loop of a team, and the way other threads reach it

    The thread starts with the first call that needs it and ends once the team is shut down and
    its crews are gone. Other threads hand it calls through an inbox; the first call of a batch
    rings a bell, an {eventfd} the loop watches, and a thread that finds the bell rung leaves it
    be, so a burst of submissions costs the loop one wake up. Calls from the thread itself, e.g.
    from a done callback, run at once. A call that raises leaves the loop running: its error goes
    to the thread that asked, or to the journal. If the thread dies anyway, every task that has
    no outcome yet fails with the reason, the crews are killed, and the threads that wait hear of
    it; at interpreter exit the thread cancels what is left, kills the crews and reaps them
    before the interpreter goes down
    """

    # the runners of this process, so interpreter exit and the child of a fork find them
    runners = weakref.WeakSet()
    # how long interpreter exit waits for a thread to end its team
    exiting = 10.0

    # interface
    def inside(self):
        """
        Whether the calling thread is mine
        """
        return threading.get_ident() == self.ident

    def running(self):
        """
        Whether my thread is running my team's loop, and takes calls
        """
        thread = self.thread
        return thread is not None and not self.finished and thread.is_alive()

    def hand(self, call):
        """
        Queue {call}, a submission: refused once the team is shut down, so a submission that
        races a shutdown from another thread either runs or raises
        """
        # serialize against shutdown
        with self.lock:
            # a team that is shutting down takes no more work
            if self.closing:
                raise exceptions.TeamClosed(team=str(self.team))
            # the first submission starts my thread
            if self.thread is None:
                self.start()
            # queue it
            self.post(call)
        # all done
        return

    def post(self, call):
        """
        Have my thread run {call()} on its next pass; called under my lock, while my thread runs
        """
        # queue it
        self.inbox.append(call)
        # and wake my loop, unless the batch has done so already
        if not self.rung:
            self.rung = True
            os.eventfd_write(self.bell, 1)
        # all done
        return

    def ask(self, call):
        """
        Run {call()} in my thread and return what it returns, or raise what it raises; when no
        thread of mine runs the loop, the caller runs it, under my lock
        """
        # from my own thread, right away
        if self.ident == threading.get_ident():
            return call()
        # when the loop does not run in a thread
        with self.lock:
            if not self.running():
                # the caller runs it, alone
                return call()
            # otherwise, my thread will
            reply = Reply(call=call)
            self.post(reply.run)
        # wait for it
        return reply.wait(runner=self)

    def wait(self, future, timeout, call):
        """
        Wait in another thread for at most {timeout} seconds until my thread settles {future};
        {call} names the method that waits, for the error
        """
        # my own thread settles it, so waiting for it there would never end
        if self.ident == threading.get_ident():
            raise exceptions.WaitInLoop(call=call, what=future.label, team=str(self.team))
        # wait on its condition, which settling it notifies
        condition = future._condition
        expiration = None if timeout is None else time.monotonic() + timeout
        with condition:
            while not future.done():
                # how long to wait
                remaining = None if expiration is None else expiration - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                condition.wait(remaining)
        # all done
        return

    def waitUntil(self, condition, timeout):
        """
        Wait in another thread until {condition()} is true or {timeout} seconds pass, looking
        after each pass of my loop; returns {condition()}
        """
        # my own thread would wait for itself
        if self.ident == threading.get_ident():
            raise exceptions.WaitInLoop(call="waitUntil", what="a condition", team=str(self.team))
        # when to give up
        expiration = None if timeout is None else time.monotonic() + timeout
        # look after every pass
        with self.passed:
            self.watchers += 1
            try:
                while not condition():
                    # a loop that stopped brings nothing about
                    if not self.running():
                        break
                    # how long to wait
                    remaining = None if expiration is None else expiration - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        break
                    self.passed.wait(remaining)
            finally:
                self.watchers -= 1
        # say how it went
        return condition()

    def close(self, call):
        """
        The team is shutting down: take no more submissions, and have my thread run {call()};
        when no thread of mine runs the loop, the caller runs it
        """
        # serialize against submissions
        with self.lock:
            self.closing = True
            # a loop that runs in my thread
            if self.running():
                # does the rest
                self.post(call)
                return
        # otherwise, the caller does
        call()
        # all done
        return

    def join(self):
        """
        Wait for my thread to end, which it does once the team is shut down and its crews gone
        """
        # from my own thread, that would never end
        if self.ident == threading.get_ident():
            raise exceptions.WaitInLoop(call="shutdown(wait=True)", what="its own end", team=str(self.team))
        # if there is one
        thread = self.thread
        if thread is not None:
            thread.join()
        # all done
        return

    def halt(self, reason):
        """
        The interpreter is exiting: end my team now, for {reason}, and wait a while for my
        thread to end
        """
        # take no more work
        with self.lock:
            self.closing = True
            # a thread that runs has the team cancel what is left and kill its crews, and stops
            running = self.running() and not self.inside()
            if running:
                self.post(lambda: self.stop(reason=reason))
        # wait for it, a while
        if running:
            self.thread.join(timeout=self.exiting)
        # all done
        return

    # meta-methods
    def __init__(self, team):
        # the team whose loop i run
        self.team = team
        # the calls from other threads, and whether my loop was woken for them
        self.inbox = collections.deque()
        self.rung = False
        # the bell, made when my thread starts and closed as it ends, so a team that never runs
        # holds no descriptor
        self.bell = None
        # my thread, and its id, once it is running
        self.thread = None
        self.ident = None
        # orders submissions against shutdown, and guards the start of my thread
        self.lock = threading.RLock()
        # whether the team is shutting down, whether i was told to stop at once, and whether my
        # thread is done taking calls
        self.closing = False
        self.stopped = False
        self.finished = False
        # what ended my thread, if it died
        self.failure = None
        # the threads that wait for a condition hear of every pass
        self.passed = threading.Condition()
        self.watchers = 0
        # register me
        self.runners.add(self)
        # all done
        return

    # implementation details
    def start(self):
        """
        Start my thread; called under my lock
        """
        # a recruiter that must do things while the team's process has one thread does them now
        team = self.team
        team.recruiter.prime(team=team)
        # the bell, and the thread
        self.bell = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self.thread = threading.Thread(target=self.run, name=f"pyre_nexus {team}", daemon=True)
        try:
            self.thread.start()
        # a process that may not start another thread, e.g. at its limit of them, gets no loop,
        # and the submission that asked for it is refused, with the reason
        except RuntimeError as error:
            self.thread = None
            os.close(self.bell)
            self.bell = None
            raise exceptions.NexusError(description=f"{team} cannot start the thread of its loop: {error}")
        # all done
        return

    def run(self):
        """
        The body of my thread: run the loop until the team is done
        """
        # i am running
        self.ident = threading.get_ident()
        team = self.team
        loop = team.policy.loop
        # the loop is mine now
        loop.runner = self
        # watch the bell
        loop.whenReadReady(channel=Bell(fd=self.bell), call=self.answer)
        # carefully
        try:
            # until the team is shut down and its crews are gone, or i am stopped
            while not self.stopped and not (team.closed and not team.crews and not self.inbox and not team.busy()):
                # do a pass
                try:
                    loop.step()
                # a handler, or a callback put off to the end of the pass, raised: say so and go
                # on, since the pass left nothing halfway through
                except Exception as error:
                    self.complain(error=error)
                # tell the threads that wait for a condition
                if self.watchers:
                    with self.passed:
                        self.passed.notify_all()
        # anything else ends my thread
        except BaseException as error:
            self.failure = error
        # and whatever ended it
        finally:
            self.finish()
        # all done
        return

    def answer(self, channel, **kwds):
        """
        The bell rang: run the calls in my inbox

        N.B.: this is an event handler; careful with its return value
        """
        # quiet the bell, and let the next call ring it again before the inbox is looked at, so
        # a call queued from now on either is run below or rings
        try:
            os.eventfd_read(self.bell)
        except BlockingIOError:
            pass
        self.rung = False
        # run the calls
        inbox = self.inbox
        while inbox:
            call = inbox.popleft()
            try:
                call()
            # a call that raises, e.g. a submission that a closing team refused, is logged; the
            # calls of threads that wait for an answer take their errors with them
            except Exception as error:
                self.complain(error=error)
        # keep watching
        return True

    def stop(self, reason):
        """
        End the team now, for {reason}, and my thread after it
        """
        self.team.terminate(reason=reason)
        self.stopped = True
        # all done
        return

    def finish(self):
        """
        My thread is ending: leave nothing behind; a team that still has work gives every task
        an outcome, and its crews are killed and reaped
        """
        # what ended it
        team = self.team
        failure = self.failure
        # take no more work
        with self.lock:
            self.closing = True
        # a team that still has crews or work
        if team.crews or team.busy():
            # ends now
            reason = (
                f"the thread of {team} died: {type(failure).__name__}: {failure}"
                if failure is not None
                else f"the thread of {team} stopped"
            )
            try:
                team.terminate(reason=reason)
            except Exception as error:
                self.complain(error=error)
        # the calls that came meanwhile run now, against a team that is over: a submission
        # gets its outcome, a question its answer; under my lock, which every call is posted
        # under, so none comes after, and the bell goes with no thread left to ring it
        with self.lock:
            while self.inbox:
                try:
                    self.inbox.popleft()()
                except Exception as error:
                    self.complain(error=error)
            self.finished = True
            os.close(self.bell)
            self.bell = None
        # the threads that wait for a condition look once more
        with self.passed:
            self.passed.notify_all()
        # all done
        return

    def complain(self, error):
        """
        A call or a handler raised {error} in my thread: say so in the journal
        """
        # on a channel that says it and goes on, since the thread goes on
        channel = journal.error("pyre_nexus.thread")
        channel.fatal = False
        channel.line(f"{self.team}: in the thread of its event loop:")
        for line in traceback.format_exception(error):
            channel.line(line.rstrip())
        channel.log()
        # all done
        return


# the bell
class Bell:
    """
    The {eventfd} that rings a runner's loop, as a channel in the sense of {pyre.ipc}
    """

    # meta-methods
    def __init__(self, fd):
        # both ends are the one descriptor
        self.inbound = self.outbound = fd
        # all done
        return


# the answer to a question for the runner's thread
class Reply:
    """
    A call that another thread asked the runner's thread to make, with its outcome
    """

    # interface
    def run(self):
        """
        Make the call, in the runner's thread, and hand its outcome to the thread that waits
        """
        try:
            self.value = self.call()
        except BaseException as error:
            self.error = error
        self.done.set()
        # all done
        return

    def abandon(self, runner):
        """
        The runner's thread ended before it made the call
        """
        self.error = exceptions.NexusError(description=f"the thread of {runner.team} ended")
        self.done.set()
        # all done
        return

    def wait(self, runner):
        """
        Wait for the outcome; if the runner's thread ends without making the call, raise
        """
        # a little at a time, so a thread that dies is noticed
        while not self.done.wait(timeout=0.5):
            if not runner.running():
                # it may have answered just before it ended
                if not self.done.is_set():
                    self.abandon(runner=runner)
        # hand over the outcome
        if self.error is not None:
            raise self.error
        return self.value

    # meta-methods
    def __init__(self, call):
        self.call = call
        self.value = None
        self.error = None
        self.done = threading.Event()
        # all done
        return


# the runners of a process that exits, or that forked, end their teams
def _halt():
    """
    The interpreter is exiting: end the teams that run on threads of their own
    """
    for runner in list(Runner.runners):
        try:
            runner.halt(reason="the interpreter is exiting")
        except Exception:
            pass
    # all done
    return


def _orphan():
    """
    In the child of a fork: the threads of the parent's runners are not here, so their teams
    take no more work, and a wait for them returns
    """
    for runner in list(Runner.runners):
        runner.closing = True
        runner.stopped = True
        runner.finished = True
        runner.thread = None
        runner.ident = None
        runner.lock = threading.RLock()
        runner.passed = threading.Condition()
        runner.watchers = 0
    # all done
    return


# before the threads are joined at exit, so the crews are reaped while the interpreter is whole
threading._register_atexit(_halt)
os.register_at_fork(after_in_child=_orphan)


# end of file
