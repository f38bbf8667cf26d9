"""Display lists and the push button: auto scroll, manual list, timeout, backup list, list objects."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.axdr.enums import DataAccessResult
from k351c.axdr.selective import CaptureObject
from k351c.axdr.types import Data, DataType
from k351c.cosem import Level, RequestContext, build_object_list
from k351c.errors import ConfigError
from k351c.meter.catalog import default_functions
from k351c.meter.display import KINDS, LIST_OBIS, MANUAL_TIMEOUT_S, SCROLL_S, Display
from k351c.obis import Obis
from k351c.store import MemoryStore

READING, PUBLIC = RequestContext(Level.READING), RequestContext(Level.PUBLIC)


def make_meter(store=None, config=None) -> Meter:
    cfg = config or MeterConfig.default()
    functions = default_functions(cfg)
    if not any(f.name == "display" for f in functions):
        functions.append(Display())
    m = Meter(cfg, clock=SimClock("2026-01-01T00:00:00Z", rate=0), store=store, functions=functions)
    m.set_load(ConstantLoad(current=5.0))
    m.run_for(60)
    return m


@pytest.fixture
def meter():
    return make_meter()


def test_auto_list_scrolls_every_10_seconds(meter):
    display = meter.function("display")
    auto = display.readings("auto")
    assert auto == meter.config.display_table.auto
    shown = []
    for _ in range(len(auto) + 1):
        shown.append(display.current())
        meter.run_for(SCROLL_S)
    start = auto.index(shown[0])
    assert shown == [auto[(start + i) % len(auto)] for i in range(len(auto) + 1)]


def test_press_enters_manual_advances_and_times_out(meter):
    display = meter.function("display")
    manual = display.readings("manual")
    assert display.press() == manual[0]
    assert display.mode() == "manual"
    assert display.press() == manual[1]
    meter.run_for(MANUAL_TIMEOUT_S - 1)
    assert display.mode() == "manual" and display.current() == manual[1]
    assert display.press() == manual[2]
    meter.run_for(MANUAL_TIMEOUT_S - 1)
    assert display.mode() == "manual"
    meter.run_for(1)
    assert display.mode() == "auto"
    assert display.current() == display.readings("auto")[0]


def test_manual_list_wraps(meter):
    display = meter.function("display")
    manual = display.readings("manual")
    shown = [display.press() for _ in range(len(manual) + 1)]
    assert shown[-1] == manual[0]


def test_backup_list_without_supply(meter):
    display = meter.function("display")
    meter.set_load(ConstantLoad(voltage=(100.0, 90.0, 50.0), current=0.0))
    meter.run_for(5)
    assert display.mode() == "backup"
    backup = display.readings("backup")
    assert display.current() == backup[0]
    assert display.press() == backup[1]
    meter.run_for(600)
    assert display.current() == backup[1]
    meter.set_load(ConstantLoad(voltage=(116.0, 0.0, 0.0), current=0.0))
    meter.run_for(10)
    assert display.mode() in ("auto", "test")


def test_legal_readings_are_in_the_manual_list():
    cfg = MeterConfig.from_codes(config2="002-01-01-1")
    m = make_meter(config=cfg)
    display = m.function("display")
    assert "1-0:2.8.0.255" not in cfg.display_table.manual
    assert display.legal == ("1-0:1.8.0.255", "1-0:2.8.0.255")
    assert display.readings("manual")[:2] == ("1-0:2.8.0.255", "1-0:1.8.0.255")


@pytest.mark.parametrize(
    ("kind", "codes", "named"),
    [
        ("auto", ["1-0:1.8.0.255"] * 2, "1-0:1.8.0.255"),
        (
            "auto",
            [
                f"1-0:{c}.7.0.255"
                for c in (1, 2, 3, 4, 9, 10, 13, 14, 21, 41, 61, 22, 42, 62, 31, 51, 71)
            ],
            "at most 16",
        ),
        ("auto", ["1-0:9.9.9.255"], "1-0:9.9.9.255"),
        ("auto", ["1-0:99.1.0.255"], "1-0:99.1.0.255"),
        ("auto", ["1-0:1.8.0.101"], "1-0:1.8.0.101"),
        ("manual", ["1-0:1.8.0.255"], "legal"),
        ("backup", ["1-0:1.8.0.255"] * 9, "1-0:1.8.0.255"),
        (
            "backup",
            [f"1-0:1.8.{e}.255" for e in range(5)] + [f"1-1:1.8.{e}.255" for e in range(4)],
            "at most 8",
        ),
        ("front", ["1-0:1.8.0.255"], "front"),
    ],
)
def test_invalid_lists_name_the_reading_or_limit(meter, kind, codes, named):
    display = meter.function("display")
    before = meter.config.settings
    with pytest.raises(ConfigError) as info:
        display.set_list(kind, codes)
    assert named in str(info.value)
    assert meter.config.settings == before


def test_set_list_persists_across_restart():
    store = MemoryStore()
    m = make_meter(store)
    m.function("display").set_list("auto", ["1-0:32.7.0.255", "1.8.0"])
    again = make_meter(store)
    assert again.function("display").readings("auto") == ("1-0:32.7.0.255", "1-0:1.8.0.255")
    assert again.config.display_table.auto == ("1-0:32.7.0.255", "1-0:1.8.0.255")


def test_list_objects_hold_codes_and_current_values(meter):
    for kind in KINDS:
        profile = meter.read(LIST_OBIS[kind])
        display = meter.function("display")
        assert profile.columns == list(display.readings(kind))
        assert len(profile.rows) == 1
        assert (
            profile.rows[0][profile.columns.index("1-0:1.8.0.255")]
            == meter.read("1-0:1.8.0.255").value
        )


def test_meter_write_sets_a_list(meter):
    meter.write("0-0:21.0.3.255", ["1-0:1.8.0.255"])
    assert meter.function("display").readings("backup") == ("1-0:1.8.0.255",)


def capture_array(codes):
    return Data(
        DataType.ARRAY,
        tuple(CaptureObject(3, Obis.parse(c).to_bytes(), 2, 0).to_data() for c in codes),
    )


def test_dlms_reading_client_sets_capture_objects(meter):
    objects = build_object_list(meter)
    ln = LIST_OBIS["auto"].to_bytes()
    value = capture_array(["1-0:1.8.0.255", "1-0:14.7.0.255"])
    assert objects.set(PUBLIC, 7, ln, 3, value) == DataAccessResult.READ_WRITE_DENIED
    assert objects.set(READING, 7, ln, 3, value) == DataAccessResult.SUCCESS
    assert meter.function("display").readings("auto") == ("1-0:1.8.0.255", "1-0:14.7.0.255")
    read = objects.get(READING, 7, ln, 3)
    assert [CaptureObject.from_data(d).logical_name for d in read.value] == [
        Obis.parse(c).to_bytes() for c in ("1-0:1.8.0.255", "1-0:14.7.0.255")
    ]
    buffer = objects.get(READING, 7, ln, 2)
    assert len(buffer.value) == 1 and len(buffer.value[0].value) == 2


def test_dlms_refuses_an_invalid_list_and_nothing_changes(meter):
    objects = build_object_list(meter)
    ln = LIST_OBIS["manual"].to_bytes()
    before = meter.function("display").readings("manual")
    result = objects.set(READING, 7, ln, 3, capture_array(["1-0:32.7.0.255"]))
    assert result != DataAccessResult.SUCCESS
    assert meter.function("display").readings("manual") == before


# 0-0:21.0.1.255 capture_objects = {3, 1-0:1.8.0.255, 2, 0}, encoded by hand after the Blue Book:
# array(1) structure(4) long-unsigned 3, octet-string(6), integer 2, long-unsigned 0
CAPTURE_HEX = "0101020412000309060100010800FF0F02120000"


def test_capture_objects_bytes_decode_to_the_list(meter):
    from k351c.axdr.codec import decode_data

    value, _ = decode_data(bytes.fromhex(CAPTURE_HEX), 0)
    objects = build_object_list(meter)
    assert (
        objects.set(READING, 7, LIST_OBIS["auto"].to_bytes(), 3, value) == DataAccessResult.SUCCESS
    )
    assert meter.function("display").readings("auto") == ("1-0:1.8.0.255",)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "1-0:1.8.0.255",
                "1-0:2.8.0.255",
                "1-0:1.7.0.255",
                "1-0:32.7.0.255",
                "1-0:14.7.0.255",
                "0-0:96.1.0.255",
                "1-1:1.8.0.255",
            ]
        ),
        unique=True,
        max_size=7,
    ),
    st.integers(min_value=0, max_value=40),
)
def test_any_valid_backup_list_round_trips_and_press_stays_in_it(codes, presses):
    m = make_meter()
    display = m.function("display")
    display.set_list("backup", codes)
    assert display.readings("backup") == tuple(codes)
    m.set_load(ConstantLoad(voltage=0.0, current=0.0))
    m.run_for(1)
    for _ in range(presses):
        shown = display.press()
        assert shown in codes if codes else shown is None
