"""
Case F, in a fresh interpreter so the peak resident size belongs to this case alone:

    python benchmarks/memory.py SYSTEM COUNT LIMIT

starts SYSTEM with 2 workers, waits until they are ready, then submits COUNT no-op tasks
without waiting (the caller keeps their handles, as a real one would) and reports, as one JSON
line, the team process's peak RSS minus its RSS before submitting, per task. The submission
stops, and the system is skipped, once it is clear that it would take more than LIMIT seconds.
The queued tasks are then cancelled (or the pool terminated) rather than run
"""

import gc
import json
import sys
import time

# pyre reads the command line when it is imported: take the arguments first
name, count, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
del sys.argv[1:]

import harness  # noqa: E402
import systems  # noqa: E402
import work  # noqa: E402

PAGE = __import__("os").sysconf("SC_PAGE_SIZE")


def rss():
    """The resident size of this process now, in bytes"""
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * PAGE


def peak():
    """
    The peak resident size of this process so far, in bytes: VmHWM, which starts afresh at
    exec; ru_maxrss would not do, since Linux carries it over from the parent
    """
    with open("/proc/self/status") as stream:
        for line in stream:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def body(system):
    system.start()
    system.ready()
    gc.collect()
    base, before = rss(), peak()
    handles, step = [], 10_000
    start = time.perf_counter()
    while len(handles) < count:
        handles += system.enqueue(work.noop, min(step, count - len(handles)))
        elapsed = time.perf_counter() - start
        # the projected time of the whole submission
        projected = elapsed * count / len(handles)
        if len(handles) >= 5 * step and projected > limit:
            return {"skipped": f"would take ~{projected:.0f} s to submit {count:,} tasks (> {limit:.0f} s)"}
    elapsed = time.perf_counter() - start
    after, top = rss(), peak()
    return {
        "bytes/task": (max(after, top) - base) / count,
        "submit us": 1e6 * elapsed / count,
        "rss before MiB": base / 2**20,
        "rss after MiB": after / 2**20,
        "peak MiB": top / 2**20,
        "peak before MiB": before / 2**20,
    }


def main():
    system = {each.name: each for each in systems.ALL}[name]
    # the abort at the end cancels the tasks: body returns, the harness aborts on error only,
    # so stop the system here, within the harness's limits
    def run(system_):
        metrics = body(system_)
        system_.abort()
        return metrics

    metrics, error = harness.measure(system, run, workers=2, limit=limit * 3, what=f"F {name}")
    print(json.dumps({"metrics": metrics, "error": error}))


main()
