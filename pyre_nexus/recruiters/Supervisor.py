# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals: the bare modules, since the watch runs this file in a fresh interpreter, where
# {signal} and {socket}, with the enum they build on, would take longer to import than the rest
# of its start
import _signal
import _socket
import os
import time as _time
import select
import sys


# declaration
class Supervisor:
    """
    The watch over the crews of a team from outside the team's processes: one small process per
    team on each host, a bare interpreter ({python -S -I}) running this file, that holds a pidfd
    of every crew process the team enrolls and, the moment the team is gone, of whatever signal,
    ends each with its process group, so with what its tasks started. Nothing it waits on needs
    the interpreter lock of a worker, which a task may hold for as long as it likes, e.g. in a
    regular expression that backtracks without end

    The team's end shows on its pidfd, and as the end of the socket that carries the enrollments,
    which only the team holds; a {hangup} descriptor, e.g. the stdin of a worker shell under ssh,
    is a third sign. The process is spawned, not forked, so it copies nothing of the team: its
    memory, threads, descriptors, or a GPU or MPI context; it leads a session of its own, out of
    reach of the signals meant for the team's process group, e.g. Ctrl-C; and it leaves with the
    team, or when the team shuts it down
    """

    # how long, in seconds, the team waits for its watch to take a message; the watch reads them
    # as soon as it is up, so only one that is stopped keeps the team waiting
    patience = 5.0

    # interface
    def enroll(self, pid, pidfd):
        """
        Watch the process {pid}, which leads its process group, through its {pidfd}: the watch
        gets a copy, so a reused pid is never taken for it
        """
        # start the watch, or start another if it is gone, which learns of the crews enrolled so far
        if self.pid is None or self.gone():
            self.start()
        # remember it, for a watch that comes later
        self.crews[pid] = pidfd
        # and tell
        self.tell(message=b"+%d" % pid, pidfd=pidfd)
        # all done
        return

    def contain(self, cgroup):
        """
        End every process of the {cgroup}, the directory of a crew's cgroup where it is killed,
        should the team die: what its tasks started that left the crew's process group too
        """
        # start the watch, or start another if it is gone
        if self.pid is None or self.gone():
            self.start()
        # remember it, for a watch that comes later
        self.cgroups.add(cgroup)
        # and tell
        self.tell(message=b"*" + os.fsencode(cgroup))
        # all done
        return

    def release(self, cgroup):
        """
        Forget the {cgroup}, whose processes are gone; call it before it is removed
        """
        # if it was contained, and my watch is still there to hear it
        if cgroup in self.cgroups and self.control is not None:
            self.cgroups.discard(cgroup)
            try:
                self.tell(message=b"/" + os.fsencode(cgroup))
            except OSError:
                pass
        # all done
        return

    def bequeath(self, key, command, environment):
        """
        Should the team die, run {command}, an argv, with {environment}, e.g. to cancel the batch
        jobs it submitted, which no signal reaches; {key} names it for {annul}
        """
        # start the watch, or start another if it is gone
        if self.pid is None or self.gone():
            self.start()
        # the message: the key, the command and the environment, each word ended by a NUL
        words = [key, *command, "", *(f"{name}={value}" for name, value in environment.items())]
        message = b"!" + b"".join(os.fsencode(word) + b"\0" for word in words)
        # remember it, for a watch that comes later
        self.bequests[key] = message
        # and tell
        self.tell(message=message)
        # all done
        return

    def annul(self, key):
        """
        Forget the command bequeathed under {key}, which has no more to do
        """
        # if it was bequeathed, and my watch is still there to hear it
        if self.bequests.pop(key, None) is not None and self.control is not None:
            try:
                self.tell(message=b"~" + os.fsencode(key))
            except OSError:
                pass
        # all done
        return

    def discharge(self, pid):
        """
        Stop watching the process {pid}, which is gone; call it before its pidfd is closed
        """
        # if it was enrolled, and my watch is still there to hear it
        if self.crews.pop(pid, None) is not None and self.control is not None:
            # tell; a watch that is gone or stuck keeps a pidfd of a dead process, which is harmless
            try:
                self.tell(message=b"-%d" % pid)
            except OSError:
                pass
        # all done
        return

    def close(self):
        """
        The team is done with its crews, which its recruiter has ended: end my watch, and reap it
        """
        # if there is none
        if self.pid is None:
            # there is nothing to do
            return
        # end the watch, which has nothing left to do, at once, even if it is still starting up,
        # unless it is gone; a child that is not reaped still holds its pid; first, since a watch
        # that sees my end of the socket close first takes it for my death, and ends what it holds,
        # e.g. a worker shell that is on its way out on its own
        if not self.gone():
            os.kill(self.pid, _signal.SIGKILL)
            os.waitpid(self.pid, 0)
        self.pid = None
        # then let go of my end
        self.control.close()
        self.control = None
        self.crews.clear()
        self.cgroups.clear()
        self.bequests.clear()
        # all done
        return

    # what starts a line of my watch's vouches, on its stderr: no text starts with it
    marker = b"\x1enexus-alive"
    # the largest message to my watch, e.g. a bequest with its environment
    largest = 65536
    # how long, in seconds, my watch waits for the commands bequeathed to it once the team is gone
    executor = 30.0

    # meta-methods
    def __init__(self, hangup=None, vouch=0.0):
        # a descriptor whose hang up means the team is gone, beside the team's own end
        self.hangup = hangup
        # how often, in seconds, my watch vouches on its stderr for the processes it holds; 0
        # for never
        self.vouch = vouch
        # my watch and my end of the socket to it, from my first enrollment on
        self.pid = None
        self.control = None
        # the pidfds of the processes enrolled, by pid, the cgroups contained, and the commands
        # bequeathed, by key
        self.crews = {}
        self.cgroups = set()
        self.bequests = {}
        # all done
        return

    # implementation details - team side
    def start(self):
        """
        Spawn my watch, and tell it of the crews enrolled so far
        """
        # let go of a previous one
        if self.control is not None:
            self.control.close()
        # the socket, whose other end becomes the watch's stdin
        control, end = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
        # the watch's streams: the socket, nothing, and my stderr, for the unexpected
        actions = [
            (os.POSIX_SPAWN_DUP2, end.fileno(), 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        ]
        # with the hang up, if there is one, at its own number, which the watch keeps, or -1, and
        # how often to vouch
        hangup = -1 if self.hangup is None else self.hangup
        command = [sys.executable, "-S", "-I", __file__, str(os.getpid()), str(hangup), repr(self.vouch)]
        if self.hangup is not None:
            actions.append((os.POSIX_SPAWN_DUP2, self.hangup, self.hangup))
        # spawn it: {posix_spawn} copies nothing of my memory, however large
        try:
            self.pid = os.posix_spawn(sys.executable, command, os.environ, file_actions=actions, setsid=True)
        except OSError as error:
            control.close()
            reason = f"cannot start the team's supervisor `{' '.join(command)}`: {error.strerror}"
            raise OSError(error.errno, reason)
        finally:
            end.close()
        # a stuck watch must not hang me
        control.settimeout(self.patience)
        self.control = control
        # tell it what it has to watch
        for pid, pidfd in self.crews.items():
            self.tell(message=b"+%d" % pid, pidfd=pidfd)
        for cgroup in self.cgroups:
            self.tell(message=b"*" + os.fsencode(cgroup))
        for message in self.bequests.values():
            self.tell(message=message)
        # all done
        return

    def gone(self):
        """
        Whether my watch has exited, e.g. killed by somebody; reaps it if so
        """
        # check, without waiting
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return True
        # all done
        return pid != 0

    def tell(self, message, pidfd=None):
        """
        Send my watch {message}, with a copy of {pidfd}, if given
        """
        # the descriptor travels beside the message
        ancillary = []
        if pidfd is not None:
            ancillary.append((_socket.SOL_SOCKET, _socket.SCM_RIGHTS, pidfd.to_bytes(4, sys.byteorder)))
        # send; a watch that is gone is an error, not a signal that ends me
        self.control.sendmsg([message], ancillary, _socket.MSG_NOSIGNAL)
        # all done
        return

    # implementation details - the watch
    @classmethod
    def watch(cls, team, hangup=None, vouch=0.0):
        """
        Watch the team, the process {team}, my parent, which talks to me over my stdin, and end
        every process it enrolled once it is gone, closes its end, or {hangup} hangs up; every
        {vouch} seconds, if not 0, say on my stderr how each of them is, so a team on another
        host can tell a worker whose task holds its interpreter lock from a dead link
        """
        # let go of what the team's process left inheritable, beyond my streams and the hang up
        keep = 2 if hangup is None else hangup
        os.closerange(3, keep)
        os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
        # what i listen to
        control = _socket.socket(fileno=0)
        control.setblocking(False)
        poller = select.poll()
        poller.register(0, select.POLLIN)
        # a hang up shows without reading, so i take nothing from a stream that is not mine
        if hangup is not None:
            poller.register(hangup, select.POLLRDHUP)
        # the team's pidfd; a pid that is still my parent's after it is open is the team's
        try:
            pidfd = os.pidfd_open(team)
        except ProcessLookupError:
            pidfd = None
        alive = pidfd is not None and os.getppid() == team
        if alive:
            poller.register(pidfd, select.POLLIN)
        # the pidfds of the processes enrolled, by pid, the cgroups contained, and the commands
        # bequeathed, by key
        crews = {}
        cgroups = set()
        bequests = {}
        # take in what the team says, until it closes its end or is gone; after its death, what
        # it said before is all there, so it is taken in before i act
        while cls.hear(control=control, crews=crews, cgroups=cgroups, bequests=bequests) and alive:
            # vouch for what i hold
            if vouch:
                cls.testify(crews=crews)
            # wait for the team to say more, or to die, or for the next vouch
            alive = not any(fd != 0 for fd, _ in poller.poll(int(vouch * 1000) if vouch else None))
        # end what is left: the cgroups first, which are the team's whatever their processes
        # became, so what left a process group goes too
        for cgroup in cgroups:
            cls.purge(cgroup=cgroup)
        for pid, crew in crews.items():
            cls.end(pid=pid, pidfd=crew)
        # then run what the team bequeathed, e.g. the cancellation of its batch jobs
        cls.execute(bequests=bequests)
        # all done
        return

    @classmethod
    def hear(cls, control, crews, cgroups, bequests):
        """
        Take in the enrollments and discharges waiting on {control}, the cgroups contained and
        released, and the commands bequeathed and annulled; {False} once the team has closed its end
        """
        # as long as there are any
        while True:
            # read one, with the descriptor that may come with it
            try:
                message, ancillary, _, _ = control.recvmsg(cls.largest, _socket.CMSG_SPACE(4))
            except BlockingIOError:
                return True
            except OSError:
                return False
            # the end of the team's
            if not message:
                return False
            # a command, bequeathed: the key, the argv, and after an empty word the environment
            if message[:1] == b"!":
                words = message[1:-1].split(b"\0")
                end = words.index(b"", 1)
                bequests[words[0]] = (words[1:end], dict(word.split(b"=", 1) for word in words[end + 1 :]))
                continue
            # or annulled
            if message[:1] == b"~":
                bequests.pop(message[1:], None)
                continue
            # a cgroup, contained or released
            if message[:1] in (b"*", b"/"):
                path = os.fsdecode(message[1:])
                if message[:1] == b"*":
                    cgroups.add(path)
                else:
                    cgroups.discard(path)
                continue
            # a pid, enrolled with its pidfd, or discharged
            pid = int(message[1:])
            previous = crews.pop(pid, None)
            if previous is not None:
                os.close(previous)
            for level, kind, data in ancillary:
                if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
                    crews[pid] = int.from_bytes(data[:4], sys.byteorder)

    @classmethod
    def testify(cls, crews):
        """
        Write a line on my stderr with the state of each of the processes {crews}, as the kernel
        has it, e.g. R for running, T for stopped
        """
        # the states
        states = []
        for pid in crews:
            try:
                with open(f"/proc/{pid}/stat", "rb") as stat:
                    states.append(b"%d:%s" % (pid, stat.read().rsplit(b")", 1)[1].split()[0]))
            except (OSError, IndexError):
                states.append(b"%d:X" % pid)
        # in one write, which a pipe keeps whole, and only if it cannot block: a reader that is
        # stuck, e.g. on a frozen host, must not keep me from my watch
        line = b" ".join([cls.marker, *states]) + b"\n"
        try:
            room = select.poll()
            room.register(2, select.POLLOUT)
            if room.poll(0) and len(line) <= select.PIPE_BUF:
                os.write(2, line)
        except OSError:
            pass
        # all done
        return

    @staticmethod
    def purge(cgroup, spare=()):
        """
        End every process of {cgroup}: at once through its cgroup.kill, where cgroup2 has one, or
        by signals until no new one shows, since one that is killed forks no more, to all but the
        processes in {spare}, e.g. the caller, which goes on its own
        """
        # cgroup2, where it has the kill; a v1 hierarchy has no such file, nor may one be made
        kill = os.path.join(cgroup, "cgroup.kill")
        if os.path.exists(kill):
            try:
                with open(kill, "w") as switch:
                    switch.write("1")
            except OSError:
                pass
            return
        # a hierarchy of cgroup v1
        killed = set(spare)
        while True:
            try:
                with open(os.path.join(cgroup, "cgroup.procs")) as procs:
                    fresh = {int(line) for line in procs if line.strip()} - killed
            except OSError:
                return
            if not fresh:
                return
            for pid in fresh:
                try:
                    os.kill(pid, _signal.SIGKILL)
                except ProcessLookupError:
                    pass
            killed |= fresh

    @classmethod
    def execute(cls, bequests):
        """
        Run the commands in {bequests}, all at once, and wait a while for them
        """
        # start them
        started = []
        for command, environment in bequests.values():
            try:
                started.append(os.posix_spawnp(command[0], command, environment))
            except OSError:
                continue
        # wait for them, within my patience, so a scheduler that is slow to answer is waited for
        # but one that hangs does not keep me
        deadline = _time.monotonic() + cls.executor
        while started and _time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid in started:
                started.remove(pid)
            elif pid == 0:
                _time.sleep(0.05)
        # all done
        return

    @staticmethod
    def end(pid, pidfd):
        """
        End the process {pid}, which {pidfd} refers to, with its process group, unless it is gone
        """
        # a process that is not reaped holds its pid, so no other process can lead a group by that
        # number; one that is reaped is no longer mine to signal, nor is its group
        try:
            _signal.pidfd_send_signal(pidfd, 0)
        except ProcessLookupError:
            return
        # its group, which holds what its tasks started; a fork that has not formed it yet has
        # started nothing
        try:
            os.killpg(pid, _signal.SIGKILL)
        except OSError:
            pass
        # and the process itself, wherever it is
        try:
            _signal.pidfd_send_signal(pidfd, _signal.SIGKILL)
        except ProcessLookupError:
            pass
        # all done
        return


# the watch, as the team starts it
if __name__ == "__main__":
    team, hangup, vouch = sys.argv[1:]
    Supervisor.watch(team=int(team), hangup=None if int(hangup) < 0 else int(hangup), vouch=float(vouch))


# end of file
