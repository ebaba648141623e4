# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import collections
import time
from concurrent.futures._base import FINISHED

# my parts
from .. import exceptions


# declaration
class Ledger:
    """
    The books of a team: how its tasks ended, how many were retried or rerun, how deep its
    queue got, why it grew and shrank, and for each crew how many tasks it reported, how long
    it was busy and how many bytes it moved. Every count is kept where the event happens, so
    reading the books costs nothing until somebody asks
    """

    # how many of the latest decisions on the team's size are kept
    memory = 256

    # the outcomes, by the class of a task's error; the first match wins
    kinds = (
        (exceptions.Casualty, "casualties"),
        (exceptions.DeadlineExceeded, "deadlines"),
        (exceptions.RecruitmentError, "unrecruited"),
    )

    # interface
    def record(self, future):
        """
        {future} has its outcome: count it
        """
        # by its kind; a result is the common case, so it is spotted first
        if future._exception is None and future._state is FINISHED:
            self.outcomes["completed"] += 1
        else:
            self.outcomes[self.kind(future)] += 1
        # all done
        return

    def bury(self, crew):
        """
        {crew} is gone: fold its figures into the totals of the crews before it
        """
        # add them up
        for key, value in self.figures(crew).items():
            if isinstance(value, (int, float)) and key != "pid":
                self.buried[key] += value
        # and count it
        self.buried["crews"] += 1
        # all done
        return

    def retry(self, error):
        """
        A task runs again after {error}: count it, by its kind
        """
        self.retried += 1
        self.causes[type(error).__name__] += 1
        # all done
        return

    def decide(self, action, before, after, why):
        """
        The team went from {before} to {after} crews, an {action} of "grow" or "shrink", for
        the reason {why}: note it
        """
        # count it
        self.resized[action] += after - before if action == "grow" else before - after
        # and keep it, with when it happened
        self.decisions.append(
            {
                "seconds": round(time.monotonic() - self.started, 3),
                "action": action,
                "crews": [before, after],
                "why": why,
            }
        )
        # all done
        return

    def snapshot(self, team):
        """
        The books of {team} now, as a dictionary of plain values, ready for {json.dumps}
        """
        # the time since the team was built
        elapsed = time.monotonic() - self.started
        # the crews at work
        crews = [self.figures(crew) for crew in team.crews]
        # all done
        return {
            "team": str(team),
            "seconds": elapsed,
            "submitted": self.submitted,
            "outcomes": {kind: self.outcomes.get(kind, 0) for kind in self.order},
            "retried": self.retried,
            "retried by cause": dict(self.causes),
            "rerun": self.rerun,
            "queued": len(team.queue),
            "deepest queue": self.deepest,
            "crews": crews,
            "former crews": dict(self.buried),
            "grown": self.resized["grow"],
            "shrunk": self.resized["shrink"],
            "decisions": list(self.decisions),
            **team.recruiter.census(team=team),
        }

    def summary(self, team):
        """
        The books of {team} in a few lines of text
        """
        # get the books
        books = self.snapshot(team)
        # the outcomes
        outcomes = ", ".join(f"{count} {kind}" for kind, count in books["outcomes"].items() if count)
        # the work of every crew, present and past
        crews = books["crews"]
        former = books["former crews"]
        count = len(crews) + former.get("crews", 0)
        busy = sum(crew["busy seconds"] for crew in crews) + former.get("busy seconds", 0.0)
        idle = sum(crew["idle seconds"] for crew in crews) + former.get("idle seconds", 0.0)
        moved = sum(crew["bytes sent"] + crew["bytes received"] for crew in crews)
        moved += former.get("bytes sent", 0) + former.get("bytes received", 0)
        # the retries, by their causes
        causes = ", ".join(f"{count} {kind}" for kind, count in books["retried by cause"].items())
        retried = f"{books['retried']} retried after errors" + (f" ({causes})" if causes else "")
        # the lines
        return [
            f"{books['team']}: {books['submitted']} tasks in {books['seconds']:.2f} s: {outcomes or 'none done'}",
            f"  {retried}, {books['rerun']} rerun after their crew died, "
            f"{books['queued']} waiting, at most {books['deepest queue']} waited at once",
            f"  {count} crews, busy {busy:.2f} s and idle {idle:.2f} s in all, {moved / 1e6:.3f} MB moved",
            *(
                [f"  {books['grown']} crews recruited as the work grew, {books['shrunk']} let go as it shrank"]
                if books["grown"] or books["shrunk"]
                else []
            ),
        ]

    # meta-methods
    def __init__(self):
        # when the books were opened
        self.started = time.monotonic()
        # the tasks submitted, and how they ended
        self.submitted = 0
        self.outcomes = collections.Counter()
        # the tasks run again after a recoverable error, or after their crew died
        self.retried = 0
        self.rerun = 0
        # the retries by the kind of error that caused them
        self.causes = collections.Counter()
        # the deepest the queue got
        self.deepest = 0
        # the totals of the crews that are gone
        self.buried = collections.Counter()
        # the crews recruited and let go as the work changed, and the latest decisions
        self.resized = collections.Counter()
        self.decisions = collections.deque(maxlen=self.memory)
        # all done
        return

    # the outcomes, in the order they are shown
    order = ("completed", "failed", "casualties", "deadlines", "cancelled", "unrecruited")

    # implementation details
    def kind(self, future):
        """
        The kind of the outcome of {future}
        """
        # cancelled
        if future.cancelled():
            return "cancelled"
        # the error, if any
        error = future._exception
        # none is a result
        if error is None:
            return "completed"
        # the kinds the team itself decides
        for cls, kind in self.kinds:
            if isinstance(error, cls):
                return kind
        # and the rest are the tasks' own
        return "failed"

    @staticmethod
    def figures(crew):
        """
        The figures of {crew}
        """
        # its wire, or what it left
        wire = crew.wire
        sent = wire.sent if wire is not None else (crew.sent or 0)
        received = wire.received if wire is not None else crew.received
        # all done
        return {
            "crew": str(crew),
            "host": crew.host,
            "pid": crew.pid,
            "state": crew.state,
            "tasks": crew.reported,
            "busy seconds": crew.busy,
            "idle seconds": max(0.0, time.monotonic() - crew.joined - crew.busy) if crew.joined else 0.0,
            "bytes sent": sent,
            "bytes received": received,
        }


# end of file
