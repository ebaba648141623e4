"""
The cases: what each one runs on a system, and the metrics it reports

A case is a list of measurements; each measurement is {(workers, body)}, where {body(system)}
starts the system, runs, and returns a dict of metrics; the harness shuts the system down and
checks its processes are gone. F runs in a fresh interpreter, see memory.py
"""

import os
import tempfile
import time
from dataclasses import dataclass, field

import work

KiB, MiB = 1024, 1024 * 1024

# the sizes of a full run and of a smoke run
FULL = dict(
    A=20_000, A2=20_000, chunk=100, B=2_000, C=64 * MiB, D=(2, 8), E=200, F=1_000_000,
    S={0: 2_000, KiB: 2_000, 64 * KiB: 500, MiB: 100},
)
QUICK = dict(
    A=2_000, A2=5_000, chunk=100, B=200, C=8 * MiB, D=(2, 8), E=40, F=100_000,
    S={0: 300, KiB: 300, 64 * KiB: 100, MiB: 20},
)


@dataclass
class Metric:
    key: str
    unit: str
    higher: bool  # whether a higher value is better


@dataclass
class Case:
    key: str
    title: str
    metrics: list
    plan: object = None  # plan(sizes, context) -> [(workers, body)]
    derive: object = None  # derive(metrics) adds the metrics computed from the others
    notes: list = field(default_factory=list)


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def started(system):
    system.start()
    system.ready()
    return system


# A: no-op tasks, one by one
def plan_A(sizes, context):
    count = sizes["A"]

    def body(system):
        elapsed, results = timed(started(system).submit_all, work.noop, [()] * count)
        assert len(results) == count
        return {"tasks/s": count / elapsed}

    return [(2, body)]


# A2: the same through a chunked map
def plan_A2(sizes, context):
    count, chunk = sizes["A2"], sizes["chunk"]

    def body(system):
        elapsed, results = timed(started(system).map, work.ident, range(count), chunk)
        assert sorted(results) == list(range(count)), "map lost or garbled results"
        return {"tasks/s": count / elapsed}

    return [(2, body)]


# B: sequential round trips
def plan_B(sizes, context):
    count = sizes["B"]

    def body(system):
        call = started(system).call
        samples = []
        for _ in range(count):
            start = time.perf_counter()
            call(work.noop)
            samples.append(time.perf_counter() - start)
        samples.sort()
        return {
            "median us": 1e6 * samples[len(samples) // 2],
            "p99 us": 1e6 * samples[min(len(samples) - 1, int(0.99 * len(samples)))],
        }

    return [(2, body)]


# G: A and B again, over the authenticated TCP channels of the spawn recruiter, beside fork
def plan_G(sizes, context):
    count, trips = sizes["A"], sizes["B"]

    def body(system):
        started(system)
        elapsed, results = timed(system.submit_all, work.noop, [()] * count)
        assert len(results) == count
        samples = []
        for _ in range(trips):
            start = time.perf_counter()
            system.call(work.noop)
            samples.append(time.perf_counter() - start)
        samples.sort()
        return {
            "A tasks/s": count / elapsed,
            "B median us": 1e6 * samples[len(samples) // 2],
            "B p99 us": 1e6 * samples[min(len(samples) - 1, int(0.99 * len(samples)))],
        }

    return [(2, body)]


# C: big payloads, one way and echoed
_payloads = {}


def payloads(size):
    """A bytes object and a float64 array of {size} bytes, random, made once"""
    if size not in _payloads:
        import numpy

        array = numpy.random.default_rng(0).random(size // 8)
        _payloads.clear()
        _payloads[size] = (array.tobytes(), array)
    return _payloads[size]


def release():
    """Let go of the payloads, so the workers forked later do not inherit them"""
    _payloads.clear()


def plan_C(sizes, context):
    size = sizes["C"]

    def body(system):
        started(system)
        metrics = {}
        for kind, payload in zip(("bytes", "numpy"), payloads(size)):
            # steady state, for every system alike: two calls of each kind first, so buffers,
            # arenas or shared memory that a system keeps for reuse are in place
            for _ in range(2):
                system.call(work.length, payload)
                system.call(work.ident, payload)
            elapsed, result = timed(system.call, work.length, payload)
            assert result == size, f"{kind} one way: {result} bytes arrived, not {size}"
            metrics[f"{kind} one-way GB/s"] = size / elapsed / 1e9
            elapsed, result = timed(system.call, work.ident, payload)
            assert len(result) * (8 if kind == "numpy" else 1) == size, f"{kind} echo garbled"
            metrics[f"{kind} echo GB/s"] = size / elapsed / 1e9
            del result
        return metrics

    return [(2, body)]


# D: from nothing to N ready workers that each ran one task, then shut down
def plan_D(sizes, context):
    def measurement(count):
        def body(system):
            fd, path = tempfile.mkstemp(prefix="bench-D-")
            os.close(fd)
            try:
                start = time.perf_counter()
                system.start()
                pids = system.submit_all(work.rendezvous, [(path, count)] * count)
                system.stop()
                elapsed = time.perf_counter() - start
            finally:
                os.unlink(path)
            assert len(set(pids)) == count, f"{len(set(pids))} workers ran the tasks, not {count}"
            return {f"N={count} ms": 1e3 * elapsed}

        return (count, body)

    return [measurement(count) for count in sizes["D"]]


# E: CPU bound tasks, 1 worker versus 2
def plan_E(sizes, context):
    count, turns = sizes["E"], context["turns"]

    def measurement(workers):
        def body(system):
            elapsed, results = timed(started(system).submit_all, work.spin, [(turns,)] * count)
            assert len(results) == count
            return {f"{workers} worker s": elapsed}

        return (workers, body)

    return [measurement(1), measurement(2)]


def derive_E(metrics):
    if "1 worker s" in metrics and "2 worker s" in metrics:
        metrics["speedup"] = metrics["1 worker s"] / metrics["2 worker s"]
    return metrics


# S: the size sweep behind the plot: echoed payloads of several sizes
def label(size):
    return "0 B" if size == 0 else f"{size // MiB} MiB" if size >= MiB else f"{size // KiB} KiB"


def plan_S(sizes, context):
    def body(system):
        started(system)
        metrics = {}
        for size, count in sizes["S"].items():
            payload = os.urandom(size)
            elapsed, results = timed(system.submit_all, work.ident, [(payload,)] * count)
            assert len(results) == count and results[-1] == payload
            metrics[f"{label(size)} tasks/s"] = count / elapsed
        return metrics

    return [(2, body)]


CASES = {
    "A": Case("A", "{A:,} no-op tasks submitted one by one, wait for all, 2 workers",
              [Metric("tasks/s", "tasks/s", True)], plan_A,
              notes=["pyre.nexus Pool recruits its crews for each workplan, so its time includes that"]),
    "A2": Case("A2", "{A2:,} tasks through map with chunksize {chunk}, 2 workers",
               [Metric("tasks/s", "tasks/s", True)], plan_A2,
               notes=["mp.Pool: imap_unordered; cf.PPE and loky: map; pyre.nexus Staff: hand made "
                      "chunks of {chunk} as tasks (it has no map)"]),
    "B": Case("B", "{B:,} sequential submit-and-wait round trips of a no-op, 2 workers",
              [Metric("median us", "us", False), Metric("p99 us", "us", False)], plan_B),
    "C": Case("C", "{C_MiB} MiB payloads: sent as the argument (the task returns its length) "
                   "and echoed back; GB/s = payload bytes / wall time, 1 GB = 1e9 bytes",
              [Metric(f"{k} {w} GB/s", "GB/s", True)
               for k in ("bytes", "numpy") for w in ("one-way", "echo")], plan_C),
    "D": Case("D", "from nothing to N ready workers that each ran one task (a file barrier), "
                   "then shut down",
              [Metric("N=2 ms", "ms", False), Metric("N=8 ms", "ms", False)], plan_D),
    "E": Case("E", "{E} CPU-bound tasks of ~5 ms (pure python loop), 1 worker versus 2",
              [Metric("1 worker s", "s", False), Metric("2 worker s", "s", False),
               Metric("speedup", "x", True)], plan_E, derive_E),
    "F": Case("F", "{F:,} queued no-op tasks: team process memory per queued task "
                   "(peak RSS minus RSS before submitting, in a fresh interpreter)",
              [Metric("bytes/task", "B", False), Metric("submit us", "us", False)],
              notes=["pyre_nexus runs --repeat times, each peer once (its memory per task does not "
                     "move); a peer whose submission would take > 60 s is skipped",
                     "the queued tasks are then cancelled, not run; 'submit us' is the cost of one submit "
                     "with that many queued"]),
    "G": Case("G", "A ({A:,} no-op tasks) and B ({B:,} round trips) on crews over authenticated "
                   "TCP loopback (the spawn recruiter), beside fork crews",
              [Metric("A tasks/s", "tasks/s", True), Metric("B median us", "us", False),
               Metric("B p99 us", "us", False)], plan_G),
    "S": Case("S", "echoed payloads by size, submitted one by one, 2 workers (the plot)",
              [Metric(f"{label(s)} tasks/s", "tasks/s", True) for s in FULL["S"]], plan_S),
}
ORDER = ["A", "A2", "B", "C", "D", "E", "F", "G", "S"]


def title(case, sizes):
    return case.title.format(C_MiB=sizes["C"] // MiB, **sizes)
