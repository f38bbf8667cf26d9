"""Prometheus /metrics: energy registers as counters, every other numeric value as a gauge,
module pulses as counters and I/O levels and relay states as gauges."""

from __future__ import annotations

from typing import TypeVar

from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from k351c.codes.tables import IoFunction
from k351c.meter.core import Meter
from k351c.meter.function import MeterFunction
from k351c.meter.io import PULSE_OUTPUTS, IoModule
from k351c.meter.lcd import lcd_state
from k351c.meter.loadcontrol import LoadControl
from k351c.meter.tariffs import PULSE_INPUTS
from k351c.server.runtime import Runtime

F = TypeVar("F", bound=MeterFunction)

LABELS = ["obis", "unit", "description"]
PULSED = {*PULSE_OUTPUTS, IoFunction.DEBITING_STOP_OUT}
"""Output functions that send pulses (the others are level outputs)."""


class MeterCollector:
    """Collects the meter's values at scrape time (the meter is synced just before)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self):
        """Yield the metric families of one scrape."""
        meter = self.runtime.meter
        energy = CounterMetricFamily(
            "k351c_energy", "Energy registers (OBIS x.8.y) in their unit", labels=LABELS
        )
        values = GaugeMetricFamily(
            "k351c_value", "Instantaneous values and other numeric registers", labels=LABELS
        )
        for definition in meter.objects:
            if definition.class_id in (7, 8):
                continue
            raw = definition.get()
            if isinstance(raw, bool) or not isinstance(raw, (int, float)):
                continue
            reading = meter.reading(definition.obis)
            labels = [str(definition.obis), reading.unit, definition.description]
            family = energy if definition.obis.d == 8 and definition.obis.a == 1 else values
            family.add_metric(labels, float(reading.value))
        yield energy
        yield values
        state = lcd_state(meter)
        pulses = CounterMetricFamily(
            "k351c_led_pulses", "Pulses of the active meter-constant LED since start"
        )
        pulses.add_metric([], float(state.pulses))
        yield pulses
        supply = GaugeMetricFamily(
            "k351c_phase_voltage_present", "Supply voltage indicator per phase", labels=["phase"]
        )
        for i, lit in enumerate(state.phases):
            supply.add_metric([f"L{i + 1}"], 1.0 if lit else 0.0)
        yield supply
        tariff = GaugeMetricFamily("k351c_tariff", "Current tariff (1-4)")
        tariff.add_metric([], float(meter.tariff))
        yield tariff
        yield from io_families(meter)


def _function(meter: Meter, kind: type[F]) -> F | None:
    try:
        return meter.function(kind)
    except KeyError:
        return None


def io_families(meter: Meter) -> list:
    """The module slot's metric families: output pulses and input pulses, line levels, relays."""
    io = _function(meter, IoModule)
    control = _function(meter, LoadControl)
    line_labels = ["line", "function"]
    pulses_out = CounterMetricFamily(
        "k351c_io_output_pulses",
        "Pulses sent on a module output line (A+/A-/R+ pulse or debiting stop outputs)",
        labels=line_labels,
    )
    pulses_in = CounterMetricFamily(
        "k351c_io_input_pulses", "Pulses counted on the module's pulse input"
    )
    levels = GaugeMetricFamily(
        "k351c_io_level",
        "Level of a module I/O line (1 = high)",
        labels=[*line_labels, "direction"],
    )
    relays = GaugeMetricFamily(
        "k351c_relay_connected", "Load control relay: 1 = consumer connected", labels=["relay"]
    )
    states = GaugeMetricFamily(
        "k351c_relay_control_state",
        "Load control relay control_state (0 disconnected, 1 connected, 2 ready for reconnection)",
        labels=["relay"],
    )
    if io is not None:
        for i, function in enumerate(io.functions):
            labels = [str(i + 1), function.value]
            direction = function.direction.name.lower()
            if function in PULSED:
                pulses_out.add_metric(labels, float(io.counters[i].count))
            if direction == "output":
                levels.add_metric([*labels, direction], float(io.outputs[i]))
            elif direction == "input":
                levels.add_metric([*labels, direction], float(io.levels[i]))
        if any(f in PULSE_INPUTS for f in io.functions):
            pulses_in.add_metric([], float(io.pulses))
    for i, relay in enumerate(control.relays if control is not None else []):
        relays.add_metric([str(i + 1)], 1.0 if relay.output_state else 0.0)
        states.add_metric([str(i + 1)], float(int(relay.state)))
    return [pulses_out, pulses_in, levels, relays, states]


def metrics_registry(runtime: Runtime) -> CollectorRegistry:
    """A private registry holding the meter's collector (not the process-global default)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MeterCollector(runtime))
    if runtime.bench is not None:
        from k351c.web.traffic import BenchCollector

        registry.register(BenchCollector(runtime))
    return registry


def metrics_response(registry: CollectorRegistry) -> Response:
    """The Prometheus text exposition of the registry now."""
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
