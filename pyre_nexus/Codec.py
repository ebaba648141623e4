# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import functools
import io
import pickle
import struct
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
    pickled once, when first submitted, so the globals it uses travel as they were then. So do
    functions of the modules registered with {cloudpickle.register_pickle_by_value}, for workers
    on hosts that do not have them. The receiving side only needs {pickle.loads}, since
    cloudpickle's output is ordinary pickle
    """

    # the errors that say an object cannot be pickled; pickle raises all of these
    unpicklable = (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError)
    # buffers at least this large, e.g. the memory of numpy arrays, travel out of band
    threshold = 256 * 1024
    # the layout of a serialized form with out-of-band buffers: a marker that no pickle stream
    # starts with, the number of buffers, the length of the pickle stream, and then the offset
    # and size of each buffer; buffers start at multiples of {alignment}, for numpy's sake
    marker = 0x4F
    manifest = struct.Struct("<BIQ")
    extent = struct.Struct("<QQ")
    alignment = 64

    # interface
    @classmethod
    def encode(cls, item, owned=True, task=False):
        """
        Serialize {item}: a {bytes}, or a list of buffers when it holds large buffers, which
        travel out of band instead of being copied into the pickle stream. The buffers of an
        {owned} item are sent from where they are, so the sender must leave the item alone
        until it is sent; the others are copied now. In a {task}, the functions of the main
        script travel by value wherever they are. Raises one of {unpicklable} with the reason
        if serializing is impossible
        """
        # the large buffers
        buffers = []

        # the sorter of buffers
        def sort(buffer):
            # get the memory
            view = buffer.raw()
            # small ones stay in the stream
            if view.nbytes < cls.threshold:
                return True
            # large ones are set aside, as they are or as a copy
            buffers.append(view if owned else bytes(view))
            return False

        # try the fast way
        try:
            stream = pickle.dumps(item, protocol=5, buffer_callback=sort)
            # a task that names the main script may hold a function of it by reference, which
            # a worker that was not forked from the team cannot find; rare, and cheap to spot
            if task and b"__main__" in stream:
                # so pickle it again, with those functions by value
                buffers.clear()
                sink = io.BytesIO()
                TaskPickler(sink, protocol=5, buffer_callback=sort).dump(item)
                stream = sink.getvalue()
        # if it fails
        except cls.unpicklable:
            # start over, by value; if this fails too, its error is the better explanation
            buffers.clear()
            stream = cloudpickle.dumps(item, protocol=5, buffer_callback=sort)
        # without large buffers, the stream is all there is
        if not buffers:
            return stream
        # otherwise, lay out the buffers after the stream
        header = cls.manifest.size + len(buffers) * cls.extent.size
        extents = []
        parts = [None, stream]
        offset = header + len(stream)
        for buffer in buffers:
            # pad to the alignment
            padding = -offset % cls.alignment
            if padding:
                parts.append(bytes(padding))
                offset += padding
            # record where the buffer goes
            size = memoryview(buffer).nbytes
            extents.append(cls.extent.pack(offset, size))
            parts.append(buffer)
            offset += size
        # and describe them up front
        parts[0] = cls.manifest.pack(cls.marker, len(buffers), len(stream)) + b"".join(extents)
        # all done
        return parts

    @classmethod
    def encodeTask(cls, fn, args, kwds):
        """
        Serialize the call {fn(*args, **kwds)}
        """
        # the caller may change its arguments once the call is queued, so they are copied;
        # functions of the main script travel by value, pickled once, wherever they are, e.g.
        # as the function of a chunk of a map; other objects of the main script, e.g. an
        # instance of a {Task} subclass, go by value,
        # and so does everything while some module is registered to, since what comes from it
        # may hide anywhere in the call; only cloudpickle knows how to find it
        main = type(fn) is not types.FunctionType and getattr(fn, "__module__", None) == "__main__"
        if main or cloudpickle.list_registry_pickle_by_value():
            return cloudpickle.dumps((fn, args, kwds), protocol=5)
        # the rest by reference, if possible
        return cls.encode((fn, args, kwds), owned=False, task=True)

    @classmethod
    def decode(cls, data):
        """
        Rebuild an object from its serialized form; out-of-band buffers are not copied: the
        object refers to them where they are in {data}
        """
        # a plain pickle stream
        if not data or data[0] != cls.marker:
            return pickle.loads(data)
        # otherwise, read the manifest
        _, count, length = cls.manifest.unpack_from(data)
        extents = [
            cls.extent.unpack_from(data, cls.manifest.size + index * cls.extent.size)
            for index in range(count)
        ]
        # find the stream and the buffers
        view = memoryview(data)
        start = cls.manifest.size + count * cls.extent.size
        stream = view[start : start + length]
        buffers = [view[offset : offset + size] for offset, size in extents]
        # and rebuild
        return pickle.loads(stream, buffers=buffers)

    @classmethod
    def decodeTask(cls, data):
        """
        Rebuild a call serialized by {encodeTask} as a callable that takes no arguments
        """
        # unpack
        fn, args, kwds = cls.decode(data)
        # and bind
        return functools.partial(fn, *args, **kwds) if args or kwds else fn


# the pickler of tasks
class TaskPickler(pickle.Pickler):
    """
    A pickler that sends the functions of the main script by value, wherever they are in a
    task: a worker that was not forked from the team, or was forked before they were defined,
    cannot find them by name
    """

    # hooks
    def reducer_override(self, obj):
        """
        Send the functions of the main script by value; leave the rest to pickle
        """
        # a function of the main script
        if type(obj) is types.FunctionType and obj.__module__ == "__main__":
            # goes by value, pickled once
            return ByValue.of(obj).__reduce__()
        # the rest as pickle sees fit
        return NotImplemented


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
