# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import sys
import time

# the framework
import journal
import pyre
from pyre.units.Dimensional import Dimensional

# the protocol of recruiters
from ..recruiters.Recruiter import Recruiter
# how complaints about my traits are made
from ..exceptions import complain, configured

# my superclass
from .Command import Command


# declaration
class Check(Command, family="pyre_nexus.cli.check"):
    """
    Bring up one crew through a recruiter, on each of its hosts, run a probe there, and report
    how long the answer took and what it was: the host, the pid of the worker and its python,
    and the cgroups it is in, or why it is in none; or, when a crew cannot be brought up, why,
    with the launcher's own words. The exit status is 1 if any host failed

    The recruiter is --recruiter, with its settings, e.g.
        nexus check --recruiter=ssh --recruiter.hosts=node1,node2 --recruiter.python=/opt/bin/python3
    or that of the team of an application, as it is configured, e.g.
        nexus check nexus-demo          nexus check path/to/app.pfg          nexus check --team=app.team
    An ssh recruiter gets one crew on each of its hosts, each brought up on its own, all at
    once; any other gets one crew
    """

    # the words that follow {nexus check}
    synopsis = "[APPLICATION | FILE.pfg ...] [--team=NAME] [--recruiter=NAME] [--recruiter.TRAIT=VALUE ...]"

    # user configurable state
    recruiter = Recruiter()
    recruiter.doc = (
        "the recruiter to check when no team is named: fork, forkserver, spawn, ssh, mpi, slurm, sbatch, gridengine"
    )

    team = pyre.properties.str(default="")
    team.doc = "check the recruiter of this team instead, e.g. 'nexus-demo.team', as configured"

    timeout = pyre.properties.dimensional(default=120 * pyre.units.SI.second)
    timeout.doc = "how long to wait for the answers; a launch fails within the recruiter's own timeout"

    # interface
    @pyre.export
    def main(self, plexus, argv, **kwds):
        """
        Check the recruiter
        """
        # the recruiter
        try:
            recruiter = self.choose(words=list(argv))
        except Exception as error:
            return self.fail(str(error))
        finally:
            argv.clear()
        # the crews to bring up: where, and with what
        plan = self.plan(recruiter=recruiter)
        where = f"a crew on each of {len(plan)} hosts" if len(plan) > 1 else "a crew"
        print(f"checking {recruiter.pyre_name} ({recruiter.pyre_family()}): {where}", flush=True)
        # bring them up and probe them
        reports = self.run(plan=plan)
        # say how it went
        width = max(len(report["where"]) for report in reports)
        failures = 0
        for report in reports:
            # the ones that answered
            if report["answer"] is not None:
                answer = report["answer"]
                print(
                    f"  {report['where']:<{width}}  ok      answered in {report['took']:.2f} s: "
                    f"host {answer['host']}, pid {answer['pid']}, python {answer['python']} "
                    f"({answer['executable']}), pyre_nexus {answer['pyre_nexus']}"
                )
                print(f"      cgroups: {self.cgroups(recruiter=report['team'].recruiter, groups=answer['cgroups'])}")
                continue
            # the rest failed
            failures += 1
            # some in time, with an error
            if report["error"] is not None:
                print(f"  {report['where']:<{width}}  FAILED  after {report['took']:.2f} s")
                print(f"      {self.explain(report['error'])}")
            # others by saying nothing
            else:
                print(f"  {report['where']:<{width}}  FAILED  no answer within {self.seconds:g} s")
                print(f"      {report['late']}")
        # the summary
        print(f"{len(reports) - failures} of {len(reports)} answered")
        # all done
        return 1 if failures else 0

    # framework hooks
    def pyre_configured(self):
        """
        Check my configuration
        """
        # chain up
        yield from super().pyre_configured()
        # the timeout must be a time
        timeout = configured(self, "timeout")
        if not (isinstance(timeout, Dimensional) and timeout / pyre.units.SI.second > 0):
            yield str(complain(self, trait="timeout", value=timeout, accepted="a positive time with units, e.g. 60*s"))
        # all done
        return

    # implementation details
    def choose(self, words):
        """
        The recruiter to check: that of the team the {words} of my command line and my {team}
        name, or mine
        """
        # if there is no team
        if not words and not self.team:
            # it's mine
            return self.recruiter
        # otherwise, load the team's configuration
        name = self.configure(words=words, team=self.team or "")
        # mine is not for setting
        if self.pyre_inventory.getTraitPriority(self.pyre_trait(alias="recruiter")).name != "defaults":
            raise ValueError(
                f"--recruiter is for checking a recruiter without a team; to try another "
                f"recruiter for '{name}', set its own, e.g. --{name}.recruiter=spawn"
            )
        # build it, and its recruiter
        try:
            team, _ = self.build(name=name)
            return team.recruiter
        except Exception as error:
            raise ValueError(f"cannot build the team '{name}' and its recruiter: {error}") from error

    def plan(self, recruiter):
        """
        The crews to bring up: a list of where each goes and the recruiter that brings it up
        """
        # ssh
        from ..recruiters.SSH import SSH

        # recruits a crew on each of its hosts, each by a recruiter of its own, so each answers
        # on its own
        if isinstance(recruiter, SSH):
            return [(host, self.narrow(recruiter=recruiter, host=host)) for host in recruiter.slots()]
        # the others bring up one crew where they do
        name = recruiter.pyre_family().split(".")[-1]
        hosts = getattr(recruiter, "hosts", None)
        return [(f"{name} on {','.join(hosts)}" if hosts else name, recruiter)]

    def narrow(self, recruiter, host):
        """
        A recruiter with the settings of {recruiter}, for one crew on {host}
        """
        # make one, named after the original
        single = type(recruiter)(name=f"{recruiter.pyre_name}@{host}")
        # copy the settings
        for trait in recruiter.pyre_configurables():
            if trait.name != "hosts":
                setattr(single, trait.name, getattr(recruiter, trait.name))
        # and give it the host
        single.hosts = [host]
        # all done
        return single

    def run(self, plan):
        """
        Bring up the crews of {plan}, all at once, and probe them; returns a report for each
        """
        # the package
        import cloudpickle
        import pyre_nexus

        # the probe travels by value, so a worker needs nothing of the command line
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
        # my report says what went wrong, so the teams keep quiet
        journal.info("pyre_nexus.metrics").active = False
        # one event loop for all the teams, so they all make progress at once
        loop = pyre_nexus.dispatcher()
        # a team of one for each crew
        reports = []
        for index, (where, recruiter) in enumerate(plan):
            # make it
            name = f"{self.pyre_name}.probe{index}"
            team = pyre_nexus.staff()(name=name, size=1, recruiter=recruiter, dispatcher=loop)
            team.warning.active = False
            # the report
            report = dict(where=where, team=team, answer=None, error=None, took=None, late=None)
            reports.append(report)
            # start the clock
            start = time.monotonic()
            # submit the probe, which is when the team recruits
            future = team.submit(probe)
            report["future"] = future
            # and stop the clock when it is done
            future.add_done_callback(lambda _, report=report, start=start: self.clock(report, start))
        # wait for the answers, saying what the batch jobs are up to as they change
        futures = [report["future"] for report in reports]
        answered = lambda: all(future.done() for future in futures)
        expiration = time.monotonic() + self.seconds
        said = {}
        try:
            while not answered() and time.monotonic() < expiration:
                reports[0]["team"].waitUntil(condition=answered, timeout=min(self.beat, expiration - time.monotonic()))
                self.follow(reports=reports, said=said)
        except pyre_nexus.exceptions.NexusError:
            pass
        # collect them
        for report in reports:
            future = report["future"]
            # the ones still waiting
            if not future.done():
                # say for what
                report["late"] = self.pending(recruiter=report["team"].recruiter)
                continue
            # the others took this long
            report["took"] = report["elapsed"]
            # to answer, or to fail
            error = future.exception()
            if error is None:
                report["answer"] = future.result()
            else:
                report["error"] = error
        # let the crews go
        self.disband(teams=[report["team"] for report in reports])
        # all done
        return reports

    def follow(self, reports, said):
        """
        Say what the batch jobs of the teams of {reports} are up to, if it changed since it was
        last {said}, or a while went by
        """
        # the jobs of each team
        for report in reports:
            for job in report["team"].recruiter.census(team=report["team"]).get("jobs", []):
                # said as
                state = (job["job"], job["state"])
                # unless it was said already, a little while ago
                if said.get(job["name"], (None, 0))[0] == state and job["seconds"] - said[job["name"]][1] < 30:
                    continue
                said[job["name"]] = (state, job["seconds"])
                print(f"  {report['where']}: job {job['job'] or '?'} ({job['name']}) {job['state']} for {job['seconds']:.0f} s", flush=True)
        # all done
        return

    @staticmethod
    def clock(report, start):
        """
        Note in {report} how long it has been since {start}
        """
        report["elapsed"] = time.monotonic() - start

    def disband(self, teams):
        """
        Let the crews of {teams} go, and kill the ones that do not leave in time
        """
        # let them go, and drop what is not done
        for team in teams:
            team.shutdown(wait=False, cancel_futures=True)
        # give them time to leave
        deserted = lambda: all(team.deserted() for team in teams)
        try:
            teams[0].waitUntil(condition=deserted, timeout=self.grace)
        except Exception:
            pass
        # and kill the ones that did not
        for team in teams:
            if not team.deserted():
                team.terminate()
        # all done
        return

    def pending(self, recruiter):
        """
        Describe what {recruiter} is still waiting for
        """
        # the launches whose workers have not all connected
        launches = [launch for launch in getattr(recruiter, "launches", {}).values() if launch.waiting()]
        # if there are none
        if not launches:
            # the crew is up, and the probe did not come back
            return "the probe did not come back"
        # otherwise, say what they are
        return "still waiting for the worker of " + "; ".join(launch.describe() for launch in launches)

    @staticmethod
    def cgroups(recruiter, groups):
        """
        Describe the cgroups of a crew of {recruiter} from its {groups}, the lines of its
        /proc/self/cgroup that are a crew's; or why there are none
        """
        # the ones it is in: cgroup2, or the v1 hierarchies of controllers, and where
        if groups:
            entries = [line.split(":", 2) for line in groups]
            kinds = [f"v1 {controllers}" if controllers else "v2" for _, controllers, _ in entries]
            return f"{', '.join(kinds)}, in {entries[0][2]}"
        # the recruiters without them
        if not hasattr(recruiter, "cgroups"):
            return f"none: the {recruiter.pyre_family().split('.')[-1]} recruiter does not put its crews in cgroups"
        # the ones that have them turned off
        if recruiter.cgroups == "off":
            return f"none: {recruiter.pyre_name}.cgroups is off"
        # the others lack them here; a group made as the recruiter would make it says why
        from ..recruiters.Cgroup import Cgroup

        group = Cgroup.team(memory=recruiter.memory, pids=recruiter.pids)
        try:
            return "none: " + "; ".join(group.describe())
        finally:
            group.dissolve()

    @staticmethod
    def explain(error):
        """
        Describe {error}, with its cause
        """
        # the error
        text = f"{type(error).__name__}: {error}"
        # and its cause, e.g. the traceback in the worker
        if error.__cause__ is not None:
            text += f"\n      caused by {type(error.__cause__).__name__}: {error.__cause__}"
        # all done
        return text

    @property
    def seconds(self):
        """
        My timeout, in seconds
        """
        return self.timeout / pyre.units.SI.second

    # how long dismissed crews get to leave, and how often to say what batch jobs are up to, in
    # seconds
    grace = 10
    beat = 1.0


# the probe, at module level, and pickled by value
def probe():
    """
    Say where the crew runs: its host, its process and its python
    """
    # everything it needs, imported where it runs
    import os
    import platform
    import socket
    import sys

    import pyre_nexus

    # the cgroups it is in that are a crew's
    with open("/proc/self/cgroup") as stream:
        groups = [line.strip() for line in stream if "/nexus-" in line]
    # the answer
    return {
        "cgroups": groups,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "python": platform.python_version(),
        "executable": sys.executable,
        "pyre_nexus": pyre_nexus.version,
    }


# end of file
