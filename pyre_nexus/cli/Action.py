# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# the framework
import pyre


# declaration
class Action(pyre.action, family="pyre_nexus.cli"):
    """
    The protocol of the actions of {nexus}: components that the plexus resolves from the first
    word of its command line, by the short names of the foundries in {pyre_nexus.cli}, and
    invokes with the words that follow
    """


# end of file
