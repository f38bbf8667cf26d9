"""The terminal view: the LCD panel renders every field, keys press the button and start the display test."""

from rich.console import Console

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.cli.live import handle_key
from k351c.cli.view import meter_view
from k351c.meter.lcd import lcd_state
from k351c.server.runtime import Runtime


def render(meter) -> str:
    console = Console(width=120, record=True, force_terminal=False)
    console.print(meter_view(meter))
    return console.export_text()


def test_keys_drive_the_display():
    meter = Meter(MeterConfig.default(), clock=SimClock("2026-01-01T00:00:00Z", rate=0))
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(60)
    runtime = Runtime(meter)
    text = render(meter)
    state = lcd_state(meter)
    assert "L1→" in text and state.obis in text and f"{state.value} {state.unit}" in text
    assert "space/b: left push button" in text
    assert handle_key(runtime, " ")
    manual = meter.function("display").readings("manual")
    assert meter.function("display").current() == manual[0]
    assert "MANUAL" in render(meter)
    assert handle_key(runtime, "t") and "888888888" in render(meter)
    assert not handle_key(runtime, "x")
