# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
A team or recruiter built with values it cannot use says so once, as a message, and a pyre
application ends with that message and an exit status, not a traceback of the framework's
insides; in code, the error is still pyre's {ConfigurationError}
"""

# externals
import os
import subprocess
import sys
import textwrap

import pyre.components.exceptions
import pytest

# the package
import pyre_nexus

# the helpers
from tests.patience import PATIENCE


# an application with a team, as the README shows one
APPLICATION = """
import pyre, pyre_nexus

class Squares(pyre.application, family="probe.squares"):
    team = pyre_nexus.team()

    @pyre.export
    def main(self, *args, **kwds):
        return 0 if self.team.submit(pow, 3, 2).result(timeout=60) == 9 else 1

app = Squares(name="squares")
raise SystemExit(app.run())
"""


def run(folder, *args, env=None):
    """
    Run the application in {folder} with {args}; return the completed process
    """
    (folder / "squares.py").write_text(textwrap.dedent(APPLICATION).lstrip())
    return subprocess.run(
        [sys.executable, "squares.py", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize(
    "setting, message",
    [
        ("--squares.team.size=0", "squares.team.size: bad value 0; expected a positive number of crews"),
        ("--squares.team.recruiter.grace=-1*s", "squares.team.recruiter.grace: bad value '-1.0*s'"),
    ],
)
def test_bad_value_ends_the_application_with_one_message(tmp_path, setting, message):
    """
    A bad value of a team's or its recruiter's trait ends the application with exit status 2
    and the message, once, without a traceback
    """
    result = run(tmp_path, setting)
    said = result.stdout + result.stderr
    assert result.returncode == 2, said
    assert said.count(message) == 1, said
    assert "Traceback" not in said, said


def test_good_values_run(tmp_path):
    """
    The same application with good values runs to the end
    """
    result = run(tmp_path, "--squares.team.size=1")
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_channel_shows_where(tmp_path):
    """
    With the debug channel pyre_nexus.configuration on, the message says where it was raised
    """
    result = run(tmp_path, "--squares.team.size=0", env={"JOURNAL_DEBUG": "pyre_nexus.configuration"})
    said = result.stdout + result.stderr
    assert result.returncode == 2, said
    assert "Actor.py" in said and "squares.py" in said, said


@pytest.mark.parametrize(
    "setting, names",
    [
        ("--squares.team=stuff", "expected one of pool, staff, or a full family name"),
        ("--squares.team.recruiter=sporn", "one of fork, forkserver, spawn, ssh, mpi, slurm, sbatch, gridengine, or a full family name"),
    ],
)
def test_unknown_names_say_the_known_ones(tmp_path, setting, names):
    """
    A team or recruiter name that names none fails with the names that do
    """
    result = run(tmp_path, setting)
    said = result.stdout + result.stderr
    assert result.returncode != 0, said
    assert names in said, said


def test_in_code_it_is_pyres_configuration_error():
    """
    A team built in code with a bad value raises pyre's {ConfigurationError}, which names the
    trait, the value and what is accepted
    """
    with pytest.raises(pyre.components.exceptions.ConfigurationError) as failure:
        pyre_nexus.staff()(name="misconfigured", size=0)
    assert isinstance(failure.value, pyre_nexus.exceptions.Misconfigured)
    assert "misconfigured.size: bad value 0; expected a positive number of crews" in str(failure.value)


# end of file
