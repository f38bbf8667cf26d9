"""Security: legal data refused over DLMS, listeners on 127.0.0.1 by default, keys never logged."""

from __future__ import annotations

import asyncio
import inspect
import logging

import pytest
from reliability_harness import GET_ENERGY, read_frame

H = bytes.fromhex
LLS_AARQ = H(
    "6036A1090607608574050801018A0207808B0760857405080201AC0A80083132333435363738"
    "BE10040E01000000065F1F040000181DFFFF"
)
# SET-Request-Normal of 1-0:1.8.0.255 attribute 2 to double-long-unsigned 0.
SET_ENERGY = H("C101C1000301000108 00FF0200 0600000000".replace(" ", ""))
TEST_KEYS = (
    "000102030405060708090a0b0c0d0e0f",
    "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf",
    "12345678",
    "3132333435363738",
)

pytestmark = pytest.mark.timeout(60)


def wrap(source: int, apdu: bytes) -> bytes:
    """A wrapper frame from `source` to the management logical device."""
    return (
        b"\x00\x01" + source.to_bytes(2, "big") + b"\x00\x01" + len(apdu).to_bytes(2, "big") + apdu
    )


async def lls_set_energy(port: int) -> tuple[bytes, bytes, bytes, bytes]:
    """Associate as the reading client (LLS), GET the energy, SET it to 0, GET it again."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(wrap(32, LLS_AARQ))
        aare = await read_frame(reader)
        writer.write(wrap(32, GET_ENERGY[8:]))
        before = await read_frame(reader)
        writer.write(wrap(32, SET_ENERGY))
        refused = await read_frame(reader)
        writer.write(wrap(32, GET_ENERGY[8:]))
        after = await read_frame(reader)
        return aare, before, refused, after
    finally:
        writer.close()


def test_dlms_set_of_energy_is_read_write_denied(served, caplog) -> None:
    meter = served()
    with caplog.at_level(logging.DEBUG):
        aare, before, refused, after = asyncio.run(lls_set_energy(meter.settings.dlms_port))
    assert b"\xa2\x03\x02\x01\x00" in aare, "LLS association with the test password is accepted"
    assert refused == H("C501C103"), "SET of legal data answers read-write-denied (3)"
    assert after == before
    logged = caplog.text.lower().replace(
        "kam12345678", ""
    )  # the default serial equals the lab password
    for secret in TEST_KEYS:
        assert secret not in logged, f"a key or password appears in the log: {secret}"


def test_listeners_bind_loopback_by_default() -> None:
    from k351c.cli.serve import serve
    from k351c.server.runtime import Runtime

    assert Runtime.host == "127.0.0.1"
    host = inspect.signature(serve).parameters["host"].default
    assert getattr(host, "default", host) == "127.0.0.1"


def test_wrong_lls_password_is_refused(served) -> None:
    meter = served()
    bad = LLS_AARQ.replace(b"12345678", b"00000000")

    async def scenario() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", meter.settings.dlms_port)
        writer.write(wrap(32, bad))
        aare = await read_frame(reader)
        writer.close()
        return aare

    assert b"\xa2\x03\x02\x01\x00" not in asyncio.run(scenario())
