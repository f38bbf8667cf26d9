"""Externally controlled debiting (GG = 00 or HH = 00): every path outside Python ends the period."""

from __future__ import annotations

import pytest

from k351c import ConfigError, ConstantLoad, Meter, MeterConfig, SimClock
from k351c.meter.scenario import Scenario, ScenarioPlayer

SCENARIO = """
[scenario]
from = "2026-01-05T00:00:00Z"
to = "2026-03-01T00:00:00Z"
[load]
current = 5.0
[[events]]
at = "2026-01-20T12:00:00Z"
kind = "debiting_stop"
[[events]]
at = "2026-02-20T12:00:00Z"
kind = "debiting_stop"
"""


def external_meter(config2: str = "001-00-01-1", config1: str | None = None) -> Meter:
    config = MeterConfig.from_codes(config2=config2, config1=config1)
    return Meter(config, clock=SimClock("2026-01-05T00:00:00Z", rate=0))


@pytest.mark.parametrize("config2", ["001-00-01-1", "001-01-00-1"])
def test_externally_controlled_debiting_never_stops_by_itself(config2) -> None:
    meter = external_meter(config2)
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(400 * 86400)
    assert meter.read("0-0:0.1.0.255").value == 0
    assert meter.read("0-0:98.1.0.255").rows == []


def test_scenario_debiting_stop_actions_end_the_period_at_their_times() -> None:
    meter = external_meter()
    scenario = Scenario.from_text(SCENARIO)
    player = ScenarioPlayer(meter, scenario)
    player.advance_to(SimClock("2026-03-01T00:00:00Z").timestamp())
    rows = meter.read("0-0:98.1.0.255").rows
    assert [r[0].isoformat() for r in rows] == [
        "2026-01-20T13:00:00+01:00",
        "2026-02-20T13:00:00+01:00",
    ]
    assert meter.read("0-0:0.1.0.255").value == 2
    # A+ of the second snapshot is 31 days of 3 x 230 V x 5 A more than the first
    a_plus = rows[1][7] - rows[0][7]
    assert a_plus == pytest.approx(3 * 230 * 5 * 24 * 31, rel=1e-3)


def test_no_dd_code_has_a_debiting_stop_input() -> None:
    """DD 15 is the debiting stop *output*; its line cannot be driven as an input."""
    meter = external_meter(config1="3-1-055-15-2")
    with pytest.raises(ConfigError, match="input"):
        meter.function("io").set_input(1, 1)
    assert meter.read("0-0:0.1.0.255").value == 0
