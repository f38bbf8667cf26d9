"""The trace decoder never raises: any bytes, on any listener kind, in either direction, fed in any
pieces, give frames and descriptions (a trace must never take a connection down)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from k351c.protocols.decode import KINDS, ApduDecoder, StreamDecoder

TEST_KEYS = (bytes(range(16)), bytes(range(16, 32)))
PREFIXES = [b"", b"\x00\x01\x00\x10\x00\x01", b"\x7e\xa0", b"\x68", b"\x10", b"/", b"\x01", b"\x02",
            b"\x60", b"\x61", b"\xc0\x01", b"\xc4\x02", b"\xcc", b"\xd0", b"\xdb\x08", b"\x0f"]


@settings(max_examples=400, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    incoming=st.booleans(),
    prefix=st.sampled_from(PREFIXES),
    chunks=st.lists(st.binary(max_size=80), max_size=6),
)
def test_stream_decoder_never_raises(kind, incoming, prefix, chunks):
    decoder = StreamDecoder(kind, lambda: TEST_KEYS)
    for i, chunk in enumerate(chunks):
        data = (prefix if i == 0 else b"") + chunk
        for frame in decoder.frames(data, incoming):
            view = decoder.describe(frame, incoming)
            assert isinstance(view, dict)


@settings(max_examples=400, deadline=None)
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=120), incoming=st.booleans())
def test_apdu_decoder_never_raises(prefix, body, incoming):
    decoder = ApduDecoder(lambda: TEST_KEYS)
    decoder.client_title = decoder.server_title = b"ABCDEFGH"
    view = decoder.decode(prefix + body, incoming)
    assert "service" in view
