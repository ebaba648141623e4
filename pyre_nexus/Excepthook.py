# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import os
import sys

# the framework
import journal
from pyre.framework.exceptions import PyreError


# declaration
class Excepthook:
    """
    The end of a pyre application that failed with a framework error, e.g. a team that could not
    recruit, or a name that is no team: pyre's shell says the error on the application's error
    channel, which is fatal, so it raises again from inside its own handler, and the interpreter
    shows both tracebacks after the message. That one is left out: the message is what the user
    needs, and the exit status is 1 as before. With the application's {DEBUG} on, pyre lets the
    error itself through, traceback and all
    """

    # interface
    @classmethod
    def install(cls):
        """
        Stand in front of the interpreter's hook, once
        """
        # unless i am there already
        if not isinstance(sys.excepthook, cls):
            sys.excepthook = cls(chain=sys.excepthook)
        # all done
        return

    def said(self, kind, error, traceback):
        """
        Whether {error} is the one pyre's shell raises from its handler, after it said the
        framework error it caught
        """
        # the fatal channel's exception, about a framework error
        if not (issubclass(kind, journal.exceptions.ApplicationError) and isinstance(error.__context__, PyreError)):
            return False
        # raised right where the shell says it
        while traceback.tb_next is not None:
            traceback = traceback.tb_next
        return traceback.tb_frame.f_code.co_filename.endswith(self.shell)

    # where pyre's shell says the errors it catches
    shell = os.path.join("pyre", "shells", "Script.py")

    # meta-methods
    def __init__(self, chain):
        # the hook i stand in front of
        self.chain = chain
        # all done
        return

    def __call__(self, kind, error, traceback):
        # what was said already ends quietly
        if traceback is not None and self.said(kind, error, traceback):
            return
        # everything else, as before
        return self.chain(kind, error, traceback)


# end of file
