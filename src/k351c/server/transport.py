"""The one transport layer: a codec's server session driven by an asyncio transport, TCP or serial.

Every listener (serve, fleet, multidrop, the optical port and its mode E, M-Bus) is a
``SessionProtocol`` around a sans-IO session. The protocol owns what every connection needs, once:
the connection limit, the idle time-out (one loop timer, re-armed lazily), back-pressure (stop
reading while the peer does not read its answers), the session's own timers, and the line settings
of a serial port (baud rate and framing changed only after the answers before them have left).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, cast

from k351c.errors import ConfigError, RemoteProtocolError
from k351c.server.bench.adapters import tapped_protocol
from k351c.server.bench.link import Tap

if TYPE_CHECKING:
    import serial

log = logging.getLogger("k351c.server")

IDLE_TIMEOUT = 300.0
CLOSE_GRACE = 2.0  # s a closing serial line may take to send what is queued
DRAIN_POLL = 0.005  # s between looks at a serial line's queue before its settings change


class Session(Protocol):
    """A codec's server side for one connection: bytes and time in, answer bytes out."""

    def feed(self, data: bytes, now: float) -> bytes:
        """Answer ``data``; RemoteProtocolError closes the connection."""

    def poll(self, now: float) -> bytes:
        """Run the session's timers; what they send."""

    def release(self) -> None:
        """Drop what the connection held (associations, selections)."""

    @property
    def partial(self) -> bool:
        """True while a frame is half received (a trickle is not activity)."""


class Link(Protocol):
    """What a session may ask of its connection beyond returning answer bytes."""

    def write(self, data: bytes) -> None:
        """Send bytes now (before a line change)."""

    def set_line(self, baud: int, eight_n_one: bool) -> None:
        """Change a serial line's baud rate and framing after what was written has left."""


SessionFactory = Callable[[Link], Session]


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


class SessionProtocol(asyncio.Protocol):
    """One connection of any listener: a session served in ``data_received``, no task per request.

    ``idle_timeout`` None keeps the connection however long it is silent (a serial line); ``tick``
    is how often the session's own timers run (None: the session has none).
    """

    def __init__(
        self,
        factory: SessionFactory,
        what: str,
        idle_timeout: float | None = IDLE_TIMEOUT,
        limit: ConnectionLimit | None = None,
        tick: float | None = None,
    ) -> None:
        self.factory = factory
        self.what = what
        self.idle_timeout = idle_timeout
        self.limit = limit
        self.tick = tick
        self.session: Session | None = None
        self.transport: asyncio.Transport  # set by connection_made, before any other call
        self.peer: object = None
        self.admitted = False
        self.timer: asyncio.TimerHandle | None = None
        self.loop = asyncio.get_running_loop()
        self.last = 0.0
        self.held: list[tuple[bool, bytes]] | None = None  # (outgoing, bytes) while a line changes
        self.closed = asyncio.Event()

    # ---- asyncio.Protocol ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Admit the connection (or refuse it beyond the limit), build its session, start its timer."""
        self.transport = cast(asyncio.Transport, transport)
        self.peer = transport.get_extra_info("peername") or transport.get_extra_info("serial")
        if self.limit is not None and not self.limit.admit(self.peer):
            transport.close()
            return
        self.admitted = True
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.last = self.loop.time()
        self.session = self.factory(self)
        self._arm(self.loop.time())

    def data_received(self, data: bytes) -> None:
        """Answer at once; garbage closes the connection."""
        if self.session is None:
            return
        if self.held is not None:
            self.held.append((False, data))
            return
        now = self.loop.time()
        try:
            out = self.session.feed(data, now)
        except RemoteProtocolError as exc:
            log.info("%s peer %s sent garbage: %s; closing", self.what, self.peer, exc)
            self.transport.close()
            return
        if not self.session.partial:
            self.last = now
        if out:
            self.write(out)

    def eof_received(self) -> bool:
        """The peer closed its side: close ours."""
        return False

    def pause_writing(self) -> None:
        """The peer does not read its answers: stop reading its requests until it does."""
        self.transport.pause_reading()

    def resume_writing(self) -> None:
        """The peer caught up: read again."""
        self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the timer, release the session and the connection slot."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.session is not None:
            self.session.release()
            self.session = None
        if self.admitted and self.limit is not None:
            self.limit.leave()
        self.admitted = False
        self.closed.set()

    # ---- Link ------------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        """Send bytes (held back while a serial line changes its settings)."""
        if self.held is not None:
            self.held.append((True, data))
            return
        self.transport.write(data)

    def set_line(self, baud: int, eight_n_one: bool) -> None:
        """Change a serial line after what was written left; TCP has no line (nothing to do)."""
        port = self.transport.get_extra_info("serial")
        if port is None or self.session is None:
            return
        self.held = self.held if self.held is not None else []
        self.transport.pause_reading()
        self.loop.create_task(self._change_line(port, baud, eight_n_one))

    async def _change_line(self, port: serial.Serial, baud: int, eight_n_one: bool) -> None:
        transport = self.transport
        while transport.get_write_buffer_size() and not transport.is_closing():
            await asyncio.sleep(DRAIN_POLL)
        with contextlib.suppress(Exception):
            await asyncio.to_thread(port.flush)
        configure_line(port, baud, eight_n_one)
        held, self.held = self.held or [], None
        if transport.is_closing():
            return
        transport.resume_reading()
        for outgoing, data in held:
            if outgoing:
                self.write(data)
            else:
                self.data_received(data)

    # ---- timers ----------------------------------------------------------------------------
    def _arm(self, now: float) -> None:
        """Schedule the next look: the session's tick or the idle deadline, whichever is first."""
        delays = [self.tick] if self.tick is not None else []
        if self.idle_timeout is not None:
            delays.append(max(0.0, self.last + self.idle_timeout - now))
        if delays:
            self.timer = self.loop.call_later(min(delays), self._on_timer)

    def _on_timer(self) -> None:
        self.timer = None
        if self.session is None:
            return
        now = self.loop.time()
        if self.idle_timeout is not None and now - self.last >= self.idle_timeout:
            log.info("%s peer %s idle for %.1f s; closing", self.what, self.peer, self.idle_timeout)
            self.transport.close()
            return
        if self.tick is not None and self.held is None:
            out = self.session.poll(now)
            if out:
                self.write(out)
        self._arm(now)


async def listen_tcp(
    factory: SessionFactory,
    what: str,
    host: str,
    port: int,
    *,
    idle_timeout: float | None,
    limit: ConnectionLimit | None,
    tick: float | None = None,
    tap: Tap | None = None,
    backlog: int = 100,
) -> asyncio.AbstractServer:
    """A TCP listener serving ``factory``'s sessions; ConfigError naming the port if it cannot listen."""
    loop = asyncio.get_running_loop()
    protocol = tapped_protocol(tap, lambda: SessionProtocol(factory, what, idle_timeout, limit, tick))
    try:
        return await loop.create_server(protocol, host, port, backlog=backlog)
    except OSError as exc:
        raise ConfigError("port", port, f"a free port on {host}", exc.strerror or str(exc)) from exc


def open_serial(device: str, flag: str = "--serial", baudrate: int = 9600) -> serial.Serial:
    """The one serial opener (optical, M-Bus, RS-485): a non-blocking pyserial port at 8N1, or
    ConfigError naming ``flag``. Other framing is set afterwards with ``set_framing``."""
    import serial

    try:
        return serial.serial_for_url(device, baudrate=baudrate, timeout=0, write_timeout=0)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise ConfigError(flag, device, "a serial device that exists and can be opened", str(exc)) from exc


class SerialListener:
    """A session on one serial line, as long as the listener runs (closed like an asyncio server)."""

    def __init__(self, transport: asyncio.Transport, protocol: SessionProtocol) -> None:
        self.transport = transport
        self.protocol = protocol

    def close(self) -> None:
        """Stop serving the line and close the port once the queued answers have left."""
        self.transport.close()

    async def wait_closed(self) -> None:
        """Wait until the port is closed; answers a peer still has not taken after a grace time are dropped."""
        try:
            await asyncio.wait_for(asyncio.shield(self.protocol.closed.wait()), CLOSE_GRACE)
        except TimeoutError:
            log.info("%s: dropping answers nobody read; closing the line", self.protocol.what)
            self.transport.abort()
            await self.protocol.closed.wait()


async def serve_serial(
    factory: SessionFactory,
    what: str,
    device: str,
    *,
    flag: str = "--serial",
    tick: float | None = None,
    tap: Tap | None = None,
    baudrate: int = 9600,
    **framing: object,
) -> SerialListener:
    """Serve ``factory``'s session on a serial device (pyserial) until closed; no idle time-out, no limit.

    ``framing`` are pyserial attributes (bytesize, parity, stopbits) set once the port is open.
    """
    from serial_asyncio_fast import connection_for_serial

    port = open_serial(device, flag, baudrate)
    made: list[SessionProtocol] = []

    def protocol() -> SessionProtocol:
        made.append(SessionProtocol(factory, what, None, None, tick))
        return made[0]

    loop = asyncio.get_running_loop()
    transport, _ = await connection_for_serial(loop, tapped_protocol(tap, protocol), port)
    set_framing(port, **framing)  # after the transport made the port non-blocking
    log.info("%s on serial %s", what, device)
    return SerialListener(cast(asyncio.Transport, transport), made[0])


def configure_line(port: serial.Serial, baud: int, eight_n_one: bool) -> None:
    """Set a pyserial port's baud rate and framing: 8N1, or 7E1 (IEC 62056-21 before mode E)."""
    import serial

    set_framing(
        port,
        baudrate=baud,
        bytesize=serial.EIGHTBITS if eight_n_one else serial.SEVENBITS,
        parity=serial.PARITY_NONE if eight_n_one else serial.PARITY_EVEN,
    )


def set_framing(port: serial.Serial, **attributes: object) -> None:
    """Set pyserial attributes one by one; one the device refuses (a pty has no 7E1) is logged, not fatal."""
    for name, value in attributes.items():
        if getattr(port, name) == value:
            continue
        try:
            setattr(port, name, value)
        except Exception as exc:  # SerialException, ValueError, or termios.error (not an OSError)
            log.warning("serial %s: cannot set %s=%s (%s)", port.port, name, value, exc)
