# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The event loop: one pass at a time, cancellable alarms in a heap
"""

# externals
import math
import os
import time

import pyre
import pytest
from pyre.units.SI import meter, milli, second

# the package
import pyre_nexus


def test_alarms_fire_in_order():
    """
    Alarms fire in the order they are due, whatever order they were armed in
    """
    dispatcher = pyre_nexus.dispatcher()
    fired = []
    for delay in (0.03, 0.01, 0.02):
        dispatcher.alarm(interval=delay, call=lambda timestamp, delay=delay: fired.append(delay))
    dispatcher.watch()
    assert fired == [0.01, 0.02, 0.03]


def test_alarms_take_units():
    """
    An interval with units of time works, as pyre's alarms expect
    """
    dispatcher = pyre_nexus.dispatcher()
    fired = []
    dispatcher.alarm(interval=10 * milli * second, call=lambda timestamp: fired.append(timestamp))
    dispatcher.watch()
    assert len(fired) == 1 and isinstance(fired[0], float)


def test_cancelled_alarms_do_not_fire():
    """
    A cancelled alarm stays silent, and the loop does not wait for it
    """
    dispatcher = pyre_nexus.dispatcher()
    fired = []
    alarm = dispatcher.alarm(interval=5.0, call=lambda timestamp: fired.append("late"))
    dispatcher.alarm(interval=0.01, call=lambda timestamp: fired.append("early"))
    alarm.cancel()
    start = time.monotonic()
    dispatcher.watch()
    assert fired == ["early"]
    assert time.monotonic() - start < 4.0


def test_rearming():
    """
    A handler that returns an interval is called again after it
    """
    dispatcher = pyre_nexus.dispatcher()
    calls = []

    def tick(timestamp):
        calls.append(timestamp)
        return 0.001 if len(calls) < 5 else None

    dispatcher.alarm(interval=0.001, call=tick)
    dispatcher.watch()
    assert len(calls) == 5


@pytest.mark.timeout(10)
@pytest.mark.parametrize("interval", [-1, -1 * second, math.nan, math.nan * second, "soon", None, 3 * meter])
def test_bad_alarms_are_refused(interval):
    """
    An alarm a negative or NaN interval from now, or one that is not a time, is refused with an
    {ArgumentError} that names the value and what is accepted; the other alarms keep their order
    """
    dispatcher = pyre_nexus.dispatcher()
    fired = []
    for delay in (0.02, 0.01):
        dispatcher.alarm(interval=delay, call=lambda timestamp, delay=delay: fired.append(delay))
    with pytest.raises(ValueError) as info:
        dispatcher.alarm(interval=interval, call=lambda timestamp: fired.append("bad"))
    assert isinstance(info.value, pyre_nexus.exceptions.ArgumentError)
    assert "interval" in str(info.value) and "0 or more" in str(info.value)
    dispatcher.watch()
    assert fired == [0.01, 0.02]


@pytest.mark.timeout(10)
def test_bad_rearming_is_refused():
    """
    A handler that asks to be called again after NaN seconds gets an {ArgumentError} out of the
    pass that raised it, and is not called again; the other alarms fire in order
    """
    dispatcher = pyre_nexus.dispatcher()
    fired = []

    def bad(timestamp):
        fired.append("bad")
        return math.nan

    dispatcher.alarm(interval=0.001, call=bad)
    for delay in (0.03, 0.02):
        dispatcher.alarm(interval=delay, call=lambda timestamp, delay=delay: fired.append(delay))
    with pytest.raises(pyre_nexus.exceptions.ArgumentError, match="interval"):
        while dispatcher.step():
            pass
    dispatcher.watch()
    assert fired == ["bad", 0.02, 0.03]


@pytest.mark.timeout(10)
def test_alarm_at_infinity_never_fires():
    """
    An alarm an infinite interval from now never goes off, keeps the loop waiting for nothing,
    and cancels harmlessly
    """
    dispatcher = pyre_nexus.dispatcher()
    fired = []
    never = dispatcher.alarm(interval=math.inf * second, call=lambda timestamp: fired.append("never"))
    dispatcher.alarm(interval=0.01, call=lambda timestamp: fired.append("soon"))
    dispatcher.watch()
    assert fired == ["soon"]
    never.cancel()
    assert dispatcher.step(timeout=0) is False


def test_cancelled_alarms_do_not_pile_up():
    """
    The heap sheds cancelled alarms, so a million deadlines met in time leave nothing behind
    """
    dispatcher = pyre_nexus.dispatcher()
    for _ in range(100_000):
        dispatcher.alarm(interval=600.0, call=lambda timestamp: None).cancel()
    assert len(dispatcher._heap) <= 2 * 65


def test_step_returns_when_idle():
    """
    A single pass over an empty loop says there is nothing to wait for
    """
    dispatcher = pyre_nexus.dispatcher()
    assert dispatcher.step(timeout=0) is False


def test_step_handles_one_pass():
    """
    A pass handles the channels that are ready and returns, even with more to watch
    """
    dispatcher = pyre_nexus.dispatcher()
    parent, child = pyre.ipc.pipe()().open()
    heard = []

    def listen(channel):
        heard.append(channel.read(maxlen=100))
        return True

    dispatcher.whenReadReady(channel=parent, call=listen)
    # nothing yet: the pass times out
    assert dispatcher.step(timeout=0.01) is True
    assert heard == []
    # something arrives
    os.write(child.outbound, b"hello")
    assert dispatcher.step(timeout=1.0) is True
    assert heard == [b"hello"]
    # clean up
    dispatcher.forget(parent)
    parent.close()
    child.close()


# end of file
