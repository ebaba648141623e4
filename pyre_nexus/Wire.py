# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import fcntl
import mmap
import os
import socket
import ssl
import struct

# my parts
from .Segment import Segment


# declaration
class Wire:
    """
    Framed, buffered, non-blocking traffic over a {pyre.ipc} channel

    Every message is a frame: a fixed header (body length, task id, kind and two status bytes)
    followed by the body. {post} queues frames and {flush} writes as much of the queue as the
    channel takes in one gathered system call, so a burst of tasks or reports costs one write;
    {pull} reads what has arrived and {frames} yields the complete frames in it. Nothing here
    ever blocks, so a peer that stalls mid-message cannot freeze the event loop, and a large
    message moves in as many pieces as the channel needs
    """

    # the header: body length, task id, kind, two status bytes
    header = struct.Struct("<QQBBB")
    # the size of a read when nothing in particular is expected
    chunk = 256 * 1024
    # bodies at least this big are read in place, rather than through the inbox
    large = 1024 * 1024
    # the most buffers one gathered write takes
    gather = 512
    # the capacity asked of pipes; linux grants up to /proc/sys/fs/pipe-max-size
    pipesize = 1024 * 1024
    # bodies at least this big travel in shared memory, when there is a side channel for it
    shared = 1024 * 1024
    # the bit of the kind that marks a frame whose body is in shared memory
    SHARED = 0x80
    # how long to wait for a descriptor that a frame announced, in seconds
    patience = 10.0

    # what a channel that would block raises; TLS sockets have their own
    blocked = (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError)

    # message kinds, team to worker
    TASK = 1
    REVOKE = 2
    QUIT = 3
    SETUP = 4
    CAPTURE = 5
    # worker to team
    READY = 16
    REPORT = 17
    BEAT = 18
    OUTPUT = 19
    PROGRESS = 20
    RELEASE = 21

    # interface
    def post(self, kind, tid=0, first=0, second=0, body=b""):
        """
        Queue a frame for writing; the body is a bytes-like object, or a list of them that are
        sent one after the other without being joined
        """
        # the common case: one piece of bytes
        if type(body) is bytes:
            # count it
            size = len(body)
            self.posted += self.header.size + size
            # queue the header
            self.outbox.append(self.header.pack(size, tid, kind, first, second))
            # and the body, if there is one
            if body:
                self.outbox.append(body)
            # all done
            return
        # a body that is in shared memory already
        if type(body) is Segment:
            # goes as its descriptor, if there is a side channel for it
            if self.side is not None:
                return self.lend(kind=kind, tid=tid, first=first, second=second, fd=body.fd)
            # or else as its contents
            body = body.view
        # otherwise, flatten the pieces to bytes, so partial writes can be counted in bytes
        pieces = [memoryview(piece).cast("B") for piece in (body if isinstance(body, list) else [body])]
        # the size of the body
        size = sum(len(piece) for piece in pieces)
        # a large body, with a side channel to pass descriptors, goes through an anonymous shared
        # memory file, unless the system can't provide one: the file goes over the side channel,
        # the frame that announces it over the channel, with no body; it has no name, so nothing
        # is left behind, whoever dies, since the kernel frees it with the last descriptor and
        # mapping
        if size >= self.shared and self.side is not None:
            segment = Segment.fill(pieces)
            if segment is not None:
                # my copy of its descriptor goes with the segment, once it is sent
                return self.lend(kind=kind, tid=tid, first=first, second=second, fd=segment.fd)
        # count it
        self.posted += self.header.size + size
        # queue the header
        self.outbox.append(self.header.pack(size, tid, kind, first, second))
        # and the pieces
        self.outbox.extend(piece for piece in pieces if piece)
        # all done
        return

    def flush(self):
        """
        Write as much of the queue as the channel takes; {True} when the queue is empty
        """
        # get the queue
        outbox = self.outbox
        # as long as there is something to write
        while outbox:
            # write as many buffers as one call takes; a short write means the channel is full
            buffers = outbox[: self.gather]
            try:
                written = self._send(buffers)
            except self.blocked:
                # try again when the channel is ready
                return False
            # drop what was written from the queue
            full = sum(map(len, buffers))
            self._consume(written)
            self.sent += written
            # if the channel took less than offered
            if written < full:
                # it is full; try again when it is ready
                return False
        # all written
        return True

    def pull(self):
        """
        Read what has arrived; {False} when the peer has closed its end
        """
        # if a large body is being read in place
        if self.body is not None:
            # read into it
            return self._fill() and self._drain()
        # otherwise, read a chunk
        try:
            count = self._take()
        # if nothing is there
        except self.blocked:
            # the channel is quiet, not closed
            self.quiet = True
            return True
        # note whether anything came
        self.quiet = not count
        # if nothing came
        if not count:
            # the peer has closed its end
            return False
        # if the inbox starts a large frame
        if len(self.inbox) >= self.header.size:
            # check its size
            size, *_ = self.header.unpack_from(self.inbox)
            # if it is large and still incomplete
            if size >= self.large and len(self.inbox) < self.header.size + size:
                # move it to a buffer of its own and read the rest in place
                self._adopt(size)
                return self._fill() and self._drain()
        # all done
        return self._drain()

    def frames(self):
        """
        Extract the complete frames that have arrived, as a list of (kind, tid, first, second,
        body)
        """
        # the frames
        frames = []
        # a large body that was read in place
        if self.body is not None:
            # if it is not complete
            if self.got < len(self.body):
                # nothing else can be complete either
                return frames
            # otherwise, it is the first frame
            kind, tid, first, second = self.large_header
            frames.append((kind, tid, first, second, self.body))
            self.body = None
        # get the inbox
        inbox = self.inbox
        # and its size
        available = len(inbox)
        # the header size
        hsize = self.header.size
        # go through it
        position = 0
        while available - position >= hsize:
            # decode the header
            size, tid, kind, first, second = self.header.unpack_from(inbox, position)
            # check the size
            if self.limit is not None and size > self.limit:
                # this is not a conversation i can have
                raise self.Oversized(size=size, limit=self.limit, tid=tid)
            # if the body is not all there
            if available - position - hsize < size:
                # wait for the rest
                break
            # extract the body
            start = position + hsize
            body = bytes(inbox[start : start + size])
            position = start + size
            # a body in shared memory
            if kind & self.SHARED:
                # needs the side channel that carries it; a peer that announces one without is
                # not one i can talk to
                if self.side is None:
                    raise ConnectionError("a frame announced shared memory on a wire without a side channel")
                # gets mapped
                kind &= ~self.SHARED
                body = self.receive(tid=tid)
            # record the frame
            frames.append((kind, tid, first, second, body))
        # drop what was consumed
        del inbox[:position]
        # if what is left starts a large frame
        if len(inbox) >= hsize:
            size, *_ = self.header.unpack_from(inbox)
            if size >= self.large:
                # read the rest of it in place
                self._adopt(size)
        # all done
        return frames

    def lend(self, kind, tid, first, second, fd):
        """
        Send {fd}, a shared memory file that holds the body of a frame, over the side channel,
        and queue the frame that announces it; the caller keeps its descriptor
        """
        # the peer finds the file before the frame that announces it
        socket.send_fds(self.side, [b"\0"], [fd])
        # announce it
        self.posted += self.header.size
        self.outbox.append(self.header.pack(0, tid, kind | self.SHARED, first, second))
        # all done
        return

    def receive(self, tid=0):
        """
        Map the shared memory file that a frame about task {tid} announced; its contents are the
        frame's body
        """
        # get the file, which was sent before the frame that announced it
        _, fds, _, _ = socket.recv_fds(self.side, 1, 1)
        # a frame that announced a file that never came is a broken conversation
        if not fds:
            raise ConnectionError("a frame announced shared memory that never came")
        fd = fds[0]
        # carefully, so the descriptor is never leaked
        try:
            # its size is the size of the body
            size = os.fstat(fd).st_size
            # check it
            if self.limit is not None and size > self.limit:
                raise self.Oversized(size=size, limit=self.limit, tid=tid)
            # only large bodies travel this way; an empty file, which cannot be mapped, is a
            # broken conversation
            if size == 0:
                raise ConnectionError("a frame announced an empty shared memory file")
            # and map it privately, so what i write into it stays mine and the sender's copy
            # stays as sent; the mapping lives as long as what is built over it
            return mmap.mmap(fd, size, flags=mmap.MAP_PRIVATE)
        # my copy of the descriptor goes
        finally:
            os.close(fd)

    def serialize(self, lock):
        """
        Let other threads post and flush too, e.g. a worker's heartbeat or the capture of its
        output: each of my entry points runs under {lock}; reads take it as well, since a TLS
        connection must not be read and written at the same time
        """
        # wrap them
        self.post = self._locked(lock, self.post)
        self.flush = self._locked(lock, self.flush)
        self.pull = self._locked(lock, self.pull)
        # all done
        return

    def pending(self):
        """
        Whether there are frames waiting to be written
        """
        return bool(self.outbox)

    # errors
    class Oversized(Exception):
        """
        A frame announced a body larger than this wire accepts
        """

        def __init__(self, size, limit, tid=0):
            super().__init__(f"a frame of {size} bytes exceeds the limit of {limit} bytes")
            # what the frame was, so its task can be told
            self.size = size
            self.limit = limit
            self.tid = tid

    # meta-methods
    def __init__(self, channel, limit=None, side=None, lock=None):
        # save the channel
        self.channel = channel
        # with a {lock}, other threads may use me too
        if lock is not None:
            self.serialize(lock=lock)
        # and the unix socket that carries descriptors alongside it, if any; it blocks, since a
        # descriptor is always there before the frame that announces it, but not forever
        self.side = side
        if side is not None:
            side.settimeout(self.patience)
        # the largest body i accept; {None} for no limit
        self.limit = limit
        # the frames waiting to be written, as a list of buffers
        self.outbox = []
        # the bytes queued, written and read, since the start
        self.posted = 0
        self.sent = 0
        self.received = 0
        # the bytes that have arrived but do not yet form a complete frame
        self.inbox = bytearray()
        # where reads land before they join the inbox: an anonymous mapping, whose pages the
        # kernel provides as reads first reach them, so a wire that only sees small frames
        # holds a page of it
        self.scratch = memoryview(mmap.mmap(-1, self.chunk))
        # a large body being read in place, how much of it has arrived, and its header
        self.body = None
        self.got = 0
        self.large_header = None
        # whether the last {pull} found nothing to read
        self.quiet = False
        # what a TLS channel has decrypted but not handed out yet, which no event loop can see
        self._buffered = None
        # sockets and pipes move bytes differently
        if isinstance(channel, ssl.SSLSocket):
            # through TLS, which has no gathered writes
            self._send = self._sendeach
            self._recvinto = channel.recv_into
            self._buffered = channel.pending
            channel.setblocking(False)
        elif isinstance(channel, socket.socket):
            # through the socket
            self._send = channel.sendmsg
            self._recvinto = channel.recv_into
        else:
            # through the descriptors
            infd, outfd = channel.inbound, channel.outbound
            self._send = lambda buffers: os.writev(outfd, buffers)
            self._recvinto = lambda view: os.readv(infd, [view])
        # no blocking, ever
        os.set_blocking(self._descriptor(channel.inbound), False)
        os.set_blocking(self._descriptor(channel.outbound), False)
        # pipes as large as the system allows, so a large message moves in fewer passes
        if not isinstance(channel, socket.socket):
            for fd in (channel.inbound, channel.outbound):
                try:
                    fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, self.pipesize)
                except OSError:
                    pass
        # all done
        return

    # implementation details
    def _consume(self, written):
        """
        Drop {written} bytes from the front of the queue
        """
        # get the queue
        outbox = self.outbox
        # count whole buffers
        count = 0
        for buffer in outbox:
            size = len(buffer)
            if written < size:
                break
            written -= size
            count += 1
        # drop them
        del outbox[:count]
        # and keep the unwritten part of a buffer that went out partly
        if written:
            outbox[0] = memoryview(outbox[0])[written:]
        # all done
        return

    def _take(self):
        """
        Read a chunk into the inbox; returns how much came, zero when the peer has closed its
        end. It goes through a buffer of mine, since a read that makes its own buffer of a
        chunk's size gets fresh pages from the system every time, which costs more than a
        small frame's whole trip
        """
        # read
        try:
            count = self._recvinto(self.scratch)
        # a peer that resets the connection has closed its end
        except ConnectionResetError:
            return 0
        # keep it
        self.inbox += self.scratch[:count]
        self.received += count
        # and say how much it was
        return count

    def _adopt(self, size):
        """
        Move the large frame at the start of the inbox to a buffer of its own
        """
        # get the inbox
        inbox = self.inbox
        hsize = self.header.size
        # decode the header
        _, tid, kind, first, second = self.header.unpack_from(inbox)
        # check the size
        if self.limit is not None and size > self.limit:
            raise self.Oversized(size=size, limit=self.limit, tid=tid)
        self.large_header = (kind, tid, first, second)
        # make room for the body in an anonymous mapping, whose pages the kernel provides as
        # they are written, so a header alone commits no memory for the body it announces
        self.body = memoryview(mmap.mmap(-1, size))
        # move what arrived of it
        arrived = inbox[hsize : hsize + size]
        self.body[: len(arrived)] = arrived
        self.got = len(arrived)
        # and clear the inbox
        del inbox[: hsize + len(arrived)]
        # all done
        return

    def _fill(self):
        """
        Read into the large body in place; {False} when the peer has closed its end
        """
        # as long as there is room
        view = memoryview(self.body)
        self.quiet = False
        while self.got < len(self.body):
            try:
                count = self._recvinto(view[self.got :])
            except self.blocked:
                self.quiet = True
                return True
            except ConnectionResetError:
                count = 0
            if count == 0:
                return False
            self.got += count
            self.received += count
        # all there
        return True

    def _drain(self):
        """
        On a TLS channel, move into the inbox what TLS decrypted but did not hand out, which no
        event loop would ever announce, and what else has arrived, up to a large body's worth,
        so a burst of small records costs one pass of the event loop rather than one each;
        {False} if the peer closed its end
        """
        # only TLS channels need this
        if self._buffered is None:
            return True
        # a large body still being read in place owns whatever arrives next; {_fill} took all
        # there was, so TLS holds nothing decrypted, and the rest is announced by the event loop
        if self.body is not None and self.got < len(self.body):
            return True
        # take what there is
        taken = 0
        while True:
            # what TLS holds decrypted
            waiting = self._buffered()
            # once that is all taken, stop after a large body's worth
            if not waiting and taken >= self.large:
                break
            # read
            try:
                count = self._take()
            # until nothing is left
            except self.blocked:
                break
            # a peer that closed its end
            if not count:
                return False
            # count it
            taken += count
        # all done
        return True

    def _sendeach(self, buffers):
        """
        Write {buffers}, for channels without gathered writes, i.e. TLS: small ones are joined,
        so a frame travels as one record rather than a record per piece; returns how much went
        out
        """
        # go through them
        written = 0
        start = 0
        while start < len(buffers):
            # the next piece, with the small buffers after it, if it is small
            piece = buffers[start]
            end = start + 1
            if len(piece) < self.chunk:
                piece = bytearray(piece)
                while end < len(buffers) and len(piece) + len(buffers[end]) <= self.chunk:
                    piece += buffers[end]
                    end += 1
            # write it; TLS takes it all, or nothing and asks for the same again later, which
            # is what the next flush offers, since nothing of it left the queue
            try:
                count = self.channel.send(piece)
            # if the channel is full
            except self.blocked:
                # report what went out, if anything did
                if written:
                    return written
                raise
            # count it
            written += count
            # a short write means the channel is full
            if count < len(piece):
                break
            # on to the next
            start = end
        # all done
        return written

    @staticmethod
    def _locked(lock, method):
        """
        Wrap {method} so it runs under {lock}
        """
        # the wrapper
        def locked(*args, **kwds):
            with lock:
                return method(*args, **kwds)

        # all done
        return locked

    @staticmethod
    def _descriptor(end):
        """
        The descriptor behind a channel end: sockets are their own ends, pipes hand out numbers
        """
        return end.fileno() if hasattr(end, "fileno") else end


# end of file
