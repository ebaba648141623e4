# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The retry policy: a task that raised a RecoverableError, or an error of a kind the policy lists,
runs again, up to {retries} times, after a wait that grows from {backoff} by {growth} up to
{ceiling}; per team, or per submission; the books count the retries by their cause
"""

# externals
import time

import pytest
from pyre.units.SI import second

# the package
from pyre_nexus.exceptions import ArgumentError, Cancelled

# the tasks, and the helpers
from tests import tasks
from tests.patience import PATIENCE
from tests.test_config import run


def gaps(path):
    """
    The seconds between the runs logged in {path}
    """
    times = [float(line) for line in path.read_text().split()]
    return [later - earlier for earlier, later in zip(times, times[1:])]


@pytest.mark.timeout(PATIENCE)
def test_a_listed_kind_runs_again_after_growing_waits(make_team, tmp_path):
    """
    An OSError, which the team lists, runs the task again three times, 0.2, 0.4 and 0.8 s apart,
    give or take the time a run takes; the books say why
    """
    staff = make_team(size=1, retries=3, retryable=["OSError"], backoff=0.2 * second, growth=2.0)
    log = tmp_path / "log"
    assert staff.submit(tasks.stumble, str(log), 3).result(timeout=PATIENCE) == 4
    # the spacing, loosely: never early, and not much late
    for gap, wait in zip(gaps(log), [0.2, 0.4, 0.8]):
        assert wait <= gap < wait + 1.0, gaps(log)
    books = staff.metrics()
    assert books["retried"] == 3 and books["retried by cause"] == {"OSError": 3}


@pytest.mark.timeout(PATIENCE)
def test_the_wait_stops_growing_at_the_ceiling(make_team, tmp_path):
    """
    The wait grows up to the ceiling, and no further
    """
    staff = make_team(size=1, retries=3, retryable=["OSError"], backoff=0.1 * second, growth=4.0, ceiling=0.3 * second)
    log = tmp_path / "log"
    assert staff.submit(tasks.stumble, str(log), 3).result(timeout=PATIENCE) == 4
    for gap, wait in zip(gaps(log), [0.1, 0.3, 0.3]):
        assert wait <= gap < wait + 1.0, gaps(log)


@pytest.mark.timeout(PATIENCE)
def test_recoverable_errors_wait_too(make_team, tmp_path):
    """
    A RecoverableError is always retried, and waits as the policy says
    """
    staff = make_team(size=1, retries=1, backoff=0.3 * second)
    log = tmp_path / "log"
    assert staff.submit(tasks.flaky, str(log), 1).result(timeout=PATIENCE) == 2
    assert staff.metrics()["retried by cause"] == {"RecoverableError": 1}


@pytest.mark.timeout(PATIENCE)
def test_an_unlisted_kind_fails_at_once(make_team, tmp_path):
    """
    An error the policy does not list is the task's outcome, after one run
    """
    staff = make_team(size=1, retries=3, retryable=["OSError"])
    log = tmp_path / "log"
    error = staff.submit(tasks.stumble, str(log), 3, "ValueError").exception(timeout=PATIENCE)
    assert isinstance(error, ValueError)
    assert len(log.read_text().split()) == 1


@pytest.mark.timeout(PATIENCE)
def test_retries_run_out(make_team, tmp_path):
    """
    A task that keeps failing has its last error once its retries are spent
    """
    staff = make_team(size=1, retries=2, retryable=["OSError"])
    log = tmp_path / "log"
    error = staff.submit(tasks.stumble, str(log), 5).exception(timeout=PATIENCE)
    assert isinstance(error, OSError) and "run 3 failed" in str(error)
    assert len(log.read_text().split()) == 3


@pytest.mark.timeout(PATIENCE)
def test_a_policy_of_its_own(make_team, tmp_path):
    """
    A submission with a policy of its own retries where the team would not
    """
    staff = make_team(size=1)
    log = tmp_path / "log"
    patient = staff.options(retries=2, retryable=OSError, backoff=(0.1, 3.0, 0.2))
    assert patient.submit(tasks.stumble, str(log), 2).result(timeout=PATIENCE) == 3
    for gap, wait in zip(gaps(log), [0.1, 0.2]):
        assert wait <= gap < wait + 1.0, gaps(log)
    # while the team's own tasks fail at once
    other = tmp_path / "other"
    assert isinstance(staff.submit(tasks.stumble, str(other), 2).exception(timeout=PATIENCE), OSError)


@pytest.mark.timeout(PATIENCE)
def test_cancel_while_waiting_to_run_again(make_team, tmp_path):
    """
    A task waiting to run again is cancelled at once, runs no more, and the team shuts down
    without waiting for its turn
    """
    staff = make_team(size=1, retries=3, retryable=["OSError"], backoff=30 * second)
    log = tmp_path / "log"
    future = staff.submit(tasks.stumble, str(log), 3)
    assert staff.waitUntil(lambda: staff.metrics()["retried"] == 1, timeout=PATIENCE)
    assert future.cancel()
    with pytest.raises(Cancelled):
        future.result(timeout=5)
    started = time.monotonic()
    staff.shutdown(wait=True)
    assert time.monotonic() - started < 10
    assert len(log.read_text().split()) == 1


@pytest.mark.timeout(PATIENCE)
def test_shutdown_waits_for_a_task_waiting_to_run_again(make_team, tmp_path):
    """
    Shutting down waits for a task that waits to run again, which gets its outcome
    """
    staff = make_team(size=1, retries=1, retryable=["OSError"], backoff=0.5 * second)
    log = tmp_path / "log"
    future = staff.submit(tasks.stumble, str(log), 1)
    assert staff.waitUntil(lambda: staff.metrics()["retried"] == 1, timeout=PATIENCE)
    staff.shutdown(wait=True)
    assert future.result(timeout=0) == 2


@pytest.mark.timeout(PATIENCE)
@pytest.mark.parametrize(
    "options, argument",
    [
        ({"retries": -1}, "retries"),
        ({"retries": 1.5}, "retries"),
        ({"retryable": "OSError"}, "retryable"),
        ({"backoff": -1}, "backoff"),
        ({"backoff": (0.1, 0.5, 1)}, "backoff"),
        ({"backoff": "soon"}, "backoff"),
    ],
)
def test_a_policy_that_makes_no_sense(make_team, options, argument):
    """
    Retry options that make no sense are refused before anything is submitted
    """
    staff = make_team(size=1)
    with pytest.raises(ArgumentError) as info:
        staff.options(**options)
    assert argument in str(info.value)


POLICY = """
import json, pyre_nexus
from pyre.units.SI import second
team = pyre_nexus.staff()(name="app.team")
retry = team.policy.retry
print(json.dumps({"kinds": [kind.__name__ for kind in retry.kinds], "initial": retry.initial,
                  "factor": retry.factor, "maximum": retry.maximum, "limit": retry.limit}))
"""


@pytest.mark.timeout(PATIENCE)
@pytest.mark.parametrize(
    "settings, said",
    [
        ("retryable = OSError, json.decoder:JSONDecodeError\n    retries = 4\n    backoff = 1*s\n    growth = 3\n    ceiling = 20*s", None),
        ("retryable = NoSuchError", "retryable: bad value 'NoSuchError'; expected an exception class"),
        ("retryable = json:dumps", "'json:dumps' is not an exception class"),
        ("growth = 0.5", "growth: bad value 0.5; expected a factor of 1 or more"),
        ("backoff = 3", "backoff: bad value 3; expected a non-negative time with units"),
    ],
)
def test_the_policy_in_a_file(tmp_path, settings, said):
    """
    The retry policy is set in the application's .pfg, and what makes no sense is refused,
    naming the trait
    """
    result = run(tmp_path, POLICY, files={"pyre_nexus.pfg": f"app.team:\n    {settings}\n"})
    if said is None:
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().endswith(
            '{"kinds": ["OSError", "JSONDecodeError"], "initial": 1.0, "factor": 3.0, "maximum": 20.0, "limit": 4}'
        ), result.stdout
    else:
        assert result.returncode != 0
        assert said in result.stderr, result.stderr


# end of file
