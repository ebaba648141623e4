"""
The reliability report: runs the chaos scenarios of tests/teams/test_chaos.py with the given
sizes, the deaths of the team itself of tests/test_signals.py and the exhaustion cases of
tests/teams/test_exhaustion.py, and writes what happened as markdown

    .venv/bin/python benchmarks/reliability.py [--tasks N] [--spawn-tasks M] [--rate R]
                                               [--rounds K] [--seed X] [--out doc/reliability.md]

N tasks (3,000) go through four forked crews and N/3 through two, M (1,000) through two spawned
crews, while a killer process SIGKILLs workers R (5) times a second; the team process is then
killed, interrupted and terminated on each recruiter, and interrupted K (5) times under load;
the exhaustion cases run once each. The figures go to the output file (doc/reliability.md),
and the exit status is 1 if any promise was broken in the chaos runs
"""

import argparse
import collections
import datetime
import os
import platform
import signal
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def arguments():
    parser = argparse.ArgumentParser(description="pyre_nexus under faults: doc/reliability.md")
    parser.add_argument("--tasks", type=int, default=3000, help="tasks of the main fork run")
    parser.add_argument("--spawn-tasks", type=int, default=1000, help="tasks of the spawn run")
    parser.add_argument("--rate", type=float, default=5, help="kills per second of the fork runs")
    parser.add_argument("--rounds", type=int, default=5, help="interrupts under load")
    parser.add_argument("--seed", type=int, default=None, help="the seed of the chaos runs")
    parser.add_argument("--out", default=str(ROOT / "doc" / "reliability.md"), help="the markdown file")
    return parser.parse_args()


# pyre reads the command line when it is imported: take ours first, and leave it nothing
ARGS = arguments()
del sys.argv[1:]
sys.path.insert(0, str(ROOT))

import pyre_nexus  # noqa: E402
from pyre_nexus.exceptions import Casualty  # noqa: E402

from tests import tasks  # noqa: E402
from tests.conftest import alive, children, wait_until  # noqa: E402
from tests.teams import test_chaos as chaos  # noqa: E402
from tests.teams import test_exhaustion as exhaustion  # noqa: E402
from tests import test_signals as signals  # noqa: E402


# pyre hands back the team it made before for a name it has seen: every team gets its own
SERIAL = iter(range(10**9))


def factory(prefix):
    """
    A {make_team} for the helpers of the tests: teams with names nobody used
    """

    def make(kind="staff", **traits):
        return getattr(pyre_nexus, kind)()(name=f"{prefix}-{os.getpid()}-{next(SERIAL)}", **traits)

    return make


# the chaos runs
FAULTS = [
    ("killer", "SIGKILL of a worker by the killer process"),
    ("raise", "raises ValueError"),
    ("exit", "calls os._exit(3)"),
    ("sysexit", "calls sys.exit(4)"),
    ("deadline", f"sleeps past its {chaos.DEADLINE:g} s deadline"),
    ("cancel", "is cancelled while it runs"),
    ("quick", "returns its argument (no fault of its own)"),
    ("slow", "sleeps 20 ms (no fault of its own)"),
    ("large", "returns 2 MiB, through shared memory (no fault of its own)"),
]

RULES = {
    "killer": "each kill is blamed on the task its crew was running, if any; that task is rerun "
    "on a fresh crew until it was caught `casualties` times, then fails with Casualty(-9)",
    "raise": "that ValueError, with the worker's traceback as its cause",
    "exit": "Casualty(3), after exactly `casualties` runs, each killing its crew (or -9, if the "
    "killer got there first)",
    "sysexit": "TaskAborted naming SystemExit; the crew is replaced",
    "deadline": "DeadlineExceeded; the worker is killed and replaced",
    "cancel": "Cancelled, and `cancel()` returns True; the worker is killed and replaced",
    "quick": "the result",
    "slow": "the result",
    "large": "the bytes, intact",
}


def run_chaos(name, recruiter, crews, casualties, tasks_, rate, target, mix=None):
    """
    One chaos run
    """
    print(f"chaos: {name}...", flush=True)
    staff = factory("reliability")("staff", size=crews, casualties=casualties)
    if recruiter != "fork":
        staff.recruiter = recruiter
    with tempfile.TemporaryDirectory(prefix="chaos-") as folder:
        report = chaos.chaos(
            staff,
            count=tasks_,
            folder=folder,
            mix=mix or chaos.MIX,
            rate=rate,
            target=target,
            seed=ARGS.seed,
        )
    report["name"] = name
    print(chaos.summary(report), flush=True)
    return report


def broken(report):
    """
    How many promises a chaos run broke
    """
    return (
        len(report["problems"])
        + report["unfinished"]
        + len(report["violations"])
        + len(report["callbacks"])
        + len(report["processes"])
        + len(report["descriptors"])
        + len(report["segments"])
    )


def outcomes(counter):
    """
    A counter of outcomes as text
    """
    return ", ".join(f"{name} {count}" for name, count in sorted(counter.items(), key=lambda item: -item[1])) or "–"


def chaos_tables(reports):
    """
    The markdown of the chaos runs
    """
    lines = [
        "| run | recruiter | crews | casualties | killer aims at | tasks | seconds | kills | crews recruited "
        "| wrong outcomes | lost tasks | callbacks ≠ 1 | processes left | descriptors left | /dev/shm left |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for report in reports:
        aim = "any worker, recruits included" if report["target"] == "children" else "registered crews"
        lines.append(
            f"| {report['name']} | {report['recruiter']} | {report['crews']} | {report['casualties']} | {aim} "
            f"| {report['tasks']} | {report['seconds']:.1f} | {report['kills']} | {report['books'].get('crews', '?')} "
            f"| {len(report['violations'])} | {report['unfinished']} | {len(report['callbacks'])} "
            f"| {len(report['processes'])} | {len(report['descriptors'])} | {len(report['segments'])} |"
        )
    for report in reports:
        lines += [
            "",
            f"**{report['name']}** ({report['tasks']} tasks, seed {report['seed']}):",
            "",
            "| fault | tried | outcomes | wrong outcomes |",
            "|---|---|---|---|",
        ]
        wrong = collections.Counter()
        for violation in report["violations"]:
            for kind in report["outcomes"]:
                if f"[{kind}]" in violation:
                    wrong[kind] += 1
        for kind, description in FAULTS:
            if kind == "killer":
                lines.append(
                    f"| {description} | {report['kills']} | {report['innocent deaths']} caught a task running "
                    f"that does not kill its own worker; the team reran {report['books'].get('rerun', '?')} tasks "
                    f"after their crew died, the exits' reruns included "
                    f"| {sum(1 for v in report['violations'] if 'deaths of innocent tasks' in v)} |"
                )
                continue
            counter = report["outcomes"].get(kind, {})
            lines.append(f"| {kind}: {description} | {sum(counter.values())} | {outcomes(counter)} | {wrong[kind]} |")
    return lines


# the deaths of the team
def team_death(recruiter, signum, kind="pool"):
    """
    Start a team script, send {signum} once its workplan is underway; what happened
    """
    with tempfile.TemporaryDirectory(prefix="death-") as folder:
        victim = signals.Team(folder=folder, recruiter=recruiter, kind=kind)
        try:
            news = victim.underway()
            grandchildren = len(victim.grandchildren)
            time.sleep(0.2)
            os.kill(news["pid"], signum)
            status = victim.end()
            wait_until(lambda: not victim.workers(), timeout=signals.BOUND)
            workers = len(victim.workers())
            wait_until(lambda: not victim.orphans(), timeout=signals.ORPHANS)
            orphans = len(victim.orphans())
            report = victim.report()
        finally:
            victim.scrub()
    return {
        "status": status,
        "workers": workers,
        "grandchildren": grandchildren,
        "orphans": orphans,
        "report": report,
    }


def death_tables():
    """
    The markdown of the deaths of the team
    """
    lines = [
        "| recruiter | signal | team exits | workers left | processes of tasks left | atexit ran | futures without an outcome | callbacks ≠ 1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for recruiter in ("fork", "spawn"):
        for signum in (signal.SIGKILL, signal.SIGINT, signal.SIGTERM):
            print(f"team death: {recruiter}, {signum.name}...", flush=True)
            death = team_death(recruiter, signum)
            report = death["report"]
            status = "no" if death["status"] is None else f"yes, {signal.Signals(-death['status']).name if death['status'] < 0 else death['status']}"
            if report is None:
                atexit, stranded, callbacks = "no", "all unsettled (the process is gone)", "–"
            else:
                atexit = "yes"
                stranded = str(report["outcomes"].get("none", 0))
                callbacks = "0" if report["callbacks"] == [1] else str(report["callbacks"])
            lines.append(
                f"| {recruiter} | {signum.name} | {status} | {death['workers']} | {death['orphans']} of {death['grandchildren']} "
                f"| {atexit} | {stranded} | {callbacks} |"
            )
    # interrupts under load
    stranded = 0
    leftover = 0
    for round in range(ARGS.rounds):
        print(f"interrupt under load, round {round + 1}...", flush=True)
        with tempfile.TemporaryDirectory(prefix="busy-") as folder:
            victim = signals.Team(folder=folder, recruiter="fork", kind="busy")
            try:
                news = victim.underway()
                time.sleep((round + 0.5) * 0.3 / ARGS.rounds)
                os.kill(news["pid"], signal.SIGINT)
                victim.end()
                wait_until(lambda: not victim.workers(), timeout=signals.BOUND)
                leftover += len(victim.workers())
                report = victim.report()
                if report is None or report["outcomes"].get("none") or report["callbacks"] != [1]:
                    stranded += 1
            finally:
                victim.scrub()
    lines += [
        "",
        f"SIGINT at {ARGS.rounds} moments of a stream of 20,000 tiny tasks on forked crews: "
        f"{leftover} workers left; {stranded} of the {ARGS.rounds} runs ended with a future that had no "
        "outcome and no callback.",
        "",
        "SIGTERM unwinds like SIGINT (fixed: issue 2). Every worker, forked or spawned, takes what its",
        "tasks started with it when its team dies, even of SIGKILL (fixed: issue 6): a thread of the",
        "worker ends its process group when the team's end of its channel closes.",
    ]
    return lines


# exhaustion
def exhaustion_tables():
    """
    The markdown of the exhaustion cases
    """
    make = factory("exhaustion")
    lines = ["| case | recruiter | outcome | the team goes on |", "|---|---|---|---|"]
    # memory
    for recruiter in ("fork", "spawn"):
        for how, chunk in (("allocates 1 MiB at a time without bound", 1 << 20), ("asks for 1 TiB at once", 1 << 40)):
            print(f"memory: {recruiter}, {how}...", flush=True)
            staff, _ = exhaustion.capped(make, recruiter)
            _, first = staff.submit(tasks.exhaust_cap).result(timeout=60)
            error = staff.submit(tasks.exhaust_hog, chunk).exception(timeout=60)
            _, second = staff.submit(tasks.exhaust_cap).result(timeout=60)
            fine = list(staff.map(tasks.echo, range(20), timeout=60)) == list(range(20))
            staff.shutdown(wait=True)
            # what the casualty says, after the crew and the task it names
            said = str(error).split(": ", 1)[-1] if isinstance(error, Casualty) else ""
            lines.append(
                f"| a task {how}, its recruiter's `memory` {exhaustion.HEADROOM >> 20} MiB more than the team maps "
                f"| {recruiter} | {type(error).__name__}{f' ({said})' if said else ''}; "
                f"crew replaced: {'yes' if second != first else 'no'} | {'yes' if fine else 'no'} |"
            )
    # descriptors
    print("descriptors: 100 recruitments with the collector paused...", flush=True)
    import gc

    staff = make("staff", size=1, maxtasks=1)
    staff.submit(tasks.echo, 0).result(timeout=60)
    gc.collect()
    gc.disable()
    try:
        before = len(os.listdir("/proc/self/fd"))
        for i in range(100):
            staff.submit(tasks.echo, i).result(timeout=60)
        grown = len(os.listdir("/proc/self/fd")) - before
    finally:
        gc.enable()
    staff.shutdown(wait=True)
    gc.collect()
    lines.append(
        f"| 100 crews recruited one after the other (`maxtasks=1`), the garbage collector paused "
        f"| fork | {grown} more descriptors in the team (fixed: issue 4) | yes |"
    )
    # output
    import json
    import subprocess

    for stalled in (False, True):
        print(f"output: stalled={stalled}...", flush=True)
        with tempfile.TemporaryDirectory(prefix="flood-") as folder:
            process, report = exhaustion.flood(Path(folder), stalled=stalled)
            try:
                if stalled:
                    wait_until(report.exists, timeout=60)
                out, err = process.communicate(timeout=60)
                books = json.loads(report.read_text()) if report.exists() else None
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                out, err, books = b"", b"", None
        if books is None:
            outcome, fine = "the team hung", "no"
        elif stalled:
            outcome = f"{books['floods'][0]} while nobody read; {len(out)} bytes came through once read"
            fine = "yes" if books["echoes"] else "no"
        else:
            outcome = f"{len(out) >> 20} MiB on stdout and {len(err) >> 20} MiB on stderr came through; tasks: {books['floods']}"
            fine = "yes" if books["echoes"] else "no"
        case = (
            "a task writes 50 MB to a stdout nobody reads, deadline 1 s"
            if stalled
            else "two tasks write 50 MB each to stdout and stderr, which the test drains, beside 200 quick tasks"
        )
        lines.append(f"| {case} | fork | {outcome} | {fine} |")
    # processes
    for recruiter, how in (("fork", "deadline"), ("fork", "cancel"), ("spawn", "cancel")):
        print(f"processes: {recruiter}, {how}...", flush=True)
        with tempfile.TemporaryDirectory(prefix="brood-") as folder:
            family = {}
            try:
                family = exhaustion.brood(make, Path(folder), recruiter, how)
                wait_until(lambda: not any(alive(family[name]) for name in exhaustion.DOOMED[recruiter]), timeout=10)
                time.sleep(1)
                survivors = [name for name in exhaustion.FAMILY if alive(family[name])]
                died = [name for name in exhaustion.FAMILY if name not in survivors]
            finally:
                exhaustion.scatter(family)
        lines.append(
            f"| a task starts a child and a grandchild in its worker's group, a grandchild and a child in "
            f"groups of their own and a child in a session of its own; the crew is killed by {'its deadline' if how == 'deadline' else 'a cancel'} "
            f"| {recruiter} | died: {', '.join(died) or '–'}; escaped: {', '.join(survivors) or '–'} | – |"
        )
    wait_until(lambda: not children(), timeout=10)
    return lines


PREAMBLE = """# Reliability

This file is written by `benchmarks/reliability.py` ({command}); do not edit it by hand.
It was produced on {when}, {machine}. The tests that keep these promises in CI, with smaller
sizes and correctness checks only, are `tests/teams/test_chaos.py`, `tests/test_signals.py` and
`tests/teams/test_exhaustion.py`; `benchmarks/soak.py` runs the chaos for longer
(`--tasks 20000 --seconds 600`).

## 1. Chaos under load

Thousands of tasks of mixed kinds run on a team while a separate process, the killer, sends
SIGKILL to a random worker of the team several times a second (on average; the moments are
random). It picks among the team process's children, or among the registered crews, whose pids
the team writes to a file as they change. The tasks themselves add faults of their own. Every
task is judged when its outcome arrives, against the rule for its kind:

| kind | what the task does | the outcome it may end with |
|---|---|---|
""".rstrip("\n")


RULES_TAIL = """
Every kind but `exit` may also end with `Casualty(-9)`, and then only once it was running on
`casualties` crews that died: a task is only blamed for a death while it runs, and a task that
does not kill its own worker only dies by the killer's hand. So the deaths charged to such
tasks add up to at most the number of kills, which is checked too. With `casualties = 1` any
task running when its worker is killed fails; with 3, it is rerun and fails only when it is
caught three times. When the killer also strikes recruits that have not registered yet, the
recruitments fail, and a team whose recruitments fail `max(2, size)` times in a row with no
crew up fails its waiting tasks with `RecruitmentError`, as documented: that outcome is allowed
in that run only. Nothing else is: no task without an outcome (a lost task), no second outcome,
no done callback that fires other than once, and, once the team is shut down, no worker process
(children of the team), no descriptor that was not open before (`/proc/self/fd`, counted once
the team and its event loop are built: a team keeps its loop's epoll descriptor for as long as
it exists, see issue 8 below) and nothing new in `/dev/shm`.
"""


KNOWN = """
## 4. Issues found, and the tests that show them

Found by these tests and fixed (each test passes now, and guards the fix):

1. **Failed recruitments could strand the queue** (`test_chaos.py::test_failed_recruitments_do_not_strand_the_queue`).
   With `max(2, size)` failed recruitments in a row while one crew still worked, the death of
   that crew left no crew, no retry and a queue nobody served. Now `Foreman.replenish` recruits
   whenever no crew is on its way or at work; a recruitment that fails then goes through
   `reject`, which retries with its back-off or fails the waiting tasks with `RecruitmentError`.
2. **SIGTERM was not an orderly exit** (`test_signals.py::test_sigterm_winds_the_team_down`).
   Now a team that recruits in the main thread, where SIGTERM has its default action, installs a
   handler that raises `SystemExit(128 + SIGTERM)`, so SIGTERM unwinds like Ctrl-C and the exit
   handler cancels the unfinished tasks, kills the workers' groups and reaps them.
3. **A helper that outlived a spawned worker froze the team** (`test_exhaustion.py::test_detached_process_does_not_freeze_the_team`).
   `Launcher.expire` read the launcher's last words until EOF, spinning while a process a task
   started in a session of its own held the pipe; now it reads only what is there.
4. **Each forked recruitment held a descriptor until the garbage collector ran** (`test_exhaustion.py::test_recruitments_do_not_pile_up_descriptors`).
   The team now closes its copy of the twin's event loop right after the fork.
5. **An interrupt inside a handler of the loop stranded tasks** (`test_signals.py::test_interrupt_inside_the_loop_strands_nothing`).
   A `KeyboardInterrupt` raised in `Crew.monitor` lost the reports read in that pass, and pyre's
   dispatcher dropped the crew's read handler. Now the team takes over SIGINT and SIGTERM
   (unless the application handles them) and holds them while its loop runs handlers: they are
   raised when the pass is over (`pyre_nexus/Interrupts.py`).
6. **Processes of tasks outlived a team that was SIGKILLed, with fork** (`test_signals.py::test_sigkill_ends_what_the_tasks_started[fork]`, doc/design.md §9).
   The kernel killed the forked workers (PR_SET_PDEATHSIG), but nobody was left to signal their
   process groups. Now each forked worker, like a worker shell, has a thread that waits for the
   team's end of its side channel to close and then, unless the worker leaves within twice
   `grace`, kills its process group, the worker in it.

Open (strict xfail tests: they fail today, and will fail the suite the day they pass):

7. **Processes that leave the worker's process group escape** (`test_exhaustion.py::test_killed_crew_takes_the_processes_that_left_its_group`).
   A process a task moved to a group of its own escapes with fork, and one in a session of its
   own with both. Proposed fix: make each worker a child subreaper and kill its whole tree;
   only a cgroup per crew catches everything.
8. **A team keeps its event loop's descriptor after it is shut down** (`test_chaos.py::test_shutdown_lets_go_of_every_descriptor`).
   pyre keeps every component it built, so each team made and shut down holds one epoll
   descriptor for good. Proposed fix: close the loop's selector when a closed team that built
   its own loop has no crews left, and renew it when a pool is given a new workplan.
"""


def main():
    start = time.monotonic()
    reports = [
        run_chaos("fork-4", "fork", 4, 3, ARGS.tasks, ARGS.rate, "children"),
        run_chaos("fork-2-first-death", "fork", 2, 1, max(1, ARGS.tasks // 3), ARGS.rate, "crews"),
        run_chaos(
            "spawn-2",
            "spawn",
            2,
            2,
            ARGS.spawn_tasks,
            3,
            "crews",
            mix=dict(chaos.MIX, slow=0.15, exit=0.005, sysexit=0.005, deadline=0.005, cancel=0.01),
        ),
    ]
    deaths = death_tables()
    exhausts = exhaustion_tables()
    command = "`.venv/bin/python benchmarks/reliability.py " + " ".join(
        f"--{name.replace('_', '-')} {value}" for name, value in vars(ARGS).items() if name not in ("out",) and value is not None
    ) + "`"
    text = [
        PREAMBLE.format(
            command=command,
            when=datetime.date.today().isoformat(),
            machine=f"{os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}",
        )
    ]
    for kind, description in FAULTS:
        if kind != "killer":
            text.append(f"| {kind} | {description.replace(' (no fault of its own)', '')} | {RULES[kind]} |")
    text.append(RULES_TAIL)
    text += ["Measured:", ""]
    text += chaos_tables(reports)
    total = sum(broken(report) for report in reports)
    text += [
        "",
        f"Lost tasks: {sum(report['unfinished'] for report in reports)}. Promises broken in all: {total}.",
        "",
        "## 2. The death of the team",
        "",
        "A team process runs a workplan (`pool.run()`) on three crews: two long tasks that each start a",
        "process of their own (a grandchild of the team) and 400 naps of 100 ms. Once the work is underway",
        "the team gets a signal. SIGKILL runs nothing in the team; SIGINT raises `KeyboardInterrupt`, and",
        "at exit the team's handler cancels what is left and kills and reaps the workers' groups. The",
        "script reports from an atexit handler that runs after the team's. Workers are looked for by",
        f"their command line, wherever they were reparented, for {signals.BOUND} s.",
        "",
    ]
    text += deaths
    text += [
        "",
        "## 3. Exhaustion",
        "",
        "The memory cases limit each crew with the recruiter's `memory` trait, the most its process may",
        f"map (RLIMIT_AS), set to {exhaustion.HEADROOM >> 20} MiB more than the team maps: a task that runs its crew out of it",
        "ends the crew, and is a `Casualty` that names the limit; the crew is replaced.",
        "",
    ]
    text += exhausts
    text.append(KNOWN)
    text.append(f"_The report took {time.monotonic() - start:.0f} s._")
    Path(ARGS.out).write_text("\n".join(text) + "\n")
    print(f"wrote {ARGS.out}; promises broken in the chaos runs: {total}")
    return 0 if total == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
