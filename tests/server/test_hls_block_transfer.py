"""Whole-buffer reads over HLS-GMAC with gurux-dlms: ciphered blocks fit the client's max PDU.

Ciphering adds up to 30 octets to every APDU; the block size must leave room for it, or a client PDU
of 256 gets 277-octet APDUs and a whole-buffer read at the default PDU (65,535) builds an APDU that no
wrapper frame can carry. Every APDU the meter sends is measured on the wire.
"""

from __future__ import annotations

import pytest
from gurux_dlms.objects import GXDLMSProfileGeneric
from gurux_secure import SecureSession

from k351c.protocols.hdlc import HdlcFrame, HdlcParameters, parse_frame
from k351c.protocols.hdlc.frame import Command
from k351c.server.keys import KeyStore
from k351c.server.runtime import Runtime
from testkit import ServedMeter, make_meter

LOAD_PROFILE = "1.0.99.1.0.255"
DEFAULT_PDU = 0xFFFF
LLC = 3


@pytest.fixture(scope="module")
def served():
    """Two weeks of load profile (about 80 kB encoded), wrapper and HDLC listeners, test keys."""
    from k351c.server.dlms import hdlc_listener, wrapper_listener

    meter = make_meter(days=14)
    runtime = Runtime(meter, keys=KeyStore(None, test_keys=True), tick=0.2)
    running = ServedMeter(runtime, [wrapper_listener, hdlc_listener])
    yield running
    running.stop()


class Recorder:
    """The session's socket, keeping every octet the meter sent."""

    def __init__(self, sock) -> None:
        self.sock = sock
        self.received = bytearray()

    def recv(self, size: int) -> bytes:
        data = self.sock.recv(size)
        self.received += data
        return data

    def sendall(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        self.sock.close()


def wrapper_apdus(stream: bytes) -> list[int]:
    """The APDU length of every wrapper frame in ``stream``."""
    sizes, pos = [], 0
    while pos < len(stream):
        length = int.from_bytes(stream[pos + 6 : pos + 8], "big")
        sizes.append(length)
        pos += 8 + length
    assert pos == len(stream)
    return sizes


def hdlc_frames(stream: bytes) -> list[HdlcFrame]:
    """Every frame in ``stream`` (all must be well formed)."""
    frames, buffer = [], bytearray(stream)
    while buffer.strip(b"\x7e"):
        consumed, frame = parse_frame(buffer)
        assert isinstance(frame, HdlcFrame), frame
        frames.append(frame)
        del buffer[:consumed]
    return frames


def hdlc_apdus(frames: list[HdlcFrame]) -> list[int]:
    """The length of every APDU reassembled from the I frames (LLC header removed)."""
    sizes, pending = [], 0
    for frame in frames:
        if frame.control.command is not Command.I:
            continue
        pending += len(frame.info)
        if not frame.segmented:
            sizes.append(pending - LLC)
            pending = 0
    return sizes


def session(served, hdlc: bool, max_pdu: int | None) -> SecureSession:
    settings = served.runtime.settings
    if not hdlc:
        return SecureSession(settings.dlms_port, max_pdu=max_pdu)
    physical = 1000 + int(served.meter.config.serial) % 10000
    return SecureSession(
        settings.hdlc_port,
        physical=physical,
        counter_port=settings.dlms_port,
        max_pdu=max_pdu,
    )


@pytest.mark.parametrize("max_pdu", [None, 256], ids=["default-pdu", "pdu-256"])
@pytest.mark.parametrize("hdlc", [False, True], ids=["wrapper", "hdlc"])
def test_whole_load_profile_over_hls_fits_the_negotiated_pdu(served, hdlc, max_pdu):
    s = session(served, hdlc, max_pdu)
    s.sock = recorder = Recorder(s.sock)
    s.connect()
    try:
        profile = GXDLMSProfileGeneric(LOAD_PROFILE)
        s.read(profile, 3)
        rows = s.read(profile, 2)
        expected = served.call(served.meter.read, "1-0:99.1.0.255")
        assert len(rows) == len(expected.rows) > 1300
        assert rows[-1][0].value.timestamp() == pytest.approx(expected.rows[-1][0].timestamp())
    finally:
        s.close()
    limit = max_pdu or DEFAULT_PDU
    if hdlc:
        frames = hdlc_frames(bytes(recorder.received))
        ua = next(f for f in frames if f.control.command is Command.UA)
        max_info = HdlcParameters.from_bytes(ua.info).max_info_tx
        assert max(len(f.info) for f in frames) <= max_info
        sizes = hdlc_apdus(frames)
    else:
        sizes = wrapper_apdus(bytes(recorder.received))
    assert max(sizes) <= limit
    assert max(sizes) > limit - 64  # the blocks use the room there is
