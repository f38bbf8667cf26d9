"""A fleet meter's demand and billing objects, read from the fleet's arrays (k351c.meter.fleet_billing).

Each object is the single meter's definition (OBIS, class, unit, scaler, description, capacity) with
its getters pointed at meter ``view.i`` of the arrays, so no twin is built to read peaks, counters,
the debiting loggers or the values of the last debiting period.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from k351c.meter.billing import (
    DEBITING_LOGGER,
    DEBITING_LOGGER_2,
    LAST_PERIOD_F,
    STOP_COUNTER,
)
from k351c.meter.demand import (
    ACCUMULATED,
    PEAKS,
    THRESHOLD,
    THRESHOLD_COUNTER,
    peak_time,
    threshold_value,
)
from k351c.meter.hours import HOUR_COUNTER
from k351c.meter.objects import ProfileData

if TYPE_CHECKING:
    from k351c.meter.fleet_view import MeterView


def add_billing_values(view: MeterView) -> None:
    """Add the peaks, counters, both debiting loggers and the F=101 values of meter ``view.i``."""
    billing = view.fleet.billing
    template = view.fleet.twins.template()

    def peaks():  # noqa: ANN202
        return billing.peaks_at(np.array([view.i]), view.fleet.t)

    def add(obis, get: Callable, **changes) -> None:  # noqa: ANN001
        definition = template.get(obis)
        if definition is not None:
            view.objects.add(dataclasses.replace(definition, get=get, **changes))

    for j, (obis, *_rest) in enumerate(PEAKS.values()):
        add(
            obis,
            lambda j=j: int(peaks().values[0, j]),
            capture_time=lambda j=j: _local(view, peaks().times[0, j]),
            status=lambda j=j: int(peaks().statuses[0, j]),
        )
    for j, obis in enumerate(ACCUMULATED.values()):
        add(obis, lambda j=j: int(billing.peaks.accumulated[view.i, j]))
    add(THRESHOLD_COUNTER, lambda: int(peaks().count[0]))
    add(
        THRESHOLD,
        lambda: float(billing.peaks.threshold[view.i]),
        set=lambda watts: _set_threshold(view, threshold_value(watts)),
    )
    add(HOUR_COUNTER, lambda: int(billing.hours(np.array([view.i]), view.fleet.t)[0]))
    add(STOP_COUNTER, lambda: int(billing.counter[view.i]))
    add(DEBITING_LOGGER, lambda: _profile(view, billing.columns, billing.rows(view.i), 0))
    add(
        DEBITING_LOGGER_2,
        lambda: _profile(
            view, billing.columns2, billing.rows(view.i, True), billing.logger2_period()
        ),
    )
    _add_last_period(view, template, add)


def _set_threshold(view: MeterView, watts: float) -> None:
    """A new power threshold: the arrays count with it from now (and log the change, as reconfigure)."""
    view.fleet.billing.set_threshold(view.i, watts)


def _add_last_period(view: MeterView, template, add: Callable) -> None:  # noqa: ANN001
    """F = 101: each logged register's value in the last debiting logger row (0 before the first)."""
    billing = view.fleet.billing
    names = [name for name, _, _ in billing.columns]

    def last(column: str) -> float | None:
        rows = billing.rows(view.i) if column in names else []
        value = rows[-1][names.index(column)] if rows else math.nan
        return None if math.isnan(value) else value

    for obis, code, timed in _last_period_codes(template, tuple(names)):
        add(
            obis,
            lambda c=code: int(last(c) or 0),
            capture_time=(lambda c=code: _local(view, last(f"{c}:5"))) if timed else None,
            status=(lambda c=code: int(last(f"{c}:4") or 0)) if timed else None,
        )


@functools.lru_cache(maxsize=8)
def _last_period_codes(template, names: tuple[str, ...]) -> list[tuple]:  # noqa: ANN001
    """(OBIS, logged register, is a class 4) of each F = 101 value: found once per template, not per meter."""
    found = []
    for definition in template:
        if definition.obis.f != LAST_PERIOD_F:
            continue
        code = str(dataclasses.replace(definition.obis, f=255))
        if code in names:
            found.append((definition.obis, code, definition.class_id == 4))
    return found


def _local(view: MeterView, t: float | None):  # noqa: ANN202
    t = None if t is None else peak_time(float(t))
    return None if t is None else view.localtime.to_local(t)


def _profile(view: MeterView, columns, rows: list[list], period: int) -> ProfileData:  # noqa: ANN001
    """Logger rows as a meter shows them: POSIX times as local datetimes, counts as integers."""
    kinds = [
        source == "clock" or (source == "peak" and key[1] == "time") for _, source, key in columns
    ]
    out = []
    for row in rows:
        out.append(
            tuple(
                (_local(view, v) if timed else int(v)) for v, timed in zip(row, kinds, strict=True)
            )
        )
    return ProfileData([name for name, _, _ in columns], out, period)
