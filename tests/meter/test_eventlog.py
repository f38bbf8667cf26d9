"""Event logs: codes to logs, clock adjustment as 4/5, summer time as 3, depth, persistence."""

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.meter.eventlog import LOGS, EventCode, EventLogs
from k351c.meter.function import Event
from k351c.store import MemoryStore

T0 = 1767225600.0


def meter(store=None, depths=None):
    m = Meter(
        MeterConfig.default(),
        clock=SimClock(T0, rate=0),
        store=store or MemoryStore(),
        functions=[EventLogs(depths)],
    )
    m.set_load(ConstantLoad(current=1.0))
    return m


def test_codes_are_the_idis_numbers():
    assert EventCode.POWER_DOWN == 1 and EventCode.POWER_UP == 2
    assert EventCode.CLOCK_ADJUSTED_OLD_TIME == 4 and EventCode.CLOCK_ADJUSTED_NEW_TIME == 5
    assert EventCode.TERMINAL_COVER_REMOVED == 40 and EventCode.METER_COVER_CLOSED == 45
    assert EventCode.UNDER_VOLTAGE_L1 == 77 and EventCode.PHASE_RETURNED_L3 == 92
    assert [s.obis for s in LOGS] == ["0-0:99.98.0.255", "0-0:99.98.1.255", "0-0:99.98.4.255"]


def test_clock_adjustment_logged_old_and_new():
    m = meter()
    m.run_for(600)
    m.set_clock(T0 + 3600)
    rows = m.read("0-0:99.98.0.255").rows
    assert [(r[0].timestamp(), r[1]) for r in rows] == [(T0 + 600, 4), (T0 + 3600, 5)]
    assert m.read("0-0:96.11.0.255").value == 5


def test_summer_time_changes_logged():
    m = meter()
    m.run_for(365 * 86400)
    assert [c for _, c in m.function("eventlog").entries("standard")] == [3, 3]
    assert m.function("eventlog").entries("standard")[0][0] == 1774746000.0  # 2026-03-29T01:00Z


def test_depth_trims_memory_and_permanent_store():
    store = MemoryStore()
    m = meter(store, depths={"power_quality": 3})
    for i in range(5):
        m.emit(Event(T0 + i, "voltage_quality", 77 + i % 3))
    m.commit()
    assert [t for t, _ in m.function("eventlog").entries("power_quality")] == [
        T0 + 2,
        T0 + 3,
        T0 + 4,
    ]
    again = meter(store, depths={"power_quality": 3})
    assert again.function("eventlog").entries("power_quality") == m.function("eventlog").entries(
        "power_quality"
    )
    assert len(store.entries("eventlog.power_quality")) <= 4


def test_unknown_and_zero_codes_are_ignored():
    m = meter()
    m.emit(Event(T0, "pulses"))
    m.emit(Event(T0, "vendor", 250))
    assert all(not m.function("eventlog").entries(s.name) for s in LOGS)


def test_failed_authentication_lands_in_the_fraud_log():
    m = meter()
    m.emit(Event(m.t, "authentication_failed", log="standard", data={"client_sap": 32}))
    assert m.function("eventlog").entries("fraud")[-1] == (m.t, EventCode.ASSOCIATION_AUTHENTICATION_FAILURE)
