# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The examples run as a user runs them, {python examples/<name>/<name>.py}, from another folder,
with small sizes on the command line; their answers are checked against answers worked out
here, and no process they started may outlive them

Every run carries a tag in its environment, which its workers inherit whatever their
recruiter, so the processes left behind can be found even after they lost their parent
"""

# externals
import collections
import math
import os
import pathlib
import queue
import random
import re
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest

# the helpers
from tests.conftest import children, wait_until
from tests.patience import PATIENCE


# the examples
EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


# helpers
def script(name):
    """
    The path to the example {name}
    """
    return str(EXAMPLES / name / f"{name}.py")


def tagged(env):
    """
    A copy of {env} with a fresh tag; returns the environment and the tag
    """
    tag = f"PYRE_NEXUS_EXAMPLE_RUN={uuid.uuid4().hex}"
    name, _, value = tag.partition("=")
    return dict(env, **{name: value}), tag.encode()


def carriers(tag):
    """
    The live (not zombie) processes whose environment holds {tag}
    """
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as stream:
                environment = stream.read().split(b"\0")
            with open(f"/proc/{entry}/stat") as stream:
                state = stream.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if tag in environment and state != "Z":
            found.append(int(entry))
    return found


def assert_no_leftovers(tag):
    """
    Check that no process of the run tagged {tag} is left
    """
    # workers go when their team does, but not necessarily at the same instant
    left = wait_until(lambda: not carriers(tag))
    assert left, f"processes left behind: {carriers(tag)}"


def run(name, folder, *args):
    """
    Run the example {name} in {folder} with {args}; check that it leaves no process behind, and
    return the completed process
    """
    env, tag = tagged(os.environ)
    result = subprocess.run(
        [sys.executable, script(name), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
    )
    assert_no_leftovers(tag)
    return result


def succeeded(result):
    """
    Check that {result} is a successful run; return its output
    """
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


def resonance(damping, drive):
    """
    The steady state amplitude of x'' + 2 z x' + x = cos(w t), from the closed form
    """
    return 1 / math.sqrt((1 - drive * drive) ** 2 + (2 * damping * drive) ** 2)


def primes(bound):
    """
    The primes below {bound}, by the sieve of Eratosthenes
    """
    sieve = bytearray([1]) * max(bound, 2)
    sieve[0:2] = b"\0\0"
    for n in range(2, math.isqrt(bound - 1) + 1 if bound > 2 else 2):
        if sieve[n]:
            sieve[n * n :: n] = bytes(len(range(n * n, bound, n)))
    return [n for n in range(bound) if sieve[n]]


# the sweep
@pytest.mark.parametrize("recruiter", ["fork", "spawn"])
def test_sweep(tmp_path, recruiter):
    """
    The sweep finds the resonance of each damping on its grid, reports the points the model
    rejects as failed, and carries on without them
    """
    drives = [0.8 + 0.05 * index for index in range(9)]
    result = run(
        "sweep",
        tmp_path,
        "--dampings=0,0.1,0.2,-0.5",
        "--low=0.8",
        "--high=1.2",
        "--frequencies=9",
        "--team.size=2",
        f"--team.recruiter={recruiter}",
    )
    output = succeeded(result)
    # the setup, from the command line and the shipped configuration
    assert "36 points (4 dampings x 9 drives) on 2 crews" in output, output
    assert f"recruiter pyre_nexus.recruiters.{recruiter}" in output, output
    assert "deadline 30.0*s" in output, output
    # one row per valid damping: where it peaks on the grid, and how high
    rows = re.findall(
        r"^\s+([-\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\S+)\s+([\d.]+)$", output, re.MULTILINE
    )
    assert [float(row[0]) for row in rows] == [0.1, 0.2], output
    for damping, drive, peak, _, _ in rows:
        damping = float(damping)
        # the grid point with the largest amplitude, from the closed form
        best = max(drives, key=lambda w: resonance(damping, w))
        assert drive == f"{best:.4f}", output
        assert float(peak) == pytest.approx(resonance(damping, best), rel=1e-3), output
    # the best point overall
    found = re.search(r"^best: damping (\S+), drive (\S+), amplitude (\S+)$", output, re.MULTILINE)
    assert found, output
    assert found.group(1) == "0.1" and found.group(2) == "1.0000", output
    assert float(found.group(3)) == pytest.approx(5.0, rel=1e-3), output
    # the rejected points: each failed on its own, with the model's error
    assert "failed: 18 of 36 points" in output, output
    assert "9 x ValueError: damping 0: the transient never decays" in output, output
    assert "9 x ValueError: damping -0.5: the transient never decays" in output, output
    # and the rest succeeded
    assert "sweep: 18 of 36 points succeeded" in output, output


def test_sweep_configuration(tmp_path):
    """
    The sweep reads its own sweep.pfg wherever it runs from; a sweep.pfg in the current folder
    overrides it, and the command line overrides both
    """
    (tmp_path / "sweep.pfg").write_text(
        textwrap.dedent(
            """
            sweep:
                dampings = 0.3
                frequencies = 3
                team.size = 3
            """
        ).lstrip()
    )
    output = succeeded(run("sweep", tmp_path, "--team.size=1"))
    # the grid from the current folder; the deadline from the shipped file; the size from the
    # command line
    assert "3 points (1 dampings x 3 drives) on 1 crews" in output, output
    assert "deadline 30.0*s" in output, output
    assert "failed: 0 of 3 points" in output, output


# the server
class Reader(threading.Thread):
    """
    Collect the lines of a stream as they come
    """

    def run(self):
        for line in self.stream:
            self.lines.put(line)
        self.lines.put(None)

    def line(self, pattern, timeout=PATIENCE):
        """
        Wait for a line that matches {pattern}; return the match
        """
        expiration = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.0, expiration - time.monotonic()))
            assert line is not None, f"the stream ended before {pattern!r}: {self.seen}"
            self.seen.append(line)
            found = re.search(pattern, line)
            if found:
                return found

    def rest(self):
        """
        The lines after the ones seen, once the stream has ended
        """
        lines = []
        while (line := self.lines.get(timeout=PATIENCE)) is not None:
            lines.append(line)
        return "".join(lines)

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream = stream
        self.lines = queue.Queue()
        self.seen = []


class Client:
    """
    A line oriented client of the server
    """

    def ask(self, *requests):
        """
        Send {requests}, one line each
        """
        self.socket.sendall("".join(f"{request}\n" for request in requests).encode())

    def hear(self):
        """
        The next line of the server
        """
        return self.stream.readline().rstrip("\n")

    def __init__(self, host, port):
        self.socket = socket.create_connection((host, port), timeout=PATIENCE)
        self.stream = self.socket.makefile("r")


# a status line
STATUS = re.compile(
    r"^status: (\d+) blocks done, (\d+) running; (\d+) primes below (\d+), the largest (\S+)$"
)


@pytest.mark.parametrize("recruiter", ["fork", "spawn"])
def test_server(tmp_path, recruiter):
    """
    The server answers its clients over a real socket while its team crunches, answers the
    requests the team works on when their tasks finish, and leaves by itself after answering
    as many requests as it was told
    """
    # how many requests the server answers before it leaves
    budget = 200
    # launch it
    env, tag = tagged(os.environ)
    server = subprocess.Popen(
        [
            sys.executable,
            script("server"),
            f"--requests={budget}",
            "--lifetime=45*s",
            "--every=0.2*s",
            "--block=20000",
            "--patience=1*s",
            "--team.size=2",
            f"--team.recruiter={recruiter}",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = Reader(server.stdout)
        output.start()
        # where it listens
        host, port = output.line(r"listening on (\S+):(\d+)").groups()
        # two clients
        asker = Client(host, int(port))
        poller = Client(host, int(port))
        asked = 0
        # the asker wants factors, which the team works out: a composite, a number without
        # factors and a prime too large to factor before the one second deadline
        asker.ask("factor 600851475143", "factor 1", "factor 2305843009213693951")
        asked += 3
        # meanwhile, the poller gets answers on the spot
        poller.ask("help", "bogus", "factor x", "")
        asked += 3
        assert poller.hear() == "requests: status, factor N, help, quit"
        assert poller.hear() == "error: unknown request 'bogus'; try help"
        assert poller.hear() == "error: factor takes one integer"
        # and asks for the status until the census has come some way
        statuses = []
        while asked < budget - 1:
            poller.ask("status")
            asked += 1
            found = STATUS.match(poller.hear())
            assert found, statuses
            statuses.append([int(value) if value.isdigit() else value for value in found.groups()])
            if statuses[-1][0] >= 3:
                break
            time.sleep(0.05)
        assert statuses[-1][0] >= 3, f"the census did not advance: {statuses[-1]}"
        # the team's workers are up
        assert children(server.pid), "the server has no workers"
        # the rest of the requests but one, all at once
        remaining = budget - 1 - asked
        poller.ask(*["status"] * remaining)
        asked += remaining
        for _ in range(remaining):
            found = STATUS.match(poller.hear())
            assert found
            statuses.append([int(value) if value.isdigit() else value for value in found.groups()])
        # the factors arrive as their tasks finish, in any order
        answers = sorted(asker.hear() for _ in range(3))
        assert answers[0] == "error: factor 1: ValueError: 1 has no prime factors", answers
        deadline = "error: factor 2305843009213693951: DeadlineExceeded: "
        assert answers[1].startswith(deadline), answers
        assert answers[2] == "factor 600851475143 = 71 * 839 * 1471 * 6857", answers
        # the last request
        poller.ask("quit")
        asked += 1
        assert poller.hear() == "bye"
        assert poller.hear() == ""
        # the server leaves by itself
        assert server.wait(timeout=PATIENCE) == 0, output.rest()
        summary = output.rest()
    finally:
        # whatever happened, the server is gone
        if server.poll() is None:
            server.kill()
            server.wait()
    # what it says
    assert f"server: answered {budget} requests; closing" in summary, summary
    assert f"server: answered {budget} requests from 2 clients" in summary, summary
    census = re.search(
        r"census: (\d+) blocks, (\d+) primes below (\d+), the largest (\d+)", summary
    )
    assert census, summary
    blocks, count, bound, largest = map(int, census.groups())
    # every answer came while tasks were running
    assert all(status[1] >= 1 for status in statuses), statuses
    # and every status was right: the count of primes below its bound, and the largest of them
    truth = primes(max(bound, *(status[3] for status in statuses)) + 1)
    for done, _, found, below, last in [*statuses, (blocks, 1, count, bound, largest)]:
        expected = [p for p in truth if p < below]
        assert found == len(expected), (done, found, below)
        assert last == (expected[-1] if expected else "None"), (done, last, below)
    # the census grew while the server answered; blocks finish in any order, so the numbers
    # counted without a gap may lag behind the blocks done
    assert blocks >= 3 and bound >= 20000 and count > 0, summary
    # and no process is left
    assert_no_leftovers(tag)


# the map-reduce
def corpus(folder):
    """
    Write a small corpus into {folder}, with files that count and files that do not; return the
    words that count
    """
    rng = random.Random(7)
    vocabulary = ["Apple", "banana", "cherry", "don't", "Émigré", "fig", "grape's", "kiwi"]
    weights = [8, 7, 6, 5, 4, 3, 2, 1]
    punctuation = [" ", " ", " ", ", ", ". ", "; ", "! ", "\n", " -- "]
    # a few files, some in a sub-folder, and an empty one
    (folder / "deep" / "deeper").mkdir(parents=True)
    names = ["a.txt", "b.txt", "c.txt", "deep/d.txt", "deep/e.txt", "deep/deeper/f.txt", "g.txt"]
    for index, name in enumerate(names):
        words = rng.choices(vocabulary, weights=weights, k=500 * index)
        text = "".join(word + rng.choice(punctuation) for word in words)
        (folder / name).write_text(text, encoding="utf-8")
    # files that do not match
    (folder / "notes.md").write_text("apple apple apple apple\n" * 1000)
    (folder / "deep" / "data.csv").write_text("lime,lime,lime\n" * 1000)
    # what counts, by the same rule: letters with apostrophes inside, in any case
    words = []
    for path in sorted(folder.rglob("*.txt")):
        words += re.findall(r"[a-z]+(?:'[a-z]+)*", path.read_text(encoding="utf-8").lower())
    return collections.Counter(words)


@pytest.mark.parametrize(
    "recruiter, chunksize",
    [
        ("fork", 3),
        ("spawn", 1),
        ("spawn", 3),
    ],
)
def test_mapreduce(tmp_path, recruiter, chunksize):
    """
    The word count of a folder matches the count worked out here
    """
    folder = tmp_path / "corpus"
    folder.mkdir()
    truth = corpus(folder)
    output = succeeded(
        run(
            "mapreduce",
            tmp_path,
            f"--corpus={folder}",
            f"--chunksize={chunksize}",
            "--fanin=2",
            "--top=5",
            "--team.size=2",
            f"--team.recruiter={recruiter}",
        )
    )
    # the files
    assert f"mapreduce: 7 files in {folder}, on 2 crews" in output, output
    assert f"recruiter pyre_nexus.recruiters.{recruiter}" in output, output
    # the reduce merged pairs, level after level, down to one count
    assert "reduce: 7 partial counts merged into 4" in output, output
    assert "reduce: 2 partial counts merged into 1" in output, output
    # the totals
    found = re.search(r"mapreduce: (\d+) words, (\d+) distinct", output)
    assert found, output
    assert int(found.group(1)) == sum(truth.values()), output
    assert int(found.group(2)) == len(truth), output
    # the top words: each with its count, and the largest counts
    top = re.findall(r"^\s+(\d+) (\S+)$", output, re.MULTILINE)
    assert len(top) == 5, output
    for times, word in top:
        assert truth[word] == int(times), (word, times, truth)
    assert sorted((int(times) for times, _ in top), reverse=True) == [
        times for _, times in truth.most_common(5)
    ], output


def test_mapreduce_sample(tmp_path):
    """
    Without a corpus, the word count makes a sample one, counts it, and cleans up
    """
    output = succeeded(run("mapreduce", tmp_path, "--files=10", "--words=1000", "--top=3"))
    assert "wrote a sample corpus of 10 files of 1000 words each" in output, output
    assert "mapreduce: 10000 words" in output, output
    # the most common word of the sample is the first word of the book
    top = re.findall(r"^\s+(\d+) (\S+)$", output, re.MULTILINE)
    assert top and top[0][1] == "it", output
    # the temporary folder is gone
    folder = re.search(r"10 files in (\S+),", output).group(1)
    assert not pathlib.Path(folder).exists()


# end of file
