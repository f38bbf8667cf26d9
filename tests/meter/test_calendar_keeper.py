"""The passive calendar is the meter's own function: a bare Meter activates it at its instant."""

from __future__ import annotations

import dataclasses

from k351c import Meter, MeterConfig, SimClock
from k351c.codes.settings import PassiveCalendar
from k351c.meter.calendar import KEEPER, CalendarKeeper, table_parts
from k351c.store import MemoryStore

T0 = "2026-01-05T00:00:00Z"  # a Monday; default table 001: workdays 06-22 tariff 1, else tariff 2


def _flat_t4(config: MeterConfig) -> PassiveCalendar:
    parts = table_parts(config.tariff_table)
    parts["name"] = "flat"
    parts["days"] = [[day_id, [["00:00", 4]]] for day_id, _ in parts["days"]]
    return PassiveCalendar.from_dict(parts)


def _with_passive(config: MeterConfig, activation: float) -> MeterConfig:
    settings = dataclasses.replace(
        config.settings, passive_calendar=_flat_t4(config), calendar_activation=activation
    )
    return dataclasses.replace(config, settings=settings)


def test_the_catalog_installs_the_calendar_keeper() -> None:
    meter = Meter(MeterConfig.default(), clock=SimClock(T0, rate=0))
    assert isinstance(meter.function(KEEPER), CalendarKeeper)


def test_a_bare_meter_activates_its_passive_calendar_at_the_activation_time() -> None:
    base = MeterConfig.default()
    start = SimClock(T0, rate=0).timestamp()
    activation = start + 7 * 3600  # local 08:00, tariff 1 under the active table
    store = MemoryStore()
    meter = Meter(_with_passive(base, activation), clock=SimClock(T0, rate=0), store=store)
    meter.run_for(7 * 3600 - 1)
    assert meter.config.tariff_table.name == base.tariff_table.name
    assert meter.tariff == 1
    meter.run_for(2)
    assert meter.config.tariff_table.name == "flat"
    assert meter.tariff == 4
    assert meter.config.settings.calendar_activation is None
    restarted = Meter(base, clock=SimClock(T0, rate=0), store=store)
    assert restarted.config.tariff_table.name == "flat"


def test_a_passive_calendar_stored_through_the_keeper_activates_without_cosem() -> None:
    meter = Meter(MeterConfig.default(), clock=SimClock(T0, rate=0))
    keeper = meter.function(KEEPER)
    keeper.store_passive(_flat_t4(meter.config).to_dict(), activation=meter.t + 3600)
    meter.run_for(3599)
    assert meter.config.tariff_table.name != "flat"
    meter.run_for(2)
    assert meter.config.tariff_table.name == "flat"
    assert meter.tariff == 4
