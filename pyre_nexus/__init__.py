# -*- Python -*-
# -*- coding: utf-8 -*-
#
# pyre_nexus: crews, teams and recruiters for process based concurrency in pyre applications
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Run work in other processes, on one machine or many, from pyre applications

A {team} hands tasks to {crews}: pairs of objects joined by a bidirectional channel, one living
in the host application's event loop and the other in a worker process built by a {recruiter}
"""

# externals
import sys

# the framework
import pyre

# register the package before declaring any of its families, so its configuration loads once
package = pyre.executive.registerPackage(name="pyre_nexus", file=__file__)
# record where things live
home, prefix, defaults = package.layout()

# the version
from .meta import version

# errors
from . import exceptions
# a pyre application that fails with a framework error, e.g. a team that cannot recruit, ends
# with the error's message, not with pyre's traceback of how it said it
from .Excepthook import Excepthook

Excepthook.install()

# the building blocks
from .Task import Task as task
from .TaskStatus import TaskStatus as taskcodes
from .CrewStatus import CrewStatus as crewcodes
from .Future import Future as future
from .Crew import Crew as crew
from .Dispatcher import Dispatcher as dispatcher

# protocols and their implementations, through foundries in the subpackages
from . import teams, recruiters
from .teams import team, pool, staff
from .recruiters import recruiter, fork, forkserver


# what a task calls, in its worker
def progress(news):
    """
    Tell the caller how the running task is doing: {news} is any picklable value, e.g. a
    fraction done, which reaches the callbacks added with {future.add_progress_callback} and
    becomes {future.progress}; reports closer than a twentieth of a second apart are merged,
    the last one always arrives before the result. Outside a worker, e.g. when the task is
    called directly, it does nothing
    """
    # the crew running a task in this process, if any
    working = crew.working.crew
    # tell it
    if working is not None:
        working.announce(news=news)
    # all done
    return


def state():
    """
    What the team's initializer returned in the worker of the crew running this task, e.g. data
    loaded once per crew; {None} without an initializer, or outside a worker
    """
    return crew.working.state


# joblib, when the program uses it
def joblib():
    """
    Register the joblib parallel backend that runs on a staff under the name "pyre_nexus", so
    {joblib.parallel_config(backend="pyre_nexus")} picks it, and return its class; done on
    import if joblib was imported first, which is then cheap, since joblib costs start up time
    """
    # here, so a program that does not use joblib does not load it
    from joblib import register_parallel_backend
    from .Joblib import Joblib

    # register it
    register_parallel_backend("pyre_nexus", Joblib)
    # and hand it over
    return Joblib


# a program that imported joblib before me finds the backend registered
if "joblib" in sys.modules:
    joblib()


# end of file
