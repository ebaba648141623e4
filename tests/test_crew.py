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

import pyre.nexus.Peer

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


# end of file
