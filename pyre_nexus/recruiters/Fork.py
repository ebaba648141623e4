# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import functools
import math
import os
import select
import signal
import socket
import sys
import threading
import time
import traceback
import weakref
# the kill that {Fork.signal} passes on to a crew's cgroup, whose argument hides the module
from signal import SIGKILL

# the framework
import pyre

# my protocol
from .Recruiter import Recruiter
# the cgroups of crews
from .Cgroup import Cgroup
# what a worker's process is allowed
from .Process import Process
# the watch over my children
from .Vigil import Vigil
# the server that forks the crews of a team with threads of its own
from .Forker import Forker
# the descriptors behind a channel
from ..Wire import Wire
# errors
from ..exceptions import RecruitmentError, Casualty, Misconfigured, complain, configured
from ..Unclaimed import Unclaimed
# the framework's parts i check values against
from pyre.units.Dimensional import Dimensional
from pyre.components.exceptions import ResolutionError
from ..Dispatcher import seconds


# declaration
class Fork(pyre.component, family="pyre_nexus.recruiters.fork", implements=Recruiter):
    """
    Recruit crews by forking the team's process

    The worker is a copy of the team at the moment of recruitment, so it needs nothing
    importable by name. The child lets go of every descriptor it inherited except its channel,
    the socket beside it that carries shared memory, and the standard output and error; its
    stdin is /dev/null, so a task that reads it sees its end rather than wait on the team's
    terminal or take what was typed there. It ignores the team's SIGINT, and leads its own
    process group so the processes its tasks start die with it. A thread of the worker waits
    for the team's end of its side channel to close, which it does when the team dies, even of
    SIGKILL, and ends the group if the worker has not left within twice {grace}, by when a team
    that lives has escalated: neither the worker nor what its tasks started outlives its team.
    With {memory}, the worker cannot map more than that; a task that runs it out of memory ends
    the crew, and is a {Casualty} that names the limit

    Where this host lets the team make cgroups, and {cgroups} is 'auto', each crew gets one, and
    its worker is in it before it takes a task: killing the crew kills every process in it,
    whatever process group or session it moved to; {memory} is then the resident memory of the
    whole crew, which the kernel's out of memory killer enforces, where a memory controller is
    there; and {pids} limits its processes and threads, a task that runs into it ends the crew
    and is a {Casualty} that names it. Where there are none, or with 'off', none of that

    A fork copies the locks of the process's other threads as they are, held or not, and a
    crew that then needs one waits forever. So a team that is about to start a thread of its
    own calls {prime}, and from then on its crews are forked by a server, a {Forker}, that was
    forked from the team while it had one thread; every promise above still holds. A team whose
    loop is the host's, with no thread of its own, forks its crews directly
    """

    # what building me with values i cannot use raises: pyre's, said as it is raised
    ConfigurationError = Misconfigured

    # user configurable state
    transport = pyre.ipc.transport()
    transport.doc = "the channel between the two sides of a crew: pipe, or socket for a unix socket pair"

    grace = pyre.properties.dimensional(default=1 * pyre.units.SI.second)
    grace.doc = (
        "how long a dismissed worker gets to leave before SIGTERM, and then SIGKILL; a worker "
        "whose team is gone gets twice as long before it kills its process group"
    )

    memory = pyre.properties.int(default=0)
    memory.doc = (
        "the most memory, in bytes, each crew may use, e.g. 2**30: resident, where crews get "
        "cgroups with a memory controller, else what each worker may map (its address space); "
        "a task that needs more ends its crew, and is a casualty; 0 for no limit"
    )

    pids = pyre.properties.int(default=0)
    pids.doc = (
        "the most processes and threads each crew may have at once, its worker's own included, "
        "where crews get cgroups with a pids controller; a task that runs into it, e.g. a fork "
        "bomb, ends its crew, and is a casualty; at least 16, or 0 for no limit"
    )

    cgroups = pyre.properties.str(default="auto")
    cgroups.doc = (
        "'auto' puts each crew in a cgroup of its own where this host lets the team make them "
        "(see `nexus about`), so killing a crew kills all its processes, and {memory} and {pids} "
        "hold for all of them; 'off' for none"
    )

    # interface
    @pyre.export
    def recruit(self, team, count):
        """
        Fork {count} crews for {team}
        """
        # make them
        return [self.deploy(team=team) for _ in range(count)]

    def deploy(self, team):
        """
        Fork one crew for {team}
        """
        # the server that forks the team's crews, if they go through one, up and ready
        server = None
        if self.served(team=team):
            server = self.forker(team=team)
            server.prepare()
        # the cgroup of the team's crews, which has no hierarchies where they get none
        group = Cgroup.of(recruiter=self, team=team)
        # a forked worker starts with what its parent maps, or with what it has resident where a
        # cgroup holds the limit, so a limit below that leaves it no room
        resident = group.memory > 0
        floor = Process.mapped(field="VmRSS" if resident else "VmSize", pid="self" if server is None else server.pid)
        if self.memory and self.memory <= floor:
            parent = "team" if server is None else "fork server"
            raise RecruitmentError(
                recruiter=self.pyre_name,
                reason=f"its memory limit of {Casualty.size(self.memory)} is less than the "
                f"{Casualty.size(floor)} the {parent} {'has resident' if resident else 'maps'}, which a "
                f"forked worker starts with; raise '{self.pyre_name}.memory'",
            )
        # the crew's own cgroup
        try:
            cell = group.crew()
        except OSError as error:
            raise RecruitmentError(recruiter=self.pyre_name, reason=f"cannot make the crew's cgroup in {group}: {error}")
        # make the channel
        try:
            parent, child = self.transport.open()
        except OSError as error:
            cell.dissolve()
            raise RecruitmentError(recruiter=self.pyre_name, reason=f"no channel: {error}")
        # and the unix socket pair beside it, for the descriptors of shared memory
        try:
            side, twinside = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        except OSError as error:
            parent.close()
            child.close()
            cell.dissolve()
            raise RecruitmentError(recruiter=self.pyre_name, reason=f"no side channel: {error}")
        # fork the worker, here or in the server, which hands back a pidfd of it as well
        try:
            if server is None:
                pid, pidfd = self.split(team=team, channel=child, side=twinside, cell=cell), None
            else:
                pid, pidfd = server.fork(channel=child, side=twinside, cell=cell)
        # if that fails
        except RecruitmentError:
            # clean up
            for channel in (parent, child, side, twinside):
                channel.close()
            cell.dissolve()
            # and complain
            raise
        # the child's ends belong to the child
        child.close()
        twinside.close()
        # build the team side of the crew
        crew = team.crew(pid=pid, channel=parent, timer=team.timer)
        crew.side = side
        # watch for the exit of the child, here and from the team's supervisor, which ends it
        # with the team even while a task holds its interpreter
        vigil = None
        try:
            vigil = Vigil(pid=pid, fd=pidfd)
            team.supervisor.enroll(pid=pid, pidfd=vigil.fd)
            # and what its tasks start, whatever process group they move to
            if cell.reach() is not None:
                team.supervisor.contain(cgroup=cell.reach())
        # without the watch, a child could leave unnoticed, or outlive the team
        except OSError as error:
            # so it goes: my child now, or the server's, through the pidfd, which is the
            # worker's whatever happened to it since
            if server is None:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            else:
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            if vigil is not None:
                vigil.close()
            elif pidfd is not None:
                os.close(pidfd)
            parent.close()
            side.close()
            cell.dissolve()
            raise RecruitmentError(
                recruiter=self.pyre_name, reason=f"cannot watch the worker: {error} (pidfd_open needs Linux 5.3)"
            )
        crew.notes = vigil
        self.cells[crew] = cell
        # my own child tells me itself that it exited; the server reports the exits of its own
        if server is None:
            team.dispatcher.whenReadReady(
                channel=vigil, call=functools.partial(self.expire, team=team, crew=crew)
            )
        else:
            server.adopt(crew=crew)
        # and join the team
        crew.join(team=team)
        # all done
        return crew

    def split(self, team, channel, side, cell, streams=None, here=None, frozen=False):
        """
        Fork the worker of a crew of {team} that talks over the worker's end of {channel}, with
        {side} beside it, in the cgroup {cell}; returns its pid. Both the team and the fork server
        of a team fork their crews here; the server passes on the team's standard output and
        error, {streams}, and its working directory, {here}, and says its objects are {frozen}
        """
        # build the worker side here: pyre's component machinery run in the child would touch,
        # and so copy, pages of the parent's heap; a child that inherits it built pays nothing
        twin = team.crew(pid=None, channel=channel, timer=team.timer)
        twin.side = side
        twin.dispatcher
        # fork, with the parent's objects out of the collector's sight
        try:
            pid = Process.fork(frozen=frozen)
        # if that fails
        except OSError as error:
            twin.dispatcher.close()
            # complain
            raise RecruitmentError(recruiter=self.pyre_name, reason=f"fork failed: {error}")
        # in the child
        if pid == 0:
            # become a worker; this never returns
            self.enlist(crew=twin, cell=cell, streams=streams, here=here)
        # in the parent, the twin's event loop is the child's, whose kernel selector would
        # otherwise stay open here until the twin is collected
        twin.dispatcher.close()
        # all done
        return pid

    @pyre.export
    def dismiss(self, team, crew):
        """
        See that the worker of {crew} leaves: it was told to, so give it {grace}, then SIGTERM,
        then, after another {grace}, SIGKILL
        """
        # escalate on a timer, so the event loop never waits for a worker
        team.dispatcher.alarm(
            interval=self.grace,
            call=functools.partial(self.escalate, crew=crew, signals=[signal.SIGTERM, signal.SIGKILL]),
        )
        # all done
        return

    @pyre.export
    def kill(self, team, crew):
        """
        End the worker of {crew} now
        """
        # send the signal; {expire} hears of the exit
        self.signal(crew=crew, signal=signal.SIGKILL)
        # all done
        return

    @pyre.export
    def prime(self, team):
        """
        {team} is about to start a thread of its own: fork now, while its process has one
        thread, the server that forks its crews from now on
        """
        # from now on
        self.primed.add(team)
        # start it; a failure is news for the next recruitment
        self.forker(team=team).begin()
        # all done
        return

    @pyre.export
    def census(self, team):
        """
        Nothing beyond the crews of {team}: each of my workers is one of them
        """
        return {}

    @pyre.export
    def release(self, team):
        """
        The team is going away: kill its workers and reap them before returning, and end its
        fork server, if it has one
        """
        # its server, which reaps the crews it forked
        server = self.servers.get(team)
        # go through the crews that are still around
        for crew in list(team.crews):
            # kill
            self.signal(crew=crew, signal=SIGKILL)
            # and wait for the corpse of one of mine; SIGKILL is not refused, so this is short
            if server is None or not server.holds(crew=crew):
                try:
                    os.waitpid(crew.pid, 0)
                except ChildProcessError:
                    pass
            # its cgroup goes with the team's
            self.cells.pop(crew, None)
        # the server goes, once it has reaped its crews
        if server is not None:
            del self.servers[team]
            server.close()
        # the cgroup goes now, once what is left in it is gone
        Cgroup.disperse(recruiter=self, team=team)
        # all done
        return

    def served(self, team):
        """
        Whether the crews of {team} are forked by a fork server: once it is primed
        """
        return team in self.primed

    def modules(self):
        """
        The modules a fork server imports before it forks any crew: none, for me
        """
        return []

    def forker(self, team):
        """
        The fork server of {team}, made the first time it is asked for
        """
        # if it is not there
        if team not in self.servers:
            # make it
            self.servers[team] = Forker(recruiter=self, team=team, preload=self.modules())
        # all done
        return self.servers[team]

    # framework hooks
    def pyre_configured(self):
        """
        Check my configuration; each complaint names the trait, the value and what is accepted,
        or the setting that names none of my traits, where it was made, and the traits it may mean
        """
        # chain up
        yield from super().pyre_configured()
        # a setting that names none of my traits, e.g. a misspelled one, would be ignored
        yield from Unclaimed.check(component=self)
        # the grace must be a time
        grace = configured(self, "grace")
        # finite, since a dismissal that never escalates could leave a worker behind
        if not (isinstance(grace, Dimensional) and 0 <= seconds(grace) < math.inf):
            yield str(
                complain(self, trait="grace", value=grace, accepted="a non-negative, finite time with units, e.g. 1*s")
            )
        # the memory must be a number of bytes
        yield from Process.checkMemory(recruiter=self)
        # the cgroups, and the limit they hold
        yield from Cgroup.check(recruiter=self)
        # the transport must resolve
        try:
            self.transport
        except ResolutionError as error:
            yield str(
                complain(self, trait="transport", value=error.value, accepted="pipe, or socket for a unix socket pair")
            )
        # all done
        return

    # meta-methods
    def __init__(self, **kwds):
        # chain up
        super().__init__(**kwds)
        # the cgroup of the crews of each team, with the clock that watches their pids limit,
        # and the cgroup of each crew
        self.groups = {}
        self.cells = {}
        # the teams primed, whose crews go through a fork server from then on, and their servers
        self.primed = weakref.WeakSet()
        self.servers = {}
        # all done
        return

    # implementation details
    def expire(self, channel, team, crew):
        """
        The worker of {crew}, my child, has exited: reap it, assess what it reported before it
        left, and bury it

        N.B.: this is an event handler; careful with its return value
        """
        # a readable watch means the worker has exited; while it is a zombie its pid, and so
        # its process group, cannot be reused, so this is the moment to end the processes its
        # tasks started, which would otherwise outlive it
        try:
            os.killpg(crew.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        # collect the status
        exited, status = channel.reap()
        # if it has not exited after all
        if not exited:
            # keep watching
            return True
        # stop watching
        team.dispatcher.forget(channel)
        # and bury it
        self.inter(team=team, crew=crew, status=status)
        # all done
        return False

    def inter(self, team, crew, status):
        """
        The worker of {crew} is gone, with the exit {status}, reaped here or by the fork server
        that forked it: end what its tasks left in its cgroup, assess what it reported before it
        left, and bury it
        """
        # the processes its tasks started that left its group, in the crew's cgroup
        cell = self.cells.pop(crew)
        cell.kill()
        # stop watching, from the supervisor too
        team.supervisor.discharge(pid=crew.pid)
        crew.notes.close()
        # the reports it sent before it left still count
        crew.readLast(team=team)
        # the cgroup tells whether the kernel killed it for its memory limit, and then it goes
        if status == -signal.SIGKILL and cell.oomed():
            crew.memory = cell.memory
        if cell.reach() is not None:
            team.supervisor.release(cgroup=cell.reach())
        cell.dissolve()
        # bury it
        team.bury(crew=crew, status=status)
        # all done
        return

    def escalate(self, timestamp, crew, signals):
        """
        A dismissed worker is still around after its grace: insist

        N.B.: this is an alarm handler; it returns the interval to the next invocation
        """
        # if it is gone, or there is nothing left to try
        if crew.reaped() or not signals:
            # stop
            return None
        # insist
        self.signal(crew=crew, signal=signals.pop(0))
        # and come back after another grace, if there is more to try
        return self.grace if signals else None

    def overrun(self, timestamp, team):
        """
        Kill the crews of {team} whose cgroup refused a fork: a task ran into my {pids} limit

        N.B.: this is an alarm handler; it returns the interval to the next invocation
        """
        # go through the crews
        for crew in team.crews:
            # the ones that ran into it, once
            cell = self.cells.get(crew)
            if cell is not None and not crew.pids and cell.refused():
                # so the casualty names the limit
                crew.pids = cell.pids
                # and the crew goes
                self.signal(crew=crew, signal=signal.SIGKILL)
        # keep watching
        return Cgroup.interval

    def signal(self, crew, signal):
        """
        Send {signal} to the process group of the worker of {crew}
        """
        # a buried crew's pid may belong to somebody else by now
        if crew.reaped():
            return
        # a crew that a fork server forked is the server's to signal, which knows whether it
        # reaped it
        server = next((server for server in self.servers.values() if server.holds(crew=crew)), None)
        if server is not None:
            server.signal(crew=crew, number=signal)
        # mine leads its own group, so the processes its tasks started get it too
        else:
            try:
                os.killpg(crew.pid, signal)
            # the group may be gone already, or not formed yet
            except ProcessLookupError:
                # in which case the worker itself is the target
                try:
                    os.kill(crew.pid, signal)
                except ProcessLookupError:
                    pass
        # a kill reaches the processes that left the group too, in the crew's cgroup
        cell = self.cells.get(crew)
        if signal == SIGKILL and cell is not None:
            cell.kill()
        # all done
        return

    def enlist(self, crew, cell, streams=None, here=None):
        """
        Turn the child of a fork into the worker side of {crew}, whose cgroup is {cell}; with the
        standard output and error {streams} and the working directory {here}, if given, which a
        fork server passes on from the team; never returns
        """
        # assume the worst
        status = 1
        # carefully
        try:
            # the team's streams and directory as they are now, not as they were when the server
            # that forked me was forked
            if streams is not None:
                for number, stream in zip((1, 2), streams):
                    os.dup2(stream, number)
            if here is not None:
                try:
                    os.chdir(here)
                except OSError:
                    pass
            # into my cgroup, before i register and so before i take a task; here rather than in
            # the team, whose event loop the kernel's first move of a process between cgroups
            # would hold up for a grace period of its own, about 15 ms
            try:
                cell.admit(pid=os.getpid())
            except OSError as error:
                print(f"{self.pyre_name}: cannot put a worker in {cell}: {error}", file=sys.stderr)
                os._exit(1)
            # prepare the process, keeping my channel and the socket beside it
            channel = crew.channel
            self.detach(
                keep={crew.side.fileno(), Wire._descriptor(channel.inbound), Wire._descriptor(channel.outbound)}
            )
            # end it with the team, even a team that dies of SIGKILL, once a team that lives would
            # have escalated; a thread that waits in the kernel costs my tasks nothing
            patience = 2 * seconds(self.grace)
            threading.Thread(target=self.watch, args=(crew.side, patience, cell), daemon=True).start()
            # keep it within its memory, unless its cgroup does
            if self.memory and not cell.memory:
                Process.confine(crew=crew, memory=self.memory)
            # the crew is mine now
            crew.pid = os.getpid()
            # with an event loop of its own, since the one it was built with is the team's copy
            crew.dispatcher.renew()
            # initialize it
            crew.register()
            # and work until dismissed, or until the team is gone
            crew.run()
            # then let go of the channel, flushing what is left
            crew.resign()
            # all good
            status = 0
        # whatever happens
        except BaseException:
            # say what
            traceback.print_exc()
        # and leave: the team's exit handlers and finalizers are not the worker's to run
        finally:
            Process.leave(status)

    def detach(self, keep):
        """
        Cut the ties to the team that a worker, or a fork server, must not keep: every descriptor
        but the standard output and error and those in {keep}
        """
        # Ctrl-C on the terminal is for the team, which winds its crews down in order
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # handlers the team installed for these would keep escalation from working
        for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGALRM):
            signal.signal(number, signal.SIG_DFL)
        # lead a process group, so the processes my tasks start can be ended with me
        os.setpgid(0, 0)
        # keep the standard output and error
        keep = {1, 2, *keep}
        # every other descriptor is the team's: listening sockets, other crews' channels, the
        # team's event loop; letting them go also lets other crews see the team's EOF. each
        # is pointed at /dev/null rather than closed, so a stale python object that closes its
        # descriptor later cannot close one of mine that reused the number
        null = os.open(os.devnull, os.O_RDWR)
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            if fd in keep or fd == null:
                continue
            try:
                os.dup2(null, fd)
            except OSError:
                pass
        os.close(null)
        # the team's stdin is the team's, e.g. its terminal: my tasks get one that ends at once;
        # unless my channel took its number, in a team that runs without one
        if 0 not in keep:
            Process.unplug()
        # all done
        return

    def watch(self, side, grace, cell):
        """
        End my process group, with me and what my tasks started in it, and my {cell}, the cgroup
        of what they started wherever it moved, when the team closes its end of my {side}
        channel, which it does with my channel, or dies, unless i leave on my own within
        {grace}, as a dismissed worker does; a team that lives has escalated by then

        N.B.: this runs in a thread of the worker, which the worker's exit ends
        """
        # wait for the hang up, without taking anything from the socket; not on my channel,
        # since a poll holds the file it waits on, and the team would not see my channel close
        poller = select.poll()
        poller.register(side.fileno(), select.POLLRDHUP)
        while not poller.poll():
            pass
        # a dismissal ends with the team closing the channel; give me time to go quietly
        time.sleep(grace)
        # otherwise, the team is gone, or wants me gone while a task still runs
        try:
            cell.kill()
        finally:
            os.killpg(0, signal.SIGKILL)


# end of file
