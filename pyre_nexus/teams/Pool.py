# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# the framework
import pyre

# my base class
from .Foreman import Foreman


# declaration
class Pool(Foreman, family="pyre_nexus.teams.pool"):
    """
    A team that runs a workplan to completion

    The workplan is a sequence of tasks, {Task} instances or callables that take no arguments;
    equal tasks run as many times as they appear. {run} returns one finished future per task,
    in workplan order, once every task has its outcome and every crew is gone
    """

    # interface
    def assemble(self, workplan, **kwds):
        """
        Add the tasks in {workplan} to the work; returns their futures, in order
        """
        # a pool that ran already takes work again
        self.closed = False
        # queue the tasks
        futures = [self.enqueue(fn=task) for task in workplan]
        # remember them
        self.workplan.extend(futures)
        # and hand them back
        return futures

    @pyre.export
    def run(self, **kwds):
        """
        Carry out the workplan; returns its futures, all of them done
        """
        # get the workplan
        workplan, self.workplan = self.workplan, []
        # show its progress, on a terminal
        gauge = self.gauge(futures=workplan, label=str(self))
        # close the team, so the crews leave when the work is done
        try:
            self.shutdown(wait=True)
        # and end the display, however that went
        finally:
            self.ungauge(gauge)
        # and hand over the outcomes
        return workplan

    # the calls of a staff, which a pool does not make, and what it does instead
    missing = {"submit", "map", "wait", "as_completed", "options"}
    instead = "a pool runs a workplan: assemble() then run(); {name} is a staff's; set team=staff"

    # meta-methods
    def __init__(self, **kwds):
        # chain up
        super().__init__(**kwds)
        # the futures of the tasks assembled since the last run
        self.workplan = []
        # all done
        return


# end of file
