#!/usr/bin/env python3
# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Coverage guided fuzzing of {Handshake.check} and {Handshake.respond}, with atheris

Every input picks a mode, a secret and a nonce, and spends the rest on what the mode needs:

- 0: any bytes as an answer; {check} accepts them only if an independent HMAC-SHA256 over the
     same material says they are signed with the secret for that nonce, and then returns the
     launch id they name and the team's proof
- 1: a valid answer with an XOR mask over it; {check} accepts it only if the mask is all zeros
- 2: any bytes as a challenge; {respond} refuses them unless they are the magic and a nonce,
     and when it answers, {check} accepts the answer and the proofs agree
- 3: a valid answer to another nonce, or signed with another secret; {check} refuses it

Any other outcome, or any exception where none is due, is a crash

    python tests/fuzz/fuzz_handshake.py [libFuzzer flags] [corpus folders]
    python tests/fuzz/fuzz_handshake.py -runs=20000

--seeds=FOLDER writes a few inputs into FOLDER first, to start a corpus from
"""

# externals
import hashlib
import hmac
import pathlib
import sys

import atheris

# instrument the handshake only
with atheris.instrument_imports(include=["pyre_nexus.Handshake"]):
    from pyre_nexus.Handshake import Handshake


def signature(secret, role, nonce, theirs, launch):
    """
    The MAC, computed here rather than by the code under test
    """
    return hmac.new(secret, role + nonce + theirs + launch, hashlib.sha256).digest()


def take(fdp, count):
    """
    Exactly {count} bytes from the input, padded with zeros when it runs out
    """
    data = fdp.ConsumeBytes(count)
    return data + bytes(count - len(data))


def TestOneInput(data):
    """
    Check one input
    """
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 3)
    secret = take(fdp, fdp.ConsumeIntInRange(1, 64))
    nonce = take(fdp, Handshake.nonce)

    if mode == 0:
        answer = fdp.ConsumeBytes(fdp.remaining_bytes())
        verdict = Handshake.check(secret=secret, nonce=nonce, answer=answer)
        theirs = answer[: Handshake.nonce]
        launch = answer[Handshake.nonce : Handshake.nonce + Handshake.launch]
        signed = len(answer) == Handshake.answer and hmac.compare_digest(
            answer[-Handshake.digest :], signature(secret, b"worker", nonce, theirs, launch)
        )
        if not signed:
            assert verdict is None, f"accepted a forged answer: {answer.hex()}"
        else:
            assert verdict == (launch, signature(secret, b"team", nonce, theirs, launch))
        return

    if mode == 1:
        launch = take(fdp, Handshake.launch)
        mask = take(fdp, Handshake.answer)
        proof, answer = Handshake.respond(secret=secret, challenge=Handshake.magic + nonce, launch=launch)
        spoiled = bytes(a ^ b for a, b in zip(answer, mask))
        verdict = Handshake.check(secret=secret, nonce=nonce, answer=spoiled)
        if any(mask):
            assert verdict is None, f"accepted an answer with bits flipped by {mask.hex()}"
        else:
            assert verdict == (launch, proof)
        return

    if mode == 2:
        challenge = fdp.ConsumeBytes(fdp.remaining_bytes())
        launch = bytes(range(Handshake.launch))
        good = len(challenge) == Handshake.challenge and challenge.startswith(Handshake.magic)
        try:
            proof, answer = Handshake.respond(secret=secret, challenge=challenge, launch=launch)
        except ValueError:
            assert not good, f"refused a good challenge: {challenge.hex()}"
            return
        assert good, f"answered what is no challenge: {challenge.hex()}"
        theirs = challenge[len(Handshake.magic) :]
        assert answer[Handshake.nonce : Handshake.nonce + Handshake.launch] == launch
        assert Handshake.check(secret=secret, nonce=theirs, answer=answer) == (launch, proof)
        return

    # mode 3: the right answer to the wrong question
    other = take(fdp, fdp.ConsumeIntInRange(1, 64))
    another = take(fdp, Handshake.nonce)
    launch = take(fdp, Handshake.launch)
    _, answer = Handshake.respond(secret=other, challenge=Handshake.magic + another, launch=launch)
    verdict = Handshake.check(secret=secret, nonce=nonce, answer=answer)
    # an HMAC key is padded with zeros to the block size, so keys that differ only by trailing
    # zeros are the same key
    same = hmac.new(secret, digestmod=hashlib.sha256).digest() == hmac.new(other, digestmod=hashlib.sha256).digest()
    if not (same and another == nonce):
        assert verdict is None, "accepted an answer to another nonce or with another secret"
    else:
        assert verdict is not None


def seeds():
    """
    One input per mode
    """
    secret = b"\x20" + bytes(range(32))
    nonce = bytes(range(32, 64))
    return [
        b"\x00" + secret + nonce + bytes(Handshake.answer),
        b"\x01" + secret + nonce + bytes(Handshake.launch) + b"\x01" + bytes(Handshake.answer - 1),
        b"\x02" + secret + nonce + Handshake.magic + bytes(Handshake.nonce),
        b"\x03" + secret + nonce + secret + nonce + bytes(Handshake.launch),
    ]


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
