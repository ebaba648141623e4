# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import builtins
import importlib
import math


# declaration
class Retry:
    """
    When a task that failed runs again: up to {limit} more times, if it raised a
    {RecoverableError}, which always may, or an instance of one of {kinds}; after a wait that
    starts at {initial} seconds and grows by {factor} with each retry, up to {maximum}
    """

    # interface
    def covers(self, error):
        """
        Whether {error}, which a task raised, lets it run again, as far as its kind goes
        """
        return isinstance(error, self.kinds)

    def wait(self, attempt):
        """
        How many seconds to wait before the retry number {attempt}, counting from 1
        """
        # none at all
        if not self.initial:
            return 0.0
        # growing, up to the maximum, which a large attempt reaches without overflowing
        return min(self.maximum, self.initial * self.factor ** min(attempt - 1, 1024))

    def adjust(self, limit=None, kinds=None, initial=None, factor=None, maximum=None):
        """
        A policy like mine, with what is given instead
        """
        return Retry(
            limit=self.limit if limit is None else limit,
            kinds=self.kinds if kinds is None else kinds,
            initial=self.initial if initial is None else initial,
            factor=self.factor if factor is None else factor,
            maximum=self.maximum if maximum is None else maximum,
        )

    @staticmethod
    def resolve(name):
        """
        The exception class called {name}: a builtin, e.g. "OSError", or "module:Class" or
        "module.Class"; raises {ValueError} if there is none
        """
        # a builtin
        found = getattr(builtins, name, None) if name.isidentifier() else None
        # or from its module
        if found is None:
            module, _, attribute = name.replace(":", ".").rpartition(".")
            if not module:
                raise ValueError(f"no exception called {name!r}: name a builtin, or 'module:Class'")
            try:
                found = getattr(importlib.import_module(module), attribute)
            except (ImportError, AttributeError) as error:
                raise ValueError(f"cannot import {name!r}: {error}")
        # it must be an exception class
        if not (isinstance(found, type) and issubclass(found, BaseException)):
            raise ValueError(f"{name!r} is not an exception class")
        # all done
        return found

    # meta-methods
    def __init__(self, limit=0, kinds=(), initial=0.0, factor=2.0, maximum=math.inf):
        # how many times a task may run again, and on which errors besides RecoverableError
        self.limit = limit
        self.kinds = tuple(kinds)
        # the wait before the first retry, in seconds, its growth, and its largest
        self.initial = initial
        self.factor = factor
        self.maximum = maximum
        # all done
        return

    __slots__ = ("limit", "kinds", "initial", "factor", "maximum")


# end of file
