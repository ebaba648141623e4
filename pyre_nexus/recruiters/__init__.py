# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# the framework
import pyre
from pyre.components.Foundry import Foundry

# the protocol
from .Recruiter import Recruiter as recruiter


# the names of the implementations
def names():
    """
    The short names of the recruiters that ship with pyre_nexus
    """
    return [name for name, value in globals().items() if isinstance(value, Foundry)]


# the implementations, by their short names in configuration files
@pyre.foundry(implements=recruiter, tip="recruit crews by forking the team's process")
def fork():
    """
    Recruit crews by forking the team's process
    """
    # get the implementation
    from .Fork import Fork

    # and publish it
    return Fork


@pyre.foundry(implements=recruiter, tip="recruit crews by forking a server forked from the team's process")
def forkserver():
    """
    Recruit crews by forking a server that was forked from the team's process while it had one
    thread, and imported the modules of its preload
    """
    # get the implementation
    from .Forkserver import Forkserver

    # and publish it
    return Forkserver


@pyre.foundry(implements=recruiter, tip="recruit crews in fresh interpreters on this host")
def spawn():
    """
    Recruit crews in fresh interpreters on this host
    """
    # get the implementation
    from .Spawn import Spawn

    # and publish it
    return Spawn


@pyre.foundry(implements=recruiter, tip="recruit crews on other hosts through ssh")
def ssh():
    """
    Recruit crews on other hosts through ssh
    """
    # get the implementation
    from .SSH import SSH

    # and publish it
    return SSH


@pyre.foundry(implements=recruiter, tip="recruit crews as the ranks of MPI jobs")
def mpi():
    """
    Recruit crews as the ranks of MPI jobs, through mpirun or mpiexec
    """
    # get the implementation
    from .MPI import MPI

    # and publish it
    return MPI


@pyre.foundry(implements=recruiter, tip="recruit crews as the tasks of Slurm job steps")
def slurm():
    """
    Recruit crews as the tasks of Slurm job steps, through srun
    """
    # get the implementation
    from .Slurm import Slurm

    # and publish it
    return Slurm


@pyre.foundry(implements=recruiter, tip="recruit crews as Slurm batch jobs, through sbatch")
def sbatch():
    """
    Recruit crews as Slurm batch jobs, through sbatch, from a login node
    """
    # get the implementation
    from .Sbatch import Sbatch

    # and publish it
    return Sbatch


@pyre.foundry(implements=recruiter, tip="recruit crews as Grid Engine batch jobs, through qsub")
def gridengine():
    """
    Recruit crews as Grid Engine batch jobs, through qsub, from a login node
    """
    # get the implementation
    from .GridEngine import GridEngine

    # and publish it
    return GridEngine


# end of file
