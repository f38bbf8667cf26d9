"""A fleet meter's power failures from its outages: counters and the power-failure log, no twin.

The fleet knows every meter's outages (feeder outages, ``Fleet.add_outage``); a meter's failures are
their union (overlapping outages are one failure, as the meter sees its voltage). The counting rules
are the single meter's (``powerfail.is_long``, ``logged_seconds``); the log's reset and capture
methods are journaled (k351c.meter.fleet_writes) and applied here at their instants.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from k351c.meter.eventlog import CLOCK
from k351c.meter.fleet_outages import merged_windows
from k351c.meter.fleet_writes import TwinWrite
from k351c.meter.function import bound
from k351c.meter.objects import ProfileData
from k351c.meter.powerfail import DURATION, LOG_DEPTH, is_long, logged_seconds
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.meter.fleet_view import MeterView

POWER_FAILURE_LOG = "1-0:99.97.0.255"
COUNTERS = {
    "0-0:96.7.0.255": "all",
    "0-0:96.7.5.255": "long",
    "0-0:96.7.128.255": "short",
    DURATION: "last",
    "0-0:96.7.15.255": "long_s",
}


def failures(windows: list[tuple[float, float]], until: float) -> list[tuple[float, float]]:
    """Completed failures (start, duration) by ``until``: the union of the outage windows, in order."""
    merged = merged_windows(windows, touching=True)
    return [(t0, t1 - t0) for t0, t1 in merged if t1 <= until]


def counters(found: list[tuple[float, float]]) -> dict[str, float]:
    """The power-failure counters after these failures (the single meter's rules)."""
    durations = np.array([d for _, d in found], dtype=float)
    long = is_long(durations)
    return {
        "all": durations.size,
        "long": int(long.sum()),
        "short": int((~long).sum()),
        "last": int(logged_seconds(durations[-1])) if durations.size else 0,
        "long_s": int(durations[long].sum()) if durations.size else 0,
    }


def add_powerfail_values(view: MeterView) -> None:
    """Add the failure counters and the power-failure log of meter ``view.i``, read from its outages."""
    fleet, template = view.fleet, view.fleet.twins.template()

    def found() -> list[tuple[float, float]]:  # by the meter's clock, as it times them
        shown = fleet.rtc.meter_time
        windows = [(shown(t0), shown(t1)) for t0, t1 in fleet.outage_windows(view.i)]
        return failures(windows, shown(fleet.t))

    for code, key in COUNTERS.items():
        definition = template.get(code)
        if definition is not None:
            view.objects.add(
                dataclasses.replace(definition, get=bound(lambda key: counters(found())[key], key))
            )
    definition = template.get(POWER_FAILURE_LOG)
    if definition is None:
        return
    view.objects.add(
        dataclasses.replace(
            definition,
            get=lambda: ProfileData([CLOCK, DURATION], _log_rows(view, found())),
            reset=lambda: _journal(view, "reset"),
            capture=lambda: _journal(view, "capture"),
        )
    )


def _journal(view: MeterView, method: str) -> None:
    """The log's reset or capture now: journaled with its instant, the rows follow it (``_log_rows``)."""
    view.fleet.writes.append(TwinWrite(view.fleet.t, view.i, POWER_FAILURE_LOG, method, ()))


def _log_rows(view: MeterView, found: list[tuple[float, float]]) -> list[tuple]:
    """The log's rows: each failure at its end, the journaled resets and captures at theirs."""
    fleet = view.fleet
    events: list[tuple[float, int, tuple[float, float] | str]] = [
        (t0 + d, 0, (t0, logged_seconds(d))) for t0, d in found
    ]
    for write in fleet.writes.of(view.i):
        if str(Obis.parse(write.obis)) == POWER_FAILURE_LOG and write.target in ("reset", "capture"):
            events.append((fleet.rtc.meter_time(write.t), 1, write.target))
    rows: deque[tuple] = deque(maxlen=LOG_DEPTH)
    done: list[tuple[float, float]] = []
    for t, _, what in sorted(events, key=lambda e: (e[0], e[1])):
        if isinstance(what, tuple):  # a failure: (start, logged seconds), at its end
            rows.append(what)
            done.append((what[0], t - what[0]))
        elif what == "reset":
            rows.clear()
        else:
            rows.append((t, counters(done)["last"]))
    to_local = view.localtime.to_local
    return [(to_local(t), d) for t, d in rows]
