"""Configuration codes 1/2/3/5: every listed code parses, formats, describes; bad ones are named."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k351c.codes import Config1, Config2, Config3, Config5, IoFunction, detect_kind, parse_code
from k351c.errors import ConfigError

DEFAULTS = {
    Config1: "3-1-000-00-2",
    Config2: "001-01-01-1",
    Config3: "00-0-01-0-00-001-001-01",
    Config5: "000-001-1-1",
}
CLASSES = list(DEFAULTS)

EVERY_VALUE = [
    (cls, spec.attr, value)
    for cls in CLASSES
    for spec in cls.LAYOUT
    for value in spec.meanings
    if spec.allowed_text is None or value in (0, 1, 2, 123, 999)
]


@pytest.mark.parametrize(("cls", "attr", "value"), EVERY_VALUE, ids=str)
def test_every_listed_code_parses_formats_and_describes(cls, attr, value):
    base = cls.parse(DEFAULTS[cls])
    fields = {spec.attr: getattr(base, spec.attr) for spec in cls.LAYOUT}
    code = cls(**{**fields, attr: value})
    assert cls.parse(str(code)) == code
    index = [spec.attr for spec in cls.LAYOUT].index(attr)
    field, text, meaning = code.describe()[index]
    assert text == cls.LAYOUT[index].code_text(value)
    assert meaning


@st.composite
def codes(draw, cls):
    """A valid code of cls from its tables."""
    values = {}
    for spec in cls.LAYOUT:
        keys = list(spec.meanings)
        values[spec.attr] = draw(st.sampled_from(keys))
    return cls(**values)


@st.composite
def regroup(draw, text):
    """Dashes and spaces anywhere between the digits."""
    out = []
    for ch in text.replace("-", ""):
        out.append(draw(st.sampled_from(["", "-", " ", "--"])))
        out.append(ch)
    return "".join(out)


@pytest.mark.parametrize("cls", CLASSES)
@given(data=st.data())
def test_round_trip_over_all_valid_combinations(cls, data):
    code = data.draw(codes(cls))
    text = str(code)
    assert cls.parse(text) == code
    assert cls.parse(data.draw(regroup(text))) == code
    assert [len(g) for g in text.split("-")] == [spec.width for spec in cls.LAYOUT]
    assert len(code.describe()) == len(cls.LAYOUT)
    assert parse_code(text, cls.KIND) == code


def _invalid_value(spec):
    for candidate in range(10**spec.width):
        if candidate not in spec.meanings:
            return candidate
    return None


INVALID = [
    (cls, i, spec)
    for cls in CLASSES
    for i, spec in enumerate(cls.LAYOUT)
    if _invalid_value(spec) is not None
]


@pytest.mark.parametrize(("cls", "index", "spec"), INVALID, ids=str)
def test_invalid_value_names_the_position_value_and_allowed(cls, index, spec):
    parts = str(cls.parse(DEFAULTS[cls])).split("-")
    bad = spec.code_text(_invalid_value(spec))
    parts[index] = bad
    with pytest.raises(ConfigError) as info:
        cls.parse("-".join(parts))
    err = info.value
    assert err.field == f"{cls.KIND} {spec.position} {spec.label}"
    assert err.value == bad
    assert err.allowed == spec.allowed()
    message = str(err)
    assert err.field in message and repr(bad) in message
    assert all(repr(a) in message for a in err.allowed)


def test_named_examples_of_errors():
    with pytest.raises(ConfigError, match="config2 HH debiting logging interval: '25'"):
        Config2.parse("001-01-25-1")
    with pytest.raises(ConfigError, match="config1 DD input/output configuration: '24'"):
        Config1.parse("3-1-000-24-2")
    with pytest.raises(ConfigError, match="config5 SSS transformer ratio: '011'"):
        Config5.parse("000-011-1-1")
    with pytest.raises(ConfigError, match="config3 LL GMT offset: '24'"):
        Config3.parse("00-0-24-0-00-001-001-01")


@pytest.mark.parametrize(
    ("cls", "text", "detail"),
    [
        (Config1, "3-1-000-00", "ends before E"),
        (Config2, "001-01-01-1-1", "extra characters '1' after I"),
        (Config3, "00-0-01", "ends before M"),
    ],
)
def test_wrong_length_names_the_missing_position(cls, text, detail):
    with pytest.raises(ConfigError, match=detail) as info:
        cls.parse(text)
    assert info.value.field == cls.KIND


def test_non_digit_names_the_position():
    with pytest.raises(ConfigError) as info:
        Config1.parse("3-1-0x0-00-2")
    assert info.value.field == "config1 CCC module"


def test_direct_construction_is_validated():
    with pytest.raises(ConfigError, match="config5 T"):
        Config5(rrr=0, sss=1, t=3, u=1)
    with pytest.raises(ConfigError, match="config1 A"):
        Config1(a=True, b=1, ccc=0, dd=0, e=2)


def test_meanings_of_default_codes():
    c1 = Config1.parse("3-1-000-00-2")
    assert (c1.decimals, c1.integration_minutes, c1.io_conflicts()) == (2, 15, ())
    c2 = Config2.parse("001-01-01-1")
    assert (c2.debiting_months, c2.pulse_length_ms, c2.alarm_input) == ((1, 1), 30, False)
    assert Config2.parse("001-00-00-4").debiting_months is None
    assert Config2.parse("001-28-24-4").alarm_input is True
    c3 = Config3.parse("00-0-01-0-00-001-001-01")
    assert (c3.utc_offset_minutes, c3.dst_rule, c3.pulse_input_unit) == (60, "eu", "")
    assert Config3.parse("00-0-13-1-02-000-000-02").utc_offset_minutes == -11 * 60
    c5 = Config5.parse("359-600-2-3")
    assert (c5.ct_primary, c5.ct_locked, c5.logger2) == (3000, True, "monthly")


def test_integration_period_numbering():
    minutes = [Config1.parse(f"3-1-000-00-{e}").integration_minutes for e in (1, 2, 3, 4)]
    assert minutes == [5, 15, 30, 60]


def test_dd_functions_per_line():
    io = Config1.parse("3-1-072-05-2").io
    assert (io.io1, io.io2) == (IoFunction.PULSE_IN, IoFunction.A_PLUS_OUT)
    assert Config1.parse("3-1-000-28-2").io.io2 is IoFunction.TOGGLE_LOAD_CONTROL_OUT
    assert IoFunction.PULSE_IN_INV.inverted and not IoFunction.PULSE_IN.inverted


def test_io_conflicts_are_advisory():
    assert Config1.parse("3-1-072-05-2").io_conflicts() == ()
    assert Config1.parse("3-1-069-26-2").io_conflicts() == ()
    conflicts = Config1.parse("3-1-001-05-2").io_conflicts()
    assert len(conflicts) == 1 and conflicts[0].startswith("I/O 1")
    assert Config1.parse("3-1-053-05-2").io_conflicts() == ()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("685-35BC423-070", "type"),
        ("685 35BC423 070", "type"),
        ("3-1-000-00-2", "config1"),
        ("001-01-01-1", "config2"),
        ("00-0-01-0-00-001-001-01", "config3"),
        ("0000100000100101", "config3"),
        ("000-001-1-1", "config5"),
        ("32040054", "config1"),
        ("31960023", "config5"),
        ("05000011", "config2"),
    ],
)
def test_detect_kind(text, kind):
    assert detect_kind(text) == kind
    assert type(parse_code(text)).KIND == {"type": "type number"}.get(kind, kind)


@pytest.mark.parametrize("text", ["31000002", "12345", "nonsense"])
def test_detect_kind_refuses_ambiguous_or_unknown(text):
    with pytest.raises(ConfigError):
        detect_kind(text)
