"""AMQP connections on py-amqp that read what the socket holds, for RPC callers and RPC services.

py-amqp reads each frame in two exact-size reads (its header, then its
payload), so a message (three frames) costs six reads, each a ``poll`` and a
``recv`` under a timeout. RabbitMQ sends a message's frames together: one read
usually takes them all, and the rest come from the buffer. The socket may be a
plain one (the gateway's threads) or eventlet's green one (services). Several
frames can also be sent in one write (a service's reply and its acknowledgement).
"""

from __future__ import annotations

import errno
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

import amqp
from amqp.connection import NEGOTIATE_CAPABILITIES
from amqp.transport import TCPTransport


class BufferedTransport(TCPTransport):
    """py-amqp's TCP transport, reading what the socket holds rather than exactly what is asked for."""

    READ_SIZE = 65536
    _held: list[bytes] | None = None

    def write(self, s) -> None:
        if self._held is not None:
            self._held.append(bytes(s))  # py-amqp reuses its frame buffer: keep a copy
            return
        super().write(s)

    @contextmanager
    def together(self) -> Iterator[None]:
        """Frames written inside the block go to the socket in one write when it ends without error."""
        self._held = held = []
        try:
            yield
        finally:
            self._held = None
        super().write(b"".join(held))

    def _read(self, n, initial=False, _errnos=(errno.EAGAIN, errno.EINTR)):
        recv = self._quick_recv
        rbuf = self._read_buffer
        try:
            while len(rbuf) < n:
                try:
                    s = recv(max(n - len(rbuf), self.READ_SIZE))
                except OSError as exc:
                    if exc.errno in _errnos:
                        if initial and self.raise_on_initial_eintr:
                            raise TimeoutError() from exc
                        continue
                    raise
                if not s:
                    raise OSError("Server unexpectedly closed connection")
                rbuf += s
        except BaseException:
            self._read_buffer = rbuf
            raise
        result, self._read_buffer = rbuf[:n], rbuf[n:]
        return result


class Connection(amqp.Connection):
    """An AMQP connection over :class:`BufferedTransport` (plain TCP only).

    It does not ask the broker for ``connection.blocked`` notices: with them, py-amqp reads
    the socket before every publish to look for one, which on a connection that also
    receives (replies, deliveries) takes in messages from inside the publish, from the
    publishing thread. A blocked connection is still held back by the broker, which stops
    reading from it.
    """

    negotiate_capabilities = {**NEGOTIATE_CAPABILITIES, "connection.blocked": False}

    def Transport(  # noqa: N802 (py-amqp's name)
        self, host, connect_timeout, ssl=False, read_timeout=None, write_timeout=None, socket_settings=None, **kwargs
    ):
        if ssl:
            return super().Transport(host, connect_timeout, ssl, read_timeout, write_timeout, socket_settings, **kwargs)
        return BufferedTransport(
            host,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            socket_settings=socket_settings,
            **kwargs,
        )


def connection_params(amqp_uri: str, connect_timeout: float = 2) -> dict:
    """py-amqp ``Connection`` keyword arguments for an ``amqp://`` URI; no heartbeats."""
    parts = urllib.parse.urlparse(amqp_uri)
    return {
        "host": f"{parts.hostname or '127.0.0.1'}:{parts.port or 5672}",
        "userid": urllib.parse.unquote(parts.username or "guest"),
        "password": urllib.parse.unquote(parts.password or "guest"),
        "virtual_host": urllib.parse.unquote(parts.path[1:]) if len(parts.path) > 1 else "/",
        "connect_timeout": connect_timeout,
        "heartbeat": 0,
    }
