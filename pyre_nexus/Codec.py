# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import functools
import pickle
import types
import weakref

# by-value pickling for what plain pickle cannot reach
import cloudpickle


# declaration
class Codec:
    """
    The serializer of tasks, results and errors: pickle protocol 5, with cloudpickle for what
    plain pickle cannot find by reference

    Plain pickle goes first because it is the fastest and sends functions by reference. Code
    from the main script travels by value, since a worker that was forked before it was defined,
    or started from another script, cannot find it by name; a function of the main script is
    pickled once, when first submitted, so the globals it uses travel as they were then. The
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

    @classmethod
    def encodeTask(cls, fn, args, kwds):
        """
        Serialize the call {fn(*args, **kwds)}
        """
        # functions of the main script travel by value, pickled once
        if type(fn) is types.FunctionType and fn.__module__ == "__main__":
            return cls.encode((ByValue.of(fn), args, kwds))
        # other objects of the main script, e.g. an instance of a {Task} subclass, go by value
        if getattr(fn, "__module__", None) == "__main__":
            return cloudpickle.dumps((fn, args, kwds), protocol=5)
        # the rest by reference, if possible
        return cls.encode((fn, args, kwds))

    @staticmethod
    def decode(data):
        """
        Rebuild an object from its serialized form
        """
        # easy enough
        return pickle.loads(data)

    @classmethod
    def decodeTask(cls, data):
        """
        Rebuild a call serialized by {encodeTask} as a callable that takes no arguments
        """
        # unpack
        fn, args, kwds = pickle.loads(data)
        # and bind
        return functools.partial(fn, *args, **kwds) if args or kwds else fn


# functions of the main script, pickled by value
class ByValue:
    """
    A function pickled by value once; it unpickles as the function itself
    """

    # the pickled form of each function, for as long as the function lives
    cache = weakref.WeakKeyDictionary()

    # interface
    @classmethod
    def of(cls, fn):
        """
        The pickled form of {fn}, made on first use
        """
        # look it up
        wrapped = cls.cache.get(fn)
        # if it's not there
        if wrapped is None:
            # make it
            wrapped = cls.cache[fn] = cls(cloudpickle.dumps(fn, protocol=5))
        # and hand it over
        return wrapped

    # meta-methods
    def __init__(self, data):
        # save the pickled function
        self.data = data
        # all done
        return

    def __reduce__(self):
        # unpickle as the function, through a cache, so the worker rebuilds it once too
        return revive, (self.data,)


# the worker's side of {ByValue}
@functools.lru_cache(maxsize=256)
def revive(data):
    """
    Rebuild a function pickled by value
    """
    return pickle.loads(data)


# end of file
