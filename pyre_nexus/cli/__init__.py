# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
{nexus}, the command line of pyre_nexus: a pyre plexus whose actions are the foundries of this
package, by their short names; {nexus} alone lists them, {nexus <action> --help} explains one
"""

# the framework
import pyre

# the protocol of the actions
from .Action import Action


# the actions, by the names they have on the command line
@pyre.foundry(implements=Action, tip="the versions, and the recruiters this machine can use")
def about():
    """
    The versions of pyre_nexus, pyre and python, and the recruiters this machine can use
    """
    # get the implementation
    from .About import About

    # and publish it
    return About


@pyre.foundry(implements=Action, tip="the configuration of a team and its recruiter, and where it comes from")
def config():
    """
    The configuration of a team and its recruiter, as its application sees it
    """
    # get the implementation
    from .Config import Config

    # and publish it
    return Config


@pyre.foundry(implements=Action, tip="bring up a crew on each host of a recruiter, and probe it")
def check():
    """
    Bring up a crew through a recruiter, on each of its hosts, and run a probe there
    """
    # get the implementation
    from .Check import Check

    # and publish it
    return Check


@pyre.foundry(implements=Action, tip="the worker shell, as the recruiters run it (python -m pyre_nexus)")
def crew():
    """
    The worker shell that hosts the worker sides of crews, as the recruiters run it
    """
    # get the implementation
    from .Crew import Crew

    # and publish it
    return Crew


@pyre.foundry(implements=Action, tip="estimate pi by Monte Carlo, serially and on a team (nexus-demo)")
def demo():
    """
    The demo: a Monte Carlo estimate of pi, serially and on a team of crews
    """
    # get the implementation
    from .Demo import Demo

    # and publish it
    return Demo


# end of file
