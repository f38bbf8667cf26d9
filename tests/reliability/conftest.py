"""Fixtures of the reliability tests (helpers live in reliability_harness.py)."""

from __future__ import annotations

import pytest
from reliability_harness import Served, free_port


@pytest.fixture
def served():
    """Factory: a meter with the wrapper and HDLC listeners and these settings."""
    from k351c.server.dlms import hdlc_listener, wrapper_listener

    started: list[Served] = []

    def start(**settings) -> Served:
        settings = {"dlms_port": free_port(), "hdlc_port": free_port(), **settings}
        started.append(Served(settings, [wrapper_listener, hdlc_listener]))
        return started[-1]

    yield start
    for s in started:
        s.stop()
