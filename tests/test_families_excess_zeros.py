"""The zero-inflated families evaluate their count law at 0 on the rows that hold a zero only,
and mix without the zero's terms where no row's event holds it.

Oracle: the mixing as it was written before (``_old_mix``, every row through both cases,
chosen entry by entry) fed the count law's NLL and gradient at 0 on every row (two full
evaluations of the count law); the results must be the same to the bit on every row.
"""

from __future__ import annotations

import numpy as np
import pytest

from probnn._math import log_sigmoid, sigmoid
from probnn.families import get_family
from probnn.families.base import softplus_scale

ZERO_INFLATED = ["zero-inflated-poisson", "zero-inflated-negative-binomial"]


def _old_mix(raw, with_zero, loss_c, grad_c, loss_c0, grad_c0, need_gradient):
    """ExcessZerosFamily._mix as it was: both cases on every row, chosen entry by entry."""
    z0 = raw[:, -1].astype(np.float64, copy=False)
    log_pi, log_not_pi = log_sigmoid(z0), log_sigmoid(-z0)
    log_b0 = -loss_c0.astype(np.float64, copy=False)
    log_p0 = np.logaddexp(log_pi, log_not_pi + log_b0)
    loss = np.where(with_zero, -log_p0, -log_not_pi + loss_c.astype(np.float64, copy=False))
    out_loss = loss.astype(raw.dtype, copy=False)
    if not need_gradient:
        return out_loss, None
    grad = np.empty_like(raw)
    rho = np.where(with_zero,
                   np.exp(log_not_pi + log_b0 - np.where(with_zero, log_p0, 0.0)), 0.0)
    active = rho[:, None] > 0
    part = np.where(active, rho[:, None] * np.where(active, grad_c0, 0.0), 0.0)
    grad[:, :-1] = np.where(with_zero[:, None], part, grad_c)
    grad[:, -1] = np.where(with_zero, rho - sigmoid(-z0), sigmoid(z0))
    return out_loss, grad


def _every_row(family, raw, y, need_gradient):
    """The kernel as it was: the count law at y and at 0 on every row, then the mixing."""
    count = family._count
    zc = raw[:, :-1]
    loss_y, grad_y = count._loss_gradient(zc, y, need_gradient)
    loss_0, grad_0 = count._loss_gradient(zc, np.zeros_like(y), need_gradient)
    return _old_mix(raw, y == 0, loss_y, grad_y, loss_0, grad_0, need_gradient)


def _cases(family, dtype, seed):
    rng = np.random.default_rng(seed)
    n = 257
    k = family._n_outputs_for(np.zeros(1))
    raw = rng.normal(0.0, 2.0, size=(n, k)).astype(dtype)
    counts = rng.poisson(3.0, size=n).astype(np.float64)
    counts[rng.random(n) < 0.3] = 0.0
    yield raw, counts  # some zeros
    yield raw, counts + 1.0  # none
    yield raw, np.zeros(n)  # all
    # a constant model's objective: one row of raw outputs broadcast over the targets
    yield np.broadcast_to(raw[0], raw.shape), counts


@pytest.mark.parametrize("name", ZERO_INFLATED)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("need_gradient", [True, False])
def test_zero_rows_only_gives_every_rows_numbers(name, dtype, need_gradient):
    family = get_family(name)
    for raw, y in _cases(family, dtype, seed=3):
        loss, grad = family._loss_gradient(raw, y, need_gradient)
        want_loss, want_grad = _every_row(family, raw, y, need_gradient)
        assert loss.dtype == want_loss.dtype
        np.testing.assert_array_equal(loss, want_loss)
        if need_gradient:
            assert grad.dtype == want_grad.dtype
            np.testing.assert_array_equal(grad, want_grad)
        else:
            assert grad is None


@pytest.mark.parametrize("name", ZERO_INFLATED)
def test_a_target_without_zeros_evaluates_the_count_law_once(name, monkeypatch):
    family = get_family(name)
    count = type(family._count)
    calls = []
    original = count._loss_gradient

    def counted(self, raw, y, need_gradient):
        calls.append(raw.shape[0])
        return original(self, raw, y, need_gradient)

    monkeypatch.setattr(count, "_loss_gradient", counted)
    raw, y = next(_cases(family, np.float64, seed=4))
    family._loss_gradient(raw, y + 1.0, True)
    assert calls == [raw.shape[0]]
    calls.clear()
    family._loss_gradient(raw, y, True)
    assert calls == [raw.shape[0], int(np.sum(y == 0))]


@pytest.mark.parametrize("name", ZERO_INFLATED)
def test_censored_rows_without_the_zero_mix_as_before(name):
    """The censored kernel's mixing (an event holding the zero or not) against the old one."""
    family = get_family(name)
    rng = np.random.default_rng(6)
    n = 120
    k = family._n_outputs_for(np.zeros(1))
    raw = rng.normal(0.0, 1.5, size=(n, k))
    lower = rng.integers(0, 6, size=n).astype(np.float64)
    upper = lower + rng.integers(0, 3, size=n)
    for low in (lower, np.where(np.arange(n) % 3 == 0, -0.5, lower)):
        loss, grad = family._censored_loss_gradient(raw, low, upper, True)
        count = family._count
        lc, gc = count._censored_loss_gradient(raw[:, :-1], low, upper, True)
        want = _old_mix(raw, low < 0, lc, gc, lc, gc, True)
        np.testing.assert_array_equal(loss, want[0])
        np.testing.assert_array_equal(grad, want[1])


@pytest.mark.parametrize("need_gradient", [True, False])
def test_the_hurdles_truncation_of_a_row_does_not_depend_on_the_others(need_gradient):
    """``NegativeBinomialFamily._log_positive_mass`` evaluates ``g(x)``'s series only where
    some row has ``x = alpha mu < 0.1``. Oracle: rows of one regime evaluated alone against
    the same rows among rows of the other (both forms evaluated, chosen entry by entry)."""
    count = get_family("negative-binomial")
    rng = np.random.default_rng(9)
    n = 300
    raw = np.column_stack([rng.normal(2.0, 2.0, n), rng.normal(-1.0, 3.0, n)])
    raw[::3, 0] -= 8.0  # alpha mu well below 0.1 on these (and some others)
    t_all, d_all = count._log_positive_mass(raw, need_gradient)
    _, log_alpha, _ = softplus_scale(raw[:, 1], False)
    x_small = raw[:, 0] + log_alpha < np.log(0.1)
    for regime in (x_small, ~x_small):
        assert 0 < regime.sum() < n
        t, d = count._log_positive_mass(raw[regime], need_gradient)
        np.testing.assert_array_equal(t, t_all[regime])
        if need_gradient:
            np.testing.assert_array_equal(d, d_all[regime])
        else:
            assert d is None and d_all is None


@pytest.mark.parametrize("name", ["hurdle-poisson", "hurdle-negative-binomial"])
def test_a_hurdle_glm_on_counts_without_zeros_keeps_p0_near_zero(name):
    """Counts near e^25 (no zeros: the zero part's MLE is P(0) = 0): the GLM starts its zero
    logit at -20 rather than 0 (P(0) = 1/2), from where L-BFGS stopped with P(0) from 0.17 to
    0.79 (hurdle-poisson) or rising to 1 with x (hurdle-negative-binomial). Oracle: the
    Poisson NLL at the true means (scipy.stats), which the fit should come within 0.05 nats of."""
    from scipy import stats as sps

    from probnn import MLPRegressor

    rng = np.random.default_rng(1)
    x = rng.normal(size=300)
    y = rng.poisson(np.exp(25 + x)).astype(np.float64)
    X = ((x - x.mean()) / x.std())[:, None]
    model = MLPRegressor(hidden_layer_sizes=(), family=name, solver="lbfgs", dtype="float64",
                         alpha=0.0, random_state=0).fit(X, y)  # fmt: skip
    dist = model.predict_dist(X)
    assert np.max(dist.zero_probability) < 1e-6
    truth = -np.mean(sps.poisson.logpmf(y, np.exp(25 + x)))
    assert -np.mean(dist.log_prob(y)) < truth + 0.05
