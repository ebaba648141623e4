# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Run a command under a pseudo-terminal, as a user at a terminal would, and collect what it
draws
"""

# externals
import os
import pty
import select
import signal
import subprocess
import time


def run(command, timeout=60, env=None, cwd=None):
    """
    Run {command} with a pseudo-terminal as its standard streams; return its exit status and
    everything it wrote, as text
    """
    # the terminal: the command gets the far end, i read the near one
    near, far = pty.openpty()
    # start the command in a session of its own, so the terminal is its controlling one
    process = subprocess.Popen(
        command, stdin=far, stdout=far, stderr=far, cwd=cwd, start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    os.close(far)
    # collect what it writes until it closes the terminal, or runs out of time
    output = bytearray()
    expiration = time.monotonic() + timeout
    try:
        while time.monotonic() < expiration:
            ready, _, _ = select.select([near], [], [], 0.5)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                data = os.read(near, 65536)
            # linux says EIO once the last writer is gone
            except OSError:
                break
            if not data:
                break
            output += data
        status = process.wait(timeout=max(1, expiration - time.monotonic()))
    # a command that overstays is stopped, with everything it started
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        status = process.wait()
        raise AssertionError(f"{command} did not finish in {timeout} s:\n{output.decode(errors='replace')}")
    finally:
        os.close(near)
    # all done
    return status, output.decode(errors="replace")


# end of file
