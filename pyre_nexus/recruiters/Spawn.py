# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import os
import sys

# the framework
import pyre

# my superclass
from .Launcher import Launcher


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
    """

    # user configurable state
    address = pyre.properties.inet(default="127.0.0.1:0")
    address.doc = "where the team listens for its workers; loopback, since they run here"

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
