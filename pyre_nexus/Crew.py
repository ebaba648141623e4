# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import collections
import errno
import functools
import mmap
import os
import select
import socket
import threading
import time
import traceback
import types

# the framework
import pyre
from pyre.nexus.Peer import Peer

# my parts
from .Codec import Codec
from .Dispatcher import Dispatcher
from .Output import Output
from .Plain import Plain
from .Segment import Segment
from .Wire import Wire
from .CrewStatus import CrewStatus
from .TaskStatus import TaskStatus
from . import exceptions


# declaration
class Crew(Plain, Peer, family="pyre_nexus.crew"):
    """
    The base facilitator of asynchronous task execution in foreign processes, and one of the
    building blocks of process based concurrency in pyre

    Crew members are instantiated by a {recruiter} in matching pairs that are connected to each
    other via a bidirectional {channel}. One member of the pair participates in the event logic
    of the host application: the team side. The other is hosted by a pyre {shell} with its own
    event loop, usually in another process: the worker side. The pair is responsible only for
    the babysitting of task execution.

    The team side member is a proxy for the worker side. The team schedules a {task} by
    invoking {execute}; the crew serializes it and sends it to its twin, monitors progress,
    and reports the outcome back to the team through {assess}. Several tasks may be in flight
    at once: the twin runs them in the order they were sent and reports them in that order, so
    the oldest task without a report is the one running, which is how a death, a deadline or a
    cancellation is blamed on the right task
    """

    # types
    from .exceptions import RecoverableError
    crewcodes = CrewStatus
    taskcodes = TaskStatus

    # configurable state
    dispatcher = pyre.ipc.dispatcher(default=Dispatcher)
    dispatcher.doc = "the event loop of the worker side; the team side uses its team's"

    # worker side: the crew running a task in this process, if any, which {pyre_nexus.progress}
    # reports to, and what the team's initializer returned here, which {pyre_nexus.state} hands
    # to the tasks, kept in a plain holder, since pyre turns an assignment to a component class
    # into a trait lookup that costs microseconds; and the shortest time between two progress
    # reports
    working = types.SimpleNamespace(crew=None, state=None)
    interval = 0.05

    # the states of the team side, in the order they are visited
    recruited = "recruited"  # the worker is starting; no registration yet
    active = "active"  # registered and taking tasks
    retiring = "retiring"  # takes no more tasks; dismissed once its tasks are reported
    lost = "lost"  # its channel is closed; waiting for its process to be reaped
    buried = "buried"  # gone, and off the rosters
    # each state, and the ones it may be entered from; anything else is a fault of the team
    transitions = {
        active: (recruited,),
        retiring: (active,),
        lost: (recruited, active, retiring),
        buried: (recruited, active, retiring, lost),
    }

    # interface - team side
    def join(self, team):
        """
        Join a team

        This is invoked by my recruiter on the team side and it is part of team assembly. The
        intent is to make crew members available to the team after they have reported ready to
        receive tasks for execution
        """
        # use the team's event loop
        self.dispatcher = team.dispatcher
        # frame my traffic
        self.wire = Wire(channel=self.channel, side=self.side, limit=self.limit)
        # my twin has been heard from, in a way
        self.heard = time.monotonic()
        # and wait for the registration of my twin
        self.dispatcher.whenReadReady(
            channel=self.channel, call=functools.partial(self.activate, team=team)
        )
        # all done
        return self

    def activate(self, channel, team):
        """
        My worker twin is reporting ready to work

        N.B.: this is an event handler; careful with its return value
        """
        # carefully: whatever escapes is dealt with here, so no task is left without an outcome
        try:
            # read what arrived
            alive = self._pull(team=team)
            # go through the frames
            for kind, _, status, _, body in self._frames(team=team):
                # heartbeats only say my twin is alive
                if kind == Wire.BEAT:
                    continue
                # anything but a healthy registration
                if kind != Wire.READY or status != self.crewcodes.healthy:
                    # is a twin that cannot work
                    team.lost(crew=self, reason=f"{self} sent a bad registration", suspect=False)
                    # so stop listening
                    return False
                # learn where my twin lives; an id my recruiter gave me stays, since that is what
                # the recruiter signals, and a twin must not be able to pick a target; a remote
                # twin, which is never signalled by id, names itself
                try:
                    host, pid = Codec.decode(body)
                    if not (isinstance(host, str) and isinstance(pid, int)):
                        raise TypeError(f"expected a host name and a process id, not {host!r}, {pid!r}")
                # a registration that is not one, whatever its unpickling raised
                except BaseException as error:
                    team.lost(crew=self, reason=f"{self} sent a bad registration: {error!r}", suspect=False)
                    return False
                self.host = host
                if self.pid is None:
                    self.pid = pid
                # listen for reports from now on
                self.dispatcher.whenReadReady(
                    channel=channel, call=functools.partial(self.monitor, team=team)
                )
                # take tasks, and tell the team
                self.enlist()
                team.activate(crew=self)
                # and stop waiting for a registration
                return False
            # if my twin is gone before it registered
            if not alive:
                # let the team know
                team.lost(crew=self, reason=f"{self} closed its channel before it registered")
                # and stop listening
                return False
            # otherwise, keep waiting
            return True
        # if the team could not take in what my twin sent
        except BaseException as error:
            return self._fail(team=team, error=error)

    def execute(self, team, task):
        """
        Send my twin the {task} to be executed
        """
        # note where its frame starts in my traffic
        task.onset = self.wire.posted
        # queue the task
        self.wire.post(kind=Wire.TASK, tid=task.tid, body=task.payload)
        # and where it ends, to tell later whether any or all of it went out
        task.mark = self.wire.posted
        # mark it as mine
        task.crew = self
        # add it to the tasks in flight
        self.inflight.append(task)
        # count it
        self.assigned += 1
        # if it is the only one, it starts right away
        if len(self.inflight) == 1:
            # so start its clock
            self.clock(team=team)
            # and the measure of my pace
            self.since = time.monotonic()
        # all done
        return self

    def monitor(self, channel, team):
        """
        Reports have arrived from my twin; assess each of them

        N.B.: this is an event handler; careful with its return value
        """
        # the task whose report is being taken in, if any
        task = None
        # carefully: whatever escapes is dealt with here, so no task is left without an outcome
        try:
            # read what arrived
            alive = self._pull(team=team)
            # the task running before the reports
            head = self.running()
            # count the reports
            reports = 0
            # go through the frames
            for kind, tid, crewstatus, taskstatus, body in self._frames(team=team):
                # my twin let go of the shared memory of the task it just reported
                if kind == Wire.RELEASE:
                    self._recycle(tid=tid)
                    continue
                # which it says right after the report, or not at all
                if self.lent is not None:
                    self.lent = None
                # heartbeats only say my twin is alive
                if kind == Wire.BEAT:
                    continue
                # what my twin printed, with the stream in the first status byte
                if kind == Wire.OUTPUT:
                    team.echo(crew=self, tid=tid, stream=crewstatus, data=body)
                    continue
                # the news of a running task
                if kind == Wire.PROGRESS:
                    team.advance(crew=self, tid=tid, body=body)
                    continue
                # a report on the setup of this crew: a healthy one says the tasks can start now
                if kind == Wire.REPORT and tid == 0 and crewstatus == self.crewcodes.healthy:
                    # so the running task's clock starts over
                    self.ready = True
                    self.clock(team=team)
                    continue
                # and any other is a failed setup
                if kind == Wire.REPORT and tid == 0:
                    # so this crew is no use, and none of its tasks started
                    team.lost(
                        crew=self,
                        reason=f"{self}: the initializer failed: {self._rebuild(body)}",
                        suspect=False,
                        unfit=True,
                    )
                    # and i'm done listening
                    return False
                # the oldest task in flight is the one reported, or my twin is confused
                if kind != Wire.REPORT or not self.inflight or self.inflight[0].tid != tid:
                    # which makes it useless
                    team.lost(crew=self, reason=f"{self} sent a report out of order")
                    # so stop listening
                    return False
                # take the task off the tasks in flight
                task = self.release()
                reports += 1
                # a task in shared memory may be followed by word that my twin let go of it
                if type(task.payload) is Segment:
                    self.lent = (task, task.payload)
                # and assess the report
                healthy = self.assess(
                    channel=channel,
                    team=team,
                    task=task,
                    crewstatus=crewstatus,
                    taskstatus=taskstatus,
                    result=body,
                )
                # if i am not healthy any more
                if not healthy:
                    # i'm done listening
                    return False
            # if tasks were reported
            if reports:
                # tell the team how long they took
                now = time.monotonic()
                team.measure(elapsed=now - self.since, count=reports)
                # count them, and the time i was busy with them
                self.reported += reports
                self.busy += now - self.since
                self.since = now
            # if the running task changed
            if self.running() is not head:
                # start the clock of the new one
                self.clock(team=team)
            # if my twin closed its end
            if not alive:
                # let the team know
                team.lost(crew=self, reason=f"{self} closed its channel")
                # and stop listening
                return False
            # otherwise, refill my pipeline
            team.schedule(crew=self)
            # and keep listening
            return True
        # if the team could not take in what my twin sent
        except BaseException as error:
            return self._fail(team=team, error=error, task=task)

    def assess(self, channel, team, task, **kwds):
        """
        Harvest the task completion status

        The report is in {kwds}: {crewstatus}, {taskstatus} and the serialized {result}.
        Returns whether i stay healthy
        """
        # unpack
        crewstatus = kwds["crewstatus"]
        taskstatus = kwds["taskstatus"]
        result = kwds["result"]
        # a task that already has its outcome, e.g. cancelled while my twin ran it, is done
        if task.done():
            # but its report may be the last thing a closing team was waiting for
            team.conclude()
        # otherwise
        else:
            # if it ran to completion
            if taskstatus == self.taskcodes.completed:
                # decode the result, whose buffers may lie in the shared memory of the task
                payload = task.payload
                origin = payload.view if type(payload) is Segment else None
                try:
                    value = Codec.decode(result, origin=origin)
                # if that fails, in whatever way, the team cannot hold the result
                except BaseException as error:
                    team.abandon(
                        task=task,
                        error=exceptions.UnpicklableResult(
                            what=f"the result of {task.label} back in the team",
                            error=exceptions.describe(error),
                        ),
                    )
                # otherwise
                else:
                    # deliver it
                    team.collect(crew=self, task=task, result=value)
            # if it failed
            else:
                # rebuild the error
                error = self._rebuild(result)
                # if the condition may be temporary, or is of a kind the task's retry policy lists
                if taskstatus == self.taskcodes.failed or team.recoverable(task=task, error=error):
                    # tell me
                    self.reportRecoverableError(team=team, task=task, error=error)
                    # and let the team decide whether it gets another chance
                    team.requeue(task=task, error=error)
                # otherwise
                else:
                    # deliver the bad news
                    team.abandon(task=task, error=error)
        # if my twin can go on
        if crewstatus == self.crewcodes.healthy:
            # say so
            return True
        # otherwise, tell me
        self.reportUnrecoverableError(team=team, task=task, error="the worker is damaged")
        # and retire; my twin stops after this report, so whatever else i hold never started
        team.lost(crew=self, reason=f"{self} is damaged", suspect=False)
        # and say so
        return False

    def readLast(self, team):
        """
        My twin is gone: assess the reports it sent before it left
        """
        # as long as my channel is open and has something to say
        while self.wire is not None and self.monitor(channel=self.channel, team=team):
            # if it went quiet without closing, whatever holds its other end is not my twin
            if self.wire is not None and self.wire.quiet:
                # so stop here
                break
        # all done
        return self

    def dismissed(self):
        """
        My team manager has dismissed me
        """
        # i am on my way out
        self._enter(self.lost)
        # if my channel is still open
        if self.wire is not None:
            # tell my twin, as far as my channel takes it; closing my end says it too
            self.wire.post(kind=Wire.QUIT)
            try:
                self.wire.flush()
            # a twin that is gone already needs no telling
            except OSError:
                pass
        # let go of my channel
        self.resign()
        # all done
        return self

    def reportRecoverableError(self, team, task, error):
        """
        Report a task failure that can be reasonably expected to be temporary
        """
        # show me
        self.debug.log(f"{self}: {task.label}: recoverable error: {error}")
        # all done
        return

    def reportUnrecoverableError(self, team, task, error):
        """
        Report a permanent task failure
        """
        # show me
        self.debug.log(f"{self}: {task.label}: unrecoverable error: {error}")
        # all done
        return

    def clock(self, team):
        """
        Start the deadline of the task that is running now, if it has one
        """
        # stop the clock of the previous one
        if self.alarm is not None:
            self.alarm.cancel()
            self.alarm = None
        # the task that is running now
        task = self.running()
        # if there is none, or it already has its outcome, e.g. revoked, it needs no clock
        if task is None or task.done():
            return
        # the others are running
        task.set_running_or_notify_cancel()
        # if it has a deadline
        if task.deadline is not None:
            # arm the alarm
            self.alarm = self.dispatcher.alarm(
                interval=task.deadline,
                call=functools.partial(team.overdue, crew=self, task=task),
            )
        # all done
        return

    def revoke(self, task):
        """
        Ask my twin not to start {task}
        """
        # a twin i no longer hear has nothing to skip
        if self.wire is None:
            return
        # queue the request
        self.wire.post(kind=Wire.REVOKE, tid=task.tid)
        # and send it
        self.transmit()
        # all done
        return

    def transmit(self):
        """
        Send what is queued; what the channel does not take now goes when it is ready
        """
        # a closed channel takes nothing
        if self.wire is None:
            return
        # write what the channel takes
        try:
            done = self.wire.flush()
        # if my twin is gone, the read side and the recruiter will find out
        except OSError:
            return
        # if everything went out, or a write handler is already waiting
        if done or self.draining:
            # there is nothing else to do
            return
        # otherwise, finish when the channel is ready
        self.draining = True
        self.dispatcher.whenWriteReady(channel=self.channel, call=self.unload)
        # all done
        return

    def unload(self, channel):
        """
        My channel can take more of what is queued

        N.B.: this is an event handler; careful with its return value
        """
        # write
        try:
            done = self.wire.flush()
        # if my twin is gone
        except OSError:
            # the read side will find out
            done = True
        # stay scheduled until everything is out
        self.draining = not done
        return self.draining

    # team side: my lifecycle, whose transitions check the state they start from
    def enlist(self):
        """
        My twin registered: i take tasks from now on
        """
        # move
        self._enter(self.active)
        # and note when, so the time i was idle is the rest
        self.joined = time.monotonic()
        # all done
        return self

    def brief(self, discard, setup):
        """
        Tell my twin whether to {discard} its output rather than send it to me, and hand it the
        serialized {setup} to run before its first task, if there is one
        """
        # the output first, so the setup's output goes where the team wants it
        self.wire.post(kind=Wire.CAPTURE, first=int(discard))
        # then the setup, until whose report my tasks wait to start their clocks
        self.ready = setup is None
        if setup is not None:
            self.wire.post(kind=Wire.SETUP, body=setup)
        # all done
        return self

    def retire(self):
        """
        I have run as many tasks as a crew may: i take no more, and go once mine are reported
        """
        # move
        self._enter(self.retiring)
        # all done
        return self

    def lose(self):
        """
        My channel is closed or of no use: let go of it; my process is seen out by my recruiter
        """
        # move
        self._enter(self.lost)
        # and let go of my channel
        self.resign()
        # all done
        return self

    def bury(self):
        """
        My process is gone: let go of whatever is left
        """
        # move
        self._enter(self.buried)
        # and let go of my channel, if i still held it
        self.resign()
        # all done
        return self

    def starting(self):
        """
        Whether my twin has yet to register
        """
        return self.state is self.recruited

    def accepting(self):
        """
        Whether i take tasks
        """
        return self.state is self.active

    def available(self):
        """
        Whether i take tasks, or will once my twin registers: what counts towards the strength
        of my team
        """
        return self.state is self.active or self.state is self.recruited

    def serving(self):
        """
        Whether my twin registered and i still hear it: taking tasks, or finishing them
        """
        return self.state is self.active or self.state is self.retiring

    def leaving(self):
        """
        Whether i take no more tasks but still have some to finish
        """
        return self.state is self.retiring

    def gone(self):
        """
        Whether my channel is closed for good
        """
        return self.state is self.lost or self.state is self.buried

    def reaped(self):
        """
        Whether my process is gone and i am off the rosters
        """
        return self.state is self.buried

    # team side: the tasks i hold; my twin runs them in the order they were sent and reports
    # them in that order, so the oldest one without a report is the one running
    def running(self):
        """
        The task my twin is running, or {None}
        """
        return self.inflight[0] if self.inflight else None

    def runs(self, task):
        """
        Whether {task} is the one my twin is running
        """
        return bool(self.inflight) and self.inflight[0] is task

    def load(self):
        """
        The number of tasks i hold: the one running and the ones waiting behind it
        """
        return len(self.inflight)

    def holds(self, task):
        """
        Whether {task} is one of mine
        """
        return task in self.inflight

    def find(self, tid):
        """
        The task of mine whose id is {tid}, or {None}
        """
        for task in self.inflight:
            if task.tid == tid:
                return task
        return None

    def waiting(self):
        """
        The tasks i hold that have not started, in the order they were sent
        """
        return list(self.inflight)[1:]

    def release(self):
        """
        Let go of the task running, which has its outcome or is about to; returns it
        """
        # take it off
        task = self.inflight.popleft()
        task.crew = None
        # and hand it over
        return task

    def recall(self, keep=0):
        """
        Let go of the tasks i hold past the first {keep}, none of which started; returns them
        last first, so putting each back at the head of a queue keeps their order
        """
        # the tasks
        inflight = self.inflight
        recalled = []
        # take them off, from the back
        while len(inflight) > keep:
            task = inflight.pop()
            task.crew = None
            recalled.append(task)
        # and hand them over
        return recalled

    # interface - worker side
    def register(self):
        """
        Initialize the worker side
        """
        # i am the worker side
        self.workerSide = True
        # frame my traffic; a heartbeat, if i have one, shares it
        self.wire = Wire(channel=self.channel, side=self.side, limit=self.limit, lock=self.lock)
        # send my registration as soon as the channel takes it
        self.dispatcher.whenWriteReady(channel=self.channel, call=self.checkin)
        # all done
        return self

    def checkin(self, channel):
        """
        Send my team registration now that my communication channel is open
        """
        # introduce myself
        self.wire.post(
            kind=Wire.READY,
            first=self.crewcodes.healthy,
            body=Codec.encode((socket.gethostname(), os.getpid())),
        )
        # send it
        self.transmit()
        # and wait for tasks
        self.dispatcher.whenReadReady(channel=channel, call=self.perform)
        # do not reschedule this handler
        return False

    def perform(self, channel, **kwds):
        """
        A notification has arrived that indicates there is a task waiting to be executed

        N.B.: this is an event handler; careful with its return value
        """
        # read what arrived
        alive = self._take()
        # if the team is gone, or let go of me, there is nobody to work for
        if not alive:
            # so stop
            self.stop()
            return False
        # work through the backlog
        while self.backlog:
            # get the next frame
            kind, tid, first, _, body = self.backlog.popleft()
            # tasks
            if kind == Wire.TASK:
                # the reports of the tasks before it go out first, so the team never charges
                # this task for the time they spent waiting in my outbox
                if self.wire.outbox and not self._deliver():
                    # the team is gone
                    self.stop()
                    return False
                # carry it out and report
                healthy = self._carry(channel=channel, tid=tid, body=body, **kwds)
                # if i can't go on
                if not healthy:
                    # stop
                    self.stop()
                    return False
                # if the task took long enough for news to arrive, e.g. a revocation
                if self.backlog and time.monotonic() - self.heard > self.catchup:
                    # catch up; a team that is gone gets no more work done
                    if not self._take():
                        self.stop()
                        return False
            # what to do with my output: the first status byte says whether to discard it
            elif kind == Wire.CAPTURE:
                self._capture(discard=bool(first))
            # the team's setup for this crew
            elif kind == Wire.SETUP:
                # run it
                if not self._setup(channel=channel, body=body):
                    # a crew whose setup failed is no use
                    self.stop()
                    return False
            # being told to leave
            elif kind == Wire.QUIT:
                # means the end
                self.stop()
                return False
        # wait for more
        return True

    def announce(self, news):
        """
        Send my team the {news} of the task i am running, unless i sent some very recently: then
        it waits for the next announcement, or for the report of the task
        """
        # when
        now = time.monotonic()
        # if it is too soon after the last one
        if now - self.announced < self.interval:
            # hold on to it; it replaces whatever was waiting
            self.news = (news,)
            return
        # otherwise, send it
        self.news = None
        self.announced = now
        self.wire.post(kind=Wire.PROGRESS, tid=self.current, body=Codec.encode(news))
        self.transmit()
        # all done
        return

    def engage(self, task, **kwds):
        """
        Carry out the task
        """
        # just do it
        return task(**kwds)

    def report(self, channel, crewstatus, taskstatus, result, **kwds):
        """
        Post the task completion {report}
        """
        # serialize the outcome; buffers that are still where the task's arguments arrived, in
        # shared memory, go back as references to them
        try:
            body = Codec.encode(result, origin=kwds.get("origin"))
        # if that is impossible, in whatever way: pickling runs the code of the result, which
        # may raise anything, and the process is still sound
        except BaseException as error:
            # a result that can't travel
            if taskstatus == self.taskcodes.completed:
                # becomes an error that can
                problem = exceptions.UnpicklableResult(
                    what="the result of the task", error=exceptions.describe(error)
                )
                text = ""
            # an error that can't travel
            else:
                # is described instead, naming what stopped it
                failure, text = result
                problem = exceptions.TaskAborted(
                    kind=type(failure).__qualname__,
                    message=f"{exceptions.message(failure)} (it could not be sent back: {exceptions.describe(error)})",
                    traceback=text,
                )
            # either way, the task aborted
            taskstatus = self.taskcodes.aborted
            body = Codec.encode((problem, text))
        # queue the report; it goes out with whatever else my caller has to say
        self.wire.post(
            kind=Wire.REPORT, tid=kwds["tid"], first=crewstatus, second=taskstatus, body=body
        )
        # all done
        return

    def resign(self):
        """
        Let go of my channel
        """
        # if i still hold it
        if self.wire is not None:
            # stop watching it; a closed channel left in the dispatcher deafens its successor
            self.dispatcher.forget(self.channel)
            # what i printed last goes out too, and my streams are mine again
            if self.output is not None:
                self.output.stop()
                self.output = None
            # on the worker side, whatever is still queued must go out before i leave
            if self.workerSide and self.wire.pending():
                # so wait for it
                self._finish()
            # close it, and its side channel
            for channel in (self.channel, self.side):
                try:
                    if channel is not None:
                        channel.close()
                except OSError:
                    pass
            # remember how much went out and came in, and forget the wire
            self.sent = self.wire.sent
            self.received = self.wire.received
            self.wire = None
        # stop any deadline clock
        if self.alarm is not None:
            self.alarm.cancel()
            self.alarm = None
        # all done
        return self

    # meta-methods
    def __init__(self, pid, channel, **kwds):
        # chain up
        super().__init__(**kwds)
        # my twin's id, assigned by my recruiter: a process id for local workers
        self.pid = pid
        # the channel to my twin, and the unix socket beside it that carries the descriptors of
        # shared memory, if my recruiter made one
        self.channel = channel
        self.side = None
        # the largest message i accept from my twin; {None} for no limit
        self.limit = None
        # why my channel failed, if it did rather than close
        self.failure = None
        # worker side: the lock that lets a heartbeat thread write to my channel too, if any
        self.lock = None
        # where my twin lives
        self.host = socket.gethostname()
        # framed traffic over my channel; built when the conversation starts
        self.wire = None
        # the bytes written to my twin and read from it, once my wire is gone
        self.sent = None
        self.received = 0
        # team side: where i am in my life, the tasks sent and not yet reported, the number of
        # tasks i was handed, the deadline clock of the running task, whether a write handler
        # is waiting for my channel, recruiter specific notes
        self.state = self.recruited
        self.inflight = collections.deque()
        self.assigned = 0
        self.alarm = None
        self.draining = False
        self.notes = None
        # whether my twin is through with the team's initializer, so tasks can start; the tasks
        # meant for me alone that wait for my twin to register
        self.ready = False
        self.errands = []
        # the last task reported that came in shared memory, with that memory, until my twin
        # says whether it let go of it
        self.lent = None
        # when i last reported, or started working after being idle; the tasks i reported, and
        # the seconds i was busy with them
        self.since = 0.0
        self.reported = 0
        self.busy = 0.0
        # when my twin registered, so the time i was idle is the rest
        self.joined = None
        # team side: when i must take no more tasks, e.g. as the batch job that hosts my twin nears
        # its walltime, and when my replacement is to be recruited, as my recruiter says; and
        # whether it has been
        self.retires = None
        self.renews = None
        self.renewed = False
        # when i last read my channel: the team side tells a silent twin by it
        self.heard = 0.0
        # whether i am the worker side; there, the frames read but not handled, the tasks
        # revoked before they started, and how long a task may run before i check the channel
        # again
        self.workerSide = False
        self.backlog = collections.deque()
        self.revoked = set()
        self.catchup = 1e-3
        # worker side: the most memory, in bytes, my recruiter lets my process map; 0 for no limit;
        # team side: the memory limit of my cgroup, once the kernel killed my worker for it
        self.memory = 0
        # team side: the limit of processes of my cgroup, once a task of mine ran into it
        self.pids = 0
        # worker side: the task i am running, the capture of my output, and the news of the
        # task that waits to be announced, with when i last announced some
        self.current = 0
        self.output = None
        self.news = None
        self.announced = 0.0
        # all done
        return

    def __str__(self):
        # name me after my twin, whose id a remote one tells when it registers
        return f"crew {'?' if self.pid is None else self.pid}@{self.host}"

    # implementation details - team side
    def _enter(self, state):
        """
        Move to {state}, if my present one leads there
        """
        # check
        if self.state not in self.transitions[state]:
            raise exceptions.InvalidTransition(crew=str(self), state=self.state, target=state)
        # and move
        self.state = state
        # all done
        return

    def _pull(self, team):
        """
        Read what arrived; {False} when my twin has closed its end
        """
        # note when my twin was last heard from
        self.heard = time.monotonic()
        # carefully
        try:
            return self.wire.pull()
        # a broken channel is a closed channel, but the reason is worth keeping
        except OSError as error:
            self.failure = error.strerror or type(error).__name__
            return False

    def _frames(self, team):
        """
        Extract the complete frames, treating a garbled stream as a closed channel
        """
        # carefully; a frame too large for me is dealt with by my handlers
        try:
            return self.wire.frames()
        # if my twin announced shared memory it never sent
        except OSError as error:
            # it is no twin of mine
            self.warning.log(f"{self}: {error}")
            return [(None, 0, 0, 0, b"")]

    def _fail(self, team, error, task=None):
        """
        The team could not take in what my twin sent, because of {error}: give the task whose
        report it was its outcome, let me go, and pass on what is not an {Exception}, e.g. a
        {SystemExit} raised by code the report ran
        """
        # a frame larger than i accept was dropped unread, and my channel cannot go on past it
        if isinstance(error, Wire.Oversized):
            # if it is the report of the task running
            head = self.running()
            if head is not None and head.tid == error.tid and not head.done():
                # that task gets the reason
                self.release()
                team.abandon(
                    task=head,
                    error=exceptions.FrameTooLarge(
                        what=f"the report of {head.label}", size=error.size, limit=error.limit
                    ),
                )
            # and i am let go; whatever else i hold never started, or is blamed if it did
            self.failure = str(error)
            team.lost(crew=self, reason=f"{self}: {error}", suspect=head is None or head.tid != error.tid)
            return False
        # the task whose report it was gets the reason
        reason = exceptions.describe(error)
        if task is not None and not task.done():
            team.abandon(task=task, error=exceptions.Mishandled(what=f"the report of {task.label}", error=reason))
        # an error of the team's is worth a look
        if isinstance(error, Exception):
            self.warning.line(f"{self}: the team failed while it took in its reports")
            self.warning.log("".join(traceback.format_exception(error)))
        # i am let go, and the task i was running is blamed as if i had died
        self.failure = f"the team failed while it took in its reports: {reason}"
        team.lost(crew=self, reason=f"{self}: {self.failure}")
        # what is not an error goes on to the caller, now that the books are straight
        if not isinstance(error, Exception):
            raise error
        # and i'm done listening
        return False

    def _recycle(self, tid):
        """
        My twin let go of the shared memory of task {tid}: once the task is over, it can be
        filled with another one
        """
        # the task i lent it for
        lent, self.lent = self.lent, None
        # if it is this one, and it is over, so nothing will send it again
        if lent is not None and lent[0].tid == tid and lent[0].payload is not lent[1]:
            # reuse it
            lent[1].recycle()
        # all done
        return

    @staticmethod
    def _rebuild(body):
        """
        Rebuild the error of a failed task, with the worker's traceback as its cause
        """
        # carefully, since the error may not be rebuildable here, and unpickling runs code that
        # may raise anything, {SystemExit} included
        try:
            error, text = Codec.decode(body)
            # what raised in the worker must be something the caller can raise
            if not isinstance(error, BaseException):
                raise TypeError(f"{type(error).__qualname__} is not an exception")
        # if it isn't
        except BaseException as problem:
            # say so
            return exceptions.TaskAborted(
                kind="an exception",
                message=f"that the team could not unpickle: {exceptions.describe(problem)}",
            )
        # attach the traceback
        if text:
            error.__cause__ = exceptions.RemoteTraceback(text)
        # and hand it over
        return error

    @staticmethod
    def _trace(error):
        """
        The worker's traceback of {error}, as text, from the first frame of the task: the frames
        of this package that lead to it say nothing about the task, so they are left out, unless
        {PYRE_NEXUS_TRACEBACK} is {full} in the environment, or they are all there is
        """
        # the frames, from the outermost
        start = error.__traceback__
        # unless asked for all of them
        if os.environ.get("PYRE_NEXUS_TRACEBACK") != "full":
            # skip mine
            home = os.path.dirname(__file__) + os.sep
            frame = start
            while frame is not None and frame.tb_frame.f_code.co_filename.startswith(home):
                frame = frame.tb_next
            # if any are left; otherwise, the error is mine, and all of them say where
            start = frame or start
        # render
        return "".join(traceback.format_exception(type(error), error, start))

    # implementation details - worker side
    def _take(self):
        """
        Read what arrived and add it to the backlog; {False} when the team is gone
        """
        # read
        try:
            alive = self.wire.pull()
        except OSError:
            alive = False
        # note when
        self.heard = time.monotonic()
        # extract the frames; one this process cannot map for lack of memory, e.g. a task too
        # large for its limit, ends it, with the exit status that tells the team why
        try:
            frames = self.wire.frames()
        except (MemoryError, OSError) as error:
            if isinstance(error, MemoryError) or error.errno == errno.ENOMEM:
                os._exit(exceptions.Casualty.starved)
            raise
        # go through the frames
        for frame in frames:
            # note the revocations right away, so they catch the tasks they are about
            if frame[0] == Wire.REVOKE:
                self.revoked.add(frame[1])
            # and add the rest to the backlog
            else:
                self.backlog.append(frame)
        # all done
        return alive

    def _carry(self, channel, tid, body, **kwds):
        """
        Decode, engage and report the task {tid}; {False} if i can't go on after it
        """
        # a task the team withdrew
        if tid in self.revoked:
            # is skipped, but reported, since the team counts reports
            self.revoked.discard(tid)
            self.report(
                channel=channel,
                crewstatus=self.crewcodes.healthy,
                taskstatus=self.taskcodes.aborted,
                result=(exceptions.Cancelled(reason="revoked before it started"), ""),
                tid=tid,
            )
            self.transmit()
            return True
        # assume all goes well
        crewstatus = self.crewcodes.healthy
        taskstatus = self.taskcodes.completed
        # who i am, so a copy the task forked that returns here does not report too
        me = os.getpid()
        # the task is mine to announce
        self.current = tid
        Crew.working.crew = self
        # carefully
        try:
            # rebuild the task
            task = Codec.decodeTask(body)
            # and carry it out
            result = self.engage(task=task, **kwds)
        # if the failure may be temporary
        except pyre.nexus.exceptions.RecoverableError as error:
            taskstatus = self.taskcodes.failed
            result = (error, self._trace(error))
        # if the process is in trouble
        except MemoryError as error:
            taskstatus = self.taskcodes.aborted
            crewstatus = self.crewcodes.damaged
            # under the limit my recruiter set, the task ran my crew out of what it may use
            problem = error
            if self.memory:
                problem = exceptions.Casualty(
                    crew=str(self), pid=os.getpid(), task=f"task {tid}", memory=self.memory
                )
            result = (problem, self._trace(error))
        # if the task asked the interpreter to leave; raising that in the caller would end the
        # team's process, so it travels as a description
        except (SystemExit, KeyboardInterrupt) as error:
            taskstatus = self.taskcodes.aborted
            crewstatus = self.crewcodes.damaged
            text = self._trace(error)
            result = (
                exceptions.TaskAborted(kind=type(error).__name__, message=exceptions.message(error), traceback=text),
                text,
            )
        # anything else, e.g. {asyncio.CancelledError}, which leaves the process sound, goes
        # back as itself, as {concurrent.futures} does
        except BaseException as error:
            taskstatus = self.taskcodes.aborted
            result = (error, self._trace(error))
        # drop the traceback's hold on the task's frames
        finally:
            task = None
            Crew.working.crew = None
            # a copy of me that the task forked and that came back here shares my channel, and
            # would report for me and take my next tasks: it leaves at once, quietly
            if os.getpid() != me:
                os._exit(0)
        # what the task printed, and its last news, go before its report
        if self.output is not None:
            self.output.drain()
        if self.news is not None:
            # news that cannot travel is dropped: the task is over, and its report says more
            try:
                self.wire.post(kind=Wire.PROGRESS, tid=tid, body=Codec.encode(self.news[0]))
            except BaseException:
                pass
            self.news = None
        self.current = 0
        # report; a task that came in shared memory may have its result refer to it
        self.report(
            channel=channel,
            crewstatus=crewstatus,
            taskstatus=taskstatus,
            result=result,
            tid=tid,
            origin=body if type(body) is mmap.mmap else None,
        )
        # a task that came in shared memory, unless it kept some of it, lets go of it, so the team
        # can fill it with another; the team hears of it with the report
        if type(body) is mmap.mmap:
            result = None
            try:
                body.close()
            except BufferError:
                pass
            else:
                self.wire.post(kind=Wire.RELEASE, tid=tid)
        # send
        self.transmit()
        # and say whether i can go on
        return crewstatus == self.crewcodes.healthy

    def _capture(self, discard):
        """
        Send my output to the team, or {discard} it
        """
        # a thread of my output's shares my channel, so it needs a lock, unless it has one
        if not discard and self.lock is None:
            self.lock = threading.Lock()
            self.wire.serialize(lock=self.lock)
        # start the capture
        self.output = Output(crew=self, discard=discard).start()
        # all done
        return

    def _setup(self, channel, body):
        """
        Run the team's initializer for this crew; {False} if it failed
        """
        # carefully
        try:
            # rebuild the initializer and run it, and keep what it returns for my tasks
            Crew.working.state = Codec.decode(body)()
        # if anything goes wrong
        except BaseException as error:
            # tell the team, which counts this as a failed recruitment
            self.report(
                channel=channel,
                crewstatus=self.crewcodes.damaged,
                taskstatus=self.taskcodes.aborted,
                result=(error, self._trace(error)),
                tid=0,
            )
            self.transmit()
            # and say so
            return False
        # tell the team, so the clock of the first task starts now
        self.wire.post(
            kind=Wire.REPORT, tid=0, first=self.crewcodes.healthy, second=self.taskcodes.completed
        )
        # all good
        return True

    def _deliver(self):
        """
        Wait until my reports are written; {False} if the team is gone
        """
        # the descriptor to wait on
        fd = Wire._descriptor(self.channel.outbound)
        # carefully
        try:
            # as long as something is left
            while not self.wire.flush():
                # wait for room
                select.select([], [fd], [])
        # if the team is gone
        except OSError:
            return False
        # all written
        return True

    def _finish(self):
        """
        Write whatever is still queued, waiting as long as the team keeps reading
        """
        # block; the event loop is over, so there is nothing else to do
        os.set_blocking(Wire._descriptor(self.channel.outbound), True)
        # write
        try:
            self.wire.flush()
        # if the team is gone, nobody is listening
        except OSError:
            pass
        # all done
        return


# end of file
