# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Hostile input on the TCP port, by property based testing and coverage guided fuzzing

- the handshake accepts only answers signed with the team's secret for the nonce it sent
- the framing of a stream split anywhere yields the frames sent, refuses oversized bodies before
  reading them, waits for incomplete ones, and never does anything else
- a real team on a real port refuses or closes every hostile connection, unpickles nothing,
  forgets its visitors and keeps serving; a thousand idle connections are dropped after the
  handshake patience and leave no descriptor behind
- the atheris harnesses in tests/fuzz run for a fixed budget without a crash
"""

# externals
import errno
import functools
import hashlib
import hmac
import os
import pathlib
import pickle
import random
import re
import resource
import secrets
import select
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

# the package
from pyre_nexus.Handshake import Handshake
from pyre_nexus.Wire import Wire

# the helpers
from tests import tasks
from tests.conftest import wait_until
from tests.fuzz import wirefeed
from tests.patience import PATIENCE
from tests.peers import Trap, closed, impersonate, serving, vacancy
# the team the tests play against, a fixture
from tests.peers import team  # noqa: F401


# the fuzz harnesses
FUZZ = pathlib.Path(__file__).parent / "fuzz"

# how many times the usual number of examples the property tests try; benchmarks/fuzz.py raises
# it for a long campaign
SCALE = int(os.environ.get("PYRE_NEXUS_HOSTILE_SCALE", "1"))
# the settings of the property tests: no example database, since nothing in the work tree may
# be left behind, and the seed of a failure printed for its reproduction
quick = settings(database=None, deadline=None, print_blob=True, max_examples=300 * SCALE)
slow = settings(
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


# the handshake
secrets_ = st.binary(min_size=1, max_size=64)
nonces = st.binary(min_size=Handshake.nonce, max_size=Handshake.nonce)
launches = st.binary(min_size=Handshake.launch, max_size=Handshake.launch)


def respond(secret, nonce, launch):
    """
    A worker's answer to {nonce} on behalf of {launch}, signed with {secret}; and the proof the
    team owes for it
    """
    return Handshake.respond(secret=secret, challenge=Handshake.magic + nonce, launch=launch)


@quick
@given(secret=secrets_, nonce=nonces, data=st.binary(max_size=4 * Handshake.answer))
@example(secret=b"k", nonce=bytes(32), data=b"")
@example(secret=b"k", nonce=bytes(32), data=bytes(Handshake.answer))
def test_check_refuses_random_answers(secret, nonce, data):
    """
    Random bytes of any length are no answer
    """
    assert Handshake.check(secret=secret, nonce=nonce, answer=data) is None


@quick
@given(secret=secrets_, nonce=nonces, theirs=nonces, launch=launches, mac=st.binary(min_size=32, max_size=32))
def test_check_refuses_wrong_macs(secret, nonce, theirs, launch, mac):
    """
    An answer of the right size whose MAC is not the right one is refused, and so is the team's
    own proof played back as the worker's MAC
    """
    right = Handshake.sign(secret, b"worker", nonce, theirs, launch)
    assume(mac != right)
    assert Handshake.check(secret=secret, nonce=nonce, answer=theirs + launch + mac) is None
    # the other role's signature over the very same material
    team = Handshake.sign(secret, b"team", nonce, theirs, launch)
    assert Handshake.check(secret=secret, nonce=nonce, answer=theirs + launch + team) is None


@quick
@given(secret=secrets_, other=secrets_, nonce=nonces, launch=launches)
def test_check_refuses_other_secrets(secret, other, nonce, launch):
    """
    An answer signed with another secret is refused
    """
    assume(hmac.new(secret, digestmod=hashlib.sha256).digest() != hmac.new(other, digestmod=hashlib.sha256).digest())
    _, signed = respond(other, nonce, launch)
    assert Handshake.check(secret=secret, nonce=nonce, answer=signed) is None


@quick
@given(secret=secrets_, nonce=nonces, another=nonces, launch=launches)
def test_check_refuses_answers_to_other_nonces(secret, nonce, another, launch):
    """
    An answer to another challenge, e.g. one recorded on another connection, is refused
    """
    assume(nonce != another)
    proof, signed = respond(secret, another, launch)
    assert Handshake.check(secret=secret, nonce=nonce, answer=signed) is None
    # while the challenge it answered accepts it
    assert Handshake.check(secret=secret, nonce=another, answer=signed) == (launch, proof)


@quick
@given(
    secret=secrets_,
    nonce=nonces,
    launch=launches,
    flips=st.sets(st.integers(0, 8 * Handshake.answer - 1), min_size=1, max_size=16),
)
def test_check_refuses_bit_flips(secret, nonce, launch, flips):
    """
    Flipping any bits of a valid answer, in the nonce, the launch id or the MAC, spoils it
    """
    _, signed = respond(secret, nonce, launch)
    spoiled = bytearray(signed)
    for bit in flips:
        spoiled[bit // 8] ^= 1 << (bit % 8)
    assert Handshake.check(secret=secret, nonce=nonce, answer=bytes(spoiled)) is None


@quick
@given(secret=secrets_, nonce=nonces, launch=launches, cut=st.integers(0, Handshake.answer - 1), extra=st.binary(min_size=1, max_size=64))
def test_check_refuses_truncated_and_padded_answers(secret, nonce, launch, cut, extra):
    """
    A valid answer cut short, or with anything after it, is refused
    """
    _, signed = respond(secret, nonce, launch)
    assert Handshake.check(secret=secret, nonce=nonce, answer=signed[:cut]) is None
    assert Handshake.check(secret=secret, nonce=nonce, answer=signed + extra) is None
    assert Handshake.check(secret=secret, nonce=nonce, answer=extra + signed) is None


@quick
@given(challenge=st.binary(max_size=2 * Handshake.challenge))
@example(challenge=Handshake.magic)
@example(challenge=Handshake.magic + bytes(Handshake.nonce - 1))
@example(challenge=Handshake.magic + bytes(Handshake.nonce + 1))
@example(challenge=b"PYRENXS\x02" + bytes(Handshake.nonce))
def test_respond_refuses_what_is_no_challenge(challenge):
    """
    A worker answers only a challenge that opens with the magic and has the right size
    """
    assume(not (len(challenge) == Handshake.challenge and challenge.startswith(Handshake.magic)))
    with pytest.raises(ValueError):
        Handshake.respond(secret=b"k", challenge=challenge, launch=bytes(Handshake.launch))


@quick
@given(secret=secrets_, launch=launches)
def test_round_trip(secret, launch):
    """
    A worker with the team's secret passes, learns the proof the team owes, and gets exactly it
    """
    nonce, challenge = Handshake.open()
    assert challenge == Handshake.magic + nonce and len(challenge) == Handshake.challenge
    proof, signed = Handshake.respond(secret=secret, challenge=challenge, launch=launch)
    assert len(signed) == Handshake.answer and len(proof) == Handshake.proof
    assert Handshake.check(secret=secret, nonce=nonce, answer=signed) == (launch, proof)
    # the proof is not the worker's signature played back
    assert proof != signed[-Handshake.digest :]


# the framing
LARGE = Wire.large


class Stream(bytes):
    """
    A stream of bytes that a failing example shows in brief, since it may be megabytes long; the
    blob hypothesis prints reproduces it whole
    """

    def __repr__(self):
        head = bytes(self[:64]).hex()
        return f"Stream({len(self)} bytes, sha256 {hashlib.sha256(self).hexdigest()[:16]}, starting {head})"


@st.composite
def streams(draw):
    """
    A limit, and a byte stream for a wire with that limit: either well formed frames, small and
    large, within the limit but for the last one, which may be cut short; or a mix of frames,
    random bytes, headers over the limit and frames cut short, under any limit
    """
    kinds = st.integers(0, 255)
    tids = st.one_of(st.integers(0, 3), st.integers(0, 2**64 - 1))
    statuses = st.integers(0, 255)
    small = st.builds(wirefeed.encode, kinds, tids, statuses, statuses, st.binary(max_size=80))
    # large bodies are made, not drawn, or hypothesis would spend its time drawing them
    large = st.builds(
        lambda kind, tid, size, seed: wirefeed.encode(kind, tid, 0, 0, random.Random(seed).randbytes(size)),
        kinds,
        tids,
        st.integers(LARGE - 2, LARGE + 3 * Wire.chunk),
        st.integers(0, 2**32),
    )
    cut = st.builds(lambda frame, at: frame[:at], st.one_of(small, large), st.integers(0, LARGE + 100))
    # frames the limit admits
    if draw(st.booleans()):
        frames = draw(st.lists(st.one_of(small, large), max_size=6))
        biggest = max((len(frame) - Wire.header.size for frame in frames), default=0)
        limit = biggest + draw(st.sampled_from([0, 1, 1024, LARGE]))
        return limit, Stream(b"".join(frames) + draw(st.one_of(st.just(b""), cut)))
    # anything
    limit = draw(
        st.one_of(
            st.sampled_from([0, 1, Wire.header.size, 1024, LARGE - 1, LARGE, LARGE + 1, 4 * LARGE]),
            st.integers(0, 3 * LARGE),
        )
    )
    oversized = st.builds(
        lambda kind, size, tail: Wire.header.pack(size, 1, kind, 0, 0) + tail,
        kinds,
        st.integers(limit + 1, 2**64 - 1),
        st.binary(max_size=40),
    )
    junk = st.binary(min_size=1, max_size=100)
    parts = draw(st.lists(st.one_of(small, small, large, junk, cut, oversized), max_size=8))
    return limit, Stream(b"".join(parts))


@settings(slow, max_examples=150 * SCALE)
@pytest.mark.parametrize("transport", wirefeed.TRANSPORTS)
@given(case=streams(), data=st.data())
def test_frames_of_any_stream(transport, case, data):
    """
    Any stream, split anywhere and written to a real channel: the frames that come out are the
    ones sent and re-encode to the same bytes, an oversized body is refused as soon as its header
    is in, an incomplete frame is waited for, nothing is allocated over the limit, and nothing
    else happens

    The SHARED bit of the kinds is left out: see {test_shared_frame_without_side_channel}
    """
    limit, stream = case
    stream = wirefeed.unshare(stream, limit)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=12), label="cuts")
    outcome = wirefeed.feed(stream=stream, cuts=cuts, limit=limit, transport=transport)
    event("oversized" if outcome.oversized else "read to the end")
    event(f"large body read in place: {outcome.adopted}")


@settings(slow, max_examples=300 * SCALE)
@given(limit=st.integers(0, 4096), stream=st.binary(max_size=600), data=st.data())
def test_frames_of_random_bytes(limit, stream, data):
    """
    Streams of nothing but random bytes, cut byte by byte or anywhere
    """
    stream = wirefeed.unshare(stream, limit)
    cuts = data.draw(st.one_of(st.just(list(range(len(stream)))), st.lists(st.integers(0, len(stream)), max_size=20)), label="cuts")
    wirefeed.feed(stream=stream, cuts=cuts, limit=limit, transport="socket")


@pytest.mark.parametrize("transport", wirefeed.TRANSPORTS)
def test_shared_frame_without_side_channel(transport):
    """
    A frame that announces a body in shared memory, on a wire that has no side channel to pass
    it, is a broken conversation: {frames} must raise what {Crew._frames} treats as one, an
    {OSError} such as the {ConnectionError} of a side channel that never delivers, which
    {wirefeed.feed} takes as the refusal it is, with nothing let through
    """
    stream = wirefeed.encode(Wire.READY | Wire.SHARED, 0, 0, 0, b"")
    assert wirefeed.feed(stream=stream, cuts=[], limit=4096, transport=transport).frames == []


# a real team
def descriptors():
    """
    How many descriptors this process holds
    """
    return len(os.listdir("/proc/self/fd"))


class Peer:
    """
    A hostile peer of a gate: what it sends, and how it leaves

    {kind} is what it does: {random} bytes, perhaps before it even read the challenge; an answer
    signed with the team's secret but {truncated}, {flipped} or {padded}; an answer with the
    {wrongmac} or the {replay} of one recorded on another connection, each followed by a frame
    with a trap in it; or a {fakelaunch}: a good answer for a launch nobody waits for, followed by
    a frame announcing a body of {size} bytes and the trap. {hangup} is how it leaves: it shuts
    its sending side down and reads until the team closes, or it just closes, or it resets
    """

    # the kinds whose handshake must fail, and the ones that may pass it
    refused = {"random", "truncated", "flipped", "wrongmac", "replay"}

    def __init__(self, kind, hangup, data=b"", cut=0, bits=(), together=True, size=0, early=False):
        self.kind = kind
        self.hangup = hangup
        self.data = data
        self.cut = cut
        self.bits = bits
        self.together = together
        self.size = size
        self.early = early
        # what it heard, and whether it saw the team close the connection
        self.heard = bytearray()
        self.closed = False
        self.error = None

    def __repr__(self):
        fields = ", ".join(f"{name}={value!r}" for name, value in vars(self).items() if name not in ("heard", "closed", "error"))
        return f"Peer({fields})"

    def play(self, port, secret, recorded, trap):
        """
        Connect to the gate at {port} and misbehave
        """
        try:
            self.misbehave(port=port, secret=secret, recorded=recorded, trap=trap)
        except Exception as error:
            self.error = error
        return self

    def misbehave(self, port, secret, recorded, trap):
        connection = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
        try:
            self.speak(connection=connection, secret=secret, recorded=recorded, trap=trap)
            self.leave(connection=connection)
        finally:
            connection.close()

    def speak(self, connection, secret, recorded, trap):
        # random bytes go out before the challenge is read, if so planned
        if self.kind == "random" and self.early:
            self.send(connection, self.data)
        # read the challenge
        challenge = self.receive(connection, Handshake.challenge)
        if len(challenge) != Handshake.challenge:
            return
        # a frame with a trap in it, as a registering worker would send one
        frame = Wire.header.pack(len(trap), 0, Wire.READY, 0, 0) + trap
        launch = secrets.token_bytes(Handshake.launch)
        proof, answer = Handshake.respond(secret=secret, challenge=challenge, launch=launch)
        if self.kind == "random":
            if not self.early:
                self.send(connection, self.data)
        elif self.kind == "truncated":
            self.send(connection, answer[: self.cut])
        elif self.kind == "flipped":
            spoiled = bytearray(answer)
            for bit in self.bits:
                spoiled[bit // 8] ^= 1 << (bit % 8)
            self.send(connection, bytes(spoiled))
        elif self.kind == "padded":
            self.send(connection, answer + self.data)
        elif self.kind in ("wrongmac", "replay"):
            if self.kind == "wrongmac":
                _, answer = Handshake.respond(secret=Handshake.secret(), challenge=challenge, launch=launch)
            else:
                answer = recorded
            if self.together:
                self.send(connection, answer + frame)
            else:
                self.send(connection, answer)
                time.sleep(0.01)
                self.send(connection, frame)
        elif self.kind == "fakelaunch":
            self.send(connection, answer)
            # the gate admits it and proves itself, since it does hold the secret
            if self.receive(connection, Handshake.proof) != proof:
                raise AssertionError("the team's proof is not the one owed")
            self.send(connection, Wire.header.pack(self.size, 1, Wire.REPORT, 0, 0) + trap)
        else:
            raise ValueError(self.kind)

    def leave(self, connection):
        if self.hangup == "reset":
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if self.hangup == "close":
            return
        # shut my sending side down and read until the team closes
        try:
            connection.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        while True:
            try:
                data = connection.recv(4096)
            except ConnectionResetError:
                data = b""
            if not data:
                break
            self.heard += data
        self.closed = True

    def send(self, connection, data):
        # a team that hung up already makes no difference
        try:
            connection.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def receive(self, connection, count):
        data = bytearray()
        while len(data) < count:
            try:
                chunk = connection.recv(count - len(data))
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                break
            data += chunk
        self.heard += data
        return bytes(data)


hangups = st.sampled_from(["shutdown", "shutdown", "close", "reset"])
peers = st.one_of(
    st.builds(Peer, kind=st.just("random"), hangup=hangups, data=st.binary(max_size=300), early=st.booleans()),
    st.builds(Peer, kind=st.just("truncated"), hangup=hangups, cut=st.integers(0, Handshake.answer - 1)),
    st.builds(
        Peer,
        kind=st.just("flipped"),
        hangup=hangups,
        bits=st.sets(st.integers(0, 8 * Handshake.answer - 1), min_size=1, max_size=8).map(sorted),
    ),
    st.builds(Peer, kind=st.just("padded"), hangup=hangups, data=st.binary(min_size=1, max_size=100)),
    st.builds(Peer, kind=st.sampled_from(["wrongmac", "replay"]), hangup=hangups, together=st.booleans()),
    st.builds(
        Peer,
        kind=st.just("fakelaunch"),
        hangup=hangups,
        size=st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([0, 1, 2**32, 2**32 + 1, 2**63, 2**64 - 1])),
    ),
)


def record(team):
    """
    Play a good handshake with the gate of {team}, for a launch nobody waits for, and return the
    answer, for replay
    """
    gate = team.recruiter.gate
    admitted = gate.admitted
    recorded = []

    def worker():
        connection, answer = impersonate(team, bytes(Handshake.launch))
        with connection:
            # the gate admits it, and closes it since no launch of that id waits for a worker
            assert connection.recv(1) == b""
        recorded.append(answer)

    alongside(team, [worker])
    assert gate.admitted == admitted + 1
    return recorded[0]


def alongside(team, peers):
    """
    Run each of {peers} in a thread of its own while the event loop of {team} runs, until they
    are all done; return the most visitors the gate of {team} held at a time
    """
    gate = team.recruiter.gate
    threads = [threading.Thread(target=peer, daemon=True) for peer in peers]
    for thread in threads:
        thread.start()
    # run the loop in short turns, since nothing wakes it when the peers are done
    most = 0
    deadline = time.monotonic() + PATIENCE
    while any(thread.is_alive() for thread in threads) and time.monotonic() < deadline:
        team.waitUntil(condition=lambda: not any(thread.is_alive() for thread in threads), timeout=0.01)
        most = max(most, len(gate.visitors))
    assert not any(thread.is_alive() for thread in threads), "a peer did not finish"
    return most


def run(team, crowd, recorded, trap):
    """
    Let the peers in {crowd} misbehave at once against the gate of {team}, while its event loop
    runs; return the most visitors the gate held at a time
    """
    port = team.recruiter.gate.address.port
    secret = team.recruiter.secret
    return alongside(
        team,
        [functools.partial(peer.play, port=port, secret=secret, recorded=recorded, trap=trap) for peer in crowd],
    )


@pytest.fixture
def recorded(team):
    """
    A good answer recorded on a connection to the gate of {team}, for replay, and the number of
    descriptors this process holds after it
    """
    answer = record(team)
    return answer, descriptors()


@settings(
    database=None,
    deadline=None,
    print_blob=True,
    max_examples=150 * SCALE,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(crowd=st.lists(peers, min_size=1, max_size=5))
def test_hostile_connections(team, recorded, tmp_path, crowd):
    """
    Every hostile connection is refused, or admitted and closed if it did hold the secret; no
    refused peer hears anything but the challenge; nothing is unpickled; the gate forgets its
    visitors; no descriptor is left behind; and the team keeps serving with the crew it had
    """
    gate = team.recruiter.gate
    crews = list(team.crews)
    answer, baseline = recorded
    trap = pickle.dumps(Trap(str(tmp_path / "sprung")))
    refused, admitted = sum(gate.refused.values()), gate.admitted
    # misbehave
    most = run(team, crowd, answer, trap)
    for peer in crowd:
        event(f"kind: {peer.kind}, hangup: {peer.hangup}")
        assert peer.error is None, f"{peer}: {peer.error!r}"
    # every connection was judged, and none is left in its handshake
    assert team.waitUntil(
        condition=lambda: not gate.visitors and sum(gate.refused.values()) + gate.admitted - refused - admitted >= len(crowd),
        timeout=PATIENCE,
    ), f"the gate still holds {len(gate.visitors)} visitors; refused {dict(gate.refused)}"
    assert sum(gate.refused.values()) + gate.admitted - refused - admitted == len(crowd)
    assert most <= len(crowd)
    # the ones that could not pass did not
    failed = [peer for peer in crowd if peer.kind in Peer.refused]
    assert gate.admitted - admitted <= len(crowd) - len(failed)
    for peer in crowd:
        # every peer that waited saw the team close the connection
        if peer.hangup == "shutdown":
            assert peer.closed, peer
        # and heard nothing but the challenge, or the challenge and the proof if it held the secret
        if peer.kind in Peer.refused:
            assert len(peer.heard) <= Handshake.challenge, peer
        else:
            assert len(peer.heard) <= Handshake.challenge + Handshake.proof, peer
        assert Handshake.magic.startswith(bytes(peer.heard[: len(Handshake.magic)])), peer
    # nothing was unpickled
    assert not (tmp_path / "sprung").exists()
    # nothing is left behind
    assert wait_until(lambda: descriptors() == baseline), f"{descriptors()} descriptors, {baseline} before"
    # and the team serves with the crew it had
    assert serving(team)
    assert team.crews == crews


def impostor(make_team, tmp_path, frames):
    """
    Play the worker of a real launch of a team: pass the handshake with the team's secret and the
    launch's id, then send {frames}, a function of the path of a trap that makes the bytes sent;
    the crew must be lost, nothing unpickled that is not a registration, and the task must go on
    to a real crew
    """
    # a team whose launch never connects on its own, so the test plays the worker
    staff, future, launch, crew = vacancy(make_team, tmp_path)
    data = frames(str(tmp_path / "sprung"))

    def worker():
        connection, _ = impersonate(staff, launch)
        with connection:
            connection.sendall(data)
            # wait for the team to hang up
            closed(connection)

    alongside(staff, [worker])
    # the crew is lost
    assert crew.state in (crew.lost, crew.buried)
    assert not (tmp_path / "sprung").exists()
    # and the task goes on to a real crew
    assert future.result(timeout=PATIENCE) == 3


def registration(host="impostor", pid=1):
    """
    The body of a worker's registration
    """
    return pickle.dumps((host, pid))


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(Wire.REPORT, id="report-before-registering"),
        pytest.param(Wire.TASK, id="task-kind"),
        pytest.param(0, id="kind-zero"),
    ],
)
def test_impostor_with_bad_registration(make_team, tmp_path, kind):
    """
    A worker with the secret whose first frame is no registration is lost, and its trap stays
    shut
    """
    impostor(make_team, tmp_path, lambda path: wirefeed.encode(kind, 0, 0, 0, pickle.dumps(Trap(path))))


def test_impostor_with_huge_frame_after_registering(make_team, tmp_path):
    """
    A worker with the secret that registers, then announces a body past the limit, is lost
    before its body is read
    """
    impostor(
        make_team,
        tmp_path,
        lambda path: wirefeed.encode(Wire.READY, 0, 0, 0, registration())
        + Wire.header.pack(2**64 - 1, 1, Wire.REPORT, 0, 0)
        + pickle.dumps(Trap(path)),
    )


def test_impostor_announcing_shared_memory(make_team, tmp_path):
    """
    A worker with the secret that announces a body in shared memory, over TCP where there is
    none, is lost like any other broken conversation
    """
    impostor(make_team, tmp_path, lambda path: wirefeed.encode(Wire.READY | Wire.SHARED, 0, 0, 0, b""))


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"not a pickle", id="garbage"),
        pytest.param(b"", id="empty"),
        pytest.param(pickle.dumps(("host", 1, "extra")), id="three-tuple"),
        pytest.param(pickle.dumps(42), id="not-a-tuple"),
    ],
)
def test_impostor_with_garbled_registration(make_team, tmp_path, body):
    """
    A worker with the secret whose registration is garbled is lost, not the team's event loop
    """
    impostor(make_team, tmp_path, lambda path: wirefeed.encode(Wire.READY, 0, 0, 0, body))


@pytest.fixture
def room():
    """
    Raise the soft limit on open descriptors, within the hard one, to fit {room(count)} more;
    restore it afterwards
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)

    def make(count):
        need = descriptors() + count + 256
        if soft != resource.RLIM_INFINITY and soft < need:
            if hard != resource.RLIM_INFINITY and hard < need:
                # under CI nothing is skipped: a machine that cannot run this fails it
                (pytest.fail if os.environ.get("CI") else pytest.skip)(
                    f"{need} descriptors needed; the hard limit is {hard}"
                )
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))

    yield make
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_idle_connections(team, room):
    """
    A thousand connections that never speak: the team keeps running tasks, and admits a real
    worker, while they wait; they are all dropped once the handshake patience runs out, not
    before; and every descriptor they took is given back
    """
    count = 1000
    gate = team.recruiter.gate
    patience = gate.patience
    assert patience == 1
    address = ("127.0.0.1", gate.address.port)
    # both ends of every connection are in this process
    room(2 * count)
    before = descriptors()
    stalled = gate.refused[f"stalled in the handshake for {patience:g} s"]
    refused = sum(gate.refused.values())
    clients = []
    try:
        # connect them all, letting the team accept them as they come
        start = time.monotonic()
        for index in range(count):
            client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            clients.append(client)
            client.setblocking(False)
            assert client.connect_ex(address) in (0, errno.EINPROGRESS)
            if index % 100 == 99:
                team.waitUntil(condition=lambda: len(gate.visitors) == len(clients), timeout=0.2)
        assert team.waitUntil(condition=lambda: len(gate.visitors) == count, timeout=PATIENCE), len(gate.visitors)
        connected = time.monotonic()
        # while they wait, the team serves
        assert list(team.map(tasks.echo, range(50))) == list(range(50))
        # and a real worker still gets in
        admitted = gate.admitted
        record(team)
        assert gate.admitted == admitted + 1
        served = time.monotonic()
        # with the thousand still waiting, if that took less than the patience
        if served - start < patience:
            assert len(gate.visitors) == count
        assert len(gate.visitors) > 0
        # then they are all dropped, none of them before its time
        first = None
        deadline = time.monotonic() + PATIENCE
        while gate.visitors and time.monotonic() < deadline:
            team.waitUntil(condition=lambda: not gate.visitors, timeout=0.02)
            if first is None and sum(gate.refused.values()) > refused:
                first = time.monotonic()
        assert not gate.visitors, f"{len(gate.visitors)} visitors left"
        assert first is not None and first - start >= patience * 0.9
        assert gate.refused[f"stalled in the handshake for {patience:g} s"] - stalled == count
        assert sum(gate.refused.values()) - refused == count
        # promptly
        assert time.monotonic() - connected < patience + 5
        # each heard the challenge, and then the team hang up
        for client in clients:
            client.setblocking(True)
            client.settimeout(PATIENCE)
            heard = b""
            while chunk := client.recv(4096):
                heard += chunk
            assert len(heard) == Handshake.challenge and heard.startswith(Handshake.magic)
    finally:
        for client in clients:
            client.close()
    # every descriptor is back
    assert wait_until(lambda: descriptors() == before), f"{descriptors()} descriptors, {before} before"
    # and the team still serves
    assert serving(team)


def exhaust(team, clients, spare):
    """
    Open {clients} connections to the gate of {team} without letting the team accept them, then
    lower the limit on open descriptors to leave it room for {spare} only; returns the
    connections and the limits to restore
    """
    address = ("127.0.0.1", team.recruiter.gate.address.port)
    limits = resource.getrlimit(resource.RLIMIT_NOFILE)
    connections = []
    for _ in range(clients):
        client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        connections.append(client)
        client.setblocking(False)
        assert client.connect_ex(address) in (0, errno.EINPROGRESS)
    # wait for the kernel to queue them all
    assert wait_until(lambda: all(client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 and select.select([], [client], [], 0)[1] for client in connections))
    resource.setrlimit(resource.RLIMIT_NOFILE, (descriptors() + spare, limits[1]))
    return connections, limits


def test_descriptor_exhaustion_recovers(team):
    """
    A flood that leaves the team without descriptors: the connections it could accept are
    dropped after the handshake patience, the rest once descriptors are back, the team serves
    and every descriptor is returned
    """
    gate = team.recruiter.gate
    before = descriptors()
    refused = sum(gate.refused.values()) - gate.refused["accept failed"]
    connections, limits = exhaust(team, clients=40, spare=10)
    try:
        # the team runs out of descriptors
        assert team.waitUntil(condition=lambda: gate.refused["accept failed"] > 0, timeout=PATIENCE)
        accepted = len(gate.visitors)
        assert 0 < accepted < 40
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, limits)
    try:
        # with descriptors back, every connection is accepted and dropped in its turn
        assert team.waitUntil(
            condition=lambda: sum(gate.refused.values()) - gate.refused["accept failed"] - refused == 40, timeout=PATIENCE
        ), dict(gate.refused)
        assert not gate.visitors
        assert serving(team)
    finally:
        for client in connections:
            client.close()
    assert wait_until(lambda: descriptors() == before), f"{descriptors()} descriptors, {before} before"


def test_descriptor_exhaustion_does_not_spin(team):
    """
    A team out of descriptors backs off from its gate rather than spinning on it
    """
    gate = team.recruiter.gate
    connections, limits = exhaust(team, clients=40, spare=10)
    try:
        assert team.waitUntil(condition=lambda: gate.refused["accept failed"] > 0, timeout=PATIENCE)
        failed = gate.refused["accept failed"]
        # a fifth of a second, well short of the handshake patience that would free descriptors
        team.waitUntil(condition=lambda: False, timeout=0.2)
        failed = gate.refused["accept failed"] - failed
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, limits)
        # let the rest in, and out, before closing them
        team.waitUntil(condition=lambda: not gate.visitors, timeout=PATIENCE)
        for client in connections:
            client.close()
    # a back off of a few milliseconds or more keeps it to a handful
    assert failed <= 20, f"accept failed {failed} times in 0.2 s"


def rss():
    """
    The resident memory of this process, in bytes
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def test_header_commits_memory():
    """
    A frame header that announces a large body, within the limit, costs the reader memory in
    proportion to the body that has arrived, not to the one announced
    """
    announced = 256 * 1024 * 1024
    with wirefeed.channel("socket") as (out, far, hangup):
        wire = Wire(far, limit=2**32)
        os.write(out, Wire.header.pack(announced, 1, Wire.REPORT, 0, 0) + b"x" * 1000)
        select.select([far], [], [], PATIENCE)
        before = rss()
        assert wire.pull()
        assert wire.frames() == []
        grown = rss() - before
        wire = None
    assert grown < 64 * 1024 * 1024, f"a 20 byte header committed {grown >> 20} MiB"


# the atheris harnesses, and the inputs each gets: a few seconds' worth
RUNS = {"fuzz_wire.py": 20000, "fuzz_handshake.py": 100000}


def fuzz(harness, tmp_path, runs, shared=False):
    """
    Run the atheris {harness} for {runs} inputs from its seeds, in a process of its own; returns
    its exit code, its output, and the number of runs it reports
    """
    pytest.importorskip("atheris", reason="atheris has wheels for Linux on x86_64 only")
    corpus = tmp_path / "corpus"
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    command = [
        sys.executable,
        str(FUZZ / harness),
        f"--seeds={corpus}",
        f"-runs={runs}",
        "-max_len=4096",
        # a budget of time too, so a slow machine stops short rather than at the test's timeout
        "-max_total_time=30",
        # an input that takes this long is a hang, and a crash
        "-timeout=10",
        "-rss_limit_mb=4096",
        f"-artifact_prefix={artifacts}/",
        str(corpus),
    ]
    env = dict(os.environ)
    env.pop("PYRE_NEXUS_FUZZ_SHARED", None)
    if shared:
        env["PYRE_NEXUS_FUZZ_SHARED"] = "1"
    process = subprocess.run(command, capture_output=True, text=True, env=env, timeout=55)
    output = process.stdout + process.stderr
    done = re.search(r"Done (\d+) runs in (\d+) second", output)
    crashes = sorted(path.name for path in artifacts.iterdir())
    message = (
        f"{harness} exited with {process.returncode}; crashes: {crashes}; replay one with "
        f"`python tests/fuzz/{harness} <file>`\n{output[-6000:]}"
    )
    return process.returncode, message, int(done.group(1)) if done else 0


@pytest.mark.timeout(120)
@pytest.mark.parametrize("harness", ["fuzz_wire.py", "fuzz_handshake.py"])
def test_fuzzer(harness, tmp_path):
    """
    The coverage guided fuzzers run their budget of inputs without a crash
    """
    code, message, runs = fuzz(harness, tmp_path, runs=RUNS[harness])
    # for the reliability report
    print(f"{harness}: {runs} runs")
    assert code == 0, message
    # and they did run, at least until their time was up
    assert runs > 0, message


@pytest.mark.timeout(120)
def test_fuzzer_finds_shared_frames(tmp_path):
    """
    With the SHARED bit let through, the wire fuzzer finds no crash either
    """
    code, message, runs = fuzz("fuzz_wire.py", tmp_path, runs=40000, shared=True)
    # for the reliability report
    print(f"fuzz_wire.py with the SHARED bit: {runs} runs")
    assert code == 0, message


# end of file
