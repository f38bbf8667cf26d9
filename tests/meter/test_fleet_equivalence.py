"""A fleet meter is the whole meter: every OBIS code of a single ``Meter`` reads the same from the view.

The contract of shared/DESIGN.md "Fleet API": ``Meter(view.config, clock=SimClock(T0, rate=0),
load=view.load)`` run the same way as the fleet reads equal to ``view.read(obis)`` for every OBIS
code of ``twin.objects``. The scenarios (5, 15, 30 and 60 min periods, a secondary-energy profile, the
spring DST change) cross a debiting stop (1 March), change the CT ratio in the middle of an interval
and put an outage across an interval end; Hypothesis picks the instants.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from k351c import Fleet, Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.meter.readings import Profile

T0 = parse_instant("2026-02-27T00:00:00Z").timestamp()  # the 1 March debiting stop is inside the runs
CONFIGS = {
    5: MeterConfig.from_codes(config1="3-1-000-00-1", serial="7012345678"),
    15: MeterConfig.default(),
    30: MeterConfig.from_codes(config1="3-1-000-00-3", serial="7012345678"),
    60: MeterConfig.from_codes(config1="3-1-000-00-4", serial="7012345678"),
    "secondary profile": MeterConfig.from_codes(config3="00-0-01-0-00-001-001-02", serial="7012345678"),
}
DST = parse_instant("2026-03-27T00:00:00Z").timestamp()  # the EU spring change on 29 March is inside


def _same(a, b) -> bool:
    """Readings equal; floats to a relative 1e-9 (instantaneous values), everything else exactly."""
    if isinstance(a, Profile) or isinstance(b, Profile):
        return a == b
    if isinstance(a.value, float) and isinstance(b.value, float):
        return (
            math.isclose(a.value, b.value, rel_tol=1e-9, abs_tol=1e-9)
            and (a.unit, a.scaler, a.captured, a.status) == (b.unit, b.scaler, b.captured, b.status)
        )
    return a == b


def _assert_equivalent(view, twin) -> None:
    codes = [str(d.obis) for d in twin.objects]
    assert sorted(codes) == sorted(str(d.obis) for d in view.objects)
    differ = [o for o in codes if not _same(view.read(o), twin.read(o))]
    assert differ == [], {o: (view.read(o), twin.read(o)) for o in differ[:5]}


def _run(minutes, ct_at: float, ct: int, outage_at: float, outage_s: float, end: float, t0=T0):
    config = CONFIGS[minutes]
    fleet = Fleet(config, meters=3, clock=SimClock(t0, rate=0))
    fleet.add_outage(t0 + outage_at, t0 + outage_at + outage_s, [2])
    fleet.run_for(ct_at)
    view = fleet.meter(1)
    view.set_ct_ratio(ct)
    fleet.run_for(end - ct_at)
    return fleet, view


def _twin(view, ct_at: float | None = None, ct: int = 0, end: float = 0.0, t0=T0) -> Meter:
    twin = Meter(view.config, clock=SimClock(t0, rate=0), load=view.load)
    if ct_at is not None:
        twin.run_for(ct_at)
        twin.set_ct_ratio(ct)
        twin.run_for(end - ct_at)
    else:
        twin.run_for(end)
    return twin


@pytest.mark.parametrize(
    ("minutes", "t0"),
    [
        (5, T0),
        (15, T0),
        (30, T0),
        (60, T0),
        ("secondary profile", T0),
        (15, DST),
        (15, T0 + 437.0),
        (5, T0 + 437.0),
    ],
    ids=[
        "5min",
        "15min",
        "30min",
        "60min",
        "secondary-profile",
        "15min-dst",
        "start-off-the-grid",
        "5min-off-the-grid",
    ],
)
def test_every_object_of_every_meter_equals_its_single_twin(minutes, t0):
    ct_at, outage_at, end = 86400 + 450.0, 2 * 86400 + 3300.0, 3 * 86400 + 1234.0
    fleet, view = _run(minutes, ct_at, 1000, outage_at, 1200.0, end, t0)
    assert fleet.meter(1).read("1-0:0.4.2.255").value == 1000
    _assert_equivalent(fleet.meter(0), _twin(fleet.meter(0), end=end, t0=t0))
    _assert_equivalent(view, _twin(fleet.meter(1), ct_at, 1000, end, t0))
    outaged = fleet.meter(2)
    twin = _twin(outaged, end=end, t0=t0)
    _assert_equivalent(outaged, twin)
    assert twin.read("0-0:96.7.0.255").value == 1  # the outage happened and is logged
    if t0 <= T0 + 86400:
        assert len(twin.read("0-0:98.1.0.255").rows) >= 1  # the 1 March debiting stop was logged


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking a 2.5-day run takes minutes
)
@example(ct_at=31000.0, outage_at=31000.0, outage_s=1.0, ct=5, minutes=15, shift=0)  # ends on an interval boundary
@example(ct_at=4000.0, outage_at=215900.0, outage_s=1000.0, ct=1000, minutes=60, shift=900)  # ends inside an outage
@example(ct_at=60468.0, outage_at=91613.0, outage_s=556.0, ct=5, minutes=5, shift=969)  # maximum voltage at power return
@given(
    ct_at=st.integers(31000, 86400).map(float),
    outage_at=st.integers(31000, 2 * 86400).map(float),
    outage_s=st.integers(1, 5400).map(float),
    ct=st.sampled_from([5, 100, 1000, 3000]),
    minutes=st.sampled_from([5, 15, 60]),
    shift=st.integers(0, 3599),  # the start, off the grid or on it
)
def test_equivalence_at_hypothesis_instants(ct_at, outage_at, outage_s, ct, minutes, shift):
    end, t0 = 2.5 * 86400, T0 + shift
    fleet, view = _run(minutes, ct_at, ct, outage_at, outage_s, end, t0)
    _assert_equivalent(view, _twin(fleet.meter(1), ct_at, ct, end, t0))
    _assert_equivalent(fleet.meter(2), _twin(fleet.meter(2), end=end, t0=t0))


def test_ct_change_books_the_running_interval_at_the_ratio_in_force():
    fleet = Fleet(MeterConfig.default(), meters=1, clock=SimClock(T0, rate=0))
    fleet.run_for(450.0)
    before = fleet.registers(0, 0)[0, 0]
    fleet.set_ct(0, 3000)
    assert fleet.registers(0, 0)[0, 0] == before  # a ratio change does not rebook energy
    fleet.run_for(450.0)
    twin = _twin(fleet.meter(0), 450.0, 3000, 900.0)
    assert twin.read("1-0:1.8.0.255") == fleet.meter(0).read("1-0:1.8.0.255")
