"""The optical port (IEC 62056-21) on TCP port 4062 and on a serial line (7E1, real baud-rate switch).

Each connection runs one sans-IO ``Iec62056Server`` in an ``OpticalSession`` on the one transport
layer (k351c.server.transport); this module turns the codec's events into bytes and line changes.
After a mode E option select the same session hands the stream to the meter's DLMS endpoint over
HDLC (8N1), and back to the sign-on at 300 baud when the HDLC link is disconnected or falls silent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from k351c.protocols.iec62056_21 import (
    NEED_DATA,
    BaudRateChange,
    Iec62056Server,
    Send,
    SwitchToHdlc,
    Timing,
)
from k351c.protocols.iec62056_21.messages import INITIAL_BAUD
from k351c.server.bench.link import Tap, runtime_tap
from k351c.server.dlms import endpoint_for
from k351c.server.dlms_peers import HdlcPeer
from k351c.server.endpoint import DlmsEndpoint
from k351c.server.optical_backend import Lockout, MeterOpticalBackend
from k351c.server.runtime import ListenerFactory, Runtime
from k351c.server.transport import ConnectionLimit, Link, SerialListener, listen_tcp, serve_serial

log = logging.getLogger("k351c.server.optical")

OPTICAL_PORT = 4062
POLL = 0.2  # s between looks at the dialogue's time limits
DEFAULT_TIMING = Timing()


class OpticalPort:
    """The meter's optical port: one lockout for every connection, one dialogue per connection."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        max_baud: int = 19200,
        timing: Timing = DEFAULT_TIMING,
        idle_close: float | None = None,
        lockout: Lockout | None = None,
        endpoint: DlmsEndpoint | None = None,
        hdlc_idle: float | None = None,
    ) -> None:
        self.runtime = runtime
        self.max_baud = max_baud
        self.timing = timing
        self.idle_close = timing.inactivity if idle_close is None else idle_close
        self.hdlc_idle = runtime.settings.hdlc_inactivity if hdlc_idle is None else hdlc_idle
        self.lockout = lockout or Lockout(runtime.meter.clock.monotonic)
        self.endpoint = endpoint

    def backend(self) -> MeterOpticalBackend:
        """A backend for one connection (pending writes are per connection, the lockout is shared)."""
        return MeterOpticalBackend(
            self.runtime.meter,
            lambda: self.runtime.keys.keys.lls_password,
            lockout=self.lockout,
            sync=self.runtime.sync,
        )

    def session(self, link: Link) -> OpticalSession:
        """A dialogue for one connection (the transport's session factory)."""
        return OpticalSession(self, link)

    def hdlc_endpoint(self) -> DlmsEndpoint:
        """The meter's DLMS endpoint for mode E (built at the first mode E)."""
        if self.endpoint is None:
            self.endpoint = endpoint_for(self.runtime)
        return self.endpoint

    async def listen(self, host: str, port: int, tap: Tap | None = None) -> asyncio.AbstractServer:
        """The optical port on TCP: a connection silent for ``idle_close`` seconds is closed, and at
        most ``max_connections`` are open at a time."""
        limit = ConnectionLimit(self.runtime.settings.max_connections, f"optical port {port}")
        return await listen_tcp(
            self.session, "optical", host, port, idle_timeout=self.idle_close, limit=limit, tick=POLL, tap=tap
        )

    async def serve_serial(self, device: str, tap: Tap | None = None) -> SerialListener:
        """The optical port on a serial device: 300 baud 7E1 until a dialogue switches it."""
        import serial

        return await serve_serial(
            self.session,
            "optical port",
            device,
            tick=POLL,
            tap=tap,
            baudrate=INITIAL_BAUD,
            bytesize=serial.SEVENBITS,
            parity=serial.PARITY_EVEN,
            stopbits=serial.STOPBITS_ONE,
        )


class OpticalSession:
    """One connection of the optical port: the IEC 62056-21 dialogue, then HDLC after a mode E select."""

    def __init__(self, port: OpticalPort, link: Link) -> None:
        self.port = port
        self.link = link
        self.codec = Iec62056Server(port.backend(), max_baud=port.max_baud, timing=port.timing)
        self.hdlc: HdlcPeer | None = None
        self.hdlc_heard = 0.0
        self.hdlc_connected = False

    @property
    def partial(self) -> bool:
        """Every octet counts as activity (the codec has its own inter-character limit)."""
        return False

    def feed(self, data: bytes, now: float) -> bytes:
        """Answer ``data`` in the dialogue or, in mode E, on the HDLC link."""
        if self.hdlc is not None:
            self.hdlc_heard = now
            return self._hdlc_out(self.hdlc.feed(data, now))
        return self._step(lambda: self.codec.receive_data(data, now), now)

    def poll(self, now: float) -> bytes:
        """Apply the time limits of the dialogue or of the HDLC link."""
        if self.hdlc is not None:
            if now - self.hdlc_heard >= self.port.hdlc_idle:
                log.info("optical port: HDLC silent for %.0f s; back to the sign-on", self.port.hdlc_idle)
                self._leave_hdlc()
                return b""
            return self._hdlc_out(self.hdlc.poll(now))
        return self._step(lambda: self.codec.check_timeout(now), now)

    def release(self) -> None:
        """Drop the mode E associations."""
        if self.hdlc is not None:
            self.hdlc.release()

    def _step(self, step: Callable[[], None], now: float) -> bytes:
        """Run one codec step and carry out its events; on any failure start over idle at 300 baud."""
        try:
            step()
            return self._carry_out(now)
        except Exception:
            log.exception("optical port: dialogue failed; back to idle")
            self.codec.reset()
            while self.codec.next_event() is not NEED_DATA:
                pass
            self.link.set_line(INITIAL_BAUD, False)
            return b""

    def _carry_out(self, now: float) -> bytes:
        """Send events become bytes; a baud rate change or mode E waits for the bytes before it."""
        out = b""
        while (event := self.codec.next_event()) is not NEED_DATA:
            if isinstance(event, Send):
                out += event.data
            elif isinstance(event, BaudRateChange):
                self.link.write(out)
                out = b""
                self.link.set_line(event.baud, False)
            elif isinstance(event, SwitchToHdlc):
                self.link.write(out)
                self.link.set_line(self.codec.baud, True)
                log.info("optical port: mode E, HDLC at %d baud", self.codec.baud)
                self.hdlc = HdlcPeer([self.port.hdlc_endpoint()])
                self.hdlc_heard, self.hdlc_connected = now, False
                return self._hdlc_out(self.hdlc.feed(event.data, now)) if event.data else b""
        return out

    def _hdlc_out(self, out: bytes) -> bytes:
        """HDLC's answer; once the link it opened is disconnected, the line goes back to the sign-on."""
        assert self.hdlc is not None
        connected = any(link.connected for _, link, _ in self.hdlc.links.values())
        if connected or not self.hdlc_connected:
            self.hdlc_connected = self.hdlc_connected or connected
            return out
        self.link.write(out)
        self._leave_hdlc()
        return b""

    def _leave_hdlc(self) -> None:
        assert self.hdlc is not None
        self.hdlc.release()
        self.hdlc = None
        self.codec.reset()
        self.link.set_line(INITIAL_BAUD, False)


# modules whose own bus takes the --serial line (M-Bus 068, RS-485 multidrop 072)
SERIAL_MODULES = frozenset({68, 72})


def optical_listener(
    port: int = OPTICAL_PORT, serial: str | None = None, **options: Any
) -> ListenerFactory:
    """Listener factory: the optical port on TCP ``port`` (0 = off) and on ``serial`` if given."""

    async def start(runtime: Runtime) -> asyncio.AbstractServer | None:
        optical = OpticalPort(runtime, **options)
        if serial and runtime.meter.config.module_code in SERIAL_MODULES:
            log.info("optical port: --serial %s belongs to the fitted module's bus, not the optical head", serial)
        elif serial:
            tap = runtime_tap(runtime, f"optical:{serial}", "optical")
            runtime.servers.append(await optical.serve_serial(serial, tap))
        if not port:
            return None
        server = await optical.listen(runtime.host, port, runtime_tap(runtime, f"optical:{port}", "optical"))
        log.info("optical port (IEC 62056-21) listening on %s:%d", runtime.host, port)
        return server

    return start
