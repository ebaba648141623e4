# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import collections
import functools
import io
import linecache
import pickle
import struct
import types
import weakref

# by-value pickling for what plain pickle cannot reach
import cloudpickle

# my parts
from .Segment import Segment


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
    on hosts that do not have them. Code that travels by value keeps the name of its file and
    takes its lines along, so the tracebacks of workers show where it failed. The receiving side
    only needs {pickle.loads}, since cloudpickle's output is ordinary pickle
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
    # the bit of an offset that makes it an offset into the segment of the task, for a buffer
    # of a result that lies there untouched
    reference = 1 << 63

    # interface
    @classmethod
    def encode(cls, item, owned=True, task=False, origin=None, reserve=None, byvalue=False):
        """
        Serialize {item}: a {bytes}, or a list of buffers when it holds large buffers, which
        travel out of band instead of being copied into the pickle stream. The buffers of an
        {owned} item are sent from where they are, so the sender must leave the item alone
        until it is sent; the others are copied now, into a {Segment} when they are large, in a
        file of {reserve} if it has one. A buffer that lies untouched in {origin}, the segment
        of the task whose result this is, travels as a reference to it. In a {task}, the
        functions of the main script travel by value wherever they are; {byvalue}, everything
        that cloudpickle sends by value does. Raises one of {unpicklable} with the reason if
        serializing is impossible
        """
        # large bytes travel out of band too
        if type(item) is bytes:
            item = cls.lift(item)
        # the large buffers, and the references to buffers of the task, as (offset, size)
        buffers = []

        # the sorter of buffers
        def sort(buffer):
            # get the memory
            view = buffer.raw()
            # small ones stay in the stream
            if view.nbytes < cls.threshold:
                return True
            # a buffer of the result that is still the task's own memory is referred to
            if origin is not None:
                offset = Segment.locate(origin=origin, buffer=view)
                if offset is not None:
                    buffers.append((offset, view.nbytes))
                    return False
            # large ones are set aside
            buffers.append(view)
            return False

        # only cloudpickle finds what travels by value
        if byvalue:
            stream = SourcePickler.dumps(item, buffer_callback=sort)
        # otherwise, try the fast way
        else:
            try:
                stream = pickle.dumps(item, protocol=5, buffer_callback=sort)
                # a task that names the main script may hold a function of it by reference,
                # which a worker that was not forked from the team cannot find; rare, and cheap
                # to spot
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
                stream = SourcePickler.dumps(item, buffer_callback=sort)
        # without large buffers, the stream is all there is
        if not buffers:
            return stream
        # otherwise, lay out the buffers after the stream
        header = cls.manifest.size + len(buffers) * cls.extent.size
        extents = []
        parts = [None, stream]
        offset = header + len(stream)
        for buffer in buffers:
            # a reference is all in its extent
            if type(buffer) is tuple:
                extents.append(cls.extent.pack(cls.reference | buffer[0], buffer[1]))
                continue
            # pad to the alignment
            padding = -offset % cls.alignment
            if padding:
                parts.append(bytes(padding))
                offset += padding
            # record where the buffer goes
            size = buffer.nbytes
            extents.append(cls.extent.pack(offset, size))
            parts.append(buffer)
            offset += size
        # and describe them up front
        parts[0] = cls.manifest.pack(cls.marker, len(buffers), len(stream)) + b"".join(extents)
        # what the sender owns goes as it is
        if owned:
            return parts
        # the rest is copied: a large body into shared memory, if the system provides it
        if offset >= Segment.threshold:
            segment = Segment.fill(parts, reserve=reserve)
            if segment is not None:
                return segment
        # or else into memory of my own
        return [part if type(part) is bytes else bytes(part) for part in parts]

    @classmethod
    def encodeTask(cls, fn, args, kwds, reserve=None):
        """
        Serialize the call {fn(*args, **kwds)}; a large one goes into shared memory, in a file
        of {reserve} if it has one. Raises one of {unpicklable} if serializing is impossible,
        with the part of the call to blame in its {culprit}
        """
        # the caller may change its arguments once the call is queued, so they are copied;
        # functions of the main script travel by value, pickled once, wherever they are, e.g.
        # as the function of a chunk of a map; other objects of the main script, e.g. an
        # instance of a {Task} subclass, go by value,
        # and so does everything while some module is registered to, since what comes from it
        # may hide anywhere in the call; only cloudpickle knows how to find it
        main = type(fn) is not types.FunctionType and getattr(fn, "__module__", None) == "__main__"
        byvalue = main or bool(cloudpickle.list_registry_pickle_by_value())
        # large bytes among the arguments travel out of band
        if args:
            args = tuple(map(cls.lift, args))
        if kwds:
            kwds = {name: cls.lift(value) for name, value in kwds.items()}
        # the rest by reference, if possible
        try:
            return cls.encode((fn, args, kwds), owned=False, task=True, reserve=reserve, byvalue=byvalue)
        # if not, find the part to blame; only now, so a call that travels pays nothing for it
        except cls.unpicklable as error:
            error.culprit = cls.culprit(fn=fn, args=args, kwds=kwds, byvalue=byvalue)
            raise

    @classmethod
    def culprit(cls, fn, args, kwds, byvalue):
        """
        The first part of the call {fn(*args, **kwds)} that cannot be serialized on its own, in
        words, e.g. "argument 2 (lock)"; {None} if each part can, and only the whole cannot
        """
        # the parts, in the order of the call
        parts = [("the function", fn)]
        parts += [(f"argument {index} ({type(value).__qualname__})", value) for index, value in enumerate(args, 1)]
        parts += [(f"keyword argument {name!r} ({type(value).__qualname__})", value) for name, value in kwds.items()]
        # try each as the whole was tried; their large buffers are only referred to, not copied
        for part, value in parts:
            try:
                cls.encode(value, task=True, byvalue=byvalue)
            except cls.unpicklable:
                return part
        # all done
        return None

    @classmethod
    def decode(cls, data, origin=None):
        """
        Rebuild an object from its serialized form; out-of-band buffers are not copied: the
        object refers to them where they are in {data}, or in {origin}, the segment of the task
        whose result this is
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
        # find the stream
        view = memoryview(data)
        start = cls.manifest.size + count * cls.extent.size
        stream = view[start : start + length]
        # and the buffers
        buffers = []
        for offset, size in extents:
            # where this one is
            source = view
            if offset & cls.reference:
                if origin is None:
                    raise ValueError("a buffer refers to a task segment that is not here")
                source = memoryview(origin)
                offset &= ~cls.reference
            # all of it must be there
            if offset + size > source.nbytes:
                raise ValueError(f"a buffer of {size} bytes at {offset} is beyond the end of its body")
            buffers.append(source[offset : offset + size])
        # and rebuild
        return pickle.loads(stream, buffers=buffers)

    @classmethod
    def lift(cls, value):
        """
        Wrap large {bytes}, which pickle copies into its stream, so they travel out of band
        """
        if type(value) is bytes and len(value) >= cls.threshold:
            return Blob(value)
        return value

    @classmethod
    def decodeTask(cls, data):
        """
        Rebuild a call serialized by {encodeTask} as a callable that takes no arguments
        """
        # unpack
        fn, args, kwds = cls.decode(data)
        # and bind
        return functools.partial(fn, *args, **kwds) if args or kwds else fn


# large bytes, out of band
class Blob:
    """
    A large {bytes} that pickles as a buffer out of band and unpickles as {bytes} again
    """

    __slots__ = ("data",)

    def __init__(self, data):
        self.data = data

    def __reduce_ex__(self, protocol):
        return Segment.tobytes, (pickle.PickleBuffer(self.data),)


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
            wrapped = cls.cache[fn] = cls(SourcePickler.dumps(fn))
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


# code by value, with where it came from
def locate(code):
    """
    Reduce {code} as cloudpickle does, with the name of its file, and its lines of it as this
    process reads them; nested code sends its lines again, which are few
    """
    # as cloudpickle builds it
    make, args = cloudpickle.Pickler.dispatch_table[types.CodeType](code)
    # its lines, through the last one any of its instructions reaches
    first = code.co_firstlineno
    last = max((end for _, end, _, _ in code.co_positions() if end is not None), default=first)
    lines = linecache.getlines(code.co_filename)[first - 1 : last]
    # and how to rebuild it
    return relocate, (make, args, code.co_filename, first, lines)


# the pickler of what travels by value
class SourcePickler(cloudpickle.Pickler):
    """
    The cloudpickle pickler, with code objects that keep the name of their file and carry their
    lines of it: cloudpickle names the file of all code {<dynamic-code>}, since 3.1.3, which
    leaves the frames of a worker's traceback without a file or a line to show
    """

    # code as {locate} reduces it, the rest as cloudpickle does
    dispatch_table = collections.ChainMap({types.CodeType: locate}, cloudpickle.Pickler.dispatch_table)

    # interface
    @classmethod
    def dumps(cls, item, buffer_callback=None):
        """
        Pickle {item}, with protocol 5
        """
        sink = io.BytesIO()
        cls(sink, protocol=5, buffer_callback=buffer_callback).dump(item)
        return sink.getvalue()


# the worker's side of {SourcePickler}
def relocate(make, args, filename, first, lines):
    """
    Rebuild a code object with {make(*args)} and give it back its {filename}; its {lines},
    from line {first} on, are what tracebacks show of it where this process reads other lines
    in that file, or none, e.g. on a host that does not have it
    """
    # the lines this process has
    known = linecache.getlines(filename)
    last = first - 1 + len(lines)
    # if they are not the ones sent
    if known[first - 1 : last] != lines:
        # the ones sent take their place, with blanks up to them where nothing is known
        merged = known + ["\n"] * (last - len(known))
        merged[first - 1 : last] = lines
        # in an entry without a time, which {linecache.checkcache} leaves alone
        linecache.cache[filename] = (len(merged), None, merged, filename)
    # and rebuild
    return make(*args).replace(co_filename=filename)


# end of file
