# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import hashlib
import hmac
import secrets


# declaration
class Handshake:
    """
    The mutual challenge that opens every remote channel, before a single pickled byte moves

    The team speaks first: a magic word and a fresh random nonce. The worker answers with a
    nonce of its own, the id of the launch it belongs to and an HMAC-SHA256, keyed by the
    team's secret, over both nonces and the launch id; the team checks it and answers with its
    own HMAC over the same material, which the worker checks in turn. Both sides prove that
    they hold the secret without sending it, and since every connection gets a fresh team
    nonce, an answer recorded on one connection is worthless on the next
    """

    # the opening of the team's challenge; its last byte is the version of the protocol
    magic = b"PYRENXS\x01"
    # the sizes of the parts
    nonce = 32
    launch = 16
    digest = hashlib.sha256().digest_size
    # the sizes of the three messages
    challenge = len(magic) + nonce
    answer = nonce + launch + digest
    proof = digest

    # interface
    @staticmethod
    def secret():
        """
        A fresh team secret
        """
        return secrets.token_bytes(32)

    @classmethod
    def open(cls):
        """
        The team's challenge: returns the nonce and the message that carries it
        """
        # a fresh nonce
        nonce = secrets.token_bytes(cls.nonce)
        # and the message
        return nonce, cls.magic + nonce

    @classmethod
    def respond(cls, secret, challenge, launch):
        """
        The worker's answer to the team's {challenge}, on behalf of {launch}; returns what the
        team's proof must be, and the answer
        """
        # a challenge that is not one
        if len(challenge) != cls.challenge or not challenge.startswith(cls.magic):
            # is not answered
            raise ValueError("the peer did not open with a pyre_nexus challenge")
        # split
        theirs = challenge[len(cls.magic):]
        # my nonce
        mine = secrets.token_bytes(cls.nonce)
        # what i prove, and what the team must prove in return
        answer = mine + launch + cls.sign(secret, b"worker", theirs, mine, launch)
        proof = cls.sign(secret, b"team", theirs, mine, launch)
        # all done
        return proof, answer

    @classmethod
    def check(cls, secret, nonce, answer):
        """
        Check a worker's {answer} to my {nonce}: returns the launch id and my proof, or {None}
        if the answer is wrong
        """
        # a message of the wrong size
        if len(answer) != cls.answer:
            # is wrong
            return None
        # split
        theirs = answer[: cls.nonce]
        launch = answer[cls.nonce : cls.nonce + cls.launch]
        signature = answer[cls.nonce + cls.launch :]
        # check the signature, in constant time
        if not hmac.compare_digest(signature, cls.sign(secret, b"worker", nonce, theirs, launch)):
            return None
        # and prove myself in return
        return launch, cls.sign(secret, b"team", nonce, theirs, launch)

    @staticmethod
    def sign(secret, role, *parts):
        """
        The HMAC-SHA256 of {parts} by {role}, keyed by {secret}
        """
        # the role is part of the message, so neither side's proof can stand in for the other's
        return hmac.new(secret, role + b"".join(parts), hashlib.sha256).digest()


# end of file
