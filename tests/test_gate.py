# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The gate admits only peers that pass the handshake, and interprets nothing before that: wrong
secrets, silence, garbage, stalls, replays and oversized frames are each refused, nothing they
send is unpickled, and the team keeps serving. All against a real team on a real TCP port
"""

# externals
import pickle
import secrets
import socket

import pytest

# the package
from pyre_nexus.Handshake import Handshake
from pyre_nexus.Wire import Wire

# the helpers
from tests.patience import PATIENCE
from tests.peers import Trap, closed, dial, impersonate, play, refusals, refused, serving, vacancy
# the team the tests play against, a fixture
from tests.peers import team  # noqa: F401


def test_wrong_secret(team, tmp_path):
    """
    A peer with the wrong secret is refused, and what it sends next is never unpickled
    """
    before = refusals(team)
    trap = pickle.dumps(Trap(str(tmp_path / "sprung")))

    def peer():
        connection = dial(team)
        challenge = connection.recv(Handshake.challenge)
        # answer with a secret of my own, then send a trap
        _, answer = Handshake.respond(secret=Handshake.secret(), challenge=challenge, launch=secrets.token_bytes(16))
        connection.sendall(answer + Wire.header.pack(len(trap), 1, Wire.READY, 0, 0) + trap)
        return closed(connection)

    # refused
    assert play(team, peer)
    assert refused(team, before)
    assert not (tmp_path / "sprung").exists()
    assert serving(team)


def test_silent_peer(team):
    """
    A peer that connects and leaves without a word is refused
    """
    before = refusals(team)
    play(team, lambda: dial(team).close())
    assert refused(team, before)
    assert serving(team)


def test_garbage(team, tmp_path):
    """
    Garbage in place of an answer is refused, and never unpickled
    """
    before = refusals(team)
    trap = pickle.dumps(Trap(str(tmp_path / "sprung")))

    def peer():
        connection = dial(team)
        connection.recv(Handshake.challenge)
        # a pickle where the answer should be, and more
        connection.sendall((trap * 10)[: 4 * Handshake.answer])
        return closed(connection)

    assert play(team, peer)
    assert refused(team, before)
    assert not (tmp_path / "sprung").exists()
    assert serving(team)


def test_stall(team):
    """
    A peer that stalls in the middle of its answer is dropped when the handshake clock runs out
    """
    before = refusals(team)

    def peer():
        connection = dial(team)
        connection.recv(Handshake.challenge)
        connection.sendall(b"x" * (Handshake.answer // 2))
        return connection

    connection = play(team, peer)
    # the team serves while the stalled peer waits
    assert serving(team)
    # and drops it
    assert refused(team, before)
    assert closed(connection)
    assert any("stalled" in reason for reason in team.recruiter.gate.refused)


def test_replay(team):
    """
    An answer recorded on one connection is refused on the next, even with the right secret
    """
    launch = secrets.token_bytes(16)

    def record():
        # a good handshake, recorded
        first, answer = impersonate(team, launch)
        # the gate admits it, and closes it since no launch of that id waits for a worker
        assert closed(first)
        return answer

    answer = play(team, record)
    admitted = team.recruiter.gate.admitted

    def replay():
        second = dial(team)
        second.recv(Handshake.challenge)
        second.sendall(answer)
        return closed(second)

    # replay it on a new connection
    before = refusals(team)
    assert play(team, replay)
    assert refused(team, before)
    assert team.recruiter.gate.admitted == admitted
    assert serving(team)


def test_oversized_frame(make_team, tmp_path):
    """
    A worker that passed the handshake and then announces a frame above the limit is dropped
    before any of its body is read, and its crew is replaced by one that works
    """
    # a team whose launch never connects on its own, so the test plays the worker
    staff, future, launch, crew = vacancy(make_team, tmp_path)
    trap = pickle.dumps(Trap(str(tmp_path / "sprung")))
    hello = pickle.dumps(("faker", 1))

    def peer():
        # play its worker
        connection, _ = impersonate(staff, launch)
        # register, then announce a huge report with a trap in it
        connection.sendall(
            Wire.header.pack(len(hello), 0, Wire.READY, 0, 0)
            + hello
            + Wire.header.pack(1 << 40, 1, Wire.REPORT, 0, 0)
            + trap
        )
        return closed(connection)

    # the crew is lost
    assert play(staff, peer)
    assert crew.state in (crew.lost, crew.buried)
    assert not (tmp_path / "sprung").exists()
    # and the task goes on to a real crew
    assert future.result(timeout=PATIENCE) == 3


def test_shutdown_closes_the_gate(make_team):
    """
    A team that shut down and has no crews left stops listening
    """
    staff = make_team(size=1)
    staff.recruiter = "spawn"
    assert serving(staff)
    port = staff.recruiter.gate.address.port
    staff.shutdown()
    assert staff.recruiter.gate is None
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
