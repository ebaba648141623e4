# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# the framework
import pyre

# my superclass
from .Fork import Fork
# how complaints about my traits are made
from ..exceptions import complain, configured


# declaration
class Forkserver(Fork, family="pyre_nexus.recruiters.forkserver"):
    """
    Recruit crews by forking a server that was forked from the team's process

    The server is forked at the team's first recruitment, or earlier, when the team is about to
    start a thread of its own, and so while the team's process has one thread; it imports the
    modules of {preload}, and then forks every crew of the team: a crew is a copy of a process
    with one thread, whose locks nobody else holds, whatever threads the team started since, and
    starts with the modules of {preload} imported. Everything else is as for the fork
    recruiter: the channel and the socket beside it, the process group, the cgroup, {memory} and
    {pids}, the output, the deadlines, the escalation of dismissals, and the end of every crew
    with its team, even a team that dies of SIGKILL. What the team imports or defines after its
    server was forked, its crews do not see, unless it travels with the task
    """

    # user configurable state
    preload = pyre.properties.list(schema=pyre.properties.str())
    preload.doc = (
        "the modules the server imports before it forks any crew, so every crew starts with them "
        "imported, e.g. numpy; one that does not import fails the recruitment, and says why"
    )

    # framework hooks
    def pyre_configured(self):
        """
        Check my configuration, as the fork recruiter does, and that {preload} names modules
        """
        # chain up
        yield from super().pyre_configured()
        # each entry must be a dotted name
        preload = configured(self, "preload")
        names = preload if isinstance(preload, (list, tuple)) else [preload]
        for name in names:
            if not (isinstance(name, str) and name and all(part.isidentifier() for part in name.split("."))):
                yield str(complain(self, trait="preload", value=name, accepted="the dotted names of modules, e.g. numpy"))
        # all done
        return

    # implementation details
    def served(self, team):
        """
        Whether the crews of {team} are forked by a fork server: always
        """
        return True

    def modules(self):
        """
        The modules my fork servers import before they fork any crew
        """
        return list(self.preload)


# end of file
