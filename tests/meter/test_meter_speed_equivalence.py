"""Speed work must not change behaviour: a 30-day meter equals values recorded before the optimisations.

The fixture holds every value of the object table, every logger (load profile, debiting loggers,
analysis logger, event logs), the persisted states (energy remainders included) and every emitted event.
Integers, strings and the shape of every value compare exactly; floats compare to a relative 1e-9
(absolute 1e-9 for remainders near zero, a billionth of a Wh or pulse). numpy's vectorised
transcendentals (the load model's sin/cos/log) differ in the last bits between CPUs and builds (AVX-512
or not), so a bit-exact golden master would test the machine, not the meter. Digests are taken over
the values with every float masked; the floats themselves are kept beside them and compared to the
tolerance. ``python -m tests.meter.test_meter_speed_equivalence`` regenerates the fixture, only ever
from a known-good revision.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from k351c import Meter, MeterConfig, SimClock
from k351c.meter.loads_profile import household_load
from k351c.meter.objects import ProfileData
from k351c.store import MemoryStore

FIXTURE = Path(__file__).parent / "data" / "meter_30_days.json"
START = "2026-03-10T07:23:11Z"  # crosses the DST change of 29 March and the 1 April debiting stop
CHUNKS = (86400.0 * 7 + 3 * 3600 + 17, 1234.5, 86400.0 * 9, 86400.0 * 14 - 1234.5 - 3 * 3600 - 17)
REL = 1e-9
ABS = 1e-9
FLOAT = "<float>"


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


def _masked(value: object, floats: list[float]) -> object:
    """The value with every float replaced by FLOAT; the floats are appended to ``floats`` in order."""
    if isinstance(value, float):
        floats.append(value)
        return FLOAT
    if isinstance(value, dict):
        return {k: _masked(v, floats) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, floats) for v in value]
    return value


def _digest(value: object) -> tuple[str, list[float]]:
    """sha256 of the float-masked value (integers and strings exact), and the floats it masked."""
    floats: list[float] = []
    skeleton = _masked(value, floats)
    text = json.dumps(skeleton, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest(), floats


def _profile(data: ProfileData) -> dict:
    """Short loggers in full; long ones (load profile, analysis) by masked digest, column sums and ends."""
    rows = [_jsonable(list(r)) for r in data.rows]
    if len(rows) <= 64:
        return {"columns": list(data.columns), "count": len(rows), "rows": rows}
    sums = [
        sum(r[i] for r in rows if isinstance(r[i], (int, float))) for i in range(len(data.columns))
    ]
    return {
        "columns": list(data.columns),
        "count": len(rows),
        "sums": sums,
        "masked_sha256": _digest(rows)[0],
        "rows": rows[:3] + rows[-3:],
    }


def _run(pv: bool) -> dict:
    config = MeterConfig.default()
    load = household_load(config)
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
    digest, floats = _digest(json.loads(json.dumps(_jsonable(events))))
    return {
        "values": values,
        "states": json.loads(json.dumps(_jsonable(states), sort_keys=True)),
        "events": len(events),
        "events_masked_sha256": digest,
        "event_floats": floats,
    }


def _snapshot() -> dict:
    return {"household": _run(pv=False), "household_pv": _run(pv=True)}


def assert_close(got: object, want: object, where: str = "") -> None:
    """Equal in shape, type and every non-float exactly; floats to REL (ABS near zero)."""
    if isinstance(want, float) and isinstance(got, float):
        assert got == pytest.approx(want, rel=REL, abs=ABS), where
        return
    assert type(got) is type(want), f"{where}: {type(got).__name__} != {type(want).__name__}"
    if isinstance(want, dict):
        assert sorted(got) == sorted(want), where
        for key in want:
            assert_close(got[key], want[key], f"{where}/{key}")
    elif isinstance(want, list):
        assert len(got) == len(want), f"{where}: length {len(got)} != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_close(g, w, f"{where}[{i}]")
    else:
        assert got == want, where


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
        assert_close(got[obis], want[obis], obis)


@pytest.mark.parametrize("case", ["household", "household_pv"])
def test_load_profile_and_debiting_logger_are_filled(recorded, case):
    values = recorded[case]["values"]
    assert values["1-0:99.1.0.255"]["count"] == 30 * 96
    assert values["0-0:98.1.0.255"]["count"] == 1


@pytest.mark.parametrize("case", ["household", "household_pv"])
def test_states_unchanged(recorded, current, case):
    want, got = recorded[case]["states"], current[case]["states"]
    assert sorted(got) == sorted(want)
    for name in want:
        assert_close(got[name], want[name], name)


@pytest.mark.parametrize("case", ["household", "household_pv"])
def test_events_unchanged(recorded, current, case):
    want, got = recorded[case], current[case]
    assert got["events"] == want["events"]
    assert got["events_masked_sha256"] == want["events_masked_sha256"]
    assert_close(got["event_floats"], want["event_floats"], "event floats")


def test_tolerance_sees_a_real_change():
    """The comparison is not blind: a remainder off by 1e-6 Wh or an integer off by one fails."""
    state = {"remainder": [0.9816671201934923, 0.0], "count": 4961279}
    assert_close({"remainder": [0.9816671201858185, 3e-11], "count": 4961279}, state)
    with pytest.raises(AssertionError):
        assert_close({"remainder": [0.9816681201934923, 0.0], "count": 4961279}, state)
    with pytest.raises(AssertionError):
        assert_close({"remainder": [0.9816671201934923, 0.0], "count": 4961280}, state)
    with pytest.raises(AssertionError):
        assert_close({"remainder": [0.9816671201934923, 0.0], "count": 4961279.0}, state)


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(_snapshot(), sort_keys=True, separators=(",", ":")) + "\n")
