# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# the names of the traits of each class that uses me, computed once per class
_traits = {}


# declaration
class Plain:
    """
    A mixin for components whose hot paths keep ordinary attributes

    pyre routes every assignment to a component through its trait machinery, which records the
    caller's location and raises and catches an exception for each name that is not a trait:
    microseconds per assignment. Teams and crews update their bookkeeping for every task, so
    names that are not traits go straight to the instance
    """

    # meta-methods
    def __setattr__(self, name, value):
        # get the class
        cls = type(self)
        # and the names of its traits
        traits = _traits.get(cls)
        # the first time through
        if traits is None:
            # collect them, with their aliases
            traits = _traits[cls] = frozenset(
                alias for trait in cls.pyre_traits() for alias in trait.aliases
            )
        # traits get the full treatment
        if name in traits:
            return super().__setattr__(name, value)
        # everything else is an ordinary attribute
        return object.__setattr__(self, name, value)


# end of file
