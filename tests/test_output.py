# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
What workers print reaches the team: forwarded line by line, tagged with the crew, in the
order each crew wrote it; or captured on the future of the task that printed it; or discarded
"""

# externals
import re
import socket

import pytest
from pyre.components.exceptions import ConfigurationError

# the helpers
from tests import tasks

# generous, so a loaded machine does not fail a test
PATIENCE = 60


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


# end of file
