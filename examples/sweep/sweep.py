# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
A parameter sweep on a team of crews: the steady state amplitude of a driven, damped
oscillator over a grid of damping ratios and driving frequencies

    x'' + 2 z x' + x = cos(w t)

Each grid point is one task; the tasks run on the team, and their outcomes are gathered as
they finish. A point without damping has no steady state, so the model rejects it with a
{ValueError}: that point fails, and the sweep carries on without it
"""

# externals
import collections
import math
import pathlib
import time

# the framework
import journal
import pyre
# the package
import pyre_nexus


# the model; tasks run as functions of this script, which pyre_nexus sends to the workers by
# value, so they must live at module level, and everything they use must travel with them
def amplitude(damping, drive, step, tolerance=1e-6):
    """
    Integrate the oscillator with damping ratio {damping}, driven at the angular frequency
    {drive}, from rest, using RK4 with time {step}, until the transient has decayed below
    {tolerance}; return the amplitude of the steady state
    """
    # reject the points where the question has no answer
    if damping <= 0:
        # the transient decays like exp(-z t): without damping it never does
        raise ValueError(
            f"damping {damping:g}: the transient never decays, so there is no steady state"
        )
    if drive <= 0:
        raise ValueError(f"drive {drive:g}: the driving frequency must be positive")
    if step <= 0:
        raise ValueError(f"step {step:g}: the time step must be positive")

    # the acceleration
    def accelerate(t, x, v):
        return math.cos(drive * t) - 2 * damping * v - x

    # how long the transient takes to fade below the tolerance
    settle = math.log(1 / tolerance) / damping
    # after that, watch two periods of the drive
    end = settle + 2 * (2 * math.pi / drive)
    # start at rest
    t = x = v = 0.0
    # the largest excursion after the transient
    peak = 0.0
    # classic fourth order Runge-Kutta
    h = step
    while t < end:
        k1x, k1v = v, accelerate(t, x, v)
        k2x, k2v = v + h / 2 * k1v, accelerate(t + h / 2, x + h / 2 * k1x, v + h / 2 * k1v)
        k3x, k3v = v + h / 2 * k2v, accelerate(t + h / 2, x + h / 2 * k2x, v + h / 2 * k2v)
        k4x, k4v = v + h * k3v, accelerate(t + h, x + h * k3x, v + h * k3v)
        x += h / 6 * (k1x + 2 * k2x + 2 * k3x + k4x)
        v += h / 6 * (k1v + 2 * k2v + 2 * k3v + k4v)
        t += h
        # past the transient, track the amplitude
        if t > settle:
            peak = max(peak, abs(x))
    # all done
    return peak


def theory(damping):
    """
    The driving frequency of the resonance peak and its amplitude, from the closed form;
    {None} for the frequency when the damping is too strong for a peak
    """
    # the peak exists for z < 1/sqrt(2)
    if 2 * damping * damping >= 1:
        return None, 1.0
    # where it is, and how tall
    where = math.sqrt(1 - 2 * damping * damping)
    height = 1 / (2 * damping * math.sqrt(1 - damping * damping))
    return where, height


# declaration
class Sweep(pyre.application, family="nexus_examples.sweep"):
    """
    Sweep the response of a driven, damped oscillator over a grid of damping ratios and
    driving frequencies, one task per grid point, and report where it resonates
    """

    # user configurable state
    dampings = pyre.properties.list(schema=pyre.properties.float(), default=[0.0, 0.1, 0.2])
    dampings.doc = "the damping ratios of the grid; zero is rejected by the model"

    low = pyre.properties.float(default=0.5)
    low.doc = "the lowest driving frequency of the grid"

    high = pyre.properties.float(default=1.5)
    high.doc = "the highest driving frequency of the grid"

    frequencies = pyre.properties.int(default=11)
    frequencies.doc = "how many driving frequencies, evenly spaced from low to high"

    step = pyre.properties.float(default=0.01)
    step.doc = "the time step of the integrator"

    team = pyre_nexus.team()
    team.doc = "the team that integrates the grid points"

    # obligations
    @pyre.export
    def main(self, *args, **kwds):
        """
        Run the sweep
        """
        # build the grid
        drives = self.drives()
        grid = [(damping, drive) for damping in self.dampings for drive in drives]
        # show the setup
        team = self.team
        print(
            f"sweep: {len(grid)} points ({len(self.dampings)} dampings x {len(drives)} drives) "
            f"on {team.size} crews, recruiter {team.recruiter.pyre_family()}, "
            f"deadline {team.deadline}"
        )
        # one task per point, all at once; remember which point each future stands for
        start = time.perf_counter()
        points = {
            team.submit(amplitude, damping, drive, self.step): (damping, drive)
            for damping, drive in grid
        }
        # gather the outcomes as they arrive; every task gets its own, so a point that fails
        # costs that point and nothing else
        amplitudes = {}
        failures = []
        for future in team.as_completed(points):
            point = points[future]
            error = future.exception()
            if error is None:
                amplitudes[point] = future.result()
            else:
                failures.append((point, error))
        elapsed = time.perf_counter() - start
        # let the crews go
        team.shutdown()
        # report
        self.table(amplitudes=amplitudes)
        self.failed(failures=failures, total=len(grid))
        print(f"sweep: {len(amplitudes)} of {len(grid)} points succeeded in {elapsed:.2f} s")
        # the model rejecting a point is part of the sweep; anything else, e.g. a task that
        # ran past the deadline or killed its worker, is a failure of the run
        trouble = [error for _, error in failures if not isinstance(error, ValueError)]
        # all done
        return 1 if trouble else 0

    # helpers
    def drives(self):
        """
        The driving frequencies of the grid
        """
        # a single one sits at {low}
        if self.frequencies <= 1:
            return [self.low]
        # otherwise, spread them evenly
        spacing = (self.high - self.low) / (self.frequencies - 1)
        return [self.low + index * spacing for index in range(self.frequencies)]

    def table(self, amplitudes):
        """
        Show the resonance of each damping next to the closed form, and the best point
        """
        # nothing to show
        if not amplitudes:
            print("sweep: no point succeeded")
            return
        # the rows, one per damping that has results
        print("   damping  peak at  amplitude   theory: peak at  amplitude")
        for damping in sorted({damping for damping, _ in amplitudes}):
            # the driving frequency with the largest amplitude at this damping
            drive, peak = max(
                ((drive, value) for (z, drive), value in amplitudes.items() if z == damping),
                key=lambda pair: pair[1],
            )
            # what the closed form says
            where, height = theory(damping)
            where = "none" if where is None else f"{where:.4f}"
            print(f"  {damping:8.3f} {drive:8.4f} {peak:10.4f}   {where:>15} {height:10.4f}")
        # the best point overall
        (damping, drive), peak = max(amplitudes.items(), key=lambda pair: pair[1])
        print(f"best: damping {damping:g}, drive {drive:.4f}, amplitude {peak:.4f}")
        # all done
        return

    def failed(self, failures, total):
        """
        Show the points that failed, grouped by what went wrong
        """
        # all good
        if not failures:
            print(f"failed: 0 of {total} points")
            return
        # group the points by their error
        groups = collections.defaultdict(list)
        for point, error in failures:
            groups[f"{type(error).__name__}: {error}"].append(point)
        # and show them
        print(f"failed: {len(failures)} of {total} points")
        for reason, points in groups.items():
            # a few of the points are enough to find the rest
            points = sorted(points)
            where = ", ".join(f"({damping:g}, {drive:.4f})" for damping, drive in points[:4])
            if len(points) > 4:
                where += f" and {len(points) - 4} more"
            print(f"  {len(points)} x {reason}")
            print(f"    at (damping, drive): {where}")
        # all done
        return


# the entry point
def main():
    """
    Run the sweep with the configuration next to this script, which a sweep.pfg in the current
    folder and the command line override
    """
    # the configuration that ships with the example, at package priority, like the defaults of
    # an installed package, so everything else beats it; read from here, pyre would only find it
    # when it runs in this folder
    shipped = pathlib.Path(__file__).with_name("sweep.pfg")
    pyre.executive.loadConfiguration(uri=str(shipped), priority=pyre.executive.priority.package)
    # the instance name picks the section of the configuration: {sweep}
    app = Sweep(name="sweep")
    # run it
    try:
        return app.run()
    # pyre has shown the error on the application's fatal channel; no traceback needed
    except journal.ApplicationError:
        return 1


if __name__ == "__main__":
    raise SystemExit(main())


# end of file
