"""Analysis logger: default channels, capture at its interval, budget-derived depth, reconfiguration."""

import pytest

from k351c import ConfigError, ConstantLoad, Meter, MeterConfig, SimClock
from k351c.meter.analysis import (
    BUDGET_BYTES,
    DEFAULT_CHANNELS,
    MAX_CHANNELS,
    AnalysisLogger,
    depth_for,
)
from k351c.store import MemoryStore

T0 = 1767225600.0


def meter(store=None, **kwargs):
    m = Meter(
        MeterConfig.default(),
        clock=SimClock(T0, rate=0),
        store=store or MemoryStore(),
        functions=[AnalysisLogger(**kwargs)],
    )
    m.set_load(ConstantLoad(voltage=(229.0, 231.0, 232.5), current=(1.0, 2.0, 3.0), angle=0.0))
    return m


def test_depth_from_the_budget():
    assert depth_for(16) == BUDGET_BYTES // (4 + 4 * 16) == 7710
    assert depth_for(len(DEFAULT_CHANNELS)) == 11915
    assert depth_for(1) == 65536


def test_default_capture_every_15_minutes_with_the_step_end_values():
    m = meter()
    m.run_for(3600)
    profile = m.read("1-0:99.2.0.255")
    assert profile.columns == ["0-0:1.0.0.255", *DEFAULT_CHANNELS]
    assert profile.capture_period == 900
    assert len(profile.rows) == 4
    first = profile.rows[0]
    assert first[0].timestamp() == T0 + 900
    assert first[1:4] == (229.0, 231.0, 232.5)
    assert first[4:7] == (1.0, 2.0, 3.0)
    assert first[7] == round(229 + 462 + 697.5)


def test_configure_channels_and_interval():
    m = meter()
    m.run_for(900)
    logger = m.function("analysis")
    logger.configure(["1.8.0", "1-0:32.7.0.255"], 5)
    assert logger.depth == depth_for(2) and m.read("1-0:99.2.0.255").rows == []
    m.run_for(900)
    rows = m.read("1-0:99.2.0.255").rows
    assert len(rows) == 3 and rows[-1][1] == m.read("1.8.0").value and rows[-1][2] == 229.0


@pytest.mark.parametrize(
    ("channels", "interval"),
    [
        ([], 15),
        (["1-0:32.7.0.255"] * 2, 15),
        (["1-0:1.8.0.255"] * (MAX_CHANNELS + 1), 15),
        (["9-9:9.9.9.255"], 15),
        (["1-0:1.8.0.255"], 7),
    ],
)
def test_bad_configuration_is_refused(channels, interval):
    m = meter()
    with pytest.raises(ConfigError):
        m.function("analysis").configure(channels, interval)
    assert m.function("analysis").channels == list(DEFAULT_CHANNELS)


def test_configuration_and_rows_survive_restart():
    store = MemoryStore()
    m = meter(store)
    m.run_for(1800)
    m.function("analysis").configure(["1-0:1.8.0.255"], 15)
    m.run_for(1800)
    again = Meter(
        MeterConfig.default(), clock=SimClock(T0, rate=0), store=store, functions=[AnalysisLogger()]
    )
    assert again.function("analysis").channels == ["1-0:1.8.0.255"]
    assert len(again.read("1-0:99.2.0.255").rows) == 2
