# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# the framework
import pyre


# the applications that ship with the package
@pyre.foundry(implements=pyre.application, tip="estimate pi by Monte Carlo, serially and on a team")
def demo():
    """
    The demo: a Monte Carlo estimate of pi, serially and on a team of crews
    """
    # get the implementation
    from .Demo import Demo

    # and publish it
    return Demo


# end of file
