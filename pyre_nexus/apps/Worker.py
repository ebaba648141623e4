# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import ctypes
import hmac
import os
import select
import signal
import socket
import ssl
import sys
import threading
import time

# the framework
import journal
import pyre
from pyre.ipc.SocketTCP import SocketTCP

# my package
from ..Crew import Crew
from ..Dispatcher import seconds
from ..Gate import Gate
from ..Handshake import Handshake
from ..Wire import Wire
from ..SocketTLS import SocketTLS
from ..exceptions import Casualty
from ..recruiters.Cgroup import Cgroup
from ..recruiters.Process import Process
from ..recruiters.Supervisor import Supervisor


# the kernel's way to have a child killed when its parent dies (linux/prctl.h)
PR_SET_PDEATHSIG = 1


# declaration
class Worker(pyre.application, family="pyre_nexus.apps.worker", namespace="pyre_nexus"):
    """
    The worker shell: hosts the worker sides of {crews} crews of a team in another process,
    on this host or another, each in a process of its own with an event loop of its own

    Recruiters start it as {python -m pyre_nexus}. Each crew dials the team's gate, passes the
    handshake with the team's secret, which arrives in the environment variable
    PYRE_NEXUS_SECRET or, with {stdin}, on the first line of stdin, and works until dismissed.
    A worker never outlives its team: it dies when its channel closes or fails, even in the
    middle of a task, and, with {stdin}, when its stdin ends. Its tasks never see that stdin:
    theirs is /dev/null, which ends at once. It beats every {heartbeat}, from a thread, so the
    team can tell a busy worker from a frozen one. With {memory}, no crew maps more than that,
    and a task that runs its crew out of memory ends it
    """

    # user configurable state
    team = pyre.properties.inet()
    team.doc = "the address of the team's gate, host:port"

    launch = pyre.properties.str(default="")
    launch.doc = "the id of my launch, as my recruiter gave it"

    crews = pyre.properties.int(default=1)
    crews.doc = "how many crews to host, each in a process of its own"

    stdin = pyre.properties.bool(default=False)
    stdin.doc = "read the team's secret from the first line of stdin, and leave when stdin ends"

    supervise = pyre.properties.bool(default=False)
    supervise.doc = (
        "start a supervisor beside my crews that ends them, and what their tasks started, when "
        "i die or, with stdin, when stdin ends, even while a task holds the interpreter, and "
        "that vouches for them on my stderr every heartbeat; for hosts the team's own "
        "supervisor does not reach"
    )

    fork = pyre.properties.bool(default=False)
    fork.doc = "host even a single crew in a process of its own, so this one always exits with a status"

    timeout = pyre.properties.dimensional(default=30 * pyre.units.SI.second)
    timeout.doc = "how long to try to reach the team and pass its handshake"

    heartbeat = pyre.properties.dimensional(default=5 * pyre.units.SI.second)
    heartbeat.doc = "how often to tell the team i am alive, and to probe an idle link to it"

    memory = pyre.properties.int(default=0)
    memory.doc = (
        "the most memory, in bytes, each crew may use: its resident memory in a cgroup with a "
        "memory controller, else what it may map (its address space); 0 for no limit"
    )

    cgroups = pyre.properties.bool(default=False)
    cgroups.doc = (
        "put each crew in a cgroup of its own, where this host lets me make them, so killing a "
        "crew kills all its processes, and {memory} and {pids} hold for all of them"
    )

    pids = pyre.properties.int(default=0)
    pids.doc = "the most processes and threads each crew may have, in its cgroup; 0 for no limit"

    authority = pyre.properties.str(default="")
    authority.doc = "the certificates that vouch for the team's; when set, the channel is TLS"

    # the environment variable with the secret
    variable = "PYRE_NEXUS_SECRET"
    # how long a worker whose team closed its channel gets to leave on its own
    farewell = 1.0

    # obligations
    @pyre.export
    def main(self, *args, **kwds):
        """
        Host my crews
        """
        # check what i was told
        try:
            secret = self.secret()
            launch = bytes.fromhex(self.launch)
            if len(launch) != Handshake.launch:
                raise ValueError(f"a launch id is {2 * Handshake.launch} hex digits")
            if self.crews < 1:
                raise ValueError(f"crews must be at least 1, not {self.crews}")
            if self.memory < 0 or 0 < self.memory <= Process.mapped():
                raise ValueError(
                    f"the memory limit of {Casualty.size(self.memory)} leaves a crew no room: it "
                    f"maps {Casualty.size(Process.mapped())} when it starts"
                )
        except ValueError as error:
            return self.fail(f"bad invocation: {error}")
        # lead a process group, so the processes my tasks start end with me; a session leader,
        # e.g. under ssh, leads one already
        try:
            os.setpgid(0, 0)
        except OSError:
            pass
        # my stdin, if it is how the team's end shows, moves out of the way of my tasks, which
        # would otherwise wait on it for as long as the team lives; theirs ends at once
        lifeline = os.dup(0) if self.stdin else None
        Process.unplug()
        # the cgroup of my crews, where i make them and this host lets me; one in no hierarchy,
        # which does nothing, otherwise
        group = Cgroup.team(memory=self.memory, pids=self.pids) if self.cgroups else Cgroup(parent=None, name="off")
        # a single crew is served right here, unless i must outlive it: some launchers, e.g.
        # MPICH's mpiexec, end a whole job when one of its processes is killed by a signal; or
        # unless it has a cgroup, which i remove once it is done
        if self.crews == 1 and not self.fork and not group.places:
            # with a watch on stdin, if that is how the team's end shows
            if self.stdin:
                threading.Thread(target=self.watchStdin, args=(lifeline,), daemon=True).start()
            # and one from outside, over me
            try:
                supervisor = self.oversee(pids=[os.getpid()], lifeline=lifeline)
            except OSError as error:
                return self.fail(f"cannot supervise my crew: {error}")
            # work, then let the supervisor go, so it does not take my leaving for my team's end
            try:
                return self.serve(secret=secret, launch=launch)
            finally:
                supervisor.close()
        # several, or one with {fork}, get processes of their own, so one that is killed leaves
        # the others, and me, alone
        children = []
        cells = []
        shell = os.getpid()
        for _ in range(self.crews):
            # the crew's cgroup
            try:
                cell = group.crew()
            except OSError as error:
                return self.fail(f"cannot make a crew's cgroup in {group}: {error}")
            cells.append(cell)
            pid = os.fork()
            if pid == 0:
                # lead my own group, and die with the shell, unless it died before i asked
                os.setpgid(0, 0)
                ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
                if os.getppid() != shell:
                    os._exit(1)
                # into my cgroup, before i take a task
                try:
                    cell.admit(pid=os.getpid())
                except OSError as error:
                    os._exit(self.fail(f"cannot put a crew in {cell}: {error}"))
                os._exit(self.serve(secret=secret, launch=launch, confined=bool(cell.memory)))
            children.append(pid)
        # the supervisor watches them, and their cgroups, from outside; if there can be none,
        # they die with me
        try:
            supervisor = self.oversee(pids=children, lifeline=lifeline, cells=cells)
        except OSError as error:
            return self.fail(f"cannot supervise my crews: {error}")
        # the shell watches stdin, if that is how the team's end shows
        if self.stdin:
            threading.Thread(target=self.watchStdin, args=(lifeline,), daemon=True).start()
        # and waits for its crews
        status = 0
        for pid in children:
            try:
                _, code = os.waitpid(pid, 0)
            except ChildProcessError:
                continue
            status = status or int(os.waitstatus_to_exitcode(code) != 0)
        # they are gone, so their supervisor goes too, and their cgroups
        supervisor.close()
        group.dissolve()
        # all done
        return status

    # implementation details
    def secret(self):
        """
        Get the team's secret, and keep it from the processes my tasks start
        """
        # from stdin, up to the end of the line; read byte by byte, so nothing past it is
        # taken from the stream the watch reads
        if self.stdin:
            line = b""
            while not line.endswith(b"\n"):
                byte = os.read(0, 1)
                if not byte:
                    raise ValueError("stdin ended before the secret arrived")
                line += byte
            text = line.decode().strip()
        # or from the environment
        else:
            text = os.environ.pop(self.variable, "")
        # check it
        if not text:
            raise ValueError(f"no secret: set {self.variable}, or pass it on stdin with --stdin")
        return bytes.fromhex(text)

    def oversee(self, pids, lifeline, cells=()):
        """
        With {supervise}, start a supervisor that ends the processes {pids}, each the leader of
        its process group, when my stdin ends, or when i die; returns it, to be closed once they
        are done, since the end of the supervisor's object, like mine, ends them
        """
        # without {supervise}, there is nobody to start
        if not self.supervise:
            return Supervisor()
        # otherwise, the supervisor watches for the hang up of my stdin, if it is how the
        # team's end shows, on a copy of the {lifeline} it was moved to, and vouches for my crews
        hangup = os.dup(lifeline) if self.stdin else None
        supervisor = Supervisor(hangup=hangup, vouch=seconds(self.heartbeat))
        for pid in pids:
            supervisor.enroll(pid=pid, pidfd=os.pidfd_open(pid))
        # and the cgroups of {cells}, whose processes it ends too
        for cell in cells:
            if cell.reach() is not None:
                supervisor.contain(cgroup=cell.reach())
        # all done
        return supervisor

    def serve(self, secret, launch, confined=False):
        """
        Connect a crew to the team and work until dismissed, within my {memory} unless its cgroup
        holds that limit, which is {confined}; returns the exit status
        """
        # reach the team
        try:
            channel = self.connect(secret=secret, launch=launch)
        except ConnectionError as error:
            return self.fail(str(error))
        # build the worker side, whose channel my heartbeat shares
        crew = Crew(pid=os.getpid(), channel=channel)
        crew.lock = threading.Lock()
        # within its memory, unless its cgroup holds that limit, which is {confined}
        if self.memory and not confined:
            Process.confine(crew=crew, memory=self.memory)
        # the watch over the channel, which ends me if the team goes while a task runs
        done = threading.Event()
        threading.Thread(target=self.watchChannel, args=(channel, done), daemon=True).start()
        # register
        crew.register()
        # and beat, so the team can tell me from a frozen host even while a task runs
        threading.Thread(target=self.beat, args=(crew, done), daemon=True).start()
        # work
        crew.run()
        # then let go, flushing what is left
        crew.resign()
        done.set()
        # all done
        return 0

    def connect(self, secret, launch):
        """
        Dial the team and pass its handshake; returns the channel
        """
        # the address and the time i have
        address = (self.team.host, self.team.port)
        where = f"{self.team.host}:{self.team.port}"
        deadline = time.monotonic() + seconds(self.timeout)
        # dial
        try:
            connection = socket.create_connection(address, timeout=seconds(self.timeout))
        except OSError as error:
            raise ConnectionError(f"cannot reach the team at {where}: {error}")
        # the handshake
        try:
            # secure the channel first, if the team does TLS
            if self.authority:
                connection = self.secure(connection=connection, deadline=deadline)
            # the team's challenge
            challenge = self.receive(connection, Handshake.challenge, deadline)
            # my answer
            proof, answer = Handshake.respond(secret=secret, challenge=challenge, launch=launch)
            connection.sendall(answer)
            # and the team's proof
            theirs = self.receive(connection, Handshake.proof, deadline)
        except EOFError:
            connection.close()
            raise ConnectionError(f"the team at {where} refused the handshake: is the secret right?")
        except ssl.SSLError as error:
            connection.close()
            raise ConnectionError(f"the TLS handshake with the team at {where} failed: {error}")
        except (OSError, ValueError) as error:
            connection.close()
            raise ConnectionError(f"the handshake with the team at {where} failed: {error}")
        # a team that cannot prove it holds the secret is not my team
        if not hmac.compare_digest(proof, theirs):
            connection.close()
            raise ConnectionError(f"the peer at {where} failed to prove it is the team")
        # tune the link
        connection.settimeout(None)
        Gate.tune(channel=connection, heartbeat=seconds(self.heartbeat))
        # a TLS channel is a pyre channel already
        if self.authority:
            return connection
        # a plain one is wrapped up as one
        return SocketTCP(socket.AF_INET, socket.SOCK_STREAM, fileno=connection.detach())

    def secure(self, connection, deadline):
        """
        Wrap {connection} in TLS, checking the team's certificate against my {authority}
        """
        # the context
        try:
            context = SocketTLS.context(authority=self.authority)
        except (OSError, ValueError) as error:
            raise ConnectionError(f"cannot load the authority {self.authority!r}: {error}")
        # the handshake, before the deadline
        connection.settimeout(max(0.001, deadline - time.monotonic()))
        return context.wrap_socket(connection)

    @staticmethod
    def receive(connection, size, deadline):
        """
        Read exactly {size} bytes from {connection} before {deadline}
        """
        # collect
        data = b""
        while len(data) < size:
            # the time left
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the team went quiet")
            connection.settimeout(left)
            # read
            chunk = connection.recv(size - len(data))
            if not chunk:
                raise EOFError()
            data += chunk
        # all done
        return data

    def watchChannel(self, channel, done):
        """
        End my process group when the team closes my channel, or it fails, unless i leave on my
        own first
        """
        # wait for the hang up, without taking anything from the stream
        poller = select.poll()
        poller.register(channel.fileno(), select.POLLRDHUP | select.POLLHUP | select.POLLERR)
        while not poller.poll():
            pass
        # a dismissal ends with the team closing the channel; give me a moment to go quietly
        if done.wait(self.farewell):
            return
        # otherwise, the team is gone or wants me gone, and my task is still running
        self.end()

    def beat(self, crew, done):
        """
        Tell the team i am alive every {heartbeat}, whatever my crew is doing, until i am done
        """
        # the interval
        interval = seconds(self.heartbeat)
        # until i am done
        while not done.wait(interval):
            # the wire, which is gone once my crew has let go of its channel
            wire = crew.wire
            if wire is None:
                return
            # beat
            wire.post(kind=Wire.BEAT)
            try:
                wire.flush()
            # a channel that fails is the watch's business
            except OSError:
                return

    def watchStdin(self, lifeline):
        """
        End my process group when my stdin, now at the descriptor {lifeline}, ends: my
        launcher, or the team, is gone
        """
        # drain it to the end
        while os.read(lifeline, 4096):
            pass
        # and go
        self.end()

    @staticmethod
    def end():
        """
        End my process group, with me in it, and my crew's cgroup, if its recruiter made one
        """
        # flush what i said
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        # and go, with everything my tasks started, wherever it moved
        try:
            Cgroup.mine().kill()
        finally:
            os.killpg(0, signal.SIGKILL)

    def fail(self, message):
        """
        Say why i cannot work, on stderr, where my recruiter looks; returns the exit status
        """
        # say it
        print(f"nexus worker on {socket.gethostname()}: {message}", file=sys.stderr, flush=True)
        # and give the status
        return 2


# the entry point
def main():
    """
    Run the worker shell with the command line
    """
    # build it
    app = Worker(name="nexus-worker")
    # and run it
    try:
        return app.run()
    # pyre has shown the error on the application's fatal channel
    except journal.ApplicationError:
        return 2


# end of file
