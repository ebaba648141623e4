#!/usr/bin/env python3
# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Coverage guided fuzzing of {Wire.pull} and {Wire.frames}, with atheris

Every input picks a limit, a transport (unix socket pair, pipe or loopback TCP), the points
where the stream is split and, rarely, a run of 0xff bytes to append, large enough to complete
or overflow a large body; the rest of it is the stream. The stream is written to a real channel
piece by piece and a {Wire} drains the other end after every write; {tests.fuzz.wirefeed}
checks what it makes of it against a reference reader, and any violation, or any exception but
{Wire.Oversized}, is a crash

    python tests/fuzz/fuzz_wire.py [libFuzzer flags] [corpus folders]
    python tests/fuzz/fuzz_wire.py -runs=20000 -max_len=4096
    python tests/fuzz/fuzz_wire.py crash-...          # replay a crash

--seeds=FOLDER writes a few well formed streams into FOLDER first, to start a corpus from.

The SHARED bit of the kinds is cleared, since a frame with it on a wire without a side channel
is a known bug (tests/test_hostile.py::test_shared_frame_without_side_channel); set
PYRE_NEXUS_FUZZ_SHARED=1 to let it through
"""

# externals
import os
import pathlib
import random
import socket
import sys

import atheris

# the work tree, so {tests.fuzz.wirefeed} imports when this runs as a script
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

# instrument the framing only
with atheris.instrument_imports(include=["pyre_nexus.Wire"]):
    from pyre_nexus.Wire import Wire

from tests.fuzz import wirefeed


# the limits worth trying, besides the ones the input spells out
# (no larger ones: a header alone makes the wire allocate and zero the body it announces, so
# a limit of gigabytes makes every random header cost gigabytes; see test_header_commits_memory)
LIMITS = [0, 1, Wire.header.size, 1024, 4096, Wire.large - 1, Wire.large, 4 * Wire.large]
# the sizes of the runs of 0xff that may follow the stream
PADS = [0, 0, 0, 0, 0, 0, 1024, Wire.large + 4096]
# whether the SHARED bit gets through
SHARED = os.environ.get("PYRE_NEXUS_FUZZ_SHARED", "") not in ("", "0")
# one listener serves every tcp input
LISTENER = None


def TestOneInput(data):
    """
    Feed one stream
    """
    global LISTENER
    fdp = atheris.FuzzedDataProvider(data)
    # the limit: one of the interesting ones, or any
    pick = fdp.ConsumeIntInRange(0, len(LIMITS))
    limit = LIMITS[pick] if pick < len(LIMITS) else fdp.ConsumeIntInRange(0, 3 * Wire.large)
    # the transport
    transport = wirefeed.TRANSPORTS[fdp.ConsumeIntInRange(0, len(wirefeed.TRANSPORTS) - 1)]
    # the split
    cuts = [fdp.ConsumeIntInRange(0, 4096) for _ in range(fdp.ConsumeIntInRange(0, 8))]
    # the padding
    pad = PADS[fdp.ConsumeIntInRange(0, len(PADS) - 1)]
    # and the stream
    stream = fdp.ConsumeBytes(fdp.remaining_bytes()) + b"\xff" * pad
    if not SHARED:
        stream = wirefeed.unshare(stream, limit)
    # the listener, once
    if transport == "tcp" and LISTENER is None:
        LISTENER = socket.create_server(("127.0.0.1", 0))
    wirefeed.feed(stream=stream, cuts=cuts, limit=limit, transport=transport, listener=LISTENER)


def seeds():
    """
    A few well formed inputs: the selectors, then streams of frames
    """
    frame = wirefeed.encode
    rng = random.Random(0)
    streams = [
        frame(Wire.TASK, 1, 0, 0, b"hello") + frame(Wire.REPORT, 1, 1, 2, b"world"),
        frame(Wire.READY, 0, 0, 0, b"\x80\x05K\x01."),
        frame(Wire.REPORT, 7, 0, 0, b"") * 3,
        Wire.header.pack(2**40, 1, Wire.REPORT, 0, 0) + b"body",
        frame(Wire.QUIT, 0, 0, 0, b"")[:11],
        Wire.header.pack(Wire.large, 2, Wire.REPORT, 0, 0) + rng.randbytes(100),
    ]
    inputs = []
    for index, stream in enumerate(streams):
        # limit 4096 or 2**32, each transport, one cut, no pad
        head = bytes([4 if index % 2 else 7, index % 3, 1]) + (17).to_bytes(2, "little") + bytes([0])
        inputs.append(head + stream)
    return inputs


def main():
    """
    Run the fuzzer
    """
    # seed a corpus, if asked to
    args = []
    for arg in sys.argv:
        if arg.startswith("--seeds="):
            folder = pathlib.Path(arg.split("=", 1)[1])
            folder.mkdir(parents=True, exist_ok=True)
            for index, seed in enumerate(seeds()):
                (folder / f"seed-{index}").write_bytes(seed)
        else:
            args.append(arg)
    atheris.Setup(args, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()


# end of file
