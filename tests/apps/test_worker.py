# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The worker shell, run as the recruiters run it, against teams played by the test: it refuses
teams that cannot prove they hold the secret, explains every failure on stderr, and never
outlives its team, even in the middle of a task
"""

# externals
import select
import secrets
import signal
import socket
import subprocess
import sys

import pytest

# the package
from pyre_nexus.Codec import Codec
from pyre_nexus.Handshake import Handshake
from pyre_nexus.Wire import Wire
from pyre.ipc.SocketTCP import SocketTCP

# the helpers
from tests import tasks
from tests.conftest import alive, wait_until
from tests.patience import PATIENCE


@pytest.fixture
def gate():
    """
    A listening socket that plays the team's gate
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(PATIENCE)
    yield listener
    listener.close()


def worker(port, launch, secret=None, stdin=True, **kwds):
    """
    Start a worker shell for the team at {port}
    """
    # the command line
    command = [sys.executable, "-m", "pyre_nexus", f"--team=127.0.0.1:{port}", f"--launch={launch.hex()}"]
    command += [f"--{name}={value}" for name, value in kwds.items()]
    if stdin:
        command.append("--stdin")
    # start it
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    # hand it the secret
    if secret is not None:
        process.stdin.write(secret.hex().encode() + b"\n")
        process.stdin.flush()
    return process


def finish(process):
    """
    Wait for {process}, with its stdin open, since its end would end the worker; return its
    status and what it said on stderr
    """
    try:
        process.wait(timeout=PATIENCE)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, process.stderr.read().decode()


def admit(gate, secret, launch):
    """
    Accept a worker on {gate} and pass the handshake as a team holding {secret}
    """
    connection, _ = gate.accept()
    connection.settimeout(PATIENCE)
    nonce, challenge = Handshake.open()
    connection.sendall(challenge)
    answer = b""
    while len(answer) < Handshake.answer:
        answer += connection.recv(Handshake.answer - len(answer))
    verdict = Handshake.check(secret=secret, nonce=nonce, answer=answer)
    assert verdict is not None and verdict[0] == launch
    connection.sendall(verdict[1])
    # frame the traffic
    return Wire(channel=SocketTCP(socket.AF_INET, socket.SOCK_STREAM, fileno=connection.detach()))


def frames(wire, count):
    """
    Read {count} frames from {wire}
    """
    found = []
    while len(found) < count:
        assert select.select([wire.channel], [], [], PATIENCE)[0], "the worker went quiet"
        assert wire.pull(), "the worker hung up"
        found.extend(wire.frames())
    return found


def send(wire, kind, tid=0, body=b""):
    """
    Send a frame through {wire}
    """
    wire.post(kind=kind, tid=tid, body=body)
    while not wire.flush():
        select.select([], [wire.channel], [], PATIENCE)


def test_unreachable_team(gate):
    """
    A team that is not there is named in the worker's complaint
    """
    port = gate.getsockname()[1]
    gate.close()
    status, err = finish(worker(port, secrets.token_bytes(16), secret=Handshake.secret()))
    assert status == 2
    assert f"cannot reach the team at 127.0.0.1:{port}" in err


def test_no_secret(gate):
    """
    A worker without a secret says how to give it one
    """
    status, err = finish(worker(gate.getsockname()[1], secrets.token_bytes(16), stdin=False))
    assert status == 2
    assert "no secret" in err and "PYRE_NEXUS_SECRET" in err


def test_refused(gate):
    """
    A worker with the wrong secret is told so by the team's silence, and says so
    """
    process = worker(gate.getsockname()[1], secrets.token_bytes(16), secret=Handshake.secret())
    # the team checks the answer against its own secret, and hangs up
    connection, _ = gate.accept()
    nonce, challenge = Handshake.open()
    connection.sendall(challenge)
    answer = connection.recv(Handshake.answer)
    assert Handshake.check(secret=Handshake.secret(), nonce=nonce, answer=answer) is None
    connection.close()
    status, err = finish(process)
    assert status == 2
    assert "refused the handshake" in err


def test_impostor(gate):
    """
    A team that cannot prove it holds the secret gets nothing from the worker
    """
    launch = secrets.token_bytes(16)
    process = worker(gate.getsockname()[1], launch, secret=Handshake.secret())
    connection, _ = gate.accept()
    connection.settimeout(PATIENCE)
    _, challenge = Handshake.open()
    connection.sendall(challenge)
    connection.recv(Handshake.answer)
    # a proof made up
    connection.sendall(secrets.token_bytes(Handshake.proof))
    status, err = finish(process)
    assert status == 2
    assert "failed to prove it is the team" in err
    # and it sent nothing past its answer
    assert connection.recv(4096) == b""


def test_work_and_quit(gate):
    """
    A worker registers, runs a task, reports, and leaves when told to
    """
    secret = Handshake.secret()
    launch = secrets.token_bytes(16)
    process = worker(gate.getsockname()[1], launch, secret=secret)
    wire = admit(gate, secret, launch)
    # the registration
    ((kind, _, _, _, body),) = frames(wire, 1)
    assert kind == Wire.READY
    host, pid = Codec.decode(body)
    assert pid == process.pid
    # a task
    send(wire, kind=Wire.TASK, tid=7, body=Codec.encodeTask(tasks.add, (2, 3), {}))
    ((kind, tid, _, _, body),) = frames(wire, 1)
    assert (kind, tid, Codec.decode(body)) == (Wire.REPORT, 7, 5)
    # and the dismissal
    send(wire, kind=Wire.QUIT)
    status, _ = finish(process)
    assert status == 0


@pytest.mark.parametrize("cut", ["channel", "stdin"])
def test_team_gone_mid_task(gate, tmp_path, cut):
    """
    A worker in the middle of a long task dies, with the processes its task started, when its
    channel closes or its stdin ends
    """
    secret = Handshake.secret()
    launch = secrets.token_bytes(16)
    process = worker(gate.getsockname()[1], launch, secret=secret)
    wire = admit(gate, secret, launch)
    frames(wire, 1)
    # a task that starts a sleeper and then sleeps itself
    marker = tmp_path / "sleeper"
    send(wire, kind=Wire.TASK, tid=1, body=Codec.encodeTask(tasks.busy_parent, (str(marker), 600), {}))
    assert wait_until(marker.exists, timeout=PATIENCE)
    sleeper = int(marker.read_text())
    assert alive(sleeper)
    # cut the team off
    if cut == "channel":
        wire.channel.close()
    else:
        process.stdin.close()
    # the worker goes, and its sleeper with it
    assert process.wait(timeout=PATIENCE) == -signal.SIGKILL
    assert wait_until(lambda: not alive(sleeper), timeout=PATIENCE)
