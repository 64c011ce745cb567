"""A log-normal law with a wide log-scale ``s`` (hostile trial 5, F3).

A log-normal network on ``y = 1e9 + N(0, 1e-3)`` predicted log-scales up to 3.6e5 on some rows:
its mean ``exp(mu + s^2 / 2)`` is then past float max, and the held-out CRPS came out nan (the
kernel form's ``E|X - y| - E|X - X'| / 2`` as inf - inf), the RMSE nan (the errors scaled by an
infinite largest error), after numpy's bare "invalid value" warnings. Before the mean overflows
the kernel form already lost every digit (s = 20: -1.1e71 for 1e50; s = 37.5: 0 for 1.4e151).
Oracle: the defining integral ``int (F(x) - 1{x >= y})^2 dx`` by mpmath's quadrature over
``u = log x`` at 20 digits.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from probnn.distributions import LogNormal, Mixture
from probnn.inspection import parameter_importance
from probnn.metrics import regression_metrics
from probnn.scoring_rules import crps


def _integral_crps(mu: float, s: float, y: float, around_peak_only: bool = False):
    """``int (F(x) - 1{x >= y})^2 dx`` for ``log X ~ N(mu, s)``, by mpmath over ``u = log x``,
    split at ``log y`` and around the peaks of both parts (``mu`` and ``mu + s^2 / 2``).
    With ``around_peak_only``, the upper part over ``mu + s^2 / 2 +- s`` alone: a lower bound."""
    mp = pytest.importorskip("mpmath")
    with mp.workdps(20):
        mu, s, ly = mp.mpf(mu), mp.mpf(s), mp.log(mp.mpf(y))
        below_part = lambda u: mp.ncdf((u - mu) / s) ** 2 * mp.exp(u)  # noqa: E731
        above_part = lambda u: mp.ncdf((mu - u) / s) ** 2 * mp.exp(u)  # noqa: E731 (1 - F)
        peak = mu + s * s / 2
        if around_peak_only:
            return mp.quad(above_part, [max(ly, peak - s), max(ly, peak + s)])
        points = {mu + k * s for k in range(-12, 1, 3)} | {peak + k * s for k in range(-9, 10, 3)}
        lower = [-mp.inf] + sorted(p for p in points if p < ly) + [ly]
        upper = [ly] + sorted(p for p in points if p > ly) + [mp.inf]
        return mp.quad(below_part, lower) + mp.quad(above_part, upper)


@pytest.mark.parametrize(
    "mu, s, y",
    [
        (0.0, 1.0, 1.0),      # where both forms hold
        (0.0, 10.0, 3.0),     # the kernel form: 2e-7 off
        (0.0, 20.0, 1e50),    # the kernel form: -1.1e71
        (0.0, 37.5, 1e-5),    # the kernel form: 0
        (0.0, 40.0, 1.0),     # the mean overflows: nan
        (20.72, 50.0, 1e9),   # hostile5's location: nan
    ],
)
def test_crps_of_a_wide_lognormal_is_the_integral(mu, s, y):
    oracle = float(_integral_crps(mu, s, y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning on the way
        got = float(crps(LogNormal(mu, s), y))
    # exp(mu + s^2 / 2 + log Phi(.)) carries the rounding of an exponent ~ s^2 / 2
    assert got == pytest.approx(oracle, rel=1e-14 * max(1.0, s * s))


def test_crps_past_float_max_is_inf_and_metrics_have_no_nan():
    """Hostile5's widest row: the CRPS is ~e^(s^2 / 4) (a lower bound by quadrature passes float
    max), so inf; the mean overflows, so RMSE and MAE are inf, not nan."""
    mu, s, y = 20.72, 3.6e5, 1e9
    assert _integral_crps(mu, s, y, around_peak_only=True) > np.finfo(np.float64).max
    dist = LogNormal(np.array([mu, 20.7232]), np.array([s, 0.05]))
    ys = np.array([y, 1e9])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = crps(dist, ys)
        metrics = regression_metrics(ys, dist)
    assert scores[0] == np.inf and np.isfinite(scores[1])
    assert metrics["crps"] == np.inf
    assert metrics["rmse"] == np.inf and metrics["mae"] == np.inf


class _WideLogNormal:
    """A fitted model's stand-in: log-scale 40 (a mean past float max) where x > 0, else 0.05."""

    def predict_dist(self, X):
        return LogNormal(np.full(len(X), 20.72), np.where(np.asarray(X)[:, 0] > 0, 40.0, 0.05))


def test_importance_of_an_infinite_mean_warns_nothing():
    """The report's importance table: a permutation moves the mean by inf; the spread of such
    importances over the repeats is nan (undefined), said without numpy's bare warning."""
    X = np.random.default_rng(0).normal(size=(20, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = parameter_importance(_WideLogNormal(), X, np.full(20, 1e9), n_repeats=3)
    assert np.isfinite(result.importances["nll"].iloc[0])


def _integral_mixture_crps(weights, mus, scales, y):
    """``int (F(x) - 1{x >= y})^2 dx`` for ``F = sum_k w_k LogNormal(mu_k, s_k)``, by mpmath over
    ``u = log x``, split at ``log y`` and around each component's ``mu_k`` and ``mu_k + s_k^2 /
    2`` (where ``(1 - F)^2 e^u`` peaks)."""
    mp = pytest.importorskip("mpmath")
    with mp.workdps(20):
        comps = [(mp.mpf(w), mp.mpf(m), mp.mpf(s)) for w, m, s in zip(weights, mus, scales)]
        ly = mp.log(mp.mpf(y))
        below = lambda u: sum(w * mp.ncdf((u - m) / s) for w, m, s in comps) ** 2 * mp.exp(u)  # noqa: E731
        above = lambda u: sum(w * mp.ncdf((m - u) / s) for w, m, s in comps) ** 2 * mp.exp(u)  # noqa: E731
        points = {m + k * s for _, m, s in comps for k in (-6, -3, 0)}
        points |= {m + s * s / 2 + k * s for _, m, s in comps for k in (-3, 0, 3)}
        lower = [-mp.inf] + sorted(p for p in points if p < ly) + [ly]
        upper = [ly] + sorted(p for p in points if p > ly) + [mp.inf]
        return mp.quad(below, lower) + mp.quad(above, upper)


@pytest.mark.parametrize(
    "weights, mus, scales, y",
    [
        ([0.3, 0.7], [0.0, 1.0], [5.0, 4.0], 0.3),
        ([0.3, 0.7], [0.0, 1.0], [10.0, 8.0], 5.0),       # the kernel form: 8e-4 off
        ([0.3, 0.7], [0.0, 1.0], [20.0, 16.0], 1e6),      # the kernel form: 2e29 times too big
        ([0.5, 0.5], [0.0, 3.0], [0.01, 10.0], 1.0),      # one narrow, one wide component
        ([0.2, 0.3, 0.5], [-5.0, 0.0, 5.0], [0.5, 1.0, 2.0], 3.0),
    ],
)
def test_crps_of_a_wide_lognormal_mixture_is_the_integral(weights, mus, scales, y):
    """A mixture of log-normals (a Laplace posterior's predictive, an ensemble's) at wide
    log-scales: its kernel form ``sum_i w_i E|X_i - y| - E|X - X'| / 2`` subtracted two numbers of
    the size of the mean, as the single law's did before hostile5 F3."""
    oracle = float(_integral_mixture_crps(weights, mus, scales, y))
    dist = Mixture([LogNormal(m, s) for m, s in zip(mus, scales)], weights=np.array(weights))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = float(crps(dist, y))
    assert got == pytest.approx(oracle, rel=1e-14 * max(1.0, max(scales) ** 2))


def test_wide_and_narrow_rows_of_one_lognormal_mixture_each_match_the_integral():
    """Rows with a component of ``s >= 1`` take the closed form without cancellation, rows
    without keep the kernel form (every digit of a small ``s``): both in one batch, and a
    log-scale 40 row (its mean past float max, its CRPS ~1e171) finite and right."""
    mus = np.array([[0.0, 0.0, 1.0], [2.0, 0.1, 0.5]])
    scales = np.array([[20.0, 1e-3, 0.3], [16.0, 2e-3, 40.0]])
    weights = np.array([0.4, 0.6])
    ys = np.array([7.0, 1.0005, 2.0])
    dist = Mixture([LogNormal(m, s) for m, s in zip(mus, scales)], weights=weights)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = crps(dist, ys)
    for row in range(3):
        oracle = float(_integral_mixture_crps(weights, mus[:, row], scales[:, row], ys[row]))
        assert got[row] == pytest.approx(oracle, rel=1e-14 * max(1.0, scales[:, row].max() ** 2))
