# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import codecs
import io
import os
import select
import sys
import time

# my parts
from .Detour import Detour


# declaration
class Echo:
    """
    The team side of what workers print

    With {forward}, every complete line a crew wrote goes to the team's own stream of the same
    kind, tagged with the crew's host and process id, in the order the crew wrote it; a line
    cut short by a crew's end is finished when the crew is buried. With {capture}, what a task
    printed is kept on its future, as its {stdout} and {stderr}; what was printed between tasks
    is forwarded. While a progress display is up, lines go around it rather than through it.
    What a crew writes is UTF-8 to me, decoded as a stream, so a character whose bytes arrive
    in different frames stays whole

    The team's event loop never waits for its own streams: lines go out only as fast as the
    streams take them without blocking, and the rest waits here. A stream that took nothing for
    {patience} seconds while more than {backlog} bytes wait for it is not read: what comes for
    it then is dropped, counted, and said so, until it takes something again
    """

    # what workers may be asked to do with their output
    modes = ("forward", "capture", "discard")
    # the most output that waits for a stream nobody reads
    backlog = 8 * 1024 * 1024
    # how long a stream may take nothing of what waits for it before it counts as not read
    patience = 0.5
    # the decoder of what a crew writes to one of its streams
    decoder = codecs.getincrementaldecoder("utf-8")
    # the most written at once: a pipe that says it has room takes this much without blocking
    atom = select.PIPE_BUF

    # interface
    def hear(self, crew, tid, stream, data):
        """
        {crew} wrote {data} to {stream} while running the task {tid}
        """
        # in capture mode
        if self.mode == "capture":
            # find the task; it is in flight, usually at the head
            task = crew.find(tid)
            if task is not None:
                # and keep it there, as it came: the task's bytes are all its own
                task.add_output(stream=stream, data=data)
                return
        # otherwise, decode it after what the crew wrote to that stream before
        key = (crew, stream)
        decoder = self.decoders.get(key)
        if decoder is None:
            decoder = self.decoders[key] = self.decoder(errors="replace")
        text = decoder.decode(data)
        # the pieces of the line it is writing, put together once the line ends, so a long
        # line costs its length, not its length times the number of its pieces
        pieces = self.fragments.setdefault(key, [])
        end = text.rfind("\n")
        # if the line goes on
        if end < 0:
            # keep the piece, if there is one
            if text:
                pieces.append(text)
            return
        # otherwise, finish it, along with whatever complete lines came with it
        pieces.append(text[:end])
        lines = "".join(pieces).split("\n")
        # keep the start of the next one
        pieces.clear()
        if end + 1 < len(text):
            pieces.append(text[end + 1 :])
        # and show the complete ones
        self.show(crew=crew, stream=stream, lines=lines)
        # all done
        return

    def close(self, crew):
        """
        {crew} is gone: show what it left unfinished
        """
        # for each stream
        for stream in (1, 2):
            # the pieces of the line it was writing, and the bytes of a character it cut short
            pieces = self.fragments.pop((crew, stream), [])
            decoder = self.decoders.pop((crew, stream), None)
            if decoder is not None:
                pieces.append(decoder.decode(b"", final=True))
            # if there is something
            partial = "".join(pieces)
            if partial:
                # show it as a line
                self.show(crew=crew, stream=stream, lines=[partial])
        # all done
        return

    def show(self, crew, stream, lines):
        """
        Write {lines} of {crew} to my own {stream}, tagged
        """
        # the tag
        tag = f"[{crew.host}:{crew.pid}] "
        text = "".join(f"{tag}{line}\n" for line in lines)
        # the stream
        target = sys.stdout if stream == 1 else sys.stderr
        # around a progress display that is up on the stream's terminal, whole, apart from
        # the line the program is in the middle of
        if isinstance(target, Detour):
            target.interject(text)
            return
        # the descriptor behind the stream, if it has one
        try:
            fd = target.fileno()
        # if it doesn't, e.g. a buffer in memory, it never blocks
        except (AttributeError, ValueError, io.UnsupportedOperation):
            target.write(text)
            return
        # what i print goes after what the team printed itself
        target.flush()
        # what waits for the stream; its clock starts when something does
        waiting = self.waiting.setdefault(fd, bytearray())
        now = time.monotonic()
        if not waiting:
            self.taken[fd] = now
        # queue it, unless the stream is not read and too much is waiting already
        data = text.encode(errors="replace")
        if len(waiting) + len(data) > self.backlog and now - self.taken[fd] > self.patience:
            # say so, once per stall
            if not self.dropped.get(fd):
                self.notice(f"nobody reads descriptor {fd}: output of the crews is being dropped")
            self.dropped[fd] = self.dropped.get(fd, 0) + len(data)
            return
        waiting += data
        # and write what the stream takes
        self.write(fd=fd)
        # all done
        return

    def write(self, fd):
        """
        Write to {fd} what waits for it, as much as it takes without blocking
        """
        # what waits; nothing, if {finish} dealt with it meanwhile
        waiting = self.waiting.get(fd)
        if waiting is None:
            return
        # a poll of the descriptor alone
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        # as long as there is something to write and room for it
        size = len(waiting)
        try:
            while waiting and poller.poll(0):
                written = os.write(fd, waiting[: self.atom])
                del waiting[:written]
        # a stream that is gone takes nothing more, ever
        except OSError:
            waiting.clear()
        # a stream that took something is read
        if len(waiting) < size:
            self.taken[fd] = time.monotonic()
        # if something is left
        if waiting:
            # write more as soon as there is room, unless that is arranged already
            if fd not in self.pending:
                self.pending[fd] = stream = Stream(fd=fd)
                self.dispatcher.whenWriteReady(channel=stream, call=self.ready)
            return
        # otherwise, the stream is keeping up: stop watching it
        self.forget(fd=fd)
        # and say what was lost while it wasn't
        lost = self.dropped.pop(fd, 0)
        if lost:
            self.notice(f"{lost} bytes of the output of the crews were dropped while nobody read descriptor {fd}")
        # all done
        return

    def finish(self, patience=2.0):
        """
        My team is done: give the streams {patience} seconds to take what waits for them, and
        drop the rest
        """
        # when to give up
        expiration = time.monotonic() + patience
        # go through the streams that are behind
        for fd in list(self.waiting):
            # wait for room, and write, until done or out of time
            poller = select.poll()
            poller.register(fd, select.POLLOUT)
            while self.waiting[fd] and poller.poll(max(0, expiration - time.monotonic()) * 1000):
                self.write(fd=fd)
                if time.monotonic() > expiration:
                    break
            # my event loop need not watch it any more
            self.forget(fd=fd)
            # what is left is lost
            self.taken.pop(fd, None)
            lost = len(self.waiting.pop(fd)) + self.dropped.pop(fd, 0)
            if lost:
                self.notice(f"{lost} bytes of the output of the crews were dropped: nobody read descriptor {fd}")
        # all done
        return

    def notice(self, text):
        """
        Say {text} on the standard error, if it takes it now: a stalled stream is what the
        notices are about, so they never wait; not the journal, whose devices block
        """
        # a poll of the standard error alone
        poller = select.poll()
        poller.register(2, select.POLLOUT)
        # if there is room for a short line, which a pipe then takes whole
        try:
            if poller.poll(0):
                os.write(2, f"pyre_nexus: {text}\n".encode()[: self.atom])
        # a standard error that is gone hears nothing
        except OSError:
            pass
        # all done
        return

    def ready(self, channel):
        """
        The stream of {channel} has room: write more to it

        N.B.: this is an event handler; careful with its return value
        """
        # write
        self.write(fd=channel.outbound)
        # and keep watching while something is left
        return self.pending.get(channel.outbound) is channel

    def forget(self, fd):
        """
        Stop watching {fd} for room
        """
        # if i am watching it
        stream = self.pending.pop(fd, None)
        if stream is not None:
            # stop
            self.dispatcher.forget(stream)
        # all done
        return

    # meta-methods
    def __init__(self, mode, dispatcher, **kwds):
        # chain up
        super().__init__(**kwds)
        # what to do with the output
        self.mode = mode
        # the event loop that tells me when a full stream has room
        self.dispatcher = dispatcher
        # the decoders and the pieces of the partial lines, by crew and stream
        self.decoders = {}
        self.fragments = {}
        # the bytes waiting for each descriptor, when it last took some, its watch by my event
        # loop while it is full, and the bytes dropped from it while it was stalled
        self.waiting = {}
        self.taken = {}
        self.pending = {}
        self.dropped = {}
        # all done
        return


class Stream:
    """
    The team's stream at {fd}, as a channel my event loop watches for room; it is never read,
    nor closed here
    """

    # meta-methods
    def __init__(self, fd):
        # the descriptor, as both ends, which is how the event loop knows it
        self.inbound = self.outbound = fd
        # all done
        return


# end of file
