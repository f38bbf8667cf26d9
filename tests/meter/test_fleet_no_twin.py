"""A fleet meter a year old answers every attribute of every object without a single-meter twin.

Every object's values come from the fleet's arrays or are recomputed (issue 17): reading the whole
object list, at every association level, as the server binds it, builds no ``Meter`` and runs none.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from k351c import Fleet, MeterConfig, SimClock
from k351c.clock import parse_instant
from k351c.codes import RtcSettings, Settings
from k351c.cosem import build_object_list
from k351c.cosem.model import Level, RequestContext
from k351c.meter.core import Meter

T0 = parse_instant("2025-12-01T00:00:00Z").timestamp()
YEAR = 365 * 86400.0
LOAD_CONTROL = {  # docs/fleet.md: what is left on the twin
    "0-0:96.3.10.255",
    "0-1:96.3.10.255",
    "0-0:96.11.2.255",
    "0-0:99.98.2.255",
}
CONTEXTS = [
    RequestContext(level, association={"conformance": 0x1C1F, "max_receive_pdu": 1024})
    for level in Level
]


@pytest.fixture
def no_meter_runs(monkeypatch):
    """Fail the test on any ``Meter`` built or run after the fleet's template was made."""
    made: list[str] = []
    monkeypatch.setattr(Meter, "run_for", lambda self, seconds: made.append("run_for"))
    original = Meter.__init__

    def counted(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        made.append("__init__")
        original(self, *args, **kwargs)

    monkeypatch.setattr(Meter, "__init__", counted)
    return made


DRIFTING = MeterConfig.from_codes(
    settings=dataclasses.replace(Settings.default(), rtc=RtcSettings(drift_ppm=-300.0))
)


@pytest.mark.parametrize("config", [MeterConfig.default(), DRIFTING], ids=["exact-clock", "drifting-clock"])
def test_reading_every_object_of_a_year_old_fleet_meter_builds_no_twin(no_meter_runs, config):
    fleet = Fleet(config, meters=4, clock=SimClock(T0, rate=0))
    fleet.add_outage(T0 + 40 * 86400.0, T0 + 40 * 86400.0 + 7 * 3600.0, [1, 2])
    fleet.run_for(100 * 86400.0 + 450.0)
    fleet.meter(1).set_ct_ratio(1000)
    fleet.set_temperature(-20.0, [1])
    fleet.meter(1).objects.lookup("1-0:99.1.0.255").capture()
    fleet.run_for(YEAR - fleet.t + T0 + 1234.0)
    built = list(no_meter_runs)  # the object list's template: one Meter, never run
    assert built.count("run_for") == 0
    for i in (0, 1):
        objects = build_object_list(fleet.meter(i))
        answered = 0
        for ctx in CONTEXTS:
            for obj in objects:
                for attribute in obj.attributes:
                    objects.get(ctx, obj.class_id, obj.obis.to_bytes(), attribute)
                    answered += 1
        assert answered > 3 * 271 * 2
    assert no_meter_runs == built
    assert fleet.meter(1).read("1-0:0.4.2.255").value == 1000
    assert np.isfinite(fleet.meter(1).read("1-0:1.8.0.255").value)


@pytest.mark.parametrize(
    ("codes", "twinned"),
    [("3-1-053-00-2", False), ("3-1-000-26-2", False), ("3-1-055-28-2", False), ("3-1-069-22-2", True)],
)
def test_only_tariff_sync_load_control_is_left_on_the_twin(codes, twinned):
    """Relays a tariff-sync output drives (I/O 22/23) are the twin's still; every other relay is the arrays'."""
    fleet = Fleet(MeterConfig.from_codes(config1=codes), meters=2, clock=SimClock(T0, rate=0))
    view = fleet.meter(1)
    left = {str(d.obis) for d in fleet.twins.template() if d.obis not in view.objects._defs}
    assert left <= LOAD_CONTROL and bool(left) == twinned
