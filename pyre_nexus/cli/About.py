# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import os
import platform
import re
import shutil
import subprocess
import sys

# the framework
import pyre

# my superclass
from .Command import Command


# declaration
class About(Command, family="pyre_nexus.cli.about"):
    """
    Show the versions of pyre_nexus, pyre and python, and which recruiters this machine can
    use: fork, forkserver and spawn always; ssh, mpi, slurm, sbatch and gridengine when their
    launchers are on the PATH, as ssh, mpirun or mpiexec (OpenMPI or MPICH, as its --version
    says), srun, sbatch and qsub: 'yes' when the launcher is there and tells its version, '?'
    when it is there but fails to, 'no' when it is not there; and the cgroups the crews of fork, forkserver and spawn get here, in which hierarchy each
    role is, or why they get none
    """

    # the recruiters, in the order to show them; any others pyre_nexus has come after
    recruiters = ("fork", "forkserver", "spawn", "ssh", "mpi", "slurm", "sbatch", "gridengine")
    # the names of MPI launchers of a particular flavour, for machines with more than one
    flavoured = ("mpirun.openmpi", "mpiexec.openmpi", "mpiexec.mpich", "mpirun.mpich", "mpiexec.hydra")
    # how long a launcher gets to tell its version
    patience = 10

    # interface
    @pyre.export
    def main(self, plexus, argv, **kwds):
        """
        Show the versions and the recruiters
        """
        # the package
        import pyre_nexus

        # the versions
        major, minor, micro, revision = pyre.meta.version
        versions = [
            ("pyre_nexus", pyre_nexus.version, pyre_nexus.home),
            ("pyre", f"{major}.{minor}.{micro}" + (f"-{revision}" if revision else ""), pyre.home),
            ("python", platform.python_version(), sys.executable),
        ]
        print("versions:")
        for line in self.table(rows=versions):
            print(line)
        # the recruiters
        print()
        print("recruiters:")
        for line in self.table(rows=list(self.survey())):
            print(line)
        # the cgroups
        print()
        print("cgroups, for the crews of fork, forkserver and spawn:")
        for line in self.cgroups():
            print(f"  {line}")
        # all done
        return 0

    # implementation details
    def survey(self):
        """
        Generate, for each recruiter, its name, whether this machine can use it, and how
        """
        # the recruiters of this version of pyre_nexus
        from .. import recruiters

        known = recruiters.names()
        # go through them, the ones i know first
        for name in (*self.recruiters, *(name for name in known if name not in self.recruiters)):
            # one that this version lacks
            if name not in known:
                yield name, "no", "not in this version of pyre_nexus"
                continue
            # the others have a launcher, or need none
            yield (name, *self.launcher(name=name))
        # all done
        return

    def cgroups(self):
        """
        What cgroups the crews of the local recruiters get here, as those of a team with limits
        on memory and pids would, or why they get none
        """
        # the cgroups
        from ..recruiters.Cgroup import Cgroup

        # make the group of such a team, which is what tells what this process may do
        group = Cgroup.team(memory=1 << 30, pids=1024)
        # describe it, and let it go
        try:
            return group.describe()
        finally:
            group.dissolve()

    def launcher(self, name):
        """
        Whether the recruiter {name} can run here, and with what
        """
        # the ones that need nothing
        if name == "fork":
            return "yes", "forks the team's process"
        if name == "forkserver":
            return "yes", "forks a server forked from the team's process"
        if name == "spawn":
            return "yes", f"starts fresh interpreters: {sys.executable}"
        # ssh: the client
        if name == "ssh":
            return self.locate(names=["ssh"], version=["-V"])
        # mpi: mpirun or mpiexec, whose flavour matters
        if name == "mpi":
            return self.locate(
                names=["mpirun", "mpiexec"], version=["--version"], read=self.flavour, others=self.flavoured
            )
        # slurm: srun
        if name == "slurm":
            return self.locate(names=["srun"], version=["--version"])
        # sbatch, from a login node
        if name == "sbatch":
            return self.locate(names=["sbatch"], version=["--version"])
        # grid engine: qsub, whose help starts with its version
        if name == "gridengine":
            return self.locate(names=["qsub"], version=["-help"])
        # any other, i know nothing about
        return "?", "a recruiter this version of nexus does not know how to check"

    def locate(self, names, version, read=None, others=()):
        """
        Look for the launchers {names} on the PATH, which a recruiter finds by itself, and for
        {others}, which it uses when told to; ask each for its {version}
        """
        # go through them
        found = []
        seen = set()
        for name in (*names, *others):
            # look
            path = shutil.which(name)
            # where it really lives, behind the links of the alternatives system
            real = path and os.path.realpath(path)
            # if it is not there, or one i have shown already under its own name
            if path is None or (name in others and real in seen):
                # move on
                continue
            seen.add(real)
            where = path if real == path else f"{path} -> {real}"
            # ask it
            said, ok = self.ask(command=[path, *version])
            # describe it
            if ok:
                text = f"{where}: {read(said) if read else self.first(said)}"
            else:
                text = f"{where}, but `{name} {' '.join(version)}` failed: {self.last(said)}"
            # and how to use it, if the recruiter does not find it by itself
            if name in others:
                text += f"; to use it, set the recruiter's launcher = {path}"
            found.append((name in names, ok, text))
        # the lines
        lines = "\n".join(text for _, _, text in found)
        # if the recruiter finds none by itself
        if not any(default for default, _, _ in found):
            # say so
            return "no", f"no {' or '.join(names)} on the PATH" + (f"\n{lines}" if lines else "")
        # if the ones it finds fail
        if not any(default and ok for default, ok, _ in found):
            # it is in doubt
            return "?", lines
        # otherwise, it is good to go
        return "yes", lines

    def ask(self, command):
        """
        Run {command}; returns what it said on stdout and stderr, and whether it succeeded
        """
        # carefully
        try:
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=self.patience,
                check=False,
            )
        # if it would not run, or took too long
        except (OSError, subprocess.SubprocessError) as error:
            return str(error), False
        # all done
        return done.stdout.decode(errors="replace"), done.returncode == 0

    def flavour(self, said):
        """
        Name the MPI implementation whose launcher said {said} about its version
        """
        # the first version number it gave
        number = re.search(r"\d+(\.\d+)+", said)
        number = f" {number.group()}" if number else ""
        # OpenMPI, e.g. "mpirun (Open MPI) 4.1.4"
        if "Open MPI" in said or "OpenRTE" in said:
            return f"OpenMPI{number}"
        # the hydra of MPICH, e.g. "HYDRA build details: Version: 4.0.2", or of its derivatives
        if "HYDRA" in said:
            return f"{'Intel MPI' if 'Intel(R) MPI' in said else 'MPICH'}{number} (hydra)"
        # something else
        return f"neither OpenMPI nor MPICH: {self.first(said)}"

    @staticmethod
    def first(said):
        """
        The first line with something on it
        """
        return next((line.strip() for line in said.splitlines() if line.strip()), "")

    @staticmethod
    def last(said):
        """
        The last line with something on it
        """
        return next((line.strip() for line in reversed(said.splitlines()) if line.strip()), "")

    @staticmethod
    def table(rows):
        """
        Line up {rows} of three columns, the last of which may span several lines
        """
        # the widths of the first two
        first = max(len(row[0]) for row in rows)
        second = max(len(row[1]) for row in rows)
        # render
        for name, state, details in rows:
            lines = str(details).splitlines() or [""]
            yield f"  {name:<{first}}  {state:<{second}}  {lines[0]}"
            for line in lines[1:]:
                yield f"  {'':<{first}}  {'':<{second}}  {line}"
        # all done
        return


# end of file
