# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# the framework
import pyre

# my superclass
from .Command import Command


# declaration
class Demo(Command, family="pyre_nexus.cli.demo"):
    """
    Run the demo: estimate pi by Monte Carlo, serially and then on a team of crews, and
    compare; the same application as nexus-demo, with the same configuration: what ships in
    pyre_nexus/apps/nexus-demo.pfg, then nexus-demo.pfg in the current folder, then the
    command line, e.g. 'nexus demo --samples=20000000 --team.size=4 --team.recruiter=spawn'
    """

    # the words that follow {nexus demo}
    synopsis = "[--samples=N] [--batches=N] [--serial=no] [--team.size=N] [--team.recruiter=NAME]"

    # interface
    @pyre.export
    def main(self, plexus, argv, **kwds):
        """
        Run the demo
        """
        # the demo
        from ..apps import Demo

        # gets this process
        self.handover(plexus=plexus)
        # and runs as nexus-demo does
        return Demo.main()

    # the help screen
    def pyre_help(self, plexus, indent=" " * 2, **kwds):
        """
        My help screen, with the options of the demo
        """
        # the demo
        from ..apps.Demo import Demo

        # my command line
        yield f"{plexus.pyre_namespace} {self.pyre_spec} {self.synopsis}"
        # what i do
        yield from self.pyre_showSummary(indent=indent, **kwds)
        # and the options of the demo
        yield from self.options(configurables=Demo.pyre_localConfigurables(), indent=indent)
        # all done
        return


# end of file
