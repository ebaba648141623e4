"""
Run one measurement safely: a time limit, the system shut down whatever happens, and a check
through /proc that it left no process of ours behind
"""

import contextlib
import os
import signal
import time


class Timeout(Exception):
    """A measurement ran out of time"""


@contextlib.contextmanager
def deadline(seconds, what):
    """Raise {Timeout} in the main thread if the block takes more than {seconds}"""

    def expire(signum, frame):
        raise Timeout(f"{what}: no answer after {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def children():
    """The child processes of this one, as {pid: (state, command line)}, zombies included"""
    me = str(os.getpid())
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stream:
                state, parent = stream.read().rpartition(")")[2].split()[:2]
            if parent != me:
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as stream:
                command = stream.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        found[int(entry)] = (state, command)
    return found


def helper(command):
    """Long lived helpers a peer starts once per interpreter, on purpose: loky's and
    multiprocessing's resource trackers; they are not leaks"""
    return "resource_tracker" in command


def leftovers(before, grace=3.0):
    """
    Wait up to {grace} seconds for the children that appeared since {before} to be gone; kill
    and reap the ones that stay (ours, by pid); return a description of them, or None
    """
    expiration = time.monotonic() + grace
    while True:
        extra = {
            pid: info for pid, info in children().items() if pid not in before and not helper(info[1])
        }
        if not extra or time.monotonic() > expiration:
            break
        time.sleep(0.01)
    if not extra:
        return None
    for pid in extra:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)
    return "left " + ", ".join(f"pid {pid} ({state}) {cmd[:40]}" for pid, (state, cmd) in extra.items())


def measure(system_class, body, workers=2, limit=120.0, what="?"):
    """
    Start a {system_class} with {workers}, run {body(system)} within {limit} seconds, stop the
    system and check its processes are gone. Returns {(metrics, error)}: one of them is None
    unless the body worked but the cleanup did not, in which case both are given
    """
    before = children()
    system = system_class(workers=workers)
    metrics, error = None, None
    try:
        with deadline(limit, what):
            metrics = body(system)
    except BaseException as failure:
        if isinstance(failure, KeyboardInterrupt):
            raise
        error = f"{type(failure).__name__}: {failure}"[:300]
    # shut down, within a bound of its own; abort if the body failed
    try:
        with deadline(30, f"{what}: shutdown"):
            if getattr(system, "started", False):
                (system.stop if error is None else system.abort)()
    except Exception as failure:
        error = error or f"shutdown: {type(failure).__name__}: {failure}"[:300]
    left = leftovers(before)
    if left:
        error = f"{error}; {left}" if error else left
    return metrics, error
