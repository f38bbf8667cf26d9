"""The module slot: tariff, pulse and alarm inputs, pulse/level outputs, per CCC and DD."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.codes.tables import IO_CONFIGS, MODULES, IoDirection
from k351c.errors import ConfigError
from k351c.meter.io import IoModule, primary_constant
from k351c.meter.loadcontrol import LoadControl
from k351c.store import MemoryStore


def config(
    dd: str, ccc: str = "068", i: int = 2, m: int = 0, nn: int = 1, ct: str = "001"
) -> MeterConfig:
    """A configuration with module ``ccc``, I/O configuration ``dd`` and the pulse settings."""
    return MeterConfig.from_codes(
        config1=f"3-1-{ccc}-{dd}-2",
        config2=f"001-01-01-{i}",
        config3=f"00-0-01-{m}-{nn:02d}-001-001-01",
        config5=f"000-{ct}-1-1",
    )


def make(dd: str, *, with_tariffs: bool = True, store=None, **kw) -> tuple[Meter, list]:
    """A meter with the io function (and tariffs, billing, load control), recording its events."""
    from k351c.meter.catalog import default_functions

    cfg = config(dd, **kw)
    base = default_functions(cfg) if with_tariffs else []
    base = [f for f in base if f.name not in ("io", "load_control")]
    meter = Meter(
        cfg,
        clock=SimClock("2026-01-01T00:00:00Z"),
        store=store or MemoryStore(),
        functions=[*base, LoadControl(), IoModule()],
    )
    events: list = []
    meter.subscribe(events.append)
    return meter, events


def kinds(events: list, kind: str) -> list:
    return [e for e in events if e.kind == kind]


@pytest.mark.parametrize("dd", sorted(IO_CONFIGS))
def test_every_dd_builds_and_registers_the_module_values(dd: int) -> None:
    meter, _ = make(f"{dd:02d}")
    assert meter.read("0-0:128.15.1.255").value == dd
    assert meter.read("0-0:128.15.0.255").value == 68
    meter.run_for(60)


@pytest.mark.parametrize("ccc", sorted(MODULES))
def test_every_module_code_is_a_slot(ccc: int) -> None:
    meter, _ = make("00", ccc=f"{ccc:03d}")
    assert meter.function("io").module.name == MODULES[ccc].name


@pytest.mark.parametrize(
    ("dd", "levels", "tariff"),
    [
        ("01", (0, 0), 1),
        ("01", (1, 0), 2),
        ("01", (0, 1), 3),
        ("01", (1, 1), 4),
        ("02", (1, 1), 1),
        ("02", (0, 0), 4),
        ("07", (1, 0), 2),
        ("08", (1, 0), 1),
        ("08", (0, 0), 2),
    ],
)
def test_tariff_inputs_select_the_tariff(dd: str, levels: tuple[int, int], tariff: int) -> None:
    meter, _ = make(dd)
    io = meter.function("io")
    for line, level in enumerate(levels, start=1):
        if (
            io.functions[line - 1].direction is IoDirection.INPUT
            and "tariff" in io.functions[line - 1].value
        ):
            io.set_input(line, level)
    meter.run_for(1)
    assert meter.tariff == tariff


@pytest.mark.parametrize(
    ("dd", "inverted"), [("03", False), ("04", True), ("09", True), ("07", False)]
)
def test_alarm_input_raises_a_logged_alarm_event(dd: str, inverted: bool) -> None:
    meter, events = make(dd)
    io = meter.function("io")
    io.set_input(2, 1)
    io.set_input(2, 0)
    alarms = kinds(events, "alarm_input")
    assert [e.data["active"] for e in alarms] == ([False, True] if inverted else [True, False])
    assert all(e.log == "standard" for e in alarms)
    assert meter.read("0-0:128.16.0.255").value == (2 if inverted else 0)


def test_alarm_input_ignored_when_config2_says_no_alarm() -> None:
    meter, events = make("03", i=1)
    meter.function("io").set_input(2, 1)
    assert kinds(events, "alarm_input") == []


@pytest.mark.parametrize(
    ("nn", "unit", "per_pulse"), [(1, "Wh", 1.0), (2, "m3", 0.01), (3, "l", 1.0)]
)
@pytest.mark.parametrize("with_tariffs", [True, False])
def test_pulse_input_counts_in_the_nn_unit(
    nn: int, unit: str, per_pulse: float, with_tariffs: bool
) -> None:
    meter, _ = make("05", nn=nn, with_tariffs=with_tariffs)
    io = meter.function("io")
    for _ in range(3):
        io.set_input(1, 1)
        io.set_input(1, 0)
    io.pulse(97)
    assert meter.read("0-0:128.11.0.255").value == 100
    reading = meter.read("0-0:128.11.1.255")
    assert reading.unit == unit and reading.value == pytest.approx(100 * per_pulse)


def test_inverted_pulse_input_counts_falling_edges() -> None:
    meter, _ = make("19")
    io = meter.function("io")
    io.set_input(1, 1)
    io.set_input(1, 0)
    assert meter.read("0-0:128.11.0.255").value == 1


def test_pulse_input_is_in_the_debiting_values_and_survives_restart() -> None:
    store = MemoryStore()
    meter, _ = make("13", store=store)
    meter.function("io").pulse(42)
    meter.function("billing").debiting_stop()
    row = meter.read("0-0:98.1.0.255")
    column = row.columns.index("0-0:128.11.0.255")
    assert row.rows[-1][column] == 42
    again, _ = make("13", store=store)
    assert again.read("0-0:128.11.0.255").value == 42


def test_output_line_refuses_input() -> None:
    meter, _ = make("06")
    with pytest.raises(ConfigError):
        meter.function("io").set_input(1, 1)
    with pytest.raises(ConfigError):
        meter.function("io").set_input(3, 1)


@pytest.mark.parametrize(("i", "length"), [(1, 30), (4, 80)])
def test_a_plus_r_plus_pulses_secondary(i: int, length: int) -> None:
    meter, events = make("06", i=i)
    meter.set_load(ConstantLoad(230.0, 5.0, 30.0))
    meter.run_for(3600)
    pulses = kinds(events, "pulse_output")
    a_plus = sum(e.data["count"] for e in pulses if e.data["line"] == 2)
    r_plus = sum(e.data["count"] for e in pulses if e.data["line"] == 1)
    p_kwh = 3 * 230 * 5 * 0.8660254 / 1000
    q_kvarh = 3 * 230 * 5 * 0.5 / 1000
    assert a_plus == int(p_kwh * 5000) or abs(a_plus - p_kwh * 5000) <= 1
    assert abs(r_plus - q_kvarh * 5000) <= 1
    assert {e.data["length_ms"] for e in pulses} == {length}
    assert meter.read("0-0:128.14.2.255").value == a_plus


def test_a_minus_and_primary_energy_pulses() -> None:
    meter, events = make("16", m=1, ct="020")
    assert meter.read("0-0:128.14.3.255").value == primary_constant(20) == 100
    meter.set_load(ConstantLoad(230.0, 5.0, 180.0))
    meter.run_for(3600)
    pulses = kinds(events, "pulse_output")
    a_minus = sum(e.data["count"] for e in pulses if e.data["line"] == 1)
    assert abs(a_minus - 3 * 230 * 5 * 20 / 1000 * 100) <= 1
    assert all(e.data["energy"] == "primary" for e in pulses)


@given(st.sampled_from([5, 10, 20, 100, 200, 600]))
@settings(max_examples=10, deadline=None)
def test_primary_constant_keeps_the_pulse_rate(ratio: int) -> None:
    constant = primary_constant(ratio)
    assert constant * ratio <= 5000


def test_debiting_stop_output_pulses_at_each_stop() -> None:
    meter, events = make("15")
    meter.function("billing").debiting_stop()
    pulses = kinds(events, "pulse_output")
    assert [(e.data["line"], e.data["function"]) for e in pulses] == [(1, "debiting stop out")]


def test_load_tariff_sync_output_follows_the_tariff() -> None:
    meter, events = make("18")
    meter.run_for(1)
    io = meter.function("io")
    meter.tariff = 2
    io.begin_step(meter.t)
    assert meter.read("0-0:128.13.2.255").value == 1
    meter.write("0-0:128.17.0.255", 0b0001)
    assert meter.read("0-0:128.13.2.255").value == 0
    assert kinds(events, "output_changed")[-1].data["level"] == 0


@pytest.mark.parametrize(
    ("dd", "tariff", "levels"), [("22", 1, (0, 0)), ("22", 4, (1, 1)), ("23", 2, (0, 1))]
)
def test_four_tariff_sync_outputs_code_the_tariff(
    dd: str, tariff: int, levels: tuple[int, int]
) -> None:
    meter, _ = make(dd, ccc="069")
    meter.tariff = tariff
    meter.function("io").begin_step(meter.t)
    assert (meter.read("0-0:128.13.1.255").value, meter.read("0-0:128.13.2.255").value) == levels
    relays = meter.function("load_control").relays
    assert [r.output_state for r in relays] == [bool(x) for x in levels]


def test_load_control_outputs_follow_relays_and_toggle() -> None:
    meter, _ = make("26", ccc="069")
    meter.run_for(1)
    assert meter.read("0-0:128.13.1.255").value == 1
    meter.function("load_control").remote_disconnect(2)
    assert meter.read("0-0:128.13.2.255").value == 0
    meter, _ = make("28", ccc="069")
    before = meter.read("0-0:128.13.2.255").value
    meter.function("load_control").remote_disconnect(1)
    assert meter.read("0-0:128.13.2.255").value != before


def test_s0_output_is_secondary_energy_whatever_config_3_m_says() -> None:
    meter, events = make("16", m=1, ct="020")  # M = 1: the module's outputs count primary energy
    meter.set_load(ConstantLoad(230.0, 5.0, 0.0))
    meter.run_for(3600)
    secondary_kwh = 3 * 230 * 5 / 1000
    assert abs(meter.read("0-0:128.14.0.255").value - secondary_kwh * 5000) <= 1
    s0 = sum(e.data["s0"] for e in kinds(events, "pulses"))
    assert s0 == meter.s0.count == meter.read("0-0:128.14.0.255").value


def test_primary_pulse_constant_follows_a_ct_change() -> None:
    store = MemoryStore()
    meter, events = make("05", m=1, ct="020", store=store)  # I/O 2: A+ out, primary, CT 100/5
    meter.set_load(ConstantLoad(230.0, 5.0, 0.0))
    meter.run_for(1800)
    assert meter.read("0-0:128.14.3.255").value == 100
    before = meter.read("0-0:128.14.2.255").value
    meter.set_ct_ratio(1000)  # 200: 100 imp/kWh would pulse 4x too fast
    assert meter.read("0-0:128.14.3.255").value == primary_constant(200) == 10
    meter.run_for(1800)
    after = meter.read("0-0:128.14.2.255").value - before
    assert abs(after - 3 * 230 * 5 / 1000 * 200 * 0.5 * 10) <= 1
    assert meter.read("0-0:128.14.4.255").value == 0  # no overrun
    again, _ = make("05", m=1, ct="020", store=store)  # restart: the constant of the CT in force
    assert again.read("0-0:128.14.3.255").value == 10


def test_pulses_beyond_the_pulse_length_rate_are_flagged_not_emitted() -> None:
    meter, events = make("06", i=3)  # 80 ms pulses: at most 6.25 pulses/s
    meter.set_load(ConstantLoad(253.0, 6.5, 0.0))  # 4.93 kW secondary: 6.85 pulses/s wanted
    meter.run_for(3600)
    wanted = 3 * 253 * 6.5 / 1000 * 5000
    emitted = meter.read("0-0:128.14.2.255").value
    assert emitted == pytest.approx(6.25 * 3600, abs=1)
    assert meter.read("0-0:128.14.4.255").value == pytest.approx(wanted - emitted, abs=2)
    overruns = [e for e in kinds(events, "pulse_overrun") if e.data["output"] == "I/O 2"]
    assert overruns and overruns[0].data["max_hz"] == pytest.approx(6.25)
    assert meter.read("0-0:128.14.5.255").value == 0  # S0 (30 ms) keeps up with 4.93 kW


def test_s0_overrun_at_30_ms() -> None:
    meter, events = make("00")
    meter.set_load(ConstantLoad(230.0, 20.0, 0.0))  # 13.8 kW: 19.2 pulses/s, 30 ms allows 16.7
    meter.run_for(600)
    assert meter.read("0-0:128.14.0.255").value == pytest.approx(600 * 1000 / 60, abs=1)
    assert meter.read("0-0:128.14.5.255").value == pytest.approx(13.8 * 5000 / 6 - 10000, abs=2)
    assert [e.data["output"] for e in kinds(events, "pulse_overrun")] == ["S0"]
