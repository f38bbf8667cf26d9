"""The one hook per adapter: wrap an asyncio protocol factory or a stream handler in a tap.

With no tap (no bench switch touches the listener) both functions hand back what they were given,
so the listener runs exactly as before. Otherwise the protocol or the streams see a transport whose
``write`` goes through the tap's link and faults, and every received chunk is traced first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from k351c.server.bench.link import Tap, TapConnection

StreamHandler = Callable[[Any, Any], Awaitable[None]]


def tapped_protocol(
    tap: Tap | None, factory: Callable[[], asyncio.Protocol]
) -> Callable[[], asyncio.Protocol]:
    """``factory`` itself without a tap, else a factory of protocols seen through the tap."""
    if tap is None:
        return factory
    return lambda: TappedProtocol(tap, factory())


def tapped_handler(tap: Tap | None, handler: StreamHandler) -> StreamHandler:
    """``handler`` itself without a tap, else a handler whose streams go through the tap."""
    if tap is None:
        return handler

    async def tapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = tap.connect(writer.transport)
        try:
            await handler(TappedReader(reader, connection), TappedWriter(writer, connection))
        finally:
            connection.lost()

    return tapped


class TappedTransport(asyncio.Transport):
    """A transport whose writes and closes go through the tap connection."""

    def __init__(self, inner: asyncio.Transport) -> None:
        super().__init__()
        self.inner = inner
        self.connection: TapConnection | None = None

    def write(self, data: bytes) -> None:
        """Hand the answer to the tap."""
        self.connection.outgoing(data)  # type: ignore[union-attr]

    def close(self) -> None:
        """Close after the queued answers have left."""
        self.connection.close()  # type: ignore[union-attr]

    def abort(self) -> None:
        """Close at once."""
        self.inner.abort()

    def is_closing(self) -> bool:
        """Whether the real transport is closing."""
        return self.inner.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """The real transport's extra info."""
        return self.inner.get_extra_info(name, default)

    def pause_reading(self) -> None:
        """Stop reading the peer."""
        self.inner.pause_reading()

    def resume_reading(self) -> None:
        """Read the peer again."""
        self.inner.resume_reading()

    def get_write_buffer_size(self) -> int:
        """Octets waiting in the real transport."""
        return self.inner.get_write_buffer_size()


class TappedProtocol(asyncio.Protocol):
    """An asyncio protocol seen through a tap: requests traced, answers through the link."""

    def __init__(self, tap: Tap, inner: asyncio.Protocol) -> None:
        self.tap = tap
        self.inner = inner
        self.connection: TapConnection | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start the tap connection and give the inner protocol the tapped transport."""
        self.connection = self.tap.connect(transport)
        tapped = TappedTransport(transport)  # type: ignore[arg-type]
        tapped.connection = self.connection
        self.inner.connection_made(tapped)

    def data_received(self, data: bytes) -> None:
        """Trace, then serve."""
        self.connection.incoming(data)  # type: ignore[union-attr]
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        """As the inner protocol says."""
        return self.inner.eof_received()

    def pause_writing(self) -> None:
        """Pass back-pressure on."""
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        """Pass back-pressure on."""
        self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        """End the tap connection, then the inner protocol's."""
        self.connection.lost()  # type: ignore[union-attr]
        self.inner.connection_lost(exc)


class TappedReader:
    """A stream reader that traces what it reads."""

    def __init__(self, reader: Any, connection: TapConnection) -> None:
        self.reader = reader
        self.connection = connection

    async def read(self, n: int = -1) -> bytes:
        """Read and trace."""
        data = await self.reader.read(n)
        self.connection.incoming(data)
        return data

    def at_eof(self) -> bool:
        """Whether the peer closed."""
        return self.reader.at_eof()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.reader, name)


class TappedWriter:
    """A stream writer whose writes and close go through the tap connection."""

    def __init__(self, writer: asyncio.StreamWriter, connection: TapConnection) -> None:
        self.writer = writer
        self.connection = connection
        self.transport = writer.transport

    def write(self, data: bytes) -> None:
        """Hand the answer to the tap."""
        self.connection.outgoing(data)

    async def drain(self) -> None:
        """Wait for the real stream."""
        await self.writer.drain()

    def close(self) -> None:
        """Close after the queued answers have left."""
        self.connection.close()

    def is_closing(self) -> bool:
        """Whether the real stream is closing."""
        return self.writer.is_closing()

    async def wait_closed(self) -> None:
        """Wait for the real stream to close (if it was closed)."""
        if self.writer.is_closing():
            await self.writer.wait_closed()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """The real stream's extra info."""
        return self.writer.get_extra_info(name, default)
