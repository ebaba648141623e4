# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# declaration
class Task:
    """
    Base class for functors that teams hand to crews

    Subclasses put the work in {execute}; instances travel to the worker by pickle, so their
    classes must be importable there (any class works with the {fork} recruiter). Plain
    callables work too: {staff.submit(function, *args, **kwds)} needs no subclass
    """

    # types
    from .exceptions import RecoverableError
    from .TaskStatus import TaskStatus as taskcodes
    from .CrewStatus import CrewStatus as crewcodes

    # interface
    def execute(self, **kwds):
        """
        The body of the functor; its return value is the result of the task
        """
        # nothing to do; here so subclasses that cooperate can chain up
        return None

    # meta-methods
    def __call__(self, **kwds):
        # forward to the body
        return self.execute(**kwds)


# end of file
