# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import math
import pathlib
import random
import sys
import time

# the progress display
import tqdm

# the framework
import journal
import pyre
# my package
import pyre_nexus
from pyre_nexus import exceptions
from pyre_nexus.teams.Gauge import Gauge


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
    samples.doc = "the number of darts to throw; at least one per task"

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
        print(f"pyre_nexus {pyre_nexus.version} demo: estimating pi with {total:,} darts in {len(plan)} tasks")
        # the serial run
        serial = None
        if self.serial:
            start = time.perf_counter()
            hits = self.throw(plan)
            serial = time.perf_counter() - start
            print(f"  serial: pi ~ {4 * hits / total:.6f} in {serial:.2f} s")
        # the team run, timed as the team keeps its books: from building the team, which is
        # why it is built only now, to letting its crews go
        start = time.perf_counter()
        team = self.team
        print(
            f"  team:   {team.pyre_family()} '{team.pyre_name}', {team.size} crews, recruiter "
            f"{team.recruiter.pyre_family()}"
        )
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
        # let the crews go
        team.shutdown()
        elapsed = time.perf_counter() - start
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

    # framework hooks
    def pyre_configured(self):
        """
        Check my configuration; each complaint names the trait, the value and what is accepted
        """
        # chain up
        yield from super().pyre_configured()
        # the darts are split into tasks
        batches = exceptions.configured(self, "batches")
        split = isinstance(batches, int) and batches >= 1
        if not split:
            yield str(exceptions.complain(self, trait="batches", value=batches, accepted="a positive number of tasks"))
        # with at least one dart in each, or a task has nothing to estimate with
        samples = exceptions.configured(self, "samples")
        least = batches if split else 1
        if not (isinstance(samples, int) and samples >= least):
            yield str(
                exceptions.complain(
                    self,
                    trait="samples",
                    value=samples,
                    accepted=f"a number of darts, at least one per task: {least} or more",
                )
            )
        # the serial run is on or off
        serial = exceptions.configured(self, "serial")
        if not isinstance(serial, bool):
            yield str(exceptions.complain(self, trait="serial", value=serial, accepted="true or false"))
        # all done
        return

    # helpers
    def throw(self, plan):
        """
        Throw the darts of {plan} here, one task after the other; return the hits. On a
        terminal, show the progress as the team shows its own
        """
        # draw as the team's display draws
        stream = sys.stderr
        size = Gauge.size(stream)
        bar = tqdm.tqdm(
            total=len(plan),
            desc="serial",
            unit="task",
            file=stream,
            disable=not Gauge.wanted(stream),
            dynamic_ncols=size is None,
            ncols=size and size.columns,
            nrows=size and size.lines,
            smoothing=0.1,
            delay=Gauge.delay,
        )
        # throw, and take the display down however that goes
        hits = 0
        with bar:
            for seed, count in plan:
                hits += darts(seed, count)
                bar.update(1)
        # all done
        return hits


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
    # build the application and run it
    try:
        return build().run()
    # pyre has shown the error on the application's fatal channel, which then raises; the
    # user needs the message, not the traceback
    except journal.ApplicationError:
        return 1


def build():
    """
    Build the demo, which checks its configuration; one it cannot use is said on its fatal
    channel, as pyre says what goes wrong once it runs
    """
    # build it
    try:
        return Demo(name="nexus-demo")
    # pyre raises instead of handing the application over, so its channel says it, by name
    except pyre.components.exceptions.ConfigurationError as error:
        raise journal.error(Demo.pyre_namespace).log(str(error))


# end of file
