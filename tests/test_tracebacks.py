# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The traceback of a task that failed in a worker shows the user's file, line and source, from
the first frame of the task, even for the functions of the main script, which travel by value;
the frames of pyre_nexus that lead to it come back when asked

Only the functions of a script run as such are in {__main__}, so most cases run a script in a
subprocess, which prints the worker's traceback
"""

# externals
import os
import signal
import subprocess
import sys
import textwrap

import pytest

# the package
from pyre_nexus.Codec import Codec
from pyre_nexus.Crew import Crew

# the helpers
from tests.patience import PATIENCE


# the script: its task raises two calls deep; the first argument names the recruiter, and
# {gone} deletes the script once the team has read it, as a host without it would see it
SCRIPT = textwrap.dedent(
    """
    import linecache
    import os
    import sys

    import pyre_nexus


    def scale(value):
        return 10 / value


    def boom(value):
        return scale(value)


    staff = pyre_nexus.staff()(name="traced", size=1)
    staff.recruiter = sys.argv[1]
    if "gone" in sys.argv:
        linecache.getlines(__file__)
        os.remove(__file__)
    try:
        error = staff.submit(boom, 0).exception(timeout={patience})
        print(error.__cause__.text)
    finally:
        staff.shutdown()
    """
).lstrip()


# helpers
def trace(folder, recruiter, *args, full=False):
    """
    Run the script in {folder} with the {recruiter} and {args}, and framework frames if {full};
    return the path of the script and the traceback it printed
    """
    script = folder / "script.py"
    script.write_text(SCRIPT.replace("{patience}", str(PATIENCE)))
    # the environment, with the switch as asked
    env = dict(os.environ)
    env.pop("PYRE_NEXUS_TRACEBACK", None)
    if full:
        env["PYRE_NEXUS_TRACEBACK"] = "full"
    # in a session of its own, so whatever it leaves running is ended with it on a timeout
    process = subprocess.Popen(
        [sys.executable, "script.py", recruiter, *args], cwd=folder, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=PATIENCE)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"the script did not finish in {PATIENCE} s:\nstdout:\n{stdout}\nstderr:\n{stderr}")
    assert process.returncode == 0, f"stdout:\n{stdout}\nstderr:\n{stderr}"
    return script, stdout


def frame(script, statement, function):
    """
    The lines of a traceback that show {statement}, in {function} of {script}
    """
    number = SCRIPT.splitlines().index(f"    {statement}") + 1
    return f'  File "{script}", line {number}, in {function}\n    {statement}\n'


# the tests
@pytest.mark.parametrize("recruiter", ["fork", "spawn"])
def test_main_script_frames(tmp_path, recruiter):
    """
    The frames of the functions of the main script name its file, their lines and their source;
    the traceback starts at the task, with no frame of the crew
    """
    script, text = trace(tmp_path, recruiter)
    # the task's frames, in order, and its error
    assert text.startswith("Traceback (most recent call last):\n" + frame(script, "return scale(value)", "boom"))
    assert frame(script, "return 10 / value", "scale") in text
    assert "ZeroDivisionError: division by zero" in text
    # and nothing of the framework
    assert "<dynamic-code>" not in text
    assert "pyre_nexus/Crew.py" not in text


def test_main_script_lines_travel(tmp_path):
    """
    A worker on a host without the script shows the lines the team sent with its functions
    """
    script, text = trace(tmp_path, "spawn", "gone")
    # the script is gone
    assert not script.exists()
    # but its lines are in the traceback
    assert frame(script, "return scale(value)", "boom") in text
    assert frame(script, "return 10 / value", "scale") in text


@pytest.mark.parametrize("recruiter", ["fork", "spawn"])
def test_framework_frames_when_asked(tmp_path, recruiter):
    """
    With {PYRE_NEXUS_TRACEBACK=full}, the frames of the crew that lead to the task are shown too
    """
    script, text = trace(tmp_path, recruiter, full=True)
    # the crew's frames come first
    assert text.index("pyre_nexus/Crew.py") < text.index(str(script))
    assert "in _carry\n" in text and "in engage\n" in text
    # and the task's after them, as before
    assert frame(script, "return scale(value)", "boom") in text
    assert frame(script, "return 10 / value", "scale") in text



def test_framework_errors_keep_their_frames():
    """
    An error of pyre_nexus itself, whose traceback has no frame of a task, keeps all its frames
    """
    # a task that refers to shared memory that is not there fails in the codec
    data = Codec.manifest.pack(Codec.marker, 1, 0) + Codec.extent.pack(Codec.reference, 8)
    with pytest.raises(ValueError) as info:
        Codec.decodeTask(data)
    # seen from the codec's frames on, as the crew sees it
    error = info.value.with_traceback(info.value.__traceback__.tb_next)
    text = Crew._trace(error)
    assert 'pyre_nexus/Codec.py", line' in text
    assert "in decodeTask\n" in text and "in decode\n" in text
    assert "ValueError: a buffer refers to a task segment that is not here" in text


# end of file
