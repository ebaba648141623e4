# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The single node Grid Engine of the test services does what the Grid Engine recruiter relies on:
qsub -terse prints the job id, array jobs run every task, qdel takes a job out of the queue, and
a queue that does not exist is refused with qsub's own words
"""

# externals
import os
import re
import subprocess
import time
import xml.etree.ElementTree

import pytest

# the helpers
from tests.patience import PATIENCE

# how long a job may take to start, or to leave the queue once deleted, on this single node
# whose scheduler runs every second
BOUND = 15.0


def run(engine, *args, check=True):
    """
    Run the Grid Engine client command {args} with what the clients need in the environment
    """
    return subprocess.run(
        [*map(str, args)],
        env={**os.environ, **engine.env}, capture_output=True, text=True, timeout=PATIENCE,
        check=check, cwd="/",
    )  # fmt: skip


def states(engine, job):
    """
    The states of the tasks of {job} in the queue, none if it is not there
    """
    listing = run(engine, engine.qstat, "-u", "*", "-xml").stdout
    return [
        entry.findtext("state")
        for entry in xml.etree.ElementTree.fromstring(listing).iter("job_list")
        if entry.findtext("JB_job_number") == job
    ]


def name():
    """
    A job name of this test process, so that what it submits is told apart from other jobs
    """
    return f"svc{os.getpid()}"


# the tests
@pytest.mark.timeout(PATIENCE)
def test_terse_prints_the_job_id(gridengine):
    """
    qsub -terse prints the id of the job, and nothing else
    """
    submitted = run(
        gridengine, gridengine.qsub, "-terse", "-N", name(), "-b", "y", "-shell", "no",
        "-o", "/dev/null", "-j", "y", "/bin/true",
    )  # fmt: skip
    assert re.fullmatch(r"\d+\n", submitted.stdout), submitted.stdout


@pytest.mark.timeout(2 * PATIENCE)
def test_array_runs_every_task(gridengine, tmp_path):
    """
    An array job of four tasks runs each of them, with its SGE_TASK_ID
    """
    # each task writes its id to a file of its own, whole or not at all
    script = tmp_path / "task.sh"
    script.write_text(
        f'#!/bin/sh\necho "$SGE_TASK_ID" > "{tmp_path}/task.$SGE_TASK_ID.tmp"\n'
        f'mv "{tmp_path}/task.$SGE_TASK_ID.tmp" "{tmp_path}/task.$SGE_TASK_ID"\n'
    )
    submitted = run(
        gridengine, gridengine.qsub, "-terse", "-N", name(), "-t", "1-4", "-S", "/bin/sh",
        "-o", "/dev/null", "-j", "y", script,
    )  # fmt: skip
    # an array job: the id, then the range of its tasks
    assert re.fullmatch(r"\d+\.1-4:1\n", submitted.stdout), submitted.stdout
    job = submitted.stdout.split(".")[0]
    try:
        deadline = time.monotonic() + PATIENCE
        while len(list(tmp_path.glob("task.[0-9]"))) < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        found = {path.name: path.read_text().strip() for path in tmp_path.glob("task.[0-9]")}
        assert found == {f"task.{i}": str(i) for i in range(1, 5)}
    finally:
        run(gridengine, gridengine.qdel, job, check=False)


@pytest.mark.timeout(2 * PATIENCE)
def test_qdel_takes_the_job_out_of_the_queue(gridengine):
    """
    A running job that qdel deletes leaves the queue within the bound
    """
    submitted = run(
        gridengine, gridengine.qsub, "-terse", "-N", name(), "-b", "y", "-shell", "no",
        "-o", "/dev/null", "-j", "y", "/bin/sleep", "300",
    )  # fmt: skip
    job = submitted.stdout.strip()
    try:
        # it starts
        deadline = time.monotonic() + BOUND
        while states(gridengine, job) != ["r"]:
            assert time.monotonic() < deadline, f"job {job} did not start: {states(gridengine, job)}"
            time.sleep(0.1)
        # it goes
        run(gridengine, gridengine.qdel, job)
        deleted = time.monotonic()
        while states(gridengine, job):
            assert time.monotonic() - deleted < BOUND, f"job {job} still there: {states(gridengine, job)}"
            time.sleep(0.1)
    finally:
        run(gridengine, gridengine.qdel, "-f", job, check=False)


@pytest.mark.timeout(PATIENCE)
def test_unknown_queue_is_refused(gridengine):
    """
    qsub refuses a job for a queue that does not exist, with a non-zero status and its reason
    """
    refused = run(
        gridengine, gridengine.qsub, "-terse", "-N", name(), "-q", "nosuchq", "-b", "y",
        "-shell", "no", "-o", "/dev/null", "-j", "y", "/bin/true", check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert refused.stdout == ""
    assert refused.stderr == (
        'Unable to run job: Job was rejected because job requests unknown queue "nosuchq"\nExiting.\n'
    ), refused.stderr


# end of file
