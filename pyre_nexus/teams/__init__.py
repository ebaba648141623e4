# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# the framework
import pyre

# the protocol
from .Team import Team as team


# the implementations, by their short names in configuration files
@pyre.foundry(implements=team, tip="a team that runs a workplan to completion")
def pool():
    """
    A team that runs a workplan to completion
    """
    # get the implementation
    from .Pool import Pool

    # and publish it
    return Pool


@pyre.foundry(implements=team, tip="a standing team with a futures interface")
def staff():
    """
    A standing team with a futures interface, for long lived applications
    """
    # get the implementation
    from .Staff import Staff

    # and publish it
    return Staff


# end of file
