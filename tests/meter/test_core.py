"""The meter core: energy registration by quadrant, phase and tariff, CT ratio, persistence, reads."""

import pytest

from k351c import AccessDenied, ConfigError, ConstantLoad, Meter, MeterConfig, SimClock
from k351c.store import MemoryStore, SqliteStore

EPOCH = "2026-01-01T00:00:00Z"


def make_meter(**kwargs) -> Meter:
    return Meter(MeterConfig.default(), clock=SimClock(EPOCH, rate=0), **kwargs)


def value(meter: Meter, code: str):
    return meter.read(code).value


def test_balanced_resistive_load_for_an_hour():
    meter = make_meter()
    meter.set_load(ConstantLoad(voltage=230.0, current=5.0, angle=0.0))
    meter.run_for(3600)
    assert value(meter, "1-0:1.8.0.255") == 3450
    assert value(meter, "1.8.0") == 3450
    assert value(meter, "1-1:1.8.0.255") == 3450
    assert value(meter, "1-0:21.8.0.255") == 1150
    assert value(meter, "1-0:2.8.0.255") == 0
    assert value(meter, "1-0:3.8.0.255") == 0
    assert meter.read("1-0:1.8.0.255").unit == "Wh"
    assert meter.led_active.count == 34500
    assert meter.now.isoformat() == "2026-01-01T02:00:00+01:00"


@pytest.mark.parametrize(
    ("angle", "registers"),
    [
        (60.0, {"1.8.0": 1725, "2.8.0": 0, "3.8.0": 2987, "4.8.0": 0}),
        (120.0, {"1.8.0": 0, "2.8.0": 1725, "3.8.0": 2987, "4.8.0": 0}),
        (240.0, {"1.8.0": 0, "2.8.0": 1725, "3.8.0": 0, "4.8.0": 2987}),
        (-60.0, {"1.8.0": 1725, "2.8.0": 0, "3.8.0": 0, "4.8.0": 2987}),
        (180.0, {"1.8.0": 0, "2.8.0": 3450, "3.8.0": 0, "4.8.0": 0}),
    ],
)
def test_four_quadrants(angle, registers):
    meter = make_meter()
    meter.set_load(ConstantLoad(current=5.0, angle=angle))
    meter.run_for(3600)
    for code, expected in registers.items():
        assert abs(value(meter, code) - expected) <= 1, code  # floor of cos(120°) = -0.49999...


def test_no_float_drift_over_a_year_of_small_steps():
    meter = make_meter()
    meter.set_load(ConstantLoad(current=(0.1, 0.0, 0.0)))  # 23 W
    for _ in range(365):
        meter.run_for(86400)
    assert value(meter, "1-1:1.8.0.255") == 23 * 24 * 365


def test_tariff_register_follows_current_tariff():
    meter = make_meter(functions=[])  # no tariff function: the test switches the tariff itself
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(3600)
    meter.tariff = 3
    meter.run_for(3600)
    assert value(meter, "1.8.1") + value(meter, "1.8.3") == value(meter, "1.8.0") == 6900
    assert value(meter, "1.8.3") == 3450


def test_ct_ratio_scales_primary_from_the_change_on():
    meter = make_meter()
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(3600)
    meter.set_ct_ratio(400)
    meter.run_for(3600)
    assert value(meter, "1-1:1.8.0.255") == 6900
    assert value(meter, "1-0:1.8.0.255") == 3450 + 3450 * 80
    assert value(meter, "1-0:0.4.2.255") == 400
    assert value(meter, "1-0:1.7.0.255") == 3450 * 80
    assert value(meter, "1-1:1.7.0.255") == 3450
    assert value(meter, "1-0:31.7.0.255") == 400.0
    changes = meter.store.entries("ct")
    assert changes[-1].data["old"] == [5, 5] and changes[-1].data["new"] == [400, 5]


def test_ct_ratio_limits_and_lock():
    meter = make_meter()
    for primary in (3005, 150, 42, 400.0):
        with pytest.raises(ConfigError, match="SSS"):
            meter.set_ct_ratio(primary)
    assert value(meter, "1-0:0.4.2.255") == 5
    locked = Meter(MeterConfig.from_codes(config5="000-080-2-1"), clock=SimClock(EPOCH, rate=0))
    assert value(locked, "1-0:0.4.2.255") == 400
    with pytest.raises(AccessDenied, match="locked"):
        locked.set_ct_ratio(500)
    with pytest.raises(AccessDenied):
        locked.write("1-0:0.4.2.255", 500)
    assert value(locked, "1-0:0.4.2.255") == 400


def test_energy_registers_are_legal_data():
    meter = make_meter()
    with pytest.raises(AccessDenied, match="legal"):
        meter.write("1-0:1.8.0.255", 0)


def test_unknown_obis_names_the_code():
    meter = make_meter()
    with pytest.raises(ConfigError, match="1-0:99.99.99.255"):
        meter.read("1-0:99.99.99.255")


def test_instantaneous_values_per_phase():
    meter = make_meter()
    meter.set_load(ConstantLoad(voltage=(230.0, 231.0, 229.0), current=(1.0, 2.0, 3.0), angle=(0, 60, 0)))
    assert value(meter, "1-0:32.7.0.255") == 230.0
    assert value(meter, "1-0:52.7.0.255") == 231.0
    assert value(meter, "1-0:51.7.0.255") == 2.0
    assert value(meter, "1-0:53.7.0.255") == 0.5
    assert value(meter, "1-0:14.7.0.255") == 50.0


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_state_survives_a_restart(tmp_path, backend):
    store = MemoryStore() if backend == "memory" else SqliteStore(tmp_path / "m.sqlite")
    meter = make_meter(store=store)
    meter.set_load(ConstantLoad(current=2.5, angle=30))
    meter.set_ct_ratio(100)
    meter.run_for(7200)
    before = {d.obis: d.get() for d in meter.objects if d.class_id == 3 and d.obis.d == 8}
    again = Meter(MeterConfig.default(), clock=SimClock(EPOCH, rate=0), store=store)
    after = {d.obis: d.get() for d in again.objects if d.class_id == 3 and d.obis.d == 8}
    assert after == before
    assert again.t == meter.t
    assert again.ct_primary == 100


def test_clock_adjustment_is_logged_and_not_integrated():
    meter = make_meter()
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(3600)
    meter.set_clock("2026-01-02T00:00:00Z")
    meter.run_for(3600)
    assert value(meter, "1-1:1.8.0.255") == 6900
    logged = [e.data for e in meter.store.entries("standard")]
    assert logged[-1]["kind"] == "clock_adjusted"


def test_serial_number_is_settable_and_persisted(tmp_path):
    store = SqliteStore(tmp_path / "m.sqlite")
    meter = make_meter(store=store)
    meter.write("0-0:96.1.0.255", "87654321")
    assert meter.read("0-0:42.0.0.255").value == "KAM87654321"
    with pytest.raises(ConfigError):
        meter.write("0-0:96.1.0.255", "12ab")
    again = Meter(MeterConfig.default(), clock=SimClock(EPOCH, rate=0), store=store)
    assert again.read("0-0:96.1.0.255").value == "87654321"
    with pytest.raises(AccessDenied):
        again.reconfigure(config5="000-080-1-1")
