"""A fleet meter's event logs and last event codes, read from the fleet's event store (k351c.meter.fleet_events).

The standard, fraud and power-quality logs (class 7) and their last-code objects are the single
meter's definitions (``eventlog.LOGS``: OBIS, columns, capacity, methods) with their getters and
methods pointed at meter ``view.i`` of the store: no twin is built to read or reset them.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import TYPE_CHECKING

from k351c.meter.eventlog import CLOCK, LOGS, LogSpec
from k351c.meter.objects import ProfileData

if TYPE_CHECKING:
    from k351c.meter.fleet_view import MeterView


def add_event_values(view: MeterView) -> None:
    """Add the three event logs and their last codes of meter ``view.i``."""
    template, last = view.fleet.twins.template(), view.fleet.events.last_code
    for spec in LOGS:
        log = template.get(spec.obis)
        if log is not None:
            view.objects.add(dataclasses.replace(log, **_log_hooks(view, spec)))
        code = template.get(spec.code_obis)
        if code is not None:
            view.objects.add(dataclasses.replace(code, get=partial(last, view.i, spec.name)))


def _log_hooks(view: MeterView, spec: LogSpec) -> dict:
    """The log's getter, capacity and class 7 methods (reset, capture) on the store."""
    events, i, name = view.fleet.events, view.i, spec.name

    def rows() -> ProfileData:
        to_local = view.localtime.to_local
        return ProfileData([CLOCK, spec.code_obis], [(to_local(t), c) for t, c in events.rows(i, name)])

    return {
        "get": rows,
        "capacity": lambda: events.depth(name),
        "reset": lambda: events.reset(i, name),
        "capture": lambda: events.capture(i, name),
    }
