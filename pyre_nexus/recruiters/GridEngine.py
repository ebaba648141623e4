# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import re

# the framework
import pyre

# my superclass
from .Batch import Batch
# how complaints about my traits are made
from ..exceptions import complain


# declaration
class GridEngine(Batch, family="pyre_nexus.recruiters.gridengine"):
    """
    Recruit crews as Grid Engine batch jobs, through {qsub}, from a submit host

    Each job runs a worker shell hosting {crews} crews; the jobs of a recruitment are one array
    job. {qsub -sync y} stands for each submission until its jobs end, and {qdel} ends them.
    What users set on qsub's command line or in #$ lines are traits: {queue}, {project},
    {account}, {walltime} (h_rt), {mem} (h_vmem), {cores} in the parallel environment {pe}, and
    any other option in {directives}, e.g. '-l gpu=1'
    """

    # user configurable state
    qsub = pyre.properties.str(default="qsub")
    qsub.doc = "the qsub client"

    qdel = pyre.properties.str(default="qdel")
    qdel.doc = "the qdel client"

    queue = pyre.properties.str(default="")
    queue.doc = "the queue of the jobs, e.g. 'all.q'; by default, the scheduler's choice"

    project = pyre.properties.str(default="")
    project.doc = "the project of the jobs; by default, the user's default"

    pe = pyre.properties.str(default="")
    pe.doc = "the parallel environment that gives a job its {cores}, e.g. 'smp'; needed for more than one core"

    # the lines of qsub that say how each job ended, e.g. "Unable to run job 60" for one deleted,
    # or that it was told to stop waiting for it, which the team says in its own words
    chatter = re.compile(
        r"\s*$|Job \d+(\.\d+)? (exited|finished|was killed|.*aborted)|Unable to run job \d+\s*$|Interrupted!|Please wait while qsub"
    )
    # the variables of the environment that the clients need, besides PATH
    variables = ("SGE_",)

    # framework hooks
    def pyre_configured(self):
        """
        Check my configuration
        """
        # chain up
        yield from super().pyre_configured()
        # cores come from a parallel environment
        if isinstance(self.cores, int) and self.cores > 1 and not self.pe:
            yield str(
                complain(
                    self,
                    trait="pe",
                    value=self.pe,
                    accepted=f"the parallel environment that gives a job its {self.cores} cores, e.g. 'smp' "
                    "(`qconf -spl` lists them)",
                )
            )
        # all done
        return

    # implementation details
    def submission(self, script):
        """
        The command that submits {script} and waits for its jobs to end
        """
        # stdbuf, so qsub says the job's id as it submits it, rather than when it exits, as it
        # does when its output is not a terminal
        return ["stdbuf", "-oL", self.qsub, "-sync", "y", "-terse", script]

    def cancellation(self, name):
        """
        The command that cancels the jobs named {name}
        """
        return [self.qdel, name]

    def preamble(self, name, tasks):
        """
        The #$ lines of the job {name}, an array of {tasks} jobs if more than one
        """
        # the job, its shell, its output, with its errors, and its folder: the team's, as with sbatch
        output = self.outputs(name=name).replace("*", "$JOB_ID.$TASK_ID")
        options = [f"-N {name}", "-S /bin/sh", f"-o {output}", "-j y", "-cwd"]
        # the array
        if tasks > 1:
            options.append(f"-t 1-{tasks}")
        # what the job asks for
        if self.cores > 1:
            options.append(f"-pe {self.pe} {self.cores}")
        if self.mem:
            options.append(f"-l h_vmem={self.mem}")
        if walltime := self.clock():
            options.append(f"-l h_rt={walltime}")
        # where it goes, and who pays
        if self.queue:
            options.append(f"-q {self.queue}")
        if self.project:
            options.append(f"-P {self.project}")
        if self.account:
            options.append(f"-A {self.account}")
        # and the rest
        options.extend(self.directives)
        # all done
        return [f"#$ {option}" for option in options]


# end of file
