# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import os
import select
import sys
import threading

# my parts
from .Wire import Wire


# declaration
class Output:
    """
    What a worker writes to its standard output and error, sent to its team or discarded

    The worker's descriptors 1 and 2 become pipes, so everything that writes there is caught:
    {print}, the journal, C code, the processes its tasks start. A thread of mine reads the
    pipes as they fill and posts what it read as {OUTPUT} frames, marked with the task that is
    running, so a long task's lines arrive while it runs; {drain} takes what is left before a
    task is reported, so a task's output always precedes its report. The thread never blocks
    the worker: while the team does not read, what it read waits in the wire's outbox, up to
    {backlog} bytes, and then the pipes fill up and the writers wait, not the team. With
    {discard}, the descriptors point at the void instead, and nothing travels.

    Python's own {sys.stdout} and {sys.stderr} are rebuilt over the descriptors, since a forked
    worker inherits whatever its team had there, e.g. a test runner's capture
    """

    # the standard descriptors, by the stream number their frames carry
    streams = (1, 2)
    # how much unsent output may wait in the wire before the pipes are left to fill up
    backlog = 8 * 1024 * 1024
    # the most read in one go
    chunk = 64 * 1024

    # interface
    def start(self):
        """
        Redirect my descriptors and, unless i discard, start reading them
        """
        # what goes to the descriptors from now on is mine, so flush what was written before
        self._flush()
        # the void, if that is where things go
        void = os.open(os.devnull, os.O_WRONLY) if self.discard else None
        # for each stream
        for number in self.streams:
            # keep the original, to put it back when i stop
            self.saved[number] = os.dup(number)
            # the void takes the place of the descriptor
            if void is not None:
                os.dup2(void, number)
                continue
            # or a pipe does
            reader, writer = os.pipe()
            os.dup2(writer, number)
            os.close(writer)
            # never block reading it, since the thread and {drain} share it
            os.set_blocking(reader, False)
            os.set_inheritable(reader, False)
            self.pipes[reader] = number
            self.poller.register(reader, select.POLLIN)
        # the python streams write to the descriptors, a line at a time, as on a terminal
        self.python = (sys.stdout, sys.stderr)
        sys.stdout, sys.stderr = (self._text(number) for number in self.streams)
        # if discarding
        if void is not None:
            # that's all
            os.close(void)
            return self
        # otherwise, read in the background, until woken to stop
        self.wake = os.eventfd(0, os.EFD_CLOEXEC)
        self.thread = threading.Thread(target=self._watch, name="pyre_nexus.output", daemon=True)
        self.thread.start()
        # all done
        return self

    def drain(self):
        """
        Post whatever was written so far
        """
        # get what the streams hold to the pipes
        self._flush()
        # under my guard, even when the pipes are empty: my thread may have just read the last
        # of them, and what it posts must go out before anything my caller posts after me, e.g.
        # the report of the task that printed it
        with self.guard:
            # most tasks print nothing: one look at the pipes says so, without reading them
            if self.poller.poll(0):
                # take what is there to the wire
                self._read(list(self.pipes))
        # all done
        return

    def stop(self):
        """
        Post what is left, put my descriptors back and close the pipes
        """
        # if i never started, or stopped already
        if not self.saved:
            # there is nothing to do
            return
        # take what is left
        self.drain()
        # if there is a thread
        if self.thread is not None:
            # wake it and wait for it, briefly: it may be waiting for a slow team
            os.eventfd_write(self.wake, 1)
            self.thread.join(timeout=1.0)
        # then, so the thread is not reading what i close
        with self.guard:
            # put the originals back
            for number, original in self.saved.items():
                os.dup2(original, number)
                os.close(original)
            self.saved.clear()
            # and close the pipes
            for reader in self.pipes:
                os.close(reader)
            self.pipes.clear()
        # and the python streams
        sys.stdout, sys.stderr = self.python
        # a thread that is gone needs no waking
        if self.thread is not None and not self.thread.is_alive():
            os.close(self.wake)
        # all done
        return

    # meta-methods
    def __init__(self, crew, discard=False, **kwds):
        # chain up
        super().__init__(**kwds)
        # the crew whose output i send, and whose wire carries it
        self.crew = crew
        # whether to throw it away instead
        self.discard = discard
        # the read ends of the pipes, and the stream of each
        self.pipes = {}
        # the original descriptors, and python streams
        self.saved = {}
        self.python = None
        # the pipes, as a poll set, to tell at a glance whether they hold anything
        self.poller = select.poll()
        # reading a pipe and posting what came is one step, so frames keep the order of writes
        self.guard = threading.Lock()
        # my thread, and the way {stop} wakes it
        self.thread = None
        self.wake = None
        # all done
        return

    # implementation details
    def _watch(self):
        """
        The thread: post what arrives on the pipes, until they close
        """
        # the descriptor of the channel, to wait for when the team reads slowly
        channel = Wire._descriptor(self.crew.channel.outbound)
        # carefully, since the channel may close under me
        try:
            # as long as i have pipes
            while self.pipes:
                # wait for something to read
                ready, _, _ = select.select([*self.pipes, self.wake], [], [])
                # if i'm asked to stop
                if self.wake in ready:
                    break
                # read a chunk of each and post it, so a busy writer can't keep me from checking
                # on the team
                with self.guard:
                    self._read([reader for reader in ready if reader in self.pipes], once=True)
                # if the team is behind, wait until it catches up rather than hoard
                wire = self.crew.wire
                while wire is not None and wire.posted - wire.sent > self.backlog:
                    select.select([], [channel], [], 1.0)
                    wire.flush()
        # a closed channel means i'm done
        except (OSError, ValueError):
            pass
        # all done
        return

    def _read(self, readers, once=False):
        """
        Read what is in the pipes among {readers}, or just a chunk of each if {once}, and post
        it; the caller holds my guard
        """
        # the wire, if the crew still has one
        wire = self.crew.wire
        # the task running now
        tid = self.crew.current
        # go through them
        for reader in readers:
            # get the stream
            stream = self.pipes.get(reader)
            if stream is None:
                continue
            # read as much as there is
            while True:
                try:
                    data = os.read(reader, self.chunk)
                except BlockingIOError:
                    break
                # a pipe with no writers left, e.g. a task closed its descriptor, never speaks
                # again: stop watching it, or the thread would spin on its end
                if not data:
                    self.poller.unregister(reader)
                    del self.pipes[reader]
                    os.close(reader)
                    break
                # and post it, if there is a wire to carry it
                if wire is not None:
                    wire.post(kind=Wire.OUTPUT, tid=tid, first=stream, body=data)
                # one chunk may be enough
                if once:
                    break
        # send it
        if wire is not None:
            wire.flush()
        # all done
        return

    @staticmethod
    def _text(number):
        """
        A python text stream over the descriptor {number}, line buffered
        """
        return open(number, "w", buffering=1, errors="backslashreplace", closefd=False)

    @staticmethod
    def _flush():
        """
        Flush the python streams to their descriptors
        """
        # both of them
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (AttributeError, ValueError, OSError):
                pass
        # all done
        return


# end of file
