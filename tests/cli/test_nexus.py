# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The {nexus} command, as installed: it lists its actions, shows the versions and the recruiters
of this machine, the configuration of a team with where each value came from, checks that a
recruiter brings up crews, hosts crews as the worker shell, and runs the demo

{import pyre} reads the command line, so every case runs the console script in a subprocess,
in a folder of its own
"""

# externals
import math
import pathlib
import platform
import re
import shutil
import socket
import subprocess
import sys
import textwrap

import pytest

# the package
import pyre_nexus
from pyre_nexus.recruiters.Cgroup import Cgroup

# the helpers
from tests import terminal
from tests.patience import PATIENCE


# the console script, next to the interpreter that runs the tests
NEXUS = pathlib.Path(sys.executable).parent / "nexus"
# the actions, as the listing shows them
ACTIONS = ("about", "config", "check", "crew", "demo")


# helpers
def nexus(folder, *args):
    """
    Run {nexus} in {folder} with {args}; return the completed process
    """
    if not NEXUS.exists():
        pytest.fail(f"the console script {NEXUS} is not installed; run `pip install -e .`")
    return subprocess.run(
        [str(NEXUS), *map(str, args)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
    )


def shown(result):
    """
    Everything {result} said, for assertion messages
    """
    return f"status {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def rows(output, heading):
    """
    The rows of the table under the line of {output} that starts with {heading}, by trait:
    {trait: (value, origin)}
    """
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    table = {}
    # the header, then the rows, up to the blank line
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        trait, value, origin = re.split(r"\s{2,}", line.strip(), maxsplit=2)
        table[trait] = (value, origin)
    return table


def pfg(folder, name, text):
    """
    Write the configuration file {name} in {folder}; return its path
    """
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def line(path, text):
    """
    The number of the line of {path} that holds {text}
    """
    return next(n for n, each in enumerate(path.read_text().splitlines(), start=1) if text in each)


# the plexus
def test_lists_actions(tmp_path):
    """
    {nexus} alone lists its actions, each with its tip
    """
    result = nexus(tmp_path)
    assert result.returncode == 0, shown(result)
    listed = dict(
        re.match(r"\s*(\w+): (.*)", line).groups()
        for line in result.stdout.split("commands:")[1].split("options:")[0].splitlines()
        if line.strip()
    )
    assert set(ACTIONS) <= set(listed), shown(result)
    assert "python -m pyre_nexus" in listed["crew"]


def test_action_help(tmp_path):
    """
    {nexus <action> --help} explains the action and its options
    """
    result = nexus(tmp_path, "check", "--help")
    assert result.returncode == 0, shown(result)
    for option in ("--recruiter", "--team", "--timeout"):
        assert option in result.stdout, shown(result)
    # the worker shell shows the options of the worker shell, and where the recruiters run it
    result = nexus(tmp_path, "crew", "--help")
    assert result.returncode == 0, shown(result)
    for option in ("--team", "--launch", "--crews", "--stdin"):
        assert option in result.stdout, shown(result)
    assert "python -m pyre_nexus" in result.stdout


def test_unknown_action(tmp_path):
    """
    An action that does not exist is an error that names it
    """
    result = nexus(tmp_path, "nosuch")
    assert result.returncode != 0, shown(result)
    assert "nosuch" in result.stdout + result.stderr


# about
def test_about(tmp_path):
    """
    {nexus about} shows the versions, and each recruiter with whether this machine can use it
    """
    result = nexus(tmp_path, "about")
    assert result.returncode == 0, shown(result)
    output = result.stdout
    # the versions
    assert re.search(rf"^\s+pyre_nexus\s+{re.escape(pyre_nexus.version)}\s", output, re.MULTILINE), output
    assert re.search(r"^\s+pyre\s+1\.14\.\d+", output, re.MULTILINE), output
    assert re.search(rf"^\s+python\s+{re.escape(platform.python_version())}\s", output, re.MULTILINE), output
    # the recruiters
    recruiters = {
        match.group(1): match.group(2)
        for match in re.finditer(
            r"^\s+(fork|forkserver|spawn|ssh|mpi|slurm)\s+(yes|no|\?)\s", output.split("recruiters:")[1], re.MULTILINE
        )
    }
    assert set(recruiters) == {"fork", "forkserver", "spawn", "ssh", "mpi", "slurm"}, output
    assert recruiters["fork"] == recruiters["forkserver"] == recruiters["spawn"] == "yes"
    # a launcher that is not on the PATH is not found
    assert (recruiters["ssh"] == "no") == (shutil.which("ssh") is None), output
    assert (recruiters["mpi"] == "no") == (shutil.which("mpirun") is shutil.which("mpiexec") is None), output
    assert (recruiters["slurm"] == "no") == (shutil.which("srun") is None), output
    # the cgroups of the local crews, as a team here gets them, or why there are none
    group = Cgroup.team(memory=1 << 30, pids=1024)
    expected = group.describe()
    group.dissolve()
    shown_cgroups = output.split("cgroups, for the crews of fork, forkserver and spawn:\n")[1].splitlines()
    assert [line.strip() for line in shown_cgroups] == expected, output


# config
def test_config_pfg(tmp_path):
    """
    {nexus config app.pfg} shows the team and its recruiter as the application builds them,
    with the file and line of every value the file set, and the defaults as defaults
    """
    path = pfg(
        tmp_path,
        "app.pfg",
        """
        app:
            team = staff
            team.size = 3
            team.deadline = 45*s
            team.recruiter = spawn
            team.recruiter.timeout = 7*s
        """,
    )
    result = nexus(tmp_path, "config", path)
    assert result.returncode == 0, shown(result)
    output = result.stdout
    # the team
    team = rows(output, "team app.team:")
    assert team["size"] == ("3", f"{path}:{line(path, 'team.size')}"), output
    assert team["deadline"] == ("45.0*s", f"{path}:{line(path, 'team.deadline')}"), output
    assert team["recruiter"] == ("pyre_nexus.recruiters.spawn", f"{path}:{line(path, 'team.recruiter =')}"), (
        output
    )
    assert team["retries"] == ("0", "default"), output
    # its recruiter
    recruiter = rows(output, "recruiter app.team.recruiter:")
    assert recruiter["timeout"] == ("7.0*s", f"{path}:{line(path, 'recruiter.timeout')}"), output
    assert recruiter["python"][1] == "default", output


def test_config_team_and_command_line(tmp_path):
    """
    {nexus config --team=...} finds the application's file in the current folder, and the
    command line beats it, as it does for the application
    """
    path = pfg(
        tmp_path,
        "crunch.pfg",
        """
        crunch:
            workers = pool
            workers.size = 2
            workers.recruiter = spawn
        """,
    )
    result = nexus(tmp_path, "config", "--team=crunch.workers", "--crunch.workers.size=5")
    assert result.returncode == 0, shown(result)
    assert re.match(rf"team crunch.workers: pyre_nexus.teams.pool, from {path}:2", result.stdout), (
        result.stdout
    )
    team = rows(result.stdout, "team crunch.workers:")
    assert team["size"] == ("5", "command line --crunch.workers.size=5"), result.stdout
    assert team["recruiter"] == (
        "pyre_nexus.recruiters.spawn",
        f"{path}:{line(path, 'recruiter = spawn')}",
    ), result.stdout


def test_config_problems(tmp_path):
    """
    A missing file, or a bad value, is an error that names it
    """
    result = nexus(tmp_path, "config", tmp_path / "nosuch.pfg")
    assert result.returncode != 0, shown(result)
    assert "nosuch.pfg" in result.stderr, shown(result)
    # a bad value
    path = pfg(tmp_path, "bad.pfg", "bad:\n    team.size = 0\n")
    result = nexus(tmp_path, "config", path)
    assert result.returncode != 0, shown(result)
    assert "bad.team.size: bad value 0" in result.stderr, shown(result)


def test_config_unclaimed(tmp_path):
    """
    A setting under the team or its recruiter that names none of their traits, e.g. a misspelled
    one, is an error that names the setting, the file and line or the command line argument
    that made it, and the trait it may mean
    """
    path = pfg(
        tmp_path,
        "app.pfg",
        """
        app:
            team = staff
            team.size = 3
            team.recruiter = fork
            team.recruiter.grase = 2*s
        """,
    )
    result = nexus(tmp_path, "config", path, "--app.team.sise=4")
    assert result.returncode != 0, shown(result)
    assert (
        f"app.team.recruiter.grase: pyre_nexus.recruiters.fork has no trait 'grase'; did you mean 'grace'? "
        f"(set at {path}:{line(path, 'grase')})"
    ) in result.stderr, shown(result)
    assert (
        "app.team.sise: pyre_nexus.teams.staff has no trait 'sise'; did you mean 'size'? "
        "(set on the command line: --app.team.sise=4)"
    ) in result.stderr, shown(result)


# check
def test_check_spawn(tmp_path):
    """
    {nexus check} brings up a crew through spawn, and the probe answers from this host
    """
    result = nexus(tmp_path, "check", "--recruiter=spawn")
    assert result.returncode == 0, shown(result)
    assert re.search(
        rf"spawn\s+ok\s+answered in [0-9.]+ s: host {re.escape(socket.gethostname())}, pid \d+", result.stdout
    ), shown(result)
    assert f"python {platform.python_version()}" in result.stdout
    # and the cgroups of the crew, or why it has none
    assert re.search(r"^\s+cgroups: (v1 |v2|none: )", result.stdout, re.MULTILINE), shown(result)


def test_check_bad_python(tmp_path):
    """
    A recruiter that cannot start its workers fails the check, with a status and the cause
    """
    result = nexus(tmp_path, "check", "--recruiter=spawn", "--recruiter.python=/nonexistent/python3")
    assert result.returncode != 0, shown(result)
    assert "FAILED" in result.stdout, shown(result)
    assert "RecruitmentError" in result.stdout and "/nonexistent/python3" in result.stdout, shown(result)
    assert "0 of 1 answered" in result.stdout, shown(result)


def test_check_unknown_recruiter(tmp_path):
    """
    A recruiter name that is none fails the check with the names that are, and no traceback
    """
    result = nexus(tmp_path, "check", "--recruiter=sporn")
    assert result.returncode != 0, shown(result)
    assert "'sporn'" in result.stderr and "expected one of fork, forkserver, spawn, ssh, mpi, slurm" in result.stderr, shown(result)
    assert "Traceback" not in result.stderr, shown(result)


def test_check_from_pfg(tmp_path):
    """
    {nexus check app.pfg} checks the recruiter of the application's team, as configured
    """
    path = pfg(
        tmp_path,
        "app.pfg",
        """
        app:
            team.recruiter = spawn
        """,
    )
    result = nexus(tmp_path, "check", path)
    assert result.returncode == 0, shown(result)
    assert "checking app.team.recruiter (pyre_nexus.recruiters.spawn)" in result.stdout, shown(result)
    assert "1 of 1 answered" in result.stdout, shown(result)


def test_check_ssh(tmp_path, sshd):
    """
    {nexus check} brings up a crew behind the local sshd
    """
    result = nexus(
        tmp_path,
        "check",
        "--recruiter=ssh",
        f"--recruiter.hosts={sshd.host}",
        f"--recruiter.options=-F,{sshd.config}",
        "--recruiter.advertise=127.0.0.1",
    )
    assert result.returncode == 0, shown(result)
    assert re.search(
        rf"{sshd.host}\s+ok\s+answered in [0-9.]+ s: host {re.escape(socket.gethostname())}", result.stdout
    ), shown(result)


def test_check_ssh_hosts(tmp_path, hosts):
    """
    {nexus check} brings up a crew on each ssh host, and reports the ones that fail by name
    """
    result = nexus(
        tmp_path,
        "check",
        "--recruiter=ssh",
        "--recruiter.hosts=h2,h3,nowhere.invalid",
        f"--recruiter.options=-F,{hosts.config}",
        f"--recruiter.advertise={hosts.local_address}",
    )
    assert result.returncode != 0, shown(result)
    for host in ("h2", "h3"):
        assert re.search(
            rf"^\s+{host}\s+ok\s+answered in [0-9.]+ s: host {host},", result.stdout, re.MULTILINE
        ), shown(result)
    assert re.search(r"^\s+nowhere.invalid\s+FAILED", result.stdout, re.MULTILINE), shown(result)
    assert "Could not resolve hostname nowhere.invalid" in result.stdout, shown(result)
    assert "2 of 3 answered" in result.stdout, shown(result)


# crew
def test_crew_is_the_worker_shell(tmp_path):
    """
    {nexus crew} is the worker shell: a recruiter whose interpreter runs it instead of
    {python -m pyre_nexus} gets its crew, and a bad invocation fails as the worker shell does
    """
    # an interpreter that runs {nexus crew} for {python -m pyre_nexus}
    python = tmp_path / "python"
    python.write_text(
        f'#!/bin/sh\n[ "$1 $2" = "-m pyre_nexus" ] || exit 9\nshift 2\nexec {NEXUS} crew "$@"\n'
    )
    python.chmod(0o755)
    result = nexus(tmp_path, "check", "--recruiter=spawn", f"--recruiter.python={python}")
    assert result.returncode == 0, shown(result)
    assert "1 of 1 answered" in result.stdout, shown(result)
    # without a secret, both say so, and exit with 2
    args = ["--team=127.0.0.1:9", f"--launch={'00' * 16}"]
    crew = nexus(tmp_path, "crew", *args)
    shell = subprocess.run(
        [sys.executable, "-m", "pyre_nexus", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
    )
    assert crew.returncode == shell.returncode == 2, shown(crew)
    assert "no secret" in crew.stderr and crew.stderr == shell.stderr, shown(crew)


# demo
def test_demo(tmp_path):
    """
    {nexus demo} runs the demo, which takes its options from the command line
    """
    result = nexus(tmp_path, "demo", "--samples=40000", "--batches=8", "--serial=no", "--team.size=2")
    assert result.returncode == 0, shown(result)
    values = [float(value) for value in re.findall(r"pi ~ ([0-9.]+)", result.stdout)]
    assert len(values) == 1 and abs(values[0] - math.pi) < 0.2, shown(result)
    assert "2 crews" in result.stdout, shown(result)


def test_demo_on_a_terminal(tmp_path):
    """
    {nexus demo} at a terminal shows the team's progress display, then the results; the run is
    long enough for the display to show up
    """
    if not NEXUS.exists():
        pytest.fail(f"the console script {NEXUS} is not installed; run `pip install -e .`")
    status, output = terminal.run(
        [str(NEXUS), "demo", "--samples=12000000", "--batches=12", "--serial=no", "--team.size=2"],
        cwd=tmp_path, timeout=60,
    )
    assert status == 0, output
    assert "12/12" in output and "task/s" in output, output
    assert output.index("12/12") < output.index("pi ~"), output


# end of file
