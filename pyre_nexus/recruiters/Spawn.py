# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import os
import signal
import sys

# the framework
import pyre

# my superclass
from .Launcher import Launcher
# my parts
from .Cgroup import Cgroup
from .Fork import Fork
from ..exceptions import RecruitmentError


# declaration
class Spawn(Launcher, family="pyre_nexus.recruiters.spawn"):
    """
    Recruit crews in fresh interpreters on this host, one worker shell per crew

    Nothing of the team's process is copied: it is the recruiter for teams whose process must
    not be forked, e.g. one with threads, an initialized MPI or a GPU context. Tasks travel by
    value where they must: functions of the main script, lambdas and closures are pickled with
    cloudpickle, everything else by reference; the workers search the team's {sys.path}, so
    what the team imports, they find. A worker here that goes silent but is running is at work,
    e.g. pickling a large result while its heartbeat waits for the interpreter, and is never
    taken for lost; one that is stopped is frozen, and is lost after three silent heartbeats

    Where this host lets the team make cgroups, and {cgroups} is 'auto', each crew gets one, as
    with the fork recruiter, and its worker shell is in it before it can register: killing the
    crew kills every process in it, {memory} is the resident memory of the whole crew where a
    memory controller is there, and {pids} limits its processes and threads
    """

    # user configurable state
    address = pyre.properties.inet(default="127.0.0.1:0")
    address.doc = "where the team listens for its workers; loopback, since they run here"

    # the memory limit, as the fork recruiter has it; {pids} and {cgroups} are every launcher's
    memory = pyre.properties.int(default=0)
    memory.doc = Fork.pyre_trait(alias="memory").doc

    # interface
    @pyre.export
    def release(self, team):
        """
        The team is going away: end every launch, and remove the cgroup of its crews
        """
        # the launches
        super().release(team=team)
        # and the cgroup, once what is left in it is gone
        Cgroup.disperse(recruiter=self, team=team)
        # all done
        return

    # meta-methods
    def __init__(self, **kwds):
        # chain up
        super().__init__(**kwds)
        # the cgroup of the crews of each team, with the clock that watches their pids limit
        self.groups = {}
        # all done
        return

    # implementation details
    def environment(self):
        """
        The team's environment, with its module search path, so the workers find what it finds
        """
        # the team's
        env = super().environment()
        # with its search path; the folder of the main script is first there, and would not be
        # in the worker's, which runs a module instead
        env["PYTHONPATH"] = os.pathsep.join(entry or os.getcwd() for entry in sys.path)
        # all done
        return env

    def addressable(self):
        """
        The most memory each worker shell lets its crew map: none, where the crews' cgroups hold
        their resident memory instead
        """
        # the cgroups of my teams, all made alike
        resident = any(group.memory for group, _ in self.groups.values())
        # the address space is free under a limit on resident memory
        return 0 if resident else self.memory

    def launch(self, team, host, size):
        """
        Start the worker shell of a crew, in a cgroup of its own where it gets one
        """
        # the crew's cgroup, first, since how much the worker shell may map depends on it
        group = Cgroup.of(recruiter=self, team=team)
        try:
            cell = group.crew()
        except OSError as error:
            raise RecruitmentError(recruiter=self.pyre_name, reason=f"cannot make the crew's cgroup in {group}: {error}")
        # start it
        try:
            crews = super().launch(team=team, host=host, size=size)
        except RecruitmentError:
            cell.dissolve()
            raise
        launch = self.launches[crews[0].notes]
        launch.cgroup = cell
        # and put it in its cgroup before it can register, which takes my event loop, with the
        # team's supervisor ending what is in it should the team die; one that is gone already
        # is the business of the watch on its exit
        try:
            cell.admit(pid=launch.pid)
            if cell.reach() is not None:
                team.supervisor.contain(cgroup=cell.reach())
        except ProcessLookupError:
            pass
        # if that fails otherwise, it goes
        except OSError as error:
            launch.signal(signal.SIGKILL)
            os.waitpid(launch.pid, 0)
            launch.status = None
            self.forget(team=team, launch=launch)
            raise RecruitmentError(recruiter=self.pyre_name, reason=f"cannot put the worker in {cell}: {error}")
        # all done
        return crews

    def overrun(self, timestamp, team):
        """
        Kill the launches whose cgroup refused a fork: a task of their crew ran into my {pids}
        limit

        N.B.: this is an alarm handler; it returns the interval to the next invocation
        """
        # go through the launches
        for launch in list(self.launches.values()):
            # the ones whose crew ran into it, once
            crews = launch.living()
            if crews and not any(crew.pids for crew in crews) and launch.cgroup.refused():
                # so the casualty names the limit
                for crew in crews:
                    crew.pids = launch.cgroup.pids
                # and the launch goes
                launch.signal(signal.SIGKILL)
        # keep watching
        return Cgroup.interval

    def plan(self, team, count):
        """
        One launch per crew, so each crew's worker is a process the team can signal
        """
        return [(None, 1)] * count

    def busy(self, crew):
        """
        The twin of {crew} is a process here: one that is alive and not stopped is at work, even
        if its task keeps the thread that beats from the interpreter, e.g. while a large result
        is pickled; a frozen worker is a stopped one
        """
        # its state, as the kernel has it
        try:
            with open(f"/proc/{crew.pid}/stat") as stat:
                state = stat.read().rsplit(")", 1)[1].split()[0]
        # a process that is gone is not at work
        except (OSError, IndexError):
            return False
        # stopped, traced, or dead
        return state not in "TtZXx"

    def command(self, host, crews, shell):
        """
        The worker shell itself
        """
        return shell


# end of file
