"""The optical port (IEC 62056-21) on TCP port 4062 and on a serial line (7E1, real baud-rate switch).

Each connection runs one sans-IO `Iec62056Server`; this module only moves bytes, applies the baud
rate changes and the time limits. After a mode E option select the byte stream goes to
``runtime.hdlc_session_factory(reader, writer, initial_bytes)`` (a coroutine that returns when the
HDLC session ends); without that attribute the meter answers nothing more and the dialogue returns
to idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from k351c.protocols.iec62056_21 import (
    NEED_DATA,
    BaudRateChange,
    Iec62056Server,
    Send,
    State,
    SwitchToHdlc,
    Timing,
)
from k351c.protocols.iec62056_21.messages import INITIAL_BAUD
from k351c.server.bench import tapped_handler
from k351c.server.bench.adapters import TappedReader, TappedWriter
from k351c.server.bench.link import runtime_tap
from k351c.server.optical_backend import Lockout, MeterOpticalBackend
from k351c.server.runtime import HdlcSessionFactory, ListenerFactory, Runtime

log = logging.getLogger("k351c.server.optical")

OPTICAL_PORT = 4062
DRAIN_POLL = 0.005  # s between looks at the bench's queue of delayed answers
POLL = 0.2
READ_SIZE = 4096
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
    ) -> None:
        self.runtime = runtime
        self.max_baud = max_baud
        self.timing = timing
        self.idle_close = timing.inactivity if idle_close is None else idle_close
        self.lockout = lockout or Lockout(runtime.meter.clock.monotonic)

    def backend(self) -> MeterOpticalBackend:
        """A backend for one connection (pending writes are per connection, the lockout is shared)."""
        return MeterOpticalBackend(
            self.runtime.meter,
            lambda: self.runtime.keys.keys.lls_password,
            lockout=self.lockout,
            sync=self.runtime.sync,
        )

    async def serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One TCP connection: dialogues until the peer leaves or stays silent too long."""
        peer = writer.get_extra_info("peername")
        log.debug("optical connection from %s", peer)
        try:
            await self.dialogue(reader, writer, None)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def dialogue(self, reader: Any, writer: Any, line: SerialLine | None) -> None:
        """Feed bytes and time to the codec, carry out its events; returns at EOF or on idle timeout."""
        loop = asyncio.get_running_loop()
        server = Iec62056Server(self.backend(), max_baud=self.max_baud, timing=self.timing)
        heard = loop.time()
        while not self.runtime.stopping.is_set():
            try:
                data: bytes | None = await asyncio.wait_for(reader.read(READ_SIZE), POLL)
            except TimeoutError:
                data = None
            now = loop.time()
            if data == b"":
                return
            if data:
                heard = now
            if not self._feed(server, data, now):
                await self._set_line(line, INITIAL_BAUD, hdlc=False)
                continue
            initial = await self._carry_out(server, writer, line)
            if initial is not None:
                await self._hdlc(reader, writer, line, initial)
                if writer.is_closing():
                    return
                server.reset()
                await self._set_line(line, INITIAL_BAUD, hdlc=False)
                heard = loop.time()
            idle = server.state is State.IDLE and now - heard >= self.idle_close
            if idle and line is None:
                return

    def _feed(self, server: Iec62056Server, data: bytes | None, now: float) -> bool:
        """Give the codec bytes or the time; on any failure log it and start over idle."""
        try:
            if data:
                server.receive_data(data, now)
            else:
                server.check_timeout(now)
        except Exception:
            log.exception("optical port: dialogue failed; back to idle")
            server.reset()
            while server.next_event() is not NEED_DATA:
                pass
            return False
        return True

    async def _carry_out(
        self, server: Iec62056Server, writer: Any, line: SerialLine | None
    ) -> bytes | None:
        """Write Send events, switch the baud rate after the bytes before it left; mode E bytes or None."""
        while (event := server.next_event()) is not NEED_DATA:
            if isinstance(event, Send):
                writer.write(event.data)
            elif isinstance(event, BaudRateChange):
                await writer.drain()
                await self._set_line(line, event.baud, hdlc=False)
            elif isinstance(event, SwitchToHdlc):
                await writer.drain()
                await self._set_line(line, server.baud, hdlc=True)
                return event.data
        await writer.drain()
        return None

    async def _set_line(self, line: SerialLine | None, baud: int, hdlc: bool) -> None:
        """Switch a serial line (TCP has no baud rate)."""
        if line is not None:
            await line.configure(baud, hdlc)

    async def _hdlc(
        self, reader: Any, writer: Any, line: SerialLine | None, initial: bytes
    ) -> None:
        """Mode E: hand the stream to the HDLC session, if the runtime has one."""
        factory = self.runtime.hdlc_session_factory
        if factory is None:
            log.info("optical port: mode E requested but no HDLC session is available")
            return
        log.info("optical port: mode E, HDLC at %s baud", line.baud if line else "TCP")
        try:
            await factory(reader, writer, initial)
        except Exception:
            log.exception("optical port: HDLC session failed")


class SerialLine:
    """A pyserial port as an asyncio byte stream: 7E1 for IEC 62056-21, 8N1 in mode E."""

    def __init__(self, device: str) -> None:
        import serial

        self._serial_mod = serial
        self.port = serial.Serial(
            device,
            baudrate=INITIAL_BAUD,
            bytesize=serial.SEVENBITS,
            parity=serial.PARITY_EVEN,
            stopbits=serial.STOPBITS_ONE,
            timeout=0,
            write_timeout=5,
        )
        self.baud = INITIAL_BAUD
        self.reader = asyncio.StreamReader()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start feeding received bytes into ``reader``."""
        self._loop = loop
        loop.add_reader(self.port.fileno(), self._readable)

    def _readable(self) -> None:
        """Move what the port has into the reader."""
        try:
            data = self.port.read(self.port.in_waiting or 1)
        except Exception:
            data = b""
        if data:
            self.reader.feed_data(data)

    async def configure(self, baud: int, hdlc: bool) -> None:
        """Wait until sent bytes left, then set the baud rate and the framing (8N1 in mode E)."""
        await asyncio.to_thread(self.port.flush)
        s = self._serial_mod
        wanted = {
            "baudrate": baud,
            "bytesize": s.EIGHTBITS if hdlc else s.SEVENBITS,
            "parity": s.PARITY_NONE if hdlc else s.PARITY_EVEN,
        }
        for name, value in wanted.items():
            if getattr(self.port, name) == value:
                continue
            try:
                setattr(self.port, name, value)
            except (OSError, ValueError, s.SerialException) as exc:
                log.warning("serial %s: cannot set %s=%s (%s)", self.port.port, name, value, exc)
        self.baud = baud

    @property
    def transport(self) -> SerialLine:
        """The line is its own transport (write, close, is_closing, get_extra_info)."""
        return self

    # the StreamWriter subset the dialogue and the HDLC session use
    def write(self, data: bytes) -> None:
        """Queue bytes on the line."""
        self.port.write(data)

    async def drain(self) -> None:
        """Nothing buffered here; pyserial writes through."""

    def is_closing(self) -> bool:
        """True after close()."""
        return self._closed

    def close(self) -> None:
        """Stop reading and close the port."""
        if self._closed:
            return
        self._closed = True
        if self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self.port.fileno())
        self.port.close()
        self.reader.feed_eof()

    async def wait_closed(self) -> None:
        """Closing is immediate."""

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """The device name as the peer."""
        return self.port.port if name == "peername" else default


class LineWriter(TappedWriter):
    """The serial line seen through the bench: ``drain`` returns once the link has sent every answer."""

    async def drain(self) -> None:
        """Wait for the delayed answers too, so a baud rate change follows the bytes before it."""
        while self.connection.queue and not self.connection.dead:
            await asyncio.sleep(DRAIN_POLL)
        await self.writer.drain()


async def serve_serial(
    port: OpticalPort, device: str, started: Callable[[SerialLine], None] | None = None
) -> None:
    """Run the optical protocol on a serial device until the runtime stops; `started` sees the open line."""
    line = SerialLine(device)
    line.attach(asyncio.get_running_loop())
    log.info("optical port on serial %s (7E1, %d baud)", device, INITIAL_BAUD)
    if started is not None:
        started(line)
    reader, writer, connection = line.reader, line, None
    tap = runtime_tap(port.runtime, f"optical:{device}", "optical")
    if tap is not None:  # the bench (--trace, --link-*, --fault) sees the serial line like a TCP one
        connection = tap.connect(line)  # type: ignore[arg-type]
        reader, writer = TappedReader(line.reader, connection), LineWriter(line, connection)  # type: ignore[assignment, arg-type]
    try:
        while not port.runtime.stopping.is_set() and not line.is_closing():
            await port.dialogue(reader, writer, line)
            if line.is_closing():
                break
            await line.configure(INITIAL_BAUD, hdlc=False)
    finally:
        if connection is not None:
            connection.lost()
        line.close()


_TASKS: set[asyncio.Task] = set()


class _PrefixedReader:
    """A stream reader that first returns bytes already read (those after the mode E option select)."""

    def __init__(self, reader: Any, initial: bytes) -> None:
        self._reader = reader
        self._initial = initial

    async def read(self, n: int = -1) -> bytes:
        """The saved bytes first, then the stream's."""
        if self._initial:
            data, self._initial = self._initial, b""
            return data
        return await self._reader.read(n)

    def at_eof(self) -> bool:
        """True when the saved bytes are gone and the stream has ended."""
        return not self._initial and self._reader.at_eof()


def dlms_over_optical(runtime: Runtime) -> HdlcSessionFactory:
    """Mode E: the meter's DLMS endpoint over HDLC on the optical byte stream."""
    from k351c.server.dlms import endpoint_for, hdlc_session

    endpoint = endpoint_for(runtime)

    async def factory(reader: Any, writer: Any, initial: bytes) -> None:
        await hdlc_session(_PrefixedReader(reader, initial) if initial else reader, writer, [endpoint])

    return factory


# modules whose own bus takes the --serial line (M-Bus 068, RS-485 multidrop 072)
SERIAL_MODULES = frozenset({68, 72})


def optical_listener(
    port: int = OPTICAL_PORT, serial: str | None = None, **options: Any
) -> ListenerFactory:
    """Listener factory: the optical port on TCP ``port`` (0 = off) and on ``serial`` if given."""

    async def start(runtime: Runtime) -> asyncio.AbstractServer | None:
        if runtime.hdlc_session_factory is None:
            runtime.hdlc_session_factory = dlms_over_optical(runtime)
        optical = OpticalPort(runtime, **options)
        if serial and runtime.meter.config.module_code in SERIAL_MODULES:
            log.info("optical port: --serial %s belongs to the fitted module's bus, not the optical head", serial)
        elif serial:
            task = asyncio.get_running_loop().create_task(serve_serial(optical, serial))
            _TASKS.add(task)
            task.add_done_callback(_TASKS.discard)
        if not port:
            return None
        tap = runtime_tap(runtime, f"optical:{port}", "optical")
        server = await asyncio.start_server(
            tapped_handler(tap, optical.serve_tcp), runtime.host, port
        )
        log.info("optical port (IEC 62056-21) listening on %s:%d", runtime.host, port)
        return server

    return start
