# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
A team inside a host's running event loop: the host keeps serving while tasks run, and the
done callbacks of the futures fire in that loop
"""

# externals
import os
import time

import pyre
import pytest

# the package
import pyre_nexus
from tests import tasks


def test_host_keeps_serving(make_team):
    """
    A host that shares its loop with a staff answers its own requests while a long task runs,
    and hears of the task through a done callback, all inside {dispatcher.watch()}
    """
    # the host's loop, shared with the team
    dispatcher = pyre_nexus.dispatcher()
    staff = make_team("staff", size=1, dispatcher=dispatcher)
    # the host serves a pipe: every byte that arrives is answered at once
    requests, clients = pyre.ipc.pipe()().open()
    served = []

    def serve(channel):
        served.append((time.monotonic(), channel.read(maxlen=1)))
        return True

    dispatcher.whenReadReady(channel=requests, call=serve)
    # a client that sends a request every 20 ms, from an alarm of the same loop
    sent = []

    def ping(timestamp):
        os.write(clients.outbound, b"x")
        sent.append(time.monotonic())
        return 0.02 if len(sent) < 20 else None

    dispatcher.alarm(interval=0.02, call=ping)
    # a long task whose completion stops the loop
    finished = []

    def done(future):
        finished.append((time.monotonic(), future.result()))
        dispatcher.stop()

    future = staff.submit(tasks.nap, 0.6, "slept")
    future.add_done_callback(done)
    # run the host's loop
    dispatcher.watch()
    # the task finished, through the callback
    assert [value for _, value in finished] == ["slept"]
    # and the host served the requests that came while the task ran
    during = [when for when, _ in served if when < finished[0][0]]
    assert len(during) >= 10
    # clean up
    dispatcher.forget(requests)
    requests.close()
    clients.close()


def test_result_inside_a_handler(make_team):
    """
    A handler of the running loop may wait for a future: the wait drives the same loop
    """
    dispatcher = pyre_nexus.dispatcher()
    staff = make_team("staff", size=2, dispatcher=dispatcher)
    results = []

    def handler(timestamp):
        # this runs inside {watch}; waiting here drives nested passes of the same loop
        results.append(staff.submit(tasks.add, 2, 3).result(timeout=30))
        results.append(sum(staff.map(tasks.echo, range(10))))
        return None

    dispatcher.alarm(interval=0.001, call=handler)
    # the loop ends once the alarm ran and the crews are idle: stop it from the handler side
    dispatcher.alarm(interval=0.002, call=lambda timestamp: dispatcher.stop())
    dispatcher.watch()
    assert results == [5, 45]


def test_foreign_dispatcher_is_refused():
    """
    pyre's own selector can neither run single passes nor cancel alarms: a team refuses it
    with an error that says what to use instead
    """
    with pytest.raises(pyre.components.exceptions.ConfigurationError) as error:
        pyre_nexus.staff()(name="loop-foreign", dispatcher=pyre.ipc.selector())
    assert "pyre_nexus.dispatcher" in str(error.value)


# end of file
