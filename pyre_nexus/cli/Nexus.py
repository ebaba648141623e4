# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import os
import sys

# the framework
import journal
import pyre

# my protocol
from .Action import Action


# declaration
class Nexus(pyre.plexus, family="pyre_nexus.cli.nexus", namespace="nexus"):
    """
    Run work in other processes from pyre applications: inspect the configuration of teams,
    check that recruiters can bring up crews, host crews, run the demo
    """

    # the protocol of my actions
    pyre_action = Action

    # the help screen
    def pyre_help(self, indent=" " * 2, **kwds):
        """
        My help screen: who i am, my actions, and my options
        """
        # who i am
        yield from self.pyre_banner()
        # my actions
        yield from self.pyre_documentActions(indent=indent)
        # and my options, by their full names: the short ones belong to my actions, and to the
        # applications they run
        public = [
            (f"--{self.pyre_name}.{trait.name}", trait.typename, trait.doc)
            for trait in self.pyre_configurables()
            if trait.doc
        ]
        if public:
            width = max(len(tag) for tag, _, _ in public)
            yield "options:"
            for tag, schema, tip in public:
                yield f"{indent}{tag:>{width}}: {tip} [{schema}]"
            yield ""
        # all done
        return

    def pyre_banner(self):
        """
        The top of my help screen
        """
        # my package
        import pyre_nexus

        # who i am
        yield f"nexus: the command line of pyre_nexus {pyre_nexus.version}"
        # and what i do
        yield from self.pyre_showSummary(indent="")
        # and how to get more
        yield ""
        yield "usage: nexus <command> [options]; nexus <command> --help explains a command"
        # all done
        return


# the entry point
def main():
    """
    Run {nexus} with the command line
    """
    # build it; its own traits answer to their full names only, e.g. --nexus.DEBUG, so the
    # short ones are free for its actions and for the applications they run, e.g. --team
    app = Nexus(name="nexus", globalAliases=False)
    # and run it
    try:
        return app.run()
    # pyre has shown the error on my fatal channel
    except journal.ApplicationError:
        return 2
    # whoever read my output stopped, e.g. {nexus config app | head}
    except BrokenPipeError:
        # so the rest of it goes nowhere, and python does not complain at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


# end of file
