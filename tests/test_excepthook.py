# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
A pyre application that fails with a framework error ends with the error's message and exit
status 1, without the traceback of how pyre's shell said it; with the application's DEBUG on,
the traceback is back
"""

# externals
import sys

import pytest

# the package
from pyre_nexus.Excepthook import Excepthook

# the application of the README, and how to run it
from tests.test_exceptions import run


@pytest.mark.parametrize(
    "settings, message",
    [
        (["--squares.team=stuff"], "expected one of pool, staff, or a full family name"),
        (
            ["--squares.team.size=1", "--squares.team.recruiter=spawn", "--squares.team.recruiter.python=/nonexistent/python"],
            "could not recruit a crew: 2 attempts in a row failed",
        ),
    ],
    ids=["unknown team", "failed recruitment"],
)
def test_framework_error_ends_with_its_message(tmp_path, settings, message):
    """
    A name that is no team, or a team that cannot recruit, ends the application with the
    message, once, and exit status 1, with no traceback
    """
    result = run(tmp_path, *settings)
    said = result.stdout + result.stderr
    assert result.returncode == 1, said
    assert message in said, said
    assert "Traceback" not in said, said


def test_debug_brings_the_traceback_back(tmp_path):
    """
    With the application's DEBUG on, pyre lets the error through, with its traceback
    """
    result = run(tmp_path, "--squares.team=stuff", "--squares.DEBUG=yes")
    assert "Traceback" in result.stderr and "Unresolved" in result.stderr, result.stderr


def test_other_errors_go_to_the_hook_before():
    """
    An error that is not pyre's report of a framework error goes to the hook that was there
    before, as it was
    """
    seen = []
    hook = Excepthook(chain=lambda *info: seen.append(info))
    try:
        raise ValueError("mine")
    except ValueError:
        info = sys.exc_info()
    hook(*info)
    assert seen == [info]


def test_installed_once():
    """
    Importing the package puts the hook in front of the interpreter's, once
    """
    assert isinstance(sys.excepthook, Excepthook)
    before = sys.excepthook
    Excepthook.install()
    assert sys.excepthook is before


# end of file
