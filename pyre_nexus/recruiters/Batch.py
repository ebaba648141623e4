# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import math
import os
import random
import re
import secrets
import shlex
import subprocess
import time

# the framework
import pyre
from pyre.units.Dimensional import Dimensional

# my superclass
from .Launcher import Launcher
# my parts
from .Job import Job
from ..Dispatcher import seconds
from ..exceptions import RecruitmentError, complain, configured


# declaration
class Batch(Launcher):
    """
    The base of the recruiters that get their crews as batch jobs, from a login node: each job
    runs a worker shell that hosts {crews} crews and dials back to the team's gate

    A recruitment of several jobs is one array, where the scheduler has them and {array} is on.
    The scheduler's client waits for its job to end, so the team hears of a job that fails
    before its workers dial, with the client's words and the tail of the job's output, kept in
    {spool}. The job reads the team's secret from a file in {spool} that only the user can read;
    it never appears on a command line or in the scheduler's records; a job that starts after
    its team is gone finds no file, or no team, and leaves at once. The team cancels its jobs
    when it shuts down, when their crews are lost, and, through its supervisor, when it dies

    With a {walltime}, a crew takes no more tasks {margin} before its job's time is up, less up
    to {stagger}, at random, so crews that started together do not leave together; its
    replacement is recruited {renew} before that, so a team outlives any of its jobs
    """

    # user configurable state
    address = pyre.properties.inet(default="0.0.0.0:0")
    address.doc = "where the team listens for its workers, host:port; port 0 lets the kernel pick"

    timeout = pyre.properties.dimensional(default=600 * pyre.units.SI.second)
    timeout.doc = "how long a job may wait in the queue and start until all of its workers have connected"

    crews = pyre.properties.int(default=1)
    crews.doc = "how many crews each job hosts, each in a process of its own"

    cores = pyre.properties.int(default=0)
    cores.doc = "how many cores each job asks for; 0 for the scheduler's default"

    mem = pyre.properties.str(default="")
    mem.doc = "how much memory each job asks for, in the scheduler's words, e.g. '4G'; by default, its default"

    walltime = pyre.properties.dimensional(default=0 * pyre.units.SI.second)
    walltime.doc = (
        "the time limit of each job, e.g. 2*hour; its crews retire before it; 0*s for the "
        "scheduler's default, which the team does not know, so its crews do not retire"
    )

    margin = pyre.properties.dimensional(default=120 * pyre.units.SI.second)
    margin.doc = "how long before its job's walltime a crew takes no more tasks: longer than a task runs"

    renew = pyre.properties.dimensional(default=60 * pyre.units.SI.second)
    renew.doc = "how long before a crew retires its replacement is recruited: about how long a job waits to start"

    stagger = pyre.properties.dimensional(default=0 * pyre.units.SI.second)
    stagger.doc = "the most by which a crew retires earlier, at random, so crews that started together leave apart"

    account = pyre.properties.str(default="")
    account.doc = "the account the jobs are charged to; by default, the user's default"

    jobname = pyre.properties.str(default="nexus")
    jobname.doc = "the name of the jobs, which the team follows with a part of its own, e.g. nexus-3fa2b1c9"

    directives = pyre.properties.strings(default=[])
    directives.doc = "more options for the scheduler, each as it would follow the client on a command line"

    template = pyre.properties.str(default="")
    template.doc = (
        "a file with the job script to use, in which {directives} stands for the scheduler's "
        "directives and {command} for the lines that start the worker shell; by default, a shell "
        "script with just these"
    )

    spool = pyre.properties.str(default="~/.pyre_nexus/jobs")
    spool.doc = (
        "a directory on a file system the jobs' hosts share, for the job scripts, their output "
        "and the file with the team's secret, which only the user can read"
    )

    array = pyre.properties.bool(default=True)
    array.doc = "submit the jobs of a recruitment as one array"

    # the jobs read the secret from a file
    courier = "file"
    # the scheduler contains the processes of a job, and ends them with it
    superviseShells = False
    # the client says the job's id on its stdout
    mergeOutput = True
    # my launches are jobs
    record = Job
    # what the client says that the team says in its own words
    chatter = re.compile(r"$^")
    # the variables of the environment that the scheduler's clients need, besides PATH
    variables = ()
    # the lines of a job script, by default
    script = "#!/bin/sh\n{directives}\n# pyre_nexus workers, which dial back to their team\n{command}\n"

    # obligations of my subclasses
    def submission(self, script):
        """
        The command that submits {script} and waits for its job to end
        """
        raise NotImplementedError(f"class '{type(self).__name__}' must implement 'submission'")

    def cancellation(self, name):
        """
        The command that cancels the jobs named {name}, whether they wait in the queue or run
        """
        raise NotImplementedError(f"class '{type(self).__name__}' must implement 'cancellation'")

    def preamble(self, name, tasks):
        """
        The directives of the script of the job {name}, an array of {tasks} jobs if more than
        one, whose output goes to a file {name}.*.out in my spool
        """
        raise NotImplementedError(f"class '{type(self).__name__}' must implement 'preamble'")

    # interface
    @pyre.export
    def census(self, team):
        """
        My jobs: those still in the queue, and those at work
        """
        return {"jobs": [job.census() for job in self.launches.values()]}

    @pyre.export
    def kill(self, team, crew):
        """
        End the worker of {crew} now; if it was the last one of its job, cancel the job
        """
        # the job
        job = self.launches.get(crew.notes)
        # if the crew is its last
        if job is not None and job.status is False and len(job.living()) <= 1:
            # cancel it, which its client sees
            self.cancel(jobs=[job])
        # and kill the crew
        return super().kill(team=team, crew=crew)

    @pyre.export
    def release(self, team):
        """
        The team is going away: end every crew, and cancel every job, waiting a while for the
        scheduler to take it
        """
        # the jobs
        jobs = list(self.launches.values())
        # end the crews and the clients
        super().release(team=team)
        # cancel the jobs, and wait
        self.cancel(jobs=jobs, wait=True)
        # no job needs the secret any more
        if self.key is not None:
            team.supervisor.annul(key=self.key)
            try:
                os.unlink(self.key)
            except OSError:
                pass
            self.key = None
        # all done
        return

    # framework hooks
    def pyre_configured(self):
        """
        Check my configuration
        """
        # chain up
        yield from super().pyre_configured()
        # the counts
        if not (isinstance(self.crews, int) and self.crews >= 1):
            yield str(complain(self, trait="crews", value=self.crews, accepted="a positive number of crews per job"))
        if not (isinstance(self.cores, int) and self.cores >= 0):
            yield str(complain(self, trait="cores", value=self.cores, accepted="0 or more cores per job"))
        # the times
        for name in ("walltime", "margin", "renew", "stagger"):
            value = configured(self, name)
            if not (isinstance(value, Dimensional) and 0 <= seconds(value) < math.inf):
                yield str(complain(self, trait=name, value=value, accepted="a non-negative, finite time with units, e.g. 90*s"))
        # a crew must have some time to work
        walltime, margin = seconds(self.walltime), seconds(self.margin)
        if walltime and margin >= walltime:
            yield str(
                complain(
                    self,
                    trait="margin",
                    value=self.margin,
                    accepted=f"less than the walltime, {walltime:g} s, so a crew has time to work",
                )
            )
        # the template, if there is one
        if self.template:
            try:
                with open(os.path.expanduser(self.template)) as stream:
                    text = stream.read()
            except OSError as error:
                yield str(complain(self, trait="template", value=self.template, accepted=f"a readable file ({error.strerror})"))
            else:
                if "{command}" not in text:
                    yield str(
                        complain(
                            self,
                            trait="template",
                            value=self.template,
                            accepted="a job script with {command} where the worker shell starts",
                        )
                    )
        # all done
        return

    # meta-methods
    def __init__(self, **kwds):
        # chain up
        super().__init__(**kwds)
        # the file with the secret, once my first job needs it
        self.key = None
        # the cancellations under way
        self.cancels = []
        # all done
        return

    # implementation details
    def plan(self, team, count):
        """
        Jobs of {crews} crews each, as one array, and one more job for the rest
        """
        # the whole jobs, and the rest
        whole, rest = divmod(count, self.crews)
        # as arrays
        if self.array:
            plan = [(None, whole * self.crews)] if whole else []
        # or as jobs of their own
        else:
            plan = [(None, self.crews)] * whole
        # and the rest
        return plan + ([(None, rest)] if rest else [])

    def prepare(self, team, launch):
        """
        Write the file with the secret, once, and see that the job is cancelled if the team dies
        """
        # the secret, in a file of my spool that only the user can read, written once
        if self.key is None:
            try:
                key = os.path.join(self.spooled(), f"{secrets.token_hex(8)}.key")
                descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "w") as stream:
                    stream.write(self.secret.hex())
            except OSError as error:
                raise self.unspooled(error=error)
            self.key = key
            # which goes if the team dies
            team.supervisor.bequeath(key=key, command=["rm", "-f", key], environment=self.clients())
        # the job is cancelled if the team dies
        name = self.named(launch=launch)
        team.supervisor.bequeath(key=name, command=self.cancellation(name=name), environment=self.clients())
        # all done
        return

    def shell(self, launch, crews):
        """
        The worker shell that hosts the crews of one job
        """
        return super().shell(launch=launch, crews=min(crews, self.crews))

    def command(self, host, crews, shell):
        """
        Write the script of the job of {crews} crews, whose worker shell is {shell}, and return
        the command that submits it
        """
        # the launch, which the shell names, and its job
        launch = bytes.fromhex(next(word for word in shell if word.startswith("--launch=")).partition("=")[2])
        name = self.named(launch=launch)
        script = self.scripted(name=name)
        # the jobs of the array
        tasks = math.ceil(crews / self.crews)
        # the lines that start the worker shell, unless the team is gone
        command = "\n".join(
            [
                f"key={shlex.quote(self.key)}",
                'if [ ! -r "$key" ]; then',
                '    echo "pyre_nexus: the team of this job is gone; leaving" >&2',
                "    exit 0",
                "fi",
                'PYRE_NEXUS_SECRET=$(cat "$key")',
                "export PYRE_NEXUS_SECRET",
                f"exec {shlex.join(shell)}",
            ]
        )
        # the script
        text = self.script
        if self.template:
            with open(os.path.expanduser(self.template)) as stream:
                text = stream.read()
        text = text.replace("{directives}", "\n".join(self.preamble(name=name, tasks=tasks))).replace("{command}", command)
        # written where only the user reads it
        try:
            descriptor = os.open(script, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o700)
            with os.fdopen(descriptor, "w") as stream:
                stream.write(text)
        except OSError as error:
            raise self.unspooled(error=error)
        # the submission
        return self.submission(script=script)

    def launch(self, team, host, size):
        """
        Submit a job of {size} crews
        """
        # submit it
        crews = super().launch(team=team, host=host, size=size)
        # and describe it
        job = self.launches[crews[0].notes]
        job.name = self.named(launch=job.id)
        job.script = self.scripted(name=job.name)
        job.output = self.outputs(name=job.name)
        job.chatter = self.chatter
        # all done
        return crews

    def admit(self, team, launch, channel):
        """
        A worker of {launch} passed the handshake: if its job has a walltime, say when its crew
        retires and when its replacement is recruited
        """
        # the crew it becomes
        job = self.launches.get(launch)
        waiting = job.waiting() if job is not None else []
        # admit it
        super().admit(team=team, launch=launch, channel=channel)
        # if it was, and its job has a walltime
        walltime = seconds(self.walltime)
        if waiting and waiting[0].channel is channel and walltime:
            crew = waiting[0]
            # it takes no more tasks a margin before the end, less a share of the stagger
            crew.retires = time.monotonic() + walltime - seconds(self.margin) - random.uniform(0, seconds(self.stagger))
            # and its replacement is recruited ahead of that
            crew.renews = crew.retires - seconds(self.renew)
        # all done
        return

    def escalate(self, timestamp, launch, signals):
        """
        A dismissed job is still around after its grace: cancel it, then insist with its client

        N.B.: this is an alarm handler; it returns the interval to the next invocation
        """
        # cancel it, once
        if launch.status is False and len(signals) == 2:
            self.cancel(jobs=[launch])
        # and insist
        return super().escalate(timestamp=timestamp, launch=launch, signals=signals)

    def forget(self, team, launch):
        """
        {launch} is over: cancel its job, in case it is not, stop watching it, and clear its files
        """
        # once: the team may let go of me, and so of every job, while it hears a job end
        if launch.id not in self.launches:
            return
        # a client that was killed may leave its job behind, unless it was cancelled already
        if not launch.cancelled and (launch.status is None or (launch.status is not False and launch.status < 0)):
            self.cancel(jobs=[launch])
        # stop watching
        super().forget(team=team, launch=launch)
        # the team's death needs to cancel it no more
        team.supervisor.annul(key=launch.name)
        # and its files
        launch.clear()
        # all done
        return

    def cancel(self, jobs, wait=False):
        """
        Cancel {jobs}; with {wait}, wait a while for the scheduler to take it
        """
        # the ones done a while ago are reaped
        self.cancels = [process for process in self.cancels if process.poll() is None]
        # start the cancellations
        for job in jobs:
            job.cancelled = True
            try:
                process = subprocess.Popen(
                    self.cancellation(name=job.name),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=self.environment(),
                    start_new_session=True,
                )
            except OSError:
                continue
            self.cancels.append(process)
        # wait for them, if asked, within my grace, several times over
        if wait:
            expiration = time.monotonic() + 10 * seconds(self.grace)
            for process in self.cancels:
                try:
                    process.wait(timeout=max(0.0, expiration - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            self.cancels = []
        # all done
        return

    def named(self, launch):
        """
        The name of the job of {launch}
        """
        return f"{self.jobname}-{launch.hex()[:8]}"

    def scripted(self, name):
        """
        The script of the job {name}
        """
        return os.path.join(self.spooled(), f"{name}.sh")

    def outputs(self, name):
        """
        The pattern of the output files of the job {name}, or of its array
        """
        return os.path.join(self.spooled(), f"{name}.*.out")

    def spooled(self):
        """
        My spool, made if it is not there, which only the user may enter
        """
        # where
        spool = os.path.abspath(os.path.expanduser(self.spool))
        # make it
        os.makedirs(spool, mode=0o700, exist_ok=True)
        # all done
        return spool

    def unspooled(self, error):
        """
        The {RecruitmentError} of a spool where the job files cannot be written, for {error}
        """
        return RecruitmentError(
            recruiter=self.pyre_name,
            reason=f"cannot write the job files in {self.spool!r}: {error.strerror or error}; set "
            f"'{self.pyre_name}.spool' to a directory of yours on a file system the jobs' hosts share",
        )

    def clients(self):
        """
        The environment the scheduler's clients need
        """
        # the launchers'
        environment = self.environment()
        # what the clients need of it
        return {
            name: value
            for name, value in environment.items()
            if name in ("PATH", "HOME", "USER", "LOGNAME") or name.startswith(self.variables)
        }

    def clock(self):
        """
        My walltime as hours:minutes:seconds, which every scheduler understands, or {None} if
        the scheduler's default is the limit
        """
        # whole seconds, rounded up
        total = math.ceil(seconds(self.walltime))
        if not total:
            return None
        hours, rest = divmod(total, 3600)
        minutes, secs = divmod(rest, 60)
        # all done
        return f"{hours}:{minutes:02d}:{secs:02d}"


# end of file
