"""
The floor: what the machine itself costs, measured in the same run as the cases

    pipe rtt us     a raw round trip of a small pre-pickled message through a pair of pipes
                    between two forked processes (median)
    pickle us       pickling and unpickling a small task and its result (median)
    B floor us      the two together: what one submit-and-wait cannot beat by much
    memcpy GB/s     copying 64 MiB: numpy copyto, bytes into a bytearray (best of 5)
    pipe GB/s       moving 64 MiB through a pipe (default size) to another process (best of 3)
    fork8 ms        forking 8 bare processes that exit at once, and reaping them
"""

import os
import pickle
import time

import work

MiB = 1024 * 1024


def pipe_rtt(count=2000):
    message = pickle.dumps((work.noop, (), {}), protocol=5)
    down_r, down_w = os.pipe()
    up_r, up_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(down_w)
            os.close(up_r)
            while True:
                data = os.read(down_r, 65536)
                if not data:
                    break
                os.write(up_w, data)
        finally:
            os._exit(0)
    os.close(down_r)
    os.close(up_w)
    samples = []
    try:
        for _ in range(count):
            start = time.perf_counter()
            os.write(down_w, message)
            os.read(up_r, 65536)
            samples.append(time.perf_counter() - start)
    finally:
        os.close(down_w)
        os.close(up_r)
        os.waitpid(pid, 0)
    samples.sort()
    return 1e6 * samples[len(samples) // 2]


def pickling(count=20000):
    task = (work.noop, (), {})
    result = None
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        pickle.loads(pickle.dumps(task, protocol=5))
        pickle.loads(pickle.dumps(result, protocol=5))
        samples.append(time.perf_counter() - start)
    samples.sort()
    return 1e6 * samples[len(samples) // 2]


def memcpy(size=64 * MiB):
    import numpy

    source = numpy.random.default_rng(0).random(size // 8)
    target = numpy.empty_like(source)
    best = min(_timed(numpy.copyto, target, source) for _ in range(5))
    raw = source.tobytes()
    into = memoryview(bytearray(size))
    best_bytes = min(_timed(into.__setitem__, slice(None), raw) for _ in range(5))
    return size / best / 1e9, size / best_bytes / 1e9


def pipe_bandwidth(size=64 * MiB):
    payload = memoryview(os.urandom(size))
    data_r, data_w = os.pipe()
    ack_r, ack_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(data_w)
            os.close(ack_r)
            buffer = bytearray(1024 * 1024)
            while True:
                left = size
                while left:
                    count = os.readv(data_r, [memoryview(buffer)[: min(left, len(buffer))]])
                    if not count:
                        os._exit(0)
                    left -= count
                os.write(ack_w, b"k")
        finally:
            os._exit(0)
    os.close(data_r)
    os.close(ack_w)
    best = None
    try:
        for _ in range(3):
            start = time.perf_counter()
            sent = 0
            while sent < size:
                sent += os.write(data_w, payload[sent:])
            os.read(ack_r, 1)
            elapsed = time.perf_counter() - start
            best = elapsed if best is None else min(best, elapsed)
    finally:
        os.close(data_w)
        os.close(ack_r)
        os.waitpid(pid, 0)
    return size / best / 1e9


def fork(count=8):
    start = time.perf_counter()
    pids = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    return 1e3 * (time.perf_counter() - start)


def _timed(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def measure(quick=False):
    """One sample of every floor metric"""
    rtt = pipe_rtt(500 if quick else 2000)
    cost = pickling(5000 if quick else 20000)
    numpy_copy, bytes_copy = memcpy(8 * MiB if quick else 64 * MiB)
    return {
        "pipe rtt us": rtt,
        "pickle us": cost,
        "B floor us": rtt + cost,
        "memcpy numpy GB/s": numpy_copy,
        "memcpy bytes GB/s": bytes_copy,
        "pipe GB/s": pipe_bandwidth(8 * MiB if quick else 64 * MiB),
        "fork8 ms": fork(8),
    }
