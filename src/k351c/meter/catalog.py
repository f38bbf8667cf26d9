"""Which functions a meter has and the core values every meter carries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from k351c.codes import MeterConfig
from k351c.meter.function import MeterFunction
from k351c.meter.objects import COUNTER_RANGE, ValueDef
from k351c.meter.registers import register_energy, register_instantaneous
from k351c.obis import Obis
from k351c.units import Unit

FIRMWARE_ID = "351C-LEGAL-1.00"  # active (legal) firmware identifier, 1-0:0.2.0.255

if TYPE_CHECKING:
    from k351c.meter.core import Meter
    from k351c.meter.fleet_view import MeterView


def default_functions(config: MeterConfig) -> list[MeterFunction]:
    """The meter's functions in the order they run each step (tariffs before what books by tariff)."""
    from k351c.meter.analysis import AnalysisLogger
    from k351c.meter.billing import Billing
    from k351c.meter.calendar import CalendarKeeper
    from k351c.meter.demand import Demand
    from k351c.meter.display import Display
    from k351c.meter.eventlog import EventLogs
    from k351c.meter.hours import HourCounter
    from k351c.meter.io import IoModule
    from k351c.meter.loadcontrol import LoadControl
    from k351c.meter.loadprofile import LoadProfile
    from k351c.meter.powerfail import PowerFail
    from k351c.meter.quality import VoltageQuality
    from k351c.meter.tamper import Tamper
    from k351c.meter.tariffs import Tariffs

    return [PowerFail(), Tariffs(), Demand(), HourCounter(), Billing(),
            VoltageQuality(), Tamper(), EventLogs(), LoadProfile(), AnalysisLogger(), Display(),
            LoadControl(), IoModule(), CalendarKeeper()]


def core_values(meter: Meter | MeterView) -> None:
    """Clock, identification, CT ratio, meter constants, energy and instantaneous values."""
    identity_values(meter)
    register_energy(meter)
    register_instantaneous(meter)


def identity_values(meter: Meter | MeterView) -> None:
    """Clock, identification, CT ratio and meter constants."""
    add = meter.objects.add
    config = meter.config
    add(ValueDef(Obis(0, 0, 1, 0, 0), 8, lambda: meter.now, public=True, description="clock"))
    add(ValueDef(Obis(0, 0, 42, 0, 0), 1, lambda: logical_device_name(meter.config.serial), public=True,
                 description="COSEM logical device name", octets=True))
    add(ValueDef(Obis(0, 0, 96, 1, 0), 1, lambda: meter.config.serial, public=True,
                 set=lambda v: meter.reconfigure(serial=str(v)), description="serial number (meter number)"))
    add(ValueDef(Obis(0, 0, 96, 1, 1), 1, lambda: str(meter.config.type_number), public=True,
                 description="type number (ordering code)"))
    add(ValueDef(Obis(1, 0, 0, 2, 0), 1, lambda: FIRMWARE_ID, legal=True, octets=True,
                 description="active firmware identifier (legal firmware, read-only)"))
    add(ValueDef(Obis(1, 0, 0, 4, 2), 1, lambda: meter.ct_primary, Unit.AMPERE, legal=config.ct_locked,
                 set=lambda v: meter.set_ct_ratio(int(v), meter.ct_secondary),
                 description="CT ratio numerator (primary current)"))
    add(ValueDef(Obis(1, 0, 0, 4, 5), 1, lambda: meter.ct_secondary, Unit.AMPERE, legal=True,
                 description="CT ratio denominator (secondary current)"))
    add(ValueDef(Obis(1, 0, 0, 3, 0), 1, lambda: 10000, Unit.ACTIVE_ENERGY_METER_CONSTANT, legal=True,
                 description="meter constant, active (LED)"))
    add(ValueDef(Obis(1, 0, 0, 3, 1), 1, lambda: 10000, Unit.REACTIVE_ENERGY_METER_CONSTANT, legal=True,
                 description="meter constant, reactive (LED)"))


def s0_values(meter: Meter) -> None:
    """The built-in S0 output's pulse count and overrun (a single meter's pulse counters)."""
    add = meter.objects.add
    add(ValueDef(Obis(0, 0, 128, 14, 0), 3, lambda: meter.s0.count, value_range=COUNTER_RANGE,
                 description="S0 output pulse count (5000 imp/kWh of secondary A+, 30 ms)"))
    add(ValueDef(Obis(0, 0, 128, 14, 5), 1, lambda: meter.s0.dropped,
                 description="S0 output overrun: pulses not emitted (above 1/(2 x 30 ms))"))


def logical_device_name(serial: str) -> str:
    """'KAM' + serial number, at most 16 octets (IEC 62056-6-2)."""
    return ("KAM" + serial)[:16]
