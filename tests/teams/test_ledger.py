# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
A team keeps its books: every outcome counted once under its kind, retries and reruns, the
deepest queue, and what each crew did; on demand as plain values, and in the journal when the
team shuts down
"""

# externals
import json
import subprocess
import sys
import textwrap

# the package

# the tasks
from tests import tasks


def test_outcomes(make_team, tmp_path):
    """
    Each outcome is counted once, under its kind
    """
    staff = make_team(size=2, retries=1, casualties=2)
    futures = [staff.submit(tasks.echo, index) for index in range(20)]
    failed = staff.submit(tasks.fail)
    dead = staff.submit(tasks.leave, 3)
    late = staff.options(deadline=0.2).submit(tasks.nap, 30)
    flaky = staff.submit(tasks.flaky, str(tmp_path / "flaky"), 1)
    staff.wait(futures + [failed, dead, late, flaky])
    books = staff.metrics()
    # plain values
    assert json.loads(json.dumps(books)) == books
    assert books["submitted"] == 24
    assert books["outcomes"] == {
        "completed": 21, "failed": 1, "casualties": 1, "deadlines": 1, "cancelled": 0, "unrecruited": 0,
    }
    # the flaky task was retried once, and the task that killed its crews was rerun once
    assert books["retried"] == 1
    assert books["rerun"] == 1
    # the crews, present and past, reported every task that ran to its end
    crews = books["crews"]
    former = books["former crews"]
    assert sum(crew["tasks"] for crew in crews) + former.get("tasks", 0) >= 21
    assert all(crew["bytes sent"] > 0 and crew["bytes received"] > 0 for crew in crews if crew["tasks"])
    # and their time, busy and idle, adds up to no more than they have been around
    assert all(crew["busy seconds"] >= 0 and crew["idle seconds"] >= 0 for crew in crews)
    assert all(crew["busy seconds"] + crew["idle seconds"] <= books["seconds"] for crew in crews)
    assert former["busy seconds"] >= 0 and former["idle seconds"] >= 0


def test_queue_depth(make_team):
    """
    The deepest queue is remembered after it drains
    """
    staff = make_team(size=1)
    futures = [staff.submit(tasks.noop) for _ in range(300)]
    staff.wait(futures)
    books = staff.metrics()
    assert books["queued"] == 0
    assert books["deepest queue"] >= 100
    assert books["outcomes"]["completed"] == 300


def test_cancelled(make_team):
    """
    Cancelled tasks count as cancelled
    """
    staff = make_team(size=1)
    blocker = staff.submit(tasks.nap, 30)
    waiting = [staff.submit(tasks.noop) for _ in range(5)]
    for future in waiting + [blocker]:
        future.cancel()
    assert staff.metrics()["outcomes"]["cancelled"] == 6


def test_summary_at_shutdown(tmp_path):
    """
    A team with a summary shows its books in the journal when it shuts down; one without
    keeps quiet
    """
    script = tmp_path / "books.py"
    script.write_text(
        textwrap.dedent(
            """
            import pyre_nexus
            def square(x):
                return x * x
            staff = pyre_nexus.staff()(name="bookkeeper", size=2, summary=True)
            assert sum(staff.map(square, range(10))) == 285
            staff.shutdown()
            quiet = pyre_nexus.staff()(name="quiet", size=1)
            assert sum(quiet.map(square, range(10))) == 285
            quiet.shutdown()
            """
        )
    )
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    text = result.stdout + result.stderr
    assert "pyre_nexus.metrics" in text
    assert "team bookkeeper: 10 tasks" in text and "10 completed" in text
    assert "team quiet" not in text
