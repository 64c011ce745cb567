"""Likelihood heads against independent oracles, over the whole registry.

Oracles: scipy.stats log-densities, 4th-order central finite differences,
scipy.optimize.minimize of the summed NLL, scipy.special (expit, softmax), and
small formulas worked by hand. Every registered family must have an example
below (``test_every_registered_family_has_an_example``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from scipy import optimize, special, stats

from probnn.families import FAMILIES, Family, get_family, register_family


def softplus_oracle(z):
    return np.logaddexp(0.0, z)


def onehot(labels, n_classes):
    return np.eye(n_classes)[labels]


@dataclass(frozen=True)
class Case:
    """One test example of a family: how to draw targets, and the scipy log-density."""

    id: str
    name: str
    params: dict
    n_raw: int
    make_y: Callable  # (rng, n) -> y
    logpdf: Callable  # (raw of shape (n, n_raw), y) -> log p(y_i | raw_i), scipy-based
    # raw columns whose value -1e4 makes the scale underflow, or +1e4 the rate overflow:
    # there the exact NLL (e.g. (y - mu)^2 / softplus(-1e4)^2) is beyond the float range.
    overflow: Callable = field(default=lambda row: False)
    canonical_mean: Callable | None = None  # (raw) -> predicted mean, for canonical pairs

    def family(self) -> Family:
        return get_family(self.name, **self.params)


def _bernoulli_logpmf(raw, y):
    y2 = y.reshape(len(y), -1)
    return stats.bernoulli.logpmf(y2, special.expit(raw)).sum(axis=1)


def _categorical_logpmf(raw, y):
    probs = special.softmax(raw, axis=1)
    if y.ndim == 1:
        return stats.multinomial.logpmf(onehot(y, raw.shape[1]), 1, probs)
    # soft labels: -cross-entropy of the target row with the model
    return (y * special.log_softmax(raw, axis=1)).sum(axis=1)


def laplace_logpdf(y, loc, scale):
    # |y - loc| is exponential with the same scale, times a fair sign: log 2 apart.
    # (scipy.stats.laplace.logpdf takes log(pdf) and returns -inf once pdf underflows.)
    return stats.expon.logpdf(np.abs(y - loc), scale=scale) - math.log(2)


def modes(rng, n, locs, scales):
    """n draws from the equal-weight mixture of Normal(locs[j], scales[j])."""
    pick = rng.integers(0, len(locs), n)
    return rng.normal(np.asarray(locs)[pick], np.asarray(scales)[pick])


def mixture_normal_logpdf(raw, y, k):
    """log sum_j softmax(a)_j N(y | m_j, softplus(s_j)) by scipy, raw = [a, m, s]."""
    log_w = special.log_softmax(raw[:, :k], axis=1)
    scale = softplus_oracle(raw[:, 2 * k :])
    return special.logsumexp(log_w + stats.norm.logpdf(y[:, None], raw[:, k : 2 * k], scale), axis=1)


def mixture_studentt_logpdf(raw, y, k, df):
    """log sum_j softmax(a)_j t_df(y | m_j, softplus(s_j)) by scipy, raw = [a, m, s]."""
    log_w = special.log_softmax(raw[:, :k], axis=1)
    scale = softplus_oracle(raw[:, 2 * k :])
    return special.logsumexp(log_w + stats.t.logpdf(y[:, None], df, raw[:, k : 2 * k], scale),
                             axis=1)


def ordinal_probs(raw):
    """P(y = k) = expit(c_k - eta) - expit(c_{k-1} - eta), raw = [eta, c_0, softplus^-1 gaps].

    Of the two equal forms expit(u) - expit(l) and expit(-l) - expit(-u), the one
    subtracting the smaller numbers is taken, so no class loses its relative precision.
    """
    raw = np.atleast_2d(raw)
    eta = raw[:, :1]
    cut = np.cumsum(np.column_stack([raw[:, 1], softplus_oracle(raw[:, 2:])]), axis=1)
    n = raw.shape[0]
    upper = np.column_stack([cut, np.full(n, np.inf)]) - eta
    lower = np.column_stack([np.full(n, -np.inf), cut]) - eta
    return np.where(lower >= 0, special.expit(-lower) - special.expit(-upper),
                    special.expit(upper) - special.expit(lower))  # fmt: skip


def _ordinal_logpmf(raw, y):
    return np.log(ordinal_probs(raw)[np.arange(len(y)), y])


def nbinom_logpmf(y, mu, alpha):
    """NB2 through scipy: n = 1 / alpha successes, success probability 1 / (1 + alpha mu)."""
    return stats.nbinom.logpmf(y, 1 / alpha, 1 / (1 + alpha * mu))


def gamma_logpdf(y, mu, k):
    """Gamma with mean mu and shape k through scipy: a = k, scale = mu / k."""
    return stats.gamma.logpdf(y, k, scale=mu / k)


def zero_inflated_logpmf(y, pi, log_count_pmf, log_count_zero):
    """log P(y): pi + (1 - pi) p(0) at 0, (1 - pi) p(y) above, by scipy's log-pmf."""
    with np.errstate(divide="ignore"):
        zero = np.logaddexp(np.log(pi), np.log1p(-pi) + log_count_zero)
    return np.where(y == 0, zero, np.log1p(-pi) + log_count_pmf)


def _scale_underflows(row):
    return row[1] < 0


CASES = [
    Case(
        "bernoulli",
        "bernoulli",
        {},
        1,
        lambda rng, n: rng.integers(0, 2, n),
        _bernoulli_logpmf,
        canonical_mean=lambda raw: special.expit(raw[:, 0]),
    ),
    Case(
        "bernoulli-multilabel",
        "bernoulli",
        {},
        3,
        lambda rng, n: rng.integers(0, 2, (n, 3)),
        _bernoulli_logpmf,
        canonical_mean=lambda raw: special.expit(raw),
    ),
    Case(
        "categorical-labels",
        "categorical",
        {},
        4,
        lambda rng, n: np.r_[3, rng.integers(0, 4, n - 1)],  # label 3 present: C = 4
        _categorical_logpmf,
        canonical_mean=lambda raw: special.softmax(raw, axis=1),
    ),
    Case(
        "categorical-soft",
        "categorical",
        {},
        3,
        lambda rng, n: rng.dirichlet([0.5, 1.0, 2.0], n),
        _categorical_logpmf,
        canonical_mean=lambda raw: special.softmax(raw, axis=1),
    ),
    Case(
        "categorical-n_classes",
        "categorical",
        {"n_classes": 5},
        5,
        lambda rng, n: rng.integers(0, 3, n),  # classes 3 and 4 unseen
        _categorical_logpmf,
    ),
    Case(
        "normal-fixed",
        "normal-fixed",
        {},
        1,
        lambda rng, n: rng.normal(1.0, 2.0, n),
        lambda raw, y: stats.norm.logpdf(y, raw[:, 0], 1.0),
        canonical_mean=lambda raw: raw[:, 0],
    ),
    Case(
        "normal-fixed-scale2.5",
        "normal-fixed",
        {"scale": 2.5},
        1,
        lambda rng, n: rng.normal(-1.0, 3.0, n),
        lambda raw, y: stats.norm.logpdf(y, raw[:, 0], 2.5),
    ),
    Case(
        "normal",
        "normal",
        {},
        2,
        lambda rng, n: rng.normal(1.0, 2.0, n),
        lambda raw, y: stats.norm.logpdf(y, raw[:, 0], softplus_oracle(raw[:, 1])),
        overflow=_scale_underflows,
    ),
    Case(
        "laplace",
        "laplace",
        {},
        2,
        lambda rng, n: rng.laplace(0.5, 1.5, n),
        lambda raw, y: laplace_logpdf(y, raw[:, 0], softplus_oracle(raw[:, 1])),
        overflow=_scale_underflows,
    ),
    Case(
        "laplace-fixed-scale0.7",
        "laplace",
        {"scale": 0.7},
        1,
        lambda rng, n: rng.laplace(0.5, 0.7, n),
        lambda raw, y: laplace_logpdf(y, raw[:, 0], 0.7),
    ),
    Case(
        "poisson",
        "poisson",
        {},
        1,
        lambda rng, n: rng.poisson(3.0, n),
        lambda raw, y: stats.poisson.logpmf(y, np.exp(raw[:, 0])),
        overflow=lambda row: row[0] > 0,
        canonical_mean=lambda raw: np.exp(raw[:, 0]),
    ),
    Case(
        "studentt",
        "studentt",
        {},
        2,
        lambda rng, n: 1.0 + 2.0 * rng.standard_t(3.0, n),
        lambda raw, y: stats.t.logpdf(y, 3.0, raw[:, 0], softplus_oracle(raw[:, 1])),
    ),
    Case(
        "studentt-df1.5",
        "studentt",
        {"df": 1.5},
        2,
        lambda rng, n: rng.standard_t(1.5, n),
        lambda raw, y: stats.t.logpdf(y, 1.5, raw[:, 0], softplus_oracle(raw[:, 1])),
    ),
    # --- issue 10 part 2 (fam2): mixture-normal ---------------------------------------
    Case(
        "mixture-normal",
        "mixture-normal",
        {},
        9,
        lambda rng, n: modes(rng, n, [-4.0, 0.0, 5.0], [0.7, 1.0, 1.5]),
        lambda raw, y: mixture_normal_logpdf(raw, y, 3),
        overflow=lambda row: bool(np.all(row[6:] < 0)),
    ),
    Case(
        "mixture-normal-K2",
        "mixture-normal",
        {"n_components": 2},
        6,
        lambda rng, n: modes(rng, n, [-2.0, 3.0], [0.5, 1.0]),
        lambda raw, y: mixture_normal_logpdf(raw, y, 2),
        overflow=lambda row: bool(np.all(row[4:] < 0)),
    ),
    Case(
        "mixture-normal-K1",
        "mixture-normal",
        {"n_components": 1},
        3,
        lambda rng, n: rng.normal(1.0, 2.0, n),
        lambda raw, y: mixture_normal_logpdf(raw, y, 1),
        overflow=lambda row: bool(row[2] < 0),
    ),
    # --- issue 22: mixture-studentt (the mixture-normal's layout, Student-t components) --
    Case(
        "mixture-studentt",
        "mixture-studentt",
        {},
        9,
        lambda rng, n: modes(rng, n, [-4.0, 0.0, 5.0], [0.7, 1.0, 1.5]),
        lambda raw, y: mixture_studentt_logpdf(raw, y, 3, 3.0),
    ),
    Case(
        "mixture-studentt-K2-df1.5",
        "mixture-studentt",
        {"n_components": 2, "df": 1.5},
        6,
        lambda rng, n: modes(rng, n, [-2.0, 3.0], [0.5, 1.0]),
        lambda raw, y: mixture_studentt_logpdf(raw, y, 2, 1.5),
    ),
    # --- issue 10 part 2 (fam2): ordinal ----------------------------------------------
    Case(
        "ordinal",
        "ordinal",
        {},
        4,
        lambda rng, n: np.r_[0, 1, 2, 3, rng.integers(0, 4, n - 4)],  # every class: C = 4
        _ordinal_logpmf,
    ),
    Case(
        "ordinal-n_classes3",
        "ordinal",
        {"n_classes": 3},
        3,
        lambda rng, n: np.r_[0, 1, 2, rng.choice(3, n - 3, p=[0.2, 0.5, 0.3])],
        _ordinal_logpmf,
    ),
    Case(
        "ordinal-two-classes",
        "ordinal",
        {},
        2,
        lambda rng, n: np.r_[0, 1, rng.integers(0, 2, n - 2)],
        _ordinal_logpmf,
    ),
    # --- fam1 (issue 10 part 2): negative-binomial, gamma, log-normal, beta
    Case(
        "negative-binomial",
        "negative-binomial",
        {},
        2,
        lambda rng, n: rng.negative_binomial(2.0, 1 / 3, n),  # mu = 4, alpha = 1/2
        lambda raw, y: nbinom_logpmf(y, np.exp(raw[:, 0]), softplus_oracle(raw[:, 1])),
        # mu = e^1e4 beyond the float range with alpha ~ 0: the NLL ~ mu is too
        overflow=lambda row: row[0] > 0 and row[1] < 0,
    ),
    Case(
        "gamma",
        "gamma",
        {},
        2,
        lambda rng, n: rng.gamma(2.0, 1.5, n),
        lambda raw, y: gamma_logpdf(y, np.exp(raw[:, 0]), softplus_oracle(raw[:, 1])),
        # y / mu = y e^1e4 beyond the float range with k = 1e4: the NLL ~ k y / mu is too
        overflow=lambda row: row[0] < 0 and row[1] > 0,
    ),
    # --- issue 25: survival times
    Case(
        "weibull",
        "weibull",
        {},
        2,
        lambda rng, n: 1.5 * rng.weibull(1.3, n),
        lambda raw, y: stats.weibull_min.logpdf(y, softplus_oracle(raw[:, 1]),
                                                scale=np.exp(raw[:, 0])),  # fmt: skip
        # (t / lambda)^k = (t e^1e4)^1e4 beyond the float range: the NLL is too
        overflow=lambda row: row[0] < 0 and row[1] > 0,
    ),
    Case(
        "log-logistic",
        "log-logistic",
        {},
        2,
        lambda rng, n: stats.fisk.rvs(2.5, scale=1.5, size=n, random_state=rng),
        lambda raw, y: stats.fisk.logpdf(y, softplus_oracle(raw[:, 1]), scale=np.exp(raw[:, 0])),
    ),
    # --- issue 25: excess zeros (the point mass at 0 mixed in by scipy's pmf, written out)
    Case(
        "zero-inflated-poisson",
        "zero-inflated-poisson",
        {},
        2,
        # positive counts first: the extreme-raw corners (8 rows at most) overflow only there
        lambda rng, n: np.r_[1 + rng.poisson(3.0, 8),
                             np.where(rng.random(n) < 0.3, 0, rng.poisson(3.0, n))][:n],
        lambda raw, y: zero_inflated_logpmf(
            y, special.expit(raw[:, 1]), stats.poisson.logpmf(y, np.exp(raw[:, 0])),
            stats.poisson.logpmf(0, np.exp(raw[:, 0]))),
        # lambda = e^1e4 beyond the float range: the NLL of a positive count ~ lambda is too
        overflow=lambda row: row[0] > 0,
    ),
    Case(
        "zero-inflated-negative-binomial",
        "zero-inflated-negative-binomial",
        {},
        3,
        # mu = 4, alpha = 1: overdispersed enough that the constant MLE has alpha > 0
        lambda rng, n: np.r_[1 + rng.negative_binomial(1.0, 0.2, 8), np.where(
            rng.random(n) < 0.3, 0, rng.negative_binomial(1.0, 0.2, n))][:n],
        lambda raw, y: zero_inflated_logpmf(
            y, special.expit(raw[:, 2]),
            nbinom_logpmf(y, np.exp(raw[:, 0]), softplus_oracle(raw[:, 1])),
            nbinom_logpmf(0, np.exp(raw[:, 0]), softplus_oracle(raw[:, 1]))),
        # as the negative binomial's: mu = e^1e4 with alpha ~ 0
        overflow=lambda row: row[0] > 0 and row[1] < 0,
    ),
    Case(
        "hurdle-poisson",
        "hurdle-poisson",
        {},
        2,
        lambda rng, n: np.r_[1 + rng.poisson(3.0, 8),
                             np.where(rng.random(n) < 0.3, 0, 1 + rng.poisson(2.0, n))][:n],
        lambda raw, y: np.where(
            y == 0, np.log(special.expit(raw[:, 1])),
            np.log(special.expit(-raw[:, 1])) + stats.poisson.logpmf(y, np.exp(raw[:, 0]))
            - stats.poisson.logsf(0, np.exp(raw[:, 0]))),
        overflow=lambda row: row[0] > 0,  # lambda = e^1e4: the positive counts' NLL ~ lambda
    ),
    Case(
        "hurdle-negative-binomial",
        "hurdle-negative-binomial",
        {},
        3,
        lambda rng, n: np.r_[1 + rng.negative_binomial(1.0, 0.2, 8), np.where(
            rng.random(n) < 0.3, 0, 1 + rng.negative_binomial(1.0, 0.2, n))][:n],
        lambda raw, y: np.where(
            y == 0, np.log(special.expit(raw[:, 2])),
            np.log(special.expit(-raw[:, 2]))
            + nbinom_logpmf(y, np.exp(raw[:, 0]), softplus_oracle(raw[:, 1]))
            - stats.nbinom.logsf(0, 1 / softplus_oracle(raw[:, 1]),
                                 1 / (1 + softplus_oracle(raw[:, 1]) * np.exp(raw[:, 0])))),
        # as the negative binomial's: mu = e^1e4 with alpha ~ 0
        overflow=lambda row: row[0] > 0 and row[1] < 0,
    ),
    Case(
        "log-normal",
        "log-normal",
        {},
        2,
        lambda rng, n: rng.lognormal(0.5, 0.8, n),
        lambda raw, y: stats.lognorm.logpdf(y, softplus_oracle(raw[:, 1]), scale=np.exp(raw[:, 0])),
        overflow=_scale_underflows,
    ),
    Case(
        "beta",
        "beta",
        {},
        2,
        lambda rng, n: rng.beta(2.0, 5.0, n),
        lambda raw, y: stats.beta.logpdf(
            y, special.expit(raw[:, 0]) * softplus_oracle(raw[:, 1]),
            special.expit(-raw[:, 0]) * softplus_oracle(raw[:, 1])),
    ),
]
CASE_IDS = [c.id for c in CASES]
CANONICAL = [c for c in CASES if c.canonical_mean is not None]
LOCATION_SCALE = ["normal", "laplace", "studentt"]


def rng_for(case: Case, salt: int = 0) -> np.random.Generator:
    return np.random.default_rng([CASE_IDS.index(case.id), salt])


def target_matrix(case: Case, y: np.ndarray) -> np.ndarray:
    """Targets in the layout of the raw outputs (one-hot for labels)."""
    if case.name == "categorical" and y.ndim == 1:
        return onehot(y, case.n_raw)
    return y.reshape(len(y), -1)


def finite_difference(f, raw, h=1e-3):
    """4th-order central differences of the per-example f with respect to each raw column.

    ``h`` is a step, or an array broadcastable to ``raw`` (one step per entry).
    """
    h = np.broadcast_to(h, raw.shape)
    grad = np.empty_like(raw)
    for j in range(raw.shape[1]):
        step = np.zeros_like(raw)
        step[:, j] = h[:, j]
        grad[:, j] = (
            -f(raw + 2 * step) + 8 * f(raw + step) - 8 * f(raw - step) + f(raw - 2 * step)
        ) / (12 * h[:, j])
    return grad


# --------------------------------------------------------------------- registry
def test_every_registered_family_has_an_example():
    missing = set(FAMILIES) - {c.name for c in CASES}
    assert not missing, f"registered families without a test example: {sorted(missing)}"


def test_registry_names():
    names = {"bernoulli", "categorical", "normal-fixed", "normal", "laplace", "poisson", "studentt"}
    assert names <= set(FAMILIES)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_params_round_trip_through_json(case):
    family = case.family()
    params = json.loads(json.dumps(family.get_params()))
    assert get_family(case.name, **params) == family
    assert family.name == case.name and family.loss_name and family.link


def test_get_family_errors_name_the_choices():
    with pytest.raises(ValueError, match="unknown family 'no-such-family'.*bernoulli"):
        get_family("no-such-family")
    with pytest.raises(ValueError, match="takes df; found unknown parameter.*scale"):
        get_family("studentt", scale=1.0)
    with pytest.raises(ValueError, match="scale must be a finite number > 0; found -1"):
        get_family("normal-fixed", scale=-1)
    family = get_family("poisson")
    assert get_family(family) is family


def test_register_family_rejects_a_taken_name():
    class Impostor(Family):
        name = "poisson"

    with pytest.raises(ValueError, match="already taken"):
        register_family(Impostor)
    assert FAMILIES["poisson"] is not Impostor


# ----------------------------------------------------------- nll against scipy
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_nll_matches_scipy(case):
    rng = rng_for(case)
    raw = rng.uniform(-5, 5, (50, case.n_raw))
    y = case.make_y(rng, 50)
    expected = -case.logpdf(raw, y)
    assert_allclose(case.family().nll(raw, y), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", LOCATION_SCALE)
def test_log_scale_stays_exact_where_softplus_is_tiny(name):
    # sigma = softplus(z) ~ e^z: the stable branch for z < -20 against scipy
    z = np.array([-700.0, -300.0, -40.0, -20.5, -20.0, -19.5, -3.0])
    sigma = softplus_oracle(z)
    raw = np.column_stack([np.zeros_like(z), z])
    y = 0.5 * sigma  # r = 1/2 whatever the scale
    oracle = {
        "normal": stats.norm.logpdf(y, 0.0, sigma),
        "laplace": laplace_logpdf(y, 0.0, sigma),
        "studentt": stats.t.logpdf(y, 3.0, 0.0, sigma),
    }[name]
    family = get_family(name)
    assert_allclose(family.nll(raw, y), -oracle, rtol=1e-12)
    # the NLL varies with mu on the scale sigma: step in mu relative to sigma
    steps = np.column_stack([1e-3 * sigma, np.full_like(z, 1e-3)])
    fd = finite_difference(lambda r: family.nll(r, y), raw, steps)
    assert_allclose(family.gradient(raw, y), fd, rtol=1e-6)


@pytest.mark.parametrize("name", LOCATION_SCALE)
def test_nll_at_underflowed_scale_with_exact_fit_is_log_scale(name):
    # y == mu, sigma = softplus(-1e4) ~ e^-1e4: nll = log sigma - log p(0 | 0, 1) = -1e4 + const
    const = {
        "normal": -stats.norm.logpdf(0.0),
        "laplace": -stats.laplace.logpdf(0.0),
        "studentt": -stats.t.logpdf(0.0, 3.0),
    }[name]
    for dtype in (np.float32, np.float64):
        raw = np.array([[0.25, -1e4]], dtype=dtype)
        loss, grad = get_family(name).loss_gradient(raw, np.array([0.25]))
        assert_allclose(loss, [-1e4 + const], rtol=1e-6)
        # d nll / d mu = 0 at y = mu; d nll / d z2 = d log(sigma) / dz2 -> 1
        assert_allclose(grad, [[0.0, 1.0]], atol=1e-6)


def test_studentt_nll_stays_finite_where_sigma_underflows():
    # log(1 + r^2/nu) ~ 2 log|y - mu| - 2 log sigma - log nu for huge r (hand-worked)
    nu, z, d = 3.0, -1e4, 2.0
    raw = np.array([[0.0, z]])
    log1p_q = 2 * math.log(d) - 2 * z - math.log(nu)
    expected = 0.5 * (nu + 1) * log1p_q + z - stats.t.logpdf(0.0, nu)
    assert_allclose(get_family("studentt").nll(raw, [d]), [expected], rtol=1e-12)


# ---------------------------------------------------------------- the gradient
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_gradient_matches_finite_differences(case):
    rng = rng_for(case, 1)
    raw = rng.uniform(-30, 30, (40, case.n_raw))
    y = case.make_y(rng, 40)
    family = case.family()
    fd = finite_difference(lambda r: family.nll(r, y), raw)
    # The oracle's own rounding: each NLL value carries a few ulps of |nll|, and the
    # stencil's coefficients (18 in all) over 12 h turn that into an absolute error of
    # about 1.5 * ulps * eps * |nll| / h. It matters where a row's NLL is huge (scales
    # near e^-30) and one of its gradient entries is O(1) or 0 (a mixture's far-off
    # components): a difference of 2^-17 at nll = 1e12 is noise, not a gradient.
    noise = 8 * np.finfo(np.float64).eps * np.abs(family.nll(raw, y)) / 1e-3
    grad = family.gradient(raw, y)
    within = np.abs(grad - fd) <= 1e-9 + noise[:, None] + 1e-6 * np.abs(fd)
    assert within.all(), (grad[~within], fd[~within])


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_loss_gradient_is_nll_and_gradient(case):
    rng = rng_for(case, 2)
    raw = rng.normal(0, 3, (30, case.n_raw))
    y = case.make_y(rng, 30)
    family = case.family()
    loss, grad = family.loss_gradient(raw, y)
    assert_allclose(loss, family.nll(raw, y), rtol=1e-14)
    assert_allclose(grad, family.gradient(raw, y), rtol=1e-14)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_sample_weight_multiplies(case):
    rng = rng_for(case, 3)
    raw = rng.normal(0, 3, (30, case.n_raw))
    y = case.make_y(rng, 30)
    w = rng.uniform(0, 3, 30)
    w[:5] = 0
    family = case.family()
    loss, grad = family.loss_gradient(raw, y, sample_weight=w)
    assert_allclose(family.nll(raw, y, w), w * family.nll(raw, y), rtol=1e-14)
    assert_allclose(loss, w * family.nll(raw, y), rtol=1e-14)
    assert_allclose(grad, w[:, None] * family.gradient(raw, y), rtol=1e-14)
    with pytest.raises(ValueError, match="sample_weight must be finite and non-negative"):
        family.nll(raw, y, sample_weight=-w)


@pytest.mark.parametrize("case", CANONICAL, ids=[c.id for c in CANONICAL])
def test_canonical_pairs_have_gradient_mean_minus_target(case):
    rng = rng_for(case, 4)
    raw = rng.normal(0, 2, (30, case.n_raw))
    y = case.make_y(rng, 30)
    family = case.family()
    mean = case.canonical_mean(raw).reshape(30, -1)
    gradient = family.gradient(raw, y).reshape(30, -1)
    assert_allclose(gradient, mean - target_matrix(case, y), rtol=1e-10, atol=1e-14)
    assert_allclose(np.reshape(family.mean(raw), (30, -1)), mean, rtol=1e-12)


# ------------------------------------------------------- extreme raw, dtypes
def corners(n_raw: int) -> np.ndarray:
    """Every combination of -1e4 and +1e4 over the raw columns."""
    grid = np.array(np.meshgrid(*[[-1e4, 1e4]] * n_raw, indexing="ij"))
    return grid.reshape(n_raw, -1).T


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_extreme_raw_gives_finite_results(case, dtype):
    raw = corners(case.n_raw).astype(dtype)
    y = case.make_y(rng_for(case, 5), raw.shape[0])
    family = case.family()
    loss, grad = family.loss_gradient(raw, y)
    assert loss.dtype == dtype and grad.dtype == dtype
    assert not np.isnan(loss).any() and not np.isnan(grad).any()
    beyond = np.array([case.overflow(row) for row in raw])
    # finite wherever the exact value is representable ...
    assert np.isfinite(loss[~beyond]).all() and np.isfinite(grad[~beyond]).all()
    # ... and +inf (not nan, not a clipped number) where it is not
    assert (loss[beyond] == np.inf).all()


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_float32_in_float32_out(case):
    rng = rng_for(case, 6)
    raw = rng.normal(0, 2, (20, case.n_raw))
    y = case.make_y(rng, 20)
    family = case.family()
    loss32, grad32 = family.loss_gradient(raw.astype(np.float32), y, sample_weight=np.ones(20))
    assert loss32.dtype == np.float32 and grad32.dtype == np.float32
    assert family.mean(raw.astype(np.float32)).dtype == np.float32
    assert not np.shares_memory(family.mean(raw), raw)  # predictions never alias the input
    loss64, grad64 = family.loss_gradient(raw.astype(np.float32).astype(np.float64), y)
    assert_allclose(loss32, loss64, rtol=1e-4, atol=1e-4)
    assert_allclose(grad32, grad64, rtol=1e-3, atol=1e-5)
    # integer raw outputs are promoted to float64
    assert family.nll(np.round(raw).astype(int), y).dtype == np.float64


@pytest.mark.parametrize("case", [c for c in CASES if c.n_raw == 1], ids=lambda c: c.id)
def test_one_output_accepts_1d_raw(case):
    rng = rng_for(case, 7)
    raw = rng.normal(0, 2, 25)
    y = case.make_y(rng, 25)
    family = case.family()
    assert_array_equal(family.nll(raw, y), family.nll(raw[:, None], y))
    grad = family.gradient(raw, y)
    assert grad.shape == (25,)
    assert_array_equal(grad, family.gradient(raw[:, None], y)[:, 0])


# ------------------------------------------------------------- constant_raw
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_constant_raw_minimises_the_summed_nll(case):
    rng = rng_for(case, 8)
    y = case.make_y(rng, 40)
    w = rng.uniform(0.2, 2.0, 40)
    family = case.family()
    theta = family.constant_raw(y, sample_weight=w)
    assert theta.shape == (family.n_outputs(y),)
    if case.name in ("mixture-normal", "mixture-studentt"):
        # A constant mixture's likelihood has no unique maximiser (relabelled components;
        # a component shrunk onto one point makes it unbounded), so constant_raw promises a
        # local minimum from a deterministic start: checked below by its own oracles.
        return check_local_minimum(case, theta, y, w)
    if case.id == "categorical-n_classes":
        # classes 3 and 4 never occur: their MLE logit is -inf; check the seen ones
        assert np.all(theta[3:] == -np.inf)
        case = Case(case.id, case.name, {}, 3, case.make_y, case.logpdf)
        theta = theta[:3]

    def summed_nll(t):
        raw = np.broadcast_to(t, (len(y), len(t)))
        return -np.sum(w * case.logpdf(raw, y))

    start = np.zeros(case.n_raw)
    result = optimize.minimize(
        summed_nll,
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 40000, "maxfev": 40000},
    )
    assert summed_nll(theta) <= result.fun + 1e-9 * abs(result.fun)
    if case.name == "categorical":  # logits are only defined up to a constant
        assert_allclose(special.softmax(theta), special.softmax(result.x), atol=1e-5)
    elif case.name == "ordinal":  # only c_k - eta is defined: compare the probabilities
        assert_allclose(ordinal_probs(theta), ordinal_probs(result.x), atol=1e-5)
    else:
        assert_allclose(theta, result.x, atol=1e-4)


def check_local_minimum(case, theta, y, w):
    """theta is a strict local minimum of the summed scipy NLL, up to a common logit shift.

    Oracles: finite differences of the scipy log-density (gradient ~ 0, Hessian positive
    definite off the direction that adds a constant to every logit, which softmax ignores),
    and Nelder-Mead started at theta finding nothing lower.
    """
    k = case.n_raw // 3

    def summed_nll(t):
        return -np.sum(w * case.logpdf(np.broadcast_to(t, (len(y), len(t))), y))

    def fd_gradient(t, h=1e-4):
        return finite_difference(lambda r: np.array([summed_nll(row) for row in r]), t[None], h)[0]

    gradient = fd_gradient(theta)
    assert np.max(np.abs(gradient)) < 1e-6 * np.sum(w)
    hessian = np.array([
        (fd_gradient(theta + 1e-4 * e) - fd_gradient(theta - 1e-4 * e)) / 2e-4
        for e in np.eye(len(theta))
    ])  # fmt: skip
    shift = np.r_[np.ones(k), np.zeros(2 * k)] / math.sqrt(k)
    basis = np.linalg.svd(np.eye(len(theta)) - np.outer(shift, shift))[0][:, :-1]
    curvature = np.linalg.eigvalsh(basis.T @ (0.5 * (hessian + hessian.T)) @ basis)
    assert curvature.min() > 1e-3 * curvature.max(), curvature
    result = optimize.minimize(
        summed_nll, theta, method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 40000, "maxfev": 40000},
    )  # fmt: skip
    assert summed_nll(theta) <= result.fun + 1e-9 * abs(result.fun)
    # the same mixture: weights, means and scales (logits up to a constant)
    assert_allclose(special.softmax(theta[:k]), special.softmax(result.x[:k]), atol=1e-5)
    assert_allclose(theta[k:], result.x[k:], atol=1e-4)
    # means returned in increasing order, logits normalised
    assert np.all(np.diff(theta[k : 2 * k]) >= 0)
    assert_allclose(special.logsumexp(theta[:k]), 0.0, atol=1e-12)


def test_constant_raw_closed_forms_by_hand():
    # Bernoulli data 0,0,0,1,0: p = 1/5, logit = log(1/4)
    bernoulli = get_family("bernoulli")
    assert_allclose(bernoulli.constant_raw([0, 0, 0, 1, 0]), [math.log(0.25)])
    # Normal data -1, 0, 1: mu = 0, sigma = sqrt(2/3)
    z = get_family("normal").constant_raw([-1.0, 0.0, 1.0])
    assert_allclose([z[0], softplus_oracle(z[1])], [0.0, math.sqrt(2 / 3)], atol=1e-15)
    # Laplace data 1, 2, 10: median 2, mean |y - 2| = 3
    z = get_family("laplace").constant_raw([1.0, 2.0, 10.0])
    assert_allclose([z[0], softplus_oracle(z[1])], [2.0, 3.0], rtol=1e-14)
    # Poisson data 1, 2, 6: log(3)
    assert_allclose(get_family("poisson").constant_raw([1, 2, 6]), [math.log(3.0)])
    # the MLE of a label that never varies is at infinity
    assert_array_equal(get_family("bernoulli").constant_raw([1, 1, 1]), [np.inf])


# --------------------------------------------------------- family identities
@pytest.mark.parametrize("scale", [1.0, 0.3, 2.5])
def test_normal_fixed_is_half_squared_error_plus_constant(scale):
    rng = np.random.default_rng(10)
    mu, y = rng.normal(size=20), rng.normal(size=20)
    const = math.log(scale) + 0.5 * math.log(2 * math.pi)
    expected = 0.5 * (y - mu) ** 2 / scale**2 + const
    assert_allclose(get_family("normal-fixed", scale=scale).nll(mu, y), expected, rtol=1e-13)


def test_laplace_fixed_is_absolute_error_plus_constant():
    rng = np.random.default_rng(11)
    mu, y = rng.normal(size=20), rng.normal(size=20)
    expected = np.abs(y - mu) / 0.5 + math.log(2 * 0.5)
    assert_allclose(get_family("laplace", scale=0.5).nll(mu, y), expected, rtol=1e-13)


def test_categorical_one_hot_rows_equal_integer_labels():
    rng = np.random.default_rng(12)
    raw = rng.normal(0, 4, (30, 5))
    labels = np.r_[4, rng.integers(0, 5, 29)]
    family = get_family("categorical")
    rows = onehot(labels, 5)
    assert_allclose(family.nll(raw, rows), family.nll(raw, labels), rtol=1e-14)
    assert_allclose(family.gradient(raw, rows), family.gradient(raw, labels), atol=1e-15)


def test_two_class_categorical_equals_bernoulli_of_the_logit_difference():
    rng = np.random.default_rng(13)
    raw = rng.normal(0, 5, (40, 2))
    y = rng.integers(0, 2, 40)
    diff = raw[:, 1] - raw[:, 0]
    cat, ber = get_family("categorical"), get_family("bernoulli")
    assert_allclose(cat.nll(raw, y), ber.nll(diff, y), rtol=1e-12)
    # chain rule: d/dz1 = d/d(diff), d/dz0 = -d/d(diff)
    g = ber.gradient(diff, y)
    expected = np.column_stack([-g, g])
    assert_allclose(cat.gradient(raw, y), expected, rtol=1e-12)


def test_confident_categorical_keeps_relative_precision():
    # pi_0 = 1 / (1 + 2 e^-40): nll = log1p(2 e^-40), d nll / dz_0 = pi_0 - 1 (by hand)
    tiny = 2 * math.exp(-40)
    loss, grad = get_family("categorical").loss_gradient(np.array([[40.0, 0.0, 0.0]]), [0])
    assert_allclose(loss, [math.log1p(tiny)], rtol=1e-14)
    assert_allclose(grad, [[-tiny / (1 + tiny), tiny / 2 / (1 + tiny), tiny / 2 / (1 + tiny)]], rtol=1e-14)


def test_multilabel_bernoulli_is_the_sum_of_single_labels():
    rng = np.random.default_rng(14)
    raw = rng.normal(0, 3, (20, 3))
    y = rng.integers(0, 2, (20, 3))
    family = get_family("bernoulli")
    singles = sum(family.nll(raw[:, j], y[:, j]) for j in range(3))
    assert_allclose(family.nll(raw, y), singles, rtol=1e-13)


def test_n_outputs():
    assert get_family("bernoulli").n_outputs([0, 1, 1]) == 1
    assert get_family("bernoulli").n_outputs(np.zeros((4, 3))) == 3
    assert get_family("categorical").n_outputs([0, 2, 1]) == 3
    assert get_family("categorical", n_classes=6).n_outputs([0, 2, 1]) == 6
    assert get_family("categorical").n_outputs(np.full((2, 4), 0.25)) == 4
    assert get_family("normal-fixed").n_outputs([0.5]) == 1
    assert get_family("normal").n_outputs([0.5]) == 2
    assert get_family("laplace").n_outputs([0.5]) == 2
    assert get_family("laplace", scale=1.0).n_outputs([0.5]) == 1
    assert get_family("poisson").n_outputs([3]) == 1
    assert get_family("studentt").n_outputs([0.5]) == 2
    assert get_family("mixture-normal").n_outputs([0.5]) == 9
    assert get_family("mixture-normal", n_components=2).n_outputs([0.5]) == 6
    assert get_family("ordinal").n_outputs([0, 4, 1]) == 5
    assert get_family("ordinal").n_outputs([0, 0]) == 2  # at least two classes
    assert get_family("ordinal", n_classes=6).n_outputs([0, 2]) == 6
    assert get_family("negative-binomial").n_outputs([3]) == 2
    assert get_family("gamma").n_outputs([0.5]) == 2
    assert get_family("log-normal").n_outputs([0.5]) == 2
    assert get_family("beta").n_outputs([0.5]) == 2


# ----------------------------------------------------- distribution objects
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_nll_is_minus_distribution_log_prob(case):
    rng = rng_for(case, 9)
    raw = rng.uniform(-4, 4, (30, case.n_raw))
    y = case.make_y(rng, 30)
    family = case.family()
    dist = family.distribution(raw)
    if case.id == "categorical-soft":  # log_prob takes class indices: check each class
        labels = rng.integers(0, case.n_raw, 30)
        assert_allclose(-dist.log_prob(labels), family.nll(raw, labels), rtol=1e-12)
        return
    log_prob = np.asarray(dist.log_prob(y))
    if log_prob.ndim == 2:  # independent labels: the joint log-probability is the sum
        log_prob = log_prob.sum(axis=1)
    assert_allclose(-log_prob, family.nll(raw, y), rtol=1e-12, atol=1e-13)
    # a classifier's family.mean is predict_proba: the class probabilities
    mean = np.asarray(dist.probs if family.is_classifier else dist.mean)
    assert_allclose(mean, family.mean(raw), rtol=1e-12)


# ----------------------------------------------------------- target errors
@pytest.mark.parametrize(
    "name, params, y, fragments",
    [
        ("bernoulli", {}, [0, 1, 2, 1, 2], ["must be 0 or 1", "found 2 at rows [2, 4]"]),
        ("bernoulli", {}, [[0, 1], [0.5, 1]], ["must be 0 or 1", "found 0.5 at row [1]"]),
        ("bernoulli", {}, ["cat", "dog"], ["Bernoulli targets must be 0 or 1", "cat, dog"]),
        ("categorical", {}, [0, -1, 1.5, 2], ["integers 0, 1, ..., C-1", "-1, 1.5 at rows [1, 2]"]),
        ("categorical", {"n_classes": 3}, [0, 3, 1], ["below n_classes=3", "found 3 at row [1]"]),
        ("categorical", {}, [[0.5, 0.6], [0.5, 0.5]], ["sum to 1", "found 1.1 at row [0]"]),
        ("categorical", {}, [[1.5, -0.5], [0.5, 0.5]], ["must be >= 0", "row [0]"]),
        ("normal", {}, [0.0, np.nan, 1.0, np.inf], ["finite real", "inf, nan at rows [1, 3]"]),
        ("normal-fixed", {}, [0.0, -np.inf], ["finite real numbers", "-inf at row [1]"]),
        ("laplace", {}, [np.nan], ["finite real numbers", "row [0]"]),
        ("studentt", {}, [1.0, np.inf], ["finite real numbers", "row [1]"]),
        ("poisson", {}, [3, -1, 2.5, 0], ["non-negative integer", "-1, 2.5 at rows [1, 2]"]),
        ("mixture-normal", {}, [0.5, np.nan, -np.inf], ["Mixture-normal targets must be finite",
                                                         "-inf, nan at rows [1, 2]"]),
        ("ordinal", {}, [0, -1, 1.5, 2], ["integers 0, 1, ..., C-1", "-1, 1.5 at rows [1, 2]"]),
        ("ordinal", {"n_classes": 3}, [0, 3, 1, 4], ["below n_classes=3", "found 3, 4 at rows [1, 3]"]),
        ("ordinal", {}, ["low", 1], ["Ordinal targets must be class indices", "low at row [0]"]),
        ("ordinal", {}, [[0, 1], [1, 2]], ["class indices of shape (n_samples,)", "(2, 2)"]),
        # fam1
        ("negative-binomial", {}, [3, -1, 2.5, 0, np.nan],
         ["Negative binomial targets must be non-negative integer",
          "-1, 2.5, nan at rows [1, 2, 4]"]),
        ("gamma", {}, [1.0, 0.0, -2.0, np.inf, 3.0],
         ["Gamma targets must be finite and > 0", "-2, 0, inf at rows [1, 2, 3]"]),
        ("log-normal", {}, [0.5, np.nan, -0.1],
         ["Log-normal targets must be finite and > 0", "-0.1, nan at rows [1, 2]"]),
        ("beta", {}, [0.5, 0.0, 1.0, 0.2, np.nan],
         ["strictly between 0 and 1", "0, 1, nan at rows [1, 2, 4]", "transform"]),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_check_target_errors_name_values_and_rows(name, params, y, fragments):
    with pytest.raises(ValueError) as info:
        get_family(name, **params).check_target(y)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_raw_shape_errors_say_what_was_expected():
    expected = r"expects raw outputs of shape \(n_samples, 2\); found shape \(3, 1\)"
    with pytest.raises(ValueError, match=expected):
        get_family("normal").nll(np.zeros((3, 1)), [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match=r"same number of rows; found 3 raw rows and 2 targets"):
        get_family("poisson").nll(np.zeros(3), [1, 2])
    expected = r"labels must be in 0..2 for 3 raw output columns; found 3, 5 at rows \[1, 2\]"
    with pytest.raises(ValueError, match=expected):
        get_family("categorical").nll(np.zeros((3, 3)), [0, 3, 5])


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_derivation_walks_from_likelihood_to_gradient(case):
    text = case.family().derivation()
    positions = [text.find(word) for word in ("Likelihood", "Log-likelihood", "Loss", "Gradient")]
    assert -1 not in positions and positions == sorted(positions)
    assert 8 <= len(text.splitlines()) <= 25
    latex = case.family().derivation(latex=True)
    assert latex.startswith(r"\begin{aligned}") and r"\partial L" in latex


# -------------------------------------------------------- property tests
finite_raw = st.floats(-1e4, 1e4, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    raw=hnp.arrays(np.float64, (6, 3), elements=finite_raw),
    labels=hnp.arrays(np.int64, 6, elements=st.integers(0, 2)),
    shift=st.floats(-1e3, 1e3),
)
def test_categorical_properties(raw, labels, shift):
    family = get_family("categorical")
    loss, grad = family.loss_gradient(raw, labels)
    # a probability is at most 1, so its NLL is at least 0; and finite at any finite raw
    assert np.all(loss >= 0) and np.isfinite(loss).all() and np.isfinite(grad).all()
    # softmax ignores a constant added to every logit
    assert_allclose(family.nll(raw + shift, labels), loss, rtol=1e-9, atol=1e-9)
    # each gradient row is a difference of two probability vectors: it sums to 0
    assert_allclose(grad.sum(axis=1), 0, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    raw=hnp.arrays(np.float64, 8, elements=finite_raw),
    y=hnp.arrays(np.int64, 8, elements=st.integers(0, 1)),
)
def test_bernoulli_properties(raw, y):
    family = get_family("bernoulli")
    loss, grad = family.loss_gradient(raw, y)
    assert np.all(loss >= 0) and np.isfinite(loss).all()
    # relabelling 0 <-> 1 and negating the logit gives the same model
    assert_array_equal(family.nll(-raw, 1 - y), loss)
    # p - y lies in [-1, 1] with the sign of (1 - 2y) (never pointing the wrong way)
    assert np.all(np.abs(grad) <= 1) and np.all(grad * (1 - 2 * y) >= 0)


@settings(max_examples=60, deadline=None)
@given(
    mu=st.floats(-50, 50),
    z=st.floats(-15, 15),
    y=st.floats(-50, 50),
    df=st.floats(0.5, 50),
)
def test_location_scale_nll_matches_scipy_over_parameter_ranges(mu, z, y, df):
    raw = np.array([[mu, z]])
    sigma = softplus_oracle(z)
    normal = get_family("normal").nll(raw, [y])
    laplace = get_family("laplace").nll(raw, [y])
    studentt = get_family("studentt", df=df).nll(raw, [y])
    assert_allclose(normal, -stats.norm.logpdf(y, mu, sigma), rtol=1e-10)
    assert_allclose(laplace, -laplace_logpdf(y, mu, sigma), rtol=1e-10)
    assert_allclose(studentt, -stats.t.logpdf(y, df, mu, sigma), rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(z=st.floats(-30, 30), y=st.integers(0, 10_000))
def test_poisson_matches_scipy_over_counts(z, y):
    family = get_family("poisson")
    expected = -stats.poisson.logpmf(y, math.exp(z))
    assert_allclose(family.nll([z], [y]), expected, rtol=1e-9)


# ------------------------------------------------- what a family declares (issue 10)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_declarations_are_consistent(case):
    """Each family's class data is what the other layers may rely on."""
    import inspect

    from probnn.families import SUPPORTS, TARGET_KINDS

    family = case.family()
    cls = type(family)
    assert cls.support in SUPPORTS
    assert cls.target_kinds and set(cls.target_kinds) <= set(TARGET_KINDS)
    assert set(cls.default_for) <= set(cls.target_kinds)
    accepted = [
        name for name, p in inspect.signature(cls.__init__).parameters.items()
        if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]  # fmt: skip
    assert sorted(cls.fixed_params) == sorted(accepted) == sorted(family.get_params())
    assert set(cls.scale_params) <= set(cls.fixed_params)
    assert set(cls.estimated_params) <= set(cls.fixed_params)
    assert cls.out_activation and cls.param_names
    rng = rng_for(case, 21)
    raw = rng.uniform(-2, 2, (7, case.n_raw))
    dist = family.distribution(raw)
    columns = family.parameter_columns(dist)
    assert all(np.shape(v) == (7,) for v in columns.values()), columns
    if cls.location_scale:
        # shift + scale * Y: its quantiles are the shifted and scaled quantiles of Y (and
        # its log-density at shift + scale * y is Y's minus log(scale))
        q = np.array([0.1, 0.5, 0.9])[:, None]
        mapped = dist.affine(3.0, 2.5)
        assert_allclose(mapped.icdf(q), 3.0 + 2.5 * dist.icdf(q), rtol=1e-6)
        y = case.make_y(rng, 7)
        assert_allclose(mapped.log_prob(3.0 + 2.5 * y), dist.log_prob(y) - math.log(2.5),
                        rtol=1e-6, atol=1e-9)  # fmt: skip


def test_every_target_kind_has_a_default_family():
    from probnn.families import TARGET_KINDS, default_family, families_for

    for kind in TARGET_KINDS:
        names = families_for(kind)
        assert names[0] == default_family(kind)
        assert all(kind in FAMILIES[n].target_kinds for n in names)


def test_get_family_refuses_a_parameter_outside_its_constraint():
    with pytest.raises(ValueError, match="scale must be a finite number > 0"):
        get_family("normal-fixed", scale=-1.0)
