# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Maps, {as_completed} and workplans show a progress display on a terminal, and only there, once
their work has taken a moment; while it is up, what the program and its workers print goes
above it, a whole line at a time, and each wait leaves one bar behind
"""

# externals
import re
import subprocess
import sys
import textwrap


# the helpers
from tests import terminal
from tests.patience import PATIENCE


# a bar as {tqdm} draws it, and nothing else: the label, the share done, the bar, the count, and
# the times, the rate and the failures
BAR = re.compile(r"^\w[\w ]*: +\d+%\|[^|]*\| \d+/\d+ \[[^\]]*\]$")
# what a line torn by a bar shows of it
FRAGMENTS = ("%|", "task/s", "s/task", "█")


# a script that runs a map and a workplan on two crews, long enough for their displays to show
# up; {progress} is the team's trait
SCRIPT = textwrap.dedent(
    """
    import time
    import pyre_nexus

    def nap(index):
        time.sleep(0.1)
        if index == 7:
            print("seven is here")
        if index == 9:
            raise ValueError("nine")
        return index

    staff = pyre_nexus.staff()(name="gauged", size=2, progress={progress})
    results = [f.exception() is None for f in staff.as_completed([staff.submit(nap, i) for i in range(40)])]
    print("as_completed:", sum(results), "ok")
    print("map:", sum(staff.map(nap, range(10, 30))))
    staff.shutdown()
    pool = pyre_nexus.pool()(name="planned", size=2, progress={progress})
    pool.assemble(workplan=[(lambda i=i: nap(i)) for i in range(20)])
    print("workplan:", len(pool.run()))
    """
)


# helpers
def script(tmp_path, text=SCRIPT, **values):
    """
    Write {text}, filled in with {values}, as a script; return the command that runs it
    """
    path = tmp_path / "gauged.py"
    path.write_text(text.format(**values))
    return [sys.executable, str(path)]


def bars(screen):
    """
    The lines of {screen} that are bars
    """
    return [line for line in screen if BAR.match(line)]


def torn(screen):
    """
    The lines of {screen} that are not bars but show pieces of one
    """
    return [line for line in screen if not BAR.match(line) and any(piece in line for piece in FRAGMENTS)]


# the tests
def test_on_a_terminal(tmp_path):
    """
    On a terminal, each batch shows its count, its failures, its rate, and ends full
    """
    status, output = terminal.run(script(tmp_path, progress=True), timeout=PATIENCE)
    assert status == 0, output
    screen = terminal.screen(output)
    # the batch of 40, with its one failure
    assert any(line.startswith("tasks: 100%") and "40/40" in line and "1 failed" in line for line in screen), output
    assert "task/s" in output
    # the map, under the name of its function, and the workplan, under the team's
    assert any(line.startswith("nap: 100%") and "20/20" in line for line in screen), output
    assert any(line.startswith("team planned: 100%") and "20/20" in line for line in screen), output
    # the results
    assert "as_completed: 39 ok" in screen and "map: 390" in screen and "workplan: 20" in screen, output
    # the worker's line, tagged, on a line of its own rather than torn into the bar
    assert any(line.endswith("] seven is here") and line.startswith("[") for line in screen), output
    assert not torn(screen), output


def test_not_on_a_terminal(tmp_path):
    """
    Elsewhere, nothing of the display shows
    """
    done = subprocess.run(script(tmp_path, progress=True), capture_output=True, text=True, timeout=PATIENCE)
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
    assert "workplan: 20" in output


def test_lines_go_above_the_bar(tmp_path):
    """
    While a bar is up, what the program prints to its standard output and error, in one write
    or in pieces, and the lines its workers print, including workers forked meanwhile, each
    land whole on a line of their own above the bar; nothing of the bar is left in them
    """
    text = textwrap.dedent(
        """
        import sys
        import time
        import pyre_nexus

        def nap(index):
            time.sleep(0.2)
            print(f"worker out {{index}}")
            print(f"worker err {{index}}", file=sys.stderr)
            return index

        # crews that leave after a few tasks, so some are forked while the bar is up
        staff = pyre_nexus.staff()(name="chatty", size=2, maxtasks=3)
        for future in staff.as_completed([staff.submit(nap, i) for i in range(16)]):
            index = future.result()
            print(f"main out {{index}}")
            print(f"main err {{index}}", file=sys.stderr)
            print(f"main in ", end="", flush=True)
            sys.stdout.write(f"pieces {{index}}")
            sys.stdout.write(f"\\nmain lines {{index}}\\n")
        print("streams:", type(sys.stdout).__name__, type(sys.stderr).__name__)
        staff.shutdown()
        """
    )
    status, output = terminal.run(script(tmp_path, text=text), timeout=PATIENCE)
    assert status == 0, output
    screen = terminal.screen(output)
    # the bar was up, and its last state stays, once
    assert [line for line in bars(screen) if "16/16" in line] == bars(screen) and len(bars(screen)) == 1, output
    # each line of the program is there, whole, once
    for index in range(16):
        for line in (f"main out {index}", f"main err {index}", f"main in pieces {index}", f"main lines {index}"):
            assert screen.count(line) == 1, f"{line!r}:\n{output}"
    # and so is each line of the workers, tagged
    for index in range(16):
        for line in (f"worker out {index}", f"worker err {index}"):
            assert len([each for each in screen if re.fullmatch(rf"\[[^\]]+:\d+\] {line}", each)]) == 1, output
    # nothing is torn
    assert not torn(screen), output
    # and the program has its own streams back
    assert "streams: TextIOWrapper TextIOWrapper" in screen, output


def test_instant_work_draws_no_bar(tmp_path):
    """
    The first application of the README: batches that are over at once draw no bar, and
    their lines come out as they would without one
    """
    text = textwrap.dedent(
        """
        import pyre_nexus

        def square(n):
            return n * n

        staff = pyre_nexus.staff()(name="squares", size=2, recruiter="fork")
        futures = [staff.submit(square, n) for n in range(6)]
        for future in staff.as_completed(futures):
            print(f"{{future.label}}: {{future.result()}}")
        print(list(staff.map(square, range(4))))
        staff.shutdown()
        """
    )
    status, output = terminal.run(script(tmp_path, text=text), timeout=PATIENCE)
    assert status == 0, output
    # no bar, nor any piece of one
    assert not any(piece in output for piece in FRAGMENTS), output
    # only the lines of the program
    screen = [line for line in terminal.screen(output) if line]
    assert sorted(screen[:-1]) == sorted(f"task {n + 1} (square): {n * n}" for n in range(6)), output
    assert screen[-1] == "[0, 1, 4, 9]", output


def test_one_bar_per_wait(tmp_path):
    """
    Two waits in a row that print as results come each leave their bar, once, and no copy of
    either stays on the terminal; a map that is never read puts none up
    """
    text = textwrap.dedent(
        """
        import sys
        import time
        import pyre_nexus

        def first(index):
            time.sleep(0.15)
            return index

        def second(index):
            time.sleep(0.15)
            return -index

        staff = pyre_nexus.staff()(name="twice", size=2)
        for value in staff.map(first, range(12)):
            print("got", value)
        for value in staff.map(second, range(12)):
            print("got", value)
        unread = staff.map(first, range(2))
        print("streams:", type(sys.stdout).__name__, type(sys.stderr).__name__)
        staff.shutdown()
        """
    )
    status, output = terminal.run(script(tmp_path, text=text), timeout=PATIENCE)
    assert status == 0, output
    screen = terminal.screen(output)
    # one bar for each wait, full
    assert len(bars(screen)) == 2, output
    assert bars(screen)[0].startswith("first: 100%") and "12/12" in bars(screen)[0], output
    assert bars(screen)[1].startswith("second: 100%") and "12/12" in bars(screen)[1], output
    # the lines of the program, each once, between them
    assert [line for line in screen if line.startswith("got")] == [f"got {value}" for value in range(12)] + [
        f"got {-value}" for value in range(12)
    ], output
    assert not torn(screen), output
    # the map that was not read put nothing up
    assert "streams: TextIOWrapper TextIOWrapper" in screen, output


def test_a_wait_within_a_wait(tmp_path):
    """
    A wait for the futures of one team while a bar of another is up draws no second bar: a
    terminal has room for one
    """
    text = textwrap.dedent(
        """
        import time
        import pyre_nexus

        # one at a time, so the second is heard of once the first wait inside is over
        def outer(index):
            time.sleep(0.4 * (index + 1))
            return index

        def inner(index):
            time.sleep(0.3)
            return index

        team = pyre_nexus.staff()(name="outer", size=2)
        helper = pyre_nexus.staff()(name="helper", size=2)
        for future in team.as_completed([team.submit(outer, i) for i in range(2)]):
            print("outer", future.result(), "inner", sum(helper.map(inner, range(4))))
        team.shutdown()
        helper.shutdown()
        """
    )
    status, output = terminal.run(script(tmp_path, text=text), timeout=PATIENCE)
    assert status == 0, output
    screen = terminal.screen(output)
    # the bar of the outer wait, and none of the inner ones
    assert "inner:" not in output, output
    assert len(bars(screen)) == 1 and bars(screen)[0].startswith("tasks: 100%"), output
    assert sorted(line for line in screen if line.startswith("outer")) == ["outer 0 inner 6", "outer 1 inner 6"]
    assert not torn(screen), output


# end of file
