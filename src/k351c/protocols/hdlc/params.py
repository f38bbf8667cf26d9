"""HDLC parameter negotiation: the SNRM and UA information field (IEC 62056-46 6.4.4.4.3.2)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from k351c.errors import LocalProtocolError, RemoteProtocolError

FORMAT_IDENTIFIER = 0x81
GROUP_IDENTIFIER = 0x80
DEFAULT_MAX_INFO = 128
DEFAULT_WINDOW = 1
MAX_INFO_LIMIT = 2030
MAX_WINDOW = 7


class ParameterId(IntEnum):
    """Parameter identifiers of the HDLC parameter negotiation group."""

    MAX_INFO_FIELD_LENGTH_TRANSMIT = 0x05
    MAX_INFO_FIELD_LENGTH_RECEIVE = 0x06
    WINDOW_SIZE_TRANSMIT = 0x07
    WINDOW_SIZE_RECEIVE = 0x08


@dataclass(frozen=True, slots=True)
class HdlcParameters:
    """Link parameters seen from the station that sends them (transmit = what that station sends)."""

    max_info_tx: int = DEFAULT_MAX_INFO
    max_info_rx: int = DEFAULT_MAX_INFO
    window_tx: int = DEFAULT_WINDOW
    window_rx: int = DEFAULT_WINDOW

    def __post_init__(self) -> None:
        """Refuse values outside the ranges the standard allows."""
        for value in (self.max_info_tx, self.max_info_rx):
            if not 1 <= value <= 0xFFFF:
                raise LocalProtocolError(f"maximum information field length {value} out of range")
        for value in (self.window_tx, self.window_rx):
            if not 1 <= value <= 0xFFFFFFFF:
                raise LocalProtocolError(f"window size {value} out of range")

    def to_bytes(self) -> bytes:
        """The information field of an SNRM or UA frame carrying all four parameters."""
        body = bytearray()
        for pid, value, width in (
            (ParameterId.MAX_INFO_FIELD_LENGTH_TRANSMIT, self.max_info_tx, 0),
            (ParameterId.MAX_INFO_FIELD_LENGTH_RECEIVE, self.max_info_rx, 0),
            (ParameterId.WINDOW_SIZE_TRANSMIT, self.window_tx, 4),
            (ParameterId.WINDOW_SIZE_RECEIVE, self.window_rx, 4),
        ):
            size = width or (1 if value < 0x100 else 2)
            body += bytes([pid, size]) + value.to_bytes(size, "big")
        return bytes([FORMAT_IDENTIFIER, GROUP_IDENTIFIER, len(body)]) + body

    @classmethod
    def from_bytes(cls, data: bytes) -> HdlcParameters:
        """Decode an SNRM/UA information field; absent parameters keep their defaults (128 octets, window 1)."""
        if not data:
            return cls()
        if len(data) < 3 or data[0] != FORMAT_IDENTIFIER:
            raise RemoteProtocolError(
                f"HDLC parameter field does not start with format 0x81: {data.hex()}"
            )
        values: dict[int, int] = {}
        pos = 1
        while pos < len(data):
            if pos + 2 > len(data):
                raise RemoteProtocolError("truncated HDLC parameter group")
            group, glen = data[pos], data[pos + 1]
            body = data[pos + 2 : pos + 2 + glen]
            if len(body) != glen:
                raise RemoteProtocolError("truncated HDLC parameter group")
            if group == GROUP_IDENTIFIER:
                values.update(_parse_group(body))
            pos += 2 + glen
        try:
            return cls(
                values.get(ParameterId.MAX_INFO_FIELD_LENGTH_TRANSMIT, DEFAULT_MAX_INFO),
                values.get(ParameterId.MAX_INFO_FIELD_LENGTH_RECEIVE, DEFAULT_MAX_INFO),
                values.get(ParameterId.WINDOW_SIZE_TRANSMIT, DEFAULT_WINDOW),
                values.get(ParameterId.WINDOW_SIZE_RECEIVE, DEFAULT_WINDOW),
            )
        except LocalProtocolError as exc:
            raise RemoteProtocolError(str(exc)) from None

    def mirrored(self) -> HdlcParameters:
        """The same link seen from the other station (transmit and receive swapped)."""
        return HdlcParameters(self.max_info_rx, self.max_info_tx, self.window_rx, self.window_tx)


def _parse_group(body: bytes) -> dict[int, int]:
    """Decode the parameters of group 0x80 into {parameter id: value}; unknown ids are skipped."""
    values: dict[int, int] = {}
    pos = 0
    while pos < len(body):
        if pos + 2 > len(body):
            raise RemoteProtocolError("truncated HDLC parameter")
        pid, plen = body[pos], body[pos + 1]
        raw = body[pos + 2 : pos + 2 + plen]
        if len(raw) != plen or not 1 <= plen <= 4:
            raise RemoteProtocolError(f"HDLC parameter 0x{pid:02X} has a bad length {plen}")
        values[pid] = int.from_bytes(raw, "big")
        pos += 2 + plen
    return values


def negotiate(proposed: HdlcParameters, ours: HdlcParameters) -> HdlcParameters:
    """The values to put in the UA: proposed is the client's SNRM (its view), ours the server's limits.

    The result is seen from the server: each value is the smaller of what the client proposed for
    that direction and what we support, bounded by the standard's limits.
    """
    return HdlcParameters(
        max_info_tx=min(proposed.max_info_rx, ours.max_info_tx, MAX_INFO_LIMIT),
        max_info_rx=min(proposed.max_info_tx, ours.max_info_rx, MAX_INFO_LIMIT),
        window_tx=min(proposed.window_rx, ours.window_tx, MAX_WINDOW),
        window_rx=min(proposed.window_tx, ours.window_rx, MAX_WINDOW),
    )
