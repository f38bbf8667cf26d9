"""The wired M-Bus slave (meter side): a table-driven state machine over the link layer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import Protocol

from k351c.errors import K351CError
from k351c.protocols.mbus.frames import (
    CI,
    MAX_PRIMARY_ADDRESS,
    MAX_USER_DATA,
    Address,
    Addressed,
    Control,
    ControlFrame,
    Frame,
    Framer,
    Function,
    LongFrame,
    NeedData,
    SingleCharacter,
)
from k351c.protocols.mbus.header import HEADER_LENGTH, FixedHeader, Identification, Selection
from k351c.protocols.mbus.records import (
    DataField,
    DataRecord,
    ManufacturerData,
    Record,
    decode_records,
)

ADDRESS_VIF = 0x7A


class SlaveBackend(Protocol):
    """What the meter adapter gives the M-Bus slave."""

    primary_address: int

    def identification(self) -> tuple[int, str, int, int]:
        """(ident number <= 99999999, manufacturer such as "KAM", version, medium)."""
        ...

    def records(self) -> Sequence[DataRecord]:
        """The data records of RSP_UD, in telegram order."""
        ...

    def status_byte(self) -> int:
        """The status byte of the fixed header (header.Status flags)."""
        ...


@dataclass
class StaticBackend:
    """A backend with fixed values: for tests, tools and examples."""

    ident: int
    manufacturer: str = "KAM"
    version: int = 1
    medium: int = 0x02
    primary_address: int = 0
    data: list[DataRecord] = field(default_factory=list)
    status: int = 0

    def identification(self) -> tuple[int, str, int, int]:
        """The fixed secondary address."""
        return (self.ident, self.manufacturer, self.version, self.medium)

    def records(self) -> Sequence[DataRecord]:
        """The fixed records."""
        return self.data

    def status_byte(self) -> int:
        """The fixed status byte."""
        return self.status


class Repeat(Enum):
    """What REQ_UD2 with FCV set and an untoggled FCB returns."""

    EXACT = auto()
    REFRESH = auto()


class Target(Enum):
    """How a master frame's A-field relates to this slave."""

    PRIMARY = auto()
    SELECTED = auto()
    NOT_SELECTED = auto()
    BROADCAST_REPLY = auto()
    BROADCAST_NO_REPLY = auto()
    OTHER = auto()


class Action(Enum):
    """What the slave does with a frame."""

    RESET = auto()
    RESET_DESELECT = auto()
    RESPOND = auto()
    ACK = auto()
    USER_DATA = auto()
    SELECT = auto()
    IGNORE = auto()


_ADDRESSED = (Target.PRIMARY, Target.SELECTED, Target.BROADCAST_REPLY)

TRANSITIONS: dict[tuple[int, Target], Action] = {
    **{
        (Function.SND_NKE, t): Action.RESET
        for t in (Target.PRIMARY, Target.BROADCAST_REPLY, Target.BROADCAST_NO_REPLY)
    },
    (Function.SND_NKE, Target.SELECTED): Action.RESET_DESELECT,
    **{(Function.REQ_UD2, t): Action.RESPOND for t in _ADDRESSED},
    **{(Function.REQ_UD1, t): Action.ACK for t in _ADDRESSED},
    **{(Function.SND_UD, t): Action.USER_DATA for t in (*_ADDRESSED, Target.BROADCAST_NO_REPLY)},
    (Function.SND_UD, Target.NOT_SELECTED): Action.SELECT,
}
"""(C-field function, target) -> action; a missing key means the frame is not for us."""

ACK_BYTES = SingleCharacter().to_bytes()
RECORD_SPACE = MAX_USER_DATA - HEADER_LENGTH - 1


class MBusSlave:
    """One slave on a bus: bytes from the master in, reply bytes out (sans-IO)."""

    def __init__(self, backend: SlaveBackend, *, repeat: Repeat = Repeat.EXACT) -> None:
        self.backend = backend
        self.repeat = repeat
        self.selected = False
        self.access_number = 0
        self._framer = Framer()
        self._last_fcb: bool | None = None
        self._last_reply: bytes | None = None
        self._telegram = 0
        self._handlers: dict[Action, Callable[[Addressed, Target], bytes]] = {
            Action.RESET: self._reset,
            Action.RESET_DESELECT: self._reset_deselect,
            Action.RESPOND: self._respond,
            Action.ACK: lambda frame, target: ACK_BYTES,
            Action.USER_DATA: self._user_data,
            Action.SELECT: self._user_data,
            Action.IGNORE: lambda frame, target: b"",
        }

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes heard on the bus."""
        self._framer.receive_data(data)

    def next_event(self) -> Frame | NeedData:
        """The next complete valid frame heard, or NEED_DATA."""
        return self._framer.next_event()

    def feed(self, data: bytes) -> bytes:
        """Take bus bytes, handle every complete frame, return all reply bytes."""
        self.receive_data(data)
        out = bytearray()
        while not isinstance(frame := self.next_event(), NeedData):
            out += self.handle(frame)
        return bytes(out)

    def target(self, address: int) -> Target:
        """Classify an A-field against our primary address and selection state."""
        if address == Address.NETWORK_LAYER:
            return Target.SELECTED if self.selected else Target.NOT_SELECTED
        if address == Address.BROADCAST_REPLY:
            return Target.BROADCAST_REPLY
        if address == Address.BROADCAST_NO_REPLY:
            return Target.BROADCAST_NO_REPLY
        return Target.PRIMARY if address == self.backend.primary_address else Target.OTHER

    def handle(self, frame: Frame) -> bytes:
        """Apply one frame to the state machine; return the reply bytes (maybe none)."""
        if isinstance(frame, SingleCharacter) or not frame.from_master:
            return b""
        target = self.target(frame.address)
        action = TRANSITIONS.get((frame.function, target), Action.IGNORE)
        if action is Action.SELECT and not (
            isinstance(frame, LongFrame) and frame.ci == CI.SELECTION
        ):
            action = Action.IGNORE
        reply = self._handlers[action](frame, target)
        return b"" if target is Target.BROADCAST_NO_REPLY else reply

    def _reset(self, frame: Addressed, target: Target) -> bytes:
        self._last_fcb, self._last_reply, self._telegram = False, None, 0
        return ACK_BYTES

    def _reset_deselect(self, frame: Addressed, target: Target) -> bytes:
        self.selected = False
        return self._reset(frame, target)

    def _respond(self, frame: Addressed, target: Target) -> bytes:
        known = frame.fcv and self._last_reply is not None
        repeat = known and frame.fcb == self._last_fcb
        if repeat and self.repeat is Repeat.EXACT:
            return self._last_reply or b""
        telegrams = split_telegrams(list(self.backend.records()))
        if not known:
            self._telegram = 0
        elif not repeat:
            self._telegram = (self._telegram + 1) % len(telegrams)
        self._telegram = min(self._telegram, len(telegrams) - 1)
        if not repeat:
            self.access_number = (self.access_number + 1) & 0xFF
        reply = self.rsp_ud(telegrams[self._telegram])
        if frame.fcv:
            self._last_fcb, self._last_reply = frame.fcb, reply
        return reply

    def rsp_ud(self, records: Sequence[Record]) -> bytes:
        """A RSP_UD long frame (CI=72h) with the fixed header and these records."""
        ident = Identification(*self.backend.identification())
        header = FixedHeader(ident, self.access_number, self.backend.status_byte())
        data = header.to_bytes() + b"".join(r.to_bytes() for r in records)
        address = self.backend.primary_address
        return LongFrame(Control.RSP_UD, address, CI.RSP_VARIABLE, data).to_bytes()

    def _user_data(self, frame: Addressed, target: Target) -> bytes:
        if not isinstance(frame, LongFrame | ControlFrame):
            return b""
        if frame.ci == CI.SELECTION:
            return self._select(frame, target)
        if frame.ci == CI.APPLICATION_RESET:
            self._telegram = 0
        elif frame.ci == CI.DATA_SEND and isinstance(frame, LongFrame):
            self._data_send(frame.data)
        return ACK_BYTES

    def _select(self, frame: Addressed, target: Target) -> bytes:
        if frame.address != Address.NETWORK_LAYER or not isinstance(frame, LongFrame):
            return ACK_BYTES if target is not Target.NOT_SELECTED else b""
        try:
            mask = Selection.from_bytes(frame.data)
        except K351CError:
            self.selected = False
            return b""
        self.selected = mask.matches(Identification(*self.backend.identification()))
        if self.selected:
            self._reset(frame, target)
        return ACK_BYTES if self.selected else b""

    def _data_send(self, data: bytes) -> None:
        try:
            records = decode_records(data)
        except K351CError:
            return
        if len(records) != 1 or not isinstance(records[0], DataRecord):
            return
        record = records[0]
        if (
            record.vib != bytes([ADDRESS_VIF])
            or record.field not in (DataField.INT8, DataField.BCD2)
            or not isinstance(record.value, int)
            or (record.storage, record.tariff, record.subunit) != (0, 0, 0)
        ):
            return
        address = record.value & 0xFF if record.field is DataField.INT8 else record.value
        if 0 <= address <= MAX_PRIMARY_ADDRESS:
            self.backend.primary_address = address


def split_telegrams(records: list[DataRecord]) -> list[list[Record]]:
    """Pack records into telegrams; all but the last end with DIF 1Fh (more records follow)."""
    telegrams: list[list[Record]] = []
    current: list[Record] = []
    size = 0
    for record in records:
        length = len(record.to_bytes())
        if current and size + length > RECORD_SPACE:
            telegrams.append([*current, ManufacturerData(more_records_follow=True)])
            current, size = [], 0
        current.append(record)
        size += length
    telegrams.append(current)
    return telegrams
