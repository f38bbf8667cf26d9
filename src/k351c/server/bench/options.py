"""The head-end bench switches: trace file, link emulation, injected faults and real-meter quirks.

Parsed once from the command line (``--fault drop=0.1,seed=3@0-99``, ``--quirk no-release``) or the
configuration file's ``[bench]`` table; every bad value is a ConfigError naming the flag and what it
allows. ``BenchOptions.active`` is False when nothing is set: then no listener is touched at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from k351c.errors import ConfigError

FAULT_KINDS = ("drop", "corrupt", "duplicate", "stall", "reset")
FAULT_PARAMS = {"seed": int, "seconds": float, "after": int}
QUIRKS = (
    "single-association",
    "no-release",
    "aare-without-user-info",
    "slow-first-answer",
    "strict-invoke-id",
    "counter-per-dedicated-key",
    "release-closes-connection",
)
LISTENER_KINDS = ("wrapper", "hdlc", "optical", "mbus")
SERIAL_KINDS = frozenset({"hdlc", "optical", "mbus"})
DEFAULT_STALL = 5.0
BENCH_KEYS = (
    "trace",
    "link_latency",
    "link_jitter",
    "link_bps",
    "link_listeners",
    "fault",
    "quirk",
)


@dataclass(frozen=True, slots=True)
class MeterRange:
    """Fleet meters ``first``..``last`` (inclusive); None on a spec means every meter."""

    first: int
    last: int

    def __contains__(self, index: object) -> bool:
        return isinstance(index, int) and self.first <= index <= self.last


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """One injected fault: its kind, the chance per answer frame, the seed and its parameters."""

    kind: str
    rate: float
    seed: int = 0
    seconds: float = DEFAULT_STALL
    after: int = 0
    meters: MeterRange | None = None


@dataclass(frozen=True, slots=True)
class QuirkSpec:
    """One real-meter behaviour switched on, for every meter or a range of fleet meters."""

    name: str
    meters: MeterRange | None = None


@dataclass(frozen=True, slots=True)
class LinkSpec:
    """Link emulation: latency and jitter (seconds) before each answer, serial bit rate and where."""

    latency: float = 0.0
    jitter: float = 0.0
    bps: int = 0
    listeners: frozenset[str] = SERIAL_KINDS

    @property
    def active(self) -> bool:
        """Whether the link delays anything."""
        return self.latency > 0 or self.jitter > 0 or self.bps > 0


@dataclass(frozen=True, slots=True)
class BenchOptions:
    """Every bench switch of one `k351c serve` or `k351c fleet`."""

    trace: Path | None = None
    link: LinkSpec = field(default_factory=LinkSpec)
    faults: tuple[FaultSpec, ...] = ()
    quirks: tuple[QuirkSpec, ...] = ()

    @property
    def active(self) -> bool:
        """Whether any switch is set (else the listeners run exactly as without the bench)."""
        return bool(self.trace or self.link.active or self.faults or self.quirks)

    @classmethod
    def from_dict(cls, data: Mapping) -> BenchOptions:
        """Rebuild the options from ``dataclasses.asdict`` (how fleet shard processes get them)."""
        link = data["link"]
        return cls(
            Path(data["trace"]) if data.get("trace") else None,
            LinkSpec(link["latency"], link["jitter"], link["bps"], frozenset(link["listeners"])),
            tuple(FaultSpec(**{**f, "meters": _range(f["meters"])}) for f in data["faults"]),
            tuple(QuirkSpec(q["name"], _range(q["meters"])) for q in data["quirks"]),
        )

    def quirks_for(self, meter: int) -> frozenset[str]:
        """The quirk names meter ``meter`` shows."""
        return frozenset(q.name for q in self.quirks if q.meters is None or meter in q.meters)

    def faults_for(self, meter: int | None) -> tuple[FaultSpec, ...]:
        """The faults injected on a listener of meter ``meter`` (None: a port shared by all)."""
        return tuple(
            f for f in self.faults if f.meters is None or (meter is not None and meter in f.meters)
        )


def _range(data: Mapping | None) -> MeterRange | None:
    return MeterRange(data["first"], data["last"]) if data else None


def _split_range(text: str, flag: str) -> tuple[str, MeterRange | None]:
    body, at, span = text.partition("@")
    if not at:
        return body, None
    first, dash, last = span.partition("-")
    try:
        low = int(first)
        high = int(last) if dash else low
    except ValueError:
        raise ConfigError(flag, text, "NAME@FIRST-LAST with meter indexes, e.g. @0-99") from None
    if low < 0 or high < low:
        raise ConfigError(flag, text, "a meter range FIRST-LAST with 0 <= FIRST <= LAST")
    return body, MeterRange(low, high)


def parse_fault(text: str) -> FaultSpec:
    """``KIND=RATE[,seed=S][,seconds=N][,after=N][@FIRST-LAST]`` -> FaultSpec."""
    flag = "--fault"
    body, meters = _split_range(text.strip(), flag)
    head, *params = body.split(",")
    kind, eq, rate_text = head.partition("=")
    if kind not in FAULT_KINDS or not eq:
        raise ConfigError(flag, text, f"KIND=RATE with KIND one of {', '.join(FAULT_KINDS)}")
    try:
        rate = float(rate_text)
    except ValueError:
        rate = math.nan
    if not 0.0 <= rate <= 1.0:
        raise ConfigError(flag, text, "a RATE between 0 and 1 (the chance per answer frame)")
    values: dict = {}
    for param in params:
        name, eq, value = param.partition("=")
        if name not in FAULT_PARAMS or not eq:
            raise ConfigError(flag, text, f"parameters {', '.join(FAULT_PARAMS)} as NAME=VALUE")
        try:
            values[name] = FAULT_PARAMS[name](value)
        except ValueError:
            raise ConfigError(flag, text, f"{name} as a {FAULT_PARAMS[name].__name__}") from None
        if values[name] < 0:
            raise ConfigError(flag, text, f"{name} >= 0")
    return FaultSpec(kind, rate, meters=meters, **values)


def parse_quirk(text: str) -> QuirkSpec:
    """``NAME[@FIRST-LAST]`` -> QuirkSpec."""
    name, meters = _split_range(text.strip(), "--quirk")
    if name not in QUIRKS:
        raise ConfigError("--quirk", text, ", ".join(QUIRKS))
    return QuirkSpec(name, meters)


def _number(flag: str, value: object, kind: type = float) -> float:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = math.nan
    if not number >= 0 or math.isinf(number):
        raise ConfigError(flag, value, f"a {kind.__name__} >= 0")
    return number


def bench_options(
    trace: Path | str | None = None,
    link_latency: float | None = None,
    link_jitter: float | None = None,
    link_bps: int | None = None,
    faults: list[str] | None = None,
    quirks: list[str] | None = None,
    table: Mapping | None = None,
) -> BenchOptions:
    """Options from the flags (milliseconds, bit/s, specs) over the config file's ``[bench]`` table."""
    table = dict(table or {})
    unknown = set(table) - set(BENCH_KEYS)
    if unknown:
        raise ConfigError("[bench]", sorted(unknown), ", ".join(BENCH_KEYS))
    trace = trace if trace is not None else table.get("trace")
    latency = link_latency if link_latency is not None else table.get("link_latency", 0)
    jitter = link_jitter if link_jitter is not None else table.get("link_jitter", 0)
    bps = link_bps if link_bps is not None else table.get("link_bps", 0)
    listeners = table.get("link_listeners", sorted(SERIAL_KINDS))
    if not isinstance(listeners, list) or not set(listeners) <= set(LISTENER_KINDS):
        raise ConfigError("link_listeners", listeners, ", ".join(LISTENER_KINDS))
    link = LinkSpec(
        _number("--link-latency", latency) / 1000.0,
        _number("--link-jitter", jitter) / 1000.0,
        int(_number("--link-bps", bps, int)),
        frozenset(listeners),
    )
    fault_texts = list(faults or []) or list(table.get("fault", []))
    quirk_texts = list(quirks or []) or list(table.get("quirk", []))
    return BenchOptions(
        Path(trace) if trace else None,
        link,
        tuple(parse_fault(t) for t in fault_texts),
        tuple(parse_quirk(t) for t in quirk_texts),
    )
