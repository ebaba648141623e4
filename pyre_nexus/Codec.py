# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import pickle

# by-value pickling for what plain pickle cannot reach
import cloudpickle


# declaration
class Codec:
    """
    The serializer of tasks, results and errors: pickle protocol 5, with cloudpickle for
    lambdas, closures and other objects that plain pickle cannot find by reference

    Plain pickle goes first because it is the fastest and sends functions by reference; the
    receiving side only needs {pickle.loads}, since cloudpickle's output is ordinary pickle
    """

    # the errors that say an object cannot be pickled; pickle raises all of these
    unpicklable = (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError)

    # interface
    @classmethod
    def encode(cls, item):
        """
        Serialize {item}; raises one of {unpicklable} with the reason if that is impossible
        """
        # try the fast way
        try:
            return pickle.dumps(item, protocol=5)
        # if it fails
        except cls.unpicklable:
            # try by value; if this fails too, its error is the better explanation
            return cloudpickle.dumps(item, protocol=5)

    @staticmethod
    def decode(data):
        """
        Rebuild an object from its serialized form
        """
        # easy enough
        return pickle.loads(data)


# end of file
