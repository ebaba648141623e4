# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Tasks report their progress through {pyre_nexus.progress}: the news reaches the callbacks of
their futures while they run, close reports are merged, and the last one always arrives
"""

# externals
import pytest

# the package
import pyre_nexus

# the helpers
from tests import tasks
from tests.patience import PATIENCE


@pytest.mark.parametrize("recruiter", ["fork", "spawn"])
def test_callbacks_hear_the_news(make_team, recruiter):
    """
    The callbacks get the reports in order, while the task runs, and the last one before the
    result
    """
    staff = make_team("staff", size=1, recruiter=recruiter)
    future = staff.submit(tasks.steps, 10, 0.1)
    heard = []
    # what the future shows when each report arrives
    future.add_progress_callback(lambda f, news: heard.append((news, f.done())))
    assert future.result(timeout=PATIENCE) == 10
    news = [value for value, _ in heard]
    # in order, ending with the last
    assert news == sorted(news) and news[-1] == 1.0
    # a report every tenth of a second is slow enough to arrive one by one
    assert len(news) >= 5
    # they came while the task ran
    assert not any(done for _, done in heard)
    # and the future keeps the last one
    assert future.progress == 1.0


def test_close_reports_are_merged(make_team):
    """
    A task that reports in a tight loop sends a few reports, not one per call, and the last
    one still arrives
    """
    staff = make_team("staff", size=1)
    future = staff.submit(tasks.steps, 100_000)
    heard = []
    future.add_progress_callback(lambda f, news: heard.append(news))
    assert future.result(timeout=PATIENCE) == 100_000
    assert heard[-1] == 1.0
    assert len(heard) < 1000


def test_a_failing_callback_does_not_stop_the_team(make_team):
    """
    A progress callback that raises is logged, and the task and the team go on
    """
    staff = make_team("staff", size=1)
    future = staff.submit(tasks.steps, 3, 0.1)
    future.add_progress_callback(lambda f, news: 1 / 0)
    assert future.result(timeout=PATIENCE) == 3
    assert staff.submit(tasks.echo, "on").result(timeout=PATIENCE) == "on"


def test_news_that_cannot_travel_fails_the_task(make_team):
    """
    News that does not pickle is the task's error, and the crew goes on
    """
    staff = make_team("staff", size=1)
    future = staff.submit(tasks.gossip)
    error = future.exception(timeout=PATIENCE)
    assert error is not None and "pickle" in str(error).lower()
    assert staff.submit(tasks.echo, "on").result(timeout=PATIENCE) == "on"


def test_outside_a_worker_it_does_nothing():
    """
    A task called directly, in the team's process, reports to nobody
    """
    assert tasks.steps(3) == 3
    assert pyre_nexus.progress(0.5) is None


# end of file
