"""A fleet meter's analysis logger is recomputed and its display lists are its own (no twin).

Each is compared with a single ``Meter`` run on the meter's inputs (``view.config``, ``view.load``):
the analysis entries at instants Hypothesis picks (period, start, outage, run length), after a
channel/period write, a reset and a capture, across a save and restore; the settings are refused by
the single meter's rule; the display lists are validated and shown by it.
"""

from __future__ import annotations

import dataclasses
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k351c import ConfigError, Fleet, Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.codes import RtcSettings, Settings
from k351c.codes.settings import Analysis
from k351c.meter.analysis import INTERVALS_MIN, depth_for
from k351c.meter.display import LIST_OBIS

T0 = parse_instant("2026-03-02T00:00:00Z").timestamp()
ANALYSIS = "1-0:99.2.0.255"
DAY = 86400.0
SAMPLED = [
    "1-0:32.7.0.255",
    "1-0:1.8.0.255",
    "1-0:1.8.1.255",
    "1-0:1.8.2.255",
    "1-1:3.8.0.255",
    "1-0:21.8.0.255",
    "1-0:4.8.0.255",
    "1-0:1.7.0.255",
]
CHANNELS = ["1-0:21.7.0.255", "1-0:9.7.0.255", "1-0:33.7.0.255", "1-1:31.7.0.255"]


def _fleet(t0: float = T0, config: MeterConfig | None = None) -> Fleet:
    return Fleet(config or MeterConfig.default(), meters=3, clock=SimClock(t0, rate=0))


def _single(fleet: Fleet, i: int, t0: float) -> Meter:
    view = fleet.meter(i)
    return Meter(view.config, clock=SimClock(t0, rate=0), load=view.load)


def _logger(meter):  # noqa: ANN001, ANN202
    return meter.objects.lookup(ANALYSIS)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    minutes=st.sampled_from(INTERVALS_MIN),
    shift=st.integers(0, 3599),
    ppm=st.sampled_from([0.0, 0.0, 700.0, -300.0]),
    outage=st.tuples(st.integers(60, 30000), st.integers(1, 7200)),
    sag=st.tuples(st.integers(60, 30000), st.integers(1, 3000), st.floats(0.0, 1.2)),
    ct_at=st.integers(1, 40000),
    samples=st.booleans(),
    run=st.integers(600, 40000),
)
def test_recomputed_entries_equal_a_single_meters(
    minutes, shift, ppm, outage, sag, ct_at, samples, run
):
    t0 = T0 + shift
    drift = dataclasses.replace(Settings.default(), rtc=RtcSettings(drift_ppm=ppm))
    fleet = _fleet(t0, MeterConfig.from_codes(settings=drift))
    fleet.add_outage(t0 + outage[0], t0 + outage[0] + outage[1], [2])
    fleet.add_voltage_event(t0 + sag[0], t0 + sag[0] + sag[1], [2], (1, 3), sag[2])
    meter = _single(fleet, 2, t0)
    for one in (fleet.meter(2), meter):
        if samples:
            _logger(one).set_columns(SAMPLED)
        _logger(one).set_period(minutes * 60)
    for at in (min(ct_at, run), run):
        fleet.run_for(t0 + at - fleet.t)
        meter.run_for(t0 + at - meter.true_t)
        if at == ct_at:
            fleet.meter(2).set_ct_ratio(1000)
            meter.set_ct_ratio(1000)
    mine, theirs = fleet.meter(2).read(ANALYSIS), meter.read(ANALYSIS)
    assert mine.capture_period == theirs.capture_period == minutes * 60
    assert mine.columns == theirs.columns
    assert mine.rows == theirs.rows


def test_energy_registers_the_configuration_samples_are_recomputed_across_a_restart(tmp_path):
    channels = ("1-0:32.7.0.255", "1-0:1.8.0.255", "1-0:1.8.2.255", "1-1:2.8.0.255")
    settings = dataclasses.replace(Settings.default(), analysis=Analysis(channels, 5))
    config = MeterConfig.from_codes(type_number="685-35BC223-070", settings=settings)
    t0 = T0 + 37.0  # off the load grid
    fleet = _fleet(t0, config)
    fleet.add_outage(t0 + DAY + 3300.0, t0 + DAY + 4500.0, [2])
    fleet.run_for(DAY + 450.0)
    fleet.meter(1).set_ct_ratio(1000)
    fleet.save(tmp_path / "fleet.npz")
    fleet = Fleet.load(tmp_path / "fleet.npz", config)
    fleet.run_for(DAY)
    for i in range(3):
        meter = _single(fleet, i, t0)
        meter.run_for(DAY + 450.0)
        if i == 1:
            meter.set_ct_ratio(1000)
        meter.run_for(DAY)
        assert fleet.meter(i).read(ANALYSIS) == meter.read(ANALYSIS)
    assert fleet.meter(0).read(ANALYSIS).rows[-1][2] > 0
    assert len(fleet.twins._items) == 0  # noqa: SLF001


def _changes(meter, i: int) -> list[float]:  # noqa: ANN001
    """When the standard log says the settings changed (event 230): a fleet's store or a Meter's log."""
    if isinstance(meter, Fleet):
        return [t for t, code in meter.events.rows(i, "standard") if code == 230]
    return [row[0].timestamp() for row in meter.read("0-0:99.98.0.255").rows if row[1] == 230]


def _writes(meter, moment: str) -> None:  # noqa: ANN001
    logger = _logger(meter)
    if moment == "channels":
        logger.set_columns(["0-0:1.0.0.255", *CHANNELS])
    elif moment == "period":
        logger.set_period(300)
    else:
        getattr(logger, moment)()


def test_writes_reset_and_capture_equal_a_single_meters_and_outlive_a_restart(tmp_path):
    moments = [(5000.0, "capture"), (9000.0, "reset"), (DAY + 777.0, "channels"),
               (DAY + 3000.0, "capture"), (DAY + 5000.0, "period"), (DAY + 9000.0, "capture")]
    fleet = _fleet()
    fleet.add_outage(T0 + DAY + 4000.0, T0 + DAY + 4500.0, [1])
    for at, moment in moments:
        fleet.run_for(T0 + at - fleet.t)
        _writes(fleet.meter(1), moment)
    fleet.run_for(2 * DAY)
    meter = _single(fleet, 1, T0)
    for at, moment in moments:
        meter.run_for(T0 + at - meter.true_t)
        _writes(meter, moment)
    meter.run_for(fleet.t - meter.true_t)
    mine = fleet.meter(1).read(ANALYSIS)
    assert mine == meter.read(ANALYSIS)
    assert mine.columns[1:] == CHANNELS and mine.capture_period == 300
    assert _logger(fleet.meter(1)).capacity() == depth_for(len(CHANNELS))
    assert fleet.meter(0).read(ANALYSIS).capture_period == 900  # the others keep theirs
    assert _changes(fleet, 1) == _changes(meter, 1) == [T0 + DAY + 777.0, T0 + DAY + 5000.0]
    assert _changes(fleet, 0) == []
    fleet.save(tmp_path / "fleet.npz")
    again = Fleet.load(tmp_path / "fleet.npz", fleet.config)
    assert again.meter(1).read(ANALYSIS) == mine
    assert len(again.twins._items) == len(fleet.twins._items) == 0  # noqa: SLF001 (no twin built)


@pytest.mark.parametrize(
    ("target", "value"),
    [
        ("set_period", 420),
        ("set_period", 120),
        ("set_period", 90),
        ("set_columns", []),
        ("set_columns", ["1-0:99.1.0.255"]),
        ("set_columns", ["1-0:32.7.0.255", "1-0:32.7.0.255"]),
        ("set_columns", [f"1-0:{c}.7.0.255" for c in range(21, 38)]),
    ],
)
def test_a_setting_is_refused_by_the_single_meters_rule_and_changes_nothing(target, value):
    fleet = _fleet()
    fleet.run_for(3600)
    meter = _single(fleet, 0, T0)
    meter.run_for(3600)
    with pytest.raises(ConfigError) as theirs:
        getattr(_logger(meter), target)(value)
    with pytest.raises(ConfigError) as mine:
        getattr(_logger(fleet.meter(0)), target)(value)
    assert str(mine.value) == str(theirs.value)
    assert len(fleet.writes) == 0
    assert fleet.meter(0).read(ANALYSIS) == meter.read(ANALYSIS)


def test_a_fleet_meter_samples_only_what_it_can_recompute():
    fleet = _fleet()
    with pytest.raises(ConfigError, match="instantaneous or energy register"):
        _logger(fleet.meter(0)).set_columns(["1-0:32.7.0.255", "0-0:96.8.0.255"])  # the hour counter
    assert len(fleet.writes) == 0




@pytest.mark.parametrize("minutes", [5, 60])
def test_sampled_energy_registers_equal_a_single_meters_across_a_restart(minutes, tmp_path):
    config = MeterConfig.from_codes(type_number="685-35BC423-070")
    fleet = _fleet(config=config)
    fleet.add_outage(T0 + DAY + 3300.0, T0 + DAY + 4500.0, [2])
    meters = [_single(fleet, i, T0) for i in range(3)]
    plan = [(5000.0, "channels"), (6000.0, "period"), (DAY + 450.0, "ct"), (DAY + 5000.0, "capture")]
    for at, what in [*plan, (DAY + 7000.0, "restart"), (2.5 * DAY, "end")]:
        fleet.run_for(T0 + at - fleet.t)
        if what == "restart":
            fleet.save(tmp_path / "fleet.npz")
            fleet = Fleet.load(tmp_path / "fleet.npz", config)
        for i, meter in enumerate(meters):
            meter.run_for(T0 + at - meter.true_t)
            for one in (fleet.meter(i), meter):
                if what == "channels":
                    _logger(one).set_columns(SAMPLED)
                elif what == "period":
                    _logger(one).set_period(minutes * 60)
                elif what == "capture":
                    _logger(one).capture()
                elif what == "ct" and i == 1:
                    one.set_ct_ratio(1000)
    for i, meter in enumerate(meters):
        mine, theirs = fleet.meter(i).read(ANALYSIS), meter.read(ANALYSIS)
        assert mine == theirs
        assert len(mine.rows) >= (2.5 * DAY - 6000.0) // (minutes * 60) and mine.rows[-1][2] > 0
    assert len(fleet.twins._items) == 0  # noqa: SLF001


@pytest.mark.parametrize("kind", ["auto", "manual", "backup"])
def test_display_lists_are_the_single_meters_and_their_writes_too(kind):
    fleet = _fleet()
    fleet.run_for(5000)
    meter = _single(fleet, 0, T0)
    meter.run_for(5000)
    code = str(LIST_OBIS[kind])
    view = fleet.meter(0)
    assert view.read(code) == meter.read(code)
    bad = ["1-0:99.1.0.255"] if kind != "manual" else ["1-0:32.7.0.255"]
    with pytest.raises(ConfigError) as theirs:
        meter.objects.lookup(code).set_columns(bad)
    with pytest.raises(ConfigError) as mine:
        view.objects.lookup(code).set_columns(bad)
    assert str(mine.value) == str(theirs.value)
    wanted = ["1-0:1.8.0.255", "1-0:2.8.0.255", "1-0:31.7.0.255", "0-0:96.14.0.255"]
    for one in (view, meter):
        one.objects.lookup(code).set_columns(wanted)
    fleet.run_for(1000)
    meter.run_for(1000)
    assert fleet.meter(0).read(code) == meter.read(code)
    assert fleet.meter(0).read(code).columns == wanted
    assert fleet.meter(1).read(code) != fleet.meter(0).read(code)
    assert _changes(fleet, 0) == _changes(meter, 0) == [T0 + 5000.0]
    assert len(fleet.twins._items) == 0  # noqa: SLF001


def test_a_year_old_meters_whole_analysis_logger_reads_without_replay():
    fleet = Fleet(MeterConfig.default(), meters=2, clock=SimClock(T0, rate=0))
    fleet.add_outage(T0 + 300 * DAY, T0 + 300 * DAY + 5000.0, [1])
    fleet.run_for(365 * DAY + 1234.0)
    began = time.perf_counter()
    profile = fleet.meter(1).read(ANALYSIS)
    seconds = time.perf_counter() - began
    assert len(profile.rows) == depth_for(10)
    assert profile.rows[-1][0].timestamp() == T0 + 365 * DAY + 900.0
    assert seconds < 5.0, seconds  # a twin replays a year in ~25 s
    assert len(fleet.twins._items) == 0  # noqa: SLF001
