"""Byte-for-byte conformance cases (HDLC frame/address/NDM-NRM/information/disconnect, APPL open/data/release/idle).

The case table is ``cases.CASES``; docs/dlms.md carries it as the conformance table (``conformance_table``).
"""

from __future__ import annotations

import pytest
from cases import AARQ_LLS, AARQ_PUBLIC, CASES, CLOSED, SILENT, SNRM, Case, apdu_frame, to_meter
from class_cases import class_cases
from conformance_harness import RawLink, serve_meter, wrapper_frame

pytestmark = pytest.mark.timeout(120)
ACCEPTED = bytes.fromhex("A203020100")  # AARE result: accepted


@pytest.fixture(scope="module")
def served():
    running = serve_meter()
    yield running
    running.stop()


def open_link(served, case: Case) -> RawLink:
    """A fresh connection brought to the state the case's group starts from."""
    if case.transport == "wrapper":
        link = RawLink(served.port("dlms_port"))
        if case.setup in ("public", "lls"):
            client, aarq = (16, AARQ_PUBLIC) if case.setup == "public" else (32, AARQ_LLS)
            link.send(wrapper_frame(bytes.fromhex(aarq), client))
            assert ACCEPTED in link.wrapper_reply()
        return link
    link = RawLink(served.port("hdlc_port"))
    if case.setup in ("nrm", "public"):
        link.send(to_meter(SNRM))
        assert link.hdlc_reply()[8] == 0x73  # UA
    if case.setup == "public":
        link.send(apdu_frame(0, 0, AARQ_PUBLIC))
        assert ACCEPTED in link.hdlc_reply()
    return link


def answer(link: RawLink, case: Case, expected: str) -> str:
    """What the meter sent back to one stimulus, as hex (or SILENT / CLOSED)."""
    if expected == SILENT:
        got = link.silence()
        return SILENT if not got else ("closed" if got == b"closed" else got.hex())
    if expected == CLOSED:
        got = link.silence(2.0)
        return CLOSED if got in (b"closed", b"") else got.hex()
    reply = link.wrapper_reply() if case.transport == "wrapper" else link.hdlc_reply()
    return reply.hex() if reply else CLOSED


ALL_CASES = CASES + class_cases()


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_case(served, case):
    link = open_link(served, case)
    try:
        for number, (stimulus, expected) in enumerate(case.steps, start=1):
            link.send(stimulus)
            got = answer(link, case, expected)
            assert got == expected.lower(), f"{case.id} step {number}: {case.title}"
    finally:
        link.close()
