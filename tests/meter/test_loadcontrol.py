"""Load control relays: class 70 state diagram per control mode, logging, persistence, inputs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k351c import Meter, MeterConfig, SimClock
from k351c.errors import AccessDenied, ConfigError
from k351c.meter.io import IoModule
from k351c.meter.loadcontrol import (
    MODES,
    TRANSITIONS,
    ControlMode,
    ControlState,
    LoadControl,
    Trigger,
    next_state,
)
from k351c.store import MemoryStore

D, C, R = ControlState.DISCONNECTED, ControlState.CONNECTED, ControlState.READY_FOR_RECONNECTION


def make(ccc: str = "069", dd: str = "26", store=None, mode=ControlMode.MODE_5) -> Meter:
    """A meter with a load control module and the io and load control functions only."""
    config = MeterConfig.from_codes(config1=f"3-1-{ccc}-{dd}-2")
    return Meter(
        config,
        clock=SimClock("2026-01-01T00:00:00Z"),
        store=store or MemoryStore(),
        functions=[LoadControl(mode=mode), IoModule()],
    )


def test_transition_letters_follow_the_blue_book_diagram() -> None:
    assert TRANSITIONS["a"] == (Trigger.REMOTE_RECONNECT, D, C)
    assert TRANSITIONS["b"] == (Trigger.REMOTE_DISCONNECT, C, D)
    assert TRANSITIONS["c"] == (Trigger.REMOTE_DISCONNECT, R, D)
    assert TRANSITIONS["d"] == (Trigger.REMOTE_RECONNECT, D, R)
    assert TRANSITIONS["e"] == (Trigger.MANUAL_RECONNECT, R, C)
    assert {TRANSITIONS[x][0] for x in "fg"} == {
        Trigger.MANUAL_DISCONNECT,
        Trigger.LOCAL_DISCONNECT,
    }
    assert TRANSITIONS["h"] == (Trigger.LOCAL_RECONNECT, R, C)


@pytest.mark.parametrize(
    ("mode", "after_reconnect"),
    [(1, R), (2, C), (3, R), (4, C), (5, R), (6, R)],
)
def test_remote_reconnect_direct_only_in_modes_2_and_4(
    mode: int, after_reconnect: ControlState
) -> None:
    assert next_state(ControlMode(mode), C, Trigger.REMOTE_DISCONNECT) is D
    assert next_state(ControlMode(mode), D, Trigger.REMOTE_RECONNECT) is after_reconnect


def test_manual_disconnect_and_local_reconnect_per_mode() -> None:
    manual = {m for m in ControlMode if next_state(m, C, Trigger.MANUAL_DISCONNECT)}
    local_re = {m for m in ControlMode if next_state(m, R, Trigger.LOCAL_RECONNECT)}
    assert manual == {ControlMode.MODE_1, ControlMode.MODE_2, ControlMode.MODE_5}
    assert local_re == {ControlMode.MODE_5, ControlMode.MODE_6}
    assert MODES[ControlMode.NONE] == ""


@given(st.sampled_from(list(ControlMode)), st.lists(st.sampled_from(list(Trigger)), max_size=30))
def test_any_trigger_sequence_stays_in_the_diagram(
    mode: ControlMode, triggers: list[Trigger]
) -> None:
    state = C
    for trigger in triggers:
        new = next_state(mode, state, trigger)
        if new is not None:
            assert any(t == (trigger, state, new) for t in TRANSITIONS.values())
            state = new
    if mode is ControlMode.NONE:
        assert state is C


def test_remote_cycle_logs_idis_codes_and_events() -> None:
    meter = make()
    control = meter.function("load_control")
    events = []
    meter.subscribe(events.append)
    assert control.remote_disconnect(1) is D
    assert meter.read("0-0:96.3.10.255").value is False
    assert control.remote_reconnect(1) is R
    assert control.manual(1) is C
    assert meter.read("0-0:96.3.10.255").value is True
    codes = [row[1] for row in meter.read("0-0:99.98.2.255").rows]
    assert codes == [62, 59, 61]
    assert meter.read("0-0:96.11.2.255").value == 61
    assert [e.data["new"] for e in events if e.kind == "disconnect_control"] == [0, 2, 1]


def test_forbidden_trigger_is_refused_and_changes_nothing() -> None:
    meter = make(mode=ControlMode.MODE_3)
    control = meter.function("load_control")
    with pytest.raises(AccessDenied):
        control.manual(1)
    assert control.relay(1).state is C
    with pytest.raises(ConfigError):
        control.relay(3)


def test_relays_per_module() -> None:
    assert len(make("069", "26").function("load_control").relays) == 2
    assert len(make("058", "17").function("load_control").relays) == 1
    assert len(make("000", "00").function("load_control").relays) == 0
    assert "0-1:96.3.10.255" in make("069", "26").objects


def test_state_and_log_survive_a_restart() -> None:
    store = MemoryStore()
    meter = make(store=store)
    meter.function("load_control").remote_disconnect(2)
    again = make(store=store)
    assert again.function("load_control").relay(2).state is D
    assert [row[1] for row in again.read("0-0:99.98.2.255").rows] == [62]


def test_mode_zero_forces_connected() -> None:
    meter = make()
    control = meter.function("load_control")
    control.remote_disconnect(1)
    control.set_mode(0, 1)
    assert control.relay(1).state is C
    with pytest.raises(AccessDenied):
        control.remote_disconnect(1)


def test_load_control_input_drives_relay_locally_and_status_output_follows() -> None:
    meter = make("058", "17")
    io = meter.function("io")
    io.set_input(1, 1)
    assert meter.function("load_control").relay(1).state is R
    assert meter.read("0-0:128.13.2.255").value == 0
    io.set_input(1, 0)
    assert meter.function("load_control").relay(1).state is C
    assert meter.read("0-0:128.13.2.255").value == 1
    assert [row[1] for row in meter.read("0-0:99.98.2.255").rows] == [64, 69]


def test_cosem_class_70_methods_and_attributes() -> None:
    from k351c.axdr.enums import ActionResult, DataAccessResult
    from k351c.axdr.types import Data, DataType
    from k351c.cosem import Level, RequestContext, build_object_list
    from k351c.cosem.disconnect import install_disconnect

    meter = make()
    objects = build_object_list(meter)
    install_disconnect(objects, meter)
    ln = bytes.fromhex("000060030aff")
    manage, public = RequestContext(Level.MANAGEMENT, 1), RequestContext(Level.PUBLIC)
    zero = Data(DataType.INTEGER, 0)
    assert objects.action(public, 70, ln, 1, zero)[0] == ActionResult.READ_WRITE_DENIED
    assert objects.action(manage, 70, ln, 1, zero)[0] == ActionResult.SUCCESS
    assert objects.get(manage, 70, ln, 2) == Data(DataType.BOOLEAN, False)
    assert objects.get(manage, 70, ln, 3) == Data(DataType.ENUM, 0)
    assert objects.action(manage, 70, ln, 1, zero)[0] != ActionResult.SUCCESS
    assert objects.set(manage, 70, ln, 4, Data(DataType.ENUM, 2)) == DataAccessResult.SUCCESS
    assert objects.action(manage, 70, ln, 2, zero)[0] == ActionResult.SUCCESS
    assert objects.get(manage, 70, ln, 3) == Data(DataType.ENUM, 1)
    assert objects.find(70, "0-1:96.3.10.255") is not None
