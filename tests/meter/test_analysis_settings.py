"""Analysis logger: averages vs samples per channel, and channels/period from every path with one validation."""

from __future__ import annotations

import pytest

from k351c import ConfigError, ConstantLoad, Meter, MeterConfig, SimClock
from k351c.axdr.enums import DataAccessResult
from k351c.axdr.types import Data, DataType
from k351c.codes.configfile import load_text
from k351c.cosem import Level, RequestContext, build_object_list
from k351c.meter.scenario import Scenario, ScenarioPlayer
from k351c.obis import Obis
from k351c.store import MemoryStore

T0 = "2026-01-05T00:00:00Z"
LOGGER = Obis.parse("1-0:99.2.0.255").to_bytes()
MANAGEMENT, READING = RequestContext(Level.MANAGEMENT), RequestContext(Level.READING)


def make(config: MeterConfig | None = None, store=None) -> Meter:
    return Meter(config or MeterConfig.default(), clock=SimClock(T0, rate=0), store=store)


def column(meter: Meter, code: str) -> list:
    profile = meter.read("1-0:99.2.0.255")
    i = profile.columns.index(code)
    return [row[i] for row in profile.rows]


def test_instantaneous_channels_are_period_averages_and_energy_is_a_sample() -> None:
    meter = make()
    logger = meter.function("analysis")
    logger.configure(["1-0:32.7.0.255", "1-0:31.7.0.255", "1-0:14.7.0.255", "1-0:1.8.0.255"], 15)
    kinds = logger.kinds()
    assert kinds["1-0:32.7.0.255"] == kinds["1-0:31.7.0.255"] == "average"
    assert kinds["1-0:1.8.0.255"] == "sample"
    meter.set_load(ConstantLoad(voltage=220.0, current=2.0))
    meter.run_for(300)
    meter.set_load(ConstantLoad(voltage=240.0, current=5.0))
    meter.run_for(600)
    assert column(meter, "1-0:32.7.0.255") == [pytest.approx((220 * 5 + 240 * 10) / 15, abs=0.05)]
    assert column(meter, "1-0:31.7.0.255") == [pytest.approx((2 * 5 + 5 * 10) / 15, abs=0.005)]
    assert column(meter, "1-0:14.7.0.255") == [pytest.approx(50.0)]
    assert column(meter, "1-0:1.8.0.255") == [meter.read("1-0:1.8.0.255").value]
    assert meter.read("1-0:32.7.0.255").value == pytest.approx(240.0)  # the register itself is instantaneous


def test_an_average_covers_a_sag_inside_one_step() -> None:
    scenario = Scenario.from_text(
        """
[load]
current = 5.0
[[events]]
at = "2026-01-05T00:05:00Z"
kind = "sag"
phases = [1]
voltage = 195.0
duration = "5m"
"""
    )
    meter = make()
    player = ScenarioPlayer(meter, scenario)
    player.advance_to(SimClock("2026-01-05T00:15:00Z").timestamp())
    (l1,) = column(meter, "1-0:32.7.0.255")
    (l2,) = column(meter, "1-0:52.7.0.255")
    assert l1 == pytest.approx((230 * 10 + 195 * 5) / 15, abs=0.05)
    assert l2 == pytest.approx(230.0, abs=0.05)


def test_a_restart_inside_the_period_keeps_the_running_average() -> None:
    store = MemoryStore()
    meter = make(store=store)
    meter.set_load(ConstantLoad(voltage=220.0, current=1.0))
    meter.run_for(600)
    again = make(store=store)
    again.set_load(ConstantLoad(voltage=235.0, current=1.0))
    again.clock.set(again.t)
    again.run_for(300)
    assert column(again, "1-0:32.7.0.255") == [pytest.approx((220 * 10 + 235 * 5) / 15, abs=0.05)]


def test_dlms_sets_capture_objects_and_period_with_the_data_sheet_limits() -> None:
    meter = make()
    objects = build_object_list(meter)

    def capture(*codes: str) -> Data:
        return Data.array(
            [
                Data.structure(
                    Data(DataType.LONG_UNSIGNED, 8 if code.startswith("0-0:1.0.0") else 3),
                    Data(DataType.OCTET_STRING, Obis.parse(code).to_bytes()),
                    Data(DataType.INTEGER, 2),
                    Data(DataType.LONG_UNSIGNED, 0),
                )
                for code in codes
            ]
        )

    wanted = capture("0-0:1.0.0.255", "1-0:32.7.0.255", "1-0:1.8.0.255")
    assert objects.set(READING, 7, LOGGER, 3, wanted) == DataAccessResult.READ_WRITE_DENIED
    assert objects.set(MANAGEMENT, 7, LOGGER, 3, wanted) == DataAccessResult.SUCCESS
    assert meter.function("analysis").channels == ["1-0:32.7.0.255", "1-0:1.8.0.255"]
    period = Data(DataType.DOUBLE_LONG_UNSIGNED, 300)
    assert objects.set(MANAGEMENT, 7, LOGGER, 4, period) == DataAccessResult.SUCCESS
    assert meter.read("1-0:99.2.0.255").capture_period == 300
    assert objects.get(READING, 7, LOGGER, 8).value == 524288 // (4 + 4 * 2)
    too_many = capture(*[f"1-0:{c}.8.{t}.255" for c in (1, 2, 3, 4) for t in range(5)][:17])
    for bad, attr in ((too_many, 3), (Data(DataType.DOUBLE_LONG_UNSIGNED, 420), 4)):
        assert objects.set(MANAGEMENT, 7, LOGGER, attr, bad) != DataAccessResult.SUCCESS
    assert meter.function("analysis").channels == ["1-0:32.7.0.255", "1-0:1.8.0.255"]
    assert meter.config.settings.analysis.channels == ("1-0:32.7.0.255", "1-0:1.8.0.255")
    assert meter.config.settings.analysis.interval_minutes == 5


def test_the_configuration_file_sets_channels_and_period() -> None:
    text = """
[analysis]
channels = ["1-0:32.7.0.255", "1-0:52.7.0.255", "1-0:1.8.0.255"]
interval_minutes = 5
"""
    meter = make(load_text(text).meter)
    assert meter.function("analysis").channels == ["1-0:32.7.0.255", "1-0:52.7.0.255", "1-0:1.8.0.255"]
    assert meter.read("1-0:99.2.0.255").capture_period == 300
    for bad in ("interval_minutes = 7", "channels = []", "period = 5"):
        with pytest.raises(ConfigError):
            load_text(f"[analysis]\n{bad}\n")
