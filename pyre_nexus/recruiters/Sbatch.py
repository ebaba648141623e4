# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# the framework
import pyre

# my superclass
from .Batch import Batch


# declaration
class Sbatch(Batch, family="pyre_nexus.recruiters.sbatch"):
    """
    Recruit crews as Slurm batch jobs, through {sbatch}, from a login node

    Each job is one task on one node that runs a worker shell hosting {crews} crews; the jobs of
    a recruitment are one job array. {sbatch --wait} stands for each submission until its jobs
    end, and {scancel} ends them. What users set on sbatch's command line or in #SBATCH lines
    are traits: {partition}, {account}, {qos}, {walltime}, {mem}, {cores}, and any other option
    in {directives}, e.g. '--gres=gpu:1' or '--constraint=skylake'
    """

    # user configurable state
    sbatch = pyre.properties.str(default="sbatch")
    sbatch.doc = "the sbatch client"

    scancel = pyre.properties.str(default="scancel")
    scancel.doc = "the scancel client"

    partition = pyre.properties.str(default="")
    partition.doc = "the partition of the jobs; by default, the cluster's default"

    qos = pyre.properties.str(default="")
    qos.doc = "the quality of service of the jobs; by default, the account's default"

    # the variables of the environment that the clients need, besides PATH
    variables = ("SLURM_",)

    # implementation details
    def submission(self, script):
        """
        The command that submits {script} and waits for its jobs to end
        """
        return [self.sbatch, "--wait", "--parsable", script]

    def cancellation(self, name):
        """
        The command that cancels the jobs named {name}
        """
        return [self.scancel, f"--name={name}"]

    def preamble(self, name, tasks):
        """
        The #SBATCH lines of the job {name}, an array of {tasks} jobs if more than one
        """
        # the job, its output, and its one task
        output = self.outputs(name=name).replace("*", "%A_%a" if tasks > 1 else "%j")
        options = [f"--job-name={name}", f"--output={output}", "--ntasks=1"]
        # the array
        if tasks > 1:
            options.append(f"--array=0-{tasks - 1}")
        # what the job asks for
        if self.cores:
            options.append(f"--cpus-per-task={self.cores}")
        if self.mem:
            options.append(f"--mem={self.mem}")
        if walltime := self.clock():
            options.append(f"--time={walltime}")
        # where it goes, and who pays
        if self.partition:
            options.append(f"--partition={self.partition}")
        if self.account:
            options.append(f"--account={self.account}")
        if self.qos:
            options.append(f"--qos={self.qos}")
        # and the rest
        options.extend(self.directives)
        # all done
        return [f"#SBATCH {option}" for option in options]


# end of file
