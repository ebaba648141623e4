#!/usr/bin/env python3
# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
A long campaign against the hostile input tests, beyond the budget CI gives them

    .venv/bin/python benchmarks/fuzz.py [--time SECONDS] [--scale N] [--shared] [--out DIR]

runs each atheris harness in tests/fuzz for --time seconds (300) on a corpus kept in
DIR/corpus/<harness> (benchmarks/results/fuzz, which git ignores), so every campaign starts
where the last one stopped, with crashes written to DIR/crashes; then the property tests of
tests/test_hostile.py with --scale times their usual number of examples (10). --shared lets the
SHARED bit through the wire fuzzer, which finds the known bug at once. Exits non-zero if
anything crashed or failed
"""

# externals
import argparse
import os
import pathlib
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
HARNESSES = ["fuzz_wire.py", "fuzz_handshake.py"]


def arguments():
    parser = argparse.ArgumentParser(description="a long campaign of the hostile input tests")
    parser.add_argument("--time", type=int, default=300, help="seconds per fuzz harness (300)")
    parser.add_argument("--scale", type=int, default=10, help="times the usual property test examples (10)")
    parser.add_argument("--shared", action="store_true", help="let the SHARED bit through the wire fuzzer")
    parser.add_argument("--out", default=str(HERE / "results" / "fuzz"), help="the output folder")
    return parser.parse_args()


def fuzz(harness, seconds, out, shared):
    """
    Run {harness} for {seconds}; returns whether it found nothing
    """
    corpus = out / "corpus" / harness.removesuffix(".py")
    crashes = out / "crashes"
    crashes.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        str(ROOT / "tests" / "fuzz" / harness),
        f"--seeds={corpus}",
        f"-max_total_time={seconds}",
        "-max_len=8192",
        "-timeout=10",
        "-rss_limit_mb=4096",
        "-print_final_stats=1",
        f"-artifact_prefix={crashes}/",
        str(corpus),
    ]
    env = dict(os.environ)
    env.pop("PYRE_NEXUS_FUZZ_SHARED", None)
    if shared:
        env["PYRE_NEXUS_FUZZ_SHARED"] = "1"
    print(f"== {harness}: {seconds} s, corpus in {corpus}", flush=True)
    start = time.monotonic()
    process = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    output = process.stdout + process.stderr
    # the summary
    for line in output.splitlines():
        if line.startswith(("Done ", "stat::number_of_executed_units", "stat::peak_rss_mb", "#")) and (
            "DONE" in line or line.startswith(("Done", "stat::"))
        ):
            print("  ", line)
    print(f"   exit {process.returncode} after {time.monotonic() - start:.0f} s", flush=True)
    if process.returncode != 0:
        print(output[-4000:])
    return process.returncode == 0


def properties(scale):
    """
    Run the property tests with {scale} times their examples; returns whether they passed
    """
    print(f"== tests/test_hostile.py with {scale}x the examples", flush=True)
    env = dict(os.environ, PYRE_NEXUS_HOSTILE_SCALE=str(scale))
    command = [
        sys.executable, "-m", "pytest", "tests/test_hostile.py", "-q",
        "-k", "not test_fuzzer",
        "-p", "no:cacheprovider",
        # a test may take that much longer
        f"--timeout={60 * scale}",
    ]
    return subprocess.run(command, cwd=ROOT, env=env).returncode == 0


def main():
    args = arguments()
    out = pathlib.Path(args.out)
    ok = all([fuzz(harness, args.time, out, args.shared and harness == "fuzz_wire.py") for harness in HARNESSES])
    ok = properties(args.scale) and ok
    print("== all clear" if ok else "== something crashed or failed: see above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())


# end of file
