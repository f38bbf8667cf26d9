"""A fake optical backend and helpers shared by the IEC 62056-21 tests."""

from __future__ import annotations

import pytest

from k351c.errors import AccessDenied, ConfigError
from k351c.protocols.iec62056_21 import DataLine, Iec62056Server

SERIAL = "12345678"
PASSWORD = "00000000"


class FakeBackend:
    """In-memory meter: a few registers, one legal, a password with a three-strike lockout."""

    def __init__(self) -> None:
        self.values = {
            "0.0.0": DataLine("0.0.0", SERIAL),
            "1.8.0": DataLine("1.8.0", "0001234.567", "kWh"),
            "1-0:2.8.0*255": DataLine("1-0:2.8.0*255", "0000012.000", "kWh"),
            "1.6.0": DataLine("1.6.0", "12.345", "kW", (("2601011200", ""),)),
            "0.4.2": DataLine("0.4.2", "100"),
        }
        self.legal = {"1.8.0", "1-0:2.8.0*255"}
        self.failures = 0
        self.writes: list[tuple[str, str]] = []

    def identification(self) -> str:
        """Identification text."""
        return "K351C"

    def device_address(self) -> str:
        """The serial number."""
        return SERIAL

    def readout(self) -> list[DataLine]:
        """All registers."""
        return list(self.values.values())

    def is_locked(self) -> bool:
        """Locked after three wrong passwords."""
        return self.failures >= 3

    def check_password(self, level: int, password: str) -> bool:
        """Count failures toward the lockout."""
        ok = level == 1 and password == PASSWORD
        self.failures = 0 if ok else self.failures + 1
        return ok

    def read(self, address: str, params: str) -> DataLine:
        """A register or LookupError."""
        return self.values[address]

    def write(self, address: str, value: str) -> None:
        """Refuse legal data and non-numbers."""
        if address not in self.values:
            raise LookupError(address)
        if address in self.legal:
            raise AccessDenied("legal data")
        if not value.isdigit():
            raise ConfigError(address, value, "digits")
        self.writes.append((address, value))
        self.values[address] = DataLine(address, value)


@pytest.fixture
def backend() -> FakeBackend:
    """A fresh fake meter."""
    return FakeBackend()


@pytest.fixture
def server(backend: FakeBackend) -> Iec62056Server:
    """A server on the fake meter, 9600 baud maximum."""
    return Iec62056Server(backend, max_baud=9600)
