"""A live terminal view of the meter: the LCD as the display shows it, and the main readings (rich)."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from k351c.meter.core import Meter
from k351c.meter.lcd import VALUE_DIGITS, LcdState, lcd_state

MAIN_READINGS = [
    "0-0:1.0.0.255",
    "1-0:1.8.0.255",
    "1-0:2.8.0.255",
    "1-0:3.8.0.255",
    "1-0:4.8.0.255",
    "1-0:1.7.0.255",
    "1-0:2.7.0.255",
    "1-0:32.7.0.255",
    "1-0:52.7.0.255",
    "1-0:72.7.0.255",
    "1-0:31.7.0.255",
    "1-0:51.7.0.255",
    "1-0:71.7.0.255",
    "1-0:13.7.0.255",
    "1-0:14.7.0.255",
]
ARROWS = {"+": "→", "-": "←", "±": "↔", "": " "}
KEYS_HELP = "space/b: left push button   t: display test   Ctrl-C: stop"


def readings_table(meter: Meter, codes: list[str] | None = None) -> Table:
    """A table of OBIS, description, value and unit for the main readings."""
    table = Table(title=f"Kamstrup 351C  serial {meter.config.serial}", expand=False)
    for name in ("OBIS", "reading", "value", "unit"):
        table.add_column(name)
    for code in codes or MAIN_READINGS:
        definition = meter.objects.get(code)
        if definition is None:
            continue
        reading = meter.reading(code)
        value = reading.value
        text = (
            value.isoformat(sep=" ", timespec="seconds")
            if hasattr(value, "isoformat")
            else str(value)
        )
        table.add_row(str(definition.obis), definition.description, text, reading.unit)
    return table


def lcd_text(state: LcdState) -> Text:
    """The LCD's segment fields as text lines: indicators, identification, value and unit, text field."""
    on, off = "bold black on dark_sea_green", "grey58 on dark_sea_green"
    out = Text(style="on dark_sea_green")
    for i, present in enumerate(state.phases):
        out.append(f" L{i + 1}{ARROWS[state.directions[i]]}", on if present else off)
    for t in (1, 2, 3, 4):
        out.append(f" T{t}", on if t in state.tariffs else off)
    out.append("  ⚠" if state.error else "   ", on)
    quadrants = "".join(f"Q{q}" if q in state.quadrants else "  " for q in (1, 2, 3, 4))
    out.append(f"  {quadrants:8} ", on)
    out.append(f"\n {state.obis:<12}", on)
    out.append(
        f"{state.value:>{VALUE_DIGITS + 2}} {state.unit:<6}\n", "bold black on dark_sea_green"
    )
    out.append(f" {state.text:<20}{'' if state.mode == 'auto' else state.mode.upper():>10} ", on)
    return out


def lcd_panel(state: LcdState) -> Panel:
    """The LCD in a frame, with the LED and the push-button keys underneath."""
    if state.test or (state.led_on and state.led_hz == 0.0):
        led = "[red]●[/] LED on"
    elif state.led_hz > 0.0:
        led = f"[{'red' if state.pulses % 2 else 'grey50'}]●[/] LED {state.led_hz:.2f} Hz"
    else:
        led = "[grey50]●[/] LED off"
    body = Group(lcd_text(state), Text.from_markup(f"{led}   [dim]{KEYS_HELP}[/]"))
    return Panel(body, title="display", expand=False)


def meter_view(meter: Meter) -> Group:
    """The LCD panel above the main readings table."""
    return Group(lcd_panel(lcd_state(meter)), readings_table(meter))
