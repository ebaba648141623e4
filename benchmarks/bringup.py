# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Bring-up and throughput of a recruiter: a team named 'bringup', of 4 crews unless told
otherwise, configured on the command line as any pyre_nexus team, e.g.

    .venv/bin/python benchmarks/bringup.py --bringup.recruiter=mpi \\
        --bringup.recruiter.launcher=/usr/bin/mpiexec.mpich

prints how long the first result took, from the first task submitted, how long its crews took
to come up, from the first task submitted until every crew has registered, and how many tiny
tasks a second it runs once they are up: 1,000 submitted one by one, then all waited for, best
and median of {ROUNDS} rounds
"""

# externals
import statistics
import time

# the package
import pyre_nexus


# how many rounds of tiny tasks
ROUNDS = 5
# and how many tasks in each
TASKS = 1000


def noop():
    """
    Do nothing; defined here, so it travels by value to workers that cannot import this folder
    """
    return None


def main():
    """
    Bring the team up, run the rounds, say how it went
    """
    # the team
    team = pyre_nexus.staff()(name="bringup", size=4)
    # the registered crews
    registered = lambda: sum(crew.accepting() for crew in team.crews)
    # from nothing: a task for each crew, each submission recruits one
    start = origin = time.perf_counter()
    futures = [team.submit(noop) for _ in range(team.size)]
    # the first result
    answers = []
    for future in futures:
        future.add_done_callback(lambda _: answers.append(time.perf_counter()))
    # until every crew has registered
    if not team.waitUntil(condition=lambda: registered() == team.size, timeout=120):
        raise SystemExit(f"only {registered()} of {team.size} crews came up within 120 s")
    bringup = time.perf_counter() - start
    # the first tasks are done
    for future in futures:
        future.result(timeout=120)
    # the rounds
    rates = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        futures = [team.submit(noop) for _ in range(TASKS)]
        for future in futures:
            future.result(timeout=120)
        rates.append(TASKS / (time.perf_counter() - start))
    # all crews still there
    crews = registered()
    # shut down
    start = time.perf_counter()
    team.shutdown(wait=True)
    shutdown = time.perf_counter() - start
    # report
    print(f"recruiter:  {team.recruiter.pyre_family()}")
    print(f"first:      {min(answers) - origin:.2f} s from the first task submitted to its result")
    print(f"bring-up:   {bringup:.2f} s for {team.size} crews, from the first task until all registered")
    print(
        f"throughput: {max(rates):,.0f} tasks/s best, {statistics.median(rates):,.0f} median, "
        f"{ROUNDS} rounds of {TASKS:,} tiny tasks submitted one by one on {crews} crews"
    )
    print(f"shutdown:   {shutdown:.2f} s")
    # all done
    return 0


# bootstrap
if __name__ == "__main__":
    raise SystemExit(main())


# end of file
