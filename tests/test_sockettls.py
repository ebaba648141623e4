# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Encrypted channels: a team with a certificate speaks TLS to its workers, which check the
team's certificate before the handshake inside; everything else about the crews is the same
"""

# externals
import socket
import subprocess

import pytest

# the package
from pyre_nexus.exceptions import RecruitmentError

# the helpers
from tests import tasks
from tests.patience import PATIENCE
from tests.peers import play, refusals, refused, serving
from tests.recruiters import drill


@pytest.fixture(scope="session")
def certificates(tmp_path_factory):
    """
    Two self-signed certificates with their keys: the team's, and a stranger's
    """
    folder = tmp_path_factory.mktemp("tls")
    made = {}
    for name in ("team", "stranger"):
        cert, key = folder / f"{name}.pem", folder / f"{name}.key"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN=nexus-{name}"],
            check=True, capture_output=True,
        )
        made[name] = (str(cert), str(key))
    return made


def secured(make_team, certificates, size=2, **traits):
    """
    A team of spawned crews over TLS
    """
    cert, key = certificates["team"]
    return drill.team(make_team, "spawn", size=size, certificate=cert, key=key, **traits)


def test_thousand(make_team, certificates):
    """
    A thousand tasks, and their reports, over TLS
    """
    drill.thousand(secured(make_team, certificates))


def test_large_payloads(make_team, certificates):
    """
    Payloads much larger than a TLS record go both ways intact
    """
    staff = secured(make_team, certificates, size=1)
    payload = bytes(range(256)) * (32 * 1024)
    # a few times over, since a body that arrives in several reads depends on timing
    for _ in range(4):
        assert staff.submit(tasks.echo, payload).result(timeout=PATIENCE) == payload
    # and several at once, pipelined
    futures = [staff.submit(tasks.echo, payload[: size * 4099]) for size in range(1, 40)]
    assert [len(future.result(timeout=PATIENCE)) for future in futures] == [
        size * 4099 for size in range(1, 40)
    ]


def test_crash(make_team, certificates):
    """
    A worker that dies over TLS is replaced, and its task is the casualty
    """
    drill.crash(secured(make_team, certificates))


def test_plain_peer_refused(make_team, certificates):
    """
    A peer that speaks plain TCP to a TLS gate is refused, and the team keeps serving
    """
    staff = secured(make_team, certificates, size=1, handshake="1*s")
    assert serving(staff)
    before = refusals(staff)

    def peer():
        connection = socket.create_connection(("127.0.0.1", staff.recruiter.gate.address.port), timeout=30)
        connection.sendall(b"PYRENXS\x01" + bytes(200))
        try:
            return connection.recv(100)
        except (ConnectionResetError, socket.timeout):
            return b""

    # the challenge never goes out in the clear
    assert b"PYRENXS" not in play(staff, peer)
    assert refused(staff, before)
    assert any("TLS" in reason for reason in staff.recruiter.gate.refused)
    assert serving(staff)


def test_wrong_authority(make_team, certificates):
    """
    Workers that do not trust the team's certificate refuse it, and the team says why
    """
    staff = secured(make_team, certificates, size=1, authority=certificates["stranger"][0])
    error = staff.submit(tasks.noop).exception(timeout=PATIENCE)
    assert isinstance(error, RecruitmentError)
    assert "CERTIFICATE_VERIFY_FAILED" in str(error)


def test_missing_certificate(make_team, tmp_path):
    """
    A certificate that is not there is a recruitment error that names it
    """
    staff = drill.team(make_team, "spawn", size=1, certificate=str(tmp_path / "nowhere.pem"))
    error = staff.submit(tasks.noop).exception(timeout=PATIENCE)
    assert isinstance(error, RecruitmentError)
    assert "nowhere.pem" in str(error) and "certificate" in str(error)


def test_hosts(make_team, certificates, hosts):
    """
    Crews on other hosts, over TLS
    """
    cert, key = certificates["team"]
    staff = drill.team(
        make_team, "ssh", size=2, hosts=["h2", "h3"], options=["-F", str(hosts.config)],
        advertise=hosts.local_address, certificate=cert, key=key,
    )
    assert drill.hosts(staff, {"h2", "h3"}) == {"h2", "h3"}
    drill.thousand(staff)
