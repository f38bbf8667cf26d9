"""A live terminal view of the meter's main readings (rich)."""

from __future__ import annotations

from rich.table import Table

from k351c.meter.core import Meter

MAIN_READINGS = [
    "0-0:1.0.0.255", "1-0:1.8.0.255", "1-0:2.8.0.255", "1-0:3.8.0.255", "1-0:4.8.0.255",
    "1-0:1.7.0.255", "1-0:2.7.0.255", "1-0:32.7.0.255", "1-0:52.7.0.255", "1-0:72.7.0.255",
    "1-0:31.7.0.255", "1-0:51.7.0.255", "1-0:71.7.0.255", "1-0:13.7.0.255", "1-0:14.7.0.255",
]


def readings_table(meter: Meter, codes: list[str] | None = None) -> Table:
    """A table of OBIS, description, value and unit for the main readings."""
    table = Table(title=f"Kamstrup 351C  serial {meter.config.serial}", expand=False)
    for name in ("OBIS", "reading", "value", "unit"):
        table.add_column(name)
    for code in codes or MAIN_READINGS:
        definition = meter.objects.get(code)
        if definition is None:
            continue
        reading = meter.read(code)
        value = reading.value
        text = value.isoformat(sep=" ", timespec="seconds") if hasattr(value, "isoformat") else str(value)
        table.add_row(str(definition.obis), definition.description, text, reading.unit)
    return table
