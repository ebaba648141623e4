# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
A pyre application that squares numbers on the team its configuration declares
"""

# the framework
import pyre
# the package
import pyre_nexus


# the work
def square(n):
    """
    Square {n}
    """
    return n * n


# the application; its family is not named after an importable module, so
# resolving it does not import this script a second time
class Squares(pyre.application, family="tutorial.squares"):
    """
    Square some numbers on a team of crews
    """

    # user configurable state
    count = pyre.properties.int(default=8)
    count.doc = "how many numbers to square"

    team = pyre_nexus.team()
    # the help lists the team, not its traits, so it says where they are
    team.doc = (
        "the crews that do the work; "
        "'nexus config squares' shows their traits"
    )

    # obligations
    @pyre.export
    def main(self, *args, **kwds):
        """
        Square {count} numbers on my team
        """
        # my team, as the configuration built it
        team = self.team
        print(
            f"{team.size} crews,",
            f"recruiter {team.recruiter.pyre_family()},",
            f"deadline {team.deadline}",
        )
        # the squares, in order
        print(list(team.map(square, range(self.count))))
        # let the crews go
        team.shutdown()
        # all done
        return 0


# the script
if __name__ == "__main__":
    # the instance is named squares, so pyre reads squares.pfg
    app = Squares(name="squares")
    raise SystemExit(app.run())


# end of file
