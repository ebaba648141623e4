# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import os
import shutil
import subprocess

# the framework
import pyre

# my superclass
from .Hosts import Hosts
# my parts
from ..exceptions import RecruitmentError


# declaration
class MPI(Hosts, family="pyre_nexus.recruiters.mpi"):
    """
    Recruit crews as the ranks of MPI jobs, through the {mpirun} of OpenMPI or the {mpiexec} of
    MPICH

    A launch is one job with a rank per crew; each rank is a worker shell that hosts one crew.
    With {hosts}, each job gets the hosts that have room left, as many ranks on each as it
    takes, so the crews spread over them; otherwise the {launcher} places the ranks: on those
    of {hostfile}, on the nodes of the allocation it runs in, or on this host. Its flavour is
    read once from its --version. The secret travels in the environment, never on a command
    line: OpenMPI passes it to every rank, on every host, with -x; MPICH's hydra passes the
    whole environment by default

    MPI launchers treat a job as a whole: OpenMPI aborts it when a rank exits with a status
    other than 0, hydra when a rank is killed by a signal. So each rank hosts its crew in a
    process of its own and exits with a status when that crew dies, and OpenMPI is told not to
    abort (orte_abort_on_non_zero_status=0): a crew that crashes, or that the team kills for a
    deadline or a cancellation, takes only its own task with it, the other ranks of its job
    work on, and its replacement is a new launch, of one rank. If a job ends anyway, e.g. its
    launcher is killed or loses a host, every crew of it is lost: each task they were running
    counts a crew death and goes back to the queue or fails with a {Casualty}, as the team's
    {casualties} says, the tasks they held but had not started go back to the queue, and the
    team launches as many crews as its work still needs. A launcher that stays after its last
    crew was let go, as OpenMPI's does once one of its ranks was killed by a signal, is ended
    by the team after {grace}
    """

    # user configurable state
    launcher = pyre.properties.str(default="")
    launcher.doc = (
        "the MPI launcher, e.g. 'mpirun' or '/usr/bin/mpiexec.mpich'; by default, the one "
        "pyre.externals finds, else the first mpirun or mpiexec on the PATH"
    )

    hosts = pyre.properties.strings(default=[])
    hosts.doc = (
        "the hosts to run crews on, each as 'host' or 'host:crews', e.g. 'node1:4'; the team "
        "spreads its crews over them; by default, those of {hostfile}, or the launcher's choice"
    )

    hostfile = pyre.properties.str(default="")
    hostfile.doc = "a file that lists the hosts to run ranks on, in the launcher's format"

    options = pyre.properties.strings(default=[])
    options.doc = (
        "more options for the launcher, e.g. '--mca', 'plm_rsh_agent', '/path/to/ssh'; pyre "
        "splits text at commas, so give values with commas in the environment, e.g. OMPI_MCA_btl"
    )

    address = pyre.properties.inet(default="0.0.0.0:0")
    address.doc = "where the team listens for its workers, host:port; port 0 lets the kernel pick"

    # the worker shells read the secret from the environment, since the launchers pass their
    # stdin to one rank at most
    courier = "environment"
    # the ranks run where the team's supervisor does not reach, so each has its own, which ends
    # its crews if it dies and vouches for them on its stderr, which the launcher forwards
    superviseShells = True
    # how many seconds a launcher gets to tell its version
    patience = 10

    # implementation details
    def plan(self, team, count):
        """
        A single job of {count} ranks: spread over my {hosts}, as far as they have room, or
        placed by the launcher
        """
        # without hosts, the launcher places the ranks
        slots = self.slots()
        if not slots:
            return [(None, count)]
        # otherwise, the room left on each host, dealt out
        taken = self.occupancy()
        deal = self.deal(count=count, room={host: slots[host] - taken[host] for host in slots})
        # the job places its ranks on these hosts, in these numbers
        places = ",".join(f"{host}:{ranks}" for host, ranks in deal.items() if ranks)
        # all done
        return [(places, sum(deal.values()))] if places else []

    def shell(self, launch, crews):
        """
        Each rank of {launch} runs a worker shell that hosts one of its {crews} crews, in a
        process of its own, so the rank ends with a status when the crew dies
        """
        return [*super().shell(launch=launch, crews=1), "--fork"]

    def command(self, host, crews, shell):
        """
        The launcher command that runs {crews} ranks of {shell} on the hosts {host} names, as
        {plan} dealt them, if any
        """
        # find the launcher and its flavour
        launcher = self.locate()
        flavour = self.flavour(launcher=launcher)
        # the options of each flavour, all of them before the program, where hydra wants its
        # global ones
        if flavour == "openmpi":
            # a rank that exits with a status does not abort the job, and the secret goes to
            # every rank
            command = [launcher, "--mca", "orte_abort_on_non_zero_status", "0", "-x", self.secretVariable]
            if host:
                command += ["--host", host]
            elif self.hostfile:
                command += ["--hostfile", self.hostfile]
        # hydra passes the whole environment by default; its -genvlist loses variables on
        # other hosts, and -genv would show the secret on the command line
        else:
            command = [launcher]
            if host:
                command += ["-hosts", host]
            elif self.hostfile:
                command += ["-f", self.hostfile]
        # all done
        return [*command, *self.options, "-n", str(crews), *shell]

    def buryCrew(self, team, launch, crew):
        """
        Bury {crew} of {launch}; the launcher's status does not speak for a rank, not even a lone
        one: OpenMPI's exits with 0 when told not to abort, and a rank's is that of its shell
        """
        return team.bury(crew=crew, status=None)

    def occupancy(self):
        """
        The crews that are not buried on each of my hosts: where they registered from, or, for
        those still on their way, where their launch put them
        """
        # the hosts
        taken = dict.fromkeys(self.slots(), 0)
        # go through my launches
        for launch in self.launches.values():
            # the ranks each host got
            dealt = {}
            for entry in (launch.host or "").split(","):
                host, _, ranks = entry.rpartition(":")
                if host in taken:
                    dealt[host] = int(ranks)
            # the crews that are around, and those of them that registered from one of my
            # hosts, by its name or its short name
            living = launch.living()
            placed = []
            for crew in living:
                if crew.pid is not None:
                    host = crew.host if crew.host in dealt else crew.host.split(".")[0]
                    if host in dealt:
                        placed.append(host)
            for host in placed:
                taken[host] += 1
                dealt[host] = max(0, dealt[host] - 1)
            # the rest are on what is left of the deal
            rest = len(living) - len(placed)
            for host, ranks in dealt.items():
                share = min(rest, ranks)
                taken[host] += share
                rest -= share
        # all done
        return taken

    def locate(self):
        """
        The path to the launcher: as configured, else the one pyre.externals finds, else the
        first {mpirun} or {mpiexec} on the PATH
        """
        # if i was told
        if self.launcher:
            # use it
            return self.launcher
        # otherwise, look once
        if self.located is None:
            self.located = self.discover()
        # all done
        return self.located

    def discover(self):
        """
        Find an MPI launcher on this host
        """
        # pyre's catalog of external packages knows where MPI installations keep their
        # launchers, but it proves an installation by its headers and libraries as well, so
        # it finds none where only the runtime is installed, as on most hosts that just run
        # jobs; and it may fail in ways of its own
        try:
            import pyre.externals

            mpi = pyre.externals.resolve(requested=["mpi"]).selections.get("mpi")
            for folder in mpi.bindir if mpi is not None else []:
                candidate = os.path.join(str(folder), mpi.launcher)
                if os.access(candidate, os.X_OK):
                    return candidate
        except Exception:
            pass
        # so fall back to the path
        for name in ("mpirun", "mpiexec"):
            candidate = shutil.which(name)
            if candidate:
                return candidate
        # out of ideas
        raise RecruitmentError(
            recruiter=self.pyre_name,
            reason=f"found no MPI launcher: pyre.externals knows of no MPI installation, and there "
            f"is no mpirun or mpiexec on the PATH; set '{self.pyre_name}.launcher'",
        )

    def flavour(self, launcher):
        """
        Whether {launcher} is OpenMPI's, 'openmpi', or a hydra, 'hydra', as its --version says
        """
        # if i know
        known = self.flavours.get(launcher)
        if known is not None:
            # say so
            return known
        # otherwise, ask it
        try:
            said = subprocess.run(
                [launcher, "--version"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=self.patience,
            ).stdout.decode(errors="replace")
        except (OSError, subprocess.SubprocessError) as error:
            raise RecruitmentError(
                recruiter=self.pyre_name,
                reason=f"cannot run the MPI launcher '{launcher}': {error}; set '{self.pyre_name}.launcher'",
            )
        # recognize it
        if "Open MPI" in said or "OpenRTE" in said:
            flavour = "openmpi"
        elif "HYDRA" in said or "Intel(R) MPI" in said:
            flavour = "hydra"
        else:
            raise RecruitmentError(
                recruiter=self.pyre_name,
                reason=f"'{launcher}' is neither the mpirun of OpenMPI nor the mpiexec of MPICH: "
                f"`{launcher} --version` said: {said.strip()[:200]!r}",
            )
        # remember it
        self.flavours[launcher] = flavour
        # all done
        return flavour

    # meta-methods
    def __init__(self, **kwds):
        # chain up
        super().__init__(**kwds)
        # the launcher i found, if i had to look
        self.located = None
        # the flavour of each launcher i asked
        self.flavours = {}
        # all done
        return


# end of file
