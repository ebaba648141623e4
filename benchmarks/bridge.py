"""
The cost of awaiting futures from asyncio, against waiting for them synchronously, on the same
team in the same run:

    python benchmarks/bridge.py [ROUNDS [TRIPS [TASKS]]]

runs ROUNDS (5) rounds, alternating the two ways so a drift of the machine hits both alike; in
each round:

    round trip      TRIPS (2,000) sequential no-op tasks: {staff.submit(noop).result()} against
                    {await staff.submit(noop)}; the median and the p99, in microseconds
    throughput      TASKS (20,000) no-op tasks submitted at once, then waited for: {staff.wait}
                    against {await asyncio.gather(*futures)} (an asyncio task per future) and
                    against awaiting each future in turn; tasks/s

and prints the median over the rounds of each, and the ratios asyncio / synchronous (> 1 means
asyncio costs more time, or delivers more tasks/s). 2 workers
"""

import asyncio
import statistics
import sys
import time

# pyre reads the command line when it is imported: take the arguments first
rounds, trips, count = ([int(arg) for arg in sys.argv[1:4]] + [5, 2000, 20000][len(sys.argv[1:4]) :])[:3]
del sys.argv[1:]

import pyre_nexus  # noqa: E402
import work  # noqa: E402


def percentiles(samples):
    """The median and the p99 of {samples}, in microseconds"""
    samples = sorted(samples)
    return 1e6 * samples[len(samples) // 2], 1e6 * samples[int(0.99 * (len(samples) - 1))]


def trip_sync(staff):
    samples = []
    for _ in range(trips):
        start = time.perf_counter()
        staff.submit(work.noop).result()
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


async def trip_async(staff):
    samples = []
    for _ in range(trips):
        start = time.perf_counter()
        await staff.submit(work.noop)
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def flow_sync(staff):
    start = time.perf_counter()
    futures = [staff.submit(work.noop) for _ in range(count)]
    staff.wait(futures)
    return count / (time.perf_counter() - start)


async def flow_gather(staff):
    start = time.perf_counter()
    await asyncio.gather(*[staff.submit(work.noop) for _ in range(count)])
    return count / (time.perf_counter() - start)


async def flow_each(staff):
    start = time.perf_counter()
    for future in [staff.submit(work.noop) for _ in range(count)]:
        await future
    return count / (time.perf_counter() - start)


async def asynchronous(staff):
    """One round of the asyncio side, in a fresh asyncio loop"""
    return (await trip_async(staff), await flow_gather(staff), await flow_each(staff))


def main():
    staff = pyre_nexus.staff()(name="bench-bridge", size=2)
    # bring the crews up and let the team learn the pace of a no-op
    list(staff.map(work.ident, range(2000)))
    rows = {name: [] for name in ("sync rtt", "async rtt", "sync flow", "gather flow", "each flow")}
    for _ in range(rounds):
        rows["sync rtt"].append(trip_sync(staff))
        rows["sync flow"].append(flow_sync(staff))
        rtt, gathered, each = asyncio.run(asynchronous(staff))
        rows["async rtt"].append(rtt)
        rows["gather flow"].append(gathered)
        rows["each flow"].append(each)
    staff.shutdown()
    # the medians over the rounds
    median = {name: statistics.median(value if isinstance(value, float) else value[0] for value in values) for name, values in rows.items()}
    p99 = {name: statistics.median(value[1] for value in rows[name]) for name in ("sync rtt", "async rtt")}
    print(f"{rounds} rounds, 2 workers; round trips of {trips:,} no-op tasks, throughput of {count:,}")
    print(f"  round trip us      sync {median['sync rtt']:8.1f} (p99 {p99['sync rtt']:.1f})"
          f"   await {median['async rtt']:8.1f} (p99 {p99['async rtt']:.1f})"
          f"   ratio {median['async rtt'] / median['sync rtt']:.2f}, {median['async rtt'] - median['sync rtt']:+.1f} us")
    for name, label in (("gather flow", "gather"), ("each flow", "await each")):
        print(f"  tasks/s            wait {median['sync flow']:8,.0f}   {label:>10} {median[name]:8,.0f}"
              f"   ratio {median[name] / median['sync flow']:.2f}")


if __name__ == "__main__":
    main()
