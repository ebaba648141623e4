# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import collections
import signal
import threading
import weakref


# declaration
class Interrupts:
    """
    SIGINT and SIGTERM, held while an event loop runs its handlers

    Python raises {KeyboardInterrupt} wherever the main thread happens to be; in the middle of
    a handler that is settling a task, that would leave the task without an outcome. So while
    handlers run, a signal is only noted, and raised when the pass is over, where nothing is half
    done; between passes, e.g. while the loop waits, it is raised at once. SIGTERM becomes
    {SystemExit}, so it unwinds through the exit handlers as Ctrl-C does. Once the last team
    that took the signals over is done, they get back the handling they had
    """

    # what the passes of each thread share: how many of them are running their handlers, which
    # a dispatcher counts up as it starts them, the calls those handlers put off, and the signal
    # that arrived meanwhile; per thread, since a team may run its loop in a thread of its own
    # while the main thread runs another, and a signal, which only the main thread hears, waits
    # only for the main thread's handlers
    thread = None
    # the handlers i replaced, by signal, and the teams that need me
    replaced = {}
    holders = weakref.WeakSet()

    # interface
    @classmethod
    def install(cls, team):
        """
        Take over SIGINT and SIGTERM for {team}, unless the application handles them itself or
        this is not the main thread, which alone may
        """
        # only the main thread may set handlers
        if threading.current_thread() is not threading.main_thread():
            return
        # the team needs me until it is done
        cls.holders.add(team)
        # take over the signals that still have python's default handling
        for number, default in ((signal.SIGINT, signal.default_int_handler), (signal.SIGTERM, signal.SIG_DFL)):
            if signal.getsignal(number) == default:
                cls.replaced[number] = signal.signal(number, cls.handle)
        # all done
        return

    @classmethod
    def uninstall(cls, team):
        """
        {team} is done; if it was the last one that needed me, give SIGINT and SIGTERM back the
        handling they had, unless the application has handled them itself since
        """
        # one fewer
        cls.holders.discard(team)
        # if others still need me, or this is not the main thread, which alone may set handlers
        if cls.holders or threading.current_thread() is not threading.main_thread():
            # leave the handlers in place
            return
        # put back the ones i replaced, where mine is still in place
        for number, handler in cls.replaced.items():
            if signal.getsignal(number) == cls.handle:
                signal.signal(number, handler)
        # and forget them
        cls.replaced.clear()
        # all done
        return

    @classmethod
    def release(cls, raising=True):
        """
        A pass has run its handlers; raise what arrived meanwhile, unless told not to, e.g.
        because another exception is on its way out
        """
        # one fewer
        passes = cls.thread
        passes.depth -= 1
        # if the last pass is over and a signal is waiting
        if raising and passes.depth == 0 and passes.pending is not None:
            # raise it
            number, passes.pending = passes.pending, None
            cls.interrupt(number)
        # all done
        return

    @classmethod
    def handle(cls, number, frame):
        """
        The signal handler: note {number} while handlers run, raise it otherwise
        """
        # while handlers run; the handler runs in the main thread, so these are its passes
        passes = cls.thread
        if passes.depth:
            # note it
            passes.pending = number
            return
        # otherwise, raise it
        cls.interrupt(number)

    @staticmethod
    def interrupt(number):
        """
        Raise what signal {number} means
        """
        # Ctrl-C
        if number == signal.SIGINT:
            raise KeyboardInterrupt()
        # anything else ends the process, through its exit handlers, with the status the
        # signal would have given it
        raise SystemExit(128 + number)


# the state of the passes of each thread
class Passes(threading.local):
    """
    What the passes of the event loops that one thread runs share
    """

    # meta-methods
    def __init__(self):
        # how many of them are running their handlers
        self.depth = 0
        # the calls put off until the handlers of the pass that is running are done; shared by
        # every loop of the thread, since a handler of one may settle the futures of a team on
        # another
        self.later = collections.deque()
        # the signal that arrived while they ran, which only the main thread hears
        self.pending = None
        # all done
        return


# one per thread
Interrupts.thread = Passes()


# end of file
