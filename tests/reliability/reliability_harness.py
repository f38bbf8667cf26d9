"""Helpers of the reliability tests: a raw wrapper client (the served meter is tests/testkit.py's)."""

from __future__ import annotations

import asyncio
import resource

H = bytes.fromhex
# Green Book AARQ (public client, lowest security) and GET 1-0:1.8.0.255 attribute 2, in wrapper frames.
AARQ = H("000100100001001F601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0")
GET_ENERGY = H("000100100001000DC001C100030100010800FF0200")


def raise_nofile(wanted: int = 4096) -> None:
    """Raise this process's open-file limit toward `wanted` (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    """One wrapper frame's APDU."""
    header = await reader.readexactly(8)
    return await reader.readexactly(int.from_bytes(header[6:8], "big"))


async def associate_and_get(port: int, gets: int = 1, hold: float = 0.0) -> list[bytes]:
    """Open a wrapper connection, associate as the public client, GET the energy `gets` times."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(AARQ)
        answers = [await read_frame(reader)]
        for _ in range(gets):
            writer.write(GET_ENERGY)
            answers.append(await read_frame(reader))
        if hold:
            await asyncio.sleep(hold)
        return answers
    finally:
        writer.close()


def answered(answers: list[bytes]) -> bool:
    """An accepted AARE followed by successful GET responses."""
    aare, *gets = answers
    return (
        aare[0] == 0x61
        and b"\xa2\x03\x02\x01\x00" in aare
        and all(g[:4] == H("c401c100") for g in gets)
    )
