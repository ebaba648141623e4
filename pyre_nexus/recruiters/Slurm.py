# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# the framework
import pyre

# my superclass
from .Launcher import Launcher


# declaration
class Slurm(Launcher, family="pyre_nexus.recruiters.slurm"):
    """
    Recruit crews as the tasks of Slurm job steps, through {srun}

    A launch is one {srun} with a task per crew; each task is a worker shell that hosts one
    crew. Inside an allocation, e.g. in a batch script, each launch is a step of it; elsewhere
    {srun} asks for an allocation of its own, of {nodes} in {partition} for {time}. A launch
    that waits for its allocation longer than {timeout} is a failed recruitment. The secret
    travels in the environment, which {srun} exports to its tasks, never on a command line

    A crew that dies takes only its own task with it: {srun} is told to keep the step going
    when a task fails (--kill-on-bad-exit=0), and each task hosts its crew in a process of its
    own, so the task ends with a status when the crew dies. If a step ends anyway, e.g. it runs
    out of {time} or a node fails, every crew of it is lost, and the team launches as many
    crews as its work still needs
    """

    # user configurable state
    srun = pyre.properties.str(default="srun")
    srun.doc = "the srun client"

    nodes = pyre.properties.str(default="")
    nodes.doc = "how many nodes a new allocation takes, as srun's --nodes, e.g. '2' or '1-4'; by default, srun's choice"

    partition = pyre.properties.str(default="")
    partition.doc = "the partition of a new allocation; by default, the cluster's default"

    time = pyre.properties.str(default="")
    time.doc = "the time limit of a new allocation, as srun's --time, e.g. '30', '2:00:00' or '1-0'"

    options = pyre.properties.strings(default=[])
    options.doc = "more options for srun, e.g. '--overcommit' for more tasks than cores"

    address = pyre.properties.inet(default="0.0.0.0:0")
    address.doc = "where the team listens for its workers, host:port; port 0 lets the kernel pick"

    # the worker shells read the secret from the environment, since srun passes its stdin to
    # one task only
    courier = "environment"
    # the ranks run where the team's supervisor does not reach, so each has its own, which ends
    # its crews if it dies and vouches for them on its stderr, which the launcher forwards
    superviseShells = True

    # implementation details
    def plan(self, team, count):
        """
        A single step of {count} tasks; Slurm places them
        """
        return [(None, count)]

    def shell(self, launch, crews):
        """
        Each task of {launch} runs a worker shell that hosts one of its {crews} crews, in a
        process of its own, so the task ends with a status when the crew dies
        """
        return [*super().shell(launch=launch, crews=1), "--fork"]

    def command(self, host, crews, shell):
        """
        The {srun} command that runs {crews} tasks of {shell}
        """
        # the tasks, and the step goes on when one of them fails
        command = [self.srun, f"--ntasks={crews}", "--kill-on-bad-exit=0"]
        # the allocation, if srun makes one
        if self.nodes:
            command.append(f"--nodes={self.nodes}")
        if self.partition:
            command.append(f"--partition={self.partition}")
        if self.time:
            command.append(f"--time={self.time}")
        # all done
        return [*command, *self.options, *shell]

    def buryCrew(self, team, launch, crew):
        """
        Bury {crew} of {launch}; the status of {srun} does not speak for a task, not even a lone
        one, since a task's is that of the shell that hosted the crew
        """
        return team.bury(crew=crew, status=None)


# end of file
