# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import ssl


# declaration
class SocketTLS(ssl.SSLSocket):
    """
    A TLS socket that is also a channel in the sense of {pyre.ipc}, as {pyre.ipc.SocketTCP} is,
    so pyre's event loop can watch it; contexts make these when their {sslsocket_class} is set
    to it, see {context}
    """

    # interface
    @property
    def inbound(self):
        """
        The end that is read: the socket itself
        """
        return self

    @property
    def outbound(self):
        """
        The end that is written: the socket itself
        """
        return self

    @classmethod
    def context(cls, certificate=None, key=None, authority=None):
        """
        A TLS context whose sockets are mine: a team's, with its {certificate} and {key}, or a
        worker's, which trusts the teams whose certificates {authority} vouches for
        """
        # a team
        if certificate:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certfile=certificate, keyfile=key or None)
        # a worker
        else:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.load_verify_locations(cafile=authority)
            # workers dial teams by whatever address reaches them, which the certificate need
            # not name; the authority still has to vouch for it, and the handshake inside proves
            # the team holds the secret
            context.check_hostname = False
            context.verify_mode = ssl.CERT_REQUIRED
        # modern only
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        # make my sockets
        context.sslsocket_class = cls
        # all done
        return context


# end of file
