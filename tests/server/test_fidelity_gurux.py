"""gurux-dlms as the management client (HLS-GMAC) on the meter's external controls and settings."""

from __future__ import annotations

import pytest
from gurux_dlms.enums import DataType
from gurux_dlms.objects import (
    GXDLMSCaptureObject,
    GXDLMSData,
    GXDLMSExtendedRegister,
    GXDLMSProfileGeneric,
    GXDLMSRegister,
    GXDLMSScriptTable,
)
from gurux_secure import SecureSession

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.server.keys import KeyStore
from k351c.server.runtime import Runtime
from testkit import ServedMeter


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A meter with externally controlled debiting (GG = 00), 40 days of 5 A, served over the wrapper."""
    from k351c.server.dlms import wrapper_listener

    config = MeterConfig.from_codes(config2="001-00-01-1")
    meter = Meter(config, clock=SimClock("2026-03-01T00:00:00Z", rate=0))
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(40 * 86400)
    keys = KeyStore(tmp_path_factory.mktemp("keys"), test_keys=True)
    runtime = Runtime(meter, keys=keys, tick=0.2)
    running = ServedMeter(runtime, [wrapper_listener])
    yield running
    running.stop()


@pytest.fixture
def session(served):
    s = SecureSession(served.runtime.settings.dlms_port)
    s.connect()
    yield s
    s.close()


def test_gurux_executes_the_end_of_billing_script(served, session) -> None:
    stops = served.call(served.meter.read, "0-0:0.1.0.255").value
    rows_before = len(served.call(served.meter.read, "0-0:98.1.0.255").rows)
    table = GXDLMSScriptTable("0.0.10.0.1.255")
    session.read(table, 2)
    assert [s.id for s in table.scripts] == [1]
    (action,) = table.scripts[0].actions
    assert (action.target.objectType, action.target.logicalName) == (7, "0.0.98.1.0.255")
    assert action.index == 2
    reply = session.request(table.execute(session.client, 1))
    assert reply.error == 0
    assert served.call(served.meter.read, "0-0:0.1.0.255").value == stops + 1
    rows = served.call(served.meter.read, "0-0:98.1.0.255").rows
    assert len(rows) == rows_before + 1
    assert _event_codes(session)[-1] == 232


def _event_codes(session, obis: str = "0.0.99.98.0.255") -> list[int]:
    log = GXDLMSProfileGeneric(obis)
    session.read(log, 3)
    return [int(row[1]) for row in session.read(log, 2)]


def test_gurux_ct_ratio_write_is_in_the_event_log_and_sss_refuses_others(served, session) -> None:
    ct = GXDLMSData("1.0.0.4.2.255")
    ct.value = 42
    ct.setDataType(2, DataType.UINT16)
    assert session.write(ct, 2).error != 0
    assert served.meter.ct_primary == 5
    ct.value = 400
    assert session.write(ct, 2).error == 0
    assert served.meter.ct_primary == 400
    assert str(served.meter.config.config5).split("-")[1] == "080"
    assert _event_codes(session)[-1] == 231


def test_gurux_sets_a_voltage_limit_and_resets_a_maximum(served, session) -> None:
    limit = GXDLMSRegister("1.0.12.35.0.255")
    session.read(limit, 3)
    limit.value = 2450  # 0.1 V units on the wire (scaler -1)
    limit.setDataType(2, DataType.UINT16)
    assert session.write(limit, 2).error == 0
    assert served.call(served.meter.read, "1-0:12.35.0.255").value == pytest.approx(245.0)
    assert float(session.read(limit, 2)) == pytest.approx(245.0)
    maximum = GXDLMSExtendedRegister("1.0.32.6.0.255")
    session.read(maximum, 3)
    assert float(session.read(maximum, 2)) > 200.0
    assert session.read(maximum, 4) == 0
    reply = session.request(maximum.reset(session.client))
    assert reply.error == 0
    assert served.call(served.meter.read, "1-0:32.6.0.255").value == 0


def test_gurux_changes_the_analysis_logger_capture_objects_and_period(served, session) -> None:
    logger = GXDLMSProfileGeneric("1.0.99.2.0.255")
    session.read(logger, 3)
    assert len(logger.captureObjects) == 11
    clock, voltage = logger.captureObjects[0], logger.captureObjects[1]
    logger.captureObjects = [clock, voltage]
    assert session.write(logger, 3).error == 0
    logger.capturePeriod = 60
    assert session.write(logger, 4).error == 0
    assert served.call(lambda: served.meter.function("analysis").channels) == ["1-0:32.7.0.255"]
    assert int(session.read(logger, 4)) == 60
    assert int(session.read(logger, 8)) == 524288 // 8
    logger.capturePeriod = 420
    assert session.write(logger, 4).error != 0


def test_gurux_reads_the_last_period_value_and_the_manual_list_takes_it(served, session) -> None:
    served.call(served.meter.function("billing").debiting_stop)
    historical = GXDLMSRegister("1.0.1.8.0.101")
    session.read(historical, 3)
    expected = served.call(served.meter.read, "1-0:1.8.0.101").value
    assert float(session.read(historical, 2)) == pytest.approx(expected) and expected > 0
    manual = GXDLMSProfileGeneric("0.0.21.0.2.255")
    session.read(manual, 3)
    target = GXDLMSRegister("1.0.1.8.0.101")
    manual.captureObjects.append((target, GXDLMSCaptureObject(2, 0)))
    assert session.write(manual, 3).error == 0
    shown = served.call(served.meter.function("display").readings, "manual")
    assert "1-0:1.8.0.101" in shown
