# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Tasks for the tests, at module level so any recruiter can find them by name
"""

# externals
import builtins
import ctypes
import os
import signal
import socket
import sys
import threading
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



def scribble(array, value):
    """
    Write {value} all over {array} and return it
    """
    array[:] = value
    return array


def scribble_once_then_die(path, array, value):
    """
    The first time: write {value} all over {array} and die; then: the sum of {array}
    """
    if not os.path.exists(path):
        open(path, "w").close()
        array[:] = value
        os.kill(os.getpid(), signal.SIGKILL)
    return float(array.sum())


def stash(array):
    """
    Keep {array} in the worker, in the module as the worker has it, which is where functions
    that travel by value find it too; return its first element
    """
    sys.modules[__name__].kept = array
    return float(array[0])


def stashed():
    """
    The first element of the array {stash} kept, after whatever ran since; -1 if it is no longer
    the same all over
    """
    kept = sys.modules[__name__].kept
    return float(kept[0]) if float(kept.min()) == float(kept.max()) else -1.0


def measure(data):
    """
    The length of {data}, which must be bytes
    """
    assert type(data) is bytes
    return len(data)

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


def stumble(path, failures, kind="OSError"):
    """
    Raise the builtin exception {kind} the first {failures} times it runs; log the time of
    each run in the file {path}; return the number of runs
    """
    # log this run
    with open(path, "a") as log:
        log.write(f"{time.monotonic()}\n")
    with open(path) as log:
        runs = len(log.read().split())
    # fail while there are failures to go
    if runs <= failures:
        raise getattr(builtins, kind)(f"run {runs} failed")
    return runs


def doze(seconds):
    """
    Sleep, then return the pid of the worker
    """
    time.sleep(seconds)
    return os.getpid()


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


def crewstate():
    """
    What the team's initializer returned in this worker
    """
    return pyre_nexus.state()


def remember(path):
    """
    An initializer: note this worker's pid in {path}, and return it with a token of its own
    """
    note(path, os.getpid())
    return {"pid": os.getpid(), "token": os.urandom(4).hex()}


def first_dies(path):
    """
    The first worker to claim {path} dies at once; the others return their pid
    """
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return os.getpid()
    os._exit(3)


def note(path, value):
    """
    Append {value} as a line of the file {path}, and return it
    """
    with open(path, "a") as log:
        log.write(f"{value}\n")
    return value


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


# tasks for tests/teams/test_chaos.py, tests/teams/test_exhaustion.py and tests/test_signals.py
def chaos_blob(size, tag):
    """
    Return {size} bytes, a multiple of 256, that start with the byte {tag % 256}; large enough,
    at 1 MiB or more, to travel through shared memory
    """
    return bytes([tag % 256]) + fault_blob(size)[1:]


def chaos_exit(status):
    """
    Leave through {sys.exit}, which the worker reports as a {TaskAborted}
    """
    import sys

    sys.exit(status)


def chaos_setup(path, failing):
    """
    An initializer that counts its runs in the file {path} and fails the runs numbered in
    {failing}
    """
    runs = fault_tally(path)
    if runs in failing:
        raise RuntimeError(f"setup {runs} failed")


def exhaust_cap():
    """
    The soft limit of the address space of the worker, and its pid
    """
    import resource

    return resource.getrlimit(resource.RLIMIT_AS)[0], os.getpid()


def exhaust_hog(chunk=1 << 20):
    """
    Allocate {chunk} bytes at a time, and keep them, until something gives
    """
    hoard = []
    while True:
        hoard.append(bytearray(chunk))


def exhaust_flood(stream, megabytes, value=None):
    """
    Write {megabytes} MiB to the worker's {stream}, "stdout" or "stderr", then return {value}
    """
    import sys

    out = getattr(sys, stream)
    line = ("x" * 1023 + "\n") * 64
    for _ in range(megabytes * 16):
        out.write(line)
    out.flush()
    return value


def exhaust_brood(folder, seconds):
    """
    Start a family and then sleep for {seconds}, so the team kills the worker; each member
    writes its pid to a file named after it in {folder}, then sleeps too:
      child: in the worker's process group
      grandchild: a child of {child}, in the same group
      regrouped: a child of {child} that moves to a process group of its own
      group: a child that moves to a process group of its own
      session: a child that starts a session of its own
    """

    def announce(name):
        path = os.path.join(folder, name)
        with open(f"{path}.part", "w") as marker:
            marker.write(str(os.getpid()))
        os.rename(f"{path}.part", path)

    def member(name, setup=None, then=None):
        pid = os.fork()
        if pid == 0:
            try:
                # let go of the worker's descriptors and streams, as a well behaved daemon
                # would: a process that holds the stderr of a worker shell past its end
                # freezes a spawned team (see test_detached_process_does_not_freeze_the_team)
                os.closerange(3, 1024)
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                os.close(null)
                if setup is not None:
                    setup()
                if then is not None:
                    then()
                announce(name)
                time.sleep(seconds)
            finally:
                os._exit(0)
        return pid

    # the child, which starts two of its own first
    member(
        "child",
        then=lambda: (
            member("grandchild"),
            member("regrouped", setup=lambda: os.setpgid(0, 0)),
        ),
    )
    member("group", setup=lambda: os.setpgid(0, 0))
    member("session", setup=os.setsid)
    # and wait for the end
    time.sleep(seconds)
    return os.getpid()


def exhaust_detach(seconds):
    """
    Start a helper in a session of its own that sleeps for {seconds}, as a task that starts a
    background server would, with the worker's standard streams; return its pid
    """
    import subprocess

    return subprocess.Popen(["sleep", str(seconds)], start_new_session=True).pid


# end of chaos, exhaustion and signal tasks


# tasks for tests/test_output.py and tests/test_progress.py
def talk(tag, lines=3):
    """
    Write {lines} numbered lines tagged {tag} to standard output and one to standard error,
    through python, a child process and the journal; return {tag}
    """
    import subprocess
    import sys

    import journal

    for line in range(lines):
        print(f"{tag} out {line}")
    print(f"{tag} err", file=sys.stderr)
    subprocess.run(["echo", f"{tag} child"], check=True)
    journal.info("pyre_nexus.tests").log(f"{tag} journal")
    return tag


def chatter(tag, seconds):
    """
    Write a line tagged {tag}, without its end, then finish it after {seconds}
    """
    import sys

    sys.stdout.write(f"{tag} begins")
    sys.stdout.flush()
    time.sleep(seconds)
    print(" and ends")
    return tag


def flood(megabytes):
    """
    Write {megabytes} of numbered lines to standard output; return how many lines
    """
    import sys

    line = "x" * 1000
    count = megabytes * 1024
    for index in range(count):
        sys.stdout.write(f"{index:08d} {line}\n")
    return count


def steps(count, pause=0.0):
    """
    Report the progress of {count} steps, pausing {pause} seconds after each; return {count}
    """
    for step in range(1, count + 1):
        pyre_nexus.progress(step / count)
        time.sleep(pause)
    return count


def gossip(news=None):
    """
    Report {news} as progress; without any, report a lock, which cannot travel
    """
    import threading

    pyre_nexus.progress(threading.Lock() if news is None else news)
    return news


def mute(seconds):
    """
    Close the worker's standard output and error, wait {seconds}, and return the processor
    time the worker used meanwhile
    """
    os.close(1)
    os.close(2)
    before = os.times()
    time.sleep(seconds)
    after = os.times()
    return (after.user - before.user) + (after.system - before.system)


def mosaic(text, sizes):
    """
    Write {text} in UTF-8 to standard output and to standard error, in pieces of the byte counts
    in {sizes}, taken in turn, each flushed, so its characters are cut between writes; return
    {text}
    """
    import itertools
    import sys

    data = text.encode()
    for stream in (sys.stdout, sys.stderr):
        start = 0
        for size in itertools.cycle(sizes):
            if start >= len(data):
                break
            stream.buffer.write(data[start : start + size])
            stream.buffer.flush()
            start += size
    return text


def line(size):
    """
    Write a single line of {size} characters, with its end, to standard output; return {size}
    """
    import sys

    sys.stdout.write(("0123456789abcdef" * (size // 16 + 1))[:size] + "\n")
    return size


def listen():
    """
    Read standard input the ways a task may: through python, through the descriptor, and
    through a child process; return what each got, as text
    """
    import subprocess
    import sys

    child = subprocess.run(["cat"], stdout=subprocess.PIPE, check=True).stdout
    return [sys.stdin.read(), os.read(0, 1024).decode(), child.decode()]


# end of output and progress tasks


# values that fight back: what pickling or unpickling them runs raises, or what they raise is
# not an ordinary exception
class HostileReduce:
    """
    A value whose pickling raises an exception of the type named {kind}
    """

    def __init__(self, kind):
        self.kind = kind

    def __reduce__(self):
        import builtins

        raise getattr(builtins, self.kind)(f"pickling refused with {self.kind}")


class HostileUnpickle:
    """
    A value that pickles fine and whose unpickling in the team raises {SystemExit}
    """

    def __reduce__(self):
        return (sys.exit, (3,))


class HostileImpostor(Exception):
    """
    An exception that unpickles as something that is not one
    """

    def __reduce__(self):
        return (int, (5,))


class HostileMute(Exception):
    """
    An exception whose message cannot be rendered
    """

    def __str__(self):
        raise RuntimeError("no message for you")


class HostileBase(BaseException):
    """
    A {BaseException} that is neither an exit nor an interrupt
    """


def hostile_result(kind):
    """
    Return a value that fails to pickle with an exception of type {kind}
    """
    return HostileReduce(kind)


def hostile_raise(kind):
    """
    Raise something unusual, as named by {kind}
    """
    import asyncio

    if kind == "cancelled":
        raise asyncio.CancelledError("the task was told to stop")
    if kind == "base":
        raise HostileBase("a base exception")
    if kind == "mute":
        raise HostileMute()
    if kind == "impostor":
        raise HostileImpostor("unpickles as a number")
    if kind == "unpicklable":
        raise ValueError(HostileReduce("RuntimeError"))
    raise ValueError(f"unknown kind {kind!r}")


def hostile_unpickle():
    """
    Return a value whose unpickling in the team raises {SystemExit}
    """
    return HostileUnpickle()


def hostile_big(size):
    """
    Return {size} bytes
    """
    return b"x" * size


# end of hostile values


# tasks that misbehave with processes and time
def fork_both_return(value):
    """
    Fork, and let both copies return {value}, tagged with who they are
    """
    child = os.fork()
    return (value, "child" if child == 0 else "parent")


def hang_forever():
    """
    An initializer that never finishes
    """
    while True:
        time.sleep(1)


def nbytes(data):
    """
    The size of {data}
    """
    return len(data)


# end of process and time tasks


# tasks for tests/recruiters/test_cgroup.py
def cgroup_reserve(size):
    """
    Map {size} bytes of private memory without touching them, as runtimes that reserve address
    space do; return how many were mapped
    """
    import mmap

    with mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS) as region:
        return len(region)


def cgroup_hog(chunk=1 << 20):
    """
    Fill {chunk} bytes at a time, so they are resident, and keep them, until something gives
    """
    hoard = []
    while True:
        hoard.append(b"\x01" * chunk)


def cgroup_detach():
    """
    Let go of the worker's descriptors and streams, as a well behaved daemon would
    """
    os.closerange(3, 1024)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def cgroup_bomb(folder):
    """
    A fork bomb: every process of it forks without end, trying again when a fork is refused,
    and each new one writes its pid to a file named after it in {folder}; never returns
    """
    while True:
        # fork
        try:
            pid = os.fork()
        # and try again when refused
        except OSError:
            time.sleep(1e-3)
            continue
        # a new one
        if pid == 0:
            cgroup_detach()
            with open(os.path.join(folder, str(os.getpid())), "w"):
                pass


def cgroup_daemon(folder, seconds):
    """
    Start a daemon the classic way: a child that starts a session of its own, forks the daemon
    and exits, so the daemon belongs to neither the worker's process group nor its session;
    the daemon writes its pid to the file {folder}/daemon and sleeps for a minute. Then sleep
    for {seconds}, and return the pid of the worker
    """
    # the child
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            # the daemon
            if os.fork() == 0:
                cgroup_detach()
                path = os.path.join(folder, "daemon")
                with open(f"{path}.part", "w") as marker:
                    marker.write(str(os.getpid()))
                os.rename(f"{path}.part", path)
                time.sleep(60)
        finally:
            os._exit(0)
    # which exits once the daemon is on its way
    os.waitpid(pid, 0)
    # then wait
    time.sleep(seconds)
    return os.getpid()


# end of cgroup tasks


# results that hold the interpreter lock
class Stubborn:
    """
    A result that holds the interpreter lock of its worker for {seconds} while it is pickled, so
    no other thread of the worker, its heartbeat included, runs meanwhile
    """

    def __init__(self, seconds, value):
        self.seconds = seconds
        self.value = value

    def __reduce__(self):
        # a call through the python api keeps the lock, and {sleep} waits in the kernel
        ctypes.pythonapi.sleep(self.seconds)
        return (int, (self.value,))


def stubborn(seconds, value):
    """
    Return {value}, as a result that takes {seconds} to pickle
    """
    return Stubborn(seconds=seconds, value=value)


# end of lock tasks


# where a crew runs
def whereabouts():
    """
    The cgroups of my process, as the kernel lists them, and my parent's pid
    """
    with open("/proc/self/cgroup") as groups:
        return groups.read(), os.getppid()


# end of whereabouts


# added for tests/teams/test_executor.py
def late_fail(seconds, message="failed late"):
    """
    Sleep for {seconds}, then raise a {ValueError} with {message}
    """
    time.sleep(seconds)
    raise ValueError(message)


# end of executor tasks


# tasks for tests/recruiters/test_forkserver.py
# a lock that a thread of the team holds while the team recruits
forkserver_lock = threading.Lock()


def forkserver_take(timeout):
    """
    Take the lock of this module, as the worker's copy has it, waiting at most {timeout}
    seconds; return whether it could, and the pid of the worker
    """
    # the worker's copy of this module, by name: when the module's functions travel by value, as
    # the remote tests have them, a global would travel with them, and a lock does not pickle
    lock = sys.modules[__name__].forkserver_lock
    taken = lock.acquire(timeout=timeout)
    if taken:
        lock.release()
    return taken, os.getpid()


def forkserver_loaded(names):
    """
    Which of the modules {names} the worker has imported
    """
    return [name in sys.modules for name in names]


# end of forkserver tasks
