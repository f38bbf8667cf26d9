"""Prometheus /metrics: energy registers as counters, every other numeric value as a gauge."""

from __future__ import annotations

from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from k351c.meter.lcd import lcd_state
from k351c.server.runtime import Runtime

LABELS = ["obis", "unit", "description"]


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
            reading = meter.read(definition.obis)
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


def metrics_registry(runtime: Runtime) -> CollectorRegistry:
    """A private registry holding the meter's collector (not the process-global default)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MeterCollector(runtime))
    return registry


def metrics_response(registry: CollectorRegistry) -> Response:
    """The Prometheus text exposition of the registry now."""
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
