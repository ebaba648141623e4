# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Serialization: large buffers travel out of band, and come back as they went
"""

# externals
import pickle

import numpy
import pytest

# the package
from pyre_nexus.Codec import Codec
from tests import tasks


def flatten(encoded):
    """
    Join an encoded form the way it arrives on the other side: one contiguous buffer
    """
    if isinstance(encoded, bytes):
        return encoded
    return bytearray(b"".join(bytes(memoryview(piece).cast("B")) for piece in encoded))


def test_small_items_are_plain_pickle():
    """
    Items without large buffers are one plain pickle stream
    """
    encoded = Codec.encode({"x": [1, 2, 3], "y": b"abc"})
    assert isinstance(encoded, bytes)
    assert pickle.loads(encoded) == {"x": [1, 2, 3], "y": b"abc"}


def test_large_arrays_travel_out_of_band():
    """
    The memory of large arrays is not copied into the stream; it is laid out after it,
    aligned, and the arrays are rebuilt over the received buffer without a copy
    """
    first = numpy.arange(1 << 18, dtype=numpy.float64)
    second = numpy.ones((512, 512), dtype=numpy.int32)
    encoded = Codec.encode(("label", first, second))
    assert isinstance(encoded, list)
    # the stream itself is small
    assert sum(memoryview(piece).nbytes for piece in encoded) < first.nbytes + second.nbytes + 4096
    received = flatten(encoded)
    label, one, two = Codec.decode(received)
    assert label == "label"
    assert numpy.array_equal(one, first) and numpy.array_equal(two, second)
    # no copy: the arrays live in the received buffer, aligned, and are writable
    base = numpy.frombuffer(received, dtype=numpy.uint8)
    for array in (one, two):
        assert numpy.shares_memory(array, base)
        assert (array.ctypes.data - base.ctypes.data) % Codec.alignment == 0
        assert array.flags.writeable


def test_unowned_buffers_are_copied_at_once():
    """
    A queued task is a snapshot: changing an array after it was submitted does not change
    what the worker gets
    """
    array = numpy.zeros(1 << 16)
    encoded = Codec.encodeTask(tasks.echo, (array,), {})
    array[:] = 1
    fn, args, kwds = Codec.decode(flatten(encoded))
    assert not args[0].any()


def test_ragged_layouts_decode():
    """
    Several buffers of odd sizes keep their alignment and their contents
    """
    arrays = [numpy.arange(size, dtype=numpy.uint8) for size in (300_001, 262_147, 500_000)]
    decoded = Codec.decode(flatten(Codec.encode(arrays)))
    for got, sent in zip(decoded, arrays):
        assert numpy.array_equal(got, sent)


@pytest.mark.parametrize("size", [0, 1, 1 << 20, (1 << 20) + 3])
def test_arrays_round_trip_through_a_staff(make_team, size):
    """
    Arrays of every size go to a worker and come back equal, through real pipes
    """
    staff = make_team("staff", size=1)
    array = numpy.random.default_rng(size).random(size)
    assert numpy.array_equal(staff.submit(tasks.echo, array).result(timeout=60), array)


def test_shared_memory_leaves_nothing_behind(make_team):
    """
    Large bodies travel through anonymous shared memory: after many of them, the team holds no
    extra descriptor and, once the results are dropped, no mapping of it
    """
    import gc
    import os

    def descriptors():
        return len(os.listdir("/proc/self/fd"))

    def mappings():
        with open("/proc/self/maps") as maps:
            return sum("memfd:pyre_nexus" in line for line in maps)

    staff = make_team("staff", size=2)
    array = numpy.arange(1 << 19, dtype=numpy.float64)  # 4 MiB
    # warm up, so both crews and their channels are there before counting
    warmup = [staff.submit(tasks.echo, array) for _ in range(2)]
    assert all(numpy.array_equal(future.result(timeout=60), array) for future in warmup)
    assert len(staff.crews) == 2
    del warmup
    gc.collect()
    before = descriptors()
    results = [staff.submit(tasks.echo, array) for _ in range(20)]
    assert all(numpy.array_equal(future.result(timeout=60), array) for future in results)
    # the results live in shared memory until they are dropped
    assert mappings() > 0
    del results
    gc.collect()
    assert mappings() == 0
    assert descriptors() == before
