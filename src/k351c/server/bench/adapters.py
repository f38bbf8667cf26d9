"""The one hook of the one transport layer: wrap an asyncio protocol factory in a tap.

With no tap (no bench switch touches the listener) ``tapped_protocol`` hands back the factory it was
given, so the listener runs exactly as before. Otherwise the protocol sees a transport whose
``write`` goes through the tap's link and faults, and every received chunk is traced first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from k351c.server.bench.link import Tap, TapConnection


def tapped_protocol(
    tap: Tap | None, factory: Callable[[], asyncio.Protocol]
) -> Callable[[], asyncio.Protocol]:
    """``factory`` itself without a tap, else a factory of protocols seen through the tap."""
    if tap is None:
        return factory
    return lambda: TappedProtocol(tap, factory())


class TappedTransport(asyncio.Transport):
    """A transport whose writes and closes go through the tap connection."""

    def __init__(self, inner: asyncio.Transport, connection: TapConnection) -> None:
        super().__init__()
        self.inner = inner
        self.connection = connection

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Hand the answer to the tap."""
        self.connection.outgoing(bytes(data))

    def close(self) -> None:
        """Close after the queued answers have left."""
        self.connection.close()

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
        """Octets not yet on the wire: the link's delayed answers and the real transport's buffer."""
        queued = sum(len(frame) for _, frame, _ in self.connection.queue)
        return queued + self.inner.get_write_buffer_size()


class TappedProtocol(asyncio.Protocol):
    """An asyncio protocol seen through a tap: requests traced, answers through the link."""

    def __init__(self, tap: Tap, inner: asyncio.Protocol) -> None:
        self.tap = tap
        self.inner = inner
        self.connection: TapConnection | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start the tap connection and give the inner protocol the tapped transport."""
        if not isinstance(transport, asyncio.Transport):
            raise TypeError(f"a tap needs a stream transport, not {type(transport).__name__}")
        self.connection = self.tap.connect(transport)
        self.inner.connection_made(TappedTransport(transport, self.connection))

    def data_received(self, data: bytes) -> None:
        """Trace, then serve."""
        if self.connection is not None:  # asyncio calls connection_made first
            self.connection.incoming(data)
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
        if self.connection is not None:
            self.connection.lost()
        self.inner.connection_lost(exc)
