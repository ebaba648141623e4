# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The death of the team itself: a team process, running a workplan on forked or spawned crews
whose tasks started processes of their own, gets SIGKILL, SIGINT or SIGTERM

- SIGKILL: nothing runs in the team; its workers must go anyway, within a bound, and take the
  processes their tasks started with them: each worker, forked or spawned, has a thread that
  ends its process group when the team's end of its channel closes (and a spawned worker shell
  also when its stdin ends)
- SIGINT: python raises KeyboardInterrupt in the main thread, wherever it is, e.g. in
  {future.result()} or {pool.run()} driving the loop; it unwinds, and at exit the team's atexit
  handler cancels every unfinished task, kills the workers' process groups and reaps them. So
  the pending futures end cancelled, with the reason "the interpreter is exiting", each done
  callback fires once, no worker and nothing a task started is left, and the process exits
  promptly. An interrupt that arrives while the team's loop runs its handlers is held until the
  pass is over, so no task is left half settled, even in a session that carries on after Ctrl-C
- SIGTERM: a team that recruits in the main thread, where SIGTERM would end the process at
  once, makes it raise SystemExit instead, so it gets the orderly exit SIGINT gets
- once the last team that took SIGINT and SIGTERM over is done, the host's handling is back: a
  SIGTERM then kills the process, or reaches the host's own handler, which no team replaced

The team runs in a script of its own, which reports, from an atexit handler registered before
pyre_nexus is imported (so it runs after the team's, atexit being last in first out), what its
futures and children look like at the very end
"""

# externals
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

# the helpers
from tests.conftest import alive, wait_until
from tests.patience import PATIENCE
from tests.recruiters.drill import workers as shells


# the repository, where the team script runs, so it finds the test tasks
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the bound on how long the workers of a dead team, and what their tasks started, may linger
BOUND = 10
ORPHANS = 5


# the team script
TEAM = r"""
import atexit, collections, functools, json, os, sys, time

folder = os.environ["TEAM_FOLDER"]
kind = os.environ["TEAM_KIND"]
futures = []
calls = collections.Counter()


def children():
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] not in "ZX":
            found.append(int(entry))
    return found


def last_words():
    # after the team's own exit handler, which was registered after this one
    outcomes = collections.Counter()
    for future in futures:
        if not future.done():
            outcomes["none"] += 1
        elif future.cancelled():
            outcomes["cancelled: " + str(future.cancellation)] += 1
        elif future.exception(timeout=0) is None:
            outcomes["result"] += 1
        else:
            outcomes[type(future.exception(timeout=0)).__name__] += 1
    report = {
        "futures": len(futures),
        "outcomes": dict(outcomes),
        "callbacks": sorted(set(calls[id(future)] for future in futures)),
        "children": children(),
    }
    with open(os.path.join(folder, "report.part"), "w") as stream:
        json.dump(report, stream)
    os.rename(os.path.join(folder, "report.part"), os.path.join(folder, "report"))


atexit.register(last_words)

sys.path.insert(0, os.environ["TEAM_ROOT"])
import pyre_nexus
from tests import tasks

team = getattr(pyre_nexus, "pool" if kind == "pool" else "staff")()(name="victim", size=3)
team.recruiter = os.environ["TEAM_RECRUITER"]

# the work: two long tasks that start a grandchild each, and 100 ms naps for the third crew
if kind == "busy":
    work = [functools.partial(tasks.echo, i) for i in range(20000)]
else:
    work = [functools.partial(tasks.busy_parent, os.path.join(folder, f"grandchild-{i}"), 60) for i in range(2)]
    work += [functools.partial(tasks.nap, 0.1, i) for i in range(400)]
said = []


def news(future):
    calls[id(future)] += 1
    # once enough of the work is done and the grandchildren are up, say so
    if said or sum(calls.values()) < 10:
        return
    if kind != "busy" and not all(os.path.exists(os.path.join(folder, f"grandchild-{i}")) for i in range(2)):
        return
    said.append(True)
    gate = getattr(team.recruiter, "gate", None)
    print(json.dumps({
        "pid": os.getpid(),
        "port": gate.address.port if gate is not None else None,
        "workers": sorted(crew.pid for crew in team.crews if crew.pid is not None),
    }), flush=True)


if kind == "pool":
    futures.extend(team.assemble(work))
    for future in futures:
        future.add_done_callback(news)
    team.run()
else:
    for call in work:
        future = team.submit(call)
        future.add_done_callback(news)
        futures.append(future)
    futures[-1].result()
print("the workplan finished", flush=True)
"""


class Team:
    """
    The team script, running in a process of its own
    """

    def __init__(self, folder, recruiter, kind):
        self.folder = folder
        self.script = os.path.join(folder, "team.py")
        with open(self.script, "w") as stream:
            stream.write(TEAM)
        env = dict(
            os.environ,
            TEAM_ROOT=ROOT,
            TEAM_FOLDER=str(folder),
            TEAM_KIND=kind,
            TEAM_RECRUITER=recruiter,
        )
        self.recruiter = recruiter
        self.process = subprocess.Popen(
            [sys.executable, self.script], cwd=ROOT, env=env, stdout=subprocess.PIPE
        )
        self.grandchildren = []
        self.news = None

    def underway(self):
        """
        Wait for the news that the workplan is underway; return it
        """
        line = self.process.stdout.readline()
        assert line, f"the team exited with status {self.process.wait()} before its work got going"
        self.news = json.loads(line)
        assert len(self.news["workers"]) == 3, self.news
        # the grandchildren, if there are any
        for name in sorted(os.listdir(self.folder)):
            if name.startswith("grandchild-") and not name.endswith(".part"):
                with open(os.path.join(self.folder, name)) as stream:
                    self.grandchildren.append(int(stream.read()))
        return self.news

    def workers(self):
        """
        The worker processes of the team that are still around, wherever they were reparented:
        forked ones run the team's script, spawned ones dial its port; what the tasks started
        is not counted
        """
        if self.recruiter == "fork":
            mark = self.script.encode()
            found = []
            for entry in os.listdir("/proc"):
                if not entry.isdigit() or int(entry) == self.process.pid:
                    continue
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as stream:
                        words = stream.read().split(b"\0")
                except OSError:
                    continue
                if mark in words and alive(int(entry)):
                    found.append(int(entry))
        else:
            found = [pid for pid in shells(self.news["port"]) if alive(pid)]
        return sorted(set(found) - set(self.grandchildren))

    def orphans(self):
        """
        The processes the tasks started that are still alive
        """
        return [pid for pid in self.grandchildren if alive(pid)]

    def report(self):
        """
        The last words of the team, if it had any
        """
        try:
            with open(os.path.join(self.folder, "report")) as stream:
                return json.load(stream)
        except FileNotFoundError:
            return None

    def end(self, timeout=PATIENCE):
        """
        Wait for the team to exit; its status, or {None} if it is still up
        """
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def scrub(self):
        """
        Kill whatever is left: the team, its workers, the processes the tasks started
        """
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        for pid in self.workers() + self.orphans():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def team(tmp_path):
    """
    Start team scripts; whatever they leave is killed after the test
    """
    started = []

    def start(recruiter, kind="pool"):
        folder = tmp_path / f"team-{len(started)}"
        folder.mkdir()
        process = Team(folder=str(folder), recruiter=recruiter, kind=kind)
        started.append(process)
        return process

    yield start
    for process in started:
        process.scrub()


recruiters = ["fork", "spawn"]


# SIGKILL
@pytest.mark.parametrize("recruiter", recruiters)
def test_sigkill_ends_the_workers(team, recruiter):
    """
    A team SIGKILLed in the middle of a workplan leaves no worker behind
    """
    victim = team(recruiter)
    news = victim.underway()
    assert victim.workers() and set(news["workers"]) <= set(victim.workers())
    # kill it
    os.kill(news["pid"], signal.SIGKILL)
    assert victim.end() == -signal.SIGKILL
    # and its workers go too
    assert wait_until(lambda: not victim.workers(), timeout=BOUND), f"workers left: {victim.workers()}"


@pytest.mark.parametrize("recruiter", recruiters)
def test_sigkill_ends_what_the_tasks_started(team, recruiter):
    """
    A team SIGKILLed in the middle of a workplan leaves behind none of the processes its tasks
    started
    """
    victim = team(recruiter)
    news = victim.underway()
    assert len(victim.grandchildren) == 2 and victim.orphans() == victim.grandchildren
    os.kill(news["pid"], signal.SIGKILL)
    assert victim.end() == -signal.SIGKILL
    assert wait_until(lambda: not victim.orphans(), timeout=ORPHANS), f"left: {victim.orphans()}"


# SIGINT and SIGTERM: an orderly exit
def orderly(victim, signum):
    """
    Send {signum} to the team of {victim} once its work is underway, and check that it winds
    down in order: it exits, with every future settled and the unfinished ones cancelled, each
    callback fired once, and no worker or process of a task left
    """
    news = victim.underway()
    assert len(victim.grandchildren) == 2 and victim.orphans() == victim.grandchildren
    # the news comes from a done callback: let the team get back to waiting, where an interrupt
    # is safe (see test_interrupt_inside_the_loop_strands_nothing for one that is not)
    time.sleep(0.2)
    os.kill(news["pid"], signum)
    status = victim.end()
    assert status is not None, "the team did not exit"
    # its workers, and what their tasks started, are gone
    assert wait_until(lambda: not victim.workers(), timeout=BOUND), f"workers left: {victim.workers()}"
    assert wait_until(lambda: not victim.orphans(), timeout=ORPHANS), f"processes left: {victim.orphans()}"
    # it had last words
    report = victim.report()
    assert report is not None, f"the team exited with status {status} without running its exit handlers"
    outcomes = report["outcomes"]
    assert "none" not in outcomes, outcomes
    # the long tasks were running and the naps at the end were queued: all cancelled
    cancelled = outcomes.get("cancelled: the interpreter is exiting", 0)
    assert cancelled >= 2 and cancelled + outcomes.get("result", 0) == report["futures"], outcomes
    assert report["callbacks"] == [1], report["callbacks"]
    # the team reaped its workers before it left
    assert report["children"] == []
    return status, report


@pytest.mark.parametrize("kind", ["pool", "staff"])
@pytest.mark.parametrize("recruiter", recruiters)
def test_sigint_winds_the_team_down(team, recruiter, kind):
    """
    SIGINT, the Ctrl-C of a terminal, in the middle of {pool.run()} or {future.result()}: the
    KeyboardInterrupt ends the script, and the team's exit handler settles and reaps
    """
    status, _ = orderly(team(recruiter, kind=kind), signal.SIGINT)
    # python ends an uncaught KeyboardInterrupt by dying of SIGINT
    assert status == -signal.SIGINT


@pytest.mark.parametrize("recruiter", recruiters)
def test_sigterm_winds_the_team_down(team, recruiter):
    """
    SIGTERM, what service managers and batch systems send first, gets the same orderly exit
    """
    orderly(team(recruiter), signal.SIGTERM)


def test_sigint_under_load(team):
    """
    SIGINT at random moments in a stream of tiny tasks, wherever the interrupt lands in the
    team's loop: the team still exits, and leaves no worker behind

    Where the interrupt lands inside a handler of the loop, a future may be left without an
    outcome and without its callback: see test_interrupt_inside_the_loop_strands_nothing. So
    only the processes are checked here
    """
    dice = random.Random()
    for _ in range(3):
        victim = team("fork", kind="busy")
        news = victim.underway()
        time.sleep(dice.uniform(0, 0.3))
        os.kill(news["pid"], signal.SIGINT)
        status = victim.end()
        assert status == -signal.SIGINT, "the team did not exit"
        assert wait_until(lambda: not victim.workers(), timeout=BOUND), f"workers left: {victim.workers()}"
        report = victim.report()
        assert report is not None, f"no last words; status {status}"
        assert report["children"] == []


# a session that is interrupted while its team's loop settles a task, and carries on
INTERRUPTED = r"""
import collections, json, os, signal, sys
sys.path.insert(0, os.environ["TEAM_ROOT"])
import pyre_nexus
from tests import tasks

staff = pyre_nexus.staff()(name="interrupted", size=1)
# warm up, so the crew holds several tasks at once and reports them in batches
for _ in range(20):
    list(staff.map(tasks.echo, range(50)))
futures = [staff.submit(tasks.echo, i) for i in range(200)]


def ctrl_c(future):
    # Ctrl-C, while the loop delivers this outcome
    os.kill(os.getpid(), signal.SIGINT)


futures[0].add_done_callback(ctrl_c)
try:
    staff.wait(futures, timeout=30)
except KeyboardInterrupt:
    pass
# an interactive session carries on
done, pending = staff.wait(futures, timeout=3)
outcomes = collections.Counter(
    "none" if not f.done() else "result" if f.exception() is None else type(f.exception()).__name__
    for f in futures
)
print(json.dumps(dict(outcomes)), flush=True)
"""


def test_interrupt_inside_the_loop_strands_nothing(tmp_path):
    """
    Ctrl-C that lands while the team's loop delivers an outcome (here, in a done callback)
    interrupts the caller; once the caller waits again, every task gets its outcome
    """
    script = tmp_path / "interrupted.py"
    script.write_text(INTERRUPTED)
    env = dict(os.environ, TEAM_ROOT=ROOT)
    try:
        result = subprocess.run(
            [sys.executable, str(script)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=PATIENCE,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the interrupted session hung")
    assert result.returncode == 0, result.stderr[-2000:]
    outcomes = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcomes == {"result": 200}, outcomes


# a host whose teams come and go, and that gets SIGTERM once they are gone
HANDLERS = r"""
import json, os, signal, sys, time
sys.path.insert(0, os.environ["TEAM_ROOT"])
mode = os.environ["HANDLERS_MODE"]
heard = []


def own(number, frame):
    heard.append(number)


# the host's own handlers, if it has them, installed before any team
if mode == "own":
    signal.signal(signal.SIGINT, own)
    signal.signal(signal.SIGTERM, own)

import pyre_nexus
from tests import tasks


def report(stage):
    handling = {}
    for number in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(number)
        default = handler in (signal.SIG_DFL, signal.default_int_handler)
        handling[signal.Signals(number).name] = "default" if default else handler.__qualname__
    print(json.dumps({"stage": stage, **handling}), flush=True)


report("before")
staff = pyre_nexus.staff()(name="host-staff", size=1, mode="host")
with staff:
    assert staff.submit(tasks.echo, 1).result(timeout=30) == 1
    report("working")
    # a second team, a pool, outlives the staff
    if mode == "two":
        pool = pyre_nexus.pool()(name="host-pool", size=1)
        pool.assemble([tasks.noop])
report("staff done")
if mode == "two":
    assert all(future.exception(timeout=30) is None for future in pool.run())
    report("pool done")
# SIGTERM, once the teams are gone
os.kill(os.getpid(), signal.SIGTERM)
time.sleep(0.1)
print(json.dumps({"heard": heard}), flush=True)
"""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["one", "two", "own"])
def test_handlers_come_back_after_the_teams(tmp_path, mode):
    """
    The SIGINT and SIGTERM handlers a team installs are the host's again once the last team that
    needed them is done, so a SIGTERM after them gets the host's handling: the default kills the
    process, not a SystemExit; handlers the host installed before any team are never replaced
    """
    script = tmp_path / "handlers.py"
    script.write_text(HANDLERS)
    env = dict(os.environ, TEAM_ROOT=ROOT, HANDLERS_MODE=mode)
    try:
        result = subprocess.run(
            [sys.executable, str(script)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=PATIENCE,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the host hung")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    stages = {line.pop("stage"): line for line in lines if "stage" in line}
    host = "own" if mode == "own" else "default"
    team = "own" if mode == "own" else "Interrupts.handle"
    # the host's handling before, the team's while it works, the host's once it is done
    assert stages["before"] == {"SIGINT": host, "SIGTERM": host}, result.stderr[-2000:]
    assert stages["working"] == {"SIGINT": team, "SIGTERM": team}
    if mode == "two":
        # the pool still needs them after the staff is done
        assert stages["staff done"] == {"SIGINT": team, "SIGTERM": team}
        assert stages["pool done"] == {"SIGINT": host, "SIGTERM": host}
    else:
        assert stages["staff done"] == {"SIGINT": host, "SIGTERM": host}
    # and SIGTERM gets the host's handling
    if mode == "own":
        assert result.returncode == 0, result.stderr[-2000:]
        assert lines[-1] == {"heard": [signal.SIGTERM]}
    else:
        assert result.returncode == -signal.SIGTERM, (result.returncode, result.stderr[-2000:])


# end of file
