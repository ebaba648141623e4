# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The ssh recruiter, through the system's ssh client and real sshds: on this host, and on the
test hosts h1..h3, each a network namespace with its own hostname and sshd
"""

# externals
import concurrent.futures
import os
import signal
import subprocess

# the package
from pyre_nexus.exceptions import Casualty, RecruitmentError

# the drills
from tests import tasks
from tests.patience import PATIENCE
from tests.recruiters import drill


def local(sshd, **traits):
    """
    The settings of an ssh recruiter that uses the local sshd
    """
    settings = {
        "hosts": [f"{sshd.host}:2"],
        "options": ["-F", str(sshd.config)],
        "advertise": "127.0.0.1",
    }
    settings.update(traits)
    return settings


def remote(hosts, names, **traits):
    """
    The settings of an ssh recruiter that uses the test hosts {names}
    """
    settings = {
        "hosts": list(names),
        "options": ["-F", str(hosts.config)],
        "advertise": hosts.local_address,
    }
    settings.update(traits)
    return settings


def test_thousand(make_team, sshd):
    """
    A thousand tasks on crews behind the local sshd
    """
    drill.thousand(drill.team(make_team, "ssh", **local(sshd)))


def test_crash(make_team, sshd):
    """
    A worker behind ssh that dies is replaced, and its task is the casualty
    """
    drill.crash(drill.team(make_team, "ssh", **local(sshd)))


def test_orphans(sshd):
    """
    No worker outlives its SIGKILLed team
    """
    drill.orphans(options=drill.options("ssh", local(sshd)))


def test_hosts(make_team, hosts):
    """
    Crews spread over three hosts, and each task runs where its crew lives
    """
    staff = drill.team(make_team, "ssh", size=3, **remote(hosts, ["h1", "h2", "h3:2"]))
    # wait until every crew has run a task
    assert drill.hosts(staff, {"h1", "h2", "h3"}) == {"h1", "h2", "h3"}
    # and a thousand tasks
    drill.thousand(staff)


def test_hosts_orphans(hosts):
    """
    No worker on any host outlives its SIGKILLed team
    """
    drill.orphans(options=drill.options("ssh", remote(hosts, ["h1:1", "h2:1", "h3:1"])), size=3)


def test_unknown_host(make_team, sshd):
    """
    A host ssh cannot find is a recruitment error with ssh's own words
    """
    staff = drill.team(make_team, "ssh", size=1, **local(sshd, hosts=["nowhere.invalid"]))
    error = staff.submit(tasks.noop).exception(timeout=PATIENCE)
    assert isinstance(error, RecruitmentError)
    assert "nowhere.invalid" in str(error)


def test_bad_python(make_team, sshd):
    """
    A remote interpreter that does not exist is a recruitment error that names it
    """
    staff = drill.team(make_team, "ssh", size=1, **local(sshd, python="/nonexistent/python3"))
    error = staff.submit(tasks.noop).exception(timeout=PATIENCE)
    assert isinstance(error, RecruitmentError)
    assert "/nonexistent/python3" in str(error)


def test_partition(make_team, hosts):
    """
    A crew behind a dead link is lost within a few heartbeats, its task is the casualty, and
    the team goes on with the others
    """
    staff = drill.team(make_team, "ssh", size=2, **remote(hosts, ["h2:1", "h3:1"], heartbeat="1*s"))
    # both crews up
    assert drill.hosts(staff, {"h2", "h3"}) == {"h2", "h3"}
    # a long task on each
    naps = [staff.submit(tasks.nap, 600) for _ in range(2)]
    assert staff.waitUntil(condition=lambda: all(future.running() for future in naps), timeout=PATIENCE)
    # cut h2 off, and no more hosts to replace it
    staff.recruiter.hosts = ["h3:1"]
    link = ["ip", "-n", hosts.namespaces["h1"].replace("h1", "sw"), "link", "set", "p2"]
    subprocess.run([*link, "down"], check=True)
    try:
        # the task on h2 is a casualty, and the one on h3 runs on
        done, running = staff.wait(naps, timeout=PATIENCE, return_when=concurrent.futures.FIRST_COMPLETED)
    finally:
        subprocess.run([*link, "up"], check=True)
        # the nap on h3 is cancelled, which kills its worker, so the team can go
        for future in naps:
            future.cancel()
    assert len(done) == 1 and len(running) == 1
    (lost,) = done
    assert isinstance(lost.exception(), Casualty), repr(lost.exception())
    assert "link failed" in str(lost.exception())
    # and the team goes on
    assert staff.submit(tasks.hostname, 0).result(timeout=PATIENCE) == "h3"


def test_busy_remote_worker_is_not_lost(make_team, hosts):
    """
    A crew on another host whose task holds the interpreter lock for five heartbeats, so its
    worker cannot beat, is vouched for by the supervisor of its worker shell over the ssh link:
    it is at work, not lost, and goes on
    """
    drill.busy(drill.team(make_team, "ssh", size=1, **remote(hosts, ["h2:1"], heartbeat="1*s")))


def test_frozen_host(make_team, hosts):
    """
    A host whose sshd and worker freeze in the middle of a task is given up after three
    silent heartbeats: its task is the casualty, and the crew on the other host works on
    """
    staff = drill.team(make_team, "ssh", size=2, **remote(hosts, ["h2:1", "h3:1"], heartbeat="1*s"))
    # both crews up
    assert drill.hosts(staff, {"h2", "h3"}) == {"h2", "h3"}
    # a long task on each
    naps = [staff.submit(tasks.nap, 600) for _ in range(2)]
    assert staff.waitUntil(condition=lambda: all(future.running() for future in naps), timeout=PATIENCE)
    # freeze h2: its sshd and its worker; and no more hosts to replace it
    staff.recruiter.hosts = ["h3:1"]
    (worker,) = [crew.pid for crew in staff.crews if crew.host == "h2"]
    sshd = int((hosts.config.parent / "sshd-h2.pid").read_text())
    frozen = [sshd, worker]
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    try:
        done, running = staff.wait(naps, timeout=PATIENCE, return_when=concurrent.futures.FIRST_COMPLETED)
    finally:
        for pid in frozen:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        for future in naps:
            future.cancel()
    assert len(done) == 1 and len(running) == 1
    (lost,) = done
    assert isinstance(lost.exception(), Casualty), repr(lost.exception())
    assert "no heartbeat" in str(lost.exception())
    # and the team goes on
    assert staff.submit(tasks.hostname, 0).result(timeout=PATIENCE) == "h3"
