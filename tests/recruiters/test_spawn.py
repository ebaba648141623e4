# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The spawn recruiter: fresh interpreters on this host running the worker shell, over
authenticated loopback TCP
"""

# externals
import os
import signal
import subprocess
import sys
import time


# the package
from pyre_nexus.exceptions import Casualty, RecruitmentError

# the drills
from tests import tasks
from tests.patience import PATIENCE
from tests.recruiters import drill


def spin(seconds):
    """
    Keep the interpreter busy in python code for {seconds}
    """
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_thousand(make_team):
    """
    A thousand tasks on spawned crews
    """
    drill.thousand(drill.team(make_team, "spawn"))


def test_crash(make_team):
    """
    A spawned worker that dies is replaced, and its task is the casualty
    """
    drill.crash(drill.team(make_team, "spawn"))


def test_orphans():
    """
    No spawned worker outlives its SIGKILLed team
    """
    drill.orphans(options=["--drill.recruiter=spawn"])


def test_closures(make_team):
    """
    Lambdas and closures travel by value to a clean interpreter
    """
    staff = drill.team(make_team, "spawn", size=1)
    offset = 5
    assert staff.submit(lambda x: x + offset, 1).result(timeout=PATIENCE) == 6
    # and the worker is not the team
    assert staff.submit(os.getpid).result(timeout=PATIENCE) != os.getpid()


def test_bad_python(make_team):
    """
    An interpreter that does not exist is a recruitment error that names it
    """
    staff = drill.team(make_team, "spawn", size=1, python="/nonexistent/python3")
    error = staff.submit(os.getpid).exception(timeout=PATIENCE)
    assert isinstance(error, RecruitmentError)
    assert "/nonexistent/python3" in str(error)


def test_broken_python(make_team, tmp_path):
    """
    An interpreter that cannot run the worker shell is a recruitment error that shows what it
    said
    """
    # an interpreter that complains and leaves
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'no module named pyre_nexus here' >&2\nexit 1\n")
    fake.chmod(0o755)
    staff = drill.team(make_team, "spawn", size=1, python=str(fake))
    error = staff.submit(os.getpid).exception(timeout=PATIENCE)
    assert isinstance(error, RecruitmentError)
    assert "no module named pyre_nexus here" in str(error)


def test_launcher_speaks_utf8(make_team, capfd, tmp_path):
    """
    What a launcher that works writes on its stderr is echoed once, with its characters whole,
    even when their bytes come in different reads
    """
    # an interpreter that says "€ 🐍" a byte at a time, then runs the worker shell
    fake = tmp_path / "python"
    fake.write_text(
        "#!/bin/sh\n"
        "for byte in '\\342' '\\202' '\\254' ' ' '\\360' '\\237' '\\220' '\\215' '\\n'; do\n"
        "    printf \"$byte\" >&2\n"
        "    sleep 0.05\n"
        "done\n"
        f"exec {sys.executable} \"$@\"\n"
    )
    fake.chmod(0o755)
    staff = drill.team(make_team, "spawn", size=1, python=str(fake))
    assert staff.submit(tasks.echo, 7).result(timeout=PATIENCE) == 7
    staff.shutdown(wait=True)
    said = capfd.readouterr()
    assert said.err.count("€ 🐍\n") == 1 and "€ 🐍" not in said.out


def test_failures_said_once(make_team, capfd, tmp_path):
    """
    A launcher that keeps failing the same way is said once in the journal and quoted in the
    error of the tasks that waited, not echoed raw at each attempt
    """
    # an interpreter that complains and leaves
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'no module named pyre_nexus here' >&2\nexit 1\n")
    fake.chmod(0o755)
    staff = drill.team(make_team, "spawn", size=3, python=str(fake))
    error = staff.submit(os.getpid).exception(timeout=PATIENCE)
    assert isinstance(error, RecruitmentError)
    assert "3 attempts in a row failed" in str(error)
    # said once, in the journal's warning, which goes to stdout
    said = capfd.readouterr()
    assert (said.out + said.err).count("no module named pyre_nexus here") == 1


def test_failures_counted_when_recruitment_recovers(make_team, capfd, tmp_path):
    """
    A launcher that fails the same way twice and then works: the failure is said once, and how
    often it repeated is said once a crew came up
    """
    # an interpreter that fails its first two launches, then runs the worker shell
    count = tmp_path / "count"
    fake = tmp_path / "python"
    fake.write_text(
        "#!/bin/sh\n"
        f"echo x >> {count}\n"
        f"if [ $(wc -l < {count}) -le 2 ]; then echo 'not yet' >&2; exit 1; fi\n"
        f"exec {sys.executable} \"$@\"\n"
    )
    fake.chmod(0o755)
    staff = drill.team(make_team, "spawn", size=1, python=str(fake))
    staff.policy.tolerance = 5
    assert staff.submit(tasks.echo, 3).result(timeout=PATIENCE) == 3
    said = capfd.readouterr()
    assert (said.out + said.err).count("not yet") == 1
    assert "1 more recruitments failed the same way before a crew came up" in said.out


def test_script_functions_anywhere(tmp_path):
    """
    Functions of the main script reach fresh interpreters wherever they are in a task: as the
    task, inside the chunks of a map, and as arguments
    """
    script = tmp_path / "script.py"
    script.write_text(
        "import pyre_nexus\n"
        "def double(x):\n"
        "    return 2 * x\n"
        "def apply(f, x):\n"
        "    return f(x)\n"
        "staff = pyre_nexus.staff()(name='script', size=2)\n"
        "staff.recruiter = 'spawn'\n"
        "assert staff.submit(double, 4).result(timeout=60) == 8\n"
        "assert list(staff.map(double, range(50), chunksize=7, timeout=60)) == [2 * x for x in range(50)]\n"
        "assert staff.submit(apply, double, 21).result(timeout=60) == 42\n"
        "staff.shutdown()\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


def test_frozen_worker(make_team):
    """
    A worker that stops answering in the middle of a task, e.g. on a frozen host, is lost after
    three silent heartbeats, its task is the casualty, and the team goes on
    """
    staff = drill.team(make_team, "spawn", size=1, heartbeat="1*s")
    # a long task, running
    nap = staff.submit(tasks.nap, 600)
    assert staff.waitUntil(condition=nap.running, timeout=PATIENCE)
    # freeze its worker
    (crew,) = staff.crews
    os.kill(crew.pid, signal.SIGSTOP)
    try:
        error = nap.exception(timeout=PATIENCE)
    finally:
        # a stopped process still takes SIGKILL, which the team sends; this is for a failure
        try:
            os.kill(crew.pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    assert isinstance(error, Casualty), repr(error)
    assert "no heartbeat" in str(error)
    # the team goes on, on a new crew
    assert staff.submit(tasks.echo, 7).result(timeout=PATIENCE) == 7


def test_busy_worker_is_not_lost(make_team):
    """
    A worker busy with a task longer than many heartbeats keeps beating, and is not lost
    """
    staff = drill.team(make_team, "spawn", size=1, heartbeat="1*s")
    assert staff.submit(spin, 5.0).result(timeout=PATIENCE) is None
    assert staff.metrics()["outcomes"]["casualties"] == 0
