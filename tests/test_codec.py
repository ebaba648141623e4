# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Serialization: large buffers travel out of band, and come back as they went; code that travels
by value keeps its file and its lines
"""

# externals
import linecache
import os
import pickle
import traceback

import numpy
import pytest

# the package
from pyre_nexus.Codec import Codec
from pyre_nexus.Reserve import Reserve
from pyre_nexus.Segment import Segment
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
    Large bodies travel through anonymous shared memory: after many of them, once the results
    are dropped, the team keeps no more files than it may keep for reuse, and none once it is
    shut down
    """
    import gc
    import os

    def descriptors():
        return len(os.listdir("/proc/self/fd"))

    def mappings():
        with open("/proc/self/maps") as maps:
            return sum("memfd:pyre_nexus" in line for line in maps)

    start = descriptors()
    staff = make_team("staff", size=2)
    array = numpy.arange(1 << 19, dtype=numpy.float64)  # 4 MiB
    # warm up, so both crews and their channels are there before counting
    warmup = [staff.submit(tasks.echo, array) for _ in range(2)]
    assert all(numpy.array_equal(future.result(timeout=60), array) for future in warmup)
    assert len(staff.crews) == 2
    del warmup
    gc.collect()
    results = [staff.submit(tasks.echo, array) for _ in range(20)]
    assert all(numpy.array_equal(future.result(timeout=60), array) for future in results)
    # the results live in shared memory until they are dropped
    assert mappings() >= 20
    del results
    gc.collect()
    # then their files wait for reuse, within the limit: a descriptor and a mapping each
    assert 0 < mappings() <= Reserve.spares
    # and go with the team
    staff.shutdown()
    assert mappings() == 0
    assert descriptors() == start


def test_results_over_shared_memory_outlive_their_files(make_team):
    """
    An echoed array is the team's own copy of the argument, not a copy of a copy: it stays right
    while later tasks reuse the files of finished ones, and changing it changes neither the
    caller's array nor what later tasks get
    """
    staff = make_team("staff", size=1)
    array = numpy.arange(1 << 18, dtype=numpy.float64)  # 2 MiB
    kept = staff.submit(tasks.echo, array).result(timeout=60)
    # the caller's array is not shared
    assert kept.ctypes.data != array.ctypes.data
    kept[0] = -1.0
    assert array[0] == 0.0
    # many more large tasks, each a different array, whose files are reused
    for step in range(1, 12):
        sent = array + step
        assert numpy.array_equal(staff.submit(tasks.echo, sent).result(timeout=60), sent)
    # the first result is what it was
    assert kept[0] == -1.0
    assert numpy.array_equal(kept[1:], array[1:])


def test_tasks_that_change_their_arguments(make_team, tmp_path):
    """
    A task that writes into its array returns what it wrote, and the team's copy of the task is
    untouched, so a task that runs again, after a casualty, gets what was submitted
    """
    staff = make_team("staff", size=1, casualties=2)
    array = numpy.zeros(1 << 18)  # 2 MiB
    # the task writes into the array it got and returns it
    result = staff.submit(tasks.scribble, array, 7.0).result(timeout=60)
    assert result[0] == 7.0 and result[-1] == 7.0
    assert array[0] == 0.0
    # a task that writes into its array, then kills its worker, is run again from the team's copy
    marker = tmp_path / "died"
    future = staff.submit(tasks.scribble_once_then_die, str(marker), array, 9.0)
    assert future.result(timeout=60) == 0.0
    assert marker.exists()
    # a task that keeps its argument keeps it right while later tasks reuse files
    assert staff.submit(tasks.stash, array + 1).result(timeout=60) == 1.0
    for step in range(2, 8):
        staff.submit(tasks.echo, array + step).result(timeout=60)
    assert staff.submit(tasks.stashed).result(timeout=60) == 1.0


def test_bytes_travel_out_of_band(make_team):
    """
    Large bytes, as arguments, keywords and results, arrive as bytes and equal
    """
    staff = make_team("staff", size=1)
    payload = os.urandom(3 << 20)
    assert staff.submit(tasks.echo, payload).result(timeout=60) == payload
    assert type(staff.submit(tasks.echo, payload).result(timeout=60)) is bytes
    assert staff.submit(tasks.measure, data=payload).result(timeout=60) == len(payload)
    # the form they travel in: out of band, not in the pickle stream
    encoded = Codec.encodeTask(tasks.echo, (payload,), {})
    assert type(encoded) is Segment
    assert type(Codec.decodeTask(encoded.view)()) is bytes


def test_results_refer_to_untouched_task_memory():
    """
    A buffer of a result that lies untouched in the private mapping of its task travels as a
    reference to the team's copy; once the task writes into it, its pages are the worker's own,
    and it travels as bytes
    """
    import mmap

    array = numpy.arange(1 << 18, dtype=numpy.float64)  # 2 MiB
    segment = Codec.encodeTask(tasks.echo, (array,), {})
    assert type(segment) is Segment
    # the worker's side: a private mapping of the file, as the wire makes it
    private = mmap.mmap(segment.fd, segment.size, flags=mmap.MAP_PRIVATE)
    echoed = Codec.decodeTask(private)()
    # untouched, the result is a reference: nothing large travels
    encoded = Codec.encode(echoed, origin=private)
    assert sum(memoryview(piece).nbytes for piece in encoded) < 4096
    # and the team rebuilds it over its own copy
    rebuilt = Codec.decode(flatten(encoded), origin=segment.view)
    assert numpy.array_equal(rebuilt, array)
    # a slice of it too
    encoded = Codec.encode(echoed[1000:], origin=private)
    assert sum(memoryview(piece).nbytes for piece in encoded) < 4096
    assert numpy.array_equal(Codec.decode(flatten(encoded), origin=segment.view), array[1000:])
    # once written to, the pages are the worker's, and the data travels
    echoed[-1] = -1.0
    encoded = Codec.encode(echoed, origin=private)
    assert sum(memoryview(piece).nbytes for piece in encoded) > array.nbytes
    rebuilt = Codec.decode(flatten(encoded), origin=segment.view)
    assert rebuilt[-1] == -1.0 and numpy.array_equal(rebuilt[:-1], array[:-1])
    # while the team's copy is as it was sent
    assert numpy.array_equal(Codec.decode(flatten(Codec.encode(echoed[:10], origin=None))), echoed[:10])
    assert numpy.frombuffer(segment.view[-array.nbytes :], dtype=numpy.float64)[-1] == array[-1]
    # a reference without the memory it refers to is refused
    with pytest.raises(ValueError, match="not here"):
        Codec.decode(flatten(Codec.encode(echoed[:100000], origin=private)))
    del echoed, rebuilt


@pytest.mark.parametrize("size", [16 << 20, (25 << 20) + 13])
def test_large_tasks_are_copied_whole(size):
    """
    A large task is copied into shared memory in slices, side by side: every byte gets there,
    whatever the size; read only buffers, e.g. bytes, are copied at once
    """
    array = numpy.random.default_rng(size).integers(0, 256, size, dtype=numpy.uint8)
    for argument in (array, array.tobytes()):
        segment = Codec.encodeTask(tasks.echo, (argument,), {})
        assert type(segment) is Segment
        rebuilt = Codec.decodeTask(segment.view)()
        assert type(rebuilt) is type(argument)
        assert numpy.array_equal(numpy.frombuffer(rebuilt, dtype=numpy.uint8), array)
        del rebuilt


def test_large_tasks_are_copied_whole_without_threads(monkeypatch):
    """
    A process that may not start threads, e.g. under a tight memory limit, copies every slice
    itself
    """
    import threading

    def refuse(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    array = numpy.random.default_rng(3).integers(0, 256, (17 << 20) + 5, dtype=numpy.uint8)
    segment = Codec.encodeTask(tasks.echo, (array.tobytes(),), {})
    assert Codec.decodeTask(segment.view)() == array.tobytes()


# a module that is not importable, so its functions travel by value; its task raises in a
# generator expression, which is code of its own, nested in the function's, on every Python (a
# list comprehension is not since 3.12, which inlines it)
REMOTE = """\
# a module of its own

def boom(values):
    # the raising statement
    return list(10 / value for value in values)
"""


def test_code_by_value_keeps_its_file_and_lines(tmp_path):
    """
    Code pickled by value keeps the name of its file, nested code too, and takes its lines along:
    a process that has the file reads it, as ever, and one that has not shows the lines sent
    """
    path = tmp_path / "remote.py"
    path.write_text(REMOTE)
    filename = str(path)
    namespace = {"__name__": "remote"}
    exec(compile(REMOTE, filename, "exec"), namespace)
    encoded = Codec.encode(namespace["boom"], byvalue=True)

    def failure(boom):
        # the traceback of a call of {boom} that raises
        with pytest.raises(ZeroDivisionError) as info:
            boom([0])
        return "".join(traceback.format_exception(info.value))

    # where the file is, its lines are read from it, and nothing is added to what is known of it
    boom = Codec.decode(encoded)
    assert boom.__code__.co_filename == filename
    assert linecache.cache[filename][1] is not None
    text = failure(boom)
    assert f'File "{filename}", line 5, in <genexpr>\n    return list(10 / value for value in values)\n' in text
    # where it is not, the lines sent are shown
    path.unlink()
    linecache.checkcache(filename)
    assert linecache.getlines(filename) == []
    boom = Codec.decode(encoded)
    text = failure(boom)
    assert f'File "{filename}", line 5, in boom\n    return list(10 / value for value in values)\n' in text
    assert f'File "{filename}", line 5, in <genexpr>\n    return list(10 / value for value in values)\n' in text
    assert "<dynamic-code>" not in text
    # and only they: the lines of the file the function does not reach are left blank
    assert linecache.getlines(filename) == ["\n", "\n", *REMOTE.splitlines(keepends=True)[2:]]
    linecache.cache.pop(filename)


def test_main_functions_keep_their_file(monkeypatch):
    """
    A function of the main script, which travels by value in a task wherever it is, keeps the
    name of its file
    """
    import sys

    namespace = {"__name__": "__main__"}
    exec(compile(REMOTE, "/nowhere/script.py", "exec"), namespace)
    monkeypatch.setattr(sys.modules["__main__"], "boom", namespace["boom"], raising=False)
    _, args, _ = Codec.decode(Codec.encodeTask(tasks.echo, (namespace["boom"],), {}))
    assert args[0].__code__.co_filename == "/nowhere/script.py"
    assert args[0]([2]) == [5.0]



def test_unpicklable_task_names_its_part(make_team):
    """
    A call that cannot be pickled fails with an {UnpicklableTask} that names the part of it to
    blame: an argument by its place, a keyword argument by its name, or the function itself
    """
    import threading

    from pyre_nexus import exceptions
    from tests.patience import PATIENCE

    staff = make_team("staff", size=1)
    lock = threading.Lock()
    reason = "TypeError: cannot pickle '_thread.lock' object"
    # the part to blame, with the type of what was passed
    calls = [
        (staff.submit(tasks.echo, lock), "argument 1 (lock)"),
        (staff.submit(tasks.add, 1, lock), "argument 2 (lock)"),
        (staff.submit(tasks.echo, [1, lock]), "argument 1 (list)"),
        (staff.submit(tasks.add, 1, y=lock), "keyword argument 'y' (lock)"),
        (staff.submit(lambda: lock), "the function"),
    ]
    for future, part in calls:
        error = future.exception(timeout=0)
        assert isinstance(error, exceptions.UnpicklableTask), repr(error)
        assert str(error) == f"could not pickle {part} of {future.label}: {reason}"
    # nothing was sent, and the team works
    assert staff.crews == []
    assert staff.submit(tasks.add, 2, y=3).result(timeout=PATIENCE) == 5


# end of file
