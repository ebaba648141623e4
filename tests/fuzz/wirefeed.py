# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Feed a byte stream, split at given points, to a {Wire} reading the far end of a real channel,
and check what it makes of it against a reference reader

Shared by the property tests in tests/test_hostile.py and the atheris harness fuzz_wire.py. The
contract checked, for any stream and any split:

- the frames that come out are the frames a correct reader finds, in order, and re-encode to
  the very bytes that were sent
- a header that announces a body over the limit raises {Wire.Oversized} as soon as the header
  itself is in, before any of the body is awaited, and nothing but frames came out before it
- an incomplete frame is waited for: nothing comes out of it and nothing is raised
- no buffer the wire allocates, and no frame it hands out, is larger than the limit
- nothing else is ever raised
"""

# externals
import builtins
import contextlib
import functools
import os
import socket

from pyre.ipc.Pipe import Pipe
from pyre.ipc.SocketPair import SocketPair
from pyre.ipc.SocketTCP import SocketTCP

# the package
import pyre_nexus.Wire
from pyre_nexus.Wire import Wire


# the header, and where the kind sits in it
HEADER = Wire.header
KIND = 16
# the transports a stream can travel over
TRANSPORTS = ("socket", "pipe", "tcp")


class Violation(AssertionError):
    """
    The wire broke its contract
    """


def encode(kind, tid, first, second, body):
    """
    The bytes of a frame
    """
    return HEADER.pack(len(body), tid, kind, first, second) + bytes(body)


def model(stream, limit):
    """
    What a correct reader with {limit} makes of {stream}: the frames, the number of bytes they
    take, and, if a header announces a body over the limit, the offset where that header ends
    """
    frames = []
    position = 0
    hsize = HEADER.size
    while len(stream) - position >= hsize:
        size, tid, kind, first, second = HEADER.unpack_from(stream, position)
        # a body over the limit ends the conversation as soon as its header is in
        if size > limit:
            return frames, position, position + hsize
        # an incomplete body is waited for
        if len(stream) - position - hsize < size:
            break
        start = position + hsize
        frames.append((kind, tid, first, second, bytes(stream[start : start + size])))
        position = start + size
    return frames, position, None


def unshare(stream, limit):
    """
    Clear the {Wire.SHARED} bit of the kind of every header a reader meets in {stream}

    A frame with that bit announces a body in shared memory, passed over a side channel; a wire
    over TCP has none, and reading such a frame there is a known bug (see
    tests/test_hostile.py::test_shared_frame_without_side_channel), so the streams that check
    everything else leave it out
    """
    data = bytearray(stream)
    position = 0
    hsize = HEADER.size
    while len(data) - position >= hsize:
        data[position + KIND] &= ~Wire.SHARED & 0xFF
        size = int.from_bytes(data[position : position + 8], "little")
        if size > limit:
            break
        position += hsize + size
    return bytes(data)


def pieces(stream, cuts):
    """
    Split {stream} at the offsets in {cuts}, in any order, out of range ones clamped
    """
    marks = sorted({0, len(stream), *(min(max(cut, 0), len(stream)) for cut in cuts)})
    return [stream[start:end] for start, end in zip(marks, marks[1:])]


@contextlib.contextmanager
def allocations(limit):
    """
    Fail any sized buffer the module of {Wire} allocates above {limit}, by shadowing the
    builtin {bytearray} in its globals while the block runs
    """

    def guarded(*args, **kwds):
        if args and isinstance(args[0], int) and args[0] > limit:
            raise Violation(f"the wire allocated a buffer of {args[0]} bytes; the limit is {limit}")
        return builtins.bytearray(*args, **kwds)

    namespace = vars(pyre_nexus.Wire)
    namespace["bytearray"] = guarded
    try:
        yield
    finally:
        namespace.pop("bytearray", None)


@contextlib.contextmanager
def channel(transport, listener=None):
    """
    A connected pair over {transport}: the descriptor to write to, the channel a {Wire} reads,
    and a function that closes the writing end; {listener} is a listening TCP socket to reuse
    for the tcp transport
    """
    if transport == "socket":
        near, far = SocketPair.open()
        ends = (near, far)
        out = near.fileno()
    elif transport == "pipe":
        near, far = Pipe.open()
        ends = (near, far)
        out = near.outbound
    elif transport == "tcp":
        own = listener is None
        if own:
            listener = socket.create_server(("127.0.0.1", 0))
        try:
            near = socket.create_connection(listener.getsockname())
            fd, _ = listener._accept()
        finally:
            if own:
                listener.close()
        far = SocketTCP(socket.AF_INET, socket.SOCK_STREAM, fileno=fd)
        ends = (near, far)
        out = near.fileno()
    else:
        raise ValueError(f"unknown transport {transport!r}")
    # the writer never blocks either, so the reader can be drained between partial writes
    os.set_blocking(out, False)
    # each end is closed once, since a descriptor closed twice may be somebody else's by then
    live = list(ends)

    def hangup(end):
        if end in live:
            live.remove(end)
            end.close()

    try:
        yield out, far, functools.partial(hangup, near)
    finally:
        for end in list(live):
            try:
                hangup(end)
            except OSError:
                pass


class Outcome:
    """
    What a wire made of a stream: its frames, and the {Wire.Oversized} it raised, if it did
    """

    def __init__(self):
        self.frames = []
        self.oversized = None
        self.reads = 0
        # whether a large body was read in place
        self.adopted = False


def feed(stream, cuts, limit, transport="socket", listener=None):
    """
    Write {stream} in the pieces {cuts} makes of it to a real channel over {transport}, draining
    a {Wire} with {limit} on the other end after every write; check its contract and return the
    {Outcome}
    """
    stream = bytes(stream)
    expected, consumed, oversized = model(stream, limit)
    outcome = Outcome()
    hsize = HEADER.size
    # the largest incomplete frame the inbox may keep between calls
    ceiling = hsize + min(limit, Wire.large - 1)

    def check(frames):
        # frames within the limit
        for frame in frames:
            if len(frame[4]) > limit:
                raise Violation(f"a frame of {len(frame[4])} bytes came out; the limit is {limit}")
        # and the leftovers within reason
        if wire.body is not None:
            outcome.adopted = True
            if len(wire.body) > limit:
                raise Violation(f"the wire holds a body of {len(wire.body)} bytes; the limit is {limit}")
        if len(wire.inbox) >= ceiling and len(wire.inbox) >= hsize:
            raise Violation(f"the wire keeps {len(wire.inbox)} bytes that are no complete frame")
        outcome.frames.extend(frames)

    def drain(fed):
        # read until the channel is quiet
        while True:
            outcome.reads += 1
            try:
                alive = wire.pull()
                frames = wire.frames()
            except Wire.Oversized as error:
                # only once the header that announces it is in, and right then
                if oversized is None or fed < oversized:
                    raise Violation(f"oversized with {fed} bytes sent, at no oversized header: {error}")
                outcome.oversized = error
                raise
            check(frames)
            if not alive:
                raise Violation("the wire saw the end of a stream that is still open")
            if wire.quiet:
                return

    with channel(transport, listener=listener) as (out, far, hangup), allocations(limit):
        wire = Wire(far, limit=limit)
        fed = 0
        try:
            for piece in pieces(stream, cuts):
                view = memoryview(piece)
                while view:
                    try:
                        count = os.write(out, view)
                    except BlockingIOError:
                        count = 0
                    view = view[count:]
                    fed += count
                    drain(fed)
                # a header over the limit that is in by now must have been refused by now
                if oversized is not None and fed >= oversized:
                    raise Violation(f"the header ending at {oversized} announced an oversized body and was let through")
            # close the writing end, and read to the end of the stream
            hangup()
            while True:
                outcome.reads += 1
                alive = wire.pull()
                check(wire.frames())
                if not alive:
                    break
        except Wire.Oversized:
            # what came out before it is the start of what a correct reader finds
            if outcome.frames != expected[: len(outcome.frames)]:
                raise Violation("the frames before the oversized header are not the ones sent")
            return outcome
        # a frame that announces shared memory on a wire without a side channel ends the
        # conversation too, which is the refusal it deserves
        except ConnectionError:
            if not any(kind & Wire.SHARED for kind, *_ in expected[len(outcome.frames) :]):
                raise Violation("the wire refused a stream with no frame in shared memory")
            if outcome.frames != expected[: len(outcome.frames)]:
                raise Violation("the frames before the shared memory frame are not the ones sent")
            return outcome
    # a stream with an oversized header must not get this far
    if oversized is not None:
        raise Violation(f"the header ending at {oversized} announced an oversized body and was let through")
    # every complete frame came out, and re-encodes to the bytes sent
    if outcome.frames != expected:
        raise Violation(f"{len(outcome.frames)} frames came out, {len(expected)} were sent")
    if b"".join(encode(*frame) for frame in outcome.frames) != stream[:consumed]:
        raise Violation("the frames do not re-encode to the bytes sent")
    # and the incomplete rest was kept, not dropped nor mangled
    if wire.body is None:
        held = bytes(wire.inbox)
    else:
        kind, tid, first, second = wire.large_header
        held = HEADER.pack(len(wire.body), tid, kind, first, second) + bytes(wire.body[: wire.got])
    if held != stream[consumed:]:
        raise Violation("the wire does not hold the incomplete rest of the stream")
    return outcome


# end of file
