# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import os


# declaration
class Vigil:
    """
    A watch over a local child process: a channel, in the sense of {pyre.ipc}, that becomes
    readable when the process exits, so the event loop learns of every exit, reaps it and gets
    its status without ever blocking in {waitpid}; or over a process that is not a child, e.g.
    a crew forked by a fork server, whose exit it shows but whose status is its parent's
    """

    # interface
    @property
    def inbound(self):
        """
        The descriptor to watch
        """
        return self.fd

    @property
    def outbound(self):
        """
        The same descriptor; there is nothing to write
        """
        return self.fd

    def reap(self):
        """
        Collect the exit status of my process: {(True, status)} once it has exited, where the
        status is the exit code, minus the number of the signal that killed it, or {None} if
        somebody else reaped it; {(False, None)} while it is still running
        """
        # carefully
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        # if somebody else reaped it, its status is lost
        except ChildProcessError:
            return True, None
        # still running
        if pid == 0:
            return False, None
        # decode
        return True, os.waitstatus_to_exitcode(status)

    def close(self):
        """
        Release the descriptor
        """
        # if i still hold it
        if self.fd is not None:
            # let it go
            os.close(self.fd)
            self.fd = None
        # all done
        return

    # meta-methods
    def __init__(self, pid, fd=None):
        # save the process id
        self.pid = pid
        # and watch it, through the pidfd {fd} if i am given one, e.g. by the parent of a process
        # that is not mine, which opened it before it could reap the process
        self.fd = os.pidfd_open(pid) if fd is None else fd
        # all done
        return

    def __str__(self):
        return f"vigil over {self.pid}"


# end of file
