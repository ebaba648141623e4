# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import enum


# declaration
class CrewStatus(enum.IntEnum):
    """
    What the worker side says about its own health; the value travels in one byte of every
    registration and report
    """

    # ready for more work
    healthy = 0
    # the process can no longer be trusted, e.g. a task ran out of memory or asked the
    # interpreter to exit; the team retires it after this report and recruits a replacement
    damaged = 1


# end of file
