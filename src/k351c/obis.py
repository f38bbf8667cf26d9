"""OBIS codes (IEC 62056-6-1): parse the long and short forms, format the canonical one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from k351c.errors import ConfigError

_LONG = re.compile(r"^(\d+)-(\d+):(\d+)\.(\d+)\.(\d+)(?:[.*](\d+))?$")
_SHORT = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


@dataclass(frozen=True, slots=True, order=True)
class Obis:
    """A six-group OBIS code A-B:C.D.E.F."""

    a: int
    b: int
    c: int
    d: int
    e: int
    f: int = 255

    @classmethod
    def parse(cls, text: str | Obis | bytes) -> Obis:
        """Parse "1-0:1.8.0.255", "1-0:1.8.0", "1.8.0" (electricity, channel 0) or 6 raw bytes."""
        if isinstance(text, Obis):
            return text
        if isinstance(text, (bytes, bytearray)):
            if len(text) != 6:
                raise ConfigError("OBIS", bytes(text).hex(), "6 octets")
            return cls(*text)
        raw = text.strip()
        match = _LONG.match(raw)
        if match:
            groups = [int(g) if g is not None else 255 for g in match.groups()]
        else:
            short = _SHORT.match(raw)
            if not short:
                raise ConfigError("OBIS", text, "A-B:C.D.E.F, A-B:C.D.E or C.D.E")
            c, d, e = (int(g) for g in short.groups())
            groups = [1, 0, c, d, e, 255]
        if any(g > 255 for g in groups):
            raise ConfigError("OBIS", text, "each group 0..255")
        return cls(*groups)

    def to_bytes(self) -> bytes:
        """The 6-octet logical name."""
        return bytes((self.a, self.b, self.c, self.d, self.e, self.f))

    @property
    def short(self) -> str:
        """C.D.E, as the display's identification field shows it."""
        return f"{self.c}.{self.d}.{self.e}"

    def __str__(self) -> str:
        return f"{self.a}-{self.b}:{self.c}.{self.d}.{self.e}.{self.f}"
