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


# declaration
class Gauge:
    """
    A progress display over a batch of futures, on a terminal: how many are done and how many
    failed, the rate, and the time left

    It is drawn by {tqdm}, which redraws at most a few times a second, so a batch of tiny
    tasks does not pay for it; it counts futures as their outcomes arrive, through their done
    callbacks, so it moves whatever waits for the futures
    """

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

    def write(self, text, stream):
        """
        Write {text} to {stream} without tearing the bar
        """
        # clear the bar, write, and redraw it
        self.bar.write(text, file=stream, end="")
        # all done
        return

    def close(self):
        """
        Take the display down, leaving its last state on the terminal
        """
        self.bar.close()
        # all done
        return

    # meta-methods
    def __init__(self, futures, label, stream=None, **kwds):
        # chain up
        super().__init__(**kwds)
        # the failures so far
        self.failed = 0
        # where to draw
        stream = sys.stderr if stream is None else stream
        # a terminal that knows its size is followed as it changes; one that says it has none,
        # e.g. a fresh pseudo-terminal, gets the usual size, or it hides the bar
        size = self.size(stream)
        # the bar
        self.bar = tqdm.tqdm(
            total=len(futures),
            desc=label,
            unit="task",
            file=stream,
            dynamic_ncols=size is None,
            ncols=size and size.columns,
            nrows=size and size.lines,
            smoothing=0.1,
        )
        # count the futures as they finish; the ones done already count right away
        for future in futures:
            future.add_done_callback(self.count)
        # all done
        return


# end of file
