"""The wired M-Bus module (068) as a listener: EN 13757-2/-3 slave on TCP (port 4063) and on a serial line.

One TCP port is one bus: every connection talks to the same slaves, so selection and FCB state
belong to the bus, as on a real pair of wires. ``serve_mbus_bus`` puts several meters on one bus
(replies collide like on the wire, which is what a secondary-address search relies on).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from k351c.codes.server import ServerSettings
from k351c.meter.core import Meter
from k351c.meter.readings import Reading
from k351c.protocols.mbus.electricity import (
    current_record,
    datetime_record,
    energy_record,
    fabrication_record,
    power_record,
    reactive_energy_record,
    reactive_power_record,
    voltage_record,
)
from k351c.protocols.mbus.header import Medium, Status
from k351c.protocols.mbus.master import WiredBus
from k351c.protocols.mbus.records import DataField, DataRecord
from k351c.protocols.mbus.slave import MBusSlave, Repeat
from k351c.server.bench import Tap
from k351c.server.bench.link import runtime_tap
from k351c.server.runtime import Runtime
from k351c.server.transport import ConnectionLimit, SerialListener, listen_tcp, serve_serial

log = logging.getLogger("k351c.server.mbus")

STORE_KEY = "mbus"
VERSION = 0x01
PULSE_SUBUNIT = 1
PULSE_VIBS: dict[str, tuple[bytes, int]] = {
    "Wh": (b"\x03", 1),
    "m3": (b"\x14", 100),
    "l": (b"\x13", 1),
    "": (b"\x6e", 1),
}
"""Pulse input (VIF, multiplier) by the value's unit: Wh, 0.01 m3, litre (10^-3 m3), plain units."""
MBUS_MODULE = 68


def _value(meter: Meter, obis: str) -> float | None:
    """A register's value in its base unit (Wh, varh, W, V, A), None when the meter lacks it."""
    if obis not in meter.objects:
        return None
    reading = meter.read(obis)
    if not isinstance(reading, Reading) or not isinstance(reading.value, (int, float)):
        return None
    return float(reading.value) * (1000.0 if reading.unit.startswith("k") else 1.0)


class MeterBackend:
    """The SlaveBackend of one meter: ident from the serial, primary energy records, persisted address."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter
        saved = meter.store.get(STORE_KEY) or {}
        self._address = int(saved.get("primary_address", 0))

    @property
    def primary_address(self) -> int:
        """The primary address (0 by default, settable by SND_UD, persisted)."""
        return self._address

    @primary_address.setter
    def primary_address(self, value: int) -> None:
        old, self._address = self._address, int(value)
        self.meter.store.commit({STORE_KEY: {"primary_address": self._address}})
        if old != self._address:
            log.info(
                "meter %s: M-Bus primary address %d -> %d", self.meter.config.serial, old, value
            )

    @property
    def ident(self) -> int:
        """Identification number: the last 8 digits of the serial number."""
        digits = "".join(c for c in self.meter.config.serial if c.isdigit())
        return int(digits[-8:] or "0")

    def identification(self) -> tuple[int, str, int, int]:
        """(ident, "KAM", version, electricity)."""
        return (self.ident, "KAM", VERSION, int(Medium.ELECTRICITY))

    def status_byte(self) -> int:
        """Error flags: application error when the meter's error register is set."""
        errors = _value(self.meter, "0-0:97.97.0.255") or 0
        return int(Status.APPLICATION_ERROR) if errors else 0

    def records(self) -> list[DataRecord]:
        """Energy (total and per tariff), power, voltages, currents, date/time, serial, pulse input."""
        return self.energy_records() + self.instantaneous_records() + self.identity_records()

    def energy_records(self) -> list[DataRecord]:
        """A+ A- R+ R- totals, then A+ and R+ per tariff (primary energy, as the 1-0 registers)."""
        kinds = {
            1: (energy_record, False),
            2: (energy_record, True),
            3: (reactive_energy_record, False),
            4: (reactive_energy_record, True),
        }
        wanted = [(c, 0) for c in kinds] + [(c, t) for c in (1, 3) for t in range(1, 5)]
        out: list[DataRecord] = []
        for c, tariff in wanted:
            value = _value(self.meter, f"1-0:{c}.8.{tariff}.255")
            if value is not None:
                build, export = kinds[c]
                out.append(build(int(value), export=export, tariff=tariff))
        return out

    def instantaneous_records(self) -> list[DataRecord]:
        """Active and reactive power (import positive), voltages and currents per phase."""
        m = lambda obis: _value(self.meter, obis)  # noqa: E731
        out: list[DataRecord] = []
        p_in, p_out = m("1-0:1.7.0.255"), m("1-0:2.7.0.255") or 0.0
        if p_in is not None:
            out.append(power_record(round(p_in - p_out)))
        q_in, q_out = m("1-0:3.7.0.255"), m("1-0:4.7.0.255") or 0.0
        if q_in is not None:
            out.append(reactive_power_record(round(q_in - q_out)))
        for phase, c in enumerate((32, 52, 72), start=1):
            if (u := m(f"1-0:{c}.7.0.255")) is not None:
                out.append(voltage_record(u, phase=phase))
        for phase, c in enumerate((31, 51, 71), start=1):
            if (i := m(f"1-0:{c}.7.0.255")) is not None:
                out.append(current_record(i, phase=phase))
        return out

    def identity_records(self) -> list[DataRecord]:
        """Date and time (local), fabrication number and the pulse input."""
        now = self.meter.now
        out = [datetime_record(datetime(now.year, now.month, now.day, now.hour, now.minute))]
        out.append(fabrication_record(self.ident))
        pulse = self.pulse_record()
        if pulse is not None:
            out.append(pulse)
        return out

    def pulse_record(self) -> DataRecord | None:
        """The pulse input (subunit 1) in its unit, when the module has one."""
        if "0-0:128.11.1.255" not in self.meter.objects:
            return None
        reading = self.meter.reading("0-0:128.11.1.255")
        vib, factor = PULSE_VIBS.get(reading.unit, PULSE_VIBS[""])
        mantissa = int(round(float(reading.value) * factor))
        return DataRecord(DataField.BCD8, vib, mantissa % 100_000_000, subunit=PULSE_SUBUNIT)


class MBusBus:
    """Slaves on one bus, fed the master's bytes after each meter is brought up to its clock.

    The bus is the session (k351c.server.transport.Session) of every connection to it: selection and
    FCB state belong to the wires, not to a connection.
    """

    def __init__(self, meters: Sequence[Meter]) -> None:
        self.meters = list(meters)
        self.backends = [MeterBackend(m) for m in self.meters]
        self.slaves = [MBusSlave(b, repeat=Repeat.REFRESH) for b in self.backends]
        self.bus = WiredBus(self.slaves)

    def transact(self, data: bytes) -> bytes:
        """Bring every meter to its clock, pass the bytes, return what the master hears."""
        for meter in self.meters:
            meter.sync()
        return self.bus.transact(data)

    def feed(self, data: bytes, now: float) -> bytes:
        """What the master hears after sending ``data``."""
        return self.transact(data)

    def poll(self, now: float) -> bytes:
        """The bus has no timers of its own."""
        return b""

    def release(self) -> None:
        """A master hanging up leaves the bus as it is."""

    @property
    def partial(self) -> bool:
        """Every octet on the bus is activity."""
        return False


async def serve_mbus_bus(
    meters: Sequence[Meter],
    host: str,
    port: int,
    tap: Tap | None = None,
    settings: ServerSettings | None = None,
) -> tuple[asyncio.AbstractServer, MBusBus]:
    """Start one TCP M-Bus bus with these meters; the fleet uses it with many meters."""
    bus = MBusBus(meters)
    settings = settings or ServerSettings()
    server = await listen_tcp(
        lambda link: bus,
        "M-Bus",
        host,
        port,
        idle_timeout=None,  # a master may hold the bus open between readouts
        limit=ConnectionLimit(settings.max_connections, f"M-Bus {port}"),
        tap=tap,
    )
    return server, bus


async def serve_mbus_serial(
    bus: MBusBus, device: str, baudrate: int = 2400, tap: Tap | None = None
) -> SerialListener:
    """Serve the bus on a serial line (2400 baud 8E1 by default) until the listener is closed."""
    import serial

    return await serve_serial(
        lambda link: bus, "M-Bus slave", device, tap=tap, baudrate=baudrate, parity=serial.PARITY_EVEN
    )


def mbus_listener(port: int, serial: str | None = None, baudrate: int = 2400):
    """A Runtime listener factory: TCP port (0 = off) and, for module 068, a serial line."""

    async def factory(runtime: Runtime) -> asyncio.AbstractServer | None:
        server: asyncio.AbstractServer | None = None
        bus: MBusBus | None = None
        if port:
            tap = runtime_tap(runtime, f"mbus:{port}", "mbus")
            server, bus = await serve_mbus_bus(
                [runtime.meter], runtime.host, port, tap, runtime.settings
            )
            log.info("M-Bus slave on %s:%d", runtime.host, port)
        if serial and runtime.meter.config.module_code == MBUS_MODULE:
            tap = runtime_tap(runtime, f"mbus:{serial}", "mbus")
            line = await serve_mbus_serial(bus or MBusBus([runtime.meter]), serial, baudrate, tap)
            runtime.servers.append(line)
        return server

    return factory
