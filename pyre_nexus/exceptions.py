# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Every way a task, a crew or a team can end badly, each with its own name

All of them can travel between processes: pickle rebuilds an exception by calling its class
with no arguments and then restoring its attributes, so every constructor argument here has a
default
"""

# externals
import concurrent.futures
import difflib
import signal
import sys
import traceback

# the framework
import journal
import pyre.nexus.exceptions
from pyre.components.exceptions import ConfigurationError as PyreConfigurationError
from pyre.components.exceptions import ResolutionError as PyreResolutionError
from pyre.components.Foundry import Foundry
from pyre.units.Dimensional import Dimensional


# rendering
def message(error):
    """
    The message of {error}, even when its {__str__} fails
    """
    # carefully, since its message is user code
    try:
        return str(error)
    except Exception as problem:
        return f"<its message could not be rendered: {type(problem).__qualname__}>"


def describe(error):
    """
    {error} as its type and message, for messages about it
    """
    text = message(error)
    kind = type(error).__qualname__
    return f"{kind}: {text}" if text else kind


# configuration checks
def configured(component, trait):
    """
    The value of {trait} of {component}, for checking it; where pyre cannot convert what the
    trait was given, what it was given, so a complaint shows what the user wrote
    """
    # reading it is when pyre converts it
    try:
        return getattr(component, trait)
    # pyre's errors carry the value they refused; any other error stands for it
    except Exception as error:
        return getattr(error, "value", error)


def complain(component, trait, value, accepted):
    """
    The {ConfigurationError} about the {value} of {trait} of {component}, a team or a recruiter,
    which says what is {accepted}; {pyre_configured} yields it as text
    """
    return ConfigurationError(
        component=component.pyre_name or component.pyre_family(), trait=trait, value=value, accepted=accepted
    )


def unclaimed(component, key, name, origin):
    """
    The {ConfigurationError} about the setting {key}, made at {origin}, which is under the
    configuration of {component}, a team or a recruiter, but names none of its traits: its
    fragment {name} is not one, and the message suggests the traits spelled most like it
    """
    # the traits, and those spelled like {name}
    traits = [trait.name for trait in component.pyre_configurables()]
    nearest = difflib.get_close_matches(name, traits)
    # which the message offers, or else all of them
    if nearest:
        hint = "did you mean " + " or ".join(f"'{trait}'" for trait in nearest) + "?"
    else:
        hint = "its traits are " + ", ".join(traits)
    # the problem, with a description of its own, since it is about a name, not a value
    owner = component.pyre_name or component.pyre_family()
    problem = ConfigurationError(component=owner, trait=name, accepted=hint)
    problem.description = f"{key}: {component.pyre_family()} has no trait '{name}'; {hint} (set {origin})"
    # all done
    return problem


# the base
class NexusError(pyre.nexus.exceptions.NexusError):
    """
    Base class of the errors raised by pyre_nexus
    """

    # meta-methods
    def __str__(self):
        # our descriptions are complete sentences; don't let {str.format} near user text
        return self.description

    def __repr__(self):
        # show the description
        return f"{type(self).__name__}({self.description!r})"


class RecoverableError(pyre.nexus.exceptions.RecoverableError, NexusError):
    """
    Raised by a task whose failure may be temporary; the team runs it again, up to its
    {retries}, and then hands this error to the caller
    """

    # meta-methods
    def __init__(self, description="a recoverable error", **kwds):
        # chain up
        super().__init__(description=description, **kwds)
        # all done
        return


class RemoteTraceback(Exception):
    """
    The traceback of an exception raised in a worker, attached as the {__cause__} of the
    exception the caller sees, so the report shows where in the worker things went wrong, from
    the first frame of the task
    """

    # meta-methods
    def __init__(self, text=""):
        # chain up
        super().__init__(text)
        # save
        self.text = text
        # all done
        return

    def __str__(self):
        # show the text as the worker printed it
        return f"\n\"\"\"\n{self.text}\"\"\""


class TaskAborted(NexusError):
    """
    A task raised an exception that could not be sent back as itself, e.g. one that cannot be
    pickled; this carries its type, message and the worker's traceback text instead
    """

    # meta-methods
    def __init__(self, kind="Exception", message="", traceback="", **kwds):
        # build the description
        description = f"the task raised {kind}: {message}"
        # chain up
        super().__init__(description=description, **kwds)
        # save
        self.kind = kind
        self.message = message
        self.traceback = traceback
        # all done
        return


class Casualty(NexusError):
    """
    The worker process died while it was running the task: it exited, crashed, or was killed
    by a signal, e.g. by the kernel when it ran out of memory; or the link to a remote worker
    failed, e.g. behind a partition or a frozen host; or the task ran it out of the {memory}
    its recruiter allows each crew, or into its limit of {pids} processes and threads
    """

    # meta-methods
    def __init__(self, crew="crew", pid=0, status=None, task="a task", link=None, memory=0, pids=0, **kwds):
        # describe the death
        cause = self.cause(status)
        # and a failure of the link, which says more than the status of what was killed after
        if link is not None:
            cause = f"its link failed ({link}), and then its launcher {cause}"
        # or the limit the task ran into, which ended its crew
        if memory:
            cause = f"it ran out of memory: the crew's limit is {self.size(memory)} (memory trait)"
        if pids:
            cause = f"it ran into the crew's limit of {pids} processes and threads (pids trait)"
        # build the description
        description = f"{crew} died while running {task}: {cause}"
        # chain up
        super().__init__(description=description, **kwds)
        # save
        self.crew = crew
        self.pid = pid
        self.status = status
        self.link = link
        self.memory = memory
        self.pids = pids
        # all done
        return

    # the exit status of a worker that could not map a frame it was sent for lack of memory
    starved = 71

    @staticmethod
    def size(count):
        """
        Render {count} bytes in the largest binary unit that leaves at least one of it
        """
        # find the unit
        value = float(count)
        for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
            if value < 1024 or unit == "TiB":
                break
            value /= 1024
        # and render
        return f"{round(value, 1):g} {unit}"

    @staticmethod
    def cause(status):
        """
        Render a wait status as words
        """
        # an unknown status
        if status is None:
            return "its channel closed and its exit status is unknown"
        # a signal
        if status < 0:
            # look up its name
            try:
                name = signal.Signals(-status).name
            except ValueError:
                name = "an unknown signal"
            # a SIGKILL nobody on the team sent is usually the kernel's out-of-memory killer
            hint = ", e.g. by the out-of-memory killer" if -status == signal.SIGKILL else ""
            # and render
            return f"killed by signal {-status} ({name}){hint}"
        # the exit of a worker that could not take in what it was sent
        if status == Casualty.starved:
            return "it ran out of memory while it received the task"
        # an exit
        return f"exited with status {status}"


class DeadlineExceeded(NexusError, TimeoutError):
    """
    The task ran past its deadline; its worker was killed and replaced
    """

    # meta-methods
    def __init__(self, task="a task", deadline=0.0, crew="crew", pid=0, **kwds):
        # build the description
        description = (
            f"{task} ran past its deadline of {deadline:g} s on {crew}; "
            f"the worker was killed and replaced"
        )
        # chain up
        super().__init__(description=description, **kwds)
        # save
        self.deadline = deadline
        self.pid = pid
        # all done
        return


class CrewGone(NexusError):
    """
    The task was meant for one crew alone, e.g. by {everywhere}, and that crew was gone, or went,
    before the task could run there
    """

    # meta-methods
    def __init__(self, task="a task", crew="crew", **kwds):
        # build the description
        description = f"{task} was meant for {crew} alone, which was gone before it could run it"
        # chain up
        super().__init__(description=description, **kwds)
        # save
        self.crew = crew
        # all done
        return


class Cancelled(NexusError, concurrent.futures.CancelledError):
    """
    The task was cancelled before it could finish; {reason} says by whom
    """

    # meta-methods
    def __init__(self, reason="the task was cancelled", **kwds):
        # chain up
        super().__init__(description=reason, **kwds)
        # save
        self.reason = reason
        # all done
        return


class MarshalingError(NexusError):
    """
    Base class for objects that could not be serialized for the trip between processes
    """

    # meta-methods
    def __init__(self, what="an object", error="", **kwds):
        # build the description
        description = f"could not pickle {what}: {error}"
        # chain up
        super().__init__(description=description, **kwds)
        # save
        self.what = what
        self.reason = error
        # all done
        return


class UnpicklableTask(MarshalingError):
    """
    The task, or one of its arguments, could not be pickled; nothing was sent to any worker
    """


class UnpicklableResult(MarshalingError):
    """
    The task ran, but its result could not be pickled; the worker carries on
    """


class FrameTooLarge(NexusError):
    """
    What a worker sent about the task, e.g. its result, is larger than the team accepts from
    that crew (the recruiter's {maxframe}); it was dropped before any of it was read, and the
    crew was let go, since its channel cannot go on past it
    """

    # meta-methods
    def __init__(self, what="a report", size=0, limit=0, **kwds):
        # build the description
        description = (
            f"{what} is {size} bytes, more than the {limit} bytes the team accepts in one frame "
            f"(the recruiter's maxframe trait); it was dropped unread"
        )
        # chain up
        super().__init__(description=description, **kwds)
        # save
        self.size = size
        self.limit = limit
        # all done
        return


class Mishandled(NexusError):
    """
    The team itself failed while it took in what a crew reported about the task, e.g. it ran
    out of memory; the crew was let go, so no report of it is half read
    """

    # meta-methods
    def __init__(self, what="a report", error="", **kwds):
        # build the description
        description = f"the team failed while it took in {what}: {error}"
        # chain up
        super().__init__(description=description, **kwds)
        # save
        self.reason = error
        # all done
        return


class ConfigurationError(NexusError, ValueError):
    """
    A trait of a team or recruiter has a value it cannot work with
    """

    # meta-methods
    def __init__(self, component="component", trait="trait", value=None, accepted="", **kwds):
        # build the description; quantities show as they are written, e.g. -1.0*s
        shown = str(value) if isinstance(value, Dimensional) else value
        description = f"{component}.{trait}: bad value {shown!r}; expected {accepted}"
        # chain up
        super().__init__(description=description, **kwds)
        # save
        self.component = component
        self.trait = trait
        self.value = value
        self.accepted = accepted
        # all done
        return


class Misconfigured(PyreConfigurationError, journal.exceptions.JournalError):
    """
    A team or a recruiter was built with values it cannot use: pyre's {ConfigurationError},
    whose message goes to the journal as it is raised, the way a fatal journal channel reports
    before it raises; so a pyre application, whose shell takes a journal error as said already,
    ends with the message and exit status 2 instead of a traceback of the framework's insides.
    With the debug channel {pyre_nexus.configuration} on, the report shows where it was raised
    """

    # where it is said, as an error that does not raise again
    channel = journal.error("pyre_nexus.configuration")
    channel.fatal = False
    # and whether to say where
    debug = journal.debug("pyre_nexus.configuration")

    # meta-methods
    def __init__(self, configurable=None, errors=(), **kwds):
        # chain up; my complaints are marked as said, so an error that carries them on, e.g.
        # that of the team whose recruiter i am about, does not say them again
        super().__init__(configurable=configurable, errors=[Said(error) for error in errors], **kwds)
        # what was not said before, if anything, e.g. not when pickle rebuilds me
        fresh = [error for error in errors if not isinstance(error, Said)]
        if fresh:
            # is said now
            self.channel.line("\n    ".join([f"while configuring {configurable}:", *fresh]))
            # with where, if asked
            if self.debug.active:
                self.channel.line("".join(traceback.format_stack()[:-1]).rstrip())
            self.channel.log()
        # all done
        return


class Unresolved(PyreResolutionError):
    """
    A name given for a team or a recruiter that names none: pyre's {ResolutionError}, with the
    names that would do
    """

    # public data
    description = (
        "could not resolve {0.value!r} into a component that implements {0.protocol}; "
        "expected one of {0.accepted}, or a full family name"
    )

    @property
    def accepted(self):
        """
        The short names of the implementations that ship beside my protocol
        """
        package = sys.modules.get(getattr(self.protocol, "__module__", "").rpartition(".")[0])
        names = [name for name, value in vars(package or object).items() if isinstance(value, Foundry)]
        return ", ".join(names) or "the names of its implementations"

    # meta-methods
    def __init__(self, protocol=None, value=None, report=None, **kwds):
        # chain up, with defaults, so pickle can rebuild me
        super().__init__(protocol=protocol, value=value, report=report, **kwds)
        # all done
        return


class Said(str):
    """
    The text of a configuration complaint that was said already
    """


class ArgumentError(NexusError, ValueError, TypeError):
    """
    A call was handed an argument it cannot work with, e.g. a negative or NaN timeout; it is a
    {ValueError} and a {TypeError}, what the standard library raises for a bad value and for
    one of the wrong kind
    """

    # meta-methods
    def __init__(self, call="call", argument="argument", value=None, accepted="", **kwds):
        # build the description; quantities show as they are written, e.g. -1.0*s
        shown = str(value) if isinstance(value, Dimensional) else value
        description = f"{call}: bad value {shown!r} for {argument}; expected {accepted}"
        # chain up
        super().__init__(description=description, **kwds)
        # save
        self.call = call
        self.argument = argument
        self.value = value
        self.accepted = accepted
        # all done
        return


class TeamClosed(NexusError, RuntimeError):
    """
    Work was submitted to a team that has been shut down
    """

    # meta-methods
    def __init__(self, team="team", **kwds):
        # build the description
        description = f"{team} has been shut down and takes no more work; submit before shutdown, or to another team"
        # chain up
        super().__init__(description=description, **kwds)
        # all done
        return


class WrongThread(NexusError, RuntimeError):
    """
    A thread other than the one whose event loop a team runs in tried to drive that loop
    """

    # meta-methods
    def __init__(self, call="call", team="team", thread="thread", advice=None, **kwds):
        # build the description
        advice = advice or (
            "call it from that thread, or give the team a thread of its own with mode=thread, "
            "which takes work and waits from any thread"
        )
        description = f"{call}: {team} runs in the event loop of thread '{thread}', which alone may use it; {advice}"
        # chain up
        super().__init__(description=description, **kwds)
        # all done
        return


class WaitInLoop(NexusError, RuntimeError):
    """
    The thread that runs a team's event loop tried to wait for what only that loop brings
    about, e.g. for a future from inside a done callback: it would wait for itself forever
    """

    # meta-methods
    def __init__(self, call="call", what="a future", team="team", **kwds):
        # build the description
        description = (
            f"{call}: waiting for {what} in the thread that runs the event loop of {team}, "
            f"e.g. in a done callback, would wait forever, since that loop delivers it; wait in "
            f"another thread, or chain the work with add_done_callback"
        )
        # chain up
        super().__init__(description=description, **kwds)
        # all done
        return


class InvalidTransition(NexusError, RuntimeError):
    """
    A crew was asked to move to a state that its present one does not lead to: a fault of the
    team, never of the user's tasks, so it is raised rather than worked around
    """

    # meta-methods
    def __init__(self, crew="crew", state="state", target="state", **kwds):
        # build the description
        description = f"{crew} cannot become {target} while it is {state}"
        # chain up
        super().__init__(description=description, **kwds)
        # save
        self.state = state
        self.target = target
        # all done
        return


class RecruitmentError(NexusError):
    """
    The recruiter could not bring up a worker
    """

    # meta-methods
    def __init__(self, recruiter="recruiter", reason="", **kwds):
        # build the description
        description = f"{recruiter} could not recruit a crew: {reason}"
        # chain up
        super().__init__(description=description, **kwds)
        # save
        self.reason = reason
        # all done
        return


# end of file
