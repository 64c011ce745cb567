"""A coverage whose upper tail level rounds to 1 in float64 is refused.

``--coverage 0.9999999999999999`` (1 - 2**-53, the largest float below 1): the tail
``(1 - c) / 2 = 2**-54`` and ``1 - 2**-54`` is 1.0 in float64, so a Normal(1.89, 0.54)'s
interval was ``[-2.61, inf]``, exit 0. Now refused (a usage error on the command line, a
ValueError in Python); ``1 - 2**-52`` keeps both ends finite, as scipy's ``norm.interval``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from _cli import run
from probnn.distributions import Normal
from probnn.metrics import central_interval, interval_mass

LARGEST_BELOW_ONE = 1.0 - 2.0**-53


def test_the_oracle_rounds_the_tail_to_one():
    assert LARGEST_BELOW_ONE < 1.0 and 1.0 - (1.0 - LARGEST_BELOW_ONE) / 2.0 == 1.0


def test_python_refuses_it_and_keeps_the_next_one_below():
    dist = Normal(np.array([1.89]), np.array([0.54]))
    with pytest.raises(ValueError, match="strictly between 0 and 1; found"):
        central_interval(dist, LARGEST_BELOW_ONE)
    with pytest.raises(ValueError, match="strictly between 0 and 1; found"):
        interval_mass(dist, [0.0], [1.0], LARGEST_BELOW_ONE)
    coverage = 1.0 - 2.0**-52
    lower, upper = central_interval(dist, coverage)
    lo, hi = stats.norm(1.89, 0.54).ppf([2.0**-53, 1.0 - 2.0**-53])
    np.testing.assert_allclose([lower[0], upper[0]], [lo, hi], rtol=1e-6)


def test_the_command_line_refuses_it_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "predict", "model.safetensors", "t.csv", "--coverage",
                       repr(LARGEST_BELOW_ONE))  # fmt: skip
    assert code == 2 and "at most 1 - 2**-52" in err and "Traceback" not in err
