# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# my superclass
from .Launcher import Launcher
# my parts
from ..exceptions import complain


# declaration
class Hosts(Launcher):
    """
    The base of the launchers that spread their crews over a list of {hosts}, each entry a
    host with the number of crews it takes, e.g. 'node1:4': ssh, and mpi, which declare the
    trait with defaults of their own
    """

    # interface
    def slots(self):
        """
        Parse my {hosts} into a map from each host to the crews it takes
        """
        # go through them
        slots = {}
        for entry in self.hosts:
            # split off the count
            host, _, count = entry.rpartition(":")
            if not host:
                host, count = count, "1"
            # add it up, so a host that is listed twice takes both counts
            slots[host] = slots.get(host, 0) + int(count)
        # all done
        return slots

    # framework hooks
    def pyre_configured(self):
        """
        Check my configuration: the entries of {hosts} must parse, since {slots} counts on it
        """
        # chain up
        yield from super().pyre_configured()
        # go through them
        for entry in self.hosts:
            host, _, count = entry.rpartition(":")
            if not entry or (host and not (count.isdigit() and int(count) > 0)):
                yield str(
                    complain(
                        self,
                        trait="hosts",
                        value=entry,
                        accepted="'host' or 'host:crews' with a positive count, e.g. 'node1:4'",
                    )
                )
        # all done
        return

    # implementation details
    @staticmethod
    def deal(count, room):
        """
        Deal {count} crews out over the hosts in {room}, a map from each host to the crews it
        has room for, one at a time so they spread; returns the crews each host got
        """
        # start with none
        dealt = dict.fromkeys(room, 0)
        room = dict(room)
        # deal
        while count > 0 and any(value > 0 for value in room.values()):
            for host in room:
                if count > 0 and room[host] > 0:
                    room[host] -= 1
                    dealt[host] += 1
                    count -= 1
        # all done
        return dealt


# end of file
