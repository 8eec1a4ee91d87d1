"""A network that goes silent, for tests of what a client does when its broker stops answering without
closing anything (packets dropped by a firewall or a partition, a peer that stopped reading)."""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit


class SilentNetwork:
    """A TCP relay to a server that can go silent: what either side then sends is read and dropped,
    and no connection is closed. ``silent`` silences every connection at once; ``silence_after`` only the
    first connection on which the client sends those bytes (from that chunk on). Nothing of the protocol is
    imitated: the server behind it is the real one."""

    def __init__(self, uri: str, silence_after: bytes | None = None):
        """In front of the server of ``uri`` (``scheme://user:password@host:port/...``); ``self.uri`` is the same
        address through this network."""
        parts = urlsplit(uri)
        self.target = (parts.hostname, parts.port or 5672)
        self.silent = False
        self.silence_after = silence_after
        self.silenced = 0  # connections silenced by ``silence_after``
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.uri = parts._replace(netloc=f"{parts.username}:{parts.password}@127.0.0.1:{self.port}").geturl()
        self.sockets: list[socket.socket] = [self.listener]
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            quiet = threading.Event()
            for source, sink, outgoing in ((client, upstream, True), (upstream, client, False)):
                pump = threading.Thread(target=self._pump, args=(source, sink, outgoing, quiet), daemon=True)
                self.threads.append(pump)
                pump.start()

    def _pump(self, source: socket.socket, sink: socket.socket, outgoing: bool, quiet: threading.Event) -> None:
        try:
            while data := source.recv(65536):
                if outgoing and self.silence_after and not self.silenced and self.silence_after in data:
                    quiet.set()
                    self.silenced += 1
                if not (self.silent or quiet.is_set()):
                    sink.sendall(data)
        except Exception:  # a socket closed under it (OSError, or eventlet's IOClosed in the tests' process)
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except Exception:  # closed already
                pass

    def close(self) -> None:
        """Wake every thread waiting on a socket (a shutdown ends its accept or recv), let them end, then close
        the sockets: a socket closed under a waiting reader would leave it listening on a number the next
        socket opened reuses."""
        for each in self.sockets:
            try:
                each.shutdown(socket.SHUT_RDWR)
            except Exception:  # not connected, or closed already
                pass
        for thread in self.threads:
            thread.join(timeout=5)
        for each in self.sockets:
            each.close()
