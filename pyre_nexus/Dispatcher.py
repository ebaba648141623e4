# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import errno
import heapq
import itertools
import math
import selectors
import time

# the framework
import journal
import pyre

# my base class: pyre's selector based dispatcher
from pyre.ipc.SelectorPSL import SelectorPSL

# my parts
from .Interrupts import Interrupts
from .exceptions import ArgumentError, WrongThread


# declaration
class Dispatcher(SelectorPSL, family="pyre_nexus.dispatcher"):
    """
    pyre's selector based event loop, with two additions that teams need

    {step} runs a single pass of the loop, so a caller that waits for an outcome, e.g.
    {future.result()}, can drive the loop from plain synchronous code or from inside a handler
    of a loop that is already running. Alarms live in a heap and {alarm} returns a handle whose
    {cancel} takes the alarm out, so a deadline per task costs O(log n) and leaves nothing
    behind when the task finishes in time. User code that a handler would run, e.g. the done
    callbacks of the futures it settles, is put off with {defer} to the end of the pass, where no
    handler is halfway through: there it may wait on other futures, shut its team down, or raise.
    The calls put off are those of the thread that runs the pass, and so are shared by the loops
    it runs, since a handler of one may settle the futures of a team on another
    """

    # interface
    @pyre.export
    def alarm(self, interval, call):
        """
        Schedule {call} to be invoked after {interval} elapses; {interval} is a quantity with
        units of time, or a number of seconds, 0 or more; an infinite one never elapses. The
        handler is called with {timestamp=} and returns the interval to the next invocation, by
        the same rules, or {None} to be done
        """
        # arm it and hand the caller the means to take it back
        return self._schedule(alarm=Alarm(owner=self, handler=call), interval=interval)

    @staticmethod
    def defer(call):
        """
        Invoke {call()} once the handlers of the pass that is running in this thread are done
        """
        Interrupts.thread.later.append(call)

    def step(self, timeout=None):
        """
        Wait at most {timeout} seconds for events, handle the ones that arrived and the alarms
        that came due; return {False} when there is nothing left to wait for
        """
        # what this thread's passes share
        passes = Interrupts.thread
        # calls left over from a pass where one of them raised are this pass
        if passes.later:
            self.catchup()
            return True
        # when the next alarm is due
        due = self.poll()
        # if there is nothing to watch and no alarm
        if not (self._read or self._write) and due is None:
            # say so
            return False
        # wait no longer than both the caller and the alarms allow
        if due is not None and (timeout is None or due < timeout):
            timeout = due
        # wait
        try:
            selection = self._selector.select(timeout=timeout)
        # a signal got in the way; handle the alarms and try again on the next pass
        except InterruptedError:
            selection = ()
        # the piles
        read = self._read
        write = self._write
        # hold interrupts while handlers run, so none is cut short halfway through settling a
        # task; inline, since this is every pass
        passes.depth += 1
        try:
            # dispatch the events
            for key, mask in selection:
                # get the descriptor
                fd = key.fileobj
                # read handlers first, so a report that arrives with an EOF is not lost
                if mask & selectors.EVENT_READ:
                    self.dispatch(index=read, key=fd)
                if mask & selectors.EVENT_WRITE:
                    self.dispatch(index=write, key=fd)
                # the interest in this descriptor now
                interest = (selectors.EVENT_READ if read.get(fd) else 0) | (
                    selectors.EVENT_WRITE if write.get(fd) else 0
                )
                # unless the handlers left it as the kernel has it, as they mostly do
                if interest != key.events or interest == 0:
                    # settle the kernel's view of this descriptor
                    self._reconcile(key=fd)
            # and raise the alarms that came due
            self.awaken()
        # an error on its way out goes first; a held interrupt waits for the next pass
        except BaseException:
            Interrupts.release(raising=False)
            raise
        # otherwise, raise what arrived meanwhile
        Interrupts.release()
        # now the calls the handlers put off
        if passes.later:
            self.catchup()
        # all done
        return True

    def catchup(self):
        """
        Invoke the calls that handlers put off; what one of them raises goes to my caller, and
        the rest wait for the next pass
        """
        later = Interrupts.thread.later
        while later:
            later.popleft()()
        # all done
        return

    @pyre.export
    def watch(self):
        """
        Handle events until {stop} is called or there is nothing left to watch
        """
        # the loop of a team on a thread of its own is that thread's alone
        runner = self.runner
        if runner is not None and not runner.inside():
            raise WrongThread(
                call="dispatcher.watch",
                team=str(runner.team),
                thread=runner.thread.name,
                advice="run a loop of your own, or build the team with mode=host to share this one",
            )
        # mark me as running
        self._watching = True
        # and go around until somebody stops me or i run out of work
        while self._watching:
            # do one pass
            if not self.step():
                # nothing left
                break
        # mark me as stopped
        self._watching = False
        # all done
        return

    def dispatch(self, index, key):
        """
        Invoke the handlers for {key} in {index}, as pyre's dispatcher does, in fewer steps: this
        runs for every event, and mostly for a pile of one handler that returns normally
        """
        # take the pile, so handlers registered while it runs wait for the next pass
        pile = index.pop(key, None)
        if not pile:
            return
        # while its handlers run, the pile is in flight, so forking handlers can find its channel
        inflight = self._inflight
        inflight.append(pile)
        # the handlers that stay
        keepers = []
        # how many had their turn; if one raises, the ones after it keep their place
        done = 0
        try:
            for event in pile:
                done += 1
                try:
                    keep = event.handler(channel=event.channel, **event.context)
                # a transient error: try again
                except (BlockingIOError, InterruptedError):
                    keep = True
                # anything else from the system: drop the handler, and say so
                except OSError as error:
                    keep = self._discard(event=event, error=error)
                if keep:
                    keepers.append(event)
        finally:
            # the pile is no longer in flight; found by identity, since piles compare by content
            for position in range(len(inflight) - 1, -1, -1):
                if inflight[position] is pile:
                    del inflight[position]
                    break
            # the ones that did not get their turn stay
            if done < len(pile):
                keepers += pile[done:]
            # unless their channel was forgotten meanwhile
            if keepers and len(self._forgotten):
                keepers = [event for event in keepers if event.channel not in self._forgotten]
            # put them back, ahead of whatever was registered while they ran
            if keepers:
                waiting = index.get(key)
                if waiting is None:
                    index[key] = keepers
                else:
                    waiting[:0] = keepers
        # all done
        return

    def close(self):
        """
        Let go of my kernel selector; a dispatcher that is closed holds no descriptor until it
        is asked to watch something again, when it builds a new one
        """
        # a loop that watches my selector must not watch its number once it is closed, so it
        # lets go of me; it joins the new one when it next waits for me
        if self.host is not None:
            self.host.detach()
        # let go of it
        self._selector.close()
        # and put a stand-in in its place, which builds the next one when it is needed
        self._selector = Dormant(dispatcher=self)
        # all done
        return self

    def reopen(self):
        """
        Build a new kernel selector, armed with what my piles watch; returns the selector
        """
        # make one
        selector = selectors.DefaultSelector()
        self._selector = selector
        # the descriptors that still have handlers, e.g. left there when i was closed
        for key in set(self._read) | set(self._write):
            # carefully, since a descriptor may have been closed meanwhile
            try:
                # watch it again
                selector.register(key, events=self._interest(key=key))
            # if it is dead
            except (ValueError, OSError):
                # its handlers can never fire again; drop them
                self._read.pop(key, None)
                self._write.pop(key, None)
        # hand it over
        return selector

    def renew(self):
        """
        Start afresh in the child of a fork: a kernel selector of my own, no handlers and no
        alarms; what the parent had watched is the parent's business
        """
        # a new selector; the inherited one shares its kernel object with the parent
        self._selector = selectors.DefaultSelector()
        # nothing to watch, nothing in flight, nothing forgotten
        self._read = {}
        self._write = {}
        self._inflight = []
        self._forgotten.clear()
        # no alarms
        self._heap = []
        self._cancelled = 0
        # and no thread of a team's runs me here
        self.runner = None
        # all done
        return self

    def poll(self):
        """
        The number of seconds until the next live alarm is due; {None} when there is none
        """
        # get the heap
        heap = self._heap
        # drop the cancelled alarms sitting on top
        while heap and heap[0][2].handler is None:
            heapq.heappop(heap)
            self._cancelled -= 1
        # if nothing is left
        if not heap:
            # say so
            return None
        # otherwise, the time to the top
        return max(0.0, heap[0][0] - time.monotonic())

    def awaken(self):
        """
        Invoke the handlers of the alarms that came due
        """
        # get the heap
        heap = self._heap
        # and the time
        now = time.monotonic()
        # as long as the top is due
        while heap and heap[0][0] <= now:
            # pop it
            _, _, alarm = heapq.heappop(heap)
            # get the handler
            handler = alarm.handler
            # if the alarm was cancelled
            if handler is None:
                # one fewer to account for
                self._cancelled -= 1
                # move on
                continue
            # the alarm is spent, unless its handler asks for more
            alarm.handler = None
            # raise it; pyre's alarm handlers are handed the wall clock time
            interval = handler(timestamp=time.time())
            # if the handler wants to be called again
            if interval:
                # re-arm it
                alarm.handler = handler
                self._schedule(alarm=alarm, interval=interval)
        # all done
        return

    # meta-methods
    def __init__(self, **kwds):
        # chain up
        super().__init__(**kwds)
        # the alarms: a heap of (due, sequence, alarm); the sequence breaks ties in the order
        # the alarms were armed, and keeps the comparison away from the alarms themselves
        self._heap = []
        # the sequence numbers
        self._sequence = itertools.count()
        # the number of cancelled alarms still on the heap
        self._cancelled = 0
        # the loop that runs my passes for me, e.g. an asyncio loop through a {Bridge}; it hears
        # of every alarm armed, so it wakes up in time for it
        self.host = None
        # the thread of a team's own that runs me, if one does
        self.runner = None
        # all done
        return

    # implementation details
    def _discard(self, event, error):
        """
        A handler raised {error}, an {OSError}: it is dropped, and the journal hears of it, on
        the warning channel if the process ran out of something, since somebody must act on that
        """
        # a broken connection is routine; running out of descriptors or memory is not
        exhausted = error.errno in (errno.EMFILE, errno.ENFILE, errno.ENOMEM)
        channel = journal.warning("pyre.ipc.psl") if exhausted else journal.debug("pyre.ipc.psl")
        # say what happened
        channel.line(f"discarding a handler of {event.channel}")
        channel.line(f"after it raised {error}")
        channel.log()
        # the handler is not kept
        return False

    def _schedule(self, alarm, interval):
        """
        Put {alarm} on the heap, {interval} from now; returns it
        """
        # in seconds; a NaN on the heap would leave every alarm behind it out of order
        delay = seconds(interval)
        if not delay >= 0:
            raise ArgumentError(
                call="Dispatcher.alarm",
                argument="interval",
                value=interval,
                accepted="a number of seconds or a time, e.g. 500*ms, 0 or more; inf for never",
            )
        # an alarm that never goes off is as good as spent, and stays off the heap
        if delay == math.inf:
            alarm.handler = None
            return alarm
        # arm it
        return self._push(alarm=alarm, due=time.monotonic() + delay)

    def _push(self, alarm, due):
        """
        Put {alarm} on the heap at {due}
        """
        # get the heap
        heap = self._heap
        # cancelled alarms are dropped lazily; when they are most of the heap, rebuild it, so
        # its size stays proportional to the live alarms however many get cancelled
        if self._cancelled > 64 and 2 * self._cancelled > len(heap):
            # keep only the live ones
            heap[:] = [entry for entry in heap if entry[2].handler is not None]
            # restore the order
            heapq.heapify(heap)
            # and start counting afresh
            self._cancelled = 0
        # add it
        heapq.heappush(heap, (due, next(self._sequence), alarm))
        # a loop that runs my passes must wake up in time for it
        if self.host is not None:
            self.host.alarmed(due=due)
        # and hand it back
        return alarm


# conversions
def seconds(interval):
    """
    Convert {interval}, a number of seconds or a quantity with units of time, to a number of
    seconds; {nan} for anything else, which fails every comparison
    """
    # plain numbers are seconds already
    if isinstance(interval, (int, float)) and not isinstance(interval, bool):
        return float(interval)
    # quantities of time get converted
    try:
        value = interval / pyre.units.SI.second
    except Exception:
        return math.nan
    # a quantity of anything else does not convert to a number
    return float(value) if isinstance(value, (int, float)) else math.nan


# what a timeout may be
TIMEOUT = "None or inf to wait without limit, or a number of seconds, 0 or more; 0 looks without waiting"


def limit(value, call, argument="timeout", accepted=TIMEOUT):
    """
    Check {value}, the {argument} of {call}, a limit in seconds or a quantity of time: returns
    it in seconds, or {None} for no limit, which {None} and infinity mean; a negative one, NaN
    or anything that is not a time raises {ArgumentError}, which says what is {accepted}
    """
    # no limit
    if value is None:
        return None
    # in seconds; NaN for anything that is not a time, which fails the comparison below
    interval = seconds(value)
    if not interval >= 0:
        raise ArgumentError(call=call, argument=argument, value=value, accepted=accepted)
    # an infinite one is no limit
    return None if interval == math.inf else interval


# the stand-in for the kernel selector of a closed dispatcher
class Dormant:
    """
    What a closed dispatcher has in place of its kernel selector: it watches nothing and holds
    no descriptor; the first registration, or a wait with handlers in the piles, has the
    dispatcher build a new selector, which takes my place
    """

    # interface
    def register(self, fileobj, events, data=None):
        """
        Build the new selector and register {fileobj} with it
        """
        # build it; it watches what the piles hold, which may include {fileobj} already
        selector = self.dispatcher.reopen()
        # so register it, or settle the interest it already has
        try:
            selector.get_key(fileobj)
        except KeyError:
            return selector.register(fileobj, events, data)
        return selector.modify(fileobj, events, data)

    def get_key(self, fileobj):
        """
        Nothing is registered with me
        """
        raise KeyError(f"{fileobj!r} is not registered")

    # and so there is nothing to unregister
    unregister = get_key

    def fileno(self):
        """
        A loop that wants to watch the selector needs the new one
        """
        return self.dispatcher.reopen().fileno()

    def select(self, timeout=None):
        """
        Wait for {timeout} seconds; there is nothing to wait for unless the piles hold handlers,
        in which case the new selector waits for them
        """
        # get the dispatcher
        dispatcher = self.dispatcher
        # if it has handlers
        if dispatcher._read or dispatcher._write:
            # its new selector watches them
            return dispatcher.reopen().select(timeout=timeout)
        # otherwise, just wait, e.g. for the next alarm
        if timeout is not None and timeout > 0:
            time.sleep(timeout)
        # nothing happened
        return []

    def close(self):
        """
        There is nothing to let go of
        """
        return

    # meta-methods
    def __init__(self, dispatcher):
        # save the dispatcher i stand in for
        self.dispatcher = dispatcher
        # all done
        return


# the alarm handle
class Alarm:
    """
    An armed alarm; {cancel} takes it back
    """

    # interface
    def cancel(self):
        """
        Keep the alarm from going off; harmless on an alarm that already went off
        """
        # an alarm that is still armed
        if self.handler is not None:
            # is marked as one nobody wants any more
            self.handler = None
            # and counted, so the heap knows when to shed the dead weight
            self.owner._cancelled += 1
        # all done
        return

    # meta-methods
    def __init__(self, owner, handler):
        # save the dispatcher that holds me
        self.owner = owner
        # and the handler
        self.handler = handler
        # all done
        return

    # slots keep the many alarms of a busy team small
    __slots__ = ("owner", "handler")


# end of file
