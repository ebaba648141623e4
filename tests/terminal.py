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
import re
import select
import signal
import subprocess
import time


# the control sequences that move the cursor or erase, as a terminal sees them
CONTROL = re.compile(r"\x1b\[(\d*)([A-Za-z])|[\r\n\b]")


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


def screen(output):
    """
    The lines {output} leaves on a terminal, scrolled off or not, without trailing blanks, once
    carriage returns, backspaces, the cursor going up and erasures in the line have had their
    way with what was written; lines are as long as they come, with no width to wrap them
    """
    # the lines, and the cursor
    lines = [[]]
    row = column = 0
    # go through the text between the control sequences
    position = 0
    for control in [*CONTROL.finditer(output), None]:
        # the text, written over what is under the cursor
        text = output[position : control.start() if control else len(output)]
        line = lines[row]
        line.extend(" " * (column - len(line)))
        line[column : column + len(text)] = text
        column += len(text)
        # then the control
        if control is None:
            break
        position = control.end()
        code = control.group(0)
        if code == "\r":
            column = 0
        elif code == "\n":
            row += 1
            if row == len(lines):
                lines.append([])
        elif code == "\b":
            column = max(0, column - 1)
        # the cursor up
        elif control.group(2) == "A":
            row = max(0, row - int(control.group(1) or 1))
        # erase in the line: from the cursor on, or all of it
        elif control.group(2) == "K":
            line = lines[row]
            if control.group(1) == "2":
                line[:column] = " " * min(column, len(line))
            del line[column:]
    # all done
    return ["".join(line).rstrip() for line in lines]


# end of file
