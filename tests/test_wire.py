# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Framing over real pipes and socket pairs: bursts, partial writes, large bodies, bad sizes
"""

# externals
import os
import select
import threading

import pyre
import pytest

# the package
from pyre_nexus.Wire import Wire


@pytest.fixture(params=["pipe", "socket"])
def ends(request):
    """
    A connected pair of channels of each transport
    """
    transport = getattr(pyre.ipc, request.param)()()
    near, far = transport.open()
    yield near, far
    near.close()
    far.close()


def collect(wire, count):
    """
    Read from {wire} until {count} frames have arrived
    """
    frames = []
    while len(frames) < count:
        select.select([wire.channel.inbound], [], [], 5.0)
        assert wire.pull(), "the peer closed its end early"
        frames.extend(wire.frames())
    return frames


def test_burst(ends):
    """
    Many small frames written in one go arrive whole and in order
    """
    near, far = ends
    sender, receiver = Wire(near), Wire(far)
    for tid in range(1, 1001):
        sender.post(kind=Wire.TASK, tid=tid, first=1, second=2, body=str(tid).encode())
    assert sender.flush()
    frames = collect(receiver, 1000)
    assert [frame[1] for frame in frames] == list(range(1, 1001))
    assert all(frame[4] == str(frame[1]).encode() for frame in frames)
    assert all(frame[2:4] == (1, 2) for frame in frames)


def test_large_body_with_partial_writes(ends):
    """
    A body far larger than the channel's buffer goes out in pieces, without blocking, and
    arrives intact, followed by the frames queued after it
    """
    near, far = ends
    sender, receiver = Wire(near), Wire(far)
    body = os.urandom(1024) * (32 * 1024)  # 32 MiB
    sender.post(kind=Wire.REPORT, tid=7, body=body)
    sender.post(kind=Wire.REPORT, tid=8, body=b"after")
    # the first flush cannot write it all
    assert sender.flush() is False
    # a reader drains the other end while the sender finishes
    received = []
    reader = threading.Thread(target=lambda: received.extend(collect(receiver, 2)))
    reader.start()
    while not sender.flush():
        select.select([], [near.outbound], [], 5.0)
    reader.join(30)
    assert [frame[1] for frame in received] == [7, 8]
    assert received[0][4] == body
    assert received[1][4] == b"after"


def test_eof(ends):
    """
    A closed peer reads as the end of the conversation
    """
    near, far = ends
    receiver = Wire(far)
    # the peer lets go of its sending side
    if hasattr(near, "shutdown"):
        near.shutdown(2)
    else:
        os.close(near.outbound)
        near.outfd = os.open(os.devnull, os.O_WRONLY)
    assert receiver.pull() is False


def test_oversized(ends):
    """
    A frame announcing more than the limit is refused before its body is read
    """
    near, far = ends
    sender, receiver = Wire(near), Wire(far, limit=1024)
    sender.post(kind=Wire.TASK, tid=1, body=b"x" * 2048)
    sender.flush()
    select.select([far.inbound], [], [], 5.0)
    receiver.pull()
    with pytest.raises(Wire.Oversized):
        receiver.frames()


# end of file


def test_shared_memory(ends):
    """
    Large bodies go through shared memory files, announced on the channel and passed beside it:
    they arrive whole, as private mappings; an empty file is a broken conversation
    """
    import socket

    near, far = ends
    near_side, far_side = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sender, receiver = Wire(near, side=near_side), Wire(far, side=far_side)
        body = os.urandom(3 * Wire.shared // 2)
        sender.post(kind=Wire.REPORT, tid=7, body=[body[:100], body[100:]])
        assert sender.flush()
        [(kind, tid, _, _, got)] = collect(receiver, 1)
        assert (kind, tid) == (Wire.REPORT, 7)
        assert got[:] == body
        # it can be written to, as the arrays rebuilt over it may be
        got[0] = body[0] ^ 0xFF
        assert got[0] != body[0]
        # an empty file announced as a body
        empty = os.memfd_create("empty")
        try:
            sender.lend(kind=Wire.REPORT, tid=8, first=0, second=0, fd=empty)
        finally:
            os.close(empty)
        assert sender.flush()
        select.select([receiver.channel.inbound], [], [], 5.0)
        assert receiver.pull()
        with pytest.raises(ConnectionError, match="empty shared memory"):
            receiver.frames()
    finally:
        near_side.close()
        far_side.close()
