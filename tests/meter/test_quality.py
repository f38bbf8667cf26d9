"""Voltage quality: min/max with time, under/overvoltage with minimum duration, failures, supply indicator."""

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.codes import Settings, Thresholds
from k351c.meter.eventlog import EventLogs
from k351c.meter.quality import VoltageQuality
from k351c.meter.scenario import ScenarioLoad, Window

T0 = 1767225600.0


def meter(windows, min_duration=60, base=None):
    settings = Settings.default()
    settings = Settings(
        settings.display_tables, settings.tariff_tables, Thresholds(min_duration_s=min_duration)
    )
    config = MeterConfig.from_codes(settings=settings)
    m = Meter(config, clock=SimClock(T0, rate=0), functions=[VoltageQuality(), EventLogs()])
    m.set_load(ScenarioLoad(base or ConstantLoad(voltage=230.0, current=1.0), windows))
    return m


def test_min_max_per_phase_the_maximum_with_its_timestamp():
    m = meter(
        [
            Window(T0 + 100, T0 + 130, (0,), voltage=221.3),
            Window(T0 + 500, T0 + 510, (2,), voltage=241.7),
        ]
    )
    m.run_for(3600)
    assert m.read("1-0:32.3.0.255").value == 221.3
    assert m.read("1-0:32.3.0.255").captured is None  # the minimum is a class 3 register
    assert m.read("1-0:72.6.0.255").value == 241.7
    assert m.read("1-0:72.6.0.255").captured.timestamp() == T0 + 500
    assert m.read("1-0:52.3.0.255").value == m.read("1-0:52.6.0.255").value == 230.0


def test_undervoltage_needs_the_minimum_duration():
    m = meter(
        [
            Window(T0 + 100, T0 + 159, (0,), voltage=200.0),  # 59 s: too short
            Window(T0 + 300, T0 + 400, (0,), voltage=200.0),  # 100 s: counted
            Window(T0 + 600, T0 + 900, (1,), voltage=255.0),
        ]
    )  # overvoltage L2, 300 s
    m.run_for(1800)
    assert m.read("1-0:32.32.0.255").value == 1
    assert m.read("1-0:32.33.0.255").value == 100
    assert m.read("1-0:52.36.0.255").value == 1 and m.read("1-0:52.37.0.255").value == 300
    assert m.read("1-0:72.32.0.255").value == 0
    events = m.function("eventlog").entries("power_quality")
    assert events == [(T0 + 360, 77), (T0 + 400, 83), (T0 + 660, 81), (T0 + 900, 84)]
    assert m.read("1-0:12.31.0.255").value == 207.0 and m.read("1-0:12.35.0.255").value == 253.0


def test_running_condition_duration_and_split_steps():
    m = meter([Window(T0 + 10, T0 + 10_000, (2,), voltage=190.0)])
    for _ in range(10):
        m.run_for(500)
    assert m.read("1-0:72.32.0.255").value == 1
    assert m.read("1-0:72.33.0.255").value == 4990  # running condition counts up to now


def test_phase_failures_counted_and_supply_indicator():
    m = meter(
        [Window(T0 + 100, T0 + 200, (1,), voltage=0.0), Window(T0 + 300, T0 + 400, voltage=0.0)]
    )
    m.run_for(150)
    assert m.function("quality").supply_indicator == (True, False, True)
    m.run_for(1000)
    assert m.function("quality").supply_indicator == (True, True, True)
    # the all-phase outage 300..400 is a power failure (the meter is off), not three phase failures
    assert m.read("1-0:52.40.0.255").value == 1
    assert m.read("1-0:32.40.0.255").value == 0
    assert m.read("0-0:96.7.21.255").value == 1
    assert m.read("1-0:52.41.0.255").value == 100
    assert m.read("1-0:52.3.0.255").value == 230.0  # a lost phase is no minimum voltage
    codes = [c for _, c in m.function("eventlog").entries("power_quality")]
    assert codes == [87, 91]


def test_one_all_phase_outage_is_one_power_failure_and_no_phase_failure():
    from k351c.meter.powerfail import PowerFail

    m = Meter(
        MeterConfig.default(),
        clock=SimClock(T0, rate=0),
        functions=[VoltageQuality(), PowerFail(), EventLogs()],
    )
    m.set_load(ScenarioLoad(ConstantLoad(current=1.0), [Window(T0 + 60, T0 + 600, voltage=0.0)]))
    m.run_for(3600)
    assert m.read("0-0:96.7.0.255").value == 1  # power failures in all three phases
    assert m.read("0-0:96.7.21.255").value == 0  # power failures in any phase
    assert [m.read(f"1-0:{c}.40.0.255").value for c in (32, 52, 72)] == [0, 0, 0]
    assert m.function("eventlog").entries("power_quality") == []
    assert [c for _, c in m.function("eventlog").entries("standard")] == [1, 2]


def test_reset_and_restart_keep_counters():
    from k351c.store import MemoryStore

    store = MemoryStore()
    windows = [Window(T0 + 100, T0 + 300, (0,), voltage=260.0)]
    m = Meter(
        MeterConfig.default(), clock=SimClock(T0, rate=0), store=store, functions=[VoltageQuality()]
    )
    m.set_load(ScenarioLoad(ConstantLoad(current=1.0), windows))
    m.run_for(200)
    again = Meter(
        MeterConfig.default(),
        clock=SimClock(T0 + 200, rate=0),
        store=store,
        functions=[VoltageQuality()],
    )
    again.set_load(m.load)
    again.run_for(200)
    assert again.read("1-0:32.36.0.255").value == 1 and again.read("1-0:32.37.0.255").value == 200
    assert again.read("1-0:32.6.0.255").value == 260.0
    again.function("quality").reset_min_max()
    assert again.read("1-0:32.6.0.255").value == 0
