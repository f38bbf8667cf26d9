"""A head-end's sweep of a fleet with gurux-dlms: HLS-GMAC management association per meter, the usual reads.

Per meter, on its own wrapper port, the flow a head-end runs: connect; AARQ with HLS-GMAC (mechanism 5,
security suite 0, authenticated and encrypted, the meter's own keys derived from the fleet master key as
``k351c keys show --meter i`` prints them); pass 3/4 because the AARE asks for it; GET the clock; GET A+
(1-0:1.8.0.255); GET one day of the load profile by range selection (block transfer as needed); GET the
debiting logger's entries in use and then its last entry by entry selection; RLRQ; close.

The device model (the capture objects of both loggers, the register scaler) is read once from the first
meter, as a head-end caches it per device type, and reused for every meter. The client keeps each meter's
invocation counter across rounds, as a head-end's database does.
"""

from __future__ import annotations

import contextlib
import io
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from gurux_dlms.enums import Security
from gurux_dlms.objects import GXDLMSClock, GXDLMSProfileGeneric, GXDLMSRegister

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "server"))
from gurux_secure import SecureSession  # noqa: E402

from k351c.server.keys import MeterKeys  # noqa: E402

CLOCK, ENERGY = "0.0.1.0.0.255", "1.0.1.8.0.255"
LOAD_PROFILE, DEBITING = "1.0.99.1.0.255", "0.0.98.1.0.255"


@dataclass
class MeterRead:
    """What one meter answered in a sweep (None where a read failed)."""

    clock: datetime | None = None
    energy: float | None = None
    profile_rows: int | None = None
    debiting_rows: int | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        """Every read answered, a day of profile and the last debiting entry present."""
        return not self.error and bool(self.profile_rows) and self.debiting_rows == 1


class HeadEnd:
    """The head-end: per-meter keys and counters, the cached device model, one sweep function."""

    def __init__(self, keys_of, day_start: datetime) -> None:  # noqa: ANN001
        self.keys_of = keys_of
        self.day = (day_start, day_start + timedelta(days=1))
        self.counters: dict[int, int] = {}
        self.lock = threading.Lock()
        self.model: dict[str, object] = {}

    def _session(self, port: int, i: int) -> SecureSession:
        keys: MeterKeys = self.keys_of(i)
        with self.lock:
            counter = self.counters.get(i, 1)
            self.counters[i] = counter + 10_000  # a session never uses that many invocations
        return SecureSession(
            port,
            bytes.fromhex(keys.encryption_key),
            bytes.fromhex(keys.authentication_key),
            Security.AUTHENTICATION_ENCRYPTION,
            counter=counter,
        )

    def learn(self, port: int, i: int) -> None:
        """Read the device model from one meter: both loggers' capture objects and A+'s scaler and unit."""
        session = self._session(port, i)
        with quiet():
            session.connect()
            try:
                for name in (LOAD_PROFILE, DEBITING):
                    logger = GXDLMSProfileGeneric(name)
                    session.read(logger, 3)
                    self.model[name] = logger.captureObjects
                register = GXDLMSRegister(ENERGY)
                session.read(register, 3)
                self.model[ENERGY] = (register.scaler, register.unit)
            finally:
                session.close()

    def sweep_meter(self, port: int, i: int) -> MeterRead:
        """The head-end's flow on meter i (see the module text); errors are reported, not raised."""
        out = MeterRead()
        try:
            session = self._session(port, i)
        except OSError as exc:
            out.error = f"connect: {exc}"
            return out
        try:
            session.connect()
            out.clock = session.read(GXDLMSClock(CLOCK), 2)
            register = GXDLMSRegister(ENERGY)
            register.scaler, register.unit = self.model[ENERGY]  # type: ignore[misc]
            out.energy = session.read(register, 2)
            out.profile_rows = len(self._rows_by_range(session))
            out.debiting_rows = len(self._last_entry(session))
        except Exception as exc:  # noqa: BLE001 - a sweep counts failures, it does not stop
            out.error = f"{type(exc).__name__}: {exc}"
        finally:
            try:
                session.close()
            except Exception:  # noqa: BLE001, S110 - the release of a broken session may fail too
                pass
        return out

    def _rows_by_range(self, session: SecureSession) -> list:
        profile = GXDLMSProfileGeneric(LOAD_PROFILE)
        profile.captureObjects = list(self.model[LOAD_PROFILE])  # type: ignore[call-overload]
        reply = session.request(session.client.readRowsByRange(profile, *self.day))
        return session.client.updateValue(profile, 2, reply.value) or []

    def _last_entry(self, session: SecureSession) -> list:
        logger = GXDLMSProfileGeneric(DEBITING)
        logger.captureObjects = list(self.model[DEBITING])  # type: ignore[call-overload]
        entries = int(session.read(logger, 7))
        if entries == 0:
            return []
        reply = session.request(session.client.readRowsByEntry(logger, entries, 1))
        return session.client.updateValue(logger, 2, reply.value) or []


def quiet() -> contextlib.AbstractContextManager:
    """Swallow what gurux prints on every deciphered APDU ("Encryption is applied.")."""
    return contextlib.redirect_stdout(io.StringIO())


def sweep(
    head_end: HeadEnd, targets: list[tuple[int, int]], threads: int
) -> tuple[list[MeterRead], float]:
    """Sweep (port, meter index) pairs with ``threads`` sessions in flight; the reads and the wall time."""
    t0 = time.perf_counter()
    with quiet(), ThreadPoolExecutor(threads) as pool:
        reads = list(pool.map(lambda target: head_end.sweep_meter(*target), targets))
    return reads, time.perf_counter() - t0
