# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import selectors


# declaration
class Relay:
    """
    Runs the passes of several {Dispatcher} instances at once, for a caller that waits for the
    futures of several teams, each with an event loop of its own

    {step} has the signature and the meaning of {Dispatcher.step}: it waits for the first of
    the dispatchers to have an event or a due alarm, watching their kernel selectors, which are
    readable whenever a descriptor they watch has an event, and then runs a pass of each that
    does not wait
    """

    # interface
    def step(self, timeout=None):
        """
        Wait at most {timeout} seconds for events in any of my dispatchers, then run a pass of
        each; return {False} when none of them has anything left to wait for
        """
        # the dispatchers that watch descriptors, and the seconds to the soonest alarm
        watching = []
        due = None
        for dispatcher in self.dispatchers:
            if dispatcher._read or dispatcher._write:
                watching.append(dispatcher)
            alarm = dispatcher.poll()
            if alarm is not None and (due is None or alarm < due):
                due = alarm
        # if there is nothing to watch and no alarm
        if not watching and due is None:
            # say so
            return False
        # wait no longer than both the caller and the alarms allow
        if due is not None and (timeout is None or due < timeout):
            timeout = due
        # for the first selector with an event; built for each pass, since a dispatcher that is
        # closed by one of its handlers gets a new selector
        with selectors.DefaultSelector() as selector:
            for dispatcher in watching:
                selector.register(dispatcher._selector.fileno(), selectors.EVENT_READ)
            selector.select(timeout=timeout)
        # then run a pass of each, which handles what arrived and the alarms that came due
        for dispatcher in self.dispatchers:
            dispatcher.step(timeout=0)
        # all done
        return True

    # meta-methods
    def __init__(self, dispatchers):
        # save
        self.dispatchers = dispatchers
        # all done
        return


# end of file
