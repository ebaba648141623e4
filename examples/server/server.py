# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
A server that keeps answering while a team crunches in the background

The server counts primes, one block of numbers per task, and keeps every crew of its team busy
doing so. Meanwhile it answers requests, one line each, on a TCP port:

    status      how far the count has come
    factor N    the prime factors of N, worked out by the team; the answer comes when it is done
    help        the requests it understands
    quit        say goodbye and hang up

The team and the server share one event loop, the team's {dispatcher}: the port, the clients,
the alarms and the crews are all watched by it, so nothing waits for anything else, and the
futures of the tasks call back into the server from that loop. The server leaves by itself
after answering {requests} requests or after {lifetime}, whichever comes first
"""

# externals
import functools
import pathlib
import time

# the framework
import journal
import pyre
from pyre.units.SI import second
# the package
import pyre_nexus


# the work; tasks run as functions of this script, which pyre_nexus sends to the workers by
# value, so they must live at module level, and everything they use must travel with them
def isprime(n):
    """
    Check whether {n} is prime, by trial division
    """
    # the small cases
    if n < 4:
        return n >= 2
    # the multiples of 2 and 3
    if n % 2 == 0 or n % 3 == 0:
        return False
    # the rest: only numbers of the form 6k-1 and 6k+1 can divide it
    divisor = 5
    while divisor * divisor <= n:
        if n % divisor == 0 or n % (divisor + 2) == 0:
            return False
        divisor += 6
    # all done
    return True


def census(low, high):
    """
    Count the primes in [{low}, {high}); return the count and the largest of them, or {None}
    """
    # go through them
    count = 0
    largest = None
    for n in range(low, high):
        if isprime(n):
            count += 1
            largest = n
    # all done
    return count, largest


def factorize(n):
    """
    The prime factors of {n}, smallest first, by trial division
    """
    # numbers below two have no prime factors
    if n < 2:
        raise ValueError(f"{n} has no prime factors")
    # peel them off
    factors = []
    divisor = 2
    while divisor * divisor <= n:
        while n % divisor == 0:
            factors.append(divisor)
            n //= divisor
        divisor += 1 if divisor == 2 else 2
    # what is left is prime
    if n > 1:
        factors.append(n)
    # all done
    return factors


# declaration
class Server(pyre.application, family="nexus_examples.server"):
    """
    Answer requests on a TCP port while a team counts primes in the background
    """

    # user configurable state
    address = pyre.properties.inet(default="127.0.0.1:0")
    address.doc = "where to listen; port 0 lets the kernel pick one"

    requests = pyre.properties.int(default=0)
    requests.doc = "leave after answering this many requests; 0 for no limit"

    lifetime = pyre.properties.dimensional(default=60 * second)
    lifetime.doc = "leave after this long; 0*s for no limit"

    every = pyre.properties.dimensional(default=5 * second)
    every.doc = "how often to print a status line; 0*s for never"

    block = pyre.properties.int(default=100_000)
    block.doc = "how many numbers each census task checks"

    patience = pyre.properties.dimensional(default=5 * second)
    patience.doc = "how long a factor request may take before it is given up"

    team = pyre_nexus.team()
    team.doc = "the team that does the work; a staff, since the server submits tasks"

    # obligations
    @pyre.export
    def main(self, *args, **kwds):
        """
        Serve until it is time to go
        """
        # the team, and its event loop, which the server shares: the port, the clients and the
        # crews are watched by one loop, so none of them waits for another
        team = self.team
        loop = team.dispatcher
        # listen
        port = pyre.ipc.port(address=self.address)
        # pyre picks another port when the one asked for is taken; a client would not find it
        if self.address.port and port.address.port != self.address.port:
            port.close()
            print(f"server: port {self.address.port} is taken")
            return 1
        # accepting must never block the loop
        port.channel.setblocking(False)
        loop.whenReadReady(channel=port, call=self.accept)
        # my state
        self.loop = loop
        self.port = port
        self.serving = True
        self.clients = set()
        self.visitors = 0
        self.answered = 0
        # the census: the blocks handed out, the counts of the ones done, the futures running
        self.blocks = 0
        self.counts = {}
        self.crunching = set()
        # show the setup
        print(
            f"server: {team.size} crews, recruiter {team.recruiter.pyre_family()}, "
            f"listening on {port.address.host}:{port.address.port}",
            flush=True,
        )
        # keep every crew busy
        for _ in range(team.size):
            self.crunch()
        # the alarms: the status line, and the end of my life
        if self.every > 0 * second:
            loop.alarm(interval=self.every, call=self.remind)
        self.curfew = None
        if self.lifetime > 0 * second:
            self.curfew = loop.alarm(interval=self.lifetime, call=self.expire)
        # serve; returns when {close} stops the loop
        start = time.perf_counter()
        loop.watch()
        elapsed = time.perf_counter() - start
        # let the crews go, once the factor tasks that are running are done
        team.shutdown(wait=True, cancel_futures=True)
        # report
        below, count, largest = self.covered()
        clients = "client" if self.visitors == 1 else "clients"
        print(
            f"server: answered {self.answered} requests from {self.visitors} {clients} "
            f"in {elapsed:.1f} s"
        )
        print(
            f"census: {len(self.counts)} blocks, {count} primes below {below}, "
            f"the largest {largest}"
        )
        # all done
        return 0

    # the census
    def crunch(self):
        """
        Hand the team the next block of the census
        """
        # pick the block
        index = self.blocks
        self.blocks += 1
        # submit it, and hear of it when it is done
        future = self.team.submit(census, index * self.block, (index + 1) * self.block)
        future.add_done_callback(functools.partial(self.tally, index))
        self.crunching.add(future)
        # all done
        return

    def tally(self, index, future):
        """
        Block {index} of the census is done: record it, and hand out the next one

        N.B.: a done callback; it runs inside the loop, like every other handler
        """
        # it is no longer running
        self.crunching.discard(future)
        # cancelled at shutdown
        if future.cancelled():
            return
        # record what it found, or why it found nothing
        error = future.exception()
        if error is None:
            self.counts[index] = future.result()
        else:
            print(f"server: census block {index} failed: {error}", flush=True)
        # and keep the crew busy
        if self.serving:
            self.crunch()
        # all done
        return

    def covered(self):
        """
        How far the census has come without a gap: the bound below which all primes are
        counted, their count and the largest of them
        """
        # the blocks finish in any order; count up to the first one missing
        count, largest, index = 0, None, 0
        while index in self.counts:
            found, last = self.counts[index]
            count += found
            largest = last if last is not None else largest
            index += 1
        # all done
        return index * self.block, count, largest

    def status(self):
        """
        Describe how far the census has come
        """
        below, count, largest = self.covered()
        return (
            f"status: {len(self.counts)} blocks done, {len(self.crunching)} running; "
            f"{count} primes below {below}, the largest {largest}"
        )

    # the conversation
    def accept(self, channel):
        """
        A client is knocking

        N.B.: a read handler; returning {True} keeps it registered
        """
        # take the call
        try:
            connection, _ = channel.accept()
        # the client gave up in the meantime
        except OSError:
            return self.serving
        # never block on a client
        connection.setblocking(False)
        client = Client(channel=connection)
        self.clients.add(client)
        self.visitors += 1
        # listen to it
        self.loop.whenReadReady(channel=connection, call=self.hear, client=client)
        # and keep listening for others, while serving
        return self.serving

    def hear(self, channel, client):
        """
        Bytes from {client}: answer every complete line

        N.B.: a read handler; returning {True} keeps it registered
        """
        # get what is there
        try:
            data = channel.recv(4096)
        except BlockingIOError:
            return True
        except OSError:
            data = b""
        # the client hung up
        if not data:
            self.drop(client=client)
            return False
        # collect
        client.inbox += data
        # answer the complete lines; each answer may close the client, or the server
        while client.open and b"\n" in client.inbox:
            line, _, client.inbox = client.inbox.partition(b"\n")
            self.respond(client=client, request=line.decode(errors="replace").strip())
        # a line that never ends is not a request
        if client.open and len(client.inbox) > 1024:
            self.drop(client=client)
        # keep listening while the client is there
        return client.open

    def respond(self, client, request):
        """
        Answer one {request} of {client}
        """
        # split it; an empty line asks nothing
        verb, *words = request.split() or [None]
        if verb is None:
            return
        # the quick ones, answered on the spot
        if verb == "status":
            return self.answer(client=client, line=self.status())
        if verb == "help":
            return self.answer(client=client, line="requests: status, factor N, help, quit")
        if verb == "quit":
            client.closing = True
            return self.answer(client=client, line="bye")
        # the slow one: the team works it out while the server keeps answering
        if verb == "factor":
            # parse the number here, so a typo costs no task
            try:
                (n,) = words
                n = int(n)
            except ValueError:
                return self.answer(client=client, line="error: factor takes one integer")
            # give the task its own deadline, so one hard number does not hold a crew forever
            deadline = self.patience / second
            future = self.team.options(deadline=deadline).submit(factorize, n)
            # and answer when it is done
            future.add_done_callback(functools.partial(self.factored, client, n))
            return
        # anything else
        return self.answer(client=client, line=f"error: unknown request {verb!r}; try help")

    def factored(self, client, n, future):
        """
        The factors of {n} that {client} asked for are in

        N.B.: a done callback; it runs inside the loop, like every other handler
        """
        # the server was shut down before the task could run
        if future.cancelled():
            return
        # the task's own outcome: the factors, or what went wrong, e.g. a {ValueError} for a
        # number without factors, or {DeadlineExceeded} for one that took too long
        error = future.exception()
        if error is None:
            line = f"factor {n} = {' * '.join(map(str, future.result()))}"
        else:
            line = f"error: factor {n}: {type(error).__name__}: {error}"
        # deliver it
        return self.answer(client=client, line=line)

    def answer(self, client, line):
        """
        Send {line} to {client}, and count it
        """
        # the client may have left while its answer was being worked out
        if not client.open:
            return
        # queue it, and send what the socket takes now
        client.outbox += f"{line}\n".encode()
        self.flush(channel=client.channel, client=client)
        # count it
        self.answered += 1
        # and leave when that was the last one
        if self.requests and self.answered >= self.requests:
            self.close(reason=f"answered {self.answered} requests")
        # all done
        return

    def flush(self, channel, client):
        """
        Send what {client} has waiting, as much as its socket takes

        N.B.: also a write handler; returning {True} keeps it registered
        """
        # send
        try:
            sent = channel.send(client.outbox)
        except BlockingIOError:
            sent = 0
        except OSError:
            self.drop(client=client)
            return False
        del client.outbox[:sent]
        # if some is left, wait until the socket has room
        if client.outbox:
            if not client.writing:
                client.writing = True
                self.loop.whenWriteReady(channel=channel, call=self.flush, client=client)
            return True
        # all sent
        client.writing = False
        # a client that said quit is let go once it has its answer
        if client.closing:
            self.drop(client=client)
        # all done
        return False

    def drop(self, client):
        """
        Hang up on {client}
        """
        # once
        if client.open:
            client.open = False
            self.clients.discard(client)
            # forget before closing, so the loop never watches a closed descriptor
            self.loop.forget(client.channel)
            client.channel.close()
        # all done
        return

    # the clock
    def remind(self, timestamp):
        """
        Print a status line

        N.B.: an alarm handler; it returns the interval to the next one, or {None} to stop
        """
        # not after closing
        if not self.serving:
            return None
        # say how far the census has come
        print(f"server: {self.status()}; {self.answered} requests answered", flush=True)
        # and again later
        return self.every

    def expire(self, timestamp):
        """
        My time is up

        N.B.: an alarm handler; returning {None} means once
        """
        self.curfew = None
        self.close(reason=f"ran for {self.lifetime}")
        return None

    def close(self, reason):
        """
        Stop serving: hang up on everybody, stop listening and leave the loop
        """
        # once
        if not self.serving:
            return
        self.serving = False
        print(f"server: {reason}; closing", flush=True)
        # the end of my life will not come now
        if self.curfew is not None:
            self.curfew.cancel()
            self.curfew = None
        # stop listening; the loop files the port under its socket, and is told to forget that,
        # since pyre's {forget} asks a channel for an {outbound} side, which a port lacks
        self.loop.forget(self.port.channel)
        self.port.close()
        # hang up on the clients; answers still waiting in their sockets are lost
        for client in list(self.clients):
            self.drop(client=client)
        # the census never ends by itself: cancel the running blocks, which kills their
        # workers, rather than wait for them
        for future in list(self.crunching):
            future.cancel()
        # and leave the loop at the end of this pass; {main} lets the crews go
        self.loop.stop()
        # all done
        return


# the state of a connection
class Client:
    """
    A client: its socket, the bytes of its unfinished line, the bytes of answers not yet sent
    """

    # meta-methods
    def __init__(self, channel):
        self.channel = channel
        self.inbox = b""
        self.outbox = bytearray()
        # whether the loop is waiting for room in the socket, to send the rest of the outbox
        self.writing = False
        # whether the client said quit
        self.closing = False
        # whether the connection is up
        self.open = True
        # all done
        return


# the entry point
def main():
    """
    Run the server with the configuration next to this script, which a server.pfg in the
    current folder and the command line override
    """
    # the configuration that ships with the example, at package priority, like the defaults of
    # an installed package, so everything else beats it; read from here, pyre would only find it
    # when it runs in this folder
    shipped = pathlib.Path(__file__).with_name("server.pfg")
    pyre.executive.loadConfiguration(uri=str(shipped), priority=pyre.executive.priority.package)
    # the instance name picks the section of the configuration: {server}
    app = Server(name="server")
    # run it
    try:
        return app.run()
    # pyre has shown the error on the application's fatal channel; no traceback needed
    except journal.ApplicationError:
        return 1


if __name__ == "__main__":
    raise SystemExit(main())


# end of file
