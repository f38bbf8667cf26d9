"""Helpers shared by the whole suite (tests/ is on sys.path through tests/conftest.py)."""

from __future__ import annotations

import os
import shutil

import pytest


def unprivileged(argv: list[str]) -> list[str]:
    """argv run without root's privileges: as root, through setpriv with every capability dropped.

    Root bypasses directory permissions (CAP_DAC_OVERRIDE); with an empty bounding set the same uid
    is held to the mode bits like any user, and can still run the interpreter under /root.
    """
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv (util-linux) is missing")
    return [setpriv, "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs", *argv]
