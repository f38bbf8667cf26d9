"""Suite-wide rules: under CI (K351C_CI=1, set by .ci/run) a skipped test is a failure.

A test that skips because a tool is missing (chromium, setpriv, an optional client library)
proves nothing; on a developer machine it says why, in CI it fails so nothing goes unseen.
"""

from __future__ import annotations

import os

import pytest

CI = os.environ.get("K351C_CI") == "1"


def _fail_if_skipped_in_ci(report) -> None:
    if CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under K351C_CI=1 (CI must run every test): {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skip inside a test (or its fixtures) fails under CI."""
    outcome = yield
    _fail_if_skipped_in_ci(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """A module-level skip (e.g. a missing import) fails under CI."""
    outcome = yield
    _fail_if_skipped_in_ci(outcome.get_result())

