# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The demo runs from its console script: it estimates pi serially and on a team, and takes its
configuration from the shipped file, the current folder and the command line
"""

# externals
import math
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

# the helpers
from tests import terminal
from tests.patience import PATIENCE


# the console script, next to the interpreter that runs the tests
DEMO = pathlib.Path(sys.executable).parent / "nexus-demo"


# helpers
def demo(folder, *args, env=None):
    """
    Run the demo in {folder} with {args}, and {env} added to its environment; return the
    completed process
    """
    if not DEMO.exists():
        pytest.fail(f"the console script {DEMO} is not installed")
    return subprocess.run(
        [str(DEMO), *args], cwd=folder, capture_output=True, text=True, timeout=PATIENCE,
        env={**os.environ, **(env or {})},
    )


def estimates(output):
    """
    The estimates of pi in {output}
    """
    return [float(value) for value in re.findall(r"pi ~ ([0-9.]+)", output)]


def crews(output):
    """
    The size of the team as the demo shows it
    """
    found = re.search(r"team: .*?, (\d+) crews, recruiter", output)
    assert found, output
    return int(found.group(1))


# the tests
def test_demo_runs(tmp_path):
    """
    The demo estimates pi serially and on a team of two, and compares the two
    """
    result = demo(tmp_path, "--samples=400000", "--batches=16", "--team.size=2")
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    output = result.stdout
    # what it says
    assert "pi ~" in output
    assert "serial" in output
    assert "speedup" in output
    # the serial and the team estimates, both close to pi
    values = estimates(output)
    assert len(values) == 2, output
    for value in values:
        assert abs(value - math.pi) < 0.05, output
    # the same darts land in the same places, however they are thrown
    assert values[0] == values[1]
    # the command line set the size of the team
    assert "2 crews" in output
    assert crews(output) == 2
    # and no task failed
    assert "0 failed tasks" in output


def test_demo_on_a_terminal(tmp_path):
    """
    On a terminal, the demo shows the progress of its serial run and of its team's, each with
    its results after it, and then the team's books; each run is long enough for its display
    to show up
    """
    if not DEMO.exists():
        pytest.fail(f"the console script {DEMO} is not installed")
    status, output = terminal.run(
        [str(DEMO), "--samples=16000000", "--batches=16", "--team.size=1"], cwd=tmp_path, timeout=PATIENCE
    )
    assert status == 0, output
    # the serial display: the count, full at the end, and the rate; then its result
    assert re.search(r"serial: 100%.*16/16.*task/s", output), output
    assert output.index("serial: 100%") < output.index("serial: pi ~"), output
    # the team's, after it, the same way
    assert re.search(r"tasks: 100%.*16/16.*task/s", output), output
    assert output.index("serial: pi ~") < output.index("tasks: 100%") < output.index("team:   pi ~"), output
    assert "0 failed tasks" in output
    # and the books
    assert "16 tasks in" in output and "16 completed" in output, output


def test_demo_times_the_team_as_its_books_do(tmp_path):
    """
    The demo times its team from building it to letting its crews go, as the team keeps its
    books, so the two agree; the serial run, which comes first, is in neither
    """
    result = demo(tmp_path, "--samples=2000000", "--batches=16", "--team.size=2")
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    output = result.stdout + result.stderr
    serial = float(re.search(r"serial: pi ~ [0-9.]+ in ([0-9.]+) s", output).group(1))
    team = float(re.search(r"team:   pi ~ [0-9.]+ in ([0-9.]+) s", output).group(1))
    books = float(re.search(r"16 tasks in ([0-9.]+) s", output).group(1))
    # a serial run long enough to show, were it in the books
    assert serial >= 0.05, output
    # the books open after the team's clock starts, and close before it stops
    assert books <= team + 0.01, output
    # and miss only the building of the team and the printing of the books
    assert team - books < 0.5, output


def test_demo_command_line_sets_team_size(tmp_path):
    """
    The command line overrides the size of the team that the shipped configuration sets
    """
    result = demo(tmp_path, "--samples=40000", "--batches=8", "--serial=no", "--team.size=3")
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    output = result.stdout
    assert crews(output) == 3
    # without the serial run there is nothing to compare
    assert "serial" not in output
    assert "speedup" not in output
    values = estimates(output)
    assert len(values) == 1 and abs(values[0] - math.pi) < 0.2, output


def test_demo_configuration_in_current_folder(tmp_path):
    """
    A nexus-demo.pfg in the current folder beats the shipped configuration, and the command
    line beats both
    """
    (tmp_path / "nexus-demo.pfg").write_text(
        textwrap.dedent(
            """
            nexus-demo:
                samples = 40000
                batches = 8
                serial = no
                team.size = 3
            """
        ).lstrip()
    )
    result = demo(tmp_path)
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert crews(result.stdout) == 3
    assert "40,000 darts" in result.stdout
    result = demo(tmp_path, "--team.size=1")
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert crews(result.stdout) == 1


def recruiters(request):
    """
    The recruiter settings of the demo's team, in .pfg lines, and what its launcher needs in
    the environment, for each recruiter whose services are up; the fixtures of the services
    fail or skip the test otherwise
    """
    kind = request.param
    if kind == "fork":
        return kind, ["team.recruiter = fork"], {}
    if kind == "spawn":
        return kind, ["team.recruiter = spawn"], {}
    if kind in ("openmpi", "mpich"):
        mpi = request.getfixturevalue(kind)
        launcher = mpi.mpirun if kind == "openmpi" else mpi.mpiexec
        return "mpi", ["team.recruiter = mpi", f"team.recruiter.launcher = {launcher}"], mpi.env
    if kind == "slurm":
        slurm = request.getfixturevalue("slurm")
        return kind, ["team.recruiter = slurm", "team.recruiter.options = --overcommit"], slurm.env
    if kind in ("sbatch", "gridengine"):
        scheduler = request.getfixturevalue("slurm" if kind == "sbatch" else "gridengine")
        spool = request.getfixturevalue("tmp_path") / "spool"
        return kind, [f"team.recruiter = {kind}", f"team.recruiter.spool = {spool}"], scheduler.env
    if kind == "ssh":
        sshd = request.getfixturevalue("sshd")
        return kind, [
            "team.recruiter = ssh",
            f"team.recruiter.hosts = {sshd.host}:2",
            f"team.recruiter.options = -F, {sshd.config}",
            "team.recruiter.advertise = 127.0.0.1",
        ], {}
    if kind == "ssh-hosts":
        hosts = request.getfixturevalue("hosts")
        return "ssh", [
            "team.recruiter = ssh",
            "team.recruiter.hosts = h2, h3",
            f"team.recruiter.options = -F, {hosts.config}",
            f"team.recruiter.advertise = {hosts.local_address}",
        ], {}
    raise ValueError(kind)


@pytest.fixture(params=["fork", "spawn", "ssh", "ssh-hosts", "openmpi", "mpich", "slurm", "sbatch", "gridengine"])
def recruiter(request):
    """
    The recruiters the demo runs on, changing nothing but its configuration file
    """
    return recruiters(request)


def test_demo_any_recruiter(tmp_path, recruiter):
    """
    The same demo runs on every recruiter, by changing only its .pfg file
    """
    kind, lines, env = recruiter
    settings = "\n".join(f"    {line}" for line in lines)
    (tmp_path / "nexus-demo.pfg").write_text(
        f"nexus-demo:\n    samples = 400000\n    batches = 16\n    serial = no\n    team.size = 2\n{settings}\n"
    )
    result = demo(tmp_path, env=env)
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert f"recruiter pyre_nexus.recruiters.{kind}" in result.stdout
    values = estimates(result.stdout)
    assert len(values) == 1 and abs(values[0] - math.pi) < 0.05, result.stdout
    assert "0 failed tasks" in result.stdout


@pytest.mark.parametrize("kind, service", [("sbatch", "slurm"), ("gridengine", "gridengine")])
def test_demo_on_the_configuration_of_a_batch_page(tmp_path, request, kind, service):
    """
    The configuration on the page of each batch recruiter is a real one: the demo runs its crews
    as jobs of the scheduler with it, its spool under the home directory
    """
    scheduler = request.getfixturevalue(service)
    page = pathlib.Path(__file__).resolve().parents[2] / "doc" / "recruiters" / f"{kind}.md"
    (block,) = re.findall(r"^```ini\n(.*?)^```", page.read_text(), flags=re.MULTILINE | re.DOTALL)
    (tmp_path / "nexus-demo.pfg").write_text(block + "    samples = 400000\n    batches = 16\n    serial = no\n")
    result = demo(tmp_path, env={**scheduler.env, "HOME": str(tmp_path)})
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert f"4 crews, recruiter pyre_nexus.recruiters.{kind}" in result.stdout
    assert "0 failed tasks" in result.stdout
    # its jobs left the spool clean, but for the directory
    assert list((tmp_path / ".pyre_nexus" / "jobs").iterdir()) == []


def test_demo_bad_team_size(tmp_path):
    """
    A bad team size on the command line stops the demo with an error that names it
    """
    result = demo(tmp_path, "--samples=4000", "--batches=4", "--team.size=0")
    assert result.returncode != 0, result.stdout
    text = result.stdout + result.stderr
    assert "size" in text and "0" in text, text
    assert "positive" in text, text


# what the demo refuses to start with, and what it says: the trait, the value, what it accepts
REFUSED = [
    (["--batches=0"], "nexus-demo.batches: bad value 0; expected a positive number of tasks"),
    (
        ["--samples=10"],
        "nexus-demo.samples: bad value 10; expected a number of darts, at least one per task: 64 or more",
    ),
    (
        ["--samples=-5", "--batches=4"],
        "nexus-demo.samples: bad value -5; expected a number of darts, at least one per task: 4 or more",
    ),
    (
        ["--samples=abc"],
        "nexus-demo.samples: bad value 'abc'; expected a number of darts, at least one per task: 64 or more",
    ),
    (["--serial=maybe"], "nexus-demo.serial: bad value 'maybe'; expected true or false"),
]


@pytest.mark.parametrize("args, said", REFUSED, ids=[" ".join(args) for args, _ in REFUSED])
def test_demo_refuses_bad_input(tmp_path, args, said):
    """
    Inputs the demo cannot work with stop it before it throws a dart, with the trait, the value
    and what it accepts, and without a traceback
    """
    result = demo(tmp_path, *args)
    assert result.returncode != 0, result.stdout
    assert said in result.stdout + result.stderr, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    # nothing ran
    assert "pi ~" not in result.stdout, result.stdout


def test_demo_bad_team_switch(tmp_path):
    """
    A switch of the team that is neither on nor off is refused with its name and what it
    accepts, not with pyre's conversion error alone
    """
    result = demo(tmp_path, "--samples=4000", "--batches=4", "--team.progress=maybe")
    assert result.returncode != 0, result.stdout
    text = result.stdout + result.stderr
    assert "nexus-demo.team.progress: bad value 'maybe'; expected true or false" in text, text
    assert "Traceback" not in result.stderr, result.stderr


def test_demo_on_a_pool(tmp_path):
    """
    The demo submits its tasks to a staff; given a pool instead, it fails with an error that
    says what a pool does and which team to set
    """
    result = demo(tmp_path, "--samples=4000", "--batches=4", "--serial=no", "--team=pool")
    assert result.returncode != 0, result.stdout
    assert result.stderr.rstrip().endswith(
        "AttributeError: team nexus-demo.team has no attribute 'submit': "
        "a pool runs a workplan: assemble() then run(); submit is a staff's; set team=staff"
    ), result.stderr


def test_demo_bad_team_size_is_reported_without_traceback(tmp_path):
    """
    A configuration mistake is the user's, not the program's: the demo says what is wrong and
    exits with a status, without a traceback of its insides
    """
    result = demo(tmp_path, "--samples=4000", "--batches=4", "--team.size=0")
    assert result.returncode != 0, result.stdout
    assert "expected a positive number of crews" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr


# end of file
