# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Teams and recruiters are configured the pyre way: from .pfg and .yaml files, from the command
line and from the constructor, with the usual priorities; bad values are refused with an error
that names the trait, the value and what is accepted

{import pyre} reads the command line, and pyre reads the configuration files of the current
folder, so each case runs a small script in a subprocess, in a folder of its own
"""

# externals
import json
import subprocess
import sys
import textwrap

import pytest

# the helpers
from tests.patience import PATIENCE


# helpers
def run(folder, script, *args, files=None):
    """
    Write {files} and {script} in {folder}, run the script there with {args}; return the
    completed process
    """
    # the configuration files
    for name, text in (files or {}).items():
        (folder / name).write_text(textwrap.dedent(text).lstrip())
    # the script
    (folder / "probe.py").write_text(textwrap.dedent(script).lstrip())
    # run it
    return subprocess.run(
        [sys.executable, "probe.py", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
    )


def report(folder, script, *args, files=None):
    """
    Run {script}, which prints one line of JSON at the end; return what it printed
    """
    result = run(folder, script, *args, files=files)
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


# a script that builds two staffs and reports their settings
TRAITS = """
import json, pyre, pyre_nexus
from pyre.units.SI import second

def traits(team):
    return {
        "size": team.size,
        "retries": team.retries,
        "casualties": team.casualties,
        "maxtasks": team.maxtasks,
        "pipeline": team.pipeline,
        "deadline": team.deadline / second,
        "recruiter": team.recruiter.pyre_family(),
        "grace": team.recruiter.grace / second,
        "transport": team.recruiter.transport.pyre_family(),
        "where": str(pyre.where(team, "size")),
    }

staff = pyre_nexus.staff()
fork = pyre_nexus.fork()
defaults = {
    name: getattr(staff, name) for name in ("retries", "casualties", "maxtasks", "pipeline")
}
defaults["deadline"] = staff.deadline / second
defaults["grace"] = fork.grace / second
defaults["transport"] = fork.transport.pyre_family()
team = staff(name="app.team")
other = staff(name="app.other")
print(json.dumps({"team": traits(team), "other": traits(other), "defaults": defaults}))
"""


# a script that builds a staff and runs a task with it, reporting any error
BUILD = """
import json, sys, pyre, pyre.components.exceptions, pyre_nexus

stage = "construction"
try:
    team = pyre_nexus.staff()(name="bad.team")
    stage = "work"
    assert team.submit(pow, 2, 5).result(timeout=30) == 32
    stage = "shutdown"
    team.shutdown()
    stage = "done"
    error = None
except Exception as problem:
    error = problem
print(json.dumps({
    "stage": stage,
    "type": None if error is None else f"{type(error).__module__}.{type(error).__name__}",
    "configuration": isinstance(error, pyre.components.exceptions.ConfigurationError),
    "text": None if error is None else str(error),
}))
"""


# files
def test_instance_section_in_pfg(tmp_path):
    """
    A section named after a team in ./pyre_nexus.pfg sets its traits, and only its traits
    """
    found = report(
        tmp_path,
        TRAITS,
        files={
            "pyre_nexus.pfg": """
                app.team:
                    size = 3
                    retries = 2
                    casualties = 4
                    maxtasks = 5
                    pipeline = 6
                    deadline = 1500*ms
                """
        },
    )
    team = found["team"]
    assert team["size"] == 3
    assert team["retries"] == 2
    assert team["casualties"] == 4
    assert team["maxtasks"] == 5
    assert team["pipeline"] == 6
    assert team["deadline"] == pytest.approx(1.5)
    # the other team keeps the defaults
    other = found["other"]
    for trait in ("retries", "casualties", "maxtasks", "pipeline", "deadline"):
        assert other[trait] == found["defaults"][trait], trait


def test_family_section_in_pfg(tmp_path):
    """
    A section named after the family of staffs sets the traits of every staff
    """
    found = report(
        tmp_path,
        TRAITS,
        files={
            "pyre_nexus.pfg": """
                pyre_nexus.teams.staff:
                    size = 7
                    retries = 1
                    pipeline = 3
                """
        },
    )
    for team in (found["team"], found["other"]):
        assert team["size"] == 7
        assert team["retries"] == 1
        assert team["pipeline"] == 3


def test_instance_beats_family(tmp_path):
    """
    Where an instance section and the family section disagree, the instance wins
    """
    found = report(
        tmp_path,
        TRAITS,
        files={
            "pyre_nexus.pfg": """
                app.team:
                    size = 5
                pyre_nexus.teams.staff:
                    size = 7
                    retries = 2
                """
        },
    )
    assert found["team"]["size"] == 5
    assert found["team"]["retries"] == 2
    assert found["other"]["size"] == 7
    assert found["other"]["retries"] == 2


def test_command_line_beats_file(tmp_path):
    """
    {--app.team.size=3} on the command line beats the file
    """
    found = report(
        tmp_path,
        TRAITS,
        "--app.team.size=3",
        files={
            "pyre_nexus.pfg": """
                app.team:
                    size = 5
                    retries = 2
                """
        },
    )
    assert found["team"]["size"] == 3
    # the rest of the file still counts
    assert found["team"]["retries"] == 2
    # and the command line says where it came from
    assert "--app.team.size=3" in found["team"]["where"]


def test_command_line_beats_family_file(tmp_path):
    """
    The command line beats a family setting too
    """
    found = report(
        tmp_path,
        TRAITS,
        "--pyre_nexus.teams.staff.size=9",
        files={
            "pyre_nexus.pfg": """
                pyre_nexus.teams.staff:
                    size = 7
                """
        },
    )
    assert found["team"]["size"] == 9
    assert found["other"]["size"] == 9


def test_constructor_between_file_and_command_line(tmp_path):
    """
    Constructor arguments beat configuration files and lose to the command line
    """
    script = """
        import json, pyre_nexus
        team = pyre_nexus.staff()(name="app.team", size=4, retries=1)
        print(json.dumps({"size": team.size, "retries": team.retries}))
        """
    files = {
        "pyre_nexus.pfg": """
            app.team:
                size = 5
                retries = 3
            """
    }
    assert report(tmp_path, script, files=files) == {"size": 4, "retries": 1}
    assert report(tmp_path, script, "--app.team.size=2", files=files) == {"size": 2, "retries": 1}


def test_recruiter_by_short_name_with_traits(tmp_path):
    """
    The recruiter is chosen by its short name, and its traits set through the team's section
    """
    found = report(
        tmp_path,
        TRAITS,
        files={
            "pyre_nexus.pfg": """
                app.team:
                    recruiter = fork
                    recruiter.grace = 3*s
                    recruiter.transport = socket
                """
        },
    )
    assert found["team"]["recruiter"] == "pyre_nexus.recruiters.fork"
    assert found["team"]["grace"] == 3
    assert found["team"]["transport"] == "pyre.ipc.transports.socket"
    # the other team keeps the defaults
    assert found["other"]["recruiter"] == "pyre_nexus.recruiters.fork"
    assert found["other"]["grace"] == found["defaults"]["grace"]
    assert found["other"]["transport"] == found["defaults"]["transport"]


def test_recruiter_by_full_family_name(tmp_path):
    """
    The recruiter is chosen by its full family name, and its traits set on the command line
    """
    found = report(
        tmp_path,
        TRAITS,
        "--app.team.recruiter=pyre_nexus.recruiters.fork",
        "--app.team.recruiter.grace=250*ms",
    )
    assert found["team"]["recruiter"] == "pyre_nexus.recruiters.fork"
    assert found["team"]["grace"] == pytest.approx(0.25)


def test_recruiter_family_section(tmp_path):
    """
    A section named after the family of the fork recruiter sets the traits of every fork
    """
    found = report(
        tmp_path,
        TRAITS,
        files={
            "pyre_nexus.pfg": """
                pyre_nexus.recruiters.fork:
                    grace = 2*s
                """
        },
    )
    assert found["team"]["grace"] == 2
    assert found["other"]["grace"] == 2


def test_yaml_in_current_folder(tmp_path):
    """
    ./pyre_nexus.yaml works as well as ./pyre_nexus.pfg
    """
    found = report(
        tmp_path,
        TRAITS,
        files={
            "pyre_nexus.yaml": """
                app.team:
                    size: 4
                    recruiter: fork
                    recruiter.grace: 250*ms
                app:
                    other:
                        size: 6
                pyre_nexus.teams.staff:
                    retries: 3
                """
        },
    )
    assert found["team"]["size"] == 4
    assert found["team"]["grace"] == pytest.approx(0.25)
    assert found["team"]["retries"] == 3
    assert found["other"]["size"] == 6
    assert found["other"]["retries"] == 3
    assert "pyre_nexus.yaml" in found["team"]["where"]


def test_yaml_on_the_command_line(tmp_path):
    """
    A .yaml file named with --config works, and a later argument beats it
    """
    files = {
        "teams.yaml": """
            app.team:
                size: 4
                pipeline: 5
            """
    }
    found = report(tmp_path, TRAITS, "--config=teams.yaml", files=files)
    assert found["team"]["size"] == 4
    assert found["team"]["pipeline"] == 5
    assert "teams.yaml" in found["team"]["where"]
    found = report(tmp_path, TRAITS, "--config=teams.yaml", "--app.team.size=2", files=files)
    assert found["team"]["size"] == 2
    assert found["team"]["pipeline"] == 5


def test_configured_team_works(tmp_path):
    """
    A team configured from a file runs its tasks with the configured crews
    """
    found = report(
        tmp_path,
        """
        import json, os, time, pyre_nexus

        def nap():
            time.sleep(0.3)
            return os.getpid()

        team = pyre_nexus.staff()(name="app.team")
        workers = {future.result(timeout=30) for future in [team.submit(nap) for _ in range(6)]}
        crews = len(team.crews)
        team.shutdown()
        print(json.dumps({"size": team.size, "crews": crews, "left": len(team.crews)}))
        """,
        files={
            "pyre_nexus.pfg": """
                app.team:
                    size = 3
                    pipeline = 1
                """
        },
    )
    assert found == {"size": 3, "crews": 3, "left": 0}


# where
def test_where_names_the_file(tmp_path):
    """
    {pyre.where} names the file and the line that set a trait
    """
    found = report(
        tmp_path,
        TRAITS,
        files={
            "pyre_nexus.pfg": """
                ; a comment
                app.team:
                    size = 3
                """
        },
    )
    where = found["team"]["where"]
    assert "pyre_nexus.pfg" in where
    assert "line=3" in where


def test_where_names_the_family_file(tmp_path):
    """
    {pyre.where} on the class names the file that set a family default
    """
    found = report(
        tmp_path,
        """
        import json, pyre, pyre_nexus
        staff = pyre_nexus.staff()
        print(json.dumps({"size": staff.size, "where": str(pyre.where(staff, "size"))}))
        """,
        files={
            "pyre_nexus.pfg": """
                pyre_nexus.teams.staff:
                    size = 7
                """
        },
    )
    assert found["size"] == 7
    assert "pyre_nexus.pfg" in found["where"]
    assert "line=2" in found["where"]


# bad values
BAD = [
    # trait, value, what the text must mention besides the trait and the value
    ("size", "0", "0", "positive"),
    ("size", "-2", "-2", "positive"),
    ("size", "abc", "abc", "integer"),
    ("deadline", "3", "3", "units"),
    ("deadline", "-1*s", "-1.0*s", "non-negative"),
    ("recruiter", "nosuch", "nosuch", "fork"),
    ("retries", "-1", "-1", "zero or more"),
    ("pipeline", "0", "0", "positive"),
    ("casualties", "0", "0", "positive"),
    ("maxtasks", "-1", "-1", "zero"),
]


def check(found, trait, shown, accepted):
    """
    Check that {found} describes a configuration error at construction that names the
    {trait}, shows the value as {shown} and mentions {accepted}
    """
    assert found["stage"] == "construction", found
    assert found["configuration"], found
    text = found["text"]
    assert f"bad.team.{trait}" in text, text
    assert f"bad value {shown}" in text or f"bad value '{shown}'" in text, text
    assert accepted in text, text


@pytest.mark.parametrize(
    "trait, value, shown, accepted", BAD, ids=[f"{trait}={value}" for trait, value, *_ in BAD]
)
def test_bad_value_on_command_line(tmp_path, trait, value, shown, accepted):
    """
    A bad value on the command line is refused when the team is built, with an error that
    names the trait, the value and what is accepted
    """
    found = report(tmp_path, BUILD, f"--bad.team.{trait}={value}")
    check(found, trait, shown, accepted)


@pytest.mark.parametrize(
    "trait, value, shown, accepted",
    [BAD[0], BAD[2], BAD[3], BAD[5]],
    ids=["size=0", "size=abc", "deadline=3", "recruiter=nosuch"],
)
def test_bad_value_in_file(tmp_path, trait, value, shown, accepted):
    """
    A bad value in a configuration file is refused the same way
    """
    found = report(tmp_path, BUILD, files={"pyre_nexus.pfg": f"bad.team:\n    {trait} = {value}\n"})
    check(found, trait, shown, accepted)


@pytest.mark.parametrize(
    "trait, value, shown, accepted",
    [
        ("recruiter.grace", "abc", "abc", "time"),
        ("recruiter.grace", "2*m", "2.0*m", "time"),
        ("recruiter.grace", "-1*s", "-1", "time"),
        ("recruiter.grace", "inf*s", "inf", "finite"),
        ("recruiter.transport", "carrier", "carrier", "pipe"),
        ("recruiter.cgroups", "on", "on", "auto or off"),
        ("recruiter.pids", "4", "4", "at least 16"),
    ],
    ids=["grace=abc", "grace=2*m", "grace=-1*s", "grace=inf*s", "transport=carrier", "cgroups=on", "pids=4"],
)
def test_bad_recruiter_value(tmp_path, trait, value, shown, accepted):
    """
    A bad value of a trait of the recruiter is refused when the team is built, not when it
    shuts down, with an error that names the trait, the value and what is accepted
    """
    found = report(tmp_path, BUILD, f"--bad.team.{trait}={value}")
    assert found["stage"] == "construction", found
    assert found["configuration"], found
    text = found["text"]
    assert trait.split(".")[-1] in text, text
    assert shown in text, text
    assert accepted in text, text


def test_good_values_build(tmp_path):
    """
    The edges of the accepted values build a team that works
    """
    found = report(
        tmp_path,
        BUILD,
        "--bad.team.size=1",
        "--bad.team.retries=0",
        "--bad.team.maxtasks=0",
        "--bad.team.pipeline=1",
        "--bad.team.casualties=1",
        "--bad.team.deadline=0*s",
        "--bad.team.recruiter.grace=0*s",
    )
    assert found == {"stage": "done", "type": None, "configuration": False, "text": None}



# settings that name no trait
# the application of the README: a team facility, configured under 'squares.team'; its family
# is not named after an importable module, so resolving it does not import this script again
SQUARES = """
import pyre, pyre_nexus

class Squares(pyre.application, family="nowhere.squares"):
    team = pyre_nexus.team()

    @pyre.export
    def main(self, *args, **kwds):
        team = self.team
        print(f"{team.size} crews, grace {team.recruiter.grace}:", list(team.map(abs, range(-3, 0))))
        team.shutdown()
        return 0

app = Squares(name="squares")
raise SystemExit(app.run())
"""

# the configuration of the README
CONFIGURATION = """
squares:
    team = staff
    team.size = 2
    team.recruiter = fork
    team.recruiter.grace = 2*s
    team.deadline = 30*s
    team.retries = 1
"""


def refused(result, *mentions):
    """
    Check that the application of {result} stopped before its work, with a message that has
    all of {mentions}
    """
    said = result.stdout + result.stderr
    assert result.returncode != 0, said
    assert "crews" not in result.stdout, said
    for mention in mentions:
        assert mention in said, said


def test_good_configuration_runs(tmp_path):
    """
    The configuration of the README, the settings of the recruiter under the team, and short
    forms of the application's traits are all claimed: the application runs
    """
    result = run(
        tmp_path,
        SQUARES,
        "--team.recruiter.grace=3*s",
        "--squares.team.dispatcher=pyre_nexus.dispatcher",
        files={"squares.pfg": CONFIGURATION, "pyre_nexus.pfg": "pyre_nexus.teams.staff:\n    pipeline = 8\n"},
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "2 crews, grace 3.0*s: [3, 2, 1]" in result.stdout, result.stdout


def test_replaced_recruiter_builds(tmp_path):
    """
    A recruiter replaced by one of another kind under the same name is not refused for the
    slots of the traits of the first, which pyre keeps under that name
    """
    script = """
    import pyre_nexus

    team = pyre_nexus.staff()(name="swap", size=1)
    # the fork recruiter, with its transport, which pyre files under 'swap.recruiter.transport'
    team.recruiter.transport
    # and a spawn recruiter in its place
    team.recruiter = "spawn"
    print(team.recruiter.pyre_family(), list(team.map(abs, [-1, -2])))
    team.shutdown()
    """
    result = run(tmp_path, script)
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "pyre_nexus.recruiters.spawn [1, 2]" in result.stdout, result.stdout


UNCLAIMED = [
    # the argument, and what the message must mention besides it
    ("--squares.team.sise=4", ("squares.team.sise: pyre_nexus.teams.staff has no trait 'sise'", "'size'")),
    ("--team.sise=4", ("squares.team.sise:", "'size'")),
    ("--squares.team.recruiter.grase=2*s", ("pyre_nexus.recruiters.fork has no trait 'grase'", "'grace'")),
    ("--squares.team.recuiter.grace=2*s", ("squares.team.recuiter.grace: ", "no trait 'recuiter'", "'recruiter'")),
    ("--squares.team.zzz=1", ("no trait 'zzz'", "its traits are mode, size, minimum, idle, recruiter,")),
    ("--squares.team.sise={squares.team.size}", ("squares.team.sise:", "'size'")),
]


@pytest.mark.parametrize("argument, mentions", UNCLAIMED, ids=[argument for argument, _ in UNCLAIMED])
def test_unclaimed_on_command_line(tmp_path, argument, mentions):
    """
    A setting on the command line under the team or its recruiter that names none of its
    traits stops the application, with a message that names the setting as it was given, and
    the traits it may mean
    """
    result = run(tmp_path, SQUARES, argument, files={"squares.pfg": CONFIGURATION})
    refused(result, f"(set on the command line: {argument})", *mentions)


def test_unclaimed_in_file(tmp_path):
    """
    A setting in a file under the team or its recruiter that names none of their traits stops
    the application, with a message that names the file and line of each
    """
    # misspell a trait of the team and one of the recruiter
    text = CONFIGURATION.replace("team.size", "team.sise").replace("recruiter.grace", "recruiter.grase")
    result = run(tmp_path, SQUARES, files={"squares.pfg": text})
    # the file, and the lines of the two
    path = tmp_path / "squares.pfg"
    lines = path.read_text().splitlines()
    size = 1 + next(n for n, line in enumerate(lines) if "sise" in line)
    grace = 1 + next(n for n, line in enumerate(lines) if "grase" in line)
    refused(
        result,
        f"squares.team.sise: pyre_nexus.teams.staff has no trait 'sise'; did you mean 'size'? (set at {path}:{size})",
        f"squares.team.recruiter.grase: pyre_nexus.recruiters.fork has no trait 'grase'; "
        f"did you mean 'grace'? (set at {path}:{grace})",
    )


def test_unclaimed_in_family_section(tmp_path):
    """
    A setting in a family section, which holds the defaults of every team or recruiter of that
    kind, is checked as well
    """
    result = run(
        tmp_path,
        SQUARES,
        files={"squares.pfg": CONFIGURATION, "pyre_nexus.pfg": "pyre_nexus.recruiters.fork:\n    grase = 1*s\n"},
    )
    refused(
        result,
        "pyre_nexus.recruiters.fork.grase: pyre_nexus.recruiters.fork has no trait 'grase'; did you mean 'grace'? "
        f"(set at {tmp_path / 'pyre_nexus.pfg'}:2)",
    )



@pytest.mark.parametrize("trait", ["progress", "summary"])
@pytest.mark.parametrize("where", ["command line", "file"])
def test_bad_team_switch(tmp_path, trait, where):
    """
    A switch of a team that is neither on nor off is refused when the team is built, not when
    it is first read, with an error that names the trait and says what is accepted
    """
    if where == "command line":
        found = report(tmp_path, BUILD, f"--bad.team.{trait}=maybe")
    else:
        found = report(tmp_path, BUILD, files={"pyre_nexus.pfg": f"bad.team:\n    {trait} = maybe\n"})
    assert found["stage"] == "construction", found
    assert f"bad.team.{trait}: bad value 'maybe'; expected true or false" in found["text"], found


# end of file
