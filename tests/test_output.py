# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
What workers print reaches the team: forwarded line by line, tagged with the crew, in the
order each crew wrote it; or captured on the future of the task that printed it; or discarded
"""

# externals
import json
import os
import re
import socket
import subprocess
import sys

import pytest
from pyre.components.exceptions import ConfigurationError

# the helpers
from tests import tasks
from tests.patience import PATIENCE

# the root of the tree, for the teams that run in processes of their own
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tagged(text):
    """
    The lines of {text} by the crew that wrote them: {(host, pid): [lines]}
    """
    lines = {}
    for line in text.splitlines():
        match = re.fullmatch(r"\[([^:\]]+):(\d+)\] (.*)", line)
        assert match, f"an untagged line: {line!r}"
        host, pid, rest = match.groups()
        lines.setdefault((host, int(pid)), []).append(rest)
    return lines


@pytest.mark.parametrize("recruiter", ["fork", "spawn"])
def test_forward(make_team, capfd, recruiter):
    """
    Every line reaches the team's stream of the same kind, tagged with its crew, whether it was
    printed by python, by a child process or by the journal
    """
    staff = make_team("staff", size=2, recruiter=recruiter)
    # the pids of the crews, as the tasks see them
    pids = list(staff.map(tasks.talk, ["a", "b", "c", "d"], timeout=PATIENCE))
    assert pids == ["a", "b", "c", "d"]
    staff.shutdown(wait=True)
    out, err = capfd.readouterr()
    host = socket.gethostname()
    # each task's lines, tagged with one of the crews
    written = tagged(out)
    assert {where[0] for where in written} == {host}
    lines = [line for crew in written.values() for line in crew]
    for tag in "abcd":
        assert [line for line in lines if line.startswith(f"{tag} out")] == [f"{tag} out {n}" for n in range(3)]
        assert f"{tag} child" in lines
    # the errors on the error stream, the journal among them
    errors = [line for crew in tagged_errors(err).values() for line in crew]
    for tag in "abcd":
        assert f"{tag} err" in errors
        assert any(f"{tag} journal" in line for line in errors + lines)


def tagged_errors(text):
    """
    The tagged lines of the error stream; pytest and pyre may add lines of their own there
    """
    return tagged("\n".join(line for line in text.splitlines() if line.startswith("[")))


def test_order_per_crew(make_team, capfd):
    """
    The lines of a crew arrive in the order it wrote them, across tasks
    """
    staff = make_team("staff", size=1)
    futures = [staff.submit(tasks.talk, f"t{index:03d}", 5) for index in range(100)]
    assert [future.result(timeout=PATIENCE) for future in futures] == [f"t{index:03d}" for index in range(100)]
    staff.shutdown(wait=True)
    (lines,) = tagged(capfd.readouterr().out).values()
    mine = [line for line in lines if " out " in line]
    assert mine == [f"t{index:03d} out {n}" for index in range(100) for n in range(5)]


def test_partial_line_is_finished_by_its_crew(make_team, capfd):
    """
    A line written in two goes is shown once, whole; one left unfinished by a crew that leaves
    is shown when the crew is gone
    """
    staff = make_team("staff", size=1)
    assert staff.submit(tasks.chatter, "slow", 0.3).result(timeout=PATIENCE) == "slow"
    staff.shutdown(wait=True)
    (lines,) = tagged(capfd.readouterr().out).values()
    assert "slow begins and ends" in lines


def test_capture(make_team, capfd):
    """
    With {output=capture}, each future holds what its task printed, and nothing is forwarded
    """
    staff = make_team("staff", size=2, output="capture")
    futures = {tag: staff.submit(tasks.talk, tag, 2) for tag in ("x", "y", "z")}
    for tag, future in futures.items():
        assert future.result(timeout=PATIENCE) == tag
        assert future.stdout.splitlines()[:3] == [f"{tag} out 0", f"{tag} out 1", f"{tag} child"]
        assert f"{tag} err" in future.stderr.splitlines()
        # the journal writes to its own stream, which is one of the two
        assert f"{tag} journal" in future.stdout + future.stderr
    staff.shutdown(wait=True)
    out, err = capfd.readouterr()
    assert "out 0" not in out


def test_discard(make_team, capfd):
    """
    With {output=discard}, what workers print goes nowhere, and the tasks still run
    """
    staff = make_team("staff", size=2, output="discard")
    assert list(staff.map(tasks.talk, ["p", "q"], timeout=PATIENCE)) == ["p", "q"]
    staff.shutdown(wait=True)
    out, err = capfd.readouterr()
    assert "p out" not in out and "q child" not in out
    assert "p err" not in err


def test_bad_mode(make_team):
    """
    An unknown output mode is refused, naming what is accepted
    """
    with pytest.raises(ConfigurationError) as info:
        make_team("staff", size=1, output="everywhere")
    assert "forward or capture or discard" in str(info.value)


def test_flood_does_not_stall_the_team(make_team, capfd):
    """
    A task that writes far more than any pipe holds finishes, every line arrives, and the
    other crew keeps working meanwhile
    """
    staff = make_team("staff", size=2)
    flood = staff.submit(tasks.flood, 40)
    # the other crew answers while the flood goes on
    quick = [staff.submit(tasks.echo, index) for index in range(50)]
    assert [future.result(timeout=PATIENCE) for future in quick] == list(range(50))
    assert flood.result(timeout=PATIENCE) == 40 * 1024
    staff.shutdown(wait=True)
    lines = [line for crew in tagged(capfd.readouterr().out).values() for line in crew]
    numbers = [int(line[:8]) for line in lines if len(line) == 1009]
    assert numbers == list(range(40 * 1024))


def test_closed_streams_are_let_go(make_team):
    """
    A task that closes its standard streams leaves the capture with pipes that have no writers;
    the worker stops watching them rather than spin on them, and goes on working
    """
    staff = make_team("staff", size=1)
    used = staff.submit(tasks.mute, 1.0).result(timeout=PATIENCE)
    # a thread spinning on a closed pipe would use about all of that second
    assert used < 0.5, f"the worker used {used:.2f} s of processor time while idle"
    assert staff.submit(tasks.echo, "on").result(timeout=PATIENCE) == "on"


# texts whose characters take two, three and four bytes, cut between writes of odd sizes; the
# long ones are cut by the capture too, which reads a pipe in pieces of 64 KiB
MOSAICS = [
    ("prix: 12 € ou 13 £, déjà vu 🐍🎉\n" * 50, (1,)),
    ("€🐍ü" * 500 + "\n", (2, 3, 5)),
    ("€" * 100_000 + "\n" + "x" + "🎉" * 50_000 + "\n", (7, 4093, 65537)),
]


@pytest.mark.timeout(PATIENCE)
@pytest.mark.parametrize("recruiter", ["fork", "spawn"])
def test_split_characters_stay_whole(make_team, capfd, recruiter):
    """
    A character whose bytes arrive in different reads is shown whole, whether it is forwarded
    or captured, on both streams
    """
    # forwarded
    staff = make_team("staff", size=1, recruiter=recruiter)
    texts = [text for text, _ in MOSAICS]
    assert [staff.submit(tasks.mosaic, text, sizes).result(timeout=PATIENCE) for text, sizes in MOSAICS] == texts
    # later tasks still run
    assert list(staff.map(tasks.echo, range(10), timeout=PATIENCE)) == list(range(10))
    staff.shutdown(wait=True)
    out, err = capfd.readouterr()
    (lines,) = tagged(out).values()
    expected = [line for text in texts for line in text.splitlines()]
    assert lines == expected
    assert [line for crew in tagged_errors(err).values() for line in crew] == expected
    # and captured
    staff = make_team("staff", size=1, recruiter=recruiter, output="capture")
    futures = [staff.submit(tasks.mosaic, text, sizes) for text, sizes in MOSAICS]
    for future, text in zip(futures, texts):
        assert future.result(timeout=PATIENCE) == text
        assert future.stdout == text and future.stderr == text
    assert list(staff.map(tasks.echo, range(10), timeout=PATIENCE)) == list(range(10))


# a team whose standard output is the test's to choose, with one crew that writes a long line
LINE = r"""
import json, os, sys
sys.path.insert(0, os.environ["TEAM_ROOT"])
import pyre_nexus
from tests import tasks
from tests.conftest import children, wait_until

staff = pyre_nexus.staff()(name="line", size=1)
line = staff.submit(tasks.line, int(sys.argv[1]))
after = [staff.submit(tasks.echo, index) for index in range(10)]
report = {"line": line.result(timeout=120), "after": [future.result(timeout=120) for future in after]}
report["pid"] = staff.crews[0].pid
staff.shutdown(wait=True)
report["crews"] = len(staff.crews)
report["gone"] = wait_until(lambda: not children(), timeout=10)
with open(os.environ["LINE_REPORT"], "w") as stream:
    json.dump(report, stream)
"""


def long_line(tmp_path, size, stdout):
    """
    Run a team whose crew writes a line of {size} characters, with the team's standard output
    on {stdout}; return what the team wrote to its standard output, if that was a pipe, and to
    its standard error, and the pid of its crew
    """
    script = tmp_path / "line.py"
    script.write_text(LINE)
    report = tmp_path / "report.json"
    env = dict(os.environ, TEAM_ROOT=ROOT, LINE_REPORT=str(report))
    process = subprocess.Popen(
        [sys.executable, str(script), str(size)], cwd=ROOT, env=env, stdout=stdout, stderr=subprocess.PIPE
    )
    try:
        out, err = process.communicate(timeout=PATIENCE)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err[-2000:]
    # every task got its outcome, the ones after the line too, and the crew is gone
    books = json.loads(report.read_text())
    assert books["line"] == size and books["after"] == list(range(10))
    assert books["crews"] == 0 and books["gone"]
    return out, err, books["pid"]


def whole(size, pid):
    """
    The line {tasks.line} writes, as the team shows it
    """
    return f"[{socket.gethostname()}:{pid}] ".encode() + (b"0123456789abcdef" * (size // 16 + 1))[:size] + b"\n"


@pytest.mark.timeout(PATIENCE)
@pytest.mark.parametrize("megabytes", [10, 20])
def test_long_line_to_a_file(tmp_path, megabytes):
    """
    A line longer than what the team keeps for a stream that is behind reaches a standard
    output that is a regular file whole: the file takes all of it, so nothing is dropped and
    nobody is said not to read
    """
    size = megabytes * 2**20
    path = tmp_path / "stdout"
    with open(path, "wb") as stdout:
        _, err, pid = long_line(tmp_path, size=size, stdout=stdout)
    assert path.read_bytes() == whole(size=size, pid=pid)
    assert b"dropped" not in err and b"nobody reads" not in err, err[-2000:]


@pytest.mark.timeout(PATIENCE)
def test_longer_line_to_a_pipe(tmp_path):
    """
    A line of 48 MiB reaches a standard output that is a pipe somebody reads whole; its pieces
    are put together once, so it takes time in proportion to its length
    """
    size = 48 * 2**20
    out, err, pid = long_line(tmp_path, size=size, stdout=subprocess.PIPE)
    assert out == whole(size=size, pid=pid)
    assert b"dropped" not in err and b"nobody reads" not in err, err[-2000:]


@pytest.mark.timeout(PATIENCE)
@pytest.mark.parametrize("recruiter", ["fork", "spawn"])
def test_stdin_ends_at_once(make_team, recruiter):
    """
    A task that reads its standard input finds it ended, through python, its descriptor and the
    processes it starts, and its crew goes on working
    """
    staff = make_team("staff", size=2, recruiter=recruiter)
    futures = [staff.submit(tasks.listen) for _ in range(4)]
    assert [future.result(timeout=PATIENCE) for future in futures] == [["", "", ""]] * 4
    # later tasks still run
    assert list(staff.map(tasks.echo, range(10), timeout=PATIENCE)) == list(range(10))


# a team whose standard input stays open, as a terminal does, and brings a line for the team
LISTENERS = r"""
import json, os, sys
sys.path.insert(0, os.environ["TEAM_ROOT"])
import pyre_nexus
from tests import tasks
from tests.conftest import children, wait_until

staff = pyre_nexus.staff()(name="listeners", size=2, recruiter=sys.argv[1])
heard = [staff.submit(tasks.listen) for _ in range(4)]
after = [staff.submit(tasks.echo, index) for index in range(10)]
report = {"heard": [future.result(timeout=60) for future in heard]}
report["after"] = [future.result(timeout=60) for future in after]
# the line on stdin is the team's
report["stdin"] = sys.stdin.readline()
staff.shutdown(wait=True)
report["crews"] = len(staff.crews)
report["gone"] = wait_until(lambda: not children(), timeout=10)
print(json.dumps(report), flush=True)
"""


@pytest.mark.timeout(PATIENCE)
@pytest.mark.parametrize("recruiter", ["fork", "spawn"])
def test_stdin_of_the_team_is_its_own(tmp_path, recruiter):
    """
    A team whose standard input stays open, as a terminal does: its tasks find their standard
    input ended rather than wait on the team's, and take nothing the team is sent
    """
    script = tmp_path / "listeners.py"
    script.write_text(LISTENERS)
    process = subprocess.Popen(
        [sys.executable, str(script), recruiter],
        cwd=ROOT,
        env=dict(os.environ, TEAM_ROOT=ROOT),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        # the line goes out while the tasks run, and the stream stays open until the team has
        # reported
        process.stdin.write(b"for the team\n")
        process.stdin.flush()
        line = process.stdout.readline()
        _, err = process.communicate(timeout=PATIENCE)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err[-2000:]
    report = json.loads(line)
    assert report == {
        "heard": [["", "", ""]] * 4,
        "after": list(range(10)),
        "stdin": "for the team\n",
        "crews": 0,
        "gone": True,
    }


# end of file
