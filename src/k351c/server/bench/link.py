"""One connection through the bench: trace both directions, then delay, drop, corrupt, duplicate,
stall or reset the answers as the link emulation and the seeded faults say.

Answers wait in one queue per connection with their due times (never reordered: a serial line sends
one frame after the other), so latency, jitter, bit rate and stalls add up the way a head-end sees them.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

from k351c.clock import SystemClock
from k351c.protocols.decode import KeySource, StreamDecoder
from k351c.server.bench.options import BenchOptions, FaultSpec
from k351c.server.bench.quirks import ASSOCIATION_QUIRKS
from k351c.server.bench.trace import FaultCounters, TraceSink

log = logging.getLogger("k351c.bench")

SLOW_FIRST_ANSWER = 3.0
LINK_QUIRKS = frozenset({"slow-first-answer", "release-closes-connection"})
RLRE = 0x63
BITS_PER_OCTET = 10
_WALL = SystemClock()


class Bench:
    """The bench of one process: options, the trace sink and the fault counters every tap shares."""

    def __init__(self, options: BenchOptions, meter_time: Callable[[], float] | None = None) -> None:
        self.options = options
        self.sink = TraceSink(options.trace) if options.trace else None
        self.counters = FaultCounters()
        self.meter_time = meter_time or _WALL.timestamp
        self.connections = 0
        self.open_associations: dict[int, set] = {}

    def tap(
        self, listener: str, kind: str, meter: int | None = None, keys: KeySource | None = None
    ) -> Tap | None:
        """The tap of one listener, or None when nothing would change on it (zero cost)."""
        options = self.options
        link = options.link if kind in options.link.listeners else None
        faults = options.faults_for(meter)
        quirks = options.quirks_for(meter if meter is not None else 0) & LINK_QUIRKS
        if self.sink is None and not faults and not quirks and (link is None or not link.active):
            return None
        return Tap(self, listener, kind, meter, keys, faults, quirks)

    def configure(self, endpoint, meter: int) -> None:  # noqa: ANN001
        """Give a DLMS endpoint of meter ``meter`` its quirks and the meter's set of open associations."""
        endpoint.quirks = self.options.quirks_for(meter) & ASSOCIATION_QUIRKS
        endpoint.open_associations = self.open_associations.setdefault(meter, set())

    def close(self) -> None:
        """Close the trace file."""
        if self.sink is not None:
            self.sink.close()


def runtime_tap(runtime, listener: str, kind: str) -> Tap | None:  # noqa: ANN001
    """The tap of one listener of a single-meter runtime (None without the bench)."""
    bench = runtime.bench
    if bench is None:
        return None

    def keys() -> tuple[bytes, bytes]:
        current = runtime.keys.keys
        return current.key("encryption_key"), current.key("authentication_key")

    return bench.tap(listener, kind, 0, keys)


class Tap:
    """What the bench does on one listener; ``connect`` starts one connection."""

    def __init__(
        self,
        bench: Bench,
        listener: str,
        kind: str,
        meter: int | None,
        keys: KeySource | None,
        faults: tuple[FaultSpec, ...],
        quirks: frozenset[str],
    ) -> None:
        self.bench = bench
        self.listener = listener
        self.kind = kind
        self.meter = meter
        self.keys = keys
        self.faults = faults
        self.slow_first = "slow-first-answer" in quirks
        self.close_on_release = "release-closes-connection" in quirks
        link = bench.options.link
        self.link = link if kind in link.listeners and link.active else None

    def connect(self, transport: asyncio.Transport) -> TapConnection:
        """A connection through this tap over ``transport``."""
        self.bench.connections += 1
        return TapConnection(self, transport, self.bench.connections)


class TapConnection:
    """One connection: its decoder, its fault dice and its queue of answers to put on the wire."""

    def __init__(self, tap: Tap, transport: asyncio.Transport, number: int) -> None:
        self.tap = tap
        self.transport = transport
        self.number = number
        self.peer = transport.get_extra_info("peername")
        self.decoder = StreamDecoder(tap.kind, tap.keys)
        seed = f"{tap.kind}:{tap.meter}:{number}"
        self.dice = [(f, random.Random(f"{f.kind}:{f.seed}:{seed}")) for f in tap.faults]
        self.jitter = random.Random(f"jitter:{seed}")
        self.loop = asyncio.get_running_loop()
        self.queue: deque[tuple[float, bytes, list[str]]] = deque()
        self.timer: asyncio.TimerHandle | None = None
        self.busy_until = 0.0
        self.answers = 0
        self.closing = False
        self.dead = False
        self._record("connect", b"", {"peer": str(self.peer)})

    # ------------------------------------------------------------------ in
    def incoming(self, data: bytes) -> None:
        """Trace the request frames ``data`` completes."""
        if self.tap.bench.sink is None or not data:
            return
        for frame in self.decoder.frames(data, True):
            self._record("in", frame, self.decoder.describe(frame, True))

    # ----------------------------------------------------------------- out
    def outgoing(self, data: bytes) -> None:
        """Send the answer frames in ``data`` through the link and the faults."""
        if self.dead:
            return
        frames = self.decoder.frames(data, False)
        rest = self.decoder.pending[False]
        if rest:
            frames.append(bytes(rest))
            rest.clear()
        for frame in frames:
            self._answer(frame)

    def _answer(self, frame: bytes) -> None:
        self.answers += 1
        extra = 0.0
        faults: list[str] = []
        copies = [frame]
        for spec, dice in self.dice:
            if spec.kind == "reset" and self.answers > spec.after and dice.random() < spec.rate:
                self._count("reset")
                self._record("out", frame, self._describe(frame), faults=["reset"])
                self.reset()
                return
            if spec.kind == "reset" or dice.random() >= spec.rate:
                continue
            faults.append(spec.kind)
            self._count(spec.kind)
            if spec.kind == "drop":
                copies = []
            elif spec.kind == "corrupt" and copies:
                copies = [_corrupt(copies[0], dice)]
            elif spec.kind == "duplicate" and copies:
                copies = copies + copies[:1]
            elif spec.kind == "stall":
                extra += spec.seconds
        if self.tap.slow_first and self.answers == 1:
            extra += SLOW_FIRST_ANSWER
            faults.append("slow-first-answer")
        if not copies:
            self._record("out", frame, self._describe(frame), faults=faults)
            return
        for copy in copies:
            self._schedule(copy, extra, faults)

    def _schedule(self, frame: bytes, extra: float, faults: list[str]) -> None:
        link = self.tap.link
        delay = extra
        transmit = 0.0
        if link is not None:
            delay += link.latency + (self.jitter.uniform(0, link.jitter) if link.jitter else 0.0)
            if link.bps:
                transmit = len(frame) * BITS_PER_OCTET / link.bps
        if delay <= 0 and transmit <= 0 and not self.queue:
            self._emit(frame, faults)
            return
        now = self.loop.time()
        due = max(now + delay, self.busy_until) + transmit
        self.busy_until = due
        self.queue.append((due, frame, faults))
        if self.timer is None:
            self.timer = self.loop.call_at(self.queue[0][0], self._flush)

    def _flush(self) -> None:
        self.timer = None
        now = self.loop.time()
        while self.queue and self.queue[0][0] <= now + 1e-4:
            _, frame, faults = self.queue.popleft()
            self._emit(frame, faults)
        if self.queue:
            self.timer = self.loop.call_at(self.queue[0][0], self._flush)
        elif self.closing:
            self.transport.close()

    def _emit(self, frame: bytes, faults: list[str]) -> None:
        if self.dead or self.transport.is_closing():
            return
        self.transport.write(frame)
        if self.tap.bench.sink is not None:
            self._record("out", frame, self._describe(frame), faults=faults)
        if self.tap.close_on_release and is_release_answer(self.tap.kind, frame):
            log.info("release-closes-connection: closing %s connection %d", self.tap.listener, self.number)
            self.close()

    def _describe(self, frame: bytes) -> dict:
        return self.decoder.describe(frame, False) if self.tap.bench.sink is not None else {}

    # --------------------------------------------------------------- close
    def close(self) -> None:
        """Close once every queued answer has left."""
        if self.queue:
            self.closing = True
        else:
            self.transport.close()

    def reset(self) -> None:
        """Abort the connection (TCP RST): the fault "reset"."""
        self.dead = True
        self.queue.clear()
        abort = getattr(self.transport, "abort", None)
        (abort or self.transport.close)()

    def lost(self) -> None:
        """The transport is gone: forget queued answers and say so in the trace."""
        self.dead = True
        self.queue.clear()
        if self.timer is not None:
            self.timer.cancel()
        self._record("disconnect", b"", {})

    # --------------------------------------------------------------- trace
    def _count(self, kind: str) -> None:
        self.tap.bench.counters[(kind, self.tap.listener)] += 1
        log.info("fault %s injected on %s connection %d", kind, self.tap.listener, self.number)

    def _record(self, direction: str, frame: bytes, decoded: dict, faults: list | None = None) -> None:
        sink = self.tap.bench.sink
        if sink is None:
            return
        wall = _WALL.timestamp()
        record = {
            "time": _iso(self.tap.bench.meter_time()),
            "wall": _iso(wall),
            "listener": self.tap.listener,
            "kind": self.tap.kind,
            "connection": self.number,
            "direction": direction,
            "hex": frame.hex(),
            "decoded": decoded,
        }
        if self.tap.meter is not None:
            record["meter"] = self.tap.meter
        if faults:
            record["faults"] = list(faults)
        sink.write(record)


def is_release_answer(kind: str, frame: bytes) -> bool:
    """Whether a frame the meter sends carries an RLRE (wrapper: after the header; HDLC: after the LLC)."""
    if kind == "wrapper":
        return frame[8:9] == bytes((RLRE,))
    start = frame.find(b"\xe6\xe7\x00")
    return frame[:1] == b"\x7e" and start > 0 and frame[start + 3 : start + 4] == bytes((RLRE,))


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def _corrupt(frame: bytes, dice: random.Random) -> bytes:
    """The frame with one octet flipped inside its body (so framing holds and the FCS/BCC fails)."""
    if len(frame) < 3:
        return bytes(b ^ 0xFF for b in frame)
    position = dice.randrange(1, len(frame) - 1)
    return frame[:position] + bytes((frame[position] ^ 0x5A,)) + frame[position + 1 :]
