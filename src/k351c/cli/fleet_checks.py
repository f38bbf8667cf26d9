"""Refuse a fleet that cannot fit before anything starts: its ports, the open-file limit, the memory.

``k351c fleet`` runs these checks in the parent process, before a shard starts or a port opens, so a
bad combination of flags is one clear error (exit status 2) instead of a half-started fleet:
- every port range (a base port plus one port per meter, a shared port plus one per shard) lies in
  1..65535 and no two ranges overlap;
- the listening sockets of the largest shard fit the open-file limit (raised to the hard limit first;
  children inherit it);
- the estimated memory of the shards run on this machine fits the memory available now.
"""

from __future__ import annotations

import math
from itertools import combinations

import psutil

from k351c.codes import MeterConfig
from k351c.errors import ConfigError
from k351c.meter.loadprofile import depth_entries
from k351c.server.fleet import raise_file_limit

MAX_PORT = 65535
# Measured by benchmarks/fleet.py (docs/fleet.md), with margin: a process with the object list bound is
# ~105-200 MiB; each meter adds its listener, cached endpoint and security state, its demand and billing
# arrays (~23 KiB with both debiting loggers) and its profile checkpoints (counted apart, by depth).
PROCESS_BASE_BYTES = 200 * 2**20
METER_BYTES = 32 * 2**10


def port_ranges(
    meters: int, shards: int, dlms: int, hdlc: int, shared: int, shared_hdlc: int
) -> list[tuple[str, int, int]]:
    """(flag, first port, last port) of every port range the fleet opens."""
    ranges = []
    for flag, base, count in (
        ("--dlms-base-port", dlms, meters),
        ("--hdlc-base-port", hdlc, meters),
        ("--shared-port", shared, shards),
        ("--shared-hdlc-port", shared_hdlc, shards),
    ):
        if base:
            ranges.append((flag, base, base + count - 1))
    return ranges


def check_ports(ranges: list[tuple[str, int, int]]) -> None:
    """ConfigError naming the flag when a range leaves 1..65535 or two ranges share a port."""
    for flag, first, last in ranges:
        if first < 1 or last > MAX_PORT:
            count = last - first + 1
            raise ConfigError(
                flag,
                first,
                f"a port from 1 to {MAX_PORT - count + 1}: the fleet needs {count} ports from it "
                f"({first}..{last})",
            )
    for (flag_a, first_a, last_a), (flag_b, first_b, last_b) in combinations(ranges, 2):
        if first_a <= last_b and first_b <= last_a:
            raise ConfigError(
                flag_b,
                first_b,
                f"a range apart from {flag_a}'s ports {first_a}..{last_a} "
                f"(its own would be {first_b}..{last_b})",
            )


def descriptors_needed(count: int, dlms: int, hdlc: int, shared: int, shared_hdlc: int) -> int:
    """Listening sockets of a shard of ``count`` meters."""
    return count * (int(bool(dlms)) + int(bool(hdlc))) + int(bool(shared)) + int(bool(shared_hdlc))


def check_file_limit(needed: int) -> int:
    """Raise the open-file limit for ``needed`` listeners in one process; ConfigError when they cannot fit."""
    return raise_file_limit(needed)


def estimated_bytes(config: MeterConfig, counts: list[int]) -> int:
    """Resident memory of shards of these sizes run on one machine: a base per process, then per meter."""
    entries = depth_entries(config.energy_channels, config.integration_minutes)
    days = math.ceil(entries * config.integration_minutes / 1440) + 2
    per_meter = METER_BYTES + days * len(config.energy_channels) * 8
    return sum(PROCESS_BASE_BYTES + count * per_meter for count in counts)


def check_memory(config: MeterConfig, counts: list[int], available: int | None = None) -> int:
    """ConfigError naming --meters when the estimate exceeds the memory available now; the estimate."""
    need = estimated_bytes(config, counts)
    free = psutil.virtual_memory().available if available is None else available
    if need > free:
        raise ConfigError(
            "--meters",
            sum(counts),
            f"a fleet that fits the memory available ({free / 2**30:.1f} GiB now; these "
            f"{len(counts)} process(es) need about {need / 2**30:.1f} GiB): fewer meters, or "
            "shards on more machines (--shard, --backend ray)",
        )
    return need


def check_fleet(
    config: MeterConfig,
    meters: int,
    processes: int,
    counts: list[int],
    ports: tuple[int, int, int, int],
    local: bool,
) -> None:
    """Every check of the module text; ``counts`` are the meters of the shards run on this machine."""
    dlms, hdlc, shared, shared_hdlc = ports
    check_ports(port_ranges(meters, processes, dlms, hdlc, shared, shared_hdlc))
    if not local or not counts:
        return
    check_file_limit(descriptors_needed(max(counts), dlms, hdlc, shared, shared_hdlc))
    check_memory(config, counts)
