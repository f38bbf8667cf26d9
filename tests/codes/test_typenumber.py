"""Type number 685-X1X2X3X4X5X6X7-X8X9X10: parse any grouping, format, describe, validate."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k351c.codes import TypeNumber
from k351c.errors import ConfigError

DEFAULT = "685-35BC423-070"


@pytest.mark.parametrize(
    "text",
    [
        DEFAULT,
        "685-3-5B-C4-23-070",
        "685 35BC423 070",
        "68535BC423070",
        "685-35bc423-070",
        "  685 - 35BC423 - 0 7 0  ",
        "6-8-5-3-5-B-C-4-2-3-0-7-0",
    ],
)
def test_any_grouping_parses_to_the_canonical_form(text):
    assert str(TypeNumber.parse(text)) == DEFAULT


def test_fields_and_properties():
    tn = TypeNumber.parse(DEFAULT)
    assert tn == TypeNumber("3", "5", "B", "C", "4", "2", "3", "070")
    assert tn.energy_channels == ("A+", "A-", "R+", "R-")
    assert tn.meter_class == "B"
    assert tn.country_info.code == "DE"
    assert TypeNumber.parse("685-255C423-151").meter_class == "0.5"
    assert TypeNumber.parse("685-45CC123-050").phases_info.frequency == 60.0


def test_describe_names_every_position():
    rows = TypeNumber.parse(DEFAULT).describe()
    assert [r[0].split()[0] for r in rows] == [
        "685",
        "X1",
        "X2",
        "X3",
        "X4",
        "X5",
        "X6",
        "X7",
        "X8X9X10",
    ]
    assert ("X8X9X10 country code", "070", "DE Germany") in rows
    assert rows[5] == ("X5 energy type", "4", "A+/A-/R+/R-")


def _choices(position: int) -> list[str]:
    return list(TypeNumber.LAYOUT[position].meanings)


type_numbers = st.builds(
    lambda *codes: "685-" + "".join(codes[:7]) + "-" + codes[7],
    *[st.sampled_from(_choices(i)) for i in range(8)],
)


@st.composite
def regrouped(draw, canonical):
    """The same characters with dashes and spaces put anywhere."""
    chars = canonical.replace("-", "")
    out = []
    for ch in chars:
        out.append(draw(st.sampled_from(["", "", "-", " ", " - "])))
        out.append(ch.lower() if draw(st.booleans()) else ch)
    return "".join(out)


@given(type_numbers.flatmap(lambda c: st.tuples(st.just(c), regrouped(c))))
def test_every_valid_type_number_round_trips(pair):
    canonical, text = pair
    tn = TypeNumber.parse(text)
    assert str(tn) == canonical
    assert TypeNumber.parse(str(tn)) == tn
    assert len(tn.describe()) == 9


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("685-15BC423-070", "X1 phases", "1"),
        ("685-36BC423-070", "X2 current", "6"),
        ("685-35ZC423-070", "X3 class", "Z"),
        ("685-35BB423-070", "X4 generation", "B"),
        ("685-35BC523-070", "X5 energy type", "5"),
        ("685-35BC433-070", "X6 hardware option", "3"),
        ("685-35BC421-070", "X7 tariff", "1"),
        ("685-35BC423-071", "X8X9X10 country code", "071"),
    ],
)
def test_each_bad_position_is_named_with_its_allowed_values(text, field, value):
    with pytest.raises(ConfigError) as info:
        TypeNumber.parse(text)
    err = info.value
    assert (err.field, err.value) == (field, value)
    spec = next(s for s in TypeNumber.LAYOUT if field.startswith(s.position + " "))
    assert err.allowed == spec.allowed()
    assert field in str(err)
    for allowed in err.allowed:
        assert repr(allowed) in str(err)


def test_x3_error_example():
    with pytest.raises(ConfigError) as info:
        TypeNumber.parse("685-35ZC423-070")
    assert info.value.allowed == ["B", "C", "1", "5"]


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("686-35BC423-070", "must start with 685"),
        ("685-35BC423-07", "ends before X8X9X10"),
        ("685-35BC4", "ends before X6"),
        ("685-35BC423-0700", "extra characters"),
        ("", "must start with 685"),
    ],
)
def test_wrong_length_or_prefix(text, detail):
    with pytest.raises(ConfigError, match=detail) as info:
        TypeNumber.parse(text)
    assert info.value.field == "type number"


def test_direct_construction_is_validated():
    with pytest.raises(ConfigError, match="X1 phases"):
        TypeNumber("9", "5", "B", "C", "4", "2", "3", "070")
