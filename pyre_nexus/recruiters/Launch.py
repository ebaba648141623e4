# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import codecs
import os
import shlex
import signal
import time

# my parts
from .Cgroup import Cgroup
from .Supervisor import Supervisor
from .Vigil import Vigil


# declaration
class Launch:
    """
    One run of a launcher command, e.g. a worker shell, an {ssh} client or {mpirun}, that hosts
    the worker sides of some crews

    The launcher leads a session of its own, so it and everything it starts on this host can be
    signalled together; its stdin and stderr are a pipe to the team: stdin carries the secret,
    where the launcher passes it on, and its end tells the worker shells the team is gone;
    stderr is echoed, and its tail explains a launch that fails
    """

    # how much of the launcher's stderr to keep for error messages
    memory = 2048

    # interface
    def waiting(self):
        """
        The crews whose workers have not connected yet
        """
        return [crew for crew in self.crews if crew.channel is None and crew.starting()]

    def living(self):
        """
        The crews that are not buried yet
        """
        return [crew for crew in self.crews if not crew.reaped()]

    def describe(self):
        """
        The launcher's command, and the last words on its stderr
        """
        # the command
        text = f"`{shlex.join(self.command)}`"
        # and its stderr, if it said anything
        tail = bytes(self.tail).decode(errors="replace").strip()
        if tail:
            text += f", which said: {tail}"
        # all done
        return text

    def sift(self, data):
        """
        Take the vouches of the supervisor of my worker shells out of {data}, what my launcher
        wrote to its stderr, and keep the latest; returns the rest
        """
        # with what was held back of a vouch cut short by the last read
        data, self.held = self.held + data, b""
        # most reads have none
        marker = Supervisor.marker
        if marker not in data:
            return data
        # the rest, piece by piece
        rest = []
        position = 0
        while (start := data.find(marker, position)) >= 0:
            rest.append(data[position:start])
            end = data.find(b"\n", start)
            # a vouch cut short waits for the rest of it
            if end < 0:
                self.held = data[start:]
                return b"".join(rest)
            # when, and the state of each process, by pid; the shells of a launch may have a
            # supervisor each, e.g. the ranks of an MPI job
            now = time.monotonic()
            for entry in data[start + len(marker) : end].split():
                pid, _, state = entry.partition(b":")
                if pid.isdigit():
                    self.vouches[int(pid)] = (now, state.decode(errors="replace"))
            position = end + 1
        rest.append(data[position:])
        return b"".join(rest)

    def hear(self, data):
        """
        The launcher wrote {data} to its stderr: keep the tail
        """
        # add it
        self.tail += data
        # and keep only the end
        del self.tail[: -self.memory]
        # all done
        return

    def signal(self, number):
        """
        Send {number} to the launcher and every process of its session, here
        """
        # once the launcher is reaped its id may belong to another process
        if self.status is not False:
            return
        # the processes of the session, e.g. the ranks {mpirun} puts in groups of their own
        members = self.session()
        # the launcher's group first
        try:
            os.killpg(self.pid, number)
        except ProcessLookupError:
            pass
        # and then the rest
        for pid in members:
            try:
                os.kill(pid, number)
            except ProcessLookupError:
                pass
        # a kill reaches what left the session too, in the launch's cgroup
        if number == signal.SIGKILL:
            self.cgroup.kill()
        # all done
        return

    def session(self):
        """
        The processes in the launcher's session, other than the launcher
        """
        # go through the processes
        members = []
        for entry in os.listdir("/proc"):
            # skip what isn't one
            if not entry.isdigit() or int(entry) == self.pid:
                continue
            # read its session id
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # fields[3] is the session
            if int(fields[3]) == self.pid:
                members.append(int(entry))
        # all done
        return members

    def close(self):
        """
        Let go of the launcher's streams and watch
        """
        # the streams
        if self.streams is not None:
            self.streams.close()
            self.streams = None
        # the watch
        self.vigil.close()
        # and the cgroup, once what is left in it is gone
        self.cgroup.dissolve()
        # all done
        return

    # meta-methods
    def __init__(self, id, host, command, crews, pid, streams):
        # my id, which the worker shells present in their handshake
        self.id = id
        # the host the workers run on, and the command that launched them
        self.host = host
        self.command = command
        # the team side crews i host
        self.crews = crews
        # the launcher process, its streams as a {pyre.ipc.Pipe}, and the watch on its exit
        self.pid = pid
        self.streams = streams
        self.vigil = Vigil(pid=pid)
        # its exit status: {False} while it runs
        self.status = False
        # the cgroup of the launcher and all it starts here, where its recruiter made one; by
        # default, one in no hierarchy, which does nothing
        self.cgroup = Cgroup(parent=None, name="none")
        # the end of its stderr, and the decoder of what it echoes, which keeps a character cut
        # between two reads until it is whole
        self.tail = bytearray()
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        # whether a worker shell of mine passed the handshake, and what i said before that, which
        # is echoed once one does: a launch that fails says it in its failure, once
        self.admitted = False
        self.unsaid = []
        # what the supervisors of my worker shells, if they have them, last said of their crews:
        # when, and the state of each process, by pid; and a vouch cut short by a read
        self.vouches = {}
        self.held = b""
        # the clock of the launch timeout, and of the escalation after a dismissal
        self.alarm = None
        self.escalation = None
        # all done
        return

    def __str__(self):
        return f"launch {self.id.hex()[:8]} on {self.host}"


# end of file
