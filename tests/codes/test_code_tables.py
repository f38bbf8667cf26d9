"""The tables against an independent transcription of the data sheet, and the holidays library."""

import holidays
import pytest

from k351c.codes import tables as tb
from k351c.codes.tables import IoDirection

# (country, sheet code, X8-X10) exactly as the data sheet's ordering details print them.
SHEET_COUNTRIES = """
Denmark DK 010; Russia RU 025; Spain ES 031; Croatia HR 036; Norway NO 040; Latvia LV 045;
Lithuania LT 049; Great Britain UK 050; Austria AT 055; Switzerland (Italian part) CH (IT) 059;
Estonia EE 061; Switzerland (German part) CH (DE) 063; Poland PL 064;
Switzerland (French part) CH (FR) 065; Iceland IS 067; Germany DE 070; Belgium BE 078;
The Netherlands NL 080; Finland FI 084; Sweden SE 090; Saudi Arabia SA 110; South Africa ZA 120;
Chile CL 151
"""

# DD: the sheet's I/O 1 and I/O 2 direction columns ("-" none, I input, O output).
SHEET_DD_DIRECTIONS = {
    0: "--",
    1: "II",
    2: "II",
    3: "II",
    4: "II",
    5: "IO",
    6: "OO",
    7: "II",
    8: "II",
    9: "II",
    10: "II",
    11: "IO",
    12: "IO",
    13: "II",
    14: "II",
    15: "O-",
    16: "OO",
    17: "IO",
    18: "IO",
    19: "IO",
    20: "IO",
    21: "IO",
    22: "OO",
    23: "OO",
    26: "OO",
    27: "IO",
    28: "IO",
}
_LETTER = {IoDirection.NONE: "-", IoDirection.INPUT: "I", IoDirection.OUTPUT: "O"}


def test_countries_match_the_sheet():
    rows = [r.strip() for r in SHEET_COUNTRIES.replace("\n", " ").split(";")]
    assert len(rows) == 23 == len(tb.COUNTRIES)
    for row in rows:
        number = row[-3:]
        country = tb.COUNTRIES[number]
        assert row == f"{country.name} {country.code} {number}"


@pytest.mark.parametrize("number", sorted(tb.COUNTRIES))
def test_every_country_has_public_holidays(number):
    country = tb.COUNTRIES[number]
    calendar = holidays.country_holidays(
        country.holidays, subdiv=country.subdiv, years=2026, language=country.language
    )
    assert len(calendar) > 0


def test_uk_and_swiss_regions_map_to_iso_codes():
    assert tb.COUNTRIES["050"].holidays == "GB"
    swiss = {n: tb.COUNTRIES[n] for n in ("059", "063", "065")}
    assert {c.holidays for c in swiss.values()} == {"CH"}
    assert [c.language for c in swiss.values()] == ["it", "de", "fr"]
    assert swiss["059"].subdiv == "TI"


def test_dd_rows_and_directions_match_the_sheet():
    assert sorted(tb.IO_CONFIGS) == [*range(24), 26, 27, 28]
    for code, io in tb.IO_CONFIGS.items():
        got = _LETTER[io.io1.direction] + _LETTER[io.io2.direction]
        assert got == SHEET_DD_DIRECTIONS[code], (code, io)


def test_modules_are_all_listed_with_their_lines():
    assert sorted(tb.MODULES) == [0, 1, 8, 18, 40, 53, 55, 58, 64, 68, 69, 71, 72, 75]
    assert tb.MODULES[1].io2 is IoDirection.OUTPUT
    assert tb.MODULES[69].io1 is tb.MODULES[69].io2 is IoDirection.OUTPUT
    assert tb.MODULES[53].io1 is None


def test_debiting_intervals():
    assert len(tb.DEBITING_INTERVALS) == 25
    assert tb.DEBITING_INTERVALS[0] is None
    assert tb.DEBITING_INTERVALS[1] == (1, 1)
    assert tb.DEBITING_INTERVALS[3] == (2, 2)
    assert tb.DEBITING_INTERVALS[6] == (3, 3)
    assert tb.DEBITING_INTERVALS[7] == (6, 1)
    assert tb.DEBITING_INTERVALS[12] == (6, 6)
    assert tb.DEBITING_INTERVALS[13] == (12, 1)
    assert tb.DEBITING_INTERVALS[24] == (12, 12)
    assert tb.DEBITING_TEXT[9] == "Half-yearly, March"
    assert tb.DEBITING_TEXT[0] == "None (externally controlled)"


def test_gmt_offsets():
    assert len(tb.GMT_OFFSET_HOURS) == 24
    assert tb.GMT_OFFSET_HOURS[0] == 0
    assert tb.GMT_OFFSET_HOURS[12] == 12
    assert tb.GMT_OFFSET_HOURS[13] == -11
    assert tb.GMT_OFFSET_HOURS[23] == -1


def test_ct_ratios_are_primary_over_five():
    primaries = [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 100, 200, 300, 400, 500]
    primaries += [1000, 1500, 2000, 2500, 3000]
    assert sorted(tb.CT_PRIMARY.values()) == primaries
    assert all(primary == code * 5 for code, primary in tb.CT_PRIMARY.items())
    assert tb.CT_TEXT[600] == "3000A / 5A"


def test_rf_codes():
    assert sorted(tb.RF_CODES) == [0, 318, 319, 327, 328, 339, 348, 349, 359, 369]
    assert tb.RF_CODES[359] == "FI 359 RF"
