"""Speed work must not change behaviour: a 30-day meter equals values recorded before the optimisations.

The fixture was written by the code before the fast paths (``python -m tests.meter.test_meter_speed_equivalence``
regenerates it, only ever from a known-good revision): every value of the object table, every logger
(load profile, debiting loggers, analysis logger, event logs), the persisted states (energy remainders
included, so the Wh registers are bit-identical) and a digest of every emitted event.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from k351c import Meter, MeterConfig, SimClock
from k351c.meter.loads import default_load
from k351c.meter.loads_profile import household_load
from k351c.meter.objects import ProfileData
from k351c.store import MemoryStore

FIXTURE = Path(__file__).parent / "data" / "meter_30_days.json"
START = "2026-03-10T07:23:11Z"  # crosses the DST change of 29 March and the 1 April debiting stop
CHUNKS = (86400.0 * 7 + 3 * 3600 + 17, 1234.5, 86400.0 * 9, 86400.0 * 14 - 1234.5 - 3 * 3600 - 17)


def _jsonable(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, ProfileData):
        return _profile(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _profile(data: ProfileData) -> dict:
    """Short loggers in full; long ones (load profile, analysis) by digest, column sums and ends."""
    rows = [_jsonable(list(r)) for r in data.rows]
    if len(rows) <= 64:
        return {"columns": list(data.columns), "count": len(rows), "rows": rows}
    sums = [
        sum(r[i] for r in rows if isinstance(r[i], (int, float))) for i in range(len(data.columns))
    ]
    digest = hashlib.sha256(json.dumps(rows).encode()).hexdigest()
    return {
        "columns": list(data.columns),
        "count": len(rows),
        "sums": sums,
        "sha256": digest,
        "rows": rows[:3] + rows[-3:],
    }


def _run(pv: bool) -> dict:
    config = MeterConfig.default()
    load = default_load(config)
    if pv:
        load = household_load(config, seed=7)
        load.pv_peak = 6000.0
    store = MemoryStore()
    meter = Meter(config, clock=SimClock(START, rate=0), store=store, load=load)
    events: list[object] = []
    meter.subscribe(lambda e: events.append([e.t, e.kind, e.code, e.log, e.data]))
    for seconds in CHUNKS:
        meter.run_for(seconds)
    values = {str(d.obis): _jsonable(d.get()) for d in meter.objects}
    states = {"core": meter._core_state()}
    states.update({f.name: f.state() for f in meter.functions})
    event_json = json.dumps(_jsonable(events), sort_keys=True)
    return {
        "values": values,
        "states": json.loads(json.dumps(_jsonable(states), sort_keys=True)),
        "events": len(events),
        "events_sha256": hashlib.sha256(event_json.encode()).hexdigest(),
    }


def _snapshot() -> dict:
    return {"household": _run(pv=False), "household_pv": _run(pv=True)}


@pytest.fixture(scope="module")
def recorded() -> dict:
    return json.loads(FIXTURE.read_text())


@pytest.fixture(scope="module")
def current() -> dict:
    return json.loads(json.dumps(_snapshot()))


@pytest.mark.parametrize("case", ["household", "household_pv"])
def test_every_value_and_logger_is_unchanged(recorded, current, case):
    want, got = recorded[case]["values"], current[case]["values"]
    assert sorted(got) == sorted(want)
    for obis in want:
        assert got[obis] == want[obis], obis


@pytest.mark.parametrize("case", ["household", "household_pv"])
def test_load_profile_and_debiting_logger_are_filled(recorded, case):
    values = recorded[case]["values"]
    assert values["1-0:99.1.0.255"]["count"] == 30 * 96
    assert values["0-0:98.1.0.255"]["count"] == 1


@pytest.mark.parametrize("case", ["household", "household_pv"])
def test_states_bit_identical(recorded, current, case):
    want, got = recorded[case]["states"], current[case]["states"]
    assert got["core"] == want["core"]
    for name in want:
        assert got[name] == want[name], name


@pytest.mark.parametrize("case", ["household", "household_pv"])
def test_events_unchanged(recorded, current, case):
    assert current[case]["events"] == recorded[case]["events"]
    assert current[case]["events_sha256"] == recorded[case]["events_sha256"]


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(_snapshot(), sort_keys=True, separators=(",", ":")) + "\n")
