# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import functools
import importlib
import os
import pickle
import select
import signal
import socket
import traceback

# my parts
from .Cgroup import Cgroup
from .Process import Process
from .Vigil import Vigil
from ..Wire import Wire
# errors
from ..exceptions import RecruitmentError, Casualty


# declaration
class Forker:
    """
    The server that forks the crews of a team for its {recruiter}, the fork recruiter or one of
    its kind: a process forked from the team's, by {prime} or the first recruitment, from the
    thread that calls it, while no other thread of the team's own runs; it imports the modules
    of its {preload}, and then forks each crew the team asks for, so a crew is a copy of a
    process that has one thread, whose locks nobody else holds, whatever threads the team has
    started since

    The team talks to it over two unix socket pairs of packets. On {control} the team asks and
    the server answers, within {patience} seconds, or within {startup} for its first answer,
    which waits for its preload; a server that does not answer in time is stuck, and killed.
    The descriptors of a crew travel with the request: its channel, the socket beside it, and
    the team's standard output and error; the pidfd of the crew travels with the answer, opened
    before the server could reap it. On {reports} the server says, unasked, that a crew it
    forked has exited, and with what status: the team cannot reap a process it did not fork. The
    server reaps its crews, and only it does, so the signals the team sends to a crew's process
    group go through it: while it has not reaped the crew, the group is the crew's

    The team's end of {control} closes when the team does, or dies, even of SIGKILL: the server
    then kills every crew it forked, with its process group and its cgroup, reaps them, and
    exits; the team's supervisor holds the server and its crews too. A server that dies leaves
    its crews to the team, which learns of their exits from their pidfds, with the statuses the
    server reported before it died, or none; its death is a {RecruitmentError} for the next
    recruitment, which says how it died, and the one after that starts another
    """

    # how long, in seconds, the team waits for its server to answer
    patience = 5.0
    # how long, in seconds, the team waits for a new server to say it is ready: it imports its
    # preload first, which may take a while for a large package
    startup = 60.0
    # the largest message either side sends
    size = 1 << 16

    # interface
    @property
    def inbound(self):
        """
        The descriptor of my reports, for the team's event loop
        """
        return self.reports.fileno()

    @property
    def outbound(self):
        """
        The same descriptor; the team does not write to it
        """
        return self.reports.fileno()

    def begin(self):
        """
        Fork my server now, from the calling thread, unless it is running; a failure is news
        for the next recruitment
        """
        # if there is none, and none failed since the last recruitment
        if self.pid is None and self.death is None:
            # start it
            self.start()
        # all done
        return

    def prepare(self):
        """
        See that my server is up, ready for requests, and watched from the team's event loop;
        raise a {RecruitmentError} that says why not
        """
        # a server that died since the last recruitment is news for this one
        self.tell()
        # start one, if there is none
        if self.pid is None:
            self.start()
            self.tell()
        # a new server says it is ready once it has imported its preload
        if not self.ready:
            answer, _ = self.ask(message=None, patience=self.startup, what="say it is ready")
            # or that it cannot
            if answer[0] != "ready":
                self.fall(reason=answer[1])
                self.tell()
            self.ready = True
        # the team's loop learns of the exits of its crews, and of its own
        if not self.watched:
            dispatcher = self.team.dispatcher
            dispatcher.whenReadReady(channel=self, call=self.hear)
            dispatcher.whenReadReady(channel=self.vigil, call=self.expire)
            self.watched = True
        # all done
        return

    def fork(self, channel, side, cell):
        """
        Have my server fork a crew that talks over the worker's end of {channel}, with the socket
        {side} beside it, in the cgroup {cell}; returns its pid and a pidfd of it
        """
        # the ends of the channel: a socket is both, a pair of pipes is two
        ends = list(dict.fromkeys(Wire._descriptor(end) for end in (channel.inbound, channel.outbound)))
        # the working directory of the team, which the crew starts in, if it is still there
        try:
            here = os.getcwd()
        except OSError:
            here = None
        # ask
        request = ("fork", type(channel), len(ends), cell.sketch(), here)
        answer, descriptors = self.ask(message=request, descriptors=[*ends, side.fileno(), 1, 2], what="fork a crew")
        # a refusal
        if answer[0] != "forked":
            for descriptor in descriptors:
                os.close(descriptor)
            raise RecruitmentError(recruiter=self.recruiter.pyre_name, reason=answer[1])
        # the pid, and the pidfd that came with it
        return answer[1], descriptors[0]

    def adopt(self, crew):
        """
        Watch for the exit of {crew}, which my server forked, through its reports
        """
        self.crews[crew.pid] = crew
        # all done
        return

    def holds(self, crew):
        """
        Whether {crew} is one of mine, forked by my server, or by one that died
        """
        return self.crews.get(crew.pid) is crew or crew in self.orphans

    def signal(self, crew, number):
        """
        Send the signal {number} to the process group of the worker of {crew}, through my server
        while it lives, which knows whether the pid is still the worker's
        """
        # through my server
        if self.pid is not None and self.crews.get(crew.pid) is crew:
            try:
                self.ask(message=("signal", crew.pid, number), what="signal a crew")
                return
            # a server that is gone, or stuck, leaves the crew to me, and is news for the next
            # recruitment
            except RecruitmentError as error:
                self.death = error.reason
        # without it, the pidfd says whether the worker is still there, and so its group
        pidfd = crew.notes.fd if crew.notes is not None else None
        if pidfd is None:
            return
        try:
            signal.pidfd_send_signal(pidfd, 0)
        except OSError:
            return
        try:
            os.killpg(crew.pid, number)
        except OSError:
            pass
        try:
            signal.pidfd_send_signal(pidfd, number)
        except OSError:
            pass
        # all done
        return

    def close(self):
        """
        The team is done: end my server, which kills and reaps what is left of its crews, and
        reap it
        """
        # if there is one
        if self.pid is not None:
            # stop watching it
            self.forget()
            # closing my end of its control is the order to go
            self.control.close()
            self.control = None
            # give it the time to end its crews, then insist; a pid i have not reaped is mine
            if not self.wait(patience=self.patience):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            # and let go of it
            self.team.supervisor.discharge(pid=self.pid)
            self.vigil.close()
            self.reports.close()
            self.pid = None
        # the watches over the crews of a server that died
        for crew in self.orphans:
            self.team.dispatcher.forget(crew.notes)
        self.orphans.clear()
        self.crews.clear()
        self.statuses.clear()
        # a death nobody heard of is moot now
        self.death = None
        # all done
        return

    # meta-methods
    def __init__(self, recruiter, team, preload=()):
        # the recruiter whose crews i fork, and the team whose they are
        self.recruiter = recruiter
        self.team = team
        # the modules my server imports before it forks any crew
        self.preload = list(preload)
        # my server: its pid, my ends of its sockets and the watch over it
        self.pid = None
        self.control = None
        self.reports = None
        self.vigil = None
        # whether it said it is ready, and whether the team's loop watches it
        self.ready = False
        self.watched = False
        # why my last server is gone, until a recruitment hears of it
        self.death = None
        # the crews it forked, by pid, until it reports their exits; the crews of a server that
        # died, which the team watches through their pidfds, and the statuses of the exits a
        # dead server reported but the team had not heard yet, by pid
        self.crews = {}
        self.orphans = set()
        self.statuses = {}
        # all done
        return

    def __str__(self):
        return f"fork server {self.pid} of {self.team}"

    # implementation details - team side
    def start(self):
        """
        Fork my server from the calling thread; a failure is recorded as its death
        """
        # the sockets: my ends, and my server's
        try:
            control, there = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        except OSError as error:
            self.death = f"no control socket for a fork server: {error}"
            return
        try:
            reports, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        except OSError as error:
            control.close()
            there.close()
            self.death = f"no report socket for a fork server: {error}"
            return
        # fork, with the team's objects out of the collector's sight, as a crew is forked: the
        # server never thaws them, so neither it nor its crews copy the team's heap to collect it
        try:
            pid = Process.fork()
        except OSError as error:
            for end in (control, there, reports, theirs):
                end.close()
            self.death = f"cannot fork a fork server: {error}"
            return
        # in the child
        if pid == 0:
            # serve; this never returns
            self.serve(control=there, reports=theirs)
        # in the team
        there.close()
        theirs.close()
        self.pid, self.control, self.reports = pid, control, reports
        self.ready = self.watched = False
        # my server does not outlive the team: it hears the team's end close, and the team's
        # supervisor holds it too, in case it is stuck
        try:
            self.vigil = Vigil(pid=pid)
            self.team.supervisor.enroll(pid=pid, pidfd=self.vigil.fd)
        except OSError as error:
            self.fall(reason=f"cannot watch the fork server: {error} (pidfd_open needs Linux 5.3)")
        # all done
        return

    def ask(self, message, what, descriptors=(), patience=None):
        """
        Send my server {message}, with {descriptors}, unless it is {None}, and wait at most
        {patience} seconds for its answer; returns the answer and the descriptors that came with
        it, or raises a {RecruitmentError} that says why there is none
        """
        # the bound
        patience = self.patience if patience is None else patience
        # carefully, since the server may be gone
        try:
            # send
            if message is not None:
                socket.send_fds(self.control, [pickle.dumps(message)], list(descriptors), socket.MSG_NOSIGNAL)
            # and wait for the answer, in time
            poller = select.poll()
            poller.register(self.control.fileno(), select.POLLIN)
            if not poller.poll(patience * 1000):
                # a server that takes longer is stuck, and of no use
                self.fall(reason=f"the fork server (pid {self.pid}) did not {what} within {patience:g} s", kill=True)
                self.tell()
            data, received, _, _ = socket.recv_fds(self.control, self.size, 4)
        # a server that is gone
        except OSError:
            data, received = b"", []
        # closed its end
        if not data:
            self.fall(reason=None)
            self.tell()
        # all done
        return pickle.loads(data), received

    def tell(self):
        """
        Raise the death of my server as a {RecruitmentError}, if there is news of one
        """
        # if there is none
        if self.death is None:
            # there is nothing to say
            return
        # it is news once
        reason, self.death = self.death, None
        raise RecruitmentError(recruiter=self.recruiter.pyre_name, reason=reason)

    def wait(self, patience):
        """
        Wait at most {patience} seconds for my server to exit; returns whether it did
        """
        poller = select.poll()
        poller.register(self.vigil.fd, select.POLLIN)
        return bool(poller.poll(patience * 1000))

    def forget(self):
        """
        Stop watching my server from the team's loop
        """
        if self.watched:
            self.team.dispatcher.forget(self)
            self.team.dispatcher.forget(self.vigil)
            self.watched = False
        # all done
        return

    def fall(self, reason, kill=False):
        """
        My server is gone, for {reason}, or, with {kill}, must go: reap it, and leave its crews
        to the team; its death is news for the next recruitment
        """
        pid = self.pid
        # a server that closed its end is on its way out, or stuck; with a chance to exit on its
        # own, it tells how it died, and then it goes
        if not kill and self.vigil is not None:
            self.wait(patience=self.patience)
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        status = os.waitstatus_to_exitcode(status)
        # why it is gone
        if reason is None:
            reason = f"the fork server (pid {pid}) of {self.team} {Casualty.cause(status)}"
        # take in what it said before it died
        self.forget()
        while True:
            try:
                data = self.reports.recv(self.size, socket.MSG_DONTWAIT)
            except OSError:
                break
            if not data:
                break
            _, worker, status = pickle.loads(data)
            self.statuses[worker] = status
        # and let go of it
        self.team.supervisor.discharge(pid=pid)
        if self.vigil is not None:
            self.vigil.close()
        self.control.close()
        self.reports.close()
        self.pid = self.control = self.reports = self.vigil = None
        self.ready = False
        self.death = reason
        # nobody reaps its crews for me now: their pidfds tell when they are gone
        for crew in self.crews.values():
            self.orphans.add(crew)
            self.team.dispatcher.whenReadReady(channel=crew.notes, call=functools.partial(self.orphaned, crew=crew))
        self.crews.clear()
        # all done
        return reason

    def hear(self, channel):
        """
        My server reported exits: bury the crews

        N.B.: this is an event handler; careful with its return value
        """
        # as many as there are
        while self.reports is not None:
            # read one
            try:
                data = self.reports.recv(self.size, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return True
            except OSError:
                data = b""
            # the server is gone; the watch over it tells how
            if not data:
                self.team.dispatcher.forget(self)
                return False
            # the crew, and how it ended
            _, pid, status = pickle.loads(data)
            crew = self.crews.pop(pid, None)
            # unless it was dropped for a failed recruitment
            if crew is not None:
                self.recruiter.inter(team=self.team, crew=crew, status=status)
        # my server fell while i buried one
        return False

    def expire(self, channel):
        """
        My server exited: reap it, and leave its crews to the team

        N.B.: this is an event handler; careful with its return value
        """
        # it is news for the next recruitment
        self.fall(reason=None)
        # all done
        return False

    def orphaned(self, channel, crew):
        """
        The worker of {crew}, whose server died, has exited: bury it, with the status its server
        reported before it died, if it did

        N.B.: this is an event handler; careful with its return value
        """
        # stop watching
        self.team.dispatcher.forget(channel)
        self.orphans.discard(crew)
        # and bury it
        self.recruiter.inter(team=self.team, crew=crew, status=self.statuses.pop(crew.pid, None))
        # all done
        return False

    # implementation details - the server
    def serve(self, control, reports):
        """
        Become my server, in the child of the team's fork: import my preload, then fork crews
        on request until the team is gone; never returns
        """
        # assume the worst
        status = 1
        # carefully
        try:
            # cut the ties to the team a worker cuts: its descriptors, its SIGINT, its process group
            self.recruiter.detach(keep={control.fileno(), reports.fileno()})
            # the modules my crews start with
            for name in self.preload:
                try:
                    importlib.import_module(name)
                except BaseException as error:
                    reason = f"the fork server cannot import '{name}': {type(error).__name__}: {error}"
                    socket.send_fds(control, [pickle.dumps(("broken", reason))], [], socket.MSG_NOSIGNAL)
                    return
            # ready
            socket.send_fds(control, [pickle.dumps(("ready", os.getpid()))], [], socket.MSG_NOSIGNAL)
            # serve, until the team is gone
            self.loop(control=control, reports=reports)
            # all good
            status = 0
        # whatever happens
        except BaseException:
            # say what
            traceback.print_exc()
        # and leave, without the team's exit handlers and finalizers
        finally:
            Process.leave(status)

    def loop(self, control, reports):
        """
        Answer the team's requests on {control}, and tell it on {reports} when a crew exits, until
        the team closes its end; then end every crew that is left
        """
        # the crews i forked and have not reaped: their pidfds and cgroups, by pid
        crews = {}
        # the pids, by the descriptors that say they exited
        watches = {}
        # the reports that are waiting for room in the socket, so a team that is slow to read
        # them never keeps me from answering it
        backlog = []
        reports.setblocking(False)
        # what i listen to
        poller = select.poll()
        poller.register(control.fileno(), select.POLLIN)
        poller.register(reports.fileno(), 0)
        # until the team is gone
        while True:
            for fd, events in poller.poll():
                # a request, or the end of the team
                if fd == control.fileno():
                    if not self.answer(control=control, crews=crews, watches=watches, poller=poller):
                        return self.end(crews=crews)
                # room for my reports
                elif fd == reports.fileno():
                    if events & (select.POLLHUP | select.POLLERR):
                        return self.end(crews=crews)
                # a crew that exited
                else:
                    pid = watches.pop(fd)
                    backlog.append(self.reap(pid=pid, crews=crews, poller=poller))
            # send what i can of my reports
            while backlog:
                try:
                    reports.send(pickle.dumps(backlog[0]), socket.MSG_NOSIGNAL)
                except BlockingIOError:
                    break
                except OSError:
                    return self.end(crews=crews)
                backlog.pop(0)
            # and wait for room for the rest
            poller.modify(reports.fileno(), select.POLLOUT if backlog else 0)

    def answer(self, control, crews, watches, poller):
        """
        Answer the request waiting on {control}; {False} once the team has closed its end
        """
        # read it, with its descriptors
        try:
            data, descriptors, _, _ = socket.recv_fds(control, self.size, 16)
        except OSError:
            return False
        # the end of the team
        if not data:
            return False
        # what it asks
        message = pickle.loads(data)
        reply, attached = ("refused", f"the fork server does not know '{message[0]}'"), []
        if message[0] == "fork":
            reply, attached = self.spawn(message=message, descriptors=descriptors, crews=crews, watches=watches)
            for descriptor in attached:
                poller.register(descriptor, select.POLLIN)
        elif message[0] == "signal":
            reply = self.smite(pid=message[1], number=message[2], crews=crews)
        # answer; the pidfd i send is the team's copy, mine stays
        try:
            socket.send_fds(control, [pickle.dumps(reply)], attached, socket.MSG_NOSIGNAL)
        except OSError:
            return False
        # all done
        return True

    def spawn(self, message, descriptors, crews, watches):
        """
        Fork a crew over the {descriptors} that came with the request {message}
        """
        # unpack
        _, kind, count, sketch, here = message
        ends, (side, out, err) = descriptors[:count], descriptors[count:]
        # the worker's end of the channel, as the team's transport made it
        if issubclass(kind, socket.socket):
            channel = kind(socket.AF_UNIX, socket.SOCK_STREAM, 0, fileno=ends[0])
        else:
            channel = kind(infd=ends[0], outfd=ends[1])
        side = socket.socket(fileno=side)
        # its cgroup, which the team made
        cell = Cgroup.drawn(sketch)
        # fork it, as the team forks its crews when it has no server
        try:
            pid = self.recruiter.split(
                team=self.team, channel=channel, side=side, cell=cell, streams=(out, err), here=here, frozen=True
            )
        except RecruitmentError as error:
            pid, reply = None, ("refused", f"in the fork server: {error.reason}")
        # the crew's descriptors are the crew's
        channel.close()
        side.close()
        os.close(out)
        os.close(err)
        # a failed fork
        if pid is None:
            return reply, []
        # watch for its exit; a pidfd opened before i reap it is the crew's, whatever the team
        # does with its copy
        pidfd = os.pidfd_open(pid)
        crews[pid] = (pidfd, cell)
        watches[pidfd] = pid
        # all done
        return ("forked", pid), [pidfd]

    def smite(self, pid, number, crews):
        """
        Send the signal {number} to the process group of my crew {pid}, unless i reaped it
        """
        # a pid i reaped may be somebody else's by now
        if pid not in crews:
            return ("signalled", False)
        # the crew leads its group, unless it has not formed it yet
        try:
            os.killpg(pid, number)
        except ProcessLookupError:
            try:
                os.kill(pid, number)
            except ProcessLookupError:
                pass
        # all done
        return ("signalled", True)

    def reap(self, pid, crews, poller):
        """
        My crew {pid} has exited: end what its tasks left in its group, reap it, and return the
        report of its exit
        """
        # forget it
        pidfd, _ = crews.pop(pid)
        poller.unregister(pidfd)
        os.close(pidfd)
        # while it is a zombie, its pid, and so its group, is still its own
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        # it has exited, so this does not wait
        _, status = os.waitpid(pid, 0)
        # all done
        return ("exit", pid, os.waitstatus_to_exitcode(status))

    def end(self, crews):
        """
        The team is gone, or done: end every crew that is left, with its group and its cgroup,
        and reap them
        """
        # kill them all first
        for pid, (_, cell) in crews.items():
            cell.kill()
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        # then reap them; SIGKILL is not refused, so this is short
        for pid in crews:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        # all done
        return


# end of file
