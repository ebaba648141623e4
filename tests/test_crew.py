# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The Crew holds to its specification: the seed page in doc/seed
"""

# externals
import inspect
import pathlib
import re
import types

import pyre.nexus.Peer
import pytest

# the package
import pyre_nexus


# the specification
seed = (pathlib.Path(__file__).parent.parent / "doc" / "seed" / "pyre.nexus.Crew.rst").read_text()


def parameters(text):
    """
    Split a parameter list of the seed into names, with stars for the variadic ones
    """
    return [name.strip() for name in text.split(",") if name.strip()]


def signature(function):
    """
    Render the parameters of {function} the way the seed writes them
    """
    rendered = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is parameter.VAR_KEYWORD:
            rendered.append(f"**{parameter.name}")
        elif parameter.kind is parameter.VAR_POSITIONAL:
            rendered.append(f"*{parameter.name}")
        else:
            rendered.append(parameter.name)
    return rendered


def test_base_class():
    """
    The Crew derives from pyre's Peer, as the seed says
    """
    # the seed names it
    assert ":class:`pyre.nexus.Peer.Peer`" in seed
    # and so does the class
    assert issubclass(pyre_nexus.crew, pyre.nexus.Peer.Peer)


def test_constructor():
    """
    The constructor takes what the seed says
    """
    # find it
    match = re.search(r"py:class:: Crew\((.*)\)", seed)
    assert match
    # compare
    assert signature(pyre_nexus.crew.__init__) == ["self", *parameters(match.group(1))]


def test_methods():
    """
    Every method of the seed is there, with its parameters
    """
    # the methods of the seed
    methods = re.findall(r"\.\. method:: (\w+)\((.*)\)", seed)
    # there are thirteen
    assert len(methods) == 13
    # each one
    for name, text in methods:
        # exists
        method = getattr(pyre_nexus.crew, name, None)
        assert callable(method), f"Crew.{name} is missing"
        # and takes what the seed says
        assert signature(method) == parameters(text), f"Crew.{name} drifted from the seed"


def test_handlers():
    """
    The event handlers return whether they stay scheduled, as pyre's dispatcher expects: the
    seed flags {activate}; {perform} is the worker's standing read handler
    """
    # the seed flags activate
    assert re.search(r"method:: activate.*?N\.B\.: this is an event handler", seed, re.S)
    # and so do the docstrings
    for name in ("activate", "perform", "monitor", "unload"):
        assert "event handler" in getattr(pyre_nexus.crew, name).__doc__


# the lifecycle of the team side, which the crew owns
def crew():
    """
    A team side crew with no channel and no process, just out of its recruiter
    """
    return pyre_nexus.crew(pid=None, channel=None)


# each transition, by the state it leads to
transitions = {
    "active": lambda crew: crew.enlist(),
    "retiring": lambda crew: crew.retire(),
    "lost": lambda crew: crew.lose(),
    "buried": lambda crew: crew.bury(),
}


def test_lifecycle():
    """
    A crew walks its states in order, and its answers follow: it counts towards its team's
    strength until it retires, takes tasks only while active, and is gone once lost
    """
    walker = crew()
    # each state, and what the crew says in it: starting, accepting, available, serving,
    # leaving, gone, reaped
    expected = {
        "recruited": (True, False, True, False, False, False, False),
        "active": (False, True, True, True, False, False, False),
        "retiring": (False, False, False, True, True, False, False),
        "lost": (False, False, False, False, False, True, False),
        "buried": (False, False, False, False, False, True, True),
    }
    for state, answers in expected.items():
        # move there, unless it is where the crew starts
        if state != "recruited":
            transitions[state](walker)
        assert walker.state == state
        said = (
            walker.starting(),
            walker.accepting(),
            walker.available(),
            walker.serving(),
            walker.leaving(),
            walker.gone(),
            walker.reaped(),
        )
        assert said == answers, state


@pytest.mark.parametrize("start", ["recruited", "active", "retiring", "lost", "buried"])
@pytest.mark.parametrize("target", list(transitions))
def test_transitions_check_where_they_start(start, target):
    """
    A transition from a state that does not lead to its target raises {InvalidTransition},
    naming both, and leaves the crew where it was; one that does moves it
    """
    subject = crew()
    subject.state = start
    # the ones the table allows
    if start in pyre_nexus.crew.transitions[target]:
        transitions[target](subject)
        assert subject.state == target
        return
    # the others
    with pytest.raises(pyre_nexus.exceptions.InvalidTransition) as failure:
        transitions[target](subject)
    assert f"cannot become {target} while it is {start}" in str(failure.value)
    assert subject.state == start


def test_dismissal_is_a_transition():
    """
    A dismissed crew is lost; a crew that is lost already cannot be dismissed again
    """
    subject = crew()
    subject.enlist()
    subject.dismissed()
    assert subject.gone() and not subject.reaped()
    with pytest.raises(pyre_nexus.exceptions.InvalidTransition):
        subject.dismissed()


def test_tasks_in_flight():
    """
    The oldest task in flight is the one running; the crew hands out the running one, or the
    ones behind it last first, and they no longer name it
    """
    subject = crew()
    tasks = [types.SimpleNamespace(tid=tid, crew=subject) for tid in range(1, 5)]
    # nothing yet
    assert subject.running() is None and subject.load() == 0 and subject.waiting() == []
    # four in flight
    subject.inflight.extend(tasks)
    assert subject.running() is tasks[0] and subject.runs(tasks[0]) and not subject.runs(tasks[1])
    assert subject.waiting() == tasks[1:]
    assert subject.find(3) is tasks[2] and subject.find(9) is None
    assert subject.holds(tasks[3]) and subject.load() == 4
    # the running one goes
    assert subject.release() is tasks[0] and tasks[0].crew is None
    assert subject.running() is tasks[1]
    # the ones past the first go, last first, so putting each back at the head of a queue
    # keeps their order
    assert subject.recall(keep=1) == [tasks[3], tasks[2]]
    assert all(task.crew is None for task in tasks[2:])
    assert subject.running() is tasks[1] and subject.load() == 1
    # and the rest
    assert subject.recall() == [tasks[1]] and subject.load() == 0


# end of file
