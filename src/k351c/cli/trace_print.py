"""`k351c trace decode`: read a --trace file or a raw hex capture and print each frame decoded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from k351c.errors import ConfigError
from k351c.protocols.decode import KINDS, StreamDecoder

TEST_KEYS = (
    bytes.fromhex("000102030405060708090A0B0C0D0E0F"),
    bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"),
)
DIRECTIONS = {">": True, "<": False, "in": True, "out": False}


def decode_file(path: Path, kind: str = "wrapper", test_keys: bool = False) -> Iterator[dict]:
    """Every frame of the file decoded again by our decoder, with a one-line ``text`` summary."""
    if kind not in KINDS:
        raise ConfigError("--kind", kind, ", ".join(KINDS))
    keys = (lambda: TEST_KEYS) if test_keys else None
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("{"):
        yield from _from_trace(lines, keys)
    else:
        yield from _from_hex(lines, kind, keys)


def _from_trace(lines: list[str], keys) -> Iterator[dict]:  # noqa: ANN001
    decoders: dict[tuple, StreamDecoder] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError("trace line", number, "one JSON object per line", str(exc)) from None
        direction = record.get("direction")
        if direction not in ("in", "out"):
            yield {**record, "text": _header(record)}
            continue
        key = (record.get("listener"), record.get("connection"))
        decoder = decoders.get(key)
        if decoder is None:
            decoder = decoders[key] = StreamDecoder(record.get("kind", "wrapper"), keys)
        raw = bytes.fromhex(record.get("hex", ""))
        decoded = decoder.describe(raw, direction == "in")
        out = {**record, "decoded": decoded}
        out["text"] = _header(out) + " " + summary(decoded) + _details(decoded)
        yield out


def _from_hex(lines: list[str], kind: str, keys) -> Iterator[dict]:  # noqa: ANN001
    decoder = StreamDecoder(kind, keys)
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        head, _, rest = text.partition(" ")
        incoming = DIRECTIONS.get(head.rstrip(":"))
        if incoming is not None:
            text = rest
        try:
            data = bytes.fromhex(text.replace(":", " "))
        except ValueError:
            raise ConfigError("hex capture line", number, "hexadecimal octets") from None
        if incoming is None:
            incoming = _guess_incoming(kind, data)
        for frame in decoder.frames(data, incoming):
            decoded = decoder.describe(frame, incoming)
            arrow = "in " if incoming else "out"
            yield {
                "line": number,
                "direction": "in" if incoming else "out",
                "hex": frame.hex(),
                "decoded": decoded,
                "text": f"line {number} {arrow} {summary(decoded)}{_details(decoded)}",
            }


def _guess_incoming(kind: str, data: bytes) -> bool:
    """Which way an unmarked frame went: to the meter's server SAP/address, or from it."""
    if kind == "wrapper" and len(data) >= 8:
        return int.from_bytes(data[6 - 2 : 6], "big") in (1, 0x7F)
    if kind == "hdlc" and len(data) > 4:
        return not data[3] & 1  # a multi-octet destination is the server's address
    if kind == "mbus":
        return data[:1] == b"\x10" or (len(data) > 4 and data[4] & 0x40 != 0)
    return data[:1] in (b"/", b"\x06", b"\x01") and not data.startswith(b"/K")


def _header(record: dict) -> str:
    time = record.get("time", "")
    where = f"{record.get('listener', '?')} #{record.get('connection', '?')}"
    faults = f" [{', '.join(record['faults'])}]" if record.get("faults") else ""
    return f"{record.get('seq', '')} {time} {where} {record.get('direction', '')}{faults}"


def summary(decoded: dict) -> str:
    """One line: frame type, the service with invoke id and object, or the refusal."""
    parts = [decoded.get("frame", "")]
    hdlc = decoded.get("hdlc")
    if hdlc:
        parts.append(hdlc.get("type", ""))
    if "message" in decoded:
        parts.append(decoded["message"])
    if "type" in decoded and decoded.get("frame") == "mbus":
        parts.append(f"{decoded['type']} {decoded.get('function', '')}".strip())
    apdu = decoded.get("apdu")
    while isinstance(apdu, dict):
        parts.append(apdu.get("service", "?"))
        if "invoke_id" in apdu:
            parts.append(f"invoke {apdu['invoke_id']}")
        for key in ("attribute", "method"):
            target = apdu.get(key)
            if isinstance(target, dict) and "obis" in target:
                number = target.get("attribute", target.get("method"))
                parts.append(f"{target['class_id']}/{target['obis']}/{number}")
        if "event" in apdu:
            parts.append(f"[{apdu['event']}]")
        if "refusal" in apdu:
            parts.append(f"REFUSED: {apdu['refusal']}")
        apdu = apdu.get("deciphered")
    if "error" in decoded:
        parts.append(f"ERROR: {decoded['error']}")
    return " ".join(p for p in parts if p)


def _details(decoded: dict) -> str:
    apdu = decoded.get("apdu")
    if not isinstance(apdu, dict):
        return ""
    body = {k: v for k, v in apdu.items() if k not in ("service", "invoke_id")}
    return "\n    " + json.dumps(body, default=str) if body else ""
