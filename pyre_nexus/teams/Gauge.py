# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import os
import shutil
import sys

# the progress bar
import tqdm

# my parts
from .Detour import Detour


# declaration
class Gauge:
    """
    A progress display over a batch of futures, on a terminal: how many are done and how many
    failed, the rate, and the time left

    It is drawn by {tqdm}, which redraws at most a few times a second, so a batch of tiny
    tasks does not pay for it; it counts futures as their outcomes arrive, through their done
    callbacks, so it moves whatever waits for the futures. It shows up only once the work has
    taken {delay} seconds, so a batch that is over before then leaves nothing on the terminal.
    A process has one terminal, so it has at most one display up. While it is up, what the
    program writes to its standard output and error, where they go to a terminal, goes above
    the bar, a whole line at a time; a line still being written waits for its end, or for the
    display to come down
    """

    # how long the work goes before the bar shows up: long enough that a batch of quick tasks,
    # over before anyone could read a bar, leaves none behind, and short enough that the wait
    # gets one about when it starts to feel like a wait
    delay = 0.5
    # the display that is up in this process, if any
    current = None

    # interface
    @classmethod
    def wanted(cls, stream=None):
        """
        Whether a display belongs on {stream}, standard error by default: only on a terminal
        """
        # get the stream
        stream = sys.stderr if stream is None else stream
        # and ask it
        try:
            return stream.isatty()
        except (AttributeError, ValueError):
            return False

    @staticmethod
    def size(stream):
        """
        The size to draw for on {stream}: {None} to follow the terminal, which knows its own
        """
        # ask the terminal
        try:
            size = os.get_terminal_size(stream.fileno())
        except (AttributeError, ValueError, OSError):
            size = None
        # if it knows, follow it; otherwise, use what the environment says, or the usual
        return None if size and size.columns and size.lines else shutil.get_terminal_size()

    def count(self, future):
        """
        One more of my futures is done

        N.B.: this is a done callback
        """
        # a failure or a cancellation
        if future.cancelled() or future.failed():
            # is counted apart
            self.failed += 1
            self.bar.set_postfix_str(f"{self.failed} failed", refresh=False)
        # move the bar
        self.bar.update(1)
        # all done
        return

    def show(self, timestamp):
        """
        The work has taken {delay} seconds: draw the bar, even if no future finished since

        N.B.: this is an alarm handler; returning {None} keeps it from being rescheduled
        """
        # an update by nothing draws a bar that is due and was not drawn yet
        self.bar.update(0)
        # {tqdm} tells the time by the wall clock, which may be a hair behind my event loop's:
        # try again shortly, unless the bar is drawn, or never will be, e.g. on a terminal gone
        return None if self.drawn() or self.bar.disable else self.delay / 10

    def drawn(self):
        """
        Whether the bar is on the terminal
        """
        # as {tqdm} decides it when it closes the bar
        return self.bar.last_print_t >= self.bar.start_t + self.bar.delay

    def write(self, text, stream):
        """
        Write {text}, whole lines, to {stream} above the bar
        """
        # under the lock of {tqdm}, so nothing draws meanwhile
        with self.bar.get_lock():
            # a bar on the terminal steps aside, and comes back under the text
            drawn = self.drawn()
            if drawn:
                self.bar.clear(nolock=True)
                self.bar.fp.flush()
            stream.write(text)
            stream.flush()
            if drawn:
                self.bar.refresh(nolock=True)
        # all done
        return

    def close(self):
        """
        Take the display down, leaving its last state on the terminal, if it was drawn, and
        give the program its streams back
        """
        # the bar needs drawing no more
        self.alarm.cancel()
        # under the lock of {tqdm}, so nothing writes between the bar and the streams
        with self.bar.get_lock():
            # take the bar down
            try:
                self.bar.close()
            # and give the streams back, even if the terminal took no more of it
            finally:
                # unless the program replaced them meanwhile; a detour it still holds writes
                # straight through from now on
                for detour in self.detours:
                    if getattr(sys, detour.slot) is detour:
                        setattr(sys, detour.slot, detour.stream)
                    detour.release()
                # and there is room for another display
                Gauge.current = None
        # all done
        return

    # meta-methods
    def __init__(self, futures, label, dispatcher, stream=None, **kwds):
        # chain up
        super().__init__(**kwds)
        # the failures so far
        self.failed = 0
        # where to draw
        stream = sys.stderr if stream is None else stream
        # a terminal that knows its size is followed as it changes; one that says it has none,
        # e.g. a fresh pseudo-terminal, gets the usual size, or it hides the bar
        size = self.size(stream)
        # the bar, drawn by {tqdm} when a future finishes after the delay
        self.bar = tqdm.tqdm(
            total=len(futures),
            desc=label,
            unit="task",
            file=stream,
            dynamic_ncols=size is None,
            ncols=size and size.columns,
            nrows=size and size.lines,
            smoothing=0.1,
            delay=self.delay,
        )
        # or by {dispatcher}, the event loop that finishes them, when none does
        self.alarm = dispatcher.alarm(interval=self.delay, call=self.show)
        # the standard streams that go to a terminal take their lines above the bar
        self.detours = [
            Detour(gauge=self, slot=slot, stream=getattr(sys, slot))
            for slot in ("stdout", "stderr")
            if self.wanted(getattr(sys, slot))
        ]
        for detour in self.detours:
            setattr(sys, detour.slot, detour)
        # i am the display of this process
        Gauge.current = self
        # count the futures as they finish; the ones done already count right away
        for future in futures:
            future.add_done_callback(self.count)
        # all done
        return


# end of file
