# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
A team named 'drill', configured on the command line, e.g. --drill.recruiter=ssh: it brings up
its crews, prints a line of JSON with its gate's port and its workers' process ids, and then
keeps them busy until it is killed
"""

# externals
import json
import os
import sys
import time

# the tasks, by value, so remote workers need not find this folder
sys.path.insert(0, os.getcwd())
import cloudpickle
from tests import tasks

cloudpickle.register_pickle_by_value(tasks)

# the package
import pyre_nexus


def whoami(seconds):
    """
    Take a moment, so every crew gets a task, and say which process i am
    """
    time.sleep(seconds)
    return os.getpid()


# the team
team = pyre_nexus.staff()(name="drill")
# wait until every crew has run a task
pids = set()
while len(pids) < team.size:
    pids.update(team.map(whoami, [0.05] * (4 * team.size), timeout=120))
# say so
print(json.dumps({"port": team.recruiter.gate.address.port, "pids": sorted(pids)}), flush=True)
# and keep them busy
futures = [team.submit(tasks.nap, 600) for _ in range(team.size)]
time.sleep(600)


# end of file
