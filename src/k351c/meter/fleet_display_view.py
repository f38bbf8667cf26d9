"""A fleet meter's display lists 0-0:21.0.1/2/3.255, from its own objects by the single meter's rule.

Each list is the single meter's ValueDef (class 7, written by the reading association) with its
getter and setters pointed at meter ``view.i``: the configured list (the configuration's display
table, then the meter's journaled list writes, ``meter.fleet_writes``) shown by
``display.shown_readings`` and read as one row of the view's own values (``display.list_profile``);
a new list is validated by ``display.validated_list``, journaled and logged (event 230).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from k351c.meter.display import (
    KINDS,
    LIST_OBIS,
    list_profile,
    shown_readings,
    validated_list,
)
from k351c.meter.fleet_analysis import setting_changed
from k351c.meter.fleet_writes import TwinWrite

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from k351c.meter.fleet_view import MeterView
    from k351c.meter.objects import ProfileData

WRITES = ("set", "set_columns")  # both take the list's new capture objects


def add_display_values(view: MeterView) -> None:
    """Add meter ``view.i``'s three display lists."""
    template = view.fleet.twins.template()
    for kind in KINDS:
        definition = template.get(str(LIST_OBIS[kind]))
        if definition is None:
            continue
        setter = _setter(view, kind)
        view.objects.add(
            dataclasses.replace(
                definition,
                get=_getter(view, kind),
                set=setter,
                set_columns=setter,
                capacity=lambda: 1,
            )
        )


def configured(view: MeterView, kind: str) -> tuple[str, ...]:
    """Meter i's list of this kind: the configuration's, or the last one written to it."""
    codes = getattr(view.config.display_table, kind)
    code = str(LIST_OBIS[kind])
    for write in view.fleet.writes.of(view.i):
        if write.obis == code and write.target in WRITES:
            codes = tuple(write.args[0])
    return codes


def readings(view: MeterView, kind: str) -> tuple[str, ...]:
    """The list as meter i shows it (the single meter's rule over the view's objects)."""
    return shown_readings(view.objects, view.config, kind, configured(view, kind))


def _getter(view: MeterView, kind: str) -> Callable[[], ProfileData]:
    return lambda: list_profile(view.objects, readings(view, kind))


def _setter(view: MeterView, kind: str):  # noqa: ANN202
    def set_list(codes: Iterable[object]) -> None:
        items = validated_list(view.objects, view.config, kind, codes)
        write = TwinWrite(view.fleet.t, view.i, str(LIST_OBIS[kind]), "set_columns", (list(items),))
        view.fleet.writes.append(write)
        setting_changed(view.fleet, view.i)

    return set_list
