"""7E1 parity helpers."""

from hypothesis import given
from hypothesis import strategies as st

from k351c.protocols.iec62056_21 import add_even_parity, has_even_parity, strip_parity


def test_known_characters() -> None:
    # '/' 0x2F has five one bits -> parity bit set; '?' 0x3F has six -> clear.
    assert add_even_parity(b"/?!\r\n") == bytes.fromhex("af3f218d0a")
    assert strip_parity(bytes.fromhex("af3f218d0a")) == b"/?!\r\n"


@given(st.binary(max_size=64))
def test_parity_round_trip(data: bytes) -> None:
    with_parity = add_even_parity(data)
    assert all(has_even_parity(b) for b in with_parity)
    assert strip_parity(with_parity) == strip_parity(data)
