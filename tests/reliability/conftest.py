"""Fixtures of the reliability tests (helpers live in reliability_harness.py and tests/testkit.py)."""

from __future__ import annotations

import pytest

from k351c import ConstantLoad
from testkit import ServedMeter, make_meter, serve


@pytest.fixture
def served():
    """Factory: a meter with the wrapper and HDLC listeners and these settings."""
    from k351c.server.dlms import hdlc_listener, wrapper_listener

    started: list[ServedMeter] = []

    def start(**settings) -> ServedMeter:
        meter = make_meter(days=1 / 24, load=ConstantLoad(current=5.0))
        started.append(serve(meter, [wrapper_listener, hdlc_listener], **settings))
        return started[-1]

    yield start
    for s in started:
        s.stop()
