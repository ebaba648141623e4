# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
A team of ssh crews on the test hosts h1..h3 while the network between h2 and the team loses
packets, dropped by nftables inside h2's namespace:

- 20% of them: TCP retransmits, so the crew on h2 works on, slower; every task gets its one
  right outcome, no crew is lost unless it really went silent for three heartbeats, and once
  the loss is gone the team works on with as many crews as its size, none counted twice
- all of them, for longer than three heartbeats: the crew on h2 is lost, its link failed, and
  its running task is the casualty; once the link is back, the old worker ends itself and the
  team counts only the crews it has
"""

# externals
import contextlib
import subprocess
import time

import pytest

# the package
from pyre_nexus.exceptions import Casualty

# the drills and the services
from tests import tasks
from tests.conftest import wait_until
from tests.infra import _need
from tests.patience import PATIENCE
from tests.recruiters import drill
from tests.recruiters.test_ssh import remote


# the heartbeat of the crews, in seconds; a crew silent for three is lost
HEARTBEAT = 1


@pytest.fixture
def lossy(hosts):
    """
    A context manager that drops a share of the packets between a test host and the team, both
    ways, inside the host's namespace, for as long as it lasts
    """
    # nftables must work in the namespaces
    probe = subprocess.run(
        ["ip", "netns", "exec", hosts.namespaces["h2"], "nft", "list", "tables"], capture_output=True, text=True
    )
    _need("nftables", None if probe.returncode == 0 else f"nft does not work in the test hosts: {probe.stderr.strip()}")

    @contextlib.contextmanager
    def drop(host, percent):
        # the share, which nftables draws from 0..99, unless it is all
        share = f"numgen random mod 100 < {percent}" if percent < 100 else ""
        # the rules: whatever comes from the team's address or goes to it
        rules = f"""
        table inet chaos {{
            chain input {{
                type filter hook input priority 0;
                ip saddr {hosts.local_address} {share} drop
            }}
            chain output {{
                type filter hook output priority 0;
                ip daddr {hosts.local_address} {share} drop
            }}
        }}
        """
        nft = ["ip", "netns", "exec", hosts.namespaces[host], "nft"]
        subprocess.run([*nft, "-f", "-"], input=rules, text=True, check=True)
        try:
            yield
        finally:
            subprocess.run([*nft, "delete", "table", "inet", "chaos"], check=True)

    return drop


def spread(make_team, hosts):
    """
    A staff of three crews, one on each of h1..h3, all up
    """
    names = ["h1:1", "h2:1", "h3:1"]
    staff = drill.team(make_team, "ssh", size=3, **remote(hosts, names, heartbeat=f"{HEARTBEAT}*s"))
    assert drill.hosts(staff, {"h1", "h2", "h3"}) == {"h1", "h2", "h3"}
    return staff


def tally(staff):
    """
    The tasks each host's crews reported so far, present and past, by host
    """
    counts = {}
    for crew in staff.metrics()["crews"]:
        counts[crew["host"]] = counts.get(crew["host"], 0) + crew["tasks"]
    return counts


def whole(staff):
    """
    Check that {staff} works at its full size, with every crew counted once
    """
    # every crew is at work, each its own process on its own host
    crews = staff.metrics()["crews"]
    assert len(crews) == staff.size, crews
    assert all(crew["state"] == "active" for crew in crews), crews
    assert sorted(crew["host"] for crew in crews) == ["h1", "h2", "h3"], crews
    # the team's worker shells, wherever they run, are as many: the old one on h2 is gone
    port = staff.recruiter.gate.address.port
    assert wait_until(lambda: len(drill.workers(port)) == staff.size, timeout=PATIENCE), drill.workers(port)
    # and the work goes on
    assert list(staff.map(tasks.echo, range(100), timeout=PATIENCE)) == list(range(100))


def test_lossy_link(make_team, hosts, lossy):
    """
    With 20% of the packets between h2 and the team dropped, a workplan completes with every
    task's own result, the crew on h2 keeps working, no crew is lost unless it was silent for
    three heartbeats, and the team is whole once the loss is gone
    """
    staff = spread(make_team, hosts)
    before = tally(staff)
    with lossy("h2", 20):
        futures = [staff.submit(tasks.nap, 0.01, index) for index in range(300)]
        assert staff.waitUntil(condition=lambda: all(future.done() for future in futures), timeout=PATIENCE)
        during = tally(staff)
    # each task has its own result, unless its crew really went silent for three heartbeats
    # (TCP gave up retransmitting), which makes it a casualty, as the team promises
    for index, future in enumerate(futures):
        error = future.exception()
        if error is None:
            assert future.result() == index
        else:
            assert isinstance(error, Casualty) and "link failed" in str(error), repr(error)
    # the crews on h2 worked through the loss
    assert during.get("h2", 0) > before.get("h2", 0), (before, during)
    # no crew was lost but for a silence of three heartbeats: each one lost took its task
    lost = staff.metrics()["former crews"].get("crews", 0)
    casualties = sum(future.exception() is not None for future in futures)
    print(f"20% loss on h2: {lost} crews lost, {casualties} casualties, tasks by host {during}")
    assert lost <= casualties
    # the team is whole
    whole(staff)


def test_dead_link(make_team, hosts, lossy):
    """
    With every packet between h2 and the team dropped for longer than three heartbeats, the
    crew on h2 is lost, its link declared failed, and its running task is the casualty; the rest of the
    work is done elsewhere, and when the link comes back the team is whole, without the old
    crew counted twice
    """
    staff = spread(make_team, hosts)
    futures = [staff.submit(tasks.nap, 0.2, index) for index in range(90)]
    # a task running on h2
    on = lambda host: [f for f in futures if f.running() and f.crew is not None and f.crew.host == host]
    assert staff.waitUntil(condition=lambda: on("h2"), timeout=PATIENCE)
    with lossy("h2", 100):
        # its crew is lost: by the heartbeat watchdog or the socket's keepalive, both set to
        # three heartbeats, long before the system's own timeouts (minutes), so within the
        # patience of the drill; how long it takes is measured by benchmarks/reliability.py
        victim = on("h2")[0]
        cut = time.monotonic()
        assert staff.waitUntil(condition=victim.done, timeout=PATIENCE)
        elapsed = time.monotonic() - cut
        # keep the link dead a little longer, as a partition that heals late
        staff.waitUntil(condition=lambda: False, timeout=HEARTBEAT)
    error = victim.exception()
    assert isinstance(error, Casualty) and "link failed" in str(error), repr(error)
    # the other tasks have their results
    assert staff.waitUntil(condition=lambda: all(future.done() for future in futures), timeout=PATIENCE)
    assert [future.result() for future in futures if future is not victim] == [
        index for index, future in enumerate(futures) if future is not victim
    ]
    print(f"dead link on h2: lost after {elapsed:.1f} s; {staff.metrics()['former crews']}")
    # the team is whole again, with a new crew on h2 and not the old one
    assert staff.waitUntil(condition=lambda: len([c for c in staff.crews if c.accepting()]) == 3, timeout=PATIENCE)
    assert victim.crew is None and all(crew.pid != error.pid for crew in staff.crews)
    whole(staff)


# end of file
