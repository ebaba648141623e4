# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import gc
import os
import resource
import sys

# my parts
from ..exceptions import complain, configured


# declaration
class Process:
    """
    The process of a worker, as the fork recruiter and the worker shell prepare it: its stdin,
    which its tasks must not share with the team, and the memory it may map, which the
    recruiters' {memory} limits where no cgroup holds it
    """

    # interface
    @staticmethod
    def unplug():
        """
        Give my tasks, and the processes they start, a stdin that ends at once: /dev/null, with
        a python stream of its own over it, since the one i have may hold what it read before
        """
        # the descriptor
        null = os.open(os.devnull, os.O_RDONLY)
        if null != 0:
            os.dup2(null, 0)
            os.close(null)
        # and the python stream
        sys.stdin = open(0, closefd=False)
        # all done
        return

    @staticmethod
    def fork(frozen=False):
        """
        Fork, with the objects of this process out of the collector's sight: a collection in the
        child would touch, and so copy, every page of the parent's heap; unless the application
        froze objects of its own, which thawing ours would thaw too. The child keeps them frozen.
        A process whose objects are {frozen} already, e.g. a fork server, says so, since counting
        them walks every one, milliseconds a fork. Returns the pid, 0 in the child
        """
        # freeze, unless somebody did
        freeze = not frozen and gc.get_freeze_count() == 0
        if freeze:
            gc.freeze()
        # fork
        try:
            pid = os.fork()
        # a fork that fails leaves the objects to the collector again
        except OSError:
            if freeze:
                gc.unfreeze()
            raise
        # and so does the parent
        if freeze and pid != 0:
            gc.unfreeze()
        # all done
        return pid

    @staticmethod
    def leave(status):
        """
        End the child of a fork with {status}, once its standard streams, which it shares with
        the team, are flushed: the team's exit handlers and finalizers are not the child's to run
        """
        # flush
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        # and go
        os._exit(status)

    @staticmethod
    def confine(crew, memory):
        """
        Keep my address space within {memory} bytes, and tell {crew}, so it can name the limit
        when a task runs into it
        """
        # within the hard limit, if there is one
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            memory = min(memory, hard)
        resource.setrlimit(resource.RLIMIT_AS, (memory, hard))
        crew.memory = memory
        # all done
        return

    @staticmethod
    def mapped(field="VmSize", pid="self"):
        """
        The bytes my process maps now, which count against a limit on its address space; or,
        with {field} VmRSS, those it has resident; or those of the process {pid}, e.g. the fork
        server whose copies the workers are
        """
        # the kernel keeps count
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) * 1024
        # all done
        return 0

    @staticmethod
    def checkMemory(recruiter):
        """
        Generate the complaint about the {memory} trait of {recruiter}, if its value is not a
        number of bytes; every recruiter has the trait, and this is where its limit is kept
        """
        # get the value, which is when pyre converts it
        memory = configured(recruiter, "memory")
        # check it
        if not (isinstance(memory, int) and memory >= 0):
            yield str(
                complain(
                    recruiter,
                    trait="memory",
                    value=memory,
                    accepted="a number of bytes, e.g. 2**30, or 0 for no limit",
                )
            )
        # all done
        return


# end of file
