"""A fleet's state on disk: one .npz file (registers, checkpoints, CT history, outages, time).

Layout version 2 keeps the CT ratio each meter started with, its CT changes and the seconds of the
running interval already booked (a change mid-interval); version 3 adds the temperature settings
and the load-profile resets and captures; version 4 the arrays of the fleet's array functions, each
under its name (k351c.meter.fleet_function; ``billing_*``: peaks, counters, the open period, both
debiting loggers). A version-1 file (before the CT history) is migrated: its ratios count from the
start; a version-2 file had no temperature settings; a function whose arrays a file lacks (a file
before version 4, or before that function kept arrays) starts empty at the state's time, and a
warning names it. Any other version is refused with a message.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from k351c.errors import ConfigError
from k351c.meter.fleet_load import RESOLUTION, FleetLoadModel
from k351c.meter.fleet_writes import LOAD_PROFILE, TwinWrite, WriteJournal

VERSION = 4
log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from k351c.codes import MeterConfig
    from k351c.meter.fleet import Fleet


@dataclass(frozen=True, slots=True)
class Outage:
    """All phases of ``meters`` (fleet indices) lose voltage from t0 to t1 (a feeder outage)."""

    t0: float
    t1: float
    meters: np.ndarray


def save_state(fleet: Fleet, path: str | Path) -> None:
    """Write the state to an .npz file atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "n": fleet.n,
        "first_serial": fleet.first_serial,
        "k": fleet.k,
        "start_k": fleet.start_k,
        "start": fleet.start,
        "t": fleet.t,
        "outages": [[o.t0, o.t1] for o in fleet.outages],
        "ct_changes": [list(c) for c in fleet.ct_changes],
        "twin_writes": fleet.writes.to_rows(),
        "stop_commands": [list(c) for c in fleet.billing.commands],
        "version": VERSION,
    }
    arrays = {f"outage{j}": o.meters for j, o in enumerate(fleet.outages)}
    meta["temperatures"], temperatures = fleet.temperatures.to_meta()
    arrays.update(temperatures)
    for function in fleet.functions:
        arrays |= {f"{function.name}_{k}": v for k, v in function.arrays().items()}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        np.savez(
            handle,
            allow_pickle=False,
            meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            counts=fleet.counts,
            remainder=fleet.remainder,
            ckpt=fleet.ckpt,
            ckpt_k=fleet.ckpt_k,
            ct_primary=fleet.ct_primary,
            start_ct=fleet.start_ct,
            booked=fleet.booked,
            seeds=fleet.seeds,
            **arrays,
        )
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def load_state(
    cls: type[Fleet],
    path: str | Path,
    config: MeterConfig | None = None,
    model: FleetLoadModel | None = None,
) -> Fleet:
    """A fleet restored from a file written by save()."""
    with np.load(Path(path)) as data:
        meta = json.loads(bytes(data["meta"]).decode())
        version = meta.get("version", 1)
        if version not in (1, 2, 3, VERSION):
            raise ConfigError("fleet state", str(path), "a state of layout version 1 to 4")
        fleet = cls(
            config,
            meters=meta["n"],
            first_serial=meta["first_serial"],
            start=meta.get("start", meta["start_k"] * RESOLUTION),
            seeds=data["seeds"],
            ct_primary=data["ct_primary"],
            model=model,
        )
        fleet.banks.counts, fleet.banks.remainder = data["counts"].copy(), data["remainder"].copy()
        if data["ckpt"].shape == fleet.ckpt.shape:
            fleet.ckpt, fleet.ckpt_k = data["ckpt"].copy(), data["ckpt_k"].copy()
        fleet.outages = [
            Outage(t0, t1, data[f"outage{j}"]) for j, (t0, t1) in enumerate(meta["outages"])
        ]
        if meta.get("version", 1) >= 2:  # version 1 kept no CT history: its ratios count from the start
            fleet.start_ct, fleet.booked = data["start_ct"].copy(), data["booked"].copy()
            fleet.ct_changes = [(float(t), int(i), int(p)) for t, i, p in meta["ct_changes"]]
        fleet.temperatures.restore(meta.get("temperatures", []), data)  # version 3 keeps them
        fleet.writes = WriteJournal.from_rows(meta.get("twin_writes", []))  # none before they were kept
        for t, i, name in meta.get("profile_actions", []):  # kept apart for a while on 5 Dec 2026
            fleet.writes.append(TwinWrite(float(t), int(i), str(LOAD_PROFILE), str(name), ()))
        fleet.writes.writes.sort(key=lambda write: write.t)
        saved = {
            function.name: {
                k[len(function.name) + 1 :]: data[k]
                for k in data.files
                if k.startswith(f"{function.name}_")
            }
            for function in fleet.functions
        }
    fleet.k, fleet.t = int(meta["k"]), float(meta["t"])
    fleet.billing.commands = [(float(t), int(i), str(s)) for t, i, s in meta.get("stop_commands", [])]
    for function in fleet.functions:
        if saved[function.name]:
            function.restore(saved[function.name], fleet.k * RESOLUTION)
        else:
            function.begin(fleet.k * RESOLUTION)
            log.warning(
                "%s: fleet state of layout version %d has no %s arrays; that function starts "
                "empty at the state's time",
                path,
                version,
                function.name,
            )
    return fleet


def state_meta(path: str | Path) -> dict:
    """The metadata of a fleet state file (meters, first serial, time, layout version)."""
    with np.load(Path(path)) as data:
        return json.loads(bytes(data["meta"]).decode())
