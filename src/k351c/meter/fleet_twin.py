"""Single-meter twins of fleet meters: load control, the one function the fleet's arrays do not carry.

A fleet meter's disconnect control relays and their log, where a tariff-sync output drives them (I/O
functions 22/23 with a load control module, ``fleet_loadcontrol.supported``), are the single ``Meter``'s code run on that
meter's own inputs: its start configuration (serial, CT ratio), its seeded load with its outages, its
CT and temperature changes, commanded debiting stops and journaled writes at the instants they were
made. The twin is built when one of those values is first asked for, advanced to the fleet's time on
every ask, and kept for the most recently used meters. ``Twins.template`` is the object list every
fleet meter has: one ``Meter`` built per configuration and never run.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from k351c.clock import SimClock
from k351c.meter.billing import Billing
from k351c.meter.fleet_writes import TwinWrite
from k351c.meter.io import IoModule
from k351c.meter.tamper import Tamper

if TYPE_CHECKING:
    from k351c.meter.core import Meter
    from k351c.meter.fleet import Fleet
    from k351c.meter.objects import ObjectTable


WRITES = 2  # the writes' place among a twin's input sources (Twins.inputs)


class Twins:
    """The twins of a fleet's meters, built on demand, the ``size`` most recently used kept."""

    def __init__(self, fleet: Fleet, size: int = 64) -> None:
        self.fleet, self.size = fleet, size
        self._items: OrderedDict[int, tuple[Meter, tuple[int, ...]]] = OrderedDict()
        self._template: ObjectTable | None = None

    def template(self) -> ObjectTable:
        """The single meter's object list for the fleet's configuration (every meter has it)."""
        if self._template is None:
            self._template = self._build(0).objects
        return self._template

    def get(self, i: int) -> Meter:
        """Meter i's twin, advanced to the fleet's time with every input change made so far."""
        kept = self._items.pop(i, None)
        twin, applied = kept if kept is not None else (self._build(i), ())
        sources = self.inputs(i)
        done = [*applied, *[0] * (len(sources) - len(applied))]
        pending = [
            (t, k, apply) for k, source in enumerate(sources) for t, apply in source[done[k] :]
        ]
        for t, _, apply in sorted(pending, key=lambda change: change[:2]):
            _run_to(twin, t)
            apply(twin)
        _run_to(twin, self.fleet.t)
        self._items[i] = (twin, tuple(len(source) for source in sources))
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return twin

    def inputs(self, i: int) -> list[list[tuple[float, Callable[[Meter], object]]]]:
        """Meter i's changes per source (CT ratio, temperature, writes, debiting stops, tamper, I/O), each as (instant, apply), in order.

        A rebuilt twin replays them merged by instant (at one instant in that order).
        """
        fleet = self.fleet
        return [
            [(t, _ct(p)) for t, j, p in fleet.ct_changes if j == i],
            [(t, _temperature(c)) for t, c in fleet.temperatures.of_meter(i)],
            [(write.t, write.apply) for write in fleet.writes.of(i)],
            [(t, _stop(source)) for t, j, source in fleet.billing.commands if j == i],
            [(t, _tamper(source, state)) for t, source, state in fleet.tamper.inputs_of(i)],
            [(t, _io(kind, line, value)) for t, kind, line, value in fleet.io.inputs_of(i)],
        ]

    def call(self, i: int, obis: str, target: str, args: tuple) -> object:
        """Call a twin-carried value's domain method (``target``) on meter i now, journaled when it succeeds.

        The call runs on the twin at once; the journal (k351c.meter.fleet_writes) replays it into any
        rebuilt twin and keeps it in the fleet's state.
        """
        write = TwinWrite(self.fleet.t, i, obis, target, tuple(args))
        write.check_keepable()
        twin = self.get(i)
        result = write.apply(twin)
        self.fleet.writes.append(write)
        _, applied = self._items[i]
        self._items[i] = (twin, (*applied[:WRITES], applied[WRITES] + 1))
        return result

    def forget(self, meters: np.ndarray) -> None:
        """Drop the twins of these meters (their past changed: an outage was added)."""
        for i in np.asarray(meters).tolist():
            self._items.pop(int(i), None)

    def __len__(self) -> int:
        return len(self._items)

    def _build(self, i: int) -> Meter:
        from k351c.meter.core import Meter

        fleet = self.fleet
        return Meter(
            fleet.start_config(i),
            clock=SimClock(fleet.start_t, rate=0),
            load=fleet.load_of(i),
        )


def _ct(primary: int) -> Callable[[Meter], None]:
    return lambda meter: meter.set_ct_ratio(primary)


def _temperature(celsius: float | None) -> Callable[[Meter], None]:
    return lambda meter: meter.set_temperature(celsius)


def _run_to(twin: Meter, t: float) -> None:
    if t > twin.true_t:
        twin.run_for(t - twin.true_t)


def _tamper(source: str, state: bool) -> Callable[[Meter], None]:
    return lambda meter: meter.function(Tamper).set(source, state)


def _io(kind: str, line: int, value: int) -> Callable[[Meter], object]:
    if kind == "pulses":
        return lambda meter: meter.function(IoModule).pulse(value)
    return lambda meter: meter.function(IoModule).set_input(line, value)


def _stop(source: str) -> Callable[[Meter], None]:
    return lambda meter: meter.function(Billing).debiting_stop(source=source)
