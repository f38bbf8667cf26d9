"""The equivalence matrix (issue 17 item 2): a fleet meter answers every attribute of every object,
at every association level, exactly as a single ``Meter`` run on its inputs.

Both object lists are built as the server builds them (``k351c.cosem.build_object_list``) and read
through ``ObjectList.get`` with the public, reading and management contexts, so what is compared is
what a head-end gets. The scenarios span the integration periods 5/15/30/60 min, each energy type
(X5), primary and secondary profile banks, outages (short, long, across an interval end), a CT change
in the middle of an interval, both DST changes, a fast and a slow RTC, debiting stops of several
GG/HH codes and an external one (the end-of-billing script executed by the management client), a
temperature setting on an erring meter, a load-profile capture, a management write of the analysis
logger's channels and period and a reading-level write of a display list mid-run (an outage then
inside an hour's analysis period) and 5-minute analysis periods. Push setups (class 40) belong to
the served meter: ``test_matrix_push`` compares a served fleet meter with its twin served with serve's
push service (every push setup attribute at every level, and the notifications). The default run takes a few
of them; ``-m slow`` runs them all and lets
Hypothesis combine period, energy type, profile bank, drift, accuracy and a temperature setting,
start, CT change and outage instants.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from k351c import Fleet, Meter, MeterConfig, SimClock
from k351c.axdr.enums import ActionResult, DataAccessResult
from k351c.axdr.types import Data, DataType
from k351c.clock import parse_instant
from k351c.codes import RtcSettings, Settings
from k351c.codes.metrology import Metrology
from k351c.codes.settings import Analysis
from k351c.cosem import build_object_list
from k351c.cosem.model import Level, RequestContext
from k351c.meter.fleet_writes import TwinWrite
from k351c.meter.io import IoModule
from k351c.meter.tamper import Alarm, Tamper
from k351c.obis import Obis

DAY = 86400.0
FEB27 = parse_instant("2026-02-27T00:00:00Z").timestamp()  # 28 Feb and 1 March stops inside
SPRING = parse_instant("2026-03-28T00:00:00Z").timestamp()  # EU summer time from 29 March
AUTUMN = parse_instant("2026-10-24T00:00:00Z").timestamp()  # EU winter time from 25 October
SCRIPT = Obis.parse("0-0:10.0.1.255").to_bytes()
LOAD_PROFILE = Obis.parse("1-0:99.1.0.255")
CONTEXTS = [
    RequestContext(level, association={"conformance": 0x1C1F, "max_receive_pdu": 1024})
    for level in Level
]


@dataclass(frozen=True)
class Case:
    """A fleet configuration, its start and what happens to its three meters.

    Meter 0 runs undisturbed, meter ``ct_meter`` has its CT ratio changed, meter 2 has the outages.
    """

    codes: dict = field(default_factory=dict)
    t0: float = FEB27
    days: float = 2.5
    ct: tuple[float, int] | None = (DAY + 450.0, 1000)  # (seconds from t0, primary A)
    outages: tuple[tuple[float, float], ...] = ((3300.0, 1200.0),)  # (from t0, seconds)
    external_stop: float | None = None  # seconds from t0, on every meter
    capture: float | None = None  # seconds from t0, meter 0's load profile
    reset: float | None = None  # seconds from t0, meter 0's load profile
    ct_meter: int = 1
    temperature: tuple[float, float] | None = None  # (seconds from t0, degC) on every meter
    tamper: tuple[tuple[float, str, bool, tuple[int, ...]], ...] = ()  # (from t0, source, state, meters)
    alarm_write: tuple[float, int] | None = None  # (seconds from t0, value) to every alarm register
    # (seconds from t0, analysis channels, capture period s, manual display list) written on every meter
    lists: tuple[float, tuple[str, ...], int, tuple[str, ...]] | None = None
    # voltage events (seconds from t0, seconds, meter, phases, level)
    voltage: tuple[tuple[float, float, int, tuple[int, ...], float], ...] = ()
    io: tuple[tuple[float, str, int, int, tuple[int, ...]], ...] = ()  # (from t0, "level"/"pulses", line, value, meters)
    sets: tuple[tuple[float, str, Data], ...] = ()  # (from t0, OBIS of a class 1 value, value) on every meter
    # (from t0, meters, class id, OBIS, "set" attribute / "action" method, its id, the value)
    calls: tuple[tuple[float, tuple[int, ...], int, str, str, int, Data], ...] = ()

    def config(self) -> MeterConfig:
        """The configuration of these codes."""
        return MeterConfig.from_codes(serial="7012345678", **self.codes)


DRIFT_FAST = dataclasses.replace(Settings.default(), rtc=RtcSettings(drift_ppm=1000.0))
DRIFT_SLOW = dataclasses.replace(Settings.default(), rtc=RtcSettings(drift_ppm=-400.0))
ANALYSIS_5MIN = dataclasses.replace(Settings.default(), analysis=Analysis(interval_minutes=5))
LISTS = (
    DAY + 1000.0,
    ("1-0:21.7.0.255", "1-0:41.7.0.255", "1-0:1.8.0.255", "1-0:9.7.0.255", "1-0:1.8.2.255"),
    3600,
    ("1-0:2.8.0.255", "1-0:32.7.0.255", "1-0:1.8.0.255", "1-0:1.8.1.255"),
)
SHORT, LONG, ACROSS = (40000.0, 30.0), (50000.0, 5 * 3600.0 + 17.0), (3300.0, 1200.0)
VOLTAGE_EVENTS = (
    (7000.0, 600.0, 1, (1,), 0.8),  # a sag below the 207 V limit, longer than the 60 s minimum
    (9050.0, 30.0, 1, (2,), 0.85),  # a sag too short to count
    (20000.0, 7300.0, 0, (3,), 1.15),  # a swell
    (30100.0, 1000.0, 2, (2,), 0.0),  # a single-phase loss
    (3000.0, 900.0, 2, (1,), 0.8),  # a sag across the outage ACROSS (3300 s .. 4500 s)
    (2.3 * DAY - 500.0, 2000.0, 0, (1, 2), 0.82),  # running when the fleet is read
)
CASES = {
    "5min": Case({"config1": "3-1-000-00-1"}),
    "15min": Case({"config1": "3-1-000-00-2"}),
    "30min": Case({"config1": "3-1-000-00-3"}),
    "60min": Case({"config1": "3-1-000-00-4"}, outages=(SHORT, LONG, (2 * DAY + 3500.0, 200.0))),
    "x5-a+": Case({"type_number": "685-35BC123-070"}),
    "x5-a+a-": Case({"type_number": "685-35BC223-070", "config1": "3-1-000-00-1"}),
    "x5-a+r+": Case({"type_number": "685-35BC323-070", "config1": "3-1-000-00-3"}),
    "x5-all": Case({"type_number": "685-35BC423-070", "config1": "3-1-000-00-4"}),
    "secondary-bank": Case({"config3": "00-0-01-0-00-001-001-02"}),
    "secondary-bank-5min": Case(
        {"config3": "00-0-01-0-00-001-001-02", "config1": "3-1-000-00-1"}, outages=(SHORT,)
    ),
    "outages": Case(outages=(SHORT, LONG, ACROSS)),
    "spring-dst": Case(t0=SPRING, outages=(LONG,)),
    "autumn-dst": Case(t0=AUTUMN, outages=(ACROSS,)),
    "autumn-dst-5min": Case({"config1": "3-1-000-00-1"}, t0=AUTUMN),
    "stop-day-28": Case({"config2": "001-28-01-1"}),
    "stop-every-2-months": Case({"config2": "001-01-02-1"}),
    "stop-quarterly": Case({"config2": "001-01-06-1"}),
    "no-stop": Case({"config2": "001-01-00-1"}),
    "temperature": Case(
        {"metrology": Metrology(accuracy="class-limit", daily_swing=8.0)}, temperature=(DAY + 300.0, -25.0)
    ),
    "external-stop": Case({"config2": "001-00-01-1"}, external_stop=DAY + 1234.0, lists=LISTS),
    "capture": Case(capture=DAY + 600.0, ct=None),
    "profile-inputs": Case(  # meter 0: a reset, a CT change, a capture, a temperature inside an interval
        {"metrology": Metrology(accuracy="class-limit", daily_swing=8.0)},
        ct=(DAY + 450.0, 1000),
        ct_meter=0,
        reset=DAY / 2 + 77.0,
        capture=DAY + 600.0,
        temperature=(DAY + 1300.0, 55.0),
    ),
    "outage-in-a-partial-interval": Case(  # a start and a CT change inside intervals with an outage
        t0=FEB27 + 36.0, ct=(DAY + 450.0, 1000), ct_meter=2, outages=((706.0, 135.0), (DAY + 100.0, 200.0))
    ),
    "rtc-fast": Case({"settings": DRIFT_FAST}, t0=SPRING, outages=(ACROSS, LONG)),
    "rtc-slow-5min": Case({"settings": DRIFT_SLOW, "config1": "3-1-000-00-1"}, t0=AUTUMN),
    "tamper": Case(  # covers and magnet, every alarm register cleared, meter 2's power returns after
        outages=(ACROSS, (2 * DAY + 1000.0, 300.0)),
        tamper=(
            (DAY + 100.0, "terminal_cover", True, (0,)),
            (DAY + 4000.0, "terminal_cover", False, (0,)),
            (DAY + 5000.0, "magnetic", True, (0, 1)),
            (DAY + 9000.5, "magnetic", False, (0, 1)),
            (DAY + 20000.0, "meter_cover", True, (1, 2)),
            (DAY + 40000.0, "terminal_cover", True, (2,)),
        ),
        alarm_write=(DAY + 30000.0, 0),
    ),
    "analysis-and-display-writes": Case(lists=LISTS, outages=(ACROSS, (DAY + 3000.0, 1500.0))),
    "analysis-5min": Case({"settings": ANALYSIS_5MIN}, outages=(SHORT, ACROSS)),
    "voltage-quality": Case(  # ends inside an interval, with a sag running on meter 0; external stop
        {"config2": "001-00-01-1"},
        days=2.3,
        ct=None,
        external_stop=DAY + 1234.0,
        voltage=VOLTAGE_EVENTS,
        lists=LISTS,
    ),
    "voltage-quality-5min": Case({"config1": "3-1-000-00-1"}, days=2.3, voltage=VOLTAGE_EVENTS),
    "rtc-fast-voltage-quality": Case({"settings": DRIFT_FAST}, days=2.3, voltage=VOLTAGE_EVENTS),
    "rtc-slow-voltage-quality-5min": Case(
        {"settings": DRIFT_SLOW, "config1": "3-1-000-00-1"}, days=2.3, voltage=VOLTAGE_EVENTS
    ),
    "rtc-fast-stops": Case(  # the 28 Feb and 1 March stops, an external one, by a fast clock
        {"settings": DRIFT_FAST, "config2": "001-28-01-1"}, external_stop=DAY + 1234.0
    ),
    "rtc-slow-stops-5min": Case(
        {"settings": DRIFT_SLOW, "config1": "3-1-000-00-1"}, external_stop=DAY / 2 + 77.0, outages=(SHORT, ACROSS)
    ),
    "voltage-analysis-5min": Case(days=2.3, voltage=VOLTAGE_EVENTS, lists=(*LISTS[:2], 300, LISTS[3])),
}
STOP_1_MARCH = 2 * DAY - 3600.0  # from FEB27: midnight local time, the scheduled debiting stop
DST_29_MARCH = DAY + 3600.0  # from SPRING: 01:00 UTC, summer time begins
CASES["adjacent-outages"] = Case(outages=(ACROSS, (4500.0, 100.0)))  # one failure 3300..4600 s for meter 2
CASES["events-at-one-instant"] = Case(  # power returns at the stop, and a CT change at it
    outages=((STOP_1_MARCH - 1200.0, 1200.0),), ct=(STOP_1_MARCH, 1000), ct_meter=2
)
CASES["outage-from-the-stop"] = Case(outages=((STOP_1_MARCH, 600.0),), ct=(STOP_1_MARCH + 300.0, 1000), ct_meter=2)
CASES["outage-over-summer-time"] = Case(t0=SPRING, outages=((DST_29_MARCH - 600.0, 1200.0),))
IO_PULSE_ALARM = {"config1": "3-1-068-03-2", "config2": "001-01-01-2"}  # pulse in / alarm in, alarm on
CASES["io-pulse-alarm"] = Case(
    IO_PULSE_ALARM,
    io=(
        (DAY + 100.0, "level", 1, 1, (0, 1)),
        (DAY + 160.0, "level", 1, 0, (0, 1)),
        (DAY + 200.0, "pulses", 0, 25, (1, 2)),
        (DAY + 3000.0, "level", 2, 1, (0, 2)),
        (DAY + 9000.0, "level", 2, 0, (0,)),
    ),
    alarm_write=(DAY + 5000.0, 0),
    sets=((DAY + 600.0, "0-0:128.11.2.255", Data(DataType.FLOAT64, 0.5)),),
)
CASES["io-pulse-outputs"] = Case(  # R+ and A+ of primary energy: constant by CT ratio, changed on meter 1
    {"config1": "3-1-075-06-2", "config2": "001-01-01-3", "config3": "00-0-01-1-00-001-001-01"}
)
CASES["io-load-tariff-sync"] = Case(
    {"config1": "3-1-072-18-2"},
    io=((DAY + 50.0, "pulses", 0, 3, (0, 1, 2)),),
    sets=((DAY + 700.0, "0-0:128.17.0.255", Data(DataType.UNSIGNED, 0b0110)),),
)
RELAY_1, RELAY_2 = "0-0:96.3.10.255", "0-1:96.3.10.255"
DISCONNECT, RECONNECT = Data(DataType.INTEGER, 0), Data(DataType.INTEGER, 0)
CASES["load-control"] = Case(  # module 58: load control in / status out; remote, local and mode changes
    {"config1": "3-1-058-17-2"},
    io=((DAY + 3000.0, "level", 1, 1, (1,)), (DAY + 6000.0, "level", 1, 0, (1,))),
    calls=(
        (DAY + 1000.0, (0,), 70, RELAY_1, "action", 1, DISCONNECT),
        (DAY + 2000.0, (0,), 70, RELAY_1, "action", 2, RECONNECT),
        (DAY + 2500.0, (2,), 70, RELAY_1, "set", 4, Data(DataType.ENUM, 1)),
        (DAY + 2600.0, (2,), 70, RELAY_1, "action", 1, DISCONNECT),
        (DAY + 2700.0, (2,), 70, RELAY_1, "action", 2, RECONNECT),
    ),
)
CASES["load-control-toggle"] = Case(  # module 53, two relays, the toggle output
    {"config1": "3-1-053-28-2"},
    calls=(
        (DAY + 500.0, (1, 2), 70, RELAY_2, "action", 1, DISCONNECT),
        (DAY + 900.0, (2,), 70, RELAY_1, "action", 1, DISCONNECT),
    ),
)
FAST = [
    "5min",
    "x5-a+r+",
    "autumn-dst",
    "capture",
    "outage-in-a-partial-interval",
    "profile-inputs",
    "tamper",
    "voltage-quality",  # with an external stop (the case external-stop runs with -m slow)
]


def _timeline(case: Case) -> list[tuple[float, str]]:
    events = [(case.days * DAY, "end")]
    if case.ct is not None:
        events.append((case.ct[0], "ct"))
    if case.external_stop is not None:
        events.append((case.external_stop, "stop"))
    if case.capture is not None:
        events.append((case.capture, "capture"))
    if case.reset is not None:
        events.append((case.reset, "reset"))
    if case.temperature is not None:
        events.append((case.temperature[0], "temperature"))
    events += [(change[0], f"tamper{j}") for j, change in enumerate(case.tamper)]
    if case.alarm_write is not None:
        events.append((case.alarm_write[0], "alarms"))
    if case.lists is not None:
        events.append((case.lists[0], "lists"))
    events += [(change[0], f"io{j}") for j, change in enumerate(case.io)]
    events += [(change[0], f"set{j}") for j, change in enumerate(case.sets)]
    events += [(change[0], f"call{j}") for j, change in enumerate(case.calls)]
    return sorted(events)


def _call(objects, class_id: int, obis: str, kind: str, number: int, value: Data) -> None:
    ln, ctx = Obis.parse(obis).to_bytes(), CONTEXTS[Level.MANAGEMENT]
    if kind == "set":
        assert objects.set(ctx, class_id, ln, number, value) == DataAccessResult.SUCCESS
    else:
        assert objects.action(ctx, class_id, ln, number, value)[0] == ActionResult.SUCCESS


def _set(objects, obis: str, value: Data) -> None:
    result = objects.set(CONTEXTS[Level.MANAGEMENT], 1, Obis.parse(obis).to_bytes(), 2, value)
    assert result == DataAccessResult.SUCCESS


def _write_alarms(objects, value: int) -> None:
    ln = Obis.parse("0-0:97.98.0.255").to_bytes()
    result = objects.set(CONTEXTS[Level.MANAGEMENT], 1, ln, 2, Data(DataType.DOUBLE_LONG_UNSIGNED, value))
    assert result == DataAccessResult.SUCCESS


def _capture_objects(*codes: str) -> Data:
    return Data.array(
        [
            Data.structure(
                Data(DataType.LONG_UNSIGNED, 3),
                Data(DataType.OCTET_STRING, Obis.parse(code).to_bytes()),
                Data(DataType.INTEGER, 2),
                Data(DataType.LONG_UNSIGNED, 0),
            )
            for code in codes
        ]
    )


def _write_lists(objects, case: Case) -> None:
    """The analysis logger's channels and period (management), the manual display list (reading)."""
    _, channels, period, manual = case.lists
    analysis = Obis.parse("1-0:99.2.0.255").to_bytes()
    management, reading = CONTEXTS[Level.MANAGEMENT], CONTEXTS[Level.READING]
    assert objects.set(management, 7, analysis, 3, _capture_objects(*channels)) == 0
    assert objects.set(management, 7, analysis, 4, Data(DataType.DOUBLE_LONG_UNSIGNED, period)) == 0
    manual_list = Obis.parse("0-0:21.0.2.255").to_bytes()
    assert objects.set(reading, 7, manual_list, 3, _capture_objects(*manual)) == 0


def _stop(objects) -> None:
    ctx = CONTEXTS[Level.MANAGEMENT]
    result, _ = objects.action(ctx, 9, SCRIPT, 1, Data(DataType.LONG_UNSIGNED, 1))
    assert result == ActionResult.SUCCESS


def _capture(objects, method: int = 2) -> None:
    """The load profile's class 7 method: 1 reset, 2 capture."""
    ctx = CONTEXTS[Level.MANAGEMENT]
    result, _ = objects.action(ctx, 7, LOAD_PROFILE.to_bytes(), method, Data(DataType.INTEGER, 0))
    assert result == ActionResult.SUCCESS


def _run_fleet(case: Case) -> Fleet:
    fleet = Fleet(case.config(), meters=3, clock=SimClock(case.t0, rate=0))
    for at, seconds in case.outages:
        fleet.add_outage(case.t0 + at, case.t0 + at + seconds, [2])
    for at, seconds, i, phases, level in case.voltage:
        fleet.add_voltage_event(case.t0 + at, case.t0 + at + seconds, [i], phases, level)
    lists = [build_object_list(fleet.meter(i)) for i in range(3)]
    for at, what in _timeline(case):
        fleet.run_for(case.t0 + at - fleet.t)
        if what == "ct":
            fleet.meter(case.ct_meter).set_ct_ratio(case.ct[1])
        elif what == "stop":
            for objects in lists:
                _stop(objects)
        elif what == "capture":
            _capture(lists[0])
        elif what == "reset":
            _capture(lists[0], 1)
        elif what == "temperature":
            fleet.set_temperature(case.temperature[1])
        elif what.startswith("tamper"):
            _, source, state, meters = case.tamper[int(what[6:])]
            fleet.set_tamper(source, state, meters=list(meters))
        elif what == "alarms":
            for objects in lists:
                _write_alarms(objects, case.alarm_write[1])
        elif what == "lists":
            for objects in lists:
                _write_lists(objects, case)
        elif what.startswith("io"):
            _, kind, line, value, meters = case.io[int(what[2:])]
            if kind == "pulses":
                fleet.io.pulse(value, meters=list(meters))
            else:
                fleet.io.set_input(line, value, meters=list(meters))
        elif what.startswith("set"):
            _, obis, value = case.sets[int(what[3:])]
            for objects in lists:
                _set(objects, obis, value)
        elif what.startswith("call"):
            _, meters, *call = case.calls[int(what[4:])]
            for i in meters:
                _call(lists[i], *call)
    return fleet


def _run_twin(case: Case, fleet: Fleet, i: int) -> Meter:
    view = fleet.meter(i)
    meter = Meter(view.config, clock=SimClock(case.t0, rate=0), load=view.load)
    objects = build_object_list(meter)
    for at, what in _timeline(case):
        meter.run_for(case.t0 + at - meter.true_t)
        if what == "ct" and i == case.ct_meter:
            meter.set_ct_ratio(case.ct[1])
        elif what == "stop":
            _stop(objects)
        elif what == "capture" and i == 0:
            _capture(objects)
        elif what == "reset" and i == 0:
            _capture(objects, 1)
        elif what == "temperature":
            meter.set_temperature(case.temperature[1])
        elif what.startswith("tamper"):
            _, source, state, meters = case.tamper[int(what[6:])]
            if i in meters:
                meter.function(Tamper).set(source, state)
        elif what == "alarms":
            _write_alarms(objects, case.alarm_write[1])
        elif what == "lists":
            _write_lists(objects, case)
        elif what.startswith("io"):
            _, kind, line, value, meters = case.io[int(what[2:])]
            if i in meters and kind == "pulses":
                meter.function(IoModule).pulse(value)
            elif i in meters:
                meter.function(IoModule).set_input(line, value)
        elif what.startswith("set"):
            _, obis, value = case.sets[int(what[3:])]
            _set(objects, obis, value)
        elif what.startswith("call"):
            _, meters, *call = case.calls[int(what[4:])]
            if i in meters:
                _call(objects, *call)
    return meter


def _differences(fleet_objects, meter_objects) -> list:
    assert [(o.class_id, o.obis) for o in fleet_objects] == [
        (o.class_id, o.obis) for o in meter_objects
    ]
    differ = []
    for ctx in CONTEXTS:
        for obj in meter_objects:
            ln = obj.obis.to_bytes()
            for attribute in obj.attributes:
                mine = fleet_objects.get(ctx, obj.class_id, ln, attribute)
                theirs = meter_objects.get(ctx, obj.class_id, ln, attribute)
                if mine != theirs:
                    differ.append((ctx.level.name, str(obj.obis), attribute))
    return differ


def _check(case: Case) -> None:
    fleet = _run_fleet(case)
    for i in range(3):
        twin = _run_twin(case, fleet, i)
        differ = _differences(build_object_list(fleet.meter(i)), build_object_list(twin))
        assert differ == [], (i, differ[:10])
    if case.outages:
        ended = [at for at, seconds in case.outages if at + seconds < case.days * DAY]
        failures = fleet.meter(2).read("0-0:96.7.0.255").value
        assert min(len(ended), 1) <= failures <= len(case.outages)  # overlapping ones count once
    if case.external_stop is not None:
        assert fleet.meter(0).read("0-0:0.1.0.255").value >= 1  # with the scheduled ones
    if case.capture is not None:
        ends = [row[0].timestamp() for row in fleet.meter(0).read(str(LOAD_PROFILE)).rows]
        assert case.t0 + case.capture in ends  # the captured (partial) entry
        if case.reset is not None:
            assert min(ends) > case.t0 + case.reset  # nothing from before the reset
    if case.tamper:  # what the case is about, so a rule that does nothing cannot pass
        registers = [
            (fleet.meter(i).read("0-0:97.97.0.255").value, fleet.meter(i).read("0-0:97.98.0.255").value)
            for i in range(3)
        ]
        assert registers == [
            (Alarm.TERMINAL_COVER | Alarm.MAGNETIC_FIELD, 0),
            (Alarm.MAGNETIC_FIELD | Alarm.METER_COVER, 0),
            (Alarm.METER_COVER | Alarm.TERMINAL_COVER, Alarm.TERMINAL_COVER | Alarm.POWER_UP),
        ]
    if case.voltage == VOLTAGE_EVENTS and not case.config().settings.rtc.drift_ppm:  # true-time figures
        _check_voltage_quality(fleet)


def _check_voltage_quality(fleet: Fleet) -> None:
    """What the voltage events must have done (the matrix shows fleet and meter agree on it)."""

    def value(i: int, obis: str) -> float:
        return fleet.meter(i).read(obis).value

    assert value(1, "1-0:32.32.0.255") == 1 and value(1, "1-0:32.33.0.255") == 600
    assert value(1, "1-0:52.32.0.255") == 0 and value(1, "1-0:52.33.0.255") == 0  # too short
    assert value(1, "1-0:52.3.0.255") < 207.0  # but its voltage is the L2 minimum
    assert value(0, "1-0:72.36.0.255") == 1 and value(0, "1-0:72.37.0.255") == 7300
    assert value(0, "1-0:72.6.0.255") > 253.0
    assert value(2, "1-0:52.40.0.255") == 1 and value(2, "1-0:52.41.0.255") == 1000
    assert value(2, "0-0:96.7.21.255") == 1  # the phase loss; the outage is a power failure
    # the sag runs into the outage: the meter, off, sees it end only when the supply returns
    assert value(2, "1-0:32.32.0.255") == 1 and value(2, "1-0:32.33.0.255") == 4500 - 3000
    assert value(0, "1-0:32.32.0.255") == 1 and value(0, "1-0:32.33.0.255") == 500  # running


def test_profile_methods_are_inputs_kept_across_a_restart(tmp_path):
    case = CASES["capture"]
    fleet = _run_fleet(case)
    fleet.save(tmp_path / "fleet.npz")
    again = Fleet.load(tmp_path / "fleet.npz", case.config())
    assert again.writes.of(0) == [
        TwinWrite(case.t0 + case.capture, 0, str(LOAD_PROFILE), "capture", ())
    ]
    profile = str(LOAD_PROFILE)
    assert again.meter(0).read(profile) == fleet.meter(0).read(profile)
    assert again.meter(1).read(profile) == fleet.meter(1).read(profile)


@pytest.mark.parametrize("case", [CASES[name] for name in FAST], ids=FAST)
def test_matrix_sample(case):
    _check(case)


@pytest.mark.slow
@pytest.mark.parametrize(
    "case", [c for n, c in CASES.items() if n not in FAST], ids=[n for n in CASES if n not in FAST]
)
def test_matrix(case):
    _check(case)


@pytest.mark.slow
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking a 2-day run takes minutes
)
@given(
    period=st.integers(1, 4),
    x5=st.integers(1, 4),
    bank=st.sampled_from(["01", "02"]),
    ppm=st.sampled_from([0.0, 0.0, 500.0, -250.0]),
    t0=st.sampled_from([FEB27, SPRING, AUTUMN]),
    shift=st.integers(0, 3599),
    ct_at=st.integers(600, 2 * 86400 - 600),
    outage_at=st.integers(600, 2 * 86400 - 600),
    outage_s=st.integers(1, 6 * 3600),
    celsius=st.one_of(st.none(), st.floats(-40.0, 70.0)),
    celsius_at=st.integers(600, 2 * 86400 - 600),
)
def test_matrix_at_hypothesis_picks(
    period, x5, bank, ppm, t0, shift, ct_at, outage_at, outage_s, celsius, celsius_at
):
    rtc = dataclasses.replace(Settings.default(), rtc=RtcSettings(drift_ppm=ppm))
    codes = {
        "config1": f"3-1-000-00-{period}",
        "type_number": f"685-35BC{x5}23-070",
        "config3": f"00-0-01-0-00-001-001-{bank}",
        "settings": rtc,
        "metrology": Metrology(accuracy="typical" if celsius is None else "class-limit"),
    }
    temperature = None if celsius is None else (float(celsius_at), celsius)
    _check(
        Case(
            codes,
            t0=t0 + shift,
            days=2.0,
            ct=(float(ct_at), 100),
            outages=((outage_at, outage_s),),
            temperature=temperature,
        )
    )


PUSH_SETTINGS = {"alarm_push_destination": "127.0.0.1:4059", "scheduled_push_ciphered": True}
PUSH_WRITES = [  # (push setup, attribute, value) written on meter 1 of both
    ("0-0:25.9.0.255", 5, Data(DataType.LONG_UNSIGNED, 45)),
    ("0-1:25.9.0.255", 3, Data.structure(
        Data(DataType.ENUM, 0), Data(DataType.OCTET_STRING, b"10.0.0.1:4000"), Data(DataType.ENUM, 0)
    )),
    ("0-2:25.9.0.255", 7, Data(DataType.LONG_UNSIGNED, 3)),
]


def _served_pair(case: Case, fleet: Fleet, i: int):  # noqa: ANN202
    """Meter i of a served fleet and its single twin served with serve's push service."""
    from k351c.codes.server import ServerSettings
    from k351c.server.dlms import endpoint_for
    from k351c.server.fleet import FleetServer
    from k351c.server.keys import KeyStore
    from k351c.server.push import PushService
    from k351c.server.runtime import Runtime

    settings = ServerSettings(**PUSH_SETTINGS)
    server = FleetServer(fleet, SimClock(fleet.t, rate=0), test_keys=True, settings=settings)
    runtime = Runtime(_run_twin(case, fleet, i), keys=KeyStore(None, test_keys=True), settings=settings)
    single = endpoint_for(runtime).objects
    return server, server.endpoint(i).objects, PushService(runtime, None), single


PUSH_CASES = [("5min", 1), ("5min", 2), ("tamper", 1), ("tamper", 2), ("voltage-quality", 0)]


@pytest.mark.parametrize(("name", "i"), PUSH_CASES, ids=[f"{n}-meter{i}" for n, i in PUSH_CASES])
def test_matrix_push(name, i):
    """Served fleet meter vs served single meter: the object lists, every push setup attribute at
    every level (after the same writes), and the notifications (the alarm push after an outage, covers
    and magnet, voltage events; the scheduled and CCC pushes) byte for byte and decoded by gurux."""
    from k351c.server.push import PUSH_OF_CODE, push_frame
    from testkit import decode_notification

    case = CASES[name]
    fleet = _run_fleet(case)
    server, served, service, single = _served_pair(case, fleet, i)
    assert sorted((o.class_id, str(o.obis)) for o in served) == sorted(
        (o.class_id, str(o.obis)) for o in single
    )
    for obis, attribute, value in PUSH_WRITES if (name, i) == ("5min", 1) else []:
        for objects in (served, single):
            assert objects.set(CONTEXTS[Level.MANAGEMENT], 40, Obis.parse(obis).to_bytes(), attribute, value) == 0
    pushes = [o for o in single if o.class_id == 40]
    assert len(pushes) == 3
    for ctx in CONTEXTS:
        for obj in pushes:
            for attribute in obj.attributes:
                ln = obj.obis.to_bytes()
                assert served.get(ctx, 40, ln, attribute) == single.get(ctx, 40, ln, attribute), (
                    ctx.level, obj.obis, attribute
                )
    power_up = PUSH_OF_CODE[2]
    for setup_name in (power_up, "scheduled", "ccc"):  # plain, ciphered (scheduled), plain
        mine = server.push.notification(i, server.push.setup(i, setup_name))
        theirs = push_frame(service.setups[setup_name], service.notification(service.setups[setup_name]))
        assert mine == theirs, setup_name
        ciphered = service.setups[setup_name].ciphered
        decoded, expected = decode_notification(mine, ciphered), decode_notification(theirs, ciphered)
        assert decoded.value == expected.value and str(decoded.time) == str(expected.time)
        assert str(decoded.value[1]) == fleet.serial(i)
        if (name, i, setup_name) == ("tamper", 2, "alarm"):  # its terminal cover opened after the clear
            assert int(decoded.value[3]) != 0, "the alarm register shows the covers and the magnet"
