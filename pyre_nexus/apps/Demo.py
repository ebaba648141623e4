# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import math
import pathlib
import random
import time

# the framework
import journal
import pyre
# my package
import pyre_nexus


# the workload: one batch of a Monte Carlo estimate of pi
def darts(seed, count):
    """
    Throw {count} darts at the unit square; return how many land inside the quarter circle
    """
    # a generator of our own, so batches are independent and repeatable
    rng = random.Random(seed)
    # count the hits
    hits = 0
    for _ in range(count):
        x = rng.random()
        y = rng.random()
        hits += x * x + y * y <= 1.0
    # all done
    return hits


# declaration
class Demo(pyre.application, family="pyre_nexus.apps.demo", namespace="pyre_nexus"):
    """
    Estimate pi by Monte Carlo, first serially, then on a team of crews, and compare
    """

    # user configurable state
    samples = pyre.properties.int(default=8_000_000)
    samples.doc = "the number of darts to throw"

    batches = pyre.properties.int(default=64)
    batches.doc = "the number of tasks the darts are split into"

    serial = pyre.properties.bool(default=True)
    serial.doc = "whether to time a serial run too, for comparison"

    team = pyre_nexus.team()
    team.doc = "the team that throws the darts"

    # obligations
    @pyre.export
    def main(self, *args, **kwds):
        """
        Run the demo
        """
        # split the work
        count = self.samples // self.batches
        plan = [(seed, count) for seed in range(self.batches)]
        total = count * self.batches
        # show the setup
        team = self.team
        print(f"pyre_nexus {pyre_nexus.version} demo: estimating pi with {total:,} darts")
        print(
            f"  team: {team.pyre_family()} '{team.pyre_name}', {team.size} crews, recruiter "
            f"{team.recruiter.pyre_family()}"
        )
        # the serial run
        serial = None
        if self.serial:
            start = time.perf_counter()
            hits = sum(darts(seed, count) for seed, count in plan)
            serial = time.perf_counter() - start
            print(f"  serial: pi ~ {4 * hits / total:.6f} in {serial:.2f} s")
        # the team run
        start = time.perf_counter()
        futures = [team.submit(darts, seed, count) for seed, count in plan]
        hits = 0
        # the team shows its progress on a terminal while the outcomes come in
        failed = []
        for future in team.as_completed(futures):
            # collect
            error = future.exception()
            if error is None:
                hits += future.result()
            else:
                failed.append(f"  {future.label} failed: {error}")
        failures = len(failed)
        # say what went wrong, after the display is down
        for line in failed:
            print(line)
        elapsed = time.perf_counter() - start
        # let the crews go
        team.shutdown()
        # report
        thrown = count * (len(futures) - failures)
        estimate = 4 * hits / thrown if thrown else math.nan
        print(
            f"  team:   pi ~ {estimate:.6f} in {elapsed:.2f} s "
            f"(error {abs(estimate - math.pi):.1e}, {failures} failed tasks)"
        )
        if serial is not None:
            print(f"  speedup over serial: {serial / elapsed:.2f}x on {team.size} crews")
        # all done
        return 0 if failures == 0 else 1

    # helpers



# the entry point
def main():
    """
    Run the demo with its shipped configuration, which user files and the command line override
    """
    # load the shipped configuration at package priority, so everything else beats it
    shipped = pathlib.Path(__file__).with_name("nexus-demo.pfg")
    pyre.executive.loadConfiguration(
        uri=str(shipped), priority=pyre.executive.priority.package
    )
    # build the application
    app = Demo(name="nexus-demo")
    # and run it
    try:
        return app.run()
    # pyre has shown the error on the application's fatal channel, which then raises; the
    # user needs the message, not the traceback
    except journal.ApplicationError:
        return 1


# end of file
