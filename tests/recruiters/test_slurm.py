# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The slurm recruiter, with the real srun of a single node Slurm on this host
"""

# externals
import os
import subprocess

import pytest

# the package
from pyre_nexus.exceptions import Casualty, RecruitmentError

# the drills
from tests import tasks
from tests.patience import PATIENCE
from tests.recruiters import drill


@pytest.fixture
def cluster(slurm, monkeypatch):
    """
    The Slurm of the test services, with what its clients need in the environment
    """
    for name, value in slurm.env.items():
        monkeypatch.setenv(name, value)
    return slurm


def settings(cluster, **traits):
    """
    The settings of a slurm recruiter on {cluster}: more tasks than cores, on its partition
    """
    found = {"srun": cluster.srun, "partition": cluster.partition, "options": ["--overcommit"]}
    found.update(traits)
    return found


def test_thousand(make_team, cluster):
    """
    A thousand tasks on the tasks of Slurm job steps
    """
    drill.thousand(drill.team(make_team, "slurm", **settings(cluster)))


def test_crash(make_team, cluster):
    """
    A Slurm task whose worker dies is replaced, and its task is the casualty
    """
    drill.crash(drill.team(make_team, "slurm", **settings(cluster)))


def test_orphans(cluster):
    """
    No Slurm task outlives its SIGKILLed team
    """
    drill.orphans(options=drill.options("slurm", settings(cluster)))


def test_allocation(make_team, cluster):
    """
    The settings of the allocation srun makes reach Slurm: the task runs in a job with the
    node count, partition and time limit it was given
    """
    staff = drill.team(make_team, "slurm", size=1, **settings(cluster, nodes="1", time="7"))
    # what the job says about itself
    job = staff.submit(lambda: os.environ["SLURM_JOB_ID"]).result(timeout=PATIENCE)
    squeue = os.path.join(os.path.dirname(cluster.sinfo), "squeue")
    found = subprocess.run(
        [squeue, "-h", "-j", job, "-o", "%D %P %l"],
        capture_output=True, text=True, check=True, timeout=PATIENCE,
    )  # fmt: skip
    assert found.stdout.split() == ["1", cluster.partition, "7:00"]


def test_kill_spares_the_step(make_team, cluster, tmp_path):
    """
    A crew the team kills, here for a cancellation, takes only its own task with it: the other
    task of its job step finishes its task
    """
    drill.spare(drill.team(make_team, "slurm", **settings(cluster)), tmp_path)


def test_bad_srun(make_team, cluster):
    """
    An srun that does not exist is a recruitment error that names it
    """
    staff = drill.team(make_team, "slurm", size=1, **settings(cluster, srun="/nonexistent/srun"))
    error = staff.submit(tasks.noop).exception(timeout=PATIENCE)
    assert isinstance(error, RecruitmentError)
    assert "/nonexistent/srun" in str(error)


def test_bad_partition(make_team, cluster):
    """
    A partition Slurm does not have is a recruitment error with srun's own words
    """
    staff = drill.team(make_team, "slurm", size=1, **settings(cluster, partition="nowhere"))
    error = staff.submit(tasks.noop).exception(timeout=PATIENCE)
    assert isinstance(error, RecruitmentError)
    assert "--partition=nowhere" in str(error) and "invalid partition" in str(error)


def test_never_connects(make_team, cluster, tmp_path):
    """
    Tasks that never connect are a recruitment error that names the timeout and the command
    """
    # an interpreter that just sleeps
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nexec sleep 60\n")
    fake.chmod(0o755)
    staff = drill.team(make_team, "slurm", size=1, **settings(cluster, python=str(fake), timeout="3*s"))
    error = staff.submit(tasks.noop).exception(timeout=PATIENCE)
    assert isinstance(error, RecruitmentError)
    assert "no worker registered within 3 s" in str(error)
    assert f"`{cluster.srun} " in str(error) and str(fake) in str(error)


def test_busy_task_is_not_lost(make_team, cluster):
    """
    A Slurm task whose work holds the interpreter lock for five heartbeats, so it cannot beat,
    is vouched for by the supervisor beside it, through srun's stderr: at work, not lost
    """
    drill.busy(drill.team(make_team, "slurm", size=1, **settings(cluster, heartbeat="1*s")))


def test_casualty_status(make_team, cluster):
    """
    A task that dies alone in its step is a casualty whose status is unknown, rather than that
    of srun
    """
    staff = drill.team(make_team, "slurm", size=1, **settings(cluster))
    error = staff.submit(tasks.leave, 3).exception(timeout=PATIENCE)
    assert isinstance(error, Casualty)
    assert "status is unknown" in str(error)


# end of file
