# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import collections
import errno
import functools
import socket
import ssl

# the framework
import journal
from pyre.ipc.SocketTCP import SocketTCP

# my parts
from .Handshake import Handshake


# declaration
class Gate:
    """
    The door of a team to its remote workers: a TCP port, watched by the team's event loop,
    that admits a connection only once it has passed the {Handshake}

    Until then nothing the peer sends is interpreted beyond comparing its bytes: a peer that
    sends too much, too little, the wrong proof or nothing at all before {patience} runs out is
    dropped and counted, and the team goes on serving. With a TLS {context}, every connection
    first completes a TLS handshake, and the challenge travels inside it. A process out of
    descriptors leaves the connections queued and the port ready, so the gate stops watching it
    and looks again after a back off that grows while the shortage lasts
    """

    # the back off of a gate out of descriptors, in seconds: the first, and the longest
    shortest = 0.005
    longest = 1.0
    # the errors of {accept} that say the process or the system is out of descriptors or memory
    shortage = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})

    # interface
    def close(self):
        """
        Stop listening, and drop the visitors still in their handshake
        """
        # the visitors
        for visitor in list(self.visitors):
            self.refuse(visitor=visitor, reason="the team closed its gate")
        # the pause of a gate out of descriptors, which would watch the listener again
        if self.pause is not None:
            self.pause.cancel()
            self.pause = None
        # and the listener
        self.dispatcher.forget(self.listener)
        self.listener.close()
        # all done
        return

    @staticmethod
    def tune(channel, heartbeat):
        """
        Set up the TCP options of a remote channel: no delay for small frames, and probes of an
        idle link every {heartbeat} seconds, answered by the peer's kernel whatever its worker
        is doing, so only a dead link or a frozen host misses three in a row and is given up
        """
        # send small frames right away
        channel.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # probe the link when it is idle
        interval = max(1, round(heartbeat))
        channel.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        channel.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, interval)
        channel.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, interval)
        channel.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
        # and give up on data that goes unacknowledged as long, e.g. behind a partition
        channel.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, 3 * interval * 1000)
        # all done
        return channel

    # meta-methods
    def __init__(self, dispatcher, host, port, secret, admit, patience, heartbeat, context=None, **kwds):
        # chain up
        super().__init__(**kwds)
        # save my context
        self.dispatcher = dispatcher
        self.secret = secret
        self.admit = admit
        self.patience = patience
        self.heartbeat = heartbeat
        self.context = context
        # the visitors in their handshake
        self.visitors = set()
        # the connections admitted, and the ones refused, by reason
        self.admitted = 0
        self.refused = collections.Counter()
        # when out of descriptors: the alarm that ends the pause, and how long the pause is
        self.pause = None
        self.backoff = 0.0
        # my channel
        self.journal = journal.warning("pyre_nexus.gate")
        # listen; unlike {pyre.ipc.port}, a port that is taken is an error, not a surprise
        listener = SocketTCP(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, port))
            listener.listen(socket.SOMAXCONN)
            listener.setblocking(False)
        except OSError:
            listener.close()
            raise
        # remember it, and the address it got
        host, port = listener.getsockname()
        self.listener = listener
        self.address = SocketTCP.inet().coerce(f"{host}:{port}")
        # and watch it
        self.dispatcher.whenReadReady(channel=listener, call=self.knock)
        # all done
        return

    def __str__(self):
        return f"gate at {self.address}"

    # implementation details
    def knock(self, channel):
        """
        Connections are waiting: accept them and open their handshakes

        N.B.: this is an event handler; careful with its return value
        """
        # take all that are waiting
        while True:
            # carefully
            try:
                fd, peer = self.listener._accept()
            # until there are none
            except (BlockingIOError, InterruptedError):
                break
            # a connection that died in the queue, or a process out of descriptors
            except OSError as error:
                # is noted
                self.refused["accept failed"] += 1
                self.journal.log(f"{self}: accept failed: {error}")
                # out of descriptors, the port stays ready and watching it would spin the loop
                if error.errno in self.shortage:
                    # so pause, a little longer each time in a row
                    self.backoff = min(2 * self.backoff, self.longest) or self.shortest
                    self.pause = self.dispatcher.alarm(interval=self.backoff, call=self.resume)
                    # and stop watching until then
                    return False
                break
            # an accepted connection ends a shortage
            self.backoff = 0.0
            # wrap it up
            connection = SocketTCP(socket.AF_INET, socket.SOCK_STREAM, fileno=fd)
            connection.setblocking(False)
            # over plain TCP, open the handshake
            if self.context is None:
                self.greet(connection=connection, peer=peer)
            # otherwise, secure the connection first
            else:
                self.secure(connection=connection, peer=peer)
        # keep listening
        return True

    def resume(self, timestamp):
        """
        The pause of a gate out of descriptors is over: watch the listener again

        N.B.: this is an alarm handler; it returns the interval to the next invocation
        """
        # the pause is over
        self.pause = None
        # watch again; {knock} pauses again if descriptors are still short
        self.dispatcher.whenReadReady(channel=self.listener, call=self.knock)
        # and do not reschedule
        return None

    def secure(self, connection, peer):
        """
        Start the TLS handshake of a new {connection}
        """
        # wrap it; the handshake proceeds as the connection becomes ready
        connection = self.context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
        # the visitor's record
        visitor = Visitor(connection=connection, peer=peer)
        self.visitors.add(visitor)
        # on a clock
        visitor.alarm = self.dispatcher.alarm(
            interval=self.patience, call=functools.partial(self.expire, visitor=visitor)
        )
        # go as far as it can now
        self.shake(channel=connection, visitor=visitor)
        # all done
        return

    def shake(self, channel, visitor):
        """
        Carry the TLS handshake of {visitor} on; once it is done, send the challenge

        N.B.: this is an event handler; careful with its return value
        """
        # one step
        try:
            channel.do_handshake()
        # if it needs to hear from the peer
        except ssl.SSLWantReadError:
            self.dispatcher.whenReadReady(channel=channel, call=functools.partial(self.shake, visitor=visitor))
            return False
        # if it needs room to write
        except ssl.SSLWantWriteError:
            self.dispatcher.whenWriteReady(channel=channel, call=functools.partial(self.shake, visitor=visitor))
            return False
        # if it fails
        except (ssl.SSLError, OSError) as error:
            self.refuse(visitor=visitor, reason=f"failed the TLS handshake: {getattr(error, 'reason', None) or error}")
            return False
        # secured: on to the challenge
        self.greet(connection=channel, peer=visitor.peer, visitor=visitor)
        # either way, this handler is done
        return False

    def greet(self, connection, peer, visitor=None):
        """
        Send the challenge to a new {connection}, and wait for the answer
        """
        # make the challenge
        nonce, challenge = Handshake.open()
        # the visitor's record
        if visitor is None:
            visitor = Visitor(connection=connection, peer=peer)
            self.visitors.add(visitor)
        visitor.nonce = nonce
        # send it; a fresh connection has room for it, so anything short of that is a bad one
        try:
            sent = connection.send(challenge)
        except OSError as error:
            sent = error
        if sent != len(challenge):
            self.refuse(visitor=visitor, reason=f"the challenge did not go out: {sent}")
            return
        # wait for the answer, but not forever; a TLS handshake's clock covers both
        if visitor.alarm is None:
            visitor.alarm = self.dispatcher.alarm(
                interval=self.patience, call=functools.partial(self.expire, visitor=visitor)
            )
        self.dispatcher.whenReadReady(
            channel=connection, call=functools.partial(self.hear, visitor=visitor)
        )
        # all done
        return

    def hear(self, channel, visitor):
        """
        A visitor has sent something: collect its answer and judge it

        N.B.: this is an event handler; careful with its return value
        """
        # read no more than the answer, plus a byte to catch a peer that sends more
        try:
            data = channel.recv(Handshake.answer + 1 - len(visitor.heard))
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return True
        except OSError as error:
            self.refuse(visitor=visitor, reason=f"the connection failed: {error}")
            return False
        # a peer that left
        if not data:
            self.refuse(visitor=visitor, reason="closed the connection during the handshake")
            return False
        # collect
        visitor.heard += data
        # wait for the rest
        if len(visitor.heard) < Handshake.answer:
            return True
        # judge: a peer that sends past its answer before it heard my proof is not a worker
        verdict = None
        early = getattr(channel, "pending", None)
        if len(visitor.heard) == Handshake.answer and not (early and early()):
            verdict = Handshake.check(secret=self.secret, nonce=visitor.nonce, answer=bytes(visitor.heard))
        if verdict is None:
            self.refuse(visitor=visitor, reason="failed the handshake")
            return False
        # it passed; prove myself in return; the proof is small, so the connection takes it
        launch, proof = verdict
        try:
            sent = channel.send(proof)
        except OSError as error:
            sent = error
        if sent != len(proof):
            self.refuse(visitor=visitor, reason=f"the proof did not go out: {sent}")
            return False
        # the visitor is now a worker
        self.leave(visitor=visitor)
        self.admitted += 1
        # tune its link
        self.tune(channel=channel, heartbeat=self.heartbeat)
        # and hand it over
        self.admit(launch=launch, channel=channel)
        # either way, i am done with this connection
        return False

    def expire(self, timestamp, visitor):
        """
        A visitor did not complete its handshake in time

        N.B.: this is an alarm handler; it returns the interval to the next invocation
        """
        # drop it
        self.refuse(visitor=visitor, reason=f"stalled in the handshake for {self.patience:g} s")
        # and do not reschedule
        return None

    def refuse(self, visitor, reason):
        """
        Drop a {visitor} for {reason}
        """
        # count it
        self.refused[reason] += 1
        # say so; nothing it sent was interpreted, so there is nothing else to undo
        self.journal.log(f"{self}: refused {visitor.peer[0]}:{visitor.peer[1]}: {reason}")
        # and let it go
        self.leave(visitor=visitor)
        visitor.connection.close()
        # all done
        return

    def leave(self, visitor):
        """
        {visitor} is done with its handshake, one way or the other
        """
        # stop its clock
        if visitor.alarm is not None:
            visitor.alarm.cancel()
            visitor.alarm = None
        # stop listening to it
        self.dispatcher.forget(visitor.connection)
        # and forget it
        self.visitors.discard(visitor)
        # all done
        return


# the state of a connection in its handshake
class Visitor:
    """
    A connection in its handshake: what it sent so far, my nonce, and its clock
    """

    # meta-methods
    def __init__(self, connection, peer):
        self.connection = connection
        self.peer = peer
        self.nonce = None
        self.heard = bytearray()
        self.alarm = None
        return


# end of file
