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


# ------------------------------------------------- fixtures of the command-line tests
@pytest.fixture
def real_csv(tmp_path):
    """A CSV of 80 rows, y = 2x + standard normal noise."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    x = rng.normal(size=80)
    frame = pd.DataFrame({"x": x, "y": 2.0 * x + rng.normal(size=80)})
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def no_training(monkeypatch):
    """Make any training fail loudly: the command line's checks must come before it."""
    from probnn.tables.model import TabularModel

    def refuse(*args, **kwargs):
        raise AssertionError("training started before the command line's checks (options, paths)")

    monkeypatch.setattr(TabularModel, "fit", refuse)



@pytest.fixture
def family_without_a_cdf():
    """The name of a regression family without a censored kernel (every registered one has
    one): the gamma family with the base class's kernel, registered for the test only."""
    from probnn.families import FAMILIES, register_family
    from probnn.families.base import Family
    from probnn.families.gamma import GammaFamily

    class GammaWithoutCdf(GammaFamily):
        name = "test-gamma-without-cdf"
        _censored_loss_gradient = Family._censored_loss_gradient

    register_family(GammaWithoutCdf)
    try:
        yield GammaWithoutCdf.name
    finally:
        FAMILIES.pop(GammaWithoutCdf.name, None)
