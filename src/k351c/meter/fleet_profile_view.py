"""A fleet meter's load profile objects, recomputed (k351c.meter.fleet_profile), never a twin's.

Each object is the single meter's definition (``LoadProfile.attach``: OBIS, class, unit, capacity,
methods) with its getters pointed at meter ``view.i``: the load profile 1-0:99.1.0, the energy of the
last interval per channel 1-0:x.29.0 and the AMR profile status of the running interval 0-0:96.10.1
(``loadprofile.entry_status`` of what the open entry gathered, with the meter's clock status, as
``LoadProfile._status``). The profile's reset and capture are journaled with their instants
(k351c.meter.fleet_writes) and the recomputation closes or cuts the entries there.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import TYPE_CHECKING

from k351c.meter.eventlog import CLOCK
from k351c.meter.fleet_profile import Recomputed, recompute
from k351c.meter.fleet_writes import LOAD_PROFILE, TwinWrite
from k351c.meter.loadprofile import STATUS, entry_status
from k351c.meter.objects import ProfileData
from k351c.meter.powerfail import CLOCK_DST_ACTIVE, CLOCK_INVALID
from k351c.obis import Obis

if TYPE_CHECKING:
    from collections.abc import Callable

    from k351c.meter.fleet_view import MeterView



def add_profile_values(view: MeterView) -> None:
    """Add meter ``view.i``'s load profile, its last-interval registers and the running entry's status."""
    fleet = view.fleet
    template = fleet.twins.template()
    lp = template.lookup(LOAD_PROFILE)
    columns = [CLOCK, STATUS, *(str(o) for o in view.channel_obis)]

    def whole() -> Recomputed:
        return view.cached("profile", lambda: recompute(fleet, view.i))

    def rows() -> ProfileData:
        to_local = view.localtime.to_local
        entries = [(to_local(r[0]), *r[1:]) for r in whole().rows]
        return ProfileData(columns, entries, fleet.config.integration_minutes * 60)

    def method(name: str):  # noqa: ANN202
        def call() -> None:
            fleet.writes.append(TwinWrite(fleet.t, view.i, str(LOAD_PROFILE), name, ()))

        return call

    def running() -> int:
        flags = view.cached("running", lambda: recompute(fleet, view.i, days=2).running)
        clock = view.clock_status
        return entry_status(flags, dst=bool(clock & CLOCK_DST_ACTIVE), clock_invalid=bool(clock & CLOCK_INVALID))

    add = view.objects.add
    add(
        dataclasses.replace(
            lp, get=rows, capacity=lambda: fleet.depth, reset=method("reset"), capture=method("capture")
        )
    )
    for c, obis in enumerate(view.channel_obis):
        add(dataclasses.replace(template.lookup(obis), get=partial(_column, whole, c)))
    add(dataclasses.replace(template.lookup(Obis.parse(STATUS)), get=running))


def _column(whole: Callable[[], Recomputed], c: int) -> object:
    """Channel c's value of the last recomputed entry."""
    return whole().last[c]
