# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import io
import os
import select
import sys
import time


# declaration
class Echo:
    """
    The team side of what workers print

    With {forward}, every complete line a crew wrote goes to the team's own stream of the same
    kind, tagged with the crew's host and process id, in the order the crew wrote it; a line
    cut short by a crew's end is finished when the crew is buried. With {capture}, what a task
    printed is kept on its future, as its {stdout} and {stderr}; what was printed between tasks
    is forwarded. While a progress display is up, lines go around it rather than through it.

    The team's event loop never waits for its own streams: lines go out only as fast as the
    streams take them without blocking, the rest waits here, up to {backlog} bytes a stream,
    and what comes beyond that while nobody reads is dropped, counted, and said so
    """

    # what workers may be asked to do with their output
    modes = ("forward", "capture", "discard")
    # the most output that waits for a stream nobody reads
    backlog = 8 * 1024 * 1024
    # the most written at once: a pipe that says it has room takes this much without blocking
    atom = select.PIPE_BUF
    # how often to try again a stream that was full, in seconds
    retry = 0.05

    # interface
    def hear(self, crew, tid, stream, data):
        """
        {crew} wrote {data} to {stream} while running the task {tid}
        """
        # in capture mode
        if self.mode == "capture":
            # find the task; it is in flight, usually at the head
            for task in crew.inflight:
                if task.tid == tid:
                    # and keep it there
                    task.add_output(stream=stream, text=data.decode(errors="replace"))
                    return
        # otherwise, add it to what the crew wrote to that stream
        key = (crew, stream)
        text = self.fragments.pop(key, "") + data.decode(errors="replace")
        # split off the complete lines
        complete, _, partial = text.rpartition("\n")
        # keep the rest for later
        if partial:
            self.fragments[key] = partial
        # and show the lines
        if complete:
            self.show(crew=crew, stream=stream, lines=complete.split("\n"))
        # all done
        return

    def close(self, crew):
        """
        {crew} is gone: show what it left unfinished
        """
        # for each stream
        for stream in (1, 2):
            # if there is a fragment
            partial = self.fragments.pop((crew, stream), None)
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
        # around a progress display, if there is one
        if self.gauge is not None:
            self.gauge.write(text=text, stream=target)
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
        # queue it, unless too much is waiting already
        waiting = self.waiting.setdefault(fd, bytearray())
        data = text.encode(errors="replace")
        if len(waiting) + len(data) > self.backlog:
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
        try:
            while waiting and poller.poll(0):
                written = os.write(fd, waiting[: self.atom])
                del waiting[:written]
        # a stream that is gone takes nothing more, ever
        except OSError:
            waiting.clear()
        # if something is left
        if waiting:
            # try again soon, unless that is arranged already
            if fd not in self.pending:
                self.pending[fd] = self.dispatcher.alarm(interval=self.retry, call=self.resume(fd))
            return
        # otherwise, the stream is keeping up: say what was lost while it wasn't
        self.pending.pop(fd, None)
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
            # the alarm that retries it is not needed any more
            alarm = self.pending.pop(fd, None)
            if alarm is not None:
                alarm.cancel()
            # wait for room, and write, until done or out of time
            poller = select.poll()
            poller.register(fd, select.POLLOUT)
            while self.waiting[fd] and poller.poll(max(0, expiration - time.monotonic()) * 1000):
                self.write(fd=fd)
                # {write} may have armed an alarm again
                alarm = self.pending.pop(fd, None)
                if alarm is not None:
                    alarm.cancel()
                if time.monotonic() > expiration:
                    break
            # what is left is lost
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

    def resume(self, fd):
        """
        Make the alarm handler that writes more to {fd}
        """
        # the handler
        def handler(timestamp):
            # forget the alarm, which is done after this
            self.pending.pop(fd, None)
            # and write
            self.write(fd=fd)
            # done; {write} arms another one if it must
            return None

        # all done
        return handler

    # meta-methods
    def __init__(self, mode, dispatcher, **kwds):
        # chain up
        super().__init__(**kwds)
        # what to do with the output
        self.mode = mode
        # the event loop whose alarms retry full streams
        self.dispatcher = dispatcher
        # the partial lines, by crew and stream
        self.fragments = {}
        # the bytes waiting for each descriptor, the alarms that retry them, and the bytes
        # dropped from each while it was stalled
        self.waiting = {}
        self.pending = {}
        self.dropped = {}
        # the progress display that is up, if any
        self.gauge = None
        # all done
        return


# end of file
