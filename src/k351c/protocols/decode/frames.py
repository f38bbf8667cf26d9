"""Frames of every listener cut out of a byte stream and described for traces: the IEC 62056-47
wrapper, HDLC (IEC 62056-46), the optical port (IEC 62056-21, with mode E HDLC) and wired M-Bus.

``StreamDecoder`` is one connection seen from the wire: a framer per direction (the codecs' own
``parse_*`` functions), HDLC segment reassembly and an ``ApduDecoder`` for what the frames carry.
"""

from __future__ import annotations

from collections.abc import Callable

from k351c.errors import K351CError
from k351c.protocols.decode.apdu import ApduDecoder, KeySource, name_of, readable
from k351c.protocols.hdlc.frame import Command, FrameDropped, HdlcFrame, UndefinedFrame
from k351c.protocols.hdlc.frame import parse_frame as parse_hdlc
from k351c.protocols.iec62056_21.messages import parse_frame as parse_optical
from k351c.protocols.mbus.frames import CI, ControlFrame, LongFrame, SingleCharacter
from k351c.protocols.mbus.frames import Function as MBusFunction
from k351c.protocols.mbus.frames import parse_frame as parse_mbus
from k351c.protocols.mbus.header import FixedHeader
from k351c.protocols.mbus.records import decode_records
from k351c.protocols.wrapper import HEADER_LENGTH, parse_wrapper

KINDS = ("wrapper", "hdlc", "optical", "mbus")
LLC_REQUEST, LLC_RESPONSE = b"\xe6\xe6\x00", b"\xe6\xe7\x00"
HDLC_FLAG = 0x7E
Splitter = Callable[[bytes | bytearray, bool], tuple[int, bytes | None]]


def _split_wrapper(buf: bytes | bytearray, incoming: bool) -> tuple[int, bytes | None]:
    if len(buf) < HEADER_LENGTH:
        return 0, None
    total = HEADER_LENGTH + int.from_bytes(buf[6:8], "big")
    if len(buf) < total:
        return 0, None
    return total, bytes(buf[:total])


def _split_hdlc(buf: bytes | bytearray, incoming: bool) -> tuple[int, bytes | None]:
    start = buf.find(b"\x7e")
    if start < 0:
        return len(buf), bytes(buf) or None
    if start > 0:
        return start, bytes(buf[:start])
    if len(buf) < 3:
        return 0, None
    length = ((buf[1] & 0x07) << 8) | buf[2]
    if buf[1] & 0xF0 != 0xA0 or length < 7:
        nxt = buf.find(b"\x7e", 1)
        end = nxt if nxt > 0 else len(buf)
        return end, bytes(buf[:end])
    if len(buf) < length + 2:
        return 0, None
    return length + 2, bytes(buf[: length + 2])


def _split_optical(buf: bytes | bytearray, incoming: bool) -> tuple[int, bytes | None]:
    if buf[:1] == b"\x7e":
        return _split_hdlc(buf, incoming)
    used, frame = parse_optical(buf, option_select=incoming)
    if used == 0:
        return 0, None
    return used, bytes(buf[:used])


def _split_mbus(buf: bytes | bytearray, incoming: bool) -> tuple[int, bytes | None]:
    used, _frame = parse_mbus(buf)
    if used == 0:
        return 0, None
    return used, bytes(buf[:used])


SPLITTERS: dict[str, Splitter] = {
    "wrapper": _split_wrapper,
    "hdlc": _split_hdlc,
    "optical": _split_optical,
    "mbus": _split_mbus,
}


class StreamDecoder:
    """One connection's two byte streams cut into frames and decoded, in the order they pass."""

    def __init__(self, kind: str, keys: KeySource | None = None) -> None:
        self.kind = kind
        self.split = SPLITTERS[kind]
        self.apdus = ApduDecoder(keys)
        self.pending = {True: bytearray(), False: bytearray()}
        self.segments = {True: bytearray(), False: bytearray()}

    def frames(self, data: bytes, incoming: bool) -> list[bytes]:
        """The complete frames ``data`` finishes in this direction (a partial one waits for more)."""
        buf = self.pending[incoming]
        buf += data
        out: list[bytes] = []
        while buf:
            used, frame = self.split(buf, incoming)
            if used == 0:
                break
            del buf[:used]
            if frame:
                out.append(frame)
        return out

    def describe(self, raw: bytes, incoming: bool) -> dict:
        """The readable content of one frame: header fields and, where it carries one, the APDU."""
        try:
            if self.kind == "wrapper":
                return self._wrapper(raw, incoming)
            if self.kind == "mbus":
                return describe_mbus(raw)
            if raw[:1] == b"\x7e":
                return self._hdlc(raw, incoming)
            if self.kind == "optical":
                return describe_optical(raw, incoming)
            return {"frame": "noise", "octets": len(raw)}
        except K351CError as exc:
            return {"frame": "undecoded", "error": str(exc)}

    def _wrapper(self, raw: bytes, incoming: bool) -> dict:
        used, frame = parse_wrapper(raw, max_length=0xFFFF)
        if frame is None:
            return {"frame": "undecoded", "error": "not a wrapper frame"}
        header = {
            "version": int.from_bytes(raw[0:2], "big"),
            "source_wport": frame.source,
            "destination_wport": frame.destination,
            "length": len(frame.apdu),
        }
        return {"frame": "wrapper", "wrapper": header, "apdu": self.apdus.decode(frame.apdu, incoming)}

    def _hdlc(self, raw: bytes, incoming: bool) -> dict:
        used, frame = parse_hdlc(raw)
        if isinstance(frame, FrameDropped) or frame is None:
            reason = frame.reason if isinstance(frame, FrameDropped) else "incomplete frame"
            return {"frame": "hdlc", "error": reason}
        if isinstance(frame, UndefinedFrame):
            return {"frame": "hdlc", "hdlc": {"control": f"{frame.control:02x}", "type": "undefined"}}
        control = frame.control
        header = {
            "type": control.command.name,
            "destination": _address(frame.destination),
            "source": _address(frame.source),
            "poll_final": control.pf,
            "segmented": frame.segmented,
        }
        if control.command is Command.I:
            header.update({"send_sequence": control.ns, "receive_sequence": control.nr})
        elif control.command in (Command.RR, Command.RNR):
            header["receive_sequence"] = control.nr
        view: dict = {"frame": "hdlc", "hdlc": header}
        if control.command in (Command.SNRM, Command.UA, Command.FRMR) and frame.info:
            view["parameters"] = frame.info.hex()
        if control.command in (Command.I, Command.UI) and frame.info:
            apdu = self._reassemble(frame, incoming)
            if apdu is None:
                view["segment"] = len(frame.info)
            else:
                view["apdu"] = self.apdus.decode(apdu, incoming)
        return view

    def _reassemble(self, frame: HdlcFrame, incoming: bool) -> bytes | None:
        buf = self.segments[incoming]
        buf += frame.info
        if frame.segmented:
            return None
        whole = bytes(buf)
        buf.clear()
        if whole[:3] in (LLC_REQUEST, LLC_RESPONSE):
            whole = whole[3:]
        return whole


def _address(address: object) -> dict:
    upper, lower = getattr(address, "upper", None), getattr(address, "lower", None)
    return {"upper": upper, "lower": lower} if lower is not None else {"upper": upper}


def describe_optical(raw: bytes, incoming: bool) -> dict:
    """An IEC 62056-21 message by type with its fields (data sets as address, value, unit)."""
    _used, message = parse_optical(raw, option_select=incoming)
    if message is None:
        return {"frame": "optical", "message": "noise", "text": raw.decode("ascii", "replace")}
    name = type(message).__name__.removesuffix("Message")
    view = readable(message)
    return {"frame": "optical", "message": name, **(view if isinstance(view, dict) else {})}


def describe_mbus(raw: bytes) -> dict:
    """An M-Bus frame: single character, short/control/long frame with C, A, CI and the records."""
    _used, frame = parse_mbus(raw)
    if frame is None:
        return {"frame": "mbus", "error": "bad frame (start, length, checksum or stop)"}
    if isinstance(frame, SingleCharacter):
        return {"frame": "mbus", "type": "ACK (E5)"}
    view: dict = {
        "frame": "mbus",
        "type": type(frame).__name__,
        "control": f"{frame.control:02x}",
        "function": _function(frame.control),
        "address": frame.address,
    }
    if isinstance(frame, (ControlFrame, LongFrame)):
        view["ci"] = _ci(frame.ci)
    if isinstance(frame, LongFrame):
        view.update(_mbus_body(frame))
    return view


def _function(control: int) -> str:
    for function in MBusFunction:
        if control & 0x4F == function or control & 0x0F == function == MBusFunction.RSP_UD:
            return function.name
    return f"{control:02x}"


def _ci(value: int) -> str:
    try:
        return name_of(CI(value))
    except ValueError:
        return f"{value:02x}"


def _mbus_body(frame: LongFrame) -> dict:
    if frame.ci not in (CI.RSP_VARIABLE, CI.RSP_VARIABLE_MSB) or len(frame.data) < 12:
        return {"data": frame.data.hex()}
    try:
        header = FixedHeader.from_bytes(frame.data[:12])
        records = decode_records(frame.data[12:])
    except (K351CError, ValueError, IndexError) as exc:
        return {"data": frame.data.hex(), "error": str(exc)}
    return {"header": readable(header), "records": [readable(r) for r in records]}
