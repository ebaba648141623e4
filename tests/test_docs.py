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
                 "design", "reliability", "recruiters", "recruiters/fork", "recruiters/forkserver",
                 "recruiters/slurm"):
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


def test_forkserver_page_configuration(tmp_path):
    """
    The configuration on the page of the forkserver recruiter is a real one: a team configured
    by it forks its crews through a server that imported the modules of its preload
    """
    # the configuration of the page
    (block,) = re.findall(r"^```ini\n(.*?)^```", (DOC / "recruiters" / "forkserver.md").read_text(), flags=re.MULTILINE | re.DOTALL)
    assert "team.recruiter = forkserver" in block and "team.recruiter.preload" in block
    (tmp_path / "pyre_nexus.pfg").write_text(block)
    # a script with the team it configures
    (tmp_path / "served.py").write_text(
        "import os, sys, pyre_nexus\n"
        "def probe():\n"
        "    return 'numpy' in sys.modules, os.getppid()\n"
        "staff = pyre_nexus.staff()(name='nexus-demo.team')\n"
        "answers = [staff.submit(probe).result(timeout=30) for _ in range(3)]\n"
        "servers = [server.pid for server in staff.recruiter.servers.values()]\n"
        "print(staff.recruiter.pyre_family(), staff.recruiter.preload, all(ok and ppid in servers for ok, ppid in answers))\n"
        "staff.shutdown()\n"
    )
    output = succeeded(run([sys.executable, "served.py"], folder=tmp_path))
    assert "pyre_nexus.recruiters.forkserver ['numpy', 'json'] True" in output


# end of file


def blocks(page):
    """
    The python code blocks of {page}, a markdown file of the documentation
    """
    return re.findall(r"^```python\n(.*?)^```", (DOC / page).read_text(), flags=re.MULTILINE | re.DOTALL)


@pytest.mark.timeout(PATIENCE)
@pytest.mark.parametrize("index", range(2), ids=["threads", "asyncio"])
def test_threads_page_examples(tmp_path, index):
    """
    The examples of the page on threads run as they are, each a script of its own: eight threads
    share a staff, and asyncio awaits it, cancelling a task it no longer wants
    """
    # the example
    code = blocks("threads.md")[index]
    script = tmp_path / "example.py"
    script.write_text(code)
    # runs
    output = succeeded(run([sys.executable, str(script)], folder=tmp_path))
    # and says what it should
    expected = ["8 threads, each got 332833500", "(9, 16)"][index]
    assert expected in output
