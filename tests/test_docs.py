# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The documentation builds without a warning, as make docs builds it, and the scripts of its
tutorial do what the tutorial says they do
"""

# externals
import html
import importlib.util
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys

import pytest

# the helpers
from tests.patience import PATIENCE


# the documentation
DOC = pathlib.Path(__file__).resolve().parent.parent / "doc"
# the scripts of the tutorial
TUTORIAL = DOC / "tutorial"


# helpers
def run(command, folder):
    """
    Run {command} in {folder}, in a session of its own so that whatever it leaves running is
    ended with it on a timeout; return the completed process
    """
    process = subprocess.Popen(
        command, cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=PATIENCE)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"{command} did not finish in {PATIENCE} s:\nstdout:\n{stdout}\nstderr:\n{stderr}")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def succeeded(result):
    """
    Check that {result} exited with 0; return its output
    """
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


def text(page):
    """
    The text of the html {page}, without its tags
    """
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def build(folder):
    """
    Build the documentation as make docs does, with warnings as errors, into {folder}, its cache
    included, so the tree is left alone; return the folder of the pages. Without sphinx and its
    extensions, from the test extra, the test is skipped, or fails under CI
    """
    # the tools
    missing = [
        name for name in ("sphinx", "myst_parser", "sphinxcontrib.mermaid")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        reason = f"the documentation tools are not installed: {', '.join(missing)} (pip install -e '.[docs]')"
        if os.environ.get("CI"):
            pytest.fail(reason)
        print(reason)
        pytest.skip(reason)
    # the build
    command = [
        sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
        "-d", str(folder / "doctrees"), str(DOC), str(folder / "html"),
    ]
    result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=540)
    assert result.returncode == 0, f"stdout:\n{result.stdout[-5000:]}\nstderr:\n{result.stderr}"
    # all done
    return folder / "html"


# the tests
@pytest.mark.timeout(600)
def test_docs_build(tmp_path):
    """
    Sphinx builds the documentation with warnings as errors: the generated pages read the
    traits, the exceptions and the frames of the package, so a change there that the pages do
    not follow fails here
    """
    # build into a folder of the test
    pages = build(tmp_path)
    # the pages are there, the generated ones with what they read from the package
    for page in ("index", "tutorial", "configuration", "troubleshooting", "conversation", "api", "guide",
                 "design", "reliability", "recruiters", "recruiters/fork", "recruiters/slurm"):
        assert (pages / f"{page}.html").is_file(), page
    configuration = text(pages / "configuration.html")
    assert "team.recruiter.hosts" in configuration
    assert "how long a task may run before its worker is killed" in configuration
    troubleshooting = text(pages / "troubleshooting.html")
    assert "recruiter could not recruit a crew" in troubleshooting
    assert "cannot listen on {self.address.host}:{self.address.port}" in troubleshooting
    assert "sequenceDiagram" in text(pages / "conversation.html")


def test_tutorial_first_script(tmp_path):
    """
    The first script of the tutorial squares numbers on two crews forked from it
    """
    output = succeeded(run([sys.executable, str(TUTORIAL / "first.py")], folder=tmp_path))
    assert "2 crews, recruiter pyre_nexus.recruiters.fork" in output
    assert "[0, 1, 4, 9]" in output
    assert sorted(line.split(": ")[-1] for line in output.splitlines() if line.startswith("task ")) == [
        "0", "1", "16", "25", "4", "9",
    ]


@pytest.mark.parametrize("recruiter", ["fork", "spawn"])
def test_tutorial_application(tmp_path, recruiter):
    """
    The application of the tutorial runs on the team its squares.pfg declares, and a change of
    the recruiter in that file is all it takes to move the crews
    """
    # the application and its configuration, with the recruiter of this test
    shutil.copy(TUTORIAL / "squares.py", tmp_path)
    configuration = (TUTORIAL / "squares.pfg").read_text()
    assert "team.recruiter = fork" in configuration
    (tmp_path / "squares.pfg").write_text(configuration.replace("team.recruiter = fork", f"team.recruiter = {recruiter}"))
    # as configured
    output = succeeded(run([sys.executable, "squares.py"], folder=tmp_path))
    assert f"2 crews, recruiter pyre_nexus.recruiters.{recruiter}, deadline 30.0*s" in output
    assert "[0, 1, 4, 9, 16, 25]" in output
    # and with the command line over it, as the tutorial shows
    output = succeeded(run([sys.executable, "squares.py", "--team.size=4", "--count=10"], folder=tmp_path))
    assert f"4 crews, recruiter pyre_nexus.recruiters.{recruiter}" in output
    assert "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]" in output


# end of file
