"""The vectorised fleet registers exactly what single meters register for the same seeded load."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k351c import Meter, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.codes.tables import CT_PRIMARY
from k351c.errors import ConfigError
from k351c.meter.energy import PRIMARY, SECONDARY
from k351c.meter.fleet import Fleet
from k351c.meter.fleet_load import FleetLoadModel, SeededLoad, quad_uniform, seed_keys
from k351c.meter.fleet_view import MeterView, ViewCache
from k351c.meter.loads import hash_uniform

CT_RATIOS = np.array(sorted(CT_PRIMARY.values()))
T0 = parse_instant("2026-03-20T00:00:00Z").timestamp()  # the EU DST change is inside the run


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    fleet = Fleet(MeterConfig.default(), meters=40, start=T0, ct_primary=CT_RATIOS[np.arange(40) % 20])
    fleet.advance_to(T0 + 12 * 86400 + 1234.5)
    return fleet


@pytest.mark.parametrize("i", [0, 17])
def test_registers_equal_a_single_meter_to_the_wh(fleet, i):
    meter = Meter(
        fleet.config, clock=SimClock(T0, rate=0), load=SeededLoad(fleet.model, fleet.seeds[i])
    )
    meter.set_ct_ratio(int(fleet.ct_primary[i]))
    meter.run_for(12 * 86400 + 1234.5)
    assert np.array_equal(meter.primary.counts, fleet.registers(i, PRIMARY))
    assert np.array_equal(meter.secondary.counts, fleet.registers(i, SECONDARY))
    assert meter.function("load_profile").entries() == fleet.profile(i)


def test_profile_is_consistent_with_the_registers(fleet):
    for i in (3, 39):
        rows = fleet.profile(i)
        totals = np.array([r[2:] for r in rows]).sum(axis=0)
        registers = fleet.counts[fleet.lp_bank, i][fleet.lp_q, 0]
        assert (
            totals.tolist() == registers.tolist()
        )  # the profile starts with the registers at zero


def test_seeds_make_distinct_meters_and_tariffs_are_booked(fleet):
    totals = fleet.counts[PRIMARY, :, 0, 0]
    assert len(set(totals.tolist())) == fleet.n
    tariffs = fleet.counts[SECONDARY, :, 0, 4:].sum(axis=1)
    gap = (
        fleet.counts[SECONDARY, :, 0, 0] - tariffs
    )  # each tariff register floors its own remainder
    assert (gap >= 0).all() and (gap <= 3).all() and (fleet.counts[SECONDARY, :, 0, 5] > 0).all()
    assert (fleet.counts[:, :, 1] == 0).all()  # no export in a household load


def test_outage_stops_energy_and_logs_events():
    fleet = Fleet(MeterConfig.default(), meters=10, start=T0)
    fleet.add_outage(T0 + 3600, T0 + 7200, [2, 3])
    fleet.advance_to(T0 + 4 * 3600)
    p = fleet.profile(2)
    assert [r[2] for r in p[4:8]] == [0, 0, 0, 0] and all(r[1] & 0x80 for r in p[4:8])
    assert p[8][2] > 0 and fleet.profile(5)[5][2] > 0
    assert fleet.events.rows(2, "standard") == [(T0 + 3600, 1), (T0 + 7200, 2)]
    assert fleet.events.rows(5, "standard") == []
    assert fleet.failures(3) == [(T0 + 3600, 3600.0)]
    assert fleet.instant(2, T0 + 4000).voltage.max() == 0.0
    with pytest.raises(ConfigError):
        fleet.add_outage(T0, T0 - 1, [1])


def test_restart_from_saved_state_continues_identically(tmp_path):
    one = Fleet(MeterConfig.default(), meters=8, start=T0)
    one.advance_to(T0 + 86400 * 3)
    two = Fleet(MeterConfig.default(), meters=8, start=T0)
    two.advance_to(T0 + 86400 * 1.5)
    two.save(tmp_path / "f.npz")
    three = Fleet.load(tmp_path / "f.npz")
    three.advance_to(T0 + 86400 * 3)
    assert np.array_equal(one.counts, three.counts)
    assert one.profile(4) == three.profile(4)


def test_view_reads_the_fleet(fleet):
    view = MeterView(fleet, 5)
    assert view.objects.lookup("0-0:96.1.0.255").get() == fleet.serial(5)
    assert view.objects.lookup("1-0:1.8.0.255").get() == fleet.registers(5, PRIMARY)[0, 0]
    assert view.objects.lookup("1-0:0.4.2.255").get() == fleet.ct_primary[5]
    assert len(view.objects.lookup("1-0:99.1.0.255").get().rows) == len(fleet.profile(5))
    cache = ViewCache.of_views(fleet, size=3)
    for i in range(10):
        cache.get(i)
    assert len(cache) == 3


def test_vectorised_hash_matches_the_scalar_key():
    idx = np.arange(5, dtype=np.int64)
    keys = seed_keys(np.array([11, 12]), 3)
    assert keys.shape == (2,) and keys[0] != keys[1]
    u = quad_uniform(keys, idx)
    assert u.shape == (2, 5, 4) and 0 < u.min() and u.max() < 1
    assert hash_uniform(11, 3, idx).shape == (5,)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**40), st.integers(0, 35039))
def test_seeded_load_equals_the_fleet_model(seed, k):
    model = FleetLoadModel()
    p, q, u = model.power(model.params(np.array([seed])), np.array([k]))
    seg = SeededLoad(model, seed).segments(k * 900.0, (k + 1) * 900.0)
    assert np.array_equal(seg.inputs.p, p[0]) and np.array_equal(seg.inputs.q, q[0])
    assert np.array_equal(seg.inputs.voltage, u[0])


def test_ct_history_survives_a_restart(tmp_path):
    one = Fleet(MeterConfig.default(), meters=3, start=T0)
    one.advance_to(T0 + 5000.0)
    one.set_ct(1, 2000)
    one.save(tmp_path / "f.npz")
    two = Fleet.load(tmp_path / "f.npz")
    assert two.ct_changes == [(T0 + 5000.0, 1, 2000)] and int(two.start_ct[1]) == 5
    for fleet in (one, two):
        fleet.advance_to(T0 + 86400.0)
    assert np.array_equal(one.counts, two.counts)
    assert two.meter(1).read("1-0:99.1.0.255") == one.meter(1).read("1-0:99.1.0.255")


def test_a_state_of_an_unknown_layout_is_refused(tmp_path):
    import json

    Fleet(MeterConfig.default(), meters=2, start=T0).save(tmp_path / "f.npz")
    with np.load(tmp_path / "f.npz") as data:
        arrays = dict(data)
    meta = json.loads(bytes(arrays["meta"]).decode()) | {"version": 99}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "g.npz", **arrays)
    with pytest.raises(ConfigError, match="layout version"):
        Fleet.load(tmp_path / "g.npz")


def _advanced(block_elements: int, monkeypatch) -> Fleet:
    import k351c.meter.fleet as fleet_module

    monkeypatch.setattr(fleet_module, "BLOCK_ELEMENTS", block_elements)
    fleet = Fleet(MeterConfig.default(), meters=37, start=T0 + 1234.5)
    fleet.add_outage(T0 + 86400 + 100, T0 + 86400 + 5000, np.arange(0, 37, 5))
    fleet.advance_to(T0 + 2 * 86400 + 333)
    fleet.t = T0 + 2 * 86400 + 333
    fleet.set_ct(4, 200)
    fleet.advance_to(T0 + 11 * 86400)
    return fleet


def test_meter_blocks_of_a_pass_do_not_change_a_bit(monkeypatch):
    """Blocks of meters (cache-sized temporaries) give the registers of one pass over all meters."""
    one_pass = _advanced(10**9, monkeypatch)
    for block_elements in (2 * 96, 3 * 96, 16 * 96):  # 37 meters: a lone last row joins, or 5 rows
        blocks = _advanced(block_elements, monkeypatch)
        for name in ("counts", "remainder", "ckpt", "booked"):
            assert np.array_equal(getattr(one_pass, name), getattr(blocks, name)), name
        assert one_pass.profile(5) == blocks.profile(5)


def test_tariff_windows_give_the_tariff_of_every_interval():
    """One calendar look-up per tariff window equals tariff_at at every interval start, DST included."""
    fleet = Fleet(MeterConfig.default(), meters=1, start=T0)
    k0 = fleet.k
    k1 = k0 + 40 * 96  # over the March DST change
    expected = [fleet.calendar.tariff_at(k * 900.0) for k in range(k0, k1)]
    assert fleet.tariffs(k0, k1).tolist() == expected
    assert len(set(expected)) > 1
