# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
A first script: square some numbers on a staff of two crews forked from this process
"""

# the package
import pyre_nexus


# the work; a function of the main script travels to the workers by value
def square(n):
    """
    Square {n}
    """
    return n * n


# the script
if __name__ == "__main__":
    # a standing team of two crews; leaving the block waits for the work and
    # lets the crews go
    with pyre_nexus.staff()(name="first", size=2) as team:
        print(f"{team.size} crews, recruiter", team.recruiter.pyre_family())
        # one future per task, at once
        futures = [team.submit(square, n) for n in range(6)]
        # in the order they finish
        for future in team.as_completed(futures):
            print(f"{future.label}: {future.result()}")
        # or in order, as a map
        print(list(team.map(square, range(4))))


# end of file
