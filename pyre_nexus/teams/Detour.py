# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import os

# the progress bar
import tqdm


# declaration
class Detour:
    """
    The standard {stream} of the program, at {slot} in {sys}, while a {gauge} is up on its
    terminal: complete lines go above the bar, and a line in progress waits for its end

    A worker forked meanwhile inherits me, but not the bar: it writes straight through, as
    everybody does once the bar is down
    """

    # interface
    def write(self, text):
        """
        Write {text}: the lines it completes go above the bar
        """
        # a worker forked while the bar was up writes straight through: the bar, and the lock
        # that guards it, are the team's
        if os.getpid() != self.pid:
            return self.stream.write(text)
        # under the lock of {tqdm}, which the display takes to come down, so lines from several
        # threads stay whole and none is left with me once the bar is gone
        with tqdm.tqdm.get_lock():
            # with no bar to go around, write straight through
            if self.gauge is None:
                return self.stream.write(text)
            # if the line goes on
            end = text.rfind("\n")
            if end < 0:
                # keep the piece
                self.pieces.append(text)
                return len(text)
            # otherwise, finish it, along with whatever complete lines came with it
            self.pieces.append(text[: end + 1])
            lines = "".join(self.pieces)
            # keep the start of the next one
            self.pieces.clear()
            if end + 1 < len(text):
                self.pieces.append(text[end + 1 :])
            # and write the complete ones
            self.gauge.write(text=lines, stream=self.stream)
        # all done
        return len(text)

    def writelines(self, lines):
        """
        Write each of {lines}
        """
        for line in lines:
            self.write(line)
        # all done
        return

    def interject(self, text):
        """
        Write {text}, whole lines from elsewhere, e.g. a crew, above the bar, apart from the
        line the program is in the middle of
        """
        # with no bar to go around, write straight through
        if self.gauge is None:
            self.stream.write(text)
            return
        # otherwise, go around it
        self.gauge.write(text=text, stream=self.stream)
        # all done
        return

    def flush(self):
        """
        Flush my stream; a line in progress stays with me, since the bar holds its place
        """
        return self.stream.flush()

    def release(self):
        """
        The bar is down: write the line in progress, and everything after it, straight through
        """
        # no more going around
        self.gauge = None
        # what was kept goes out
        if self.pieces:
            self.stream.write("".join(self.pieces))
            self.pieces.clear()
        # all done
        return

    # meta-methods
    def __init__(self, gauge, slot, stream, **kwds):
        # chain up
        super().__init__(**kwds)
        # the display to go around, and the process that has it
        self.gauge = gauge
        self.pid = os.getpid()
        # the stream, and where {sys} keeps it
        self.slot = slot
        self.stream = stream
        # the pieces of the line being written
        self.pieces = []
        # all done
        return

    def __getattr__(self, name):
        # everything else is the stream's: its descriptor, encoding, whether it is a terminal
        return getattr(self.stream, name)


# end of file
