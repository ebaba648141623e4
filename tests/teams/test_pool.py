# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The pool runs a workplan to completion: every task as many times as it appears, one outcome
each, futures in workplan order, and no crew or worker left behind
"""

# externals
import functools

import pytest

# the package
from pyre_nexus.exceptions import Casualty

# the tasks
from tests import tasks
from tests.conftest import children


# helpers
def runs(path):
    """
    The pids written to {path} by {tasks.tally}, one per run
    """
    if not path.exists():
        return []
    return [int(line) for line in path.read_text().split()]


def outcomes(futures):
    """
    Attach a callback to each of {futures} that counts how many times it is settled
    """
    counts = {future: 0 for future in futures}

    def count(future):
        counts[future] += 1

    for future in futures:
        future.add_done_callback(count)
    return counts


# the tests
def test_duplicates_run_each_time(make_team, tmp_path):
    """
    A task that appears several times in the workplan, as the same object or as equal ones,
    runs as many times as it appears
    """
    pool = make_team("pool", size=2)
    log = tmp_path / "runs"
    task = tasks.Tally(log)
    # the same object three times, and two equal copies
    workplan = [task, task, task, tasks.Tally(log), tasks.Tally(log)]
    assert len(set(workplan)) == 1
    futures = pool.assemble(workplan)
    assert len(futures) == 5
    assert len(set(futures)) == 5
    pool.run()
    # each appearance ran once
    assert len(runs(log)) == 5
    # and the results are the pids that ran them
    assert sorted(future.result() for future in futures) == sorted(runs(log))


def test_duplicate_callables_run_each_time(make_team, tmp_path):
    """
    A zero-argument callable that appears several times in the workplan runs as many times
    as it appears
    """
    pool = make_team("pool", size=2)
    log = tmp_path / "runs"
    task = functools.partial(tasks.tally, str(log), "ran")
    futures = pool.assemble([task] * 4)
    pool.run()
    assert [future.result() for future in futures] == ["ran"] * 4
    assert len(runs(log)) == 4


def test_run_returns_workplan_futures(make_team):
    """
    {run} returns the futures of the workplan, in workplan order, all done, with the results
    """
    pool = make_team("pool", size=2)
    workplan = [tasks.Square(value) for value in range(10)]
    assembled = pool.assemble(workplan)
    finished = pool.run()
    # the same futures, in the same order
    assert len(finished) == len(assembled)
    assert all(mine is theirs for mine, theirs in zip(finished, assembled))
    # all done
    assert all(future.done() for future in finished)
    # with the right results
    assert [future.result(timeout=0) for future in finished] == [value**2 for value in range(10)]


def test_run_order_with_uneven_tasks(make_team):
    """
    {run} returns the futures in workplan order even when later tasks finish first
    """
    pool = make_team("pool", size=2, pipeline=1)
    workplan = [functools.partial(tasks.nap, 0.1 * (4 - i), i) for i in range(5)]
    futures = pool.assemble(workplan)
    finished = pool.run()
    assert finished == futures
    assert [future.result(timeout=0) for future in finished] == [0, 1, 2, 3, 4]


def test_mixed_outcomes(make_team, tmp_path):
    """
    A workplan with a result, an error and a casualty gives each task exactly one outcome, and
    runs each of them exactly once
    """
    pool = make_team("pool", size=2, casualties=1)
    logs = [tmp_path / f"task-{i}" for i in range(4)]
    workplan = [
        functools.partial(tasks.logged, str(logs[0]), tasks.echo, "fine"),
        functools.partial(tasks.logged, str(logs[1]), tasks.fail, "bad input"),
        functools.partial(tasks.logged, str(logs[2]), tasks.leave, 3),
        functools.partial(tasks.logged, str(logs[3]), tasks.echo, "also fine"),
    ]
    futures = pool.assemble(workplan)
    counts = outcomes(futures)
    finished = pool.run()
    assert finished == futures
    # one outcome each
    assert list(counts.values()) == [1, 1, 1, 1]
    # the right ones
    assert futures[0].result(timeout=0) == "fine"
    with pytest.raises(ValueError, match="bad input"):
        futures[1].result(timeout=0)
    with pytest.raises(Casualty) as casualty:
        futures[2].result(timeout=0)
    assert casualty.value.status == 3
    assert futures[3].result(timeout=0) == "also fine"
    # and each task ran exactly once
    assert [len(runs(log)) for log in logs] == [1, 1, 1, 1]


def test_run_leaves_nothing_behind(make_team):
    """
    After {run}, the pool has no crews and this process has no live children
    """
    pool = make_team("pool", size=2)
    pool.assemble([tasks.pid] * 6)
    finished = pool.run()
    assert all(future.done() for future in finished)
    assert pool.crews == []
    assert children() == []
    # and the workers that ran the tasks are gone
    pids = {future.result(timeout=0) for future in finished}
    assert not pids & set(children())


def test_run_twice(make_team):
    """
    A pool can assemble and run a second workplan after the first; each run returns only its
    own futures
    """
    pool = make_team("pool", size=2)
    # the first run
    first = pool.assemble([tasks.Square(value) for value in (1, 2, 3)])
    assert pool.run() == first
    assert [future.result(timeout=0) for future in first] == [1, 4, 9]
    assert pool.crews == []
    # the second run
    second = pool.assemble([tasks.Square(value) for value in (4, 5)])
    assert pool.run() == second
    assert [future.result(timeout=0) for future in second] == [16, 25]
    assert pool.crews == []


def test_assemble_twice_before_run(make_team):
    """
    Workplans assembled one after the other run together, in assembly order
    """
    pool = make_team("pool", size=2)
    first = pool.assemble([tasks.Square(1), tasks.Square(2)])
    second = pool.assemble([tasks.Square(3)])
    finished = pool.run()
    assert finished == first + second
    assert [future.result(timeout=0) for future in finished] == [1, 4, 9]


def test_empty_workplan(make_team):
    """
    An empty workplan runs at once and returns an empty list, recruiting nobody
    """
    pool = make_team("pool", size=2)
    assert pool.assemble([]) == []
    assert pool.run() == []
    assert pool.crews == []


def test_run_without_assemble(make_team):
    """
    {run} with nothing assembled returns an empty list
    """
    pool = make_team("pool", size=2)
    assert pool.run() == []
    assert pool.crews == []


@pytest.mark.parametrize("name", ["submit", "map", "wait", "as_completed", "options"])
def test_staff_calls_on_a_pool(make_team, name):
    """
    Code written for a staff that is given a pool, e.g. by its configuration, learns what a pool
    does instead and which team to set, whichever call of a staff it makes
    """
    pool = make_team("pool", size=1)
    with pytest.raises(AttributeError) as error:
        getattr(pool, name)
    assert str(error.value) == (
        f"{pool} has no attribute '{name}': a pool runs a workplan: assemble() then run(); "
        f"{name} is a staff's; set team=staff"
    )
    assert error.value.name == name
    # so code that looks before it leaps sees no such call
    assert not hasattr(pool, name)


def test_pool_calls_on_a_staff(make_team):
    """
    A staff asked to assemble a workplan says what it does instead, and which team to set
    """
    staff = make_team("staff", size=1)
    with pytest.raises(AttributeError) as error:
        staff.assemble([tasks.Square(2)])
    assert str(error.value) == (
        f"{staff} has no attribute 'assemble': a staff takes tasks as they come: submit() or map(); "
        "assemble is a pool's; set team=pool"
    )


def test_other_missing_names_are_plain(make_team):
    """
    Names that are neither team's get pyre's plain error, and traits still answer to their names
    """
    pool = make_team("pool", size=3)
    with pytest.raises(AttributeError) as error:
        pool.nosuch
    assert str(error.value) == f"{pool} has no attribute 'nosuch'"
    assert pool.size == 3


# end of file
