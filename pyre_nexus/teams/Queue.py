# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import bisect
import collections


# declaration
class Queue:
    """
    The tasks of a team that wait for a crew: the highest {priority} first, and first in, first
    out among equals; a task put back, e.g. to run again, goes first among its equals

    A deque per priority, and the priorities that have waiting tasks, highest first: a team
    whose tasks all have the same priority, the common case, pays for one deque and a lookup
    """

    # interface
    def append(self, task):
        """
        Queue {task} behind those of its priority
        """
        # its lane
        self.lane(task.priority).append(task)
        self.size += 1
        # all done
        return

    def appendleft(self, task):
        """
        Queue {task} ahead of those of its priority
        """
        # its lane
        self.lane(task.priority).appendleft(task)
        self.size += 1
        # all done
        return

    def popleft(self):
        """
        The next task: the first of the highest priority
        """
        # the lane of the highest priority
        priority = self.order[0]
        lane = self.lanes[priority]
        task = lane.popleft()
        self.size -= 1
        # an empty lane goes, unless it is the only one, which is kept for the next task
        if not lane and len(self.order) > 1:
            del self.lanes[priority]
            del self.order[0]
        # all done
        return task

    # meta-methods
    def __init__(self):
        # the lanes, by priority, and the priorities, highest first, as negated for bisect
        self.lanes = {}
        self.order = []
        # how many tasks wait
        self.size = 0
        # all done
        return

    def __len__(self):
        return self.size

    def __bool__(self):
        return self.size > 0

    def __iter__(self):
        # the lanes, highest first
        for priority in self.order:
            yield from self.lanes[priority]

    # implementation details
    def lane(self, priority):
        """
        The deque of the tasks of {priority}, made if there is none
        """
        # if it is there
        lane = self.lanes.get(priority)
        if lane is not None:
            # use it
            return lane
        # otherwise, make it, and place its priority among the others, highest first
        lane = self.lanes[priority] = collections.deque()
        position = bisect.bisect_left([-each for each in self.order], -priority)
        self.order.insert(position, priority)
        # a lone lane that was kept empty goes
        if len(self.order) == 2:
            other = self.order[1 - position]
            if not self.lanes[other]:
                del self.lanes[other]
                self.order.remove(other)
        # all done
        return lane


# end of file
