"""The value table refuses a logger without its capacity (class 7 attribute 8 comes from it)."""

import pytest

from k351c.meter.objects import ObjectTable, ProfileData, ValueDef
from k351c.obis import Obis


def test_a_logger_needs_its_capacity():
    table = ObjectTable()
    rows = lambda: ProfileData(["0-0:1.0.0.255"], [])  # noqa: E731
    with pytest.raises(ValueError, match="capacity"):
        table.add(ValueDef(Obis(1, 0, 99, 1, 9), 7, rows))
    with pytest.raises(ValueError, match="capacity"):
        table.replace(ValueDef(Obis(1, 0, 99, 1, 9), 7, rows))
    table.add(ValueDef(Obis(1, 0, 99, 1, 9), 7, rows, capacity=lambda: 96))
    assert table.lookup("1-0:99.1.9.255").capacity() == 96
