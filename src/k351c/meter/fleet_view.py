"""One fleet meter seen as a meter: the single meter's whole object list over the fleet.

The COSEM assembler (k351c.cosem.device) needs ``objects``, ``config``, ``localtime``, ``t``, ``now``
and a few setters; ``MeterView`` gives exactly that for meter i, and always for meter i: the fleet
server builds a view per meter it serves (kept in an LRU cache) and passes it with each request.

The object list is the single ``Meter``'s. Every value is defined here by the fleet's functions
(``core_values``'s parts and the ``add_*_values`` of each fleet module: arrays, recomputations, the view's own
objects), with the single meter's definitions and rules. Only load control whose relays a
tariff-sync output drives (I/O functions 22/23 with a load control module) is still the meter's twin's
(k351c.meter.fleet_twin): the single meter's own code on meter i's inputs, made on first read.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from k351c.errors import AccessDenied
from k351c.meter.catalog import identity_values
from k351c.meter.energy import PRIMARY, QUANTITY_C, SECONDARY
from k351c.meter.fleet_analysis_view import add_analysis_values
from k351c.meter.fleet_billing_view import add_billing_values
from k351c.meter.fleet_clock import clock_status
from k351c.meter.fleet_display_view import add_display_values
from k351c.meter.fleet_events_view import add_event_values
from k351c.meter.fleet_io import add_io_values
from k351c.meter.fleet_loadcontrol import MeterRelays, add_load_control_values
from k351c.meter.fleet_powerfail import add_powerfail_values
from k351c.meter.fleet_profile_view import add_profile_values
from k351c.meter.fleet_quality import add_quality_values
from k351c.meter.fleet_tamper import add_tamper_values
from k351c.meter.fleet_values import Adder, LazyValues, value_owners
from k351c.meter.fleet_writes import MUTATORS
from k351c.meter.metrology import Measurement
from k351c.meter.objects import ObjectTable, ValueDef, read_object
from k351c.meter.readings import Profile, Reading
from k351c.meter.registers import register_energy, register_instantaneous
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.meter.fleet import Fleet



V = TypeVar("V")

class _Bank:
    """The ``counts`` of one register bank of meter i, read from the fleet at the fleet's time."""

    def __init__(self, view: MeterView, bank: int) -> None:
        self.view, self.bank = view, bank

    @property
    def counts(self) -> np.ndarray:
        """Registers (4, 8) including the running interval."""
        return self.view.registers(self.bank)


class MeterView:
    """Meter i of a fleet with the attributes the COSEM binder reads; values come from the fleet."""

    def __init__(self, fleet: Fleet, i: int, *, lazy: bool = False) -> None:
        """Meter i's view; ``lazy``: each group of values is added when one of them is first asked
        (k351c.meter.fleet_values; a push notification reads a few values of many meters)."""
        self.fleet, self.i = fleet, int(i)
        self.config = fleet.start_config(self.i)
        self.localtime = fleet.localtime
        self.objects: ObjectTable = _TwinBackedTable(fleet.twins.template(), self._twin_value)
        self.primary, self.secondary = _Bank(self, PRIMARY), _Bank(self, SECONDARY)
        self._cache: dict[tuple, object] = {}
        if lazy:
            bare = partial(MeterView, fleet, self.i, lazy=True)
            self.objects = LazyValues(self.objects, self, VALUE_ADDERS, partial(value_owners, fleet, bare))
        else:
            for add in VALUE_ADDERS:
                add(self)

    # ------------------------------------------------------ the Meter API
    @property
    def load(self):
        """The load source this meter runs on (its seed and outages), usable by ``Meter``."""
        return self.fleet.load_of(self.i)

    def read(self, obis: str | Obis) -> Reading | Profile:
        """The value of an OBIS code as the meter shows it (a Profile for loggers), as ``Meter.read``."""
        return read_object(self.objects, obis)

    def function(self, name: str) -> _Stops:
        """The fleet's billing of this meter (``debiting_stop``); a fleet meter has no other function object."""
        if name != "billing":
            raise KeyError(f"a fleet meter has no function {name!r}")
        return _Stops(self.fleet, self.i)

    def load_control(self) -> MeterRelays | None:
        """This meter's load control relays (None without a relay the fleet's arrays keep)."""
        control = self.fleet.load_control
        return control.control(self.i) if control.count and control.supported else None

    @property
    def twin(self):
        """The single-meter twin computing what the fleet's arrays do not carry (k351c.meter.fleet_twin)."""
        return self.fleet.twins.get(self.i)

    # ----------------------------------------------------- what bind reads
    @property
    def t(self) -> float:
        """What the meter's clock shows now (the fleet's time, drifted as its clock drifts)."""
        return self.fleet.rtc.meter_time(self.fleet.t)

    @property
    def now(self) -> datetime:
        """Current local time of the meter."""
        return self.localtime.to_local(self.t)

    @property
    def clock_status(self) -> int:
        """RTC status bits now (summer time, doubtful after long outages), by the fleet's rule."""
        return int(clock_status(self.fleet, np.array([self.i]), np.array([self.fleet.t]))[0, 0])

    @property
    def ct_primary(self) -> int:
        """CT primary current (A)."""
        return int(self.fleet.ct_primary[self.i])

    @property
    def ct_secondary(self) -> int:
        """CT secondary current (A)."""
        return self.fleet.ct_secondary

    @property
    def ct_ratio(self) -> float:
        """CT ratio primary/secondary."""
        return self.ct_primary / self.ct_secondary

    @property
    def instant(self) -> Measurement:
        """The measurement of the running interval (instantaneous values)."""
        return self.cached("instant", lambda: self.fleet.instant(self.i))

    @property
    def tariff(self) -> int:
        """The tariff in force now (by the meter's clock)."""
        fleet = self.fleet
        if fleet.rtc.exact:
            return fleet.tariff(fleet.k)
        return fleet.calendar.tariff_at(fleet.rtc.meter_time(fleet.t))

    def registers(self, bank: int) -> np.ndarray:
        """Energy registers (4, 8) of a bank at the fleet's time."""
        return self.cached(("bank", bank), lambda: self.fleet.registers(self.i, bank))

    def cached(self, key, compute: Callable):
        """``compute()`` for this meter at the fleet's time and CT ratio, kept until they change."""
        full = (key, self.i, self.fleet.t, self.fleet.k, int(self.fleet.ct_primary[self.i]))
        hit = self._cache.get(full)
        if hit is None:
            if len(self._cache) > 8:
                self._cache.clear()
            hit = self._cache[full] = compute()
        return hit

    # -------------------------------------------------------------- setters
    def set_ct_ratio(self, primary: int, secondary: int = 5) -> None:
        """Change the CT ratio of this meter (refused when locked)."""
        if secondary != self.ct_secondary:
            from k351c.errors import ConfigError

            raise ConfigError("CT secondary current", secondary, "5 (A)")
        self.fleet.set_ct(self.i, primary)

    def reconfigure(self, **changes: Any) -> None:
        """A fleet meter's serial number follows its position in the fleet: refused."""
        raise AccessDenied("a fleet meter's serial number and settings are the fleet's")

    def set_clock(self, instant: object) -> None:
        """The fleet shares one clock: setting it per meter is refused."""
        raise AccessDenied("a fleet meter's clock is the fleet's simulated clock")

    # ---------------------------------------------------------- more values
    def add_fleet_values(self) -> None:
        """The current tariff and the load profile with its channels and status."""
        b = 0 if self.fleet.lp_bank == PRIMARY else 1
        self.channel_obis = [
            Obis(1, b, QUANTITY_C[q][0], 29, 0) for q in self.config.energy_channels
        ]
        self.objects.add(
            ValueDef(
                Obis(0, 0, 96, 14, 0),
                1,
                lambda: self.tariff,
                public=True,
                description="current tariff",
            )
        )
        add_profile_values(self)

    def _twin_value(self, template: ValueDef) -> ValueDef:
        """A value of the single meter the fleet's arrays do not carry, computed by meter i's twin."""
        code = template.obis
        return _twin_def(
            template,
            lambda: self.twin.objects.lookup(code),
            lambda target, args: self.fleet.twins.call(self.i, str(code), target, args),
        )


VALUE_ADDERS: tuple[Adder, ...] = (
    identity_values,
    register_energy,
    register_instantaneous,
    MeterView.add_fleet_values,
    add_tamper_values,
    add_analysis_values,
    add_display_values,
    add_event_values,
    add_io_values,
    add_load_control_values,
    add_billing_values,
    add_powerfail_values,
    add_quality_values,
)
"""What defines a fleet meter's values, in the order a view adds them (``core_values``'s parts first)."""


class _Stops:
    """Commanded debiting stops of one fleet meter (the end-of-billing script, web, optical)."""

    def __init__(self, fleet: Fleet, i: int) -> None:
        self.fleet, self.i = fleet, i

    def debiting_stop(self, source: str = "command") -> None:
        """End meter i's debiting period now."""
        self.fleet.billing.command(self.i, source)


class _TwinBackedTable(ObjectTable):
    """Meter i's values: its own (from the fleet's arrays), then its twin's, each made when first asked.

    A view is built per meter served; making the ~120 twin values on demand keeps that cheap.
    """

    def __init__(self, template: ObjectTable, make: Callable[[ValueDef], ValueDef]) -> None:
        super().__init__()
        self._template, self._make = template, make

    def get(self, obis: str | Obis) -> ValueDef | None:
        """The definition (the twin's made now if needed) or None."""
        code = Obis.parse(obis)
        found = self._defs.get(code)
        if found is None:
            template = self._template.get(code)
            if template is None:
                return None
            found = self._defs[code] = self._make(template)
        return found

    def lookup(self, obis: str | Obis) -> ValueDef:
        """The definition of an OBIS code; ConfigError naming it when unknown."""
        found = self.get(obis)
        return found if found is not None else super().lookup(obis)

    def __contains__(self, obis: object) -> bool:
        return super().__contains__(obis) or obis in self._template

    def __iter__(self) -> Iterator[ValueDef]:
        for template in self._template:
            self.get(template.obis)
        return super().__iter__()

    def __len__(self) -> int:
        return len(self._defs.keys() | {d.obis for d in self._template})


def _twin_def(
    template: ValueDef, current: Callable[[], ValueDef], call: Callable[[str, tuple], object]
) -> ValueDef:
    """``template`` with every callable resolved, when called, on the current meter's twin.

    What changes the meter goes through ``call`` (Twins.call), which journals it (meter.fleet_writes).
    """

    def late(name: str) -> Callable | None:
        if getattr(template, name) is None:
            return None
        return lambda *args: getattr(current(), name)(*args)

    def journaled(name: str) -> Callable | None:
        if getattr(template, name) is None:
            return None
        return lambda *args: call(name, args)

    mutators: dict[str, Any] = {name: journaled(name) for name in MUTATORS}  # ValueDef fields
    return dataclasses.replace(
        template,
        get=lambda: current().get(),
        capture_time=late("capture_time"),
        capacity=late("capacity"),
        status=late("status"),
        **mutators,
    )


class ViewCache(Generic[V]):
    """Per-meter items (default: views) built on demand and kept for the ``size`` most recently used."""

    def __init__(self, fleet: Fleet, size: int, build: Callable[[int], V]) -> None:
        self.fleet, self.size = fleet, size
        self.build = build
        self._items: OrderedDict[int, V] = OrderedDict()

    @classmethod
    def of_views(cls, fleet: Fleet, size: int = 256) -> ViewCache[MeterView]:
        """A cache of the meters' views."""
        return ViewCache(fleet, size, lambda i: MeterView(fleet, i))

    def get(self, i: int) -> V:
        """The (built) view of meter i."""
        hit = self._items.get(i)
        if hit is not None:
            self._items.move_to_end(i)
            return hit
        item = self._items[i] = self.build(i)
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return item

    def peek(self, i: int) -> V | None:
        """Meter i's item if it is kept now (not built, the order of use unchanged)."""
        return self._items.get(i)

    def __len__(self) -> int:
        return len(self._items)
