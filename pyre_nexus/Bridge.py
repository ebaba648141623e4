# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import asyncio
import functools
import time


# declaration
class Bridge:
    """
    Runs the passes of a team's {Dispatcher} from a running asyncio event loop, so the futures
    of the team can be awaited

    The asyncio loop watches the kernel selector of the dispatcher, which is readable whenever
    a descriptor the dispatcher watches has an event, and runs one pass of the dispatcher, that
    does not wait, each time it is; a timer of the asyncio loop, set for the next alarm of the
    dispatcher, raises the alarms: deadlines, dismissals, heartbeats. The dispatcher tells me of
    every alarm armed outside my passes, e.g. the deadline of a task that a submission started,
    so the timer is never late for it. A dispatcher joins one asyncio loop at a time; it leaves
    one that is closed when it next arms an alarm, or when another loop awaits its futures
    """

    # interface
    @classmethod
    def join(cls, team):
        """
        Have the running asyncio loop serve the event loop of {team}, so its done callbacks fire
        and its alarms go off before any of its futures is awaited, which does this too
        """
        # attach its dispatcher
        return cls.attach(loop=asyncio.get_running_loop(), dispatcher=team.policy.loop)

    @classmethod
    def wait(cls, future):
        """
        Wait in the running asyncio loop until {future} is done; if the waiting coroutine is
        cancelled meanwhile, {future} is cancelled with it, which kills its worker if the task
        is running
        """
        # the running loop
        loop = asyncio.get_running_loop()
        # joined to the team's loop
        cls.attach(loop=loop, dispatcher=future.team.policy.loop)
        # a future of the asyncio loop, done when mine is
        waiter = loop.create_future()
        future.add_done_callback(functools.partial(cls.release, waiter))
        # carefully
        try:
            # wait for it
            yield from waiter
        # if the coroutine is cancelled while it waits
        except asyncio.CancelledError:
            # the task is not wanted any more
            future.cancel()
            # and the cancellation goes on its way
            raise
        # all done
        return

    @staticmethod
    def release(waiter, future):
        """
        {future} is done: wake the coroutine that waits for it on {waiter}
        """
        # unless it stopped waiting
        if not waiter.done():
            # wake it
            waiter.set_result(None)
        # all done
        return

    @classmethod
    def attach(cls, loop, dispatcher):
        """
        Join {dispatcher} to the asyncio {loop}, unless it is joined already; returns the bridge
        """
        # the bridge that serves the dispatcher now
        bridge = dispatcher.host
        # if it runs from this loop
        if bridge is not None and bridge.loop is loop:
            # it will do
            return bridge
        # a dispatcher serves one loop at a time, so the one it served before is done with it
        if bridge is not None:
            bridge.detach()
        # build a new one
        return cls(loop=loop, dispatcher=dispatcher)

    def detach(self):
        """
        Leave my asyncio loop; the dispatcher's passes are up to its team again
        """
        # stop watching, which a closed loop has stopped already
        self.loop.remove_reader(self.fd)
        # put the timer away
        self.arm(due=None)
        # and let go of the dispatcher
        if self.dispatcher.host is self:
            self.dispatcher.host = None
        # all done
        return

    # dispatcher side interface
    def alarmed(self, due):
        """
        The dispatcher armed an alarm that is {due} at that {time.monotonic()}; see that the
        timer wakes up in time for it
        """
        # my passes set the timer when they are over
        if self.stepping:
            return
        # a loop that is closed will not run any more passes
        if self.loop.is_closed():
            # so leave it
            self.detach()
            return
        # if the alarm comes before the timer
        if self.wake is None or due < self.wake:
            # move the timer
            self.arm(due=due)
        # all done
        return

    # meta-methods
    def __init__(self, loop, dispatcher):
        # save
        self.loop = loop
        self.dispatcher = dispatcher
        # the kernel selector of the dispatcher, which is readable when it has events
        self.fd = dispatcher._selector.fileno()
        # the timer of the next alarm, and when it is due
        self.timer = None
        self.wake = None
        # whether a pass is running
        self.stepping = False
        # watch the selector
        loop.add_reader(self.fd, self.step)
        # hear of the alarms the dispatcher arms
        dispatcher.host = self
        # and set the timer for the ones it has
        self.schedule()
        # all done
        return

    # implementation details
    def step(self):
        """
        Run one pass of the dispatcher, without waiting, then set the timer for its next alarm
        """
        # a pass never runs inside another
        if self.stepping:
            return
        # carefully
        self.stepping = True
        try:
            # handle the events that arrived and the alarms that came due
            self.dispatcher.step(timeout=0)
        # whatever happened, e.g. an interrupt the pass held until it was over
        finally:
            # the pass is over
            self.stepping = False
            # and the alarms it left need the timer
            self.schedule()
        # all done
        return

    def ring(self):
        """
        The timer went off: run a pass, which raises the alarms that came due
        """
        # the timer is spent
        self.timer = None
        self.wake = None
        # run the pass
        self.step()
        # all done
        return

    def schedule(self):
        """
        Set the timer for the next alarm of the dispatcher
        """
        # unless the dispatcher let go of me, e.g. because a pass closed it
        if self.dispatcher.host is not self:
            return
        # the seconds to the next alarm, if there is one
        interval = self.dispatcher.poll()
        # set the timer for it
        self.arm(due=None if interval is None else time.monotonic() + interval)
        # all done
        return

    def arm(self, due):
        """
        Set the timer to go off at {due}, a {time.monotonic()}; {None} takes it away
        """
        # a timer that is close enough stays, so a pass does not cost a new one; the asyncio
        # loop waits in whole milliseconds anyway
        if due is not None and self.wake is not None and abs(due - self.wake) < self.slack:
            return
        # otherwise, the old one goes
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        # and a new one is set, if there is an alarm
        self.wake = due
        if due is not None:
            # on the clock of the asyncio loop
            self.timer = self.loop.call_at(self.loop.time() + due - time.monotonic(), self.ring)
        # all done
        return

    # how close the timer must be to the next alarm to stay, in seconds
    slack = 1e-3


# end of file
