# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import functools
import math
import os
import secrets
import select
import shlex
import signal
import socket
import subprocess
import sys
import time

# the framework
import pyre
from pyre.ipc.Pipe import Pipe
from pyre.units.Dimensional import Dimensional

# my protocol
from .Recruiter import Recruiter
# my parts
from .Cgroup import Cgroup
from .Launch import Launch
from .Process import Process
from ..Gate import Gate
from ..Handshake import Handshake
from ..SocketTLS import SocketTLS
from ..Dispatcher import seconds
from ..exceptions import RecruitmentError, Casualty, Misconfigured, complain, configured
from ..Unclaimed import Unclaimed


# declaration
class Launcher(pyre.component, implements=Recruiter):
    """
    The base of the recruiters whose workers are worker shells, {python -m pyre_nexus}, started
    by a command: directly, through {ssh}, {mpirun} or {srun}

    The team listens on a TCP {address}; every worker shell dials it, passes the handshake with
    the team's secret, which never appears on a command line, and becomes the worker side of
    one of the crews of its launch. A launch whose workers do not all connect within {timeout}
    fails with what its launcher said on stderr. Every worker beats every {heartbeat}, from a
    thread of its own so a long task does not silence it, and the kernel probes idle links as
    often: a crew behind a dead link, on a frozen host or in a stopped process is lost after
    three silent ones. With {memory}, each crew's process cannot map more than that; a task
    that runs it out of memory ends the crew, and is a {Casualty} that names the limit
    """

    # what building me with values i cannot use raises: pyre's, said as it is raised
    ConfigurationError = Misconfigured

    # user configurable state
    address = pyre.properties.inet(default="127.0.0.1:0")
    address.doc = "where the team listens for its workers, host:port; port 0 lets the kernel pick"

    advertise = pyre.properties.str(default="")
    advertise.doc = (
        "the host name or address workers dial to reach the team; by default the listening "
        "address, or this host's name when listening on every interface"
    )

    python = pyre.properties.str(default=sys.executable)
    python.doc = "the python interpreter, with pyre_nexus installed, that runs the worker shells"

    timeout = pyre.properties.dimensional(default=30 * pyre.units.SI.second)
    timeout.doc = "how long a launch may take until all of its workers have connected"

    handshake = pyre.properties.dimensional(default=5 * pyre.units.SI.second)
    handshake.doc = "how long a connection may take to pass the handshake before it is dropped"

    heartbeat = pyre.properties.dimensional(default=5 * pyre.units.SI.second)
    heartbeat.doc = (
        "how often workers beat and idle links are probed; a crew silent for three is lost"
    )

    memory = pyre.properties.int(default=0)
    memory.doc = (
        "the most memory, in bytes, each crew may use, e.g. 2**30: its resident memory where it "
        "gets a cgroup with a memory controller, else what it may map (its address space); a "
        "task that needs more ends its crew, and is a casualty; 0 for no limit"
    )

    pids = pyre.properties.int(default=0)
    pids.doc = (
        "the most processes and threads each crew may have at once, its worker's own included, "
        "where crews get cgroups with a pids controller; at least 16, or 0 for no limit"
    )

    cgroups = pyre.properties.str(default="auto")
    cgroups.doc = (
        "'auto' puts each crew in a cgroup of its own where its host lets the team, or on other "
        "hosts its worker shell, make them, so killing a crew kills all its processes, and "
        "{memory} and {pids} hold for all of them; 'off' for none"
    )

    maxframe = pyre.properties.int(default=2**32)
    maxframe.doc = "the largest message, in bytes, the team accepts from a worker"

    grace = pyre.properties.dimensional(default=1 * pyre.units.SI.second)
    grace.doc = "how long a dismissed launch gets to end before SIGTERM, and then SIGKILL"

    certificate = pyre.properties.str(default="")
    certificate.doc = "the team's TLS certificate (PEM); when set, every channel is encrypted"

    key = pyre.properties.str(default="")
    key.doc = "the private key of the certificate (PEM), if it is not in the certificate file"

    authority = pyre.properties.str(default="")
    authority.doc = (
        "the file, where the workers run, of the certificates that vouch for the team's; by "
        "default the team's certificate itself, for a self-signed one on a shared file system"
    )

    # how the secret reaches the worker shells: on their "stdin"; in the "environment" variable
    # {secretVariable}, for launchers that share their stdin with one worker at most, e.g.
    # {mpirun}; or in a "file" that the recruiter writes, for jobs that a scheduler records
    courier = "stdin"
    secretVariable = "PYRE_NEXUS_SECRET"
    # whether the worker shells start a supervisor of their own, which ends their crews when
    # they die or their stdin ends, even while a task holds the interpreter, and vouches for
    # them: for hosts the team's own supervisor does not reach
    superviseShells = False
    # whether the launcher's stdout joins its stderr, to be read by the team, e.g. where a batch
    # scheduler's client says which job it submitted; otherwise it is the team's own
    mergeOutput = False
    # the record of a launch
    record = Launch

    # obligations of my subclasses
    def plan(self, team, count):
        """
        Split {count} crews into launches: a list of {(host, crews)}
        """
        raise NotImplementedError(f"class '{type(self).__name__}' must implement 'plan'")

    def command(self, host, crews, shell):
        """
        The command that runs {crews} worker shells on {host}, given the {shell} command line
        that runs one of them
        """
        raise NotImplementedError(f"class '{type(self).__name__}' must implement 'command'")

    def environment(self):
        """
        The environment of the launcher: the team's, by default
        """
        return dict(os.environ)

    def prepare(self, team, launch):
        """
        Ready what {launch}, the id of a launch about to start, needs beyond its command: nothing,
        by default
        """
        return

    def addressable(self):
        """
        The most memory, in bytes, each worker shell lets its crew map: my {memory}, by default
        """
        return self.memory

    # interface
    @pyre.export
    def recruit(self, team, count):
        """
        Launch {count} crews for {team}
        """
        # open my gate, if this is the first recruitment
        if self.gate is None:
            self.open(team=team)
        # launch
        crews = []
        failure = None
        for host, size in self.plan(team=team, count=count):
            # carefully, since one bad host should not stop the others
            try:
                crews.extend(self.launch(team=team, host=host, size=size))
            except RecruitmentError as error:
                failure = failure or error
        # if nothing came up, say why
        if not crews and failure is not None:
            raise failure
        # all done
        return crews

    @pyre.export
    def dismiss(self, team, crew):
        """
        {crew} was let go, and its channel closed, which ends its worker: bury it, and see that
        its launcher ends once it hosts nobody
        """
        # the launch
        launch = self.launches.get(crew.notes)
        # if it is gone, or hosts others that live on
        if launch is None or launch.status is not False or len(launch.living()) > 1:
            # the crew is buried now, since nothing else will tell of its end
            return self.buryCrew(team=team, launch=launch, crew=crew)
        # otherwise, the launcher ends with its last worker; bury the crew when it has, with
        # its status, but insist if it takes too long
        if launch.escalation is None:
            launch.escalation = team.dispatcher.alarm(
                interval=self.grace,
                call=functools.partial(self.escalate, launch=launch, signals=[signal.SIGTERM, signal.SIGKILL]),
            )
        # all done
        return

    @pyre.export
    def kill(self, team, crew):
        """
        End the worker of {crew} now: its channel is closed, which its worker shell takes as
        the order to die; if it was the last one of its launch, kill the launcher too
        """
        # the launch
        launch = self.launches.get(crew.notes)
        # if it hosts others that live on
        if launch is None or launch.status is not False or len(launch.living()) > 1:
            # bury the crew now
            return self.buryCrew(team=team, launch=launch, crew=crew)
        # otherwise, kill the launcher; its watch buries the crew
        launch.signal(signal.SIGKILL)
        # all done
        return

    @pyre.export
    def prime(self, team):
        """
        {team} is about to start a thread of its own: nothing to do, since i never fork its
        process; my launchers start fresh processes
        """
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
        The team is going away: close every channel, kill every launcher and reap it
        """
        # the channels first, so remote workers hear of it right away
        for crew in list(team.crews):
            crew.resign()
        # then the launchers
        for launch in list(self.launches.values()):
            # kill it and the rest of its session
            launch.signal(signal.SIGKILL)
            # reap it
            if launch.status is False:
                try:
                    os.waitpid(launch.pid, 0)
                except ChildProcessError:
                    pass
                launch.status = None
            # and let it go
            self.forget(team=team, launch=launch)
        # close the gate, and stop listening for heartbeats
        if self.gate is not None:
            self.gate.close()
            self.gate = None
        if self.pulse is not None:
            self.pulse.cancel()
            self.pulse = None
        # all done
        return

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
        # the times
        for name in ("timeout", "handshake", "heartbeat", "grace"):
            value = configured(self, name)
            # finite, since an alarm that never goes off could leave a worker or a wait behind
            if not (isinstance(value, Dimensional) and 0 < seconds(value) < math.inf):
                yield str(
                    complain(self, trait=name, value=value, accepted="a positive, finite time with units, e.g. 5*s")
                )
        # the memory
        yield from Process.checkMemory(recruiter=self)
        # the cgroups, and the limit they hold
        yield from Cgroup.check(recruiter=self)
        # the frame size
        if not (isinstance(self.maxframe, int) and self.maxframe >= 1024):
            yield str(
                complain(self, trait="maxframe", value=self.maxframe, accepted="a number of bytes, at least 1024")
            )
        # all done
        return

    # meta-methods
    def __init__(self, **kwds):
        # chain up
        super().__init__(**kwds)
        # the team's secret
        self.secret = Handshake.secret()
        # my gate, opened on my first recruitment, and the clock that checks the heartbeats
        self.gate = None
        self.pulse = None
        # my launches, by id
        self.launches = {}
        # all done
        return

    # implementation details
    def open(self, team):
        """
        Open my gate on the event loop of {team}
        """
        # the TLS context, if the channels are encrypted
        context = None
        if self.certificate:
            try:
                context = SocketTLS.context(certificate=self.certificate, key=self.key)
            except (OSError, ValueError) as error:
                raise RecruitmentError(
                    recruiter=self.pyre_name,
                    reason=f"cannot load the certificate {self.certificate!r}: {error}; "
                    f"check '{self.pyre_name}.certificate' and '{self.pyre_name}.key'",
                )
        # carefully
        try:
            self.gate = Gate(
                context=context,
                dispatcher=team.dispatcher,
                host=self.address.host,
                port=self.address.port,
                secret=self.secret,
                admit=functools.partial(self.admit, team=team),
                patience=seconds(self.handshake),
                heartbeat=seconds(self.heartbeat),
            )
        # if the address is taken or wrong
        except OSError as error:
            # say so
            raise RecruitmentError(
                recruiter=self.pyre_name,
                reason=f"cannot listen on {self.address.host}:{self.address.port}: {error}; "
                f"set '{self.pyre_name}.address'",
            )
        # listen for the heartbeats of my crews
        self.pulse = team.dispatcher.alarm(
            interval=self.heartbeat, call=functools.partial(self.checkPulses, team=team)
        )
        # all done
        return

    def checkPulses(self, timestamp, team):
        """
        Every {heartbeat}: a crew whose twin has been silent for three of them is lost, since
        its host is frozen or its link is dead; a twin beats even while a task runs

        N.B.: this is an alarm handler; it returns the interval to the next invocation
        """
        # the silence that is too long
        limit = 3 * seconds(self.heartbeat)
        now = time.monotonic()
        # the crews that have been quiet for that long
        quiet = [
            crew
            for launch in self.launches.values()
            for crew in launch.crews
            if crew.serving() and now - crew.heard > limit
        ]
        # those with something waiting on their channel were not silent: my loop was not
        # listening, e.g. because the application did not drive it for a while
        if quiet:
            waiting, _, _ = select.select([crew.channel for crew in quiet], [], [], 0)
            for crew in quiet:
                if crew.channel in waiting:
                    crew.heard = now
                    continue
                # nor are those i can see at work, e.g. pickling a large result, which keeps the
                # thread that beats from the interpreter
                if self.busy(crew=crew):
                    continue
                # the rest are lost
                crew.failure = f"no heartbeat for {now - crew.heard:.1f} s"
                team.lost(crew=crew, reason=f"{crew}: {crew.failure}")
        # keep listening
        return self.heartbeat

    def busy(self, crew):
        """
        Whether the silent twin of {crew} is known to be alive and at work, e.g. pickling a
        large result while its task holds the interpreter lock the thread that beats needs: the
        supervisor of its worker shell, where it has one, vouches for it over the launcher's
        stderr, which takes the same link, every heartbeat; a vouch that is late, or says the
        worker is stopped, does not count
        """
        # the launch of the crew, and the last vouch for its twin
        launch = self.launches.get(crew.notes)
        vouch = None if launch is None else launch.vouches.get(crew.pid)
        # without a fresh one, only the twin's beats tell
        if vouch is None or time.monotonic() - vouch[0] > 3 * seconds(self.heartbeat):
            return False
        # one that says it is stopped, traced or dead does not count
        return vouch[1] not in "TtZXx"

    def contact(self):
        """
        The address workers dial: {host:port}
        """
        # the port the gate got
        port = self.gate.address.port
        # the host: as i was told, else where i listen, else my name
        host = self.advertise or self.address.host
        if host in ("", "0.0.0.0"):
            host = socket.gethostname()
        # all done
        return f"{host}:{port}"

    def shell(self, launch, crews):
        """
        The command line of a worker shell of {launch} that hosts {crews} crews
        """
        # the interpreter, the module, and the settings
        command = [
            self.python,
            "-m",
            "pyre_nexus",
            f"--team={self.contact()}",
            f"--launch={launch.hex()}",
            f"--crews={crews}",
            f"--timeout={seconds(self.timeout):g}*s",
            f"--heartbeat={seconds(self.heartbeat):g}*s",
        ]
        # the memory each crew may map, if it is limited
        if self.addressable():
            command.append(f"--memory={self.addressable()}")
        # how the team proves who it is, if the channels are encrypted
        if self.certificate:
            command.append(f"--authority={self.authority or self.certificate}")
        # and where the secret comes from
        if self.courier == "stdin":
            command.append("--stdin")
        # and who watches them on their host, where the shells also make the crews' cgroups
        if self.superviseShells:
            command.append("--supervise")
            if self.cgroups == "auto":
                command += ["--cgroups", f"--pids={self.pids}"]
        # all done
        return command

    def launch(self, team, host, size):
        """
        Start a launch of {size} crews on {host}
        """
        # the id the workers present
        id = secrets.token_bytes(Handshake.launch)
        # what it needs beyond its command
        self.prepare(team=team, launch=id)
        # the command
        command = self.command(host=host, crews=size, shell=self.shell(launch=id, crews=size))
        # the environment, with the secret if it travels there
        env = self.environment()
        if self.courier == "environment":
            env[self.secretVariable] = self.secret.hex()
        # the launcher's stdin and stderr
        stdin, feed = os.pipe()
        drain, stderr = os.pipe()
        # start it, in a session of its own
        try:
            process = subprocess.Popen(
                command,
                stdin=stdin,
                stdout=stderr if self.mergeOutput else None,
                stderr=stderr,
                env=env,
                start_new_session=True,
                close_fds=True,
            )
        # if it cannot run at all
        except OSError as error:
            for fd in (stdin, feed, drain, stderr):
                os.close(fd)
            raise RecruitmentError(
                recruiter=self.pyre_name, reason=f"cannot run `{shlex.join(command)}`: {error}"
            )
        # its ends are its own
        os.close(stdin)
        os.close(stderr)
        # my ends, as a pyre channel
        streams = Pipe(infd=drain, outfd=feed)
        os.set_blocking(drain, False)
        # the secret, on its stdin; it fits in the pipe, and the pipe stays open, since its end
        # tells the worker shells the team is gone
        if self.courier == "stdin":
            # a launcher that left already needs none: the watch on its exit says why it left
            try:
                os.write(feed, self.secret.hex().encode() + b"\n")
            except BrokenPipeError:
                pass
        # the team side crews
        crews = []
        for _ in range(size):
            crew = team.crew(pid=None, channel=None, timer=team.timer)
            crew.host = host or socket.gethostname()
            crew.notes = id
            crew.limit = self.maxframe
            crews.append(crew)
        # the record
        launch = self.record(
            id=id, host=host or socket.gethostname(), command=command, crews=crews, pid=process.pid, streams=streams
        )
        # popen must never reap it; its watch does
        process.returncode = 0
        # the team's supervisor ends it, with its process group, if the team dies
        try:
            team.supervisor.enroll(pid=process.pid, pidfd=launch.vigil.fd)
        except OSError as error:
            launch.signal(signal.SIGKILL)
            os.waitpid(process.pid, 0)
            launch.close()
            raise RecruitmentError(recruiter=self.pyre_name, reason=f"cannot watch `{shlex.join(command)}`: {error}")
        self.launches[id] = launch
        # listen to its stderr
        team.dispatcher.whenReadReady(channel=streams, call=functools.partial(self.listen, launch=launch))
        # watch its exit
        team.dispatcher.whenReadReady(
            channel=launch.vigil, call=functools.partial(self.expire, team=team, launch=launch)
        )
        # and its clock
        launch.alarm = team.dispatcher.alarm(
            interval=self.timeout, call=functools.partial(self.overdue, team=team, launch=launch)
        )
        # all done
        return crews

    def admit(self, team, launch, channel):
        """
        A worker shell of {launch} passed the handshake on {channel}: make it a crew's twin
        """
        # find the launch, and a crew of it that has no worker yet
        record = self.launches.get(launch)
        waiting = record.waiting() if record is not None else []
        # a worker nobody waits for, e.g. one that took longer than its launch's timeout
        if not waiting:
            # is let go
            channel.close()
            return
        # the launch works, so what its launcher said so far is worth echoing
        if not record.admitted:
            record.admitted = True
            self.echo(launch=record, text="".join(record.unsaid))
            record.unsaid.clear()
        # it is the twin of the first crew in line
        crew = waiting[0]
        crew.channel = channel
        # which now waits for its registration
        crew.join(team=team)
        # if this was the last one
        if len(waiting) == 1 and record.alarm is not None:
            # the launch is complete
            record.alarm.cancel()
            record.alarm = None
        # all done
        return

    def listen(self, channel, launch):
        """
        The launcher wrote to its stderr: keep the tail, and echo it

        N.B.: this is an event handler; careful with its return value
        """
        # read what is there, and keep listening until the stream ends
        return self.overhear(launch=launch)

    def overhear(self, launch):
        """
        Read what the launcher of {launch} wrote on its stderr, echo it and keep the tail,
        without waiting for more; {False} once the stream has ended
        """
        # until the end, or until nothing more is there now
        while True:
            # read
            try:
                data = os.read(launch.streams.inbound, 65536)
            except BlockingIOError:
                return True
            except OSError:
                return False
            # at the end of the stream, echo what is left of a character cut short
            if not data:
                self.echo(launch=launch, text=launch.decoder.decode(b"", final=True))
                return False
            # the vouches of the supervisor of the worker shells are not for echoing
            data = launch.sift(data)
            # keep the tail
            launch.hear(data)
            # and echo it
            self.echo(launch=launch, text=launch.decoder.decode(data))

    def echo(self, launch, text):
        """
        Echo {text}, which the launcher of {launch} wrote on its stderr, once a worker shell of
        it passed the handshake; until then it is held, since a launch that fails quotes it
        """
        # if there is nothing to say
        if not text:
            return
        # if the launch is not known to work yet
        if not launch.admitted:
            # hold it
            launch.unsaid.append(text)
            return
        # otherwise, say it
        sys.stderr.write(text)
        sys.stderr.flush()
        # all done
        return

    def overdue(self, timestamp, team, launch):
        """
        {launch} did not bring all of its workers up in time

        N.B.: this is an alarm handler; it returns the interval to the next invocation
        """
        # the clock is done
        launch.alarm = None
        # the crews still waiting
        waiting = [crew for crew in launch.crews if crew.starting()]
        # are failed recruitments
        for crew in waiting:
            team.lost(
                crew=crew,
                reason=f"{crew}: no worker registered within {seconds(self.timeout):g} s of "
                f"{launch.describe()}",
                suspect=False,
            )
        # do not reschedule
        return None

    def expire(self, channel, team, launch):
        """
        The launcher of {launch} has exited: reap it, and bury its crews

        N.B.: this is an event handler; careful with its return value
        """
        # get the status
        exited, status = channel.reap()
        # if it has not exited after all
        if not exited:
            # keep watching
            return True
        # it's gone
        launch.status = status
        # end whatever it left behind in its session, e.g. the processes its tasks started, and
        # in its cgroup, wherever they moved
        for pid in launch.session():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        launch.cgroup.kill()
        # which tells whether the kernel killed it for its memory limit
        if status == -signal.SIGKILL and launch.cgroup.oomed():
            for crew in launch.crews:
                crew.memory = launch.cgroup.memory
        # catch the last words on its stderr, as far as they have come: a process its tasks
        # started may hold the stream open for long after
        if launch.streams is not None:
            self.overhear(launch=launch)
        # the crews that never registered are failed recruitments
        for crew in launch.crews:
            if crew.starting():
                team.lost(
                    crew=crew,
                    reason=f"{crew}: its launcher {Casualty.cause(status)} before the worker "
                    f"registered: {launch.describe()}",
                    suspect=False,
                )
        # the rest are buried, after what they sent before they left is heard
        for crew in launch.living():
            crew.readLast(team=team)
            self.buryCrew(team=team, launch=launch, crew=crew)
        # and the launch is done
        self.forget(team=team, launch=launch)
        # stop watching
        return False

    def escalate(self, timestamp, launch, signals):
        """
        A dismissed launch is still around after its grace: insist

        N.B.: this is an alarm handler; it returns the interval to the next invocation
        """
        # if it is gone, or there is nothing left to try
        if launch.status is not False or not signals:
            # stop
            launch.escalation = None
            return None
        # insist
        launch.signal(signals.pop(0))
        # and come back after another grace, if there is more to try
        if not signals:
            launch.escalation = None
            return None
        return self.grace

    def buryCrew(self, team, launch, crew):
        """
        Bury {crew} of {launch}, with the exit status of the launcher if it hosted only {crew}
        """
        # a launcher's status speaks for its worker only if it had just the one
        status = None
        if launch is not None and len(launch.crews) == 1:
            status = launch.status if launch.status is not False else None
        # bury it
        team.bury(crew=crew, status=status)
        # all done
        return

    def forget(self, team, launch):
        """
        {launch} is over: stop watching it
        """
        # stop its clocks
        for alarm in (launch.alarm, launch.escalation):
            if alarm is not None:
                alarm.cancel()
        launch.alarm = launch.escalation = None
        # stop listening
        for channel in (launch.streams, launch.vigil):
            if channel is not None:
                team.dispatcher.forget(channel)
        # close its streams and watch, which the supervisor lets go of first
        team.supervisor.discharge(pid=launch.pid)
        if launch.cgroup.reach() is not None:
            team.supervisor.release(cgroup=launch.cgroup.reach())
        launch.close()
        # and forget it
        self.launches.pop(launch.id, None)
        # all done
        return


# end of file
