"""Fixtures of the server tests: a served meter from tests/testkit.py (ports bound to 0)."""

from __future__ import annotations

import pytest

from testkit import make_meter, serve

__all__ = ["running_meter"]


@pytest.fixture
def running_meter():
    """A default meter (test keys, frozen simulated clock after three days of load) with DLMS listeners."""
    running = serve(make_meter(days=3))
    yield running
    running.stop()
