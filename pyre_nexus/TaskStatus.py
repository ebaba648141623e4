# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import enum


# declaration
class TaskStatus(enum.IntEnum):
    """
    What the worker side says happened to a task; the value travels in one byte of the report
    """

    # the task returned; its result is attached
    completed = 0
    # the task raised a {RecoverableError}: the condition may be temporary, so the team may
    # give it another chance, up to its {retries}
    failed = 1
    # the task raised anything else, or its result could not be sent back; final
    aborted = 2


# end of file
