# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import functools
import math

# the framework
from pyre.units.Dimensional import Dimensional
from pyre.components.exceptions import ResolutionError
from pyre.components.exceptions import ConfigurationError as PyreConfigurationError

# my parts
from ..Codec import Codec
from ..Dispatcher import Dispatcher, limit, seconds
from .Echo import Echo
from .Retry import Retry
from .. import exceptions
from .. import recruiters


# declaration
class Policy:
    """
    The configuration of a team, checked, and kept as plain attributes for the hot paths that
    consult it for every task: reading a trait through pyre costs microseconds
    """

    # the traits of a team that are checked, and the bounds of its counts
    counts = {
        "size": (1, "a positive number of crews"),
        "pipeline": (1, "a positive number of tasks per crew"),
        "retries": (0, "zero or more retries"),
        "casualties": (1, "a positive number of crew deaths"),
        "maxtasks": (0, "zero for no limit, or a positive number of tasks per crew"),
        "minimum": (0, "zero or more crews, at most the team's size"),
    }
    # and its switches, which pyre refuses without naming them
    switches = ("summary", "progress")
    checked = (*counts, *switches, "deadline", "idle", "backoff", "ceiling", "growth", "retryable", "dispatcher", "recruiter", "initializer", "initargs", "output")

    # interface
    @classmethod
    def check(cls, team, trait):
        """
        Generate the problems with the value of the {trait} of {team}, as {ConfigurationError}
        instances that name the trait, the value and what is accepted
        """
        # the counts
        if trait in cls.counts:
            least, accepted = cls.counts[trait]
            # get the value, which is when pyre converts it
            value = exceptions.configured(team, trait)
            # one that is not a count
            if not isinstance(value, int):
                yield exceptions.complain(team, trait=trait, value=value, accepted=f"an integer: {accepted}")
            # or is too small
            elif value < least:
                yield exceptions.complain(team, trait=trait, value=value, accepted=accepted)
            # the minimum is at most the size
            elif trait == "minimum" and isinstance(size := exceptions.configured(team, "size"), int) and value > size:
                yield exceptions.complain(team, trait=trait, value=value, accepted=f"at most the size, {size}")
        # the switches are on or off
        elif trait in cls.switches:
            value = exceptions.configured(team, trait)
            if not isinstance(value, bool):
                yield exceptions.complain(team, trait=trait, value=value, accepted="true or false")
        # the growth of the wait between retries must not shrink it
        elif trait == "growth":
            value = exceptions.configured(team, trait)
            if not (isinstance(value, float) and 1 <= value < math.inf):
                yield exceptions.complain(team, trait=trait, value=value, accepted="a factor of 1 or more, e.g. 2")
        # the exceptions whose tasks run again must be exception classes
        elif trait == "retryable":
            for name in exceptions.configured(team, trait) or ():
                try:
                    Retry.resolve(name)
                except ValueError as error:
                    yield exceptions.complain(team, trait=trait, value=name, accepted=f"an exception class ({error})")
        # the deadline, the idle time and the waits between retries must be times
        elif trait in ("deadline", "idle", "backoff", "ceiling"):
            value = exceptions.configured(team, trait)
            if not (isinstance(value, Dimensional) and seconds(value) >= 0):
                yield exceptions.complain(
                    team,
                    trait=trait,
                    value=value,
                    accepted="a non-negative time with units, e.g. 30*s or 500*ms; 0*s or inf*s for none",
                )
        # the event loop must be able to run single passes and cancel alarms
        elif trait == "dispatcher":
            dispatcher = exceptions.configured(team, "dispatcher")
            if not isinstance(dispatcher, Dispatcher):
                yield exceptions.complain(
                    team,
                    trait="dispatcher",
                    value=dispatcher,
                    accepted=(
                        "pyre_nexus.dispatcher, which runs single passes and cancels alarms; "
                        "to share a host's loop, configure the host with it too"
                    ),
                )
        # the output must go somewhere a team knows
        elif trait == "output":
            if team.output not in Echo.modes:
                yield exceptions.complain(team, trait="output", value=team.output, accepted=" or ".join(Echo.modes))
        # the initializer must be importable and picklable, with its arguments
        elif trait in ("initializer", "initargs"):
            try:
                cls.initializer(team=team)
            except exceptions.ConfigurationError as problem:
                yield problem
        # the recruiter must resolve, and be sound itself
        elif trait == "recruiter":
            try:
                team.recruiter
            except ResolutionError as error:
                names = ", ".join(recruiters.names())
                yield exceptions.complain(
                    team,
                    trait="recruiter",
                    value=error.value,
                    accepted=f"a recruiter: one of {names}, or a full family name",
                )
            except PyreConfigurationError as error:
                yield from error.errors
        # all done
        return

    @classmethod
    def initializer(cls, team):
        """
        Serialize the initializer of {team} with its arguments, once for every crew; {None} if
        there is none
        """
        # get it
        initializer = team.initializer
        # if there is none
        if initializer is None:
            return None
        # a name
        if isinstance(initializer, str):
            # gets resolved
            module, _, name = initializer.replace(":", ".").rpartition(".")
            try:
                initializer = getattr(__import__(module, fromlist=[name]), name)
            except (ImportError, AttributeError, ValueError) as error:
                raise exceptions.complain(
                    team,
                    trait="initializer",
                    value=team.initializer,
                    accepted=f"an importable 'module:function' ({error})",
                )
        # serialize it with its arguments
        try:
            return Codec.encode(functools.partial(initializer, *team.initargs))
        except Codec.unpicklable as error:
            raise exceptions.complain(
                team,
                trait="initializer",
                value=initializer,
                accepted=f"a picklable callable ({error})",
            )

    # meta-methods
    def __init__(self, team):
        # the event loop
        self.loop = team.dispatcher
        # the counts
        self.size = team.size
        self.pipeline = team.pipeline
        self.retries = team.retries
        self.casualties = team.casualties
        self.maxtasks = team.maxtasks
        self.minimum = team.minimum
        # the deadline of a task in seconds, or {None}, which 0*s and an infinite one mean
        self.deadline = limit(team.deadline, call=str(team), argument="deadline") or None
        # how long a crew may sit idle, in seconds, or {None} for as long as it likes
        self.idle = limit(team.idle, call=str(team), argument="idle") or None
        # when a task that failed runs again
        self.retry = Retry(
            limit=team.retries,
            kinds=[Retry.resolve(name) for name in team.retryable],
            initial=seconds(team.backoff),
            factor=team.growth,
            maximum=seconds(team.ceiling),
        )
        # the initializer, serialized once for every crew
        self.setup = self.initializer(team=team)
        # what becomes of what the workers print, and whether to show progress
        self.output = team.output
        self.progress = team.progress
        # failed recruitments in a row that make the team give up on waiting tasks
        self.tolerance = max(2, self.size)
        # all done
        return

    # keep them compact
    __slots__ = (
        "loop",
        "size",
        "pipeline",
        "retries",
        "retry",
        "casualties",
        "maxtasks",
        "minimum",
        "deadline",
        "idle",
        "setup",
        "output",
        "progress",
        "tolerance",
    )


# end of file
