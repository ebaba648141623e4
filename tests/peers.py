# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Peers of a team's gate, as the tests play them against a real team on a real TCP port: the team
to play against, the worker's side of the handshake, a launch that waits for a worker the test
plays, a trap that nobody may unpickle, and the checks that the gate refused or closed a
connection and that the team still serves
"""

# externals
import os
import socket
import sys
import threading
import time

import pytest

# the package
from pyre_nexus.Handshake import Handshake

# the helpers
from tests import tasks
from tests.patience import PATIENCE


class Trap:
    """
    A pickle that leaves a mark if anybody ever unpickles it
    """

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


@pytest.fixture
def team(make_team):
    """
    A team of one spawned crew, up and serving, with a quick handshake clock
    """
    staff = make_team(size=1)
    staff.recruiter = "spawn"
    staff.recruiter.handshake = "1*s"
    assert staff.submit(tasks.echo, 1).result(timeout=PATIENCE) == 1
    return staff


def vacancy(make_team, folder):
    """
    A team of one crew whose launch never connects on its own, so the test plays its worker, and
    a task for that crew; the crews that replace it are real. Returns the team, the future of the
    task, the id of the launch and its crew; the script that stands in for the interpreter of the
    launch goes in {folder}
    """
    # an interpreter that just sleeps
    quiet = folder / "python"
    quiet.write_text("#!/bin/sh\nexec sleep 60\n")
    quiet.chmod(0o755)
    staff = make_team(size=1)
    staff.recruiter = "spawn"
    staff.recruiter.python = str(quiet)
    staff.recruiter.maxframe = 4096
    future = staff.submit(tasks.add, 1, 2)
    # wait for the launch
    assert staff.waitUntil(condition=lambda: staff.recruiter.launches, timeout=PATIENCE)
    launch = next(iter(staff.recruiter.launches))
    # the crews that replace it are real
    staff.recruiter.python = sys.executable
    return staff, future, launch, staff.crews[0]


def dial(team):
    """
    Connect to the gate of {team}
    """
    return socket.create_connection(("127.0.0.1", team.recruiter.gate.address.port), timeout=PATIENCE)


def impersonate(team, launch):
    """
    Connect to the gate of {team} as the worker of {launch}: answer the challenge with the team's
    secret, and check that the team proves it holds the secret too; returns the connection and
    the answer, for a replay
    """
    connection = dial(team)
    challenge = connection.recv(Handshake.challenge)
    proof, answer = Handshake.respond(secret=team.recruiter.secret, challenge=challenge, launch=launch)
    connection.sendall(answer)
    assert connection.recv(Handshake.proof) == proof
    return connection, answer


def closed(connection):
    """
    Whether the peer of {connection} closed it, reading whatever else it sends
    """
    connection.settimeout(PATIENCE)
    try:
        while connection.recv(4096):
            pass
    except ConnectionResetError:
        pass
    return True


def play(team, peer):
    """
    Run {peer}, a function that plays a peer of the gate of {team}, in a thread, while the
    event loop of {team} runs; returns what {peer} returned
    """
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(peer()), daemon=True)
    thread.start()
    # in short turns, since nothing wakes the loop when the thread ends
    deadline = time.monotonic() + PATIENCE
    while thread.is_alive() and time.monotonic() < deadline:
        team.waitUntil(condition=lambda: not thread.is_alive(), timeout=0.05)
    thread.join(timeout=PATIENCE)
    assert outcome, "the peer did not finish"
    return outcome[0]


def refusals(team):
    """
    How many connections the gate of {team} refused so far
    """
    return sum(team.recruiter.gate.refused.values())


def refused(team, before):
    """
    Run the event loop of {team} until its gate has refused another connection
    """
    return team.waitUntil(condition=lambda: refusals(team) > before, timeout=PATIENCE)


def serving(team):
    """
    Whether {team} still runs tasks
    """
    return team.submit(tasks.add, 2, 3).result(timeout=PATIENCE) == 5


# end of file
