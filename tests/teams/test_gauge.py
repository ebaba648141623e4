# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Maps, {as_completed} and workplans show a progress display on a terminal, and only there;
worker lines go around it
"""

# externals
import subprocess
import sys
import textwrap


# the helpers
from tests import terminal
from tests.patience import PATIENCE


# a script that runs a map and a workplan on two crews; {progress} is the team's trait
SCRIPT = textwrap.dedent(
    """
    import sys
    import time
    import pyre_nexus

    def nap(index):
        time.sleep(0.02)
        if index == 7:
            print("seven is here")
        if index == 9:
            raise ValueError("nine")
        return index

    staff = pyre_nexus.staff()(name="gauged", size=2, progress={progress})
    results = [f.exception() is None for f in staff.as_completed([staff.submit(nap, i) for i in range(40)])]
    print("as_completed:", sum(results), "ok")
    print("map:", sum(staff.map(nap, range(5))))
    staff.shutdown()
    pool = pyre_nexus.pool()(name="planned", size=2, progress={progress})
    pool.assemble(workplan=[(lambda i=i: nap(i)) for i in range(12)])
    print("workplan:", len(pool.run()))
    """
)


def script(tmp_path, progress=True):
    """
    Write the script, with the display on or off
    """
    path = tmp_path / "gauged.py"
    path.write_text(SCRIPT.format(progress=progress))
    return [sys.executable, str(path)]


def test_on_a_terminal(tmp_path):
    """
    On a terminal, each batch shows its count, its failures, its rate, and ends full
    """
    status, output = terminal.run(script(tmp_path), timeout=PATIENCE)
    assert status == 0, output
    # the batch of 40, with its one failure
    assert "40/40" in output and "1 failed" in output, output
    assert "task/s" in output
    # the map and the workplan
    assert "5/5" in output and "12/12" in output, output
    # the results
    assert "as_completed: 39 ok" in output and "map: 10" in output and "workplan: 12" in output
    # the worker's line, tagged, on a line of its own rather than torn into the bar
    assert any(line.endswith("] seven is here") and line.startswith("[") for line in output.splitlines()), output


def test_not_on_a_terminal(tmp_path):
    """
    Elsewhere, nothing of the display shows
    """
    done = subprocess.run(script(tmp_path), capture_output=True, text=True, timeout=PATIENCE)
    assert done.returncode == 0, done.stderr
    assert "40/40" not in done.stderr + done.stdout
    assert "as_completed: 39 ok" in done.stdout


def test_turned_off(tmp_path):
    """
    A team whose {progress} is off shows nothing, even on a terminal
    """
    status, output = terminal.run(script(tmp_path, progress=False), timeout=PATIENCE)
    assert status == 0, output
    assert "40/40" not in output and "task/s" not in output
    assert "workplan: 12" in output


# end of file
