"""
The benchmark driver: the benchmark cases on pyre_nexus and its peers, in the same run

    .venv/bin/python benchmarks/run.py [--repeat N] [--quick] [--cases A,B,...]
                                       [--systems pyre_nexus,mp.Pool,...] [--out DIR]

prints a table per case, writes DIR/results.json (every sample), DIR/report.txt (the tables)
and DIR/throughput.png; see benchmarks/README.md
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def arguments():
    parser = argparse.ArgumentParser(description="pyre_nexus benchmarks against its peers")
    parser.add_argument("--repeat", type=int, default=None, help="repeats of each case (5; 2 with --quick)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--cases", default="A,A2,B,C,D,E,F,G,S", help="comma separated, e.g. A,B")
    parser.add_argument("--systems", default=None, help="comma separated names; all by default")
    parser.add_argument("--out", default=str(HERE / "results"), help="the output folder")
    args = parser.parse_args()
    if args.repeat is None:
        args.repeat = 2 if args.quick else 5
    return args


# pyre reads the command line when it is imported: take ours first, and leave it nothing
ARGS = arguments()
del sys.argv[1:]

import cases  # noqa: E402
import floor  # noqa: E402
import harness  # noqa: E402
import plot  # noqa: E402
import report  # noqa: E402
import systems  # noqa: E402
import work  # noqa: E402


def say(*args, **kwds):
    print(*args, **kwds, flush=True)


def versions():
    from importlib.metadata import version

    found = {}
    for name in ("pyre", "pyre-nexus", "loky", "numpy", "matplotlib"):
        try:
            found[name] = version(name)
        except Exception as error:
            found[name] = f"? ({error})"
    try:
        root = HERE.parent
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "pyre_nexus"],
                               capture_output=True, text=True).stdout.strip()
        found["pyre_nexus commit"] = commit + (" (+ uncommitted changes)" if dirty else "")
    except OSError:
        pass
    return found


def run_case(key, chosen, sizes, context, results, limit):
    """Every repeat of one case on every system that takes part; samples into {results}"""
    case = cases.CASES[key]
    entries = results["cases"].setdefault(key, {})
    taking = [system for system in chosen if key in system.cases]
    for system in taking:
        entries[system.name] = {"samples": {}, "errors": []}
    for rep in range(ARGS.repeat):
        # rotate the order, so no system always runs right after the same other one
        shift = rep % len(taking)
        say(f"  {key} repeat {rep + 1}/{ARGS.repeat}:", end="")
        for system in taking[shift:] + taking[:shift]:
            # F: each peer once; its memory per task does not move, and a run takes up to a minute
            if key == "F" and rep > 0 and system is not systems.PyreNexus:
                continue
            entry = entries[system.name]
            metrics, errors = {}, []
            if key == "F":
                found, error = memory(system, sizes["F"])
                if found and "skipped" in found:
                    entry["skipped"] = found["skipped"]
                    found = None
                metrics.update(found or {})
                errors += [error] if error else []
            else:
                for workers, body in case.plan(sizes, context):
                    found, error = harness.measure(system, body, workers, limit, f"{key} {system.name}")
                    metrics.update(found or {})
                    errors += [error] if error else []
            if case.derive:
                case.derive(metrics)
            for metric, value in metrics.items():
                entry["samples"].setdefault(metric, []).append(value)
            for error in errors:
                entry["errors"].append(f"repeat {rep + 1}: {error}")
            say(f" {system.name}{' ERROR' if errors else ''}", end="")
        say()
    # let go of the payloads of C
    cases.release()


def memory(system, count):
    """Case F on {system} in a fresh interpreter; returns {(metrics, error)}"""
    command = [sys.executable, str(HERE / "memory.py"), system.name, str(count), "60"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        if not line.startswith("{"):
            return None, f"exit {done.returncode}: {done.stderr.strip()[-300:]}"
        answer = json.loads(line)
        return answer["metrics"], answer["error"]
    except Exception as error:
        return None, f"{type(error).__name__}: {error}"


def main():
    started = time.perf_counter()
    sizes = cases.QUICK if ARGS.quick else cases.FULL
    keys = [key.strip() for key in ARGS.cases.split(",") if key.strip()]
    unknown = [key for key in keys if key not in cases.CASES]
    if unknown:
        sys.exit(f"unknown cases {unknown}; known: {', '.join(cases.ORDER)}")
    chosen = systems.ALL
    if ARGS.systems:
        names = [name.strip() for name in ARGS.systems.split(",")]
        chosen = [system for system in systems.ALL if system.name in names]
        if systems.PyreNexus not in chosen:
            chosen.insert(0, systems.PyreNexus)
    out = Path(ARGS.out)
    out.mkdir(parents=True, exist_ok=True)

    results = {
        "meta": {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "host": platform.node(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "load average at start": os.getloadavg(),
            "versions": versions(), "repeat": ARGS.repeat, "quick": ARGS.quick, "cases": keys,
            "sizes": {key: (str(value) if key == "S" else value) for key, value in sizes.items()},
        },
        "floor": {},
        "cases": {},
    }
    say(f"pyre_nexus benchmarks: {results['meta']['cpus']} cpus, python {results['meta']['python']}, "
        f"repeat {ARGS.repeat}{', quick' if ARGS.quick else ''}, load average {os.getloadavg()[0]:.2f}; "
        f"{results['meta']['versions']}")

    context = {}
    if "E" in keys:
        context["turns"] = work.calibrate(5e-3)
        results["meta"]["E turns for 5 ms"] = context["turns"]
        say(f"  E: spin({context['turns']:,}) takes about 5 ms here")

    say("  floor:", end="")
    for _ in range(ARGS.repeat):
        for metric, value in floor.measure(quick=ARGS.quick).items():
            results["floor"].setdefault(metric, []).append(value)
        say(".", end="")
    say()

    limit = 60.0 if ARGS.quick else 150.0
    for key in [key for key in cases.ORDER if key in keys]:
        clock = time.perf_counter()
        run_case(key, chosen, sizes, context, results, limit)
        results["meta"].setdefault("seconds", {})[key] = round(time.perf_counter() - clock, 1)
        say(report.table(key, results, sizes))
        (out / "results.json").write_text(json.dumps(results, indent=1))

    results["meta"]["load average at end"] = os.getloadavg()
    results["meta"]["total seconds"] = round(time.perf_counter() - started, 1)
    text = report.everything(results, sizes)
    (out / "results.json").write_text(json.dumps(results, indent=1))
    (out / "report.txt").write_text(text + "\n")
    if "S" in results["cases"]:
        plot.throughput(results, out / "throughput.png")
    say("\n" + "=" * 100 + "\n")
    say(text)
    say(f"\nwrote {out / 'results.json'}, {out / 'report.txt'}"
        f"{', ' + str(out / 'throughput.png') if 'S' in results['cases'] else ''}"
        f" in {results['meta']['total seconds']:.0f} s")
    left = {pid: info for pid, info in harness.children().items() if not harness.helper(info[1])}
    if left:
        say(f"WARNING: child processes left at the end: {left}")


main()
