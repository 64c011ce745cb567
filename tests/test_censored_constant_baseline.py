"""The best constant model of a censored target (``report.card.constant_baseline`` on
``(lower, upper)`` rows) where the likelihood is degenerate: a hurdle family on times with no
zero, whose share of zeros runs off to -inf and whose count law to a limit (Rossi's
recidivism weeks, 74% right-censored at 52).

Oracles: the value is the family's own censored NLL (scipy-checked in test_censored.py) of
the test rows at the reported constant, which is no worse on the training rows than the
family's start; and the search raises no floating-point warning (before: "invalid value
encountered in logaddexp" at raw outputs of 1.5e10 and NaN, printed by ``probnn fit``).
"""

from __future__ import annotations

import pathlib
import warnings

import numpy as np
import pandas as pd
import pytest

from probnn.families import get_family
from probnn.families._interval import IntervalTargets
from probnn.report.card import constant_baseline

ROSSI = pathlib.Path(__file__).resolve().parents[1] / "examples" / "data" / "rossi.csv"


@pytest.mark.parametrize("name", ["hurdle-negative-binomial", "negative-binomial"])
def test_a_degenerate_censored_constant_is_found_without_warnings(name):
    frame = pd.read_csv(ROSSI)
    week = frame["week"].to_numpy(dtype=np.float64)
    upper = np.where(frame["arrest"].to_numpy() == 1, week, np.inf)
    y = np.column_stack([week, upper])
    train, test = y[:340], y[340:]
    family = get_family(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nll, _ = constant_baseline(family, train, test)
    assert np.isfinite(nll)
    start = np.asarray(IntervalTargets(family).constant_raw(train), dtype=np.float64)
    start_nll = np.mean(family.censored_nll(np.tile(start, (test.shape[0], 1)), test[:, 0],
                                            test[:, 1]))  # fmt: skip
    assert nll <= start_nll + 0.5  # found a constant, not a run-off (held-out rows, so loose)
