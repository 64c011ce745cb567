"""Shared test configuration.

With ``PROBNN_STRICT_EXTRAS=1`` (set by ``.ci/run`` through ``make test STRICT_EXTRAS=1``) a
test skipped because an import failed (``pytest.importorskip``) is reported as a failure: CI
installs every oracle and optional extra, so such a skip there means a test that checks nothing.
"""

from __future__ import annotations

import os

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not os.environ.get("PROBNN_STRICT_EXTRAS") or not report.skipped:
        return
    reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if "could not import" in reason:
        report.outcome = "failed"
        report.longrepr = f"PROBNN_STRICT_EXTRAS is set, but {reason}"
