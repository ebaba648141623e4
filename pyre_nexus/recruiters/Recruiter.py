# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# the framework
import pyre

# what a name that is no recruiter raises
from ..exceptions import Unresolved


# declaration
class Recruiter(pyre.protocol, family="pyre_nexus.recruiters"):
    """
    The protocol of the strategies that bring the worker sides of crews into being and see
    them out again
    """

    # a name that is no recruiter is refused with the names that are
    ResolutionError = Unresolved

    # obligations
    @pyre.provides
    def recruit(self, team, count):
        """
        Bring up {count} crews for {team}; each joins the team and reports ready when its
        worker side is up. Returns the team side crews
        """

    @pyre.provides
    def dismiss(self, team, crew):
        """
        {crew} was let go: see that its worker ends, with escalating insistence, and tell the
        team through {team.bury} once it is gone
        """

    @pyre.provides
    def kill(self, team, crew):
        """
        End the worker of {crew} now; the team hears of it through {team.bury}
        """

    @pyre.provides
    def prime(self, team):
        """
        The team is about to start a thread of its own: do now what must be done while its
        process has one thread
        """

    @pyre.provides
    def census(self, team):
        """
        What i know of the workers of {team} beyond its crews, e.g. the batch jobs still waiting
        in a queue, as a dictionary of plain values for the team's books
        """

    @pyre.provides
    def release(self, team):
        """
        The team is going away with workers still alive: end them all before returning
        """

    # framework hooks
    @classmethod
    def pyre_resolveSpecification(cls, spec, **kwds):
        """
        Resolve {spec} into a recruiter, as pyre does, but pass over candidates that are not
        components at all: once pyre's own {mpi} package is imported, pyre offers it for the
        name 'mpi' before the recruiter of that name, and then fails on it
        """
        # go through the candidates
        for candidate in cls.pyre_executive.resolve(uri=spec, protocol=cls, **kwds):
            # skip what cannot even say whether it is compatible, and what is not
            compatible = getattr(candidate, "pyre_isCompatible", None)
            if compatible is None or not compatible(spec=cls):
                continue
            # the first good one wins
            return candidate
        # if there were none
        raise cls.ResolutionError(protocol=cls, value=spec)

    @classmethod
    def pyre_default(cls, **kwds):
        """
        The default {Recruiter} implementation
        """
        # fork
        from .Fork import Fork

        return Fork


# end of file
