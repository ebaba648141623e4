# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import glob
import os
import re
import time

# my superclass
from .Launch import Launch


# declaration
class Job(Launch):
    """
    A launch that is a batch job, or an array of them: its launcher is the scheduler's client,
    which submits the job, says its id on its first line, and waits for it to end, e.g.
    {sbatch --wait} or {qsub -sync y}. The job's workers write to {output}, which explains a job
    that fails before they dial the team
    """

    # interface
    def state(self):
        """
        Where the job is: "queued" until one of its workers registered, then "running"
        """
        return "queued" if all(crew.starting() for crew in self.crews) else "running"

    def census(self):
        """
        What the team's books say of me
        """
        return {
            "job": self.job,
            "name": self.name,
            "state": self.state(),
            "crews": len(self.living()),
            "seconds": round(time.monotonic() - self.submitted, 3),
        }

    def sift(self, data):
        """
        Take the job id out of the first line the client said, and the lines that only say
        how the job went, which the team says in its own words
        """
        # the supervisor's vouches first
        data = super().sift(data)
        # whole lines only, so a line cut by a read is judged whole
        data, self.partial = self.partial + data, b""
        end = data.rfind(b"\n") + 1
        data, self.partial = data[:end], data[end:]
        # go through them
        kept = []
        for line in data.splitlines(keepends=True):
            # the id, e.g. "123", "123;cluster" or "123.1-4:1", comes first, unless the client
            # failed to submit the job and says why instead
            if self.job is None and (submitted := self.submission.match(line)):
                self.job = submitted.group(1).decode()
                continue
            # the chatter of the client
            if self.chatter.match(line.decode(errors="replace")):
                continue
            kept.append(line)
        # all done
        return b"".join(kept)

    def describe(self):
        """
        The client's command and last words, and those of the job's output, if it wrote any
        """
        # the client's
        text = super().describe()
        # the job's latest output
        outputs = sorted(glob.glob(self.output), key=os.path.getmtime)
        if outputs:
            try:
                with open(outputs[-1], "rb") as stream:
                    stream.seek(max(0, os.path.getsize(outputs[-1]) - self.memory))
                    tail = stream.read().decode(errors="replace").strip()
            except OSError:
                tail = ""
            if tail:
                text += f"; its job {self.job} wrote in {outputs[-1]}: {tail}"
        # all done
        return text

    def clear(self):
        """
        Remove the job's script, and its output unless the job failed before all of its workers
        registered, which the output may explain
        """
        # the files
        doomed = [self.script]
        if not any(crew.failure or crew.starting() for crew in self.crews):
            doomed += glob.glob(self.output)
        # remove them
        for path in doomed:
            try:
                os.unlink(path)
            except OSError:
                pass
        # all done
        return

    # what a client says when it submits a job: its id, and after it the cluster or the tasks
    submission = re.compile(rb"\s*(\d+)([;.]\S*)?\s*$")

    # meta-methods
    def __init__(self, **kwds):
        # chain up
        super().__init__(**kwds)
        # my id, once the client says it; my name, my script, and the pattern of my output files
        self.job = None
        self.name = None
        self.script = None
        self.output = None
        # the lines of the client that are not for echoing, as a compiled pattern
        self.chatter = None
        # when i was submitted, and whether i was cancelled since
        self.submitted = time.monotonic()
        self.cancelled = False
        # a line cut short by the last read
        self.partial = b""
        # all done
        return

    def __str__(self):
        return f"job {self.job or '(unsubmitted)'} {self.name}"


# end of file
