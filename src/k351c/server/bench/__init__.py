"""The head-end test bench: decoded traffic, link emulation, injected faults and real-meter quirks."""

from k351c.server.bench.adapters import tapped_protocol
from k351c.server.bench.link import Bench, Tap, runtime_tap
from k351c.server.bench.options import (
    BENCH_KEYS,
    FAULT_KINDS,
    QUIRKS,
    BenchOptions,
    bench_options,
    parse_fault,
    parse_quirk,
)
from k351c.server.bench.quirks import ASSOCIATION_QUIRKS, QuirkyAssociation

__all__ = [
    "ASSOCIATION_QUIRKS",
    "BENCH_KEYS",
    "FAULT_KINDS",
    "QUIRKS",
    "Bench",
    "BenchOptions",
    "QuirkyAssociation",
    "Tap",
    "bench_options",
    "parse_fault",
    "parse_quirk",
    "runtime_tap",
    "tapped_protocol",
]
