"""
A long chaos soak: tasks of mixed kinds on a team whose workers a separate killer process
SIGKILLs several times a second, with the rules of tests/teams/test_chaos.py checked for every
task, and nothing left behind at the end

    .venv/bin/python benchmarks/soak.py [--tasks N] [--seconds S] [--crews K] [--casualties C]
                                        [--rate R] [--recruiter fork|spawn] [--target crews|children]
                                        [--seed X] [--json FILE]

submits up to N tasks (20,000 by default), stopping early once S seconds (600) have passed,
and waits for every outcome; prints the figures every few seconds and at the end, and exits
with status 1 if any rule was broken: a task with no outcome or a wrong one, a done callback
that fired other than once, a worker process, a descriptor or a /dev/shm segment left behind
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def arguments(argv=None):
    parser = argparse.ArgumentParser(description="a chaos soak of pyre_nexus")
    parser.add_argument("--tasks", type=int, default=20000, help="how many tasks to submit at most")
    parser.add_argument("--seconds", type=float, default=600, help="stop submitting after this long")
    parser.add_argument("--crews", type=int, default=4, help="the size of the team")
    parser.add_argument("--casualties", type=int, default=3, help="the team's casualties")
    parser.add_argument("--rate", type=float, default=5, help="kills per second, on average")
    parser.add_argument("--recruiter", default="fork", help="fork or spawn")
    parser.add_argument(
        "--target",
        default="children",
        choices=["crews", "children"],
        help="kill registered crews only, or any worker process, recruits included",
    )
    parser.add_argument("--seed", type=int, default=None, help="the seed of the plan and of the killer")
    parser.add_argument("--json", default=None, help="write the figures to this file too")
    return parser.parse_args(argv)


def soak(tasks, seconds, crews, casualties, rate, recruiter, target, seed=None, progress=None, name=None):
    """
    Run one soak; returns the report of {tests.teams.test_chaos.chaos}
    """
    # the chaos engine and the package; imported here, since pyre reads the command line
    sys.path.insert(0, str(ROOT))
    import pyre_nexus
    from tests.teams.test_chaos import MIX, chaos

    # the team
    staff = pyre_nexus.staff()(name=name or f"soak-{recruiter}-{os.getpid()}-{time.monotonic_ns()}", size=crews, casualties=casualties)
    if recruiter != "fork":
        staff.recruiter = recruiter
    # the mix: fewer tasks that kill their own crew on spawn, where a new crew is a new interpreter
    mix = MIX if recruiter == "fork" else dict(MIX, slow=0.15, exit=0.005, sysexit=0.005, deadline=0.005, cancel=0.01)
    with tempfile.TemporaryDirectory(prefix="soak-") as folder:
        return chaos(
            staff,
            count=tasks,
            folder=folder,
            mix=mix,
            rate=rate,
            target=target,
            seed=seed,
            seconds=seconds,
            progress=progress,
            patience=60.0,
        )


def clean(report):
    """
    Whether the soak kept every promise
    """
    return not (
        report["problems"]
        or report["unfinished"]
        or report["violations"]
        or report["callbacks"]
        or report["processes"]
        or report["descriptors"]
        or report["segments"]
    )


def main():
    args = arguments()
    # pyre reads the command line when it is imported: leave it nothing
    del sys.argv[1:]
    sys.path.insert(0, str(ROOT))
    from tests.teams.test_chaos import summary

    def progress(figures):
        print(
            f"  {figures['seconds']:6.0f} s: {figures['submitted']} submitted, {figures['settled']} settled, "
            f"{figures['kills']} kills, {figures['violations']} violations",
            flush=True,
        )

    report = soak(
        tasks=args.tasks,
        seconds=args.seconds,
        crews=args.crews,
        casualties=args.casualties,
        rate=args.rate,
        recruiter=args.recruiter,
        target=args.target,
        seed=args.seed,
        progress=progress,
    )
    print(summary(report))
    for key in ("problems", "violations", "callbacks", "processes", "descriptors", "segments"):
        if report[key]:
            print(f"{key}: {report[key] if not isinstance(report[key], list) else report[key][:20]}")
    print("clean" if clean(report) else "BROKEN", flush=True)
    if args.json:
        with open(args.json, "w") as stream:
            json.dump(report, stream, indent=2, default=str)
    return 0 if clean(report) else 1


if __name__ == "__main__":
    sys.exit(main())
