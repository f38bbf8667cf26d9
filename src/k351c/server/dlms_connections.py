"""DLMS listeners' asyncio protocols: wrapper and HDLC connections served in ``data_received``,
with back-pressure, idle time-outs and a per-listener connection limit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

from k351c.errors import RemoteProtocolError
from k351c.server.dlms_peers import HdlcPeer, WrapperPeer

if TYPE_CHECKING:
    from k351c.server.dlms import DlmsEndpoint

log = logging.getLogger("k351c.dlms")

IDLE_TIMEOUT = 300.0


def close_quietly(writer: asyncio.StreamWriter) -> None:
    """Close a stream writer, ignoring whatever closing a broken connection raises."""
    with contextlib.suppress(Exception):
        writer.close()


class _Connection(asyncio.Protocol):
    """What both DLMS stream protocols share: the connection limit, back-pressure, close and release."""

    def __init__(self, idle_timeout: float, limit: ConnectionLimit | None) -> None:
        self.idle_timeout = idle_timeout
        self.limit = limit
        self.admitted = False
        self.peer_state: WrapperPeer | HdlcPeer | None = None
        self.transport: asyncio.Transport | None = None
        self.peer = None
        self.timer: asyncio.TimerHandle | None = None
        self.clock = asyncio.get_running_loop().time
        self.last = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Admit the connection (or refuse it beyond the limit) and start its timer."""
        self.transport = transport  # type: ignore[assignment]
        self.peer = transport.get_extra_info("peername")
        if self.limit is not None and not self.limit.admit(self.peer):
            transport.close()
            return
        self.admitted = True
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.last = self.clock()
        self.start()

    def start(self) -> None:
        """Set up the admitted connection's state and timer."""
        raise NotImplementedError

    def eof_received(self) -> bool:
        """The peer closed its side: close ours."""
        return False

    def pause_writing(self) -> None:
        """The peer does not read its answers: stop reading its requests until it does."""
        self.transport.pause_reading()  # type: ignore[union-attr]

    def resume_writing(self) -> None:
        """The peer caught up: read again."""
        self.transport.resume_reading()  # type: ignore[union-attr]

    def connection_lost(self, exc: Exception | None) -> None:
        """Release the associations and the connection slot."""
        if self.timer is not None:
            self.timer.cancel()
        if self.peer_state is not None:
            self.peer_state.release()
        if self.admitted and self.limit is not None:
            self.limit.leave()
        self.admitted = False


class WrapperProtocol(_Connection):
    """One wrapper TCP connection served in ``data_received``: no task and no await per request.

    The idle time-out is one loop timer that compares the last arrival with the deadline when it
    fires (and re-arms for the remainder), so a request costs a clock read, not a timer reschedule.
    """

    def __init__(
        self,
        route: Callable[[int], DlmsEndpoint | None],
        idle_timeout: float = IDLE_TIMEOUT,
        limit: ConnectionLimit | None = None,
    ) -> None:
        super().__init__(idle_timeout, limit)
        self.route = route

    def start(self) -> None:
        """A wrapper peer and the idle timer."""
        self.peer_state = WrapperPeer(self.route)
        self.timer = asyncio.get_running_loop().call_later(self.idle_timeout, self._check_idle)

    def data_received(self, data: bytes) -> None:
        """Answer every complete frame at once; garbage closes the connection.

        Only a stream that ends on a frame boundary counts as activity: a client trickling one frame
        byte by byte is closed after the idle time-out like a silent one.
        """
        try:
            out = self.peer_state.feed(data)  # type: ignore[union-attr]
            if not self.peer_state.codec.pending:  # type: ignore[union-attr]
                self.last = self.clock()
        except RemoteProtocolError as exc:
            log.info("wrapper peer %s sent garbage: %s; closing", self.peer, exc)
            self.transport.close()  # type: ignore[union-attr]
            return
        if out:
            self.transport.write(out)  # type: ignore[union-attr]

    def _check_idle(self) -> None:
        remaining = self.last + self.idle_timeout - self.clock()
        if remaining > 0:
            self.timer = asyncio.get_running_loop().call_later(remaining, self._check_idle)
            return
        self.timer = None
        log.info("wrapper peer %s idle for %.1f s; closing", self.peer, self.idle_timeout)
        self.transport.close()  # type: ignore[union-attr]


class HdlcProtocol(_Connection):
    """One HDLC-over-TCP connection served in ``data_received``; a 1 s loop timer runs the link timers."""

    def __init__(
        self,
        endpoints: list[DlmsEndpoint],
        idle_timeout: float = IDLE_TIMEOUT,
        limit: ConnectionLimit | None = None,
        point_to_point: bool = True,
    ) -> None:
        super().__init__(idle_timeout, limit)
        self.endpoints = endpoints
        self.point_to_point = point_to_point

    def start(self) -> None:
        """An HDLC peer for the endpoints and the link timer."""
        self.peer_state = HdlcPeer(self.endpoints, self.point_to_point)
        self._schedule()

    def data_received(self, data: bytes) -> None:
        """Feed every link; write what they answer."""
        self.last = now = self.clock()
        out = self.peer_state.feed(data, now)  # type: ignore[union-attr, call-arg]
        if out:
            self.transport.write(out)  # type: ignore[union-attr]

    def _schedule(self) -> None:
        loop = asyncio.get_running_loop()
        self.timer = loop.call_later(min(1.0, self.idle_timeout), self._tick)

    def _tick(self) -> None:
        now = self.clock()
        if now - self.last >= self.idle_timeout:
            self.timer = None
            log.info("HDLC peer %s idle for %.0f s; closing", self.peer, self.idle_timeout)
            self.transport.close()  # type: ignore[union-attr]
            return
        out = self.peer_state.feed(b"", now)  # type: ignore[union-attr, call-arg]
        if out:
            self.transport.write(out)  # type: ignore[union-attr]
        self._schedule()


class ConnectionLimit:
    """At most ``limit`` simultaneous connections on one listener; the next is closed at once and logged."""

    def __init__(self, limit: int, what: str) -> None:
        self.limit = limit
        self.what = what
        self.active = 0

    def admit(self, peer: object) -> bool:
        """Take a slot for a new connection from ``peer``; False (logged) when all are taken."""
        if self.active >= self.limit:
            log.warning(
                "%s: refusing %s, %d connections already open (max_connections=%d)",
                self.what,
                peer,
                self.active,
                self.limit,
            )
            return False
        self.active += 1
        log.info("%s: connection from %s", self.what, peer)
        return True

    def leave(self) -> None:
        """Give a connection's slot back."""
        self.active -= 1

    def wrap(self, session: Callable) -> Callable:
        """A stream connection handler that refuses beyond the limit, else runs ``session``."""

        async def handler(reader, writer) -> None:
            if not self.admit(writer.get_extra_info("peername")):
                close_quietly(writer)
                return
            try:
                await session(reader, writer)
            finally:
                self.leave()

        return handler
