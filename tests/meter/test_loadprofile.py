"""Load profile: alignment, channels per X5/QQ, depth table, status byte, sums equal to register differences."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.meter.eventlog import EventLogs
from k351c.meter.loadprofile import (
    DEPTH_DAYS,
    LoadProfile,
    ProfileStatus,
    aligned_after,
    depth_entries,
)
from k351c.meter.powerfail import PowerFail
from k351c.meter.scenario import ScenarioLoad, Window
from k351c.store import MemoryStore

EPOCH = "2026-01-01T00:00:00Z"
T0 = 1767225600.0  # EPOCH


def meter(config=None, epoch=EPOCH, store=None):
    return Meter(
        config or MeterConfig.default(),
        clock=SimClock(epoch, rate=0),
        store=store or MemoryStore(),
        functions=[PowerFail(), EventLogs(), LoadProfile()],
    )


def test_depth_table_is_the_data_sheet():
    assert depth_entries(("A+", "A-", "R+", "R-"), 15) == 175 * 96
    assert depth_entries(("A+",), 60) == 1100 * 24
    assert depth_entries(("A+", "A-"), 5) == 77 * 288
    assert DEPTH_DAYS[("A+", "R+")][30] == 462


@pytest.mark.parametrize(
    ("type_number", "columns"),
    [
        ("685-35BC123-070", ["1-0:1.29.0.255"]),
        ("685-35BC223-070", ["1-0:1.29.0.255", "1-0:2.29.0.255"]),
        ("685-35BC323-070", ["1-0:1.29.0.255", "1-0:3.29.0.255"]),
    ],
)
def test_channels_follow_x5(type_number, columns):
    m = meter(MeterConfig.from_codes(type_number=type_number))
    assert m.read("1-0:99.1.0.255").columns == ["0-0:1.0.0.255", "0-0:96.10.1.255", *columns]
    assert m.function("load_profile").depth == depth_entries(m.config.energy_channels, 15)


def test_entries_aligned_and_sum_to_register_difference():
    m = meter(epoch="2026-01-01T00:07:13Z")  # starts off the grid: a partial first entry
    m.set_load(ConstantLoad(current=(1.3, 0.7, 2.1), angle=33.0))
    m.run_for(86400 * 2)
    rows = m.function("load_profile").entries()
    assert all(r[0] % 900 == 0 for r in rows)
    assert (
        rows[0][1] & ProfileStatus.DATA_NOT_VALID and not rows[1][1] & ProfileStatus.DATA_NOT_VALID
    )
    total = m.read("1-1:1.8.0.255").value
    assert sum(r[2] for r in rows) == total - m.function("load_profile").running()[0]
    assert (
        sum(r[4] for r in rows)
        == m.read("1-1:3.8.0.255").value - m.function("load_profile").running()[2]
    )
    profile = m.read("1-0:99.1.0.255")
    assert profile.capture_period == 900
    assert profile.rows[1][0].isoformat() == "2026-01-01T01:30:00+01:00"


def test_primary_profile_uses_primary_energy():
    config = MeterConfig.from_codes(config3="00-0-01-0-00-001-001-01", config5="000-080-1-1")
    m = meter(config)
    m.set_load(ConstantLoad(current=5.0))
    m.run_for(3600)
    assert m.read("1-0:99.1.0.255").columns[2] == "1-0:1.29.0.255"
    rows = m.function("load_profile").entries()
    assert sum(r[2] for r in rows) == m.read("1-0:1.8.0.255").value == 3450 * m.ct_ratio


def test_secondary_profile_per_qq():
    m = meter(MeterConfig.from_codes(config3="00-0-01-0-00-001-001-02"))
    assert m.read("1-0:99.1.0.255").columns[2] == "1-1:1.29.0.255"


def test_ring_buffer_keeps_exactly_the_depth():
    m = meter(
        MeterConfig.from_codes(type_number="685-35BC123-070", config1="3-1-000-00-1")
    )  # A+, 5 min? see E
    lp = m.function("load_profile")
    lp.log.rows = type(lp.log.rows)(maxlen=5)
    lp.log.depth = 5
    m.set_load(ConstantLoad(current=1.0))
    m.run_for(lp.period * 12)
    assert len(lp.entries()) == 5
    assert len(m.store.entries("load_profile")) == 6  # depth + reset margin


def test_status_power_down_dst_clock_adjusted_and_invalid():
    m = meter(epoch="2026-03-29T00:00:00Z")
    base = ConstantLoad(current=2.0)
    m.set_load(
        ScenarioLoad(base, [Window(T0 + 87 * 86400 + 300, T0 + 87 * 86400 + 400, voltage=0.0)])
    )
    m.run_for(3 * 3600)
    rows = m.function("load_profile").entries()
    by_t = {r[0]: r[1] for r in rows}
    assert by_t[T0 + 87 * 86400 + 900] & ProfileStatus.POWER_DOWN
    assert not by_t[T0 + 87 * 86400 + 1800] & ProfileStatus.POWER_DOWN
    assert (
        not by_t[T0 + 87 * 86400 + 2700] & ProfileStatus.DAYLIGHT_SAVING
    )  # summer time starts 01:00 UTC
    assert by_t[T0 + 87 * 86400 + 3600] & ProfileStatus.DAYLIGHT_SAVING  # captured at 03:00 CEST
    m.set_clock(m.t + 120)
    m.function("powerfail").rtc_bits = 0x01
    m.run_for(900)
    last = m.function("load_profile").entries()[-1][1]
    assert last & ProfileStatus.CLOCK_ADJUSTED and last & ProfileStatus.CLOCK_INVALID


def test_survives_restart_with_the_same_store():
    store = MemoryStore()
    m = meter(store=store)
    m.set_load(ConstantLoad(current=2.0))
    m.run_for(3600 + 450)
    again = meter(store=store)
    again.set_load(ConstantLoad(current=2.0))
    again.run_for(450 + 900)
    rows = again.function("load_profile").entries()
    assert len(rows) == 6
    assert sum(r[2] for r in rows) == again.read("1-1:1.8.0.255").value


@settings(max_examples=40, deadline=None)
@given(
    t=st.floats(0, 4e9),
    minutes=st.sampled_from([5, 15, 30, 60]),
    offset=st.sampled_from([0, 60, 330, -300]),
)
def test_aligned_after_is_the_next_local_multiple(t, minutes, offset):
    period = minutes * 60.0
    nxt = aligned_after(t, period, offset * 60.0)
    assert t < nxt <= t + period
    assert (nxt + offset * 60.0) % period == 0
