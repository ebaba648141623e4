# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import shlex

# the framework
import pyre

# my superclass
from .Hosts import Hosts
# my parts
from ..exceptions import complain


# declaration
class SSH(Hosts, family="pyre_nexus.recruiters.ssh"):
    """
    Recruit crews on other hosts through the system's {ssh} client

    Each entry of {hosts} is a host, as {ssh} knows it, with the number of crews it takes, e.g.
    'node1:4'. A launch runs one worker shell per host, which hosts the crews of that host in
    processes of its own; launches to different hosts proceed at once. The secret travels on
    the client's stdin, and the end of that stdin, e.g. when the team or the client dies, ends
    the remote workers, so none outlives its team: each worker shell starts a supervisor beside
    its crews that ends them, with what their tasks started, even while a task holds the
    interpreter
    """

    # user configurable state
    hosts = pyre.properties.strings(default=["localhost"])
    hosts.doc = "the hosts to run crews on, each as 'host' or 'host:crews', e.g. 'node1:4'"

    ssh = pyre.properties.str(default="ssh")
    ssh.doc = "the ssh client"

    options = pyre.properties.strings(default=[])
    options.doc = "more options for the ssh client, e.g. '-F', 'path/to/ssh_config'"

    address = pyre.properties.inet(default="0.0.0.0:0")
    address.doc = "where the team listens for its workers, host:port; port 0 lets the kernel pick"

    # the worker shells run where the team's supervisor does not reach, so each has its own
    superviseShells = True

    # implementation details
    def plan(self, team, count):
        """
        Spread {count} crews over my hosts, as far as they have room; one launch per host
        """
        # the room left on each host
        room = {host: slots - self.occupancy(host=host) for host, slots in self.slots().items()}
        # one launch per host, with the crews it was dealt
        return [(host, crews) for host, crews in self.deal(count=count, room=room).items() if crews]

    def command(self, host, crews, shell):
        """
        The {ssh} command that runs {shell} on {host}
        """
        # batch mode, so a missing key is an error rather than a prompt; no terminal, so the
        # worker's output is not mangled; and the remote command as one word, since the remote
        # shell splits it again
        return [self.ssh, "-T", "-o", "BatchMode=yes", *self.options, host, shlex.join(shell)]

    def occupancy(self, host):
        """
        The crews on {host} that are not buried
        """
        return sum(len(launch.living()) for launch in self.launches.values() if launch.host == host)

    # framework hooks
    def pyre_configured(self):
        """
        Check my configuration
        """
        # chain up, which checks that the hosts parse
        yield from super().pyre_configured()
        # and there must be some
        if not self.hosts:
            yield str(complain(self, trait="hosts", value=self.hosts, accepted="at least one host"))
        # all done
        return


# end of file
