"""
The task bodies of the benchmarks, at module level so every worker finds them by name

Plain functions serve pyre_nexus, multiprocessing, concurrent.futures and loky; the classes at
the bottom wrap the same bodies as pyre.nexus 1.14 tasks, which must be task instances
"""

import os
import time

import pyre


# plain task bodies
def noop():
    """Do nothing"""
    return None


def ident(x):
    """Hand back the argument: the body of the chunked maps and of the echoes"""
    return x


def length(payload):
    """Receive a payload, send back only its size in bytes"""
    return getattr(payload, "nbytes", None) or len(payload)


def spin(n):
    """Burn the CPU for {n} turns of a pure python loop; see {calibrate}"""
    total = 0
    for i in range(n):
        total += i
    return total


def batch(fn, chunk):
    """Apply {fn} to each item of {chunk}: a hand made chunk for teams without a map"""
    return [fn(item) for item in chunk]


def rendezvous(path, count, timeout=30.0):
    """
    A barrier through a file, so it works in every kind of worker, whatever fds it inherited:
    add one byte to {path}, then wait until {count} workers did; returns my pid
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, b"x")
    finally:
        os.close(fd)
    expiration = time.monotonic() + timeout
    while os.stat(path).st_size < count:
        if time.monotonic() > expiration:
            raise TimeoutError(f"only {os.stat(path).st_size} of {count} workers arrived")
        time.sleep(2e-4)
    return os.getpid()


def calibrate(seconds=5e-3):
    """The number of turns of {spin} that take about {seconds} here"""
    n = 10_000
    while True:
        start = time.perf_counter()
        spin(n)
        elapsed = time.perf_counter() - start
        if elapsed > 0.05:
            break
        n *= 2
    # the best of a few, so a hiccup does not inflate the count
    best = min(_timed(spin, n) for _ in range(3))
    return max(1, int(n * seconds / best))


def _timed(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


# the same bodies as pyre.nexus 1.14 tasks; instances compare by identity, so none are merged
class Call(pyre.nexus.task):
    """Call {fn(*args)} in the worker"""

    def __init__(self, fn, *args):
        self.fn = fn
        self.args = args

    def execute(self, **kwds):
        return self.fn(*self.args)
