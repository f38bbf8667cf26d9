"""Demand: block and sliding-window demand, peaks with capture time, accumulated peaks, threshold counter."""

from datetime import UTC, datetime

import numpy as np
import pytest

from k351c import ConfigError, ConstantLoad, Meter, MeterConfig, SimClock
from k351c.meter.demand import Demand
from k351c.meter.loads import Segments
from k351c.meter.metrology import PhaseInputs
from k351c.store import SqliteStore

EPOCH = "2026-01-01T00:00:00Z"
T0 = datetime(2026, 1, 1, tzinfo=UTC).timestamp()


class StepLoad:
    """Balanced 230 V load: ``current[i]`` amps from ``times[i]`` (seconds after T0) on."""

    def __init__(self, times, currents, angle=0.0):
        self.times, self.currents, self.angle = np.asarray(times, float) + T0, currents, angle

    def segments(self, t0, t1):
        inner = self.times[(self.times > t0) & (self.times < t1)]
        times = np.concatenate(([t0], inner, [t1]))
        index = np.searchsorted(self.times, times[:-1], side="right") - 1
        cur = np.array([self.currents[max(i, 0)] for i in index])
        n = len(cur)
        return Segments(
            times,
            PhaseInputs(
                np.full((n, 3), 230.0),
                np.repeat(cur[:, None], 3, 1),
                np.full((n, 3), self.angle),
                np.full(n, 50.0),
            ),
        )


def make_meter(demand=None, store=None, **codes) -> Meter:
    config = MeterConfig.from_codes(**codes)
    return Meter(config, clock=SimClock(EPOCH, rate=0), store=store, functions=[demand or Demand()])


def local(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_block_demand_of_a_constant_load():
    meter = make_meter()
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(7200)
    peak = meter.read("1-0:1.6.0.255")
    assert (peak.value, peak.unit) == (3450, "W")
    assert peak.captured == local("2026-01-01T01:15:00+01:00")  # end of the first 15-min period
    assert meter.read("0-0:128.10.0.255").value == 8  # 3450 W > 2000 W in all eight periods
    assert meter.read("1-0:9.6.0.255").value == 3450
    assert meter.read("1-0:10.6.0.255").value == 0
    assert meter.read("1-0:10.6.0.255").captured is None


def test_demand_is_the_mean_over_the_period():
    meter = make_meter()
    meter.set_load(StepLoad([0, 600, 900], [5.0, 1.0, 2.0]))
    meter.run_for(1800)
    assert meter.read("1-0:1.6.0.255").value == round((3450 * 600 + 690 * 300) / 900)
    assert meter.function("demand").last[0] == pytest.approx(1380.0)


def test_sliding_window_demand():
    meter = make_meter(Demand(subperiods=3))
    meter.set_load(StepLoad([0, 300, 600], [0.0, 5.0, 0.0]))
    meter.run_for(3600)
    peak = meter.read("1-0:1.6.0.255")
    assert peak.value == 1150  # five minutes of 3450 W in a 15-minute window
    assert peak.captured == local("2026-01-01T01:10:00+01:00")  # first window that holds it
    with pytest.raises(ConfigError):
        Demand(subperiods=0)


def test_reactive_and_export_peaks_and_integration_period():
    meter = make_meter(config1="3-1-000-00-4")  # 60-minute integration
    meter.set_load(ConstantLoad(current=2.0, angle=90.0))
    meter.run_for(3600)
    meter.set_load(ConstantLoad(current=3.0, angle=180.0))
    meter.run_for(3600)
    q = meter.read("1-0:3.6.0.255")
    assert (q.value, q.unit, q.captured) == (1380, "var", local("2026-01-01T02:00:00+01:00"))
    assert meter.read("1-0:10.6.0.255").value == 2070
    assert meter.read("1-0:9.6.0.255").value == 1380
    assert meter.read("1-0:1.6.0.255").value == 0


def test_peaks_per_tariff_and_primary_values():
    meter = make_meter(config5="000-020-1-1")  # CT 100/5
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(900)
    meter.tariff = 2
    meter.set_load(ConstantLoad(current=2.0))
    meter.run_for(900)
    assert meter.read("1-0:1.6.1.255").value == 3450 * 20
    assert meter.read("1-0:1.6.2.255").value == 1380 * 20
    assert meter.read("1-0:1.6.2.255").captured == local("2026-01-01T01:30:00+01:00")
    assert meter.read("1-0:3.6.1.255").value == 0


def test_accumulate_and_reset():
    meter = make_meter()
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(900)
    demand = meter.function("demand")
    for _ in range(2):
        demand.accumulate_peaks()
    demand.reset_peaks()
    assert meter.read("1-0:1.2.0.255").value == 6900
    assert meter.read("1-0:1.2.1.255").value == 6900  # tariff 1 all along
    assert meter.read("1-0:1.6.0.255").value == 0
    assert demand.peak("P+").t is None


def test_threshold_is_settable():
    meter = make_meter()
    meter.write("0-0:128.10.1.255", 3000)
    meter.set_load(StepLoad([0, 900], [5.0, 4.0]))
    meter.run_for(1800)
    assert meter.read("0-0:128.10.0.255").value == 1  # 3450 W counts, 2760 W does not
    with pytest.raises(ConfigError):
        meter.write("0-0:128.10.1.255", -1)


def test_clock_adjustment_ends_the_period_at_the_old_time():
    meter = make_meter()
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(600)
    meter.set_clock("2026-01-02T00:00:00Z")
    peak = meter.read("1-0:1.6.0.255")
    assert peak.value == 2300 and peak.captured == local("2026-01-01T01:10:00+01:00")
    meter.run_for(900)
    assert meter.read("1-0:1.6.0.255").value == 3450


def test_open_period_survives_a_restart(tmp_path):
    load = StepLoad([0, 420], [5.0, 1.0])
    reference = make_meter()
    reference.set_load(load)
    reference.run_for(900)
    store = SqliteStore(tmp_path / "m.sqlite")
    meter = make_meter(store=store)
    meter.set_load(load)
    meter.run_for(420)
    again = make_meter(store=store)
    again.set_load(load)
    again.run_for(480)
    assert again.read("1-0:1.6.0.255") == reference.read("1-0:1.6.0.255")
    assert again.read("1-0:1.6.0.255").value == round((3450 * 420 + 690 * 480) / 900)
