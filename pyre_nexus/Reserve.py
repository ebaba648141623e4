# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import os
import weakref


# declaration
class Reserve:
    """
    The shared memory files a team keeps for its next large tasks

    A file whose task is over, on both sides, waits here with the mapping it was filled through:
    its pages are in place, so filling it again is a plain copy, while a new file gets each page
    from the system as it is first written, which costs three times as much. At most {spares}
    files, with at most {limit} bytes in all, wait; each team has its own, and lets go of them
    when it shuts down
    """

    # the limits
    spares = 4
    limit = 512 * 1024 * 1024

    # interface
    def keep(self, fd, store):
        """
        Keep the file {fd}, with the mapping {store} it was filled through, within my limits
        """
        # add it
        files = self.files
        files.append((fd, store))
        # and let go of the oldest ones beyond the limits
        while len(files) > self.spares or sum(len(store) for _, store in files) > self.limit:
            close(*files.pop(0))
        # all done
        return

    def take(self, size):
        """
        Take the smallest file that can hold a body of {size} bytes, as {(fd, store)}; {None} if
        none can
        """
        # the ones that can
        fits = [entry for entry in self.files if len(entry[1]) >= size]
        # if there are none
        if not fits:
            return None
        # pick
        entry = min(fits, key=lambda entry: len(entry[1]))
        self.files.remove(entry)
        # and hand it over
        return entry

    def clear(self):
        """
        Let go of my files
        """
        # close them
        files = self.files
        while files:
            close(*files.pop())
        # all done
        return

    # meta-methods
    def __init__(self):
        # the files, with their mappings, oldest first
        self.files = []
        # which close when i go
        weakref.finalize(self, _clear, self.files)
        # the child of a fork lets go of them, since they are its parent's to fill
        _reserves.add(self)
        # all done
        return

    def __len__(self):
        return len(self.files)


# helpers
def close(fd, store):
    """
    Let go of a file and of the mapping it was filled through
    """
    # the mapping
    if store is not None:
        store.close()
    # and the file
    if fd is not None:
        os.close(fd)
    # all done
    return


def _clear(files):
    """
    Close {files}
    """
    while files:
        close(*files.pop())


# the reserves of this process
_reserves = weakref.WeakSet()


def _forget():
    """
    In the child of a fork: the files of every reserve are the parent's, which may fill them
    """
    for reserve in list(_reserves):
        reserve.clear()


os.register_at_fork(after_in_child=_forget)


# end of file
