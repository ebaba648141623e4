# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# the framework
import pyre

# my superclass
from .Command import Command


# declaration
class Crew(Command, family="pyre_nexus.cli.crew"):
    """
    The worker shell: host the worker sides of crews of a team, in this process or in
    processes of its own, until the team lets them go

    The recruiters spawn, ssh, mpi and slurm start it as 'python -m pyre_nexus', with the
    interpreter of their 'python' trait; 'nexus crew' runs the same application,
    pyre_nexus.apps.worker, with the same options, e.g. to try a host by hand. Each crew dials
    the team's gate, passes the handshake with the team's secret, which arrives in the
    environment variable PYRE_NEXUS_SECRET or, with --stdin, on the first line of stdin, and
    works until it is dismissed; a worker never outlives its team
    """

    # the words that follow {nexus crew}
    synopsis = "--team=HOST:PORT --launch=ID [--crews=N] [--stdin [--supervise]] [--fork] [--timeout=T] [--heartbeat=T] [--authority=FILE]"

    # interface
    @pyre.export
    def main(self, plexus, argv, **kwds):
        """
        Run the worker shell
        """
        # the worker shell, as {python -m pyre_nexus} runs it
        from ..apps import Worker

        # gets this process
        self.handover(plexus=plexus)
        # and reads its options from the command line, as it does there
        return Worker.main()

    # the help screen
    def pyre_help(self, plexus, indent=" " * 2, **kwds):
        """
        My help screen, with the options of the worker shell
        """
        # the worker shell
        from ..apps.Worker import Worker

        # my command line
        yield f"{plexus.pyre_namespace} {self.pyre_spec} {self.synopsis}"
        # what i do
        yield from self.pyre_showSummary(indent=indent, **kwds)
        # and the options of the worker shell
        yield from self.options(configurables=Worker.pyre_localConfigurables(), indent=indent)
        # all done
        return


# end of file
