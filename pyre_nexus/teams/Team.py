# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# the framework
import pyre

# the protocol of my recruiters
from ..recruiters.Recruiter import Recruiter
# what a name that is no team raises
from ..exceptions import Unresolved


# declaration
class Team(pyre.protocol, family="pyre_nexus.teams"):
    """
    The specification of a collective of crews that carry out tasks and give every task
    exactly one outcome: a result, an error, or cancelled
    """

    # a name that is no team is refused with the names that are
    ResolutionError = Unresolved

    # user configurable state
    size = pyre.properties.int()
    size.doc = "the most crews to recruit"

    recruiter = Recruiter()
    recruiter.doc = "the strategy for recruiting crews"

    # obligations
    @pyre.provides
    def vacancies(self):
        """
        Compute how many recruits are needed to take the team to the strength its work needs
        """

    @pyre.provides
    def resize(self, size):
        """
        Set my size to {size} crews while i work: grow to it now, or let the crews beyond it go
        once they are idle
        """

    @pyre.provides
    def cancel(self, future, reason):
        """
        Cancel the task behind {future}, whether it is waiting or running
        """

    @pyre.provides
    def waitUntil(self, condition, timeout=None, loops=()):
        """
        Wait until {condition()} is true or {timeout} seconds pass, running my event loop and
        the other event {loops}
        """

    @pyre.provides
    def shutdown(self, wait=True, cancel_futures=False):
        """
        Take no more work, then let my crews go once theirs is done
        """

    # framework hooks
    @classmethod
    def pyre_default(cls, **kwds):
        """
        The default {Team} implementation
        """
        # the standing team
        from .Staff import Staff

        return Staff


# end of file
