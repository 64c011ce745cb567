"""Targets of 1e-300 (normal float64 numbers) are fitted and scored as any others; targets
that vary only by subnormal amounts (1e-310) are refused before training.

``probnn fit`` of ``y = N(1 + x, 1) * 1e-300`` saved its model, then stopped with
ZeroDivisionError in the constant model's scoring (normal-fixed's ``1 / scale**2`` on a
Python float), and printed RMSE 0.0000 (the squared errors underflow); at 1e-310 it chose a
constant model of scale 1.5e-8 and printed NLL -17.1 where the data's own scale means -713.

Oracles: scipy.stats.norm's log density; the law of a rescaled target,
``NLL(c y) = NLL(y) + log c`` and ``RMSE(c e) = c RMSE(e)``, with the unscaled figures from
numpy; a hand-worked derivative of the Normal NLL.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from _cli import printed_metric, run
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from probnn import MLPRegressor
from probnn.exceptions import DataError
from probnn.families import get_family
from probnn.metrics import regression_metrics
from probnn.report.card import constant_baseline


def _targets(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    r = np.random.default_rng(seed)
    x = r.normal(size=n)
    return x, r.normal(1 + x, 1.0)


@settings(max_examples=30, deadline=None)
@given(exponent=st.integers(-307, 0), seed=st.integers(0, 2**16))
def test_normal_fixed_nll_and_gradient_at_any_normal_scale(exponent, seed):
    scale = 10.0**exponent
    r = np.random.default_rng(seed)
    y, z = r.normal(size=5) * scale, r.normal(size=5) * scale
    family = get_family("normal-fixed", scale=scale)
    nll, grad = family.loss_gradient(z[:, None], y)
    np.testing.assert_allclose(nll, -stats.norm(z, scale).logpdf(y), rtol=1e-12, atol=1e-12)
    # d/dz of (y - z)^2 / (2 s^2): (z - y) / s^2, as (z - y) / s / s (s^2 underflows)
    np.testing.assert_allclose(grad[:, 0], (z - y) / scale / scale, rtol=1e-12)


def test_constant_baseline_of_a_target_scaled_by_1e_300():
    _, y = _targets(0, 120)
    family = get_family("normal-fixed")
    nll, _ = constant_baseline(family, y[:90], y[90:])
    tiny, _ = constant_baseline(family, y[:90] * 1e-300, y[90:] * 1e-300)
    assert tiny == pytest.approx(nll + math.log(1e-300), abs=1e-9)
    # and the unscaled one is scipy's: the training rows' mean and standard deviation
    expected = -stats.norm(y[:90].mean(), y[:90].std()).logpdf(y[90:]).mean()
    assert nll == pytest.approx(expected, abs=1e-6)


def test_rmse_of_errors_of_1e_300():
    r = np.random.default_rng(1)
    y, mean = r.normal(size=50), r.normal(size=50)
    from probnn.distributions import Normal

    got = regression_metrics(y * 1e-300, Normal(loc=mean * 1e-300, scale=np.full(50, 1e-300)))
    rmse = float(np.sqrt(np.mean((mean - y) ** 2)))
    # (as ratios: pytest.approx of 1e-300 would take 0 within its absolute tolerance)
    assert got["rmse"] / 1e-300 == pytest.approx(rmse, rel=1e-12)
    assert got["mae"] / 1e-300 == pytest.approx(float(np.mean(np.abs(mean - y))), rel=1e-12)


def _table(path, factor: float, n: int = 60):
    x, y = _targets(2, n)
    pd.DataFrame({"x": x, "y": y * factor}).to_csv(path, index=False)


def test_fit_of_a_target_of_1e_300_is_its_unscaled_fit_moved_by_log_c(tmp_path, capsys,
                                                                       monkeypatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    _table(tmp_path / "one.csv", 1.0)
    _table(tmp_path / "tiny.csv", 1e-300)
    common = ["--target", "y", "--family", "normal-fixed", "--hidden", "none", "--seed", "0"]
    code, out_one, err = run(capsys, "fit", "one.csv", *common)
    assert code == 0, err
    code, out_tiny, err = run(capsys, "fit", "tiny.csv", *common)
    assert code == 0, err
    assert (tmp_path / "tiny-report" / "report.html").exists()
    nll = printed_metric(out_one, "NLL (nats per example)")
    assert printed_metric(out_tiny, "NLL (nats per example)") == pytest.approx(
        nll + math.log(1e-300), abs=2e-4)  # (both printed to four decimals)
    rmse = printed_metric(out_one, "RMSE")
    assert printed_metric(out_tiny, "RMSE") / 1e-300 == pytest.approx(rmse, rel=1e-3)


@pytest.mark.parametrize("factor", [1e-310, 3e-316])
def test_subnormal_target_refused_before_training(tmp_path, capsys, monkeypatch, factor):
    monkeypatch.chdir(tmp_path)
    _table(tmp_path / "sub.csv", factor)
    code, out, err = run(capsys, "fit", "sub.csv", "--target", "y", "--hidden", "none")
    assert code == 1
    assert err.count("\n") == 1 and "subnormal" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub.csv"]  # no model, no report


def test_estimator_refuses_a_subnormal_target():
    x, y = _targets(3, 40)
    with pytest.raises(DataError, match="smallest normal number"):
        MLPRegressor(hidden_layer_sizes=(), max_iter=5).fit(x[:, None], y * 1e-310)
