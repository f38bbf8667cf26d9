"""A minimal M-Bus master: request builders, RSP_UD parsing, a wired bus model and wildcard search."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from k351c.errors import K351CError, LocalProtocolError, RemoteProtocolError
from k351c.protocols.mbus.frames import (
    CI,
    MAX_PRIMARY_ADDRESS,
    NEED_DATA,
    Address,
    Control,
    Framer,
    Function,
    LongFrame,
    ShortFrame,
    SingleCharacter,
)
from k351c.protocols.mbus.header import HEADER_LENGTH, FixedHeader, Identification, Selection
from k351c.protocols.mbus.records import DataField, DataRecord, Record, decode_records

Transact = Callable[[bytes], bytes]


def snd_nke(address: int) -> bytes:
    """SND_NKE: link reset of one slave (or 253 to deselect, 254/255 for all)."""
    return ShortFrame(Control.SND_NKE, address).to_bytes()


def req_ud2(address: int, fcb: bool = False) -> bytes:
    """REQ_UD2 with FCV set and the given frame count bit."""
    return ShortFrame(Control.REQ_UD2_FCB if fcb else Control.REQ_UD2, address).to_bytes()


def req_ud1(address: int, fcb: bool = False) -> bytes:
    """REQ_UD1 (class 1 data, alarms)."""
    return ShortFrame(Control.REQ_UD1_FCB if fcb else Control.REQ_UD1, address).to_bytes()


def snd_ud(address: int, ci: int, data: bytes, fcb: bool = False) -> bytes:
    """SND_UD long frame with user data."""
    control = Control.SND_UD_FCB if fcb else Control.SND_UD
    return LongFrame(control, address, ci, data).to_bytes()


def select(selection: Selection) -> bytes:
    """SND_UD CI=52h to address 253: select by secondary address (wildcards allowed)."""
    return snd_ud(Address.NETWORK_LAYER, CI.SELECTION, selection.to_bytes())


def set_primary_address(address: int, new_address: int) -> bytes:
    """SND_UD CI=51h with DIF 01h VIF 7Ah: write a new primary address."""
    if not 0 <= new_address <= MAX_PRIMARY_ADDRESS:
        raise LocalProtocolError(f"primary address must be 0..250, got {new_address}")
    unsigned_as_signed = new_address - 256 if new_address > 127 else new_address
    record = DataRecord(DataField.INT8, b"\x7a", unsigned_as_signed)
    return snd_ud(address, CI.DATA_SEND, record.to_bytes())


@dataclass(frozen=True, slots=True)
class Telegram:
    """A parsed RSP_UD with the variable data structure."""

    address: int
    header: FixedHeader
    records: tuple[Record, ...]

    @property
    def identification(self) -> Identification:
        """The slave's secondary address from the header."""
        return self.header.identification

    @classmethod
    def from_frame(cls, frame: object) -> Telegram:
        """Parse a RSP_UD long frame with CI=72h; anything else is a RemoteProtocolError."""
        if not isinstance(frame, LongFrame) or frame.function != Function.RSP_UD:
            raise RemoteProtocolError(f"expected RSP_UD, got {frame!r}")
        if frame.ci != CI.RSP_VARIABLE:
            raise RemoteProtocolError(f"unsupported CI {frame.ci:#04x}")
        header = FixedHeader.from_bytes(frame.data[:HEADER_LENGTH])
        return cls(frame.address, header, tuple(decode_records(frame.data[HEADER_LENGTH:])))


def parse_reply(data: bytes) -> SingleCharacter | Telegram | None:
    """The first frame in a slave's reply bytes; None for silence; garbage raises RemoteProtocolError."""
    framer = Framer()
    framer.receive_data(data)
    frame = framer.next_event()
    if frame is NEED_DATA:
        if data:
            raise RemoteProtocolError(f"no valid frame in {data.hex()}")
        return None
    if framer.discarded:
        raise RemoteProtocolError("garbage before the reply (collision?)")
    if isinstance(frame, SingleCharacter):
        return frame
    return Telegram.from_frame(frame)


class BusSlave(Protocol):
    """What a wired bus needs of a slave: bus bytes in, reply bytes out."""

    def feed(self, data: bytes) -> bytes:
        """Take the bytes the master sent; return what this slave answers."""
        ...


class WiredBus:
    """Several slaves on one pair: every slave hears the master; replies collide bitwise.

    A space (0 bit) dominates on the slave-to-master current loop, so overlapping replies
    are modelled as the bytewise AND of the replies, aligned at their start.
    """

    def __init__(self, slaves: Iterable[BusSlave]) -> None:
        self.slaves = list(slaves)

    def transact(self, request: bytes) -> bytes:
        """Send master bytes to all slaves and return what the master hears back."""
        replies = [r for r in (s.feed(request) for s in self.slaves) if r]
        if not replies:
            return b""
        heard = bytearray(max(len(r) for r in replies))
        heard[:] = b"\xff" * len(heard)
        for reply in replies:
            for i, byte in enumerate(reply):
                heard[i] &= byte
        return bytes(heard)


def _probe(transact: Transact, mask: Selection) -> Telegram | str:
    """Select by mask and read: the single slave's telegram, 'none' or 'collision'."""
    try:
        if parse_reply(transact(select(mask))) is None:
            return "none"
        reply = parse_reply(transact(req_ud2(Address.NETWORK_LAYER)))
    except K351CError:
        return "collision"
    return reply if isinstance(reply, Telegram) else "none"


def search_secondary(transact: Transact, mask: Selection | None = None) -> list[Identification]:
    """Find every slave's secondary address by narrowing ident wildcards digit by digit."""
    found: list[Identification] = []
    _search(transact, mask or Selection(), 0, found)
    return sorted(set(found))


def _search(
    transact: Transact, mask: Selection, position: int, found: list[Identification]
) -> None:
    while position < 8 and mask.ident[position] != "F":
        position += 1
    if position == 8:
        return
    for digit in "0123456789":
        ident = mask.ident[:position] + digit + mask.ident[position + 1 :]
        narrowed = Selection(ident, mask.manufacturer, mask.version, mask.medium)
        result = _probe(transact, narrowed)
        if isinstance(result, Telegram):
            found.append(result.identification)
        elif result == "collision":
            _search(transact, narrowed, position + 1, found)


def read_primary(transact: Transact, address: int) -> Telegram:
    """SND_NKE then REQ_UD2 to a primary address; the telegram or RemoteProtocolError."""
    transact(snd_nke(address))
    reply = parse_reply(transact(req_ud2(address)))
    if not isinstance(reply, Telegram):
        raise RemoteProtocolError(f"no RSP_UD from primary address {address}")
    return reply


__all__ = [
    "Telegram",
    "WiredBus",
    "parse_reply",
    "read_primary",
    "req_ud1",
    "req_ud2",
    "search_secondary",
    "select",
    "set_primary_address",
    "snd_nke",
    "snd_ud",
]
