# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Crews as batch jobs, through the real schedulers the suite starts: Slurm through sbatch, and
Grid Engine through qsub. A team adapts from no job to four and back, outlives the walltime of
its jobs, leaves nothing in the queue when it is killed, keeps its secret out of the
scheduler's records, and says what the scheduler said of a job it refused
"""

# externals
import dataclasses
import os
import pathlib
import signal
import stat
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree

import pytest
from pyre.units.SI import second

# the package
from pyre_nexus.exceptions import RecruitmentError

# the tasks, and the helpers
from tests import tasks
from tests.patience import PATIENCE

# how long after its team is killed a job of it may still be in the queue, as the docs say
BOUND = 10.0


@dataclasses.dataclass
class Scheduler:
    """
    What the tests need to know of a scheduler
    """

    # the recruiter, and the environment of the clients
    recruiter: str
    env: dict
    # the traits of a job that waits in the queue for an hour, and of one the scheduler refuses,
    # with what it says then
    waiting: dict
    refused: dict
    refusal: str
    # the trait that names the client, and the command that shows a job's record
    client: str
    record: list

    def jobs(self, prefix):
        """
        The jobs in the queue whose names start with {prefix}: {(id, name, state)}
        """
        env = {**os.environ, **self.env}
        if self.recruiter == "sbatch":
            listing = subprocess.run(
                ["squeue", "-h", "-o", "%i %j %T"], env=env, capture_output=True, text=True, timeout=30, check=True
            )
            rows = [line.split() for line in listing.stdout.splitlines()]
            return [tuple(row) for row in rows if row[1].startswith(prefix)]
        listing = subprocess.run(
            ["qstat", "-u", "*", "-xml"], env=env, capture_output=True, text=True, timeout=30, check=True
        )
        found = []
        for job in xml.etree.ElementTree.fromstring(listing.stdout).iter("job_list"):
            name = job.findtext("JB_name")
            if name.startswith(prefix):
                found.append((job.findtext("JB_job_number"), name, job.findtext("state")))
        return found


@pytest.fixture(params=["sbatch", "gridengine"])
def scheduler(request, monkeypatch):
    """
    Each scheduler, with its clients' environment set
    """
    if request.param == "sbatch":
        slurm = request.getfixturevalue("slurm")
        chosen = Scheduler(
            recruiter="sbatch",
            env=slurm.env,
            waiting={"directives": ["--begin=now+3600"]},
            refused={"partition": "nosuchpartition"},
            refusal="invalid partition",
            client="sbatch",
            record=["scontrol", "show", "job", "-dd"],
        )
    else:
        engine = request.getfixturevalue("gridengine")
        chosen = Scheduler(
            recruiter="gridengine",
            env=engine.env,
            waiting={"directives": [f"-a {time.strftime('%Y%m%d%H%M', time.localtime(time.time() + 3600))}"]},
            refused={"queue": "nosuchq"},
            refusal="nosuchq",
            client="qsub",
            record=["qstat", "-j"],
        )
    for name, value in chosen.env.items():
        monkeypatch.setenv(name, value)
    return chosen


def batch(make_team, scheduler, spool, size=4, recruiter=None, **traits):
    """
    A staff on a thread of its own whose crews are jobs of {scheduler}, with its jobs' files in
    {spool}
    """
    staff = make_team(size=size, recruiter=scheduler.recruiter, mode="thread", **traits)
    staff.recruiter.spool = str(spool)
    staff.recruiter.jobname = f"t{os.getpid()}"
    for name, value in (recruiter or {}).items():
        setattr(staff.recruiter, name, value)
    return staff


def crews(staff):
    """
    How many crews {staff} has now
    """
    return len(staff.metrics()["crews"])


# the tests
@pytest.mark.timeout(4 * PATIENCE)
def test_adapts_from_none_to_four_and_back(make_team, scheduler, tmp_path):
    """
    1,000 tasks: the team grows from no job to four, and lets them all go once they sat idle;
    the queue holds nothing of it at the end
    """
    staff = batch(make_team, scheduler, tmp_path, idle=2 * second)
    futures = [staff.submit(tasks.doze, 0.005) for _ in range(1000)]
    peak = 0
    deadline = time.monotonic() + 3 * PATIENCE
    while not all(future.done() for future in futures):
        assert time.monotonic() < deadline, staff.metrics()
        peak = max(peak, crews(staff))
        time.sleep(0.05)
    assert [future.exception() for future in futures if future.exception()] == []
    assert peak == 4
    # back to none
    while crews(staff) and time.monotonic() < deadline:
        time.sleep(0.1)
    books = staff.metrics()
    assert books["crews"] == [] and books["jobs"] == []
    assert books["decisions"][-1]["crews"][1] == 0
    # and nothing of it is left in the queue
    staff.shutdown()
    assert scheduler.jobs(staff.recruiter.jobname) == []


@pytest.mark.timeout(6 * 60)
def test_outlives_the_walltime_of_its_jobs(make_team, scheduler, tmp_path):
    """
    Three minutes of work on jobs of one minute: crews retire before their walltime and their
    replacements come up ahead of it, so no task is a casualty
    """
    staff = batch(
        make_team,
        scheduler,
        tmp_path,
        size=2,
        recruiter={"walltime": 60 * second, "margin": 15 * second, "renew": 20 * second, "stagger": 5 * second},
    )
    # keep the crews busy for three minutes
    futures = []
    started = time.monotonic()
    while time.monotonic() - started < 180:
        if sum(not future.done() for future in futures) < 8:
            futures += [staff.submit(tasks.doze, 0.5) for _ in range(8)]
        time.sleep(0.1)
    staff.wait(futures, timeout=2 * PATIENCE)
    books = staff.metrics()
    assert books["outcomes"]["completed"] == len(futures), books["outcomes"]
    assert books["outcomes"]["casualties"] == 0 and books["rerun"] == 0
    # the jobs were renewed ahead of their end, and at least three generations of them worked
    renewals = [decision for decision in books["decisions"] if decision["why"].startswith("replacing")]
    assert len(renewals) >= 4, books["decisions"]
    assert len({future.result() for future in futures}) >= 6


KILLED = """
import os, sys, time, pyre_nexus
from pyre.units.SI import second

recruiter, spool, jobname, waiting = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def make(name, size, directives=()):
    staff = pyre_nexus.staff()(name=name, size=size, recruiter=recruiter, mode="thread")
    staff.recruiter.spool = spool
    staff.recruiter.jobname = jobname
    staff.recruiter.directives = list(directives)
    staff.resize(size)
    return staff
# two jobs at work, and one that waits in the queue
working = make("working", 2)
held = make("held", 1, [waiting])
while True:
    books = working.metrics(), held.metrics()
    if sum(crew["state"] == "active" for crew in books[0]["crews"]) == 2 and books[1]["jobs"][0]["job"]:
        break
    time.sleep(0.1)
print("ready", flush=True)
time.sleep(600)
"""


@pytest.mark.timeout(3 * PATIENCE)
def test_team_killed_leaves_no_job(scheduler, tmp_path):
    """
    A team killed with SIGKILL, with jobs at work and one waiting in the queue: within the bound
    the docs state, none of them is left, and neither is the file with the secret
    """
    jobname = f"k{os.getpid()}"
    waiting = scheduler.waiting["directives"][0]
    script = tmp_path / "team.py"
    script.write_text(textwrap.dedent(KILLED))
    team = subprocess.Popen(
        [sys.executable, str(script), scheduler.recruiter, str(tmp_path / "spool"), jobname, waiting],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert team.stdout.readline().strip() == "ready"
        assert len(scheduler.jobs(jobname)) == 3
        assert list((tmp_path / "spool").glob("*.key"))
        os.kill(team.pid, signal.SIGKILL)
        team.wait()
        killed = time.monotonic()
        while scheduler.jobs(jobname) and time.monotonic() - killed < 3 * BOUND:
            time.sleep(0.2)
        left = scheduler.jobs(jobname)
        gone = time.monotonic() - killed
    finally:
        if team.poll() is None:
            os.killpg(team.pid, signal.SIGKILL)
            team.wait()
    assert left == [] and gone < BOUND, f"{left} still there {gone:.1f} s after the team was killed"
    assert not list((tmp_path / "spool").glob("*.key"))


@pytest.mark.timeout(2 * PATIENCE)
def test_waiting_jobs_in_the_books(make_team, scheduler, tmp_path):
    """
    A job that waits in the queue shows in the books with its id, and is cancelled when the
    team shuts down
    """
    staff = batch(make_team, scheduler, tmp_path, size=1, recruiter=scheduler.waiting)
    future = staff.submit(pow, 2, 2)
    deadline = time.monotonic() + PATIENCE
    while not (jobs := staff.metrics()["jobs"]) or not jobs[0]["job"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert jobs[0]["state"] == "queued" and jobs[0]["crews"] == 1
    assert [job[0] for job in scheduler.jobs(staff.recruiter.jobname)] == [jobs[0]["job"]]
    # shut down, cancelling the task: the job goes too
    staff.shutdown(cancel_futures=True)
    assert future.cancelled()
    assert scheduler.jobs(staff.recruiter.jobname) == []


@pytest.mark.timeout(2 * PATIENCE)
def test_refused_job_quotes_the_scheduler(make_team, scheduler, tmp_path):
    """
    A job the scheduler refuses fails the task with a recruitment error that quotes it
    """
    staff = batch(make_team, scheduler, tmp_path, size=1, recruiter=scheduler.refused)
    future = staff.submit(pow, 2, 2)
    error = future.exception(timeout=PATIENCE)
    assert isinstance(error, RecruitmentError), error
    assert scheduler.refusal in str(error).lower(), str(error)


@pytest.mark.timeout(PATIENCE)
def test_missing_client(make_team, scheduler, tmp_path):
    """
    A client that is not there fails the task with a recruitment error that names it
    """
    missing = str(tmp_path / "no" / scheduler.client)
    staff = batch(make_team, scheduler, tmp_path, size=1, recruiter={scheduler.client: missing})
    error = staff.submit(pow, 2, 2).exception(timeout=PATIENCE)
    assert isinstance(error, RecruitmentError), error
    assert missing in str(error) and "No such file" in str(error)


@pytest.mark.timeout(2 * PATIENCE)
def test_the_secret_stays_private(make_team, scheduler, tmp_path):
    """
    The team's secret is in no command line, job script or record of the scheduler, and its
    file is the user's alone
    """
    spool = tmp_path / "spool"
    staff = batch(make_team, scheduler, spool, size=1)
    assert staff.submit(pow, 2, 2).result(timeout=PATIENCE) == 4
    secret = staff.recruiter.secret.hex()
    job = staff.metrics()["jobs"][0]["job"]
    # the scheduler's record of the job
    record = subprocess.run(
        [*scheduler.record, job], env={**os.environ, **scheduler.env}, capture_output=True, text=True, timeout=30
    )
    assert record.returncode == 0 and job in record.stdout
    assert secret not in record.stdout
    # the command lines of every process
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                assert secret not in (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                pass
    # the spool: the scripts name the file, which only the user may read
    scripts = list(spool.glob("*.sh"))
    assert scripts and all(secret not in script.read_text() for script in scripts)
    (key,) = spool.glob("*.key")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(spool.stat().st_mode) == 0o700


@pytest.mark.timeout(2 * PATIENCE)
def test_a_job_that_starts_after_its_team_is_gone_leaves(make_team, scheduler, tmp_path):
    """
    A job script run after its team shut down finds no secret, says so, and leaves at once
    """
    spool = tmp_path / "spool"
    staff = batch(make_team, scheduler, spool, size=1)
    assert staff.submit(pow, 2, 2).result(timeout=PATIENCE) == 4
    (script,) = spool.glob("*.sh")
    late = tmp_path / "late.sh"
    late.write_text(script.read_text())
    staff.shutdown()
    started = time.monotonic()
    ran = subprocess.run(["/bin/sh", str(late)], capture_output=True, text=True, timeout=PATIENCE)
    assert time.monotonic() - started < 5
    assert ran.returncode == 0 and "the team of this job is gone" in ran.stderr


@pytest.mark.timeout(2 * PATIENCE)
def test_a_template_of_ones_own(make_team, scheduler, tmp_path):
    """
    A job script of the user's own runs what it adds around the worker shell
    """
    template = tmp_path / "job.sh"
    template.write_text('#!/bin/sh\n{directives}\nexport NEXUS_TEMPLATED=yes\n{command}\n')
    staff = batch(make_team, scheduler, tmp_path / "spool", size=1, recruiter={"template": str(template)})
    assert staff.submit(os.getenv, "NEXUS_TEMPLATED").result(timeout=PATIENCE) == "yes"


@pytest.mark.timeout(PATIENCE)
@pytest.mark.parametrize("kind", ["sbatch", "gridengine"])
def test_a_spool_that_cannot_be_written(make_team, tmp_path, kind):
    """
    A spool where the job files cannot be written fails the task with a recruitment error that
    names the spool and the trait to set, before anything is submitted
    """
    (tmp_path / "file").write_text("")
    spool = tmp_path / "file" / "jobs"
    staff = make_team(size=1, recruiter=kind)
    staff.recruiter.spool = str(spool)
    error = staff.submit(pow, 2, 2).exception(timeout=PATIENCE)
    assert isinstance(error, RecruitmentError), error
    assert f"cannot write the job files in '{spool}'" in str(error) and ".spool' to a directory" in str(error)


@pytest.mark.parametrize(
    "kind, traits, said",
    [
        ("sbatch", {"walltime": 60 * second, "margin": 60 * second}, "margin: bad value '60.0*s'; expected less than the walltime"),
        ("sbatch", {"crews": 0}, "crews: bad value 0; expected a positive number of crews per job"),
        ("sbatch", {"template": "/no/such/template"}, "template: bad value '/no/such/template'; expected a readable file"),
        ("gridengine", {"cores": 4}, "pe: bad value ''; expected the parallel environment that gives a job its 4 cores"),
        ("gridengine", {"walltime": -1 * second}, "walltime: bad value '-1.0*s'; expected a non-negative, finite time"),
    ],
)
def test_bad_batch_traits(kind, traits, said):
    """
    Settings a batch recruiter cannot use are refused when it is built, naming the trait, the
    value and what it accepts
    """
    import pyre_nexus
    from pyre_nexus.exceptions import Misconfigured

    with pytest.raises(Misconfigured) as info:
        getattr(pyre_nexus.recruiters, kind)()(name=f"bad-{kind}-{len(traits)}-{os.getpid()}-{id(traits)}", **traits)
    assert said in str(info.value)


# end of file
