# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The joblib backend: {Parallel} runs its calls on a staff, the one it is given or one it builds
and shuts down; results come back in order, errors as themselves, a dead worker as {Casualty}, an
overrun as {DeadlineExceeded}; joblib's timeout and its abort work; a nested {Parallel} runs
in its task. The tasks are at module level here, which forked workers find
"""

# externals
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import pytest

joblib = pytest.importorskip("joblib")
numpy = pytest.importorskip("numpy")
from joblib import Parallel, delayed, parallel_config

# the package
import pyre_nexus
from pyre_nexus import exceptions

# the helpers
from tests.conftest import children, wait_until
from tests.patience import PATIENCE


# the root of the checkout, for the scripts run in a child interpreter
ROOT = pathlib.Path(__file__).resolve().parents[1]
# the backend, registered
Backend = pyre_nexus.joblib()


# the tasks
def squares(chunk):
    """
    The sum of the squares of the numbers in {chunk}
    """
    return int(numpy.square(chunk).sum())


def nap(seconds, value=None):
    """
    Sleep, then return {value}
    """
    time.sleep(seconds)
    return value


def pid(seconds=0.0):
    """
    The process id of the worker, after {seconds}
    """
    time.sleep(seconds)
    return os.getpid()


def reject(value):
    """
    Raise a {ValueError} for 3, and return {value} otherwise
    """
    if value == 3:
        raise ValueError(f"rejected {value}")
    return value


def crash(value):
    """
    Kill the worker for 3, and return {value} otherwise
    """
    if value == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return value


def nested(count):
    """
    Run a {Parallel} of {count} calls inside the task; return the processes that ran them, and the
    backend they ran on
    """
    backend, _ = joblib.parallel.get_active_backend()
    pids = Parallel(n_jobs=2)(delayed(os.getpid)() for _ in range(count))
    return os.getpid(), pids, type(backend).__name__


# helpers
def alone():
    """
    Whether no worker is left
    """
    return wait_until(lambda: not children(), timeout=PATIENCE)


# fixtures
@pytest.fixture(params=["thread", "host"])
def given(request, make_team):
    """
    A staff of two crews, whose loop runs in a thread of its own or in the test's thread
    """
    return make_team("staff", size=2, mode=request.param)


# the tests
@pytest.mark.timeout(PATIENCE)
def test_results_in_order():
    """
    A reduction over chunks of an array: the results come back in the order of the calls
    """
    chunks = numpy.array_split(numpy.arange(10_000), 20)
    with parallel_config(backend="pyre_nexus", n_jobs=2):
        results = Parallel()(delayed(squares)(chunk) for chunk in chunks)
    assert results == [squares(chunk) for chunk in chunks]
    assert sum(results) == sum(n * n for n in range(10_000))
    # and the staff it built is gone, with its workers
    assert alone(), f"workers left: {children()}"


@pytest.mark.timeout(PATIENCE)
def test_n_jobs_is_the_size_of_the_staff():
    """
    {n_jobs} sets the size of the staff the backend builds; -1 means every core
    """
    with parallel_config(backend="pyre_nexus") as config:
        backend = config["backend"]
        assert isinstance(backend, Backend)
        assert joblib.effective_n_jobs(-1) == joblib.cpu_count()
        with Parallel(n_jobs=3) as parallel:
            assert backend.staff.size == 3
            pids = parallel(delayed(pid)(0.3) for _ in range(9))
        # the backend let its staff go
        assert backend.staff is None
    assert 1 <= len(set(pids)) <= 3
    assert os.getpid() not in pids
    assert alone(), f"workers left: {children()}"


@pytest.mark.timeout(PATIENCE)
def test_one_job_runs_in_the_caller():
    """
    {n_jobs=1} runs the calls in the caller's process, as joblib does, without a staff
    """
    with parallel_config(backend="pyre_nexus", n_jobs=1):
        assert Parallel()(delayed(pid)() for _ in range(3)) == [os.getpid()] * 3
    assert children() == []


@pytest.mark.timeout(PATIENCE)
def test_task_error_is_raised_as_itself():
    """
    A call that raises: {Parallel} raises its exception, with the worker's traceback as its cause
    """
    with parallel_config(backend="pyre_nexus", n_jobs=2):
        with pytest.raises(ValueError, match="rejected 3") as info:
            Parallel(batch_size=1)(delayed(reject)(n) for n in range(6))
    assert isinstance(info.value.__cause__, exceptions.RemoteTraceback)
    assert "reject" in str(info.value.__cause__)
    assert alone(), f"workers left: {children()}"


@pytest.mark.timeout(PATIENCE)
def test_an_error_cancels_the_rest():
    """
    Once a call fails, the calls still queued or running are cancelled: {Parallel} does not wait
    for them, and no worker is left running them
    """
    start = time.monotonic()
    with parallel_config(backend="pyre_nexus", n_jobs=2):
        with pytest.raises(ValueError):
            Parallel(batch_size=1)(delayed(reject)(3) if n == 0 else delayed(nap)(30) for n in range(8))
    assert time.monotonic() - start < 25
    assert alone(), f"workers left: {children()}"


@pytest.mark.timeout(PATIENCE)
def test_dead_worker_is_a_casualty():
    """
    A call that kills its worker: {Parallel} raises {Casualty}, which names the function
    """
    with parallel_config(backend="pyre_nexus", n_jobs=2):
        with pytest.raises(exceptions.Casualty, match=r"task \d+ \(crash\)") as info:
            Parallel(batch_size=1)(delayed(crash)(n) for n in range(6))
    assert "killed by signal 9" in str(info.value)
    assert alone(), f"workers left: {children()}"


@pytest.mark.timeout(PATIENCE)
def test_a_batch_is_named_after_its_calls():
    """
    A batch of several calls is named after them
    """
    with parallel_config(backend="pyre_nexus", n_jobs=2):
        with pytest.raises(exceptions.Casualty, match=r"task \d+ \([23] calls of crash\)"):
            Parallel(batch_size=3)(delayed(crash)(n) for n in range(6))
    assert alone(), f"workers left: {children()}"


@pytest.mark.timeout(PATIENCE)
def test_deadline_of_a_given_staff(make_team):
    """
    The deadline of a staff handed to the backend ends the call that overruns it
    """
    staff = make_team("staff", size=2, mode="thread", deadline="1*s")
    start = time.monotonic()
    with parallel_config(backend="pyre_nexus", staff=staff):
        with pytest.raises(exceptions.DeadlineExceeded, match=r"\(nap\) ran past its deadline of 1 s"):
            Parallel()(delayed(nap)(seconds) for seconds in (0.1, 0.1, 30, 0.1))
    assert time.monotonic() - start < 25


@pytest.mark.timeout(PATIENCE)
def test_given_staff_is_left_running(given):
    """
    A staff handed to the backend runs the calls and is left running, usable, after a call that
    went well and after one that failed, in both places its loop may run
    """
    with parallel_config(backend="pyre_nexus", staff=given):
        assert Parallel()(delayed(squares)(numpy.arange(n)) for n in range(5)) == [0, 0, 1, 5, 14]
        with pytest.raises(ValueError):
            Parallel(batch_size=1)(delayed(reject)(3) if n == 0 else delayed(nap)(30) for n in range(6))
        assert Parallel()(delayed(pid)() for _ in range(4)) != [os.getpid()] * 4
    assert not given.closed
    assert given.submit(squares, numpy.arange(3)).result(timeout=PATIENCE) == 5


@pytest.mark.timeout(PATIENCE)
def test_timeout():
    """
    joblib's timeout ends a wait that lasts too long, with joblib's {TimeoutError}, and cancels
    the rest
    """
    start = time.monotonic()
    with parallel_config(backend="pyre_nexus", n_jobs=2):
        with pytest.raises(joblib.parallel.TimeoutError):
            Parallel(timeout=1, batch_size=1)(delayed(nap)(seconds) for seconds in (0.1, 30, 30, 0.1))
    assert time.monotonic() - start < 25
    assert alone(), f"workers left: {children()}"


@pytest.mark.timeout(PATIENCE)
def test_timeout_in_the_host_loop(make_team):
    """
    joblib's timeout, on a staff in its host's loop, which the wait drives
    """
    staff = make_team("staff", size=2, mode="host")
    with parallel_config(backend="pyre_nexus", staff=staff):
        with pytest.raises(joblib.parallel.TimeoutError):
            Parallel(timeout=1, batch_size=1)(delayed(nap)(seconds) for seconds in (0.1, 30, 0.1))
        assert Parallel()(delayed(nap)(0, n) for n in range(4)) == [0, 1, 2, 3]


@pytest.mark.timeout(PATIENCE)
@pytest.mark.parametrize("order", ["generator", "generator_unordered"])
def test_generator(order):
    """
    The results as a generator, in order or as they finish
    """
    with parallel_config(backend="pyre_nexus", n_jobs=2):
        results = Parallel(return_as=order)(delayed(nap)(0.05 * (n % 3), n) for n in range(12))
        assert not isinstance(results, list)
        results = list(results)
    assert results == list(range(12)) if order == "generator" else sorted(results) == list(range(12))
    assert alone(), f"workers left: {children()}"


@pytest.mark.timeout(PATIENCE)
def test_no_generator_in_the_host_loop(make_team):
    """
    A staff in its host's loop cannot hand the results out as a generator: joblib says so
    """
    staff = make_team("staff", size=2, mode="host")
    with parallel_config(backend="pyre_nexus", staff=staff):
        with pytest.raises(ValueError, match="does not support return_as=generator"):
            Parallel(return_as="generator")
        assert Parallel()(delayed(nap)(0, n) for n in range(4)) == [0, 1, 2, 3]


@pytest.mark.timeout(PATIENCE)
def test_nested_parallel_runs_in_its_task():
    """
    A {Parallel} inside a task runs its calls one after the other in the task's worker
    """
    with parallel_config(backend="pyre_nexus", n_jobs=2):
        results = Parallel()(delayed(nested)(3) for _ in range(2))
    for worker, pids, backend in results:
        assert worker != os.getpid()
        assert pids == [worker] * 3
        assert backend == "SequentialBackend"
    assert alone(), f"workers left: {children()}"


@pytest.mark.timeout(PATIENCE)
def test_bad_arguments():
    """
    A backend handed something that is not a staff, or a bad name, says so at once
    """
    with pytest.raises(exceptions.ArgumentError, match="staff"):
        parallel_config(backend="pyre_nexus", staff=object())
    with pytest.raises(exceptions.ArgumentError, match="name"):
        parallel_config(backend="pyre_nexus", name="")
    with pytest.raises(TypeError):
        parallel_config(backend="pyre_nexus", size=3)


# in a child interpreter: registration, and the configuration files pyre reads at import
def script(tmp_path, code, files=None):
    """
    Run {code} in a child interpreter in {tmp_path}, with the {files} it names there; return its
    output
    """
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(code))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(
        [sys.executable, str(path)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=PATIENCE,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


@pytest.mark.timeout(PATIENCE)
def test_registration(tmp_path):
    """
    Importing the package does not import joblib; it registers the backend when joblib was
    imported first; {pyre_nexus.joblib()} registers it and returns its class
    """
    output = script(tmp_path, """
        import sys
        import pyre_nexus
        print("imported:", "joblib" in sys.modules)
        import joblib.parallel
        print("before:", "pyre_nexus" in joblib.parallel.BACKENDS)
        print("class:", pyre_nexus.joblib().__name__, "pyre_nexus" in joblib.parallel.BACKENDS)
    """)
    assert "imported: False" in output
    assert "before: False" in output
    assert "class: Joblib True" in output
    output = script(tmp_path, """
        import joblib
        import pyre_nexus
        print("registered:", joblib.parallel.BACKENDS["pyre_nexus"] is pyre_nexus.Joblib.Joblib)
    """)
    assert "registered: True" in output


@pytest.mark.timeout(PATIENCE)
def test_configuration_of_the_built_staff(tmp_path):
    """
    The staffs the backend builds get the traits configured for the name it is given, in every
    call; {n_jobs} sets the size, as the keyword of a staff built in code does, unless the command
    line says otherwise
    """
    files = {
        "pyre_nexus.pfg": """
            crunch:
                deadline = 1*s
                recruiter = spawn
                recruiter.grace = 3*s
        """,
    }
    code = """
        import os, time
        import joblib
        import pyre_nexus
        from joblib import Parallel, delayed, parallel_config

        for _ in range(2):
            with parallel_config(backend="pyre_nexus", name="crunch", n_jobs=3) as config:
                backend = config["backend"]
                with Parallel() as parallel:
                    staff = backend.staff
                    print("staff:", staff.pyre_name, staff.size, staff.deadline, staff.recruiter.pyre_family())
                    print("grace:", staff.recruiter.grace)
                    try:
                        parallel(delayed(time.sleep)(seconds) for seconds in (0.1, 30))
                    except pyre_nexus.exceptions.DeadlineExceeded as error:
                        print("deadline:", error)
    """
    output = script(tmp_path, code, files=files)
    assert "staff: crunch-1 3 1.0*s pyre_nexus.recruiters.spawn" in output
    assert "staff: crunch-2 3 1.0*s pyre_nexus.recruiters.spawn" in output
    assert output.count("grace: 3.0*s") == 2
    assert output.count("ran past its deadline of 1 s") == 2
    # the command line beats n_jobs
    path = tmp_path / "script.py"
    result = subprocess.run(
        [sys.executable, str(path), "--crunch.size=2"], cwd=tmp_path, capture_output=True, text=True,
        timeout=PATIENCE, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert "staff: crunch-1 2 1.0*s" in result.stdout


@pytest.mark.timeout(PATIENCE)
def test_guide_example(tmp_path):
    """
    The example of the guide runs as it is, and prints what it computes
    """
    import re

    guide = (ROOT / "doc" / "guide.md").read_text()
    section = guide[guide.index("## joblib"):]
    code = re.findall(r"^```python\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)[0]
    output = script(tmp_path, code)
    assert output.splitlines() == [
        str(sum(n * n for n in range(1_000_000))),
        str([squares(chunk) for chunk in numpy.array_split(numpy.arange(1_000_000), 8)[:3]]),
    ]


# end of file
