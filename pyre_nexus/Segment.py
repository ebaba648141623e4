# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import ctypes
import mmap
import os
import threading
import weakref

# my parts
from .Reserve import close


# declaration
class Segment:
    """
    A large serialized task, held in an anonymous shared memory file from the moment it is
    submitted

    The file is filled once, which is the copy that protects the task from later changes by its
    caller, and every crew on this host that runs the task, a first time or again after a
    casualty, gets its descriptor instead of the bytes. The file has no name, so nothing is left
    behind whoever dies. A worker maps it privately: whatever the task writes into its arguments
    stays in the worker, so the team's copy is the task as submitted, and a buffer of the result
    that still lies untouched in the worker's mapping is the same memory as in the team's. Such
    buffers travel back as references ({locate}), not as bytes: an echo costs no copy at all.
    Once the task is over and its worker has let go of it, the file goes back to the team's
    {Reserve}, to be filled with a later task, as soon as no result refers to it any more
    """

    # bodies at least this large go into a segment
    threshold = 1024 * 1024

    # interface
    @classmethod
    def fill(cls, parts, reserve=None):
        """
        Make a segment out of {parts}, buffers that are written one after the other, in a file
        of {reserve} if it has one that fits; {None} if the system can't provide one, e.g. it has
        no anonymous files or the process ran out of descriptors, in which case the caller keeps
        the task in its own memory
        """
        # the pieces, and their size
        pieces = [memoryview(part).cast("B") for part in parts]
        size = sum(len(piece) for piece in pieces)
        # a file that waits for reuse, or a new one
        fd, store = (reserve is not None and reserve.take(size=size)) or (None, None)
        # carefully, so nothing leaks if the system says no
        try:
            # a new file is mapped with room to spare, so a slightly larger body can reuse it
            if fd is None:
                fd = os.memfd_create("pyre_nexus", os.MFD_CLOEXEC)
                room = -(-(size + size // 16) // _PAGE) * _PAGE
                os.ftruncate(fd, room)
                store = mmap.mmap(fd, room)
            # the size of the file is the size of the body
            os.ftruncate(fd, size)
            # fill it
            with memoryview(store) as target:
                offset = 0
                for piece in pieces:
                    _copy(target=target, offset=offset, piece=piece)
                    offset += len(piece)
        # if the system can't provide a file
        except (AttributeError, OSError):
            # let go of what i have
            close(fd=fd, store=store)
            return None
        # all done
        return cls(fd=fd, store=store, size=size, reserve=reserve)

    def recycle(self):
        """
        The task is over and the worker that ran it has let go of me: my file waits for the next
        large task, at once, or when the last result built over my memory is gone
        """
        # without a reserve, my file goes when i do
        if self.reserve is None:
            return
        # otherwise, my file and the mapping it was filled through are no longer mine
        self._closer.detach()
        fd, store, reserve = self.fd, self.store, self.reserve
        self.fd = self.store = self.reserve = None
        # if no result was built over my memory
        if self.mapping is None:
            # the file can be filled again now
            reserve.keep(fd=fd, store=store)
            return
        # otherwise, when the results are gone, so is the mapping they hold, and the file waits
        weakref.finalize(self.mapping, reserve.keep, fd=fd, store=store)
        # which is theirs now; my view of it goes, unless something still reads through it,
        # which then holds the mapping for as long as it does
        try:
            self._view.release()
        except BufferError:
            pass
        self._view = self.mapping = None
        # all done
        return

    @staticmethod
    def locate(origin, buffer):
        """
        The offset of {buffer} in {origin}, the private mapping of a segment, if it lies there
        and the task has not written to any of its pages; {None} otherwise
        """
        # where both are
        base = _reach(origin)
        start = _reach(buffer)
        if base is None or start is None:
            return None
        # the size of the buffer
        size = memoryview(buffer).nbytes
        # it must lie within the mapping
        if start < base or start + size > base + len(origin):
            return None
        # and its pages must be those of the file: the ones the task wrote to are private copies
        if not _pristine(start=start, size=size):
            return None
        # it is where the team has it too
        return start - base

    @staticmethod
    def tobytes(buffer):
        """
        A {bytes} with the contents of {buffer}, which arrived out of band: a large one is made
        empty and filled side by side, which takes about half the time of {bytes(buffer)} on two
        cores, since the page faults of its fresh memory are shared out too
        """
        # get the memory
        view = memoryview(buffer).cast("B")
        size = view.nbytes
        # a small one, or one ctypes can't reach, is copied at once
        source = _reach(view)
        if source is None or size < 2 * _SLICE:
            return bytes(view)
        # otherwise, make the bytes
        data = _blank(None, size)
        # and fill them
        _spread(destination=_contents(data), source=source, size=size)
        # all done
        return data

    @property
    def view(self):
        """
        My contents, for crews that take bodies as bytes and for results that refer to them; in
        a mapping of their own, which lives as long as they do
        """
        # map me, the first time
        if self.mapping is None:
            self.mapping = mmap.mmap(self.fd, self.size)
            self._view = memoryview(self.mapping)
        # and hand me over
        return self._view

    # meta-methods
    def __init__(self, fd, store, size, reserve=None):
        # the file, which stays open for as long as a crew may need it, and closes with me
        self.fd = fd
        self.size = size
        # the mapping i was filled through
        self.store = store
        self._closer = weakref.finalize(self, close, fd, store)
        # where my file waits for reuse once my task is over
        self.reserve = reserve
        # the mapping of my contents, made when they are needed
        self.mapping = None
        self._view = None
        # all done
        return


# implementation details
_PAGE = mmap.PAGESIZE
# the threads that copy a large piece, and the smallest slice worth a thread of its own
_HANDS = min(4, os.cpu_count() or 1)
_SLICE = 8 * 1024 * 1024
# bytes, made without contents, to be filled before anybody sees them, and where their contents are
_blank = ctypes.pythonapi.PyBytes_FromStringAndSize
_blank.restype = ctypes.py_object
_blank.argtypes = (ctypes.c_void_p, ctypes.c_ssize_t)
_contents = ctypes.pythonapi.PyBytes_AsString
_contents.restype = ctypes.c_void_p
_contents.argtypes = (ctypes.py_object,)


# the buffer protocol, for the address of any buffer: {Py_buffer}, as the stable ABI lays it out
class _View(ctypes.Structure):
    _fields_ = [
        ("buf", ctypes.c_void_p),
        ("obj", ctypes.c_void_p),
        ("len", ctypes.c_ssize_t),
        ("itemsize", ctypes.c_ssize_t),
        ("readonly", ctypes.c_int),
        ("ndim", ctypes.c_int),
        ("format", ctypes.c_char_p),
        ("shape", ctypes.c_void_p),
        ("strides", ctypes.c_void_p),
        ("suboffsets", ctypes.c_void_p),
        ("internal", ctypes.c_void_p),
    ]


_get = ctypes.pythonapi.PyObject_GetBuffer
_get.restype = ctypes.c_int
_get.argtypes = (ctypes.py_object, ctypes.POINTER(_View), ctypes.c_int)
_release = ctypes.pythonapi.PyBuffer_Release
_release.restype = None
_release.argtypes = (ctypes.POINTER(_View),)
# the top byte of each entry of /proc/self/pagemap, per page: present (0x80), and backed by the
# file (0x20); a page that is present and not backed by the file was written to
_WRITTEN = bytes(1 if byte & 0xA0 == 0x80 else 0 for byte in range(256))


def _copy(target, offset, piece):
    """
    Copy {piece} into {target} at {offset}, side by side if it is large
    """
    # where both are, if ctypes can tell
    source = _reach(piece)
    destination = _reach(target)
    # if it can't, or the piece is small
    if source is None or destination is None or len(piece) < 2 * _SLICE:
        # copy it here, at once
        target[offset : offset + len(piece)] = piece
        return
    # otherwise, in slices
    _spread(destination=destination + offset, source=source, size=len(piece))
    # all done
    return


def _spread(destination, source, size):
    """
    Copy {size} bytes from {source} to {destination}, in slices, side by side, by as many threads
    as there are cores, up to four: one core alone does not draw all the memory bandwidth there
    is, and the page faults of fresh memory are shared out too, so on two cores it takes about
    half the time
    """
    # how many slices, and how large
    count = max(1, min(_HANDS, size // _SLICE))
    step = -(-size // count)
    # ctypes lets go of the interpreter while it copies, so the slices run together
    hands = []
    for start in range(step, size, step):
        piece = (destination + start, source + start, min(step, size - start))
        hand = threading.Thread(target=ctypes.memmove, args=piece)
        # a process that may not start another thread, e.g. under a tight memory limit
        try:
            hand.start()
        # copies the slice itself
        except RuntimeError:
            ctypes.memmove(*piece)
        else:
            hands.append(hand)
    # the first slice is mine
    ctypes.memmove(destination, source, min(step, size))
    # wait for the rest
    for hand in hands:
        hand.join()
    # all done
    return


def _reach(buffer):
    """
    Where the memory of {buffer} starts; {None} if it is not one contiguous block
    """
    try:
        return _address(buffer)
    except (BufferError, TypeError, ValueError):
        return None


def _address(buffer):
    """
    Where the memory of {buffer}, which must be one contiguous block, starts
    """
    # ask for it through the buffer protocol, which any exporter answers, read only or not
    view = _View()
    _get(buffer, ctypes.byref(view), 0)
    # read the address and let go
    try:
        return view.buf
    finally:
        _release(ctypes.byref(view))


def _pristine(start, size):
    """
    Whether none of the pages in {start, start+size} were written to by this process; {False}
    if the system does not say
    """
    # the pages
    first = start // _PAGE
    count = (start + size - 1) // _PAGE - first + 1
    # read their entries
    try:
        fd = os.open("/proc/self/pagemap", os.O_RDONLY)
    except OSError:
        return False
    try:
        entries = os.pread(fd, 8 * count, 8 * first)
    except OSError:
        return False
    finally:
        os.close(fd)
    # all of them, or the system held something back
    if len(entries) != 8 * count:
        return False
    # look at the top byte of each, in one pass
    return 1 not in entries[7::8].translate(_WRITTEN)


# end of file
