# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Tasks for the tests, at module level so any recruiter can find them by name
"""

# externals
import ctypes
import os
import signal
import socket
import time

# the package
import pyre_nexus


def noop():
    """
    Do nothing
    """
    return None


def echo(value):
    """
    Return {value}
    """
    return value


def pid():
    """
    The process id of the worker
    """
    return os.getpid()


def add(x, y=0):
    """
    Add
    """
    return x + y


def hostname(seconds=0):
    """
    Sleep, then return the name of the host
    """
    time.sleep(seconds)
    return socket.gethostname()


def nap(seconds, value=None):
    """
    Sleep, then return {value}
    """
    time.sleep(seconds)
    return value


def fail(message="bad input"):
    """
    Raise a {ValueError}
    """
    raise ValueError(message)


def leave(status):
    """
    Exit the worker without a word
    """
    os._exit(status)


def suicide(signum=signal.SIGKILL):
    """
    Kill the worker with {signum}
    """
    os.kill(os.getpid(), signum)


def segfault():
    """
    Crash the worker in native code
    """
    ctypes.string_at(0)


def flaky(path, failures):
    """
    Raise a recoverable error the first {failures} times it runs; count runs in the file {path}
    """
    # count this run
    with open(path, "a") as log:
        log.write("x")
    with open(path) as log:
        runs = len(log.read())
    # fail while there are failures to go
    if runs <= failures:
        raise pyre_nexus.exceptions.RecoverableError(description=f"run {runs} failed")
    return runs


def spawn_sleeper(seconds):
    """
    Start a grandchild that sleeps; return its pid
    """
    child = os.fork()
    if child == 0:
        time.sleep(seconds)
        os._exit(0)
    return child


def busy_parent(path, seconds):
    """
    Start a grandchild that sleeps, write its pid to {path}, then sleep {seconds} too
    """
    child = spawn_sleeper(seconds)
    with open(f"{path}.part", "w") as marker:
        marker.write(str(child))
    os.rename(f"{path}.part", path)
    time.sleep(seconds)
    return child


class Square(pyre_nexus.task):
    """
    A task subclass
    """

    def __init__(self, value):
        self.value = value

    def execute(self, **kwds):
        return self.value**2

    def __eq__(self, other):
        return isinstance(other, Square) and other.value == self.value

    def __hash__(self):
        return hash(self.value)


# end of file


# tasks for tests/teams/test_faults.py
def fault_tally(path):
    """
    Count a run in the file {path}; return the number of runs so far
    """
    with open(path, "a") as log:
        log.write("x")
    with open(path) as log:
        return len(log.read())


def fault_killer(path):
    """
    Count a run in {path}, then SIGKILL the worker
    """
    fault_tally(path)
    os.kill(os.getpid(), signal.SIGKILL)


def fault_reject(path):
    """
    Count a run in {path}, then raise a plain {ValueError}
    """
    runs = fault_tally(path)
    raise ValueError(f"run {runs} rejected")


def fault_mark(directory):
    """
    An initializer: count its runs in a file named after the worker pid in {directory}
    """
    fault_tally(os.path.join(directory, str(os.getpid())))


def fault_broken_init(message="the initializer is broken"):
    """
    An initializer that fails
    """
    raise RuntimeError(message)


def fault_lock():
    """
    Return something that cannot be pickled
    """
    import threading

    return threading.Lock()


class FaultStubborn(Exception):
    """
    An exception that pickles but cannot be unpickled: its constructor needs two arguments
    that it does not hand to {Exception}
    """

    def __init__(self, first, second):
        super().__init__()
        self.first = first
        self.second = second

    def __str__(self):
        return f"stubborn failure {self.first}/{self.second}"


def fault_stubborn():
    """
    Raise an exception the team cannot unpickle
    """
    raise FaultStubborn(1, 2)


def fault_blob(size):
    """
    Return {size} bytes, a multiple of 256, where byte {i} is {i % 256}
    """
    return bytes(range(256)) * (size // 256)


def fault_blind(seconds):
    """
    Close the worker's descriptors, its channel among them, then sleep
    """
    os.closerange(3, 1024)
    time.sleep(seconds)


# end of fault tasks


# added for tests/teams/test_staff.py and tests/teams/test_pool.py
def tally(path, value=None):
    """
    Append the pid of the worker as a line of the file {path}, then return {value}
    """
    with open(path, "a") as log:
        log.write(f"{os.getpid()}\n")
    return value


def logged(path, fn, *args, **kwds):
    """
    Append the pid of the worker as a line of the file {path}, then return {fn(*args, **kwds)}
    """
    tally(path)
    return fn(*args, **kwds)


def announce(path, seconds, value=None):
    """
    Write the pid of the worker to the file {path}, then sleep for {seconds} and return {value}
    """
    with open(path, "w") as log:
        log.write(f"{os.getpid()}\n")
    time.sleep(seconds)
    return value


def capture(*args, **kwds):
    """
    Return the arguments it was called with
    """
    return args, kwds


class Tally(pyre_nexus.task):
    """
    A task subclass that counts its runs in the file {path}; equal when the paths are
    """

    def __init__(self, path):
        self.path = str(path)

    def execute(self, **kwds):
        return tally(self.path, value=os.getpid())

    def __eq__(self, other):
        return isinstance(other, Tally) and other.path == self.path

    def __hash__(self):
        return hash(self.path)


# end of staff/pool tasks


# tasks for tests/recruiters/test_fork.py
def fork_descriptors(seconds=0.0):
    """
    Sleep {seconds}, then return the worker pid and where each of its open descriptors points
    """
    time.sleep(seconds)
    found = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            found[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            # the descriptor of the listing itself, closed by now
            pass
    return os.getpid(), found


def fork_group():
    """
    The worker pid and its process group
    """
    return os.getpid(), os.getpgid(0)


def fork_announce(path, seconds, value=None):
    """
    Write the worker pid to {path}, sleep {seconds}, then return the pid and {value}
    """
    with open(f"{path}.part", "w") as marker:
        marker.write(str(os.getpid()))
    os.rename(f"{path}.part", path)
    time.sleep(seconds)
    return os.getpid(), value


def fork_sever(path, seconds, ignore_term=True):
    """
    Optionally ignore SIGTERM, then cut the worker off from its team by pointing its channel
    descriptors at /dev/null, write the pid to {path} and hang for {seconds}
    """
    if ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    null = os.open(os.devnull, os.O_RDWR)
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd <= 2 or fd == null:
            continue
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(("pipe:", "socket:")):
            os.dup2(null, fd)
    os.close(null)
    with open(f"{path}.part", "w") as marker:
        marker.write(str(os.getpid()))
    os.rename(f"{path}.part", path)
    time.sleep(seconds)
    return os.getpid()


# end of fork tasks
