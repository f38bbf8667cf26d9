"""Inputs the fuzzers found that once broke a codec; each must now be refused cleanly."""

from __future__ import annotations

from fuzz_targets import TARGETS

from k351c.protocols.iec62056_21 import InvalidFrame, parse_frame


def test_iec_request_line_with_eight_bit_octet_is_an_invalid_frame() -> None:
    # parse_frame raised UnicodeDecodeError on a `/` line with an octet above 0x7F (hypothesis).
    consumed, frame = parse_frame(b"/?!\x07\xf1K\r\n")
    assert consumed == 8 and isinstance(frame, InvalidFrame)
    TARGETS["iec_frame"].check(b"/?!\x07\xf1K\r\n")


def test_iec_block_with_eight_bit_octet_and_good_bcc_is_an_invalid_frame() -> None:
    # The same error in an SOH/STX block whose BCC (over 7 bits) matched.
    body = b"R1\x021.8.0(\xff)\x03"
    bcc = 0
    for octet in body:
        bcc ^= octet
    consumed, frame = parse_frame(b"\x01" + body + bytes([bcc & 0x7F]))
    assert consumed == len(body) + 2 and isinstance(frame, InvalidFrame)


def test_hdlc_dropped_frame_excerpt_depends_on_what_was_buffered() -> None:
    # The log excerpt of a dropped frame may differ by chunking; the event sequence must not.
    TARGETS["hdlc_server"].check(bytes.fromhex("7ea007f60ce6010f84"))


def test_iec_over_long_line_gives_the_same_events_in_any_chunking() -> None:
    # The leftover differs (one chunk drops a trailing `/`); the events must not.
    TARGETS["iec_server"].check(b"/" + b"q" * 70 + b"/")
