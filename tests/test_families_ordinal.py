"""The ordinal family and the OrderedLogistic distribution against independent oracles.

Oracles: differences of scipy.special.expit (the form that subtracts small numbers),
scipy.stats (entropy, moments), scipy.optimize on the summed NLL, the Bernoulli family
(two classes), PyTorch autograd, hand-worked cases, and the true conditional
probabilities of a synthetic proportional-odds task. The registry-wide tests in
test_families.py cover the rest (finite differences, +-1e4, dtypes, derivation).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from scipy import optimize, special, stats

from probnn.distributions import OrderedLogistic
from probnn.families import get_family
from probnn.network import MLP, Trainer


def softplus_inverse_oracle(s):
    return np.log(np.expm1(s))


def class_probs(eta, cut):
    """P(Y = k) by differences of expit, subtracting the smaller pair of numbers."""
    eta = np.asarray(eta, dtype=float)[..., None]
    cut = np.asarray(cut, dtype=float)
    ones = np.ones(np.broadcast_shapes(eta.shape[:-1], cut.shape[:-1]) + (1,))
    upper = np.concatenate([np.broadcast_to(cut, ones.shape[:-1] + cut.shape[-1:]), np.inf * ones], -1) - eta
    lower = np.concatenate([-np.inf * ones, np.broadcast_to(cut, ones.shape[:-1] + cut.shape[-1:])], -1) - eta
    return np.where(lower >= 0, special.expit(-lower) - special.expit(-upper),
                    special.expit(upper) - special.expit(lower))  # fmt: skip


# a hand-worked case: eta = 0.5, cut points -1 and 1
ETA, CUT = 0.5, np.array([-1.0, 1.0])
HAND = np.array([special.expit(-1.5), special.expit(0.5) - special.expit(-1.5), special.expit(-0.5)])
HAND_RAW = np.array([ETA, -1.0, softplus_inverse_oracle(2.0)])  # the gap c_1 - c_0 = 2


# --------------------------------------------------------------- distribution
def test_hand_worked_three_classes():
    dist = OrderedLogistic(ETA, CUT)
    assert dist.n_classes == 3 and dist.batch_shape == ()
    assert_allclose(dist.probs, HAND, rtol=1e-14)
    assert_allclose(dist.log_prob([0, 1, 2]), np.log(HAND), rtol=1e-14)
    assert_array_equal(dist.log_prob([-1, 0.5, 3]), [-np.inf] * 3)
    cdf = np.cumsum(HAND)
    assert_allclose(dist.cdf([-0.5, 0, 0.7, 1, 1.9, 2, 7]), [0, cdf[0], cdf[0], cdf[1], cdf[1], 1, 1],
                    rtol=1e-14)  # fmt: skip
    levels = np.array([0.0, cdf[0] / 2, cdf[0] - 1e-9, cdf[0] + 1e-9, cdf[1] - 1e-9, 0.999, 1.0])
    assert_array_equal(dist.icdf(levels), [0, 0, 0, 1, 1, 2, 2])
    k = np.arange(3)
    mean = HAND @ k
    assert_allclose(dist.mean, mean, rtol=1e-14)
    assert_allclose(dist.variance, HAND @ (k - mean) ** 2, rtol=1e-13)
    assert_allclose(dist.entropy(), stats.entropy(HAND), rtol=1e-13)


def test_batches_broadcast_and_float32_stays_float32():
    rng = np.random.default_rng(0)
    eta = rng.normal(0, 2, 5).astype(np.float32)
    cut = np.sort(rng.normal(0, 2, (5, 3)), axis=1).astype(np.float32)
    dist = OrderedLogistic(eta, cut)
    assert dist.batch_shape == (5,) and dist.probs.shape == (5, 4)
    assert dist.probs.dtype == np.float32 and dist.mean.dtype == np.float32
    assert_allclose(dist.probs, class_probs(eta, cut), rtol=1e-6)
    y = rng.integers(0, 4, (7, 5))
    assert dist.log_prob(y).shape == (7, 5)
    expected = np.log(np.take_along_axis(np.broadcast_to(class_probs(eta, cut), (7, 5, 4)),
                                         y[..., None], -1)[..., 0])  # fmt: skip
    assert_allclose(dist.log_prob(y), expected, rtol=1e-5)
    # one eta for a shared set of cut points
    shared = OrderedLogistic(eta.astype(np.float64), np.array([-1.0, 0.0, 2.0]))
    assert_allclose(shared.probs, class_probs(eta, [-1.0, 0.0, 2.0]), rtol=1e-6)


def test_tail_classes_keep_their_relative_precision():
    # P(1) = s(41) - s(40): 0 in floats when subtracted directly; e^-40 (1 - e^-1) (1 + O(e^-40))
    dist = OrderedLogistic(0.0, [40.0, 41.0])
    expected = np.log(special.expit(-40.0) - special.expit(-41.0))
    assert_allclose(dist.log_prob(1), expected, rtol=1e-14)
    assert_allclose(dist.log_prob(2), -np.logaddexp(0, 41.0), rtol=1e-14)


def test_sample_moments_and_frequencies():
    dist = OrderedLogistic([0.0, 1.5], [[-1.0, 0.5, 2.0], [-1.0, 0.5, 2.0]])
    draws = dist.sample(200_000, random_state=1)
    assert draws.shape == (200_000, 2)
    for b in range(2):
        freq = np.bincount(draws[:, b].astype(int), minlength=4) / 200_000
        # 5 binomial standard errors
        se = np.sqrt(dist.probs[b] * (1 - dist.probs[b]) / 200_000)
        assert np.all(np.abs(freq - dist.probs[b]) < 5 * se)
        assert abs(draws[:, b].mean() - dist.mean[b]) < 5 * math.sqrt(dist.variance[b] / 200_000)


def test_infinite_cut_points_are_classes_of_probability_zero():
    dist = OrderedLogistic(0.3, [-np.inf, -np.inf, 0.0, np.inf])
    expected = np.array([0, 0, special.expit(-0.3), special.expit(0.3), 0])
    assert_allclose(dist.probs, expected, rtol=1e-14)
    assert not np.isnan(dist.log_probs).any()
    assert_allclose(dist.mean, 2 + special.expit(0.3), rtol=1e-14)


@pytest.mark.parametrize(
    "eta, cut, fragment",
    [
        (0.0, [1.0, 0.5], "non-decreasing"),
        (np.inf, [0.0, 1.0], "eta must be finite"),
        (0.0, [0.0, np.nan], "must not contain NaN"),
        (0.0, [], "C - 1 >= 1 cut points"),
    ],
)
def test_constructor_errors_say_what_was_expected(eta, cut, fragment):
    with pytest.raises(ValueError, match=fragment):
        OrderedLogistic(eta, cut)


def test_fit_matches_the_frequencies_and_scipy_optimize():
    rng = np.random.default_rng(2)
    y = rng.choice(4, 300, p=[0.1, 0.4, 0.3, 0.2])
    w = rng.uniform(0.5, 2, 300)
    dist = OrderedLogistic.fit(y, w)
    freq = np.bincount(y, weights=w, minlength=4) / w.sum()
    assert_allclose(dist.probs, freq, rtol=1e-12)

    def summed_nll(cut):  # eta = 0; an unordered proposal has no likelihood
        if np.any(np.diff(cut) < 0):
            return np.inf
        return -np.sum(w * np.log(class_probs(0.0, cut)[y]))

    result = optimize.minimize(summed_nll, np.array([-1.0, 0.0, 1.0]), method="Nelder-Mead",
                               options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000})  # fmt: skip
    assert_allclose(dist.cutpoints, result.x, atol=1e-5)
    # unseen top class: its cut point is +inf, probability 0
    assert OrderedLogistic.fit([0, 1, 1], n_classes=3).cutpoints[-1] == np.inf


# ----------------------------------------------------------- property tests
@settings(max_examples=60, deadline=None)
@given(
    eta=st.floats(-50, 50),
    gaps=hnp.arrays(np.float64, 3, elements=st.floats(0, 30)),
    start=st.floats(-50, 50),
    q=st.floats(0, 1),
)
def test_distribution_properties(eta, gaps, start, q):
    cut = start + np.cumsum(np.r_[0.0, gaps[:2]])
    dist = OrderedLogistic(eta, cut)
    assert_allclose(dist.probs.sum(), 1.0, rtol=1e-12)
    # finite on the support where the gaps are positive, -inf off it
    lp = dist.log_prob(np.arange(4))
    assert np.all(np.isfinite(lp[np.r_[True, np.diff(cut) > 0, True]]))
    assert np.all(dist.log_prob([-1, 0.5, 4]) == -np.inf)
    # icdf is the smallest class whose cdf reaches q
    k = dist.icdf(q)
    assert dist.cdf(k) >= q and (k == 0 or dist.cdf(k - 1) < q)


# ------------------------------------------------------------------- family
def test_family_hand_worked_nll_and_distribution():
    family = get_family("ordinal")
    raw = np.tile(HAND_RAW, (3, 1))
    assert_allclose(family.nll(raw, [0, 1, 2]), -np.log(HAND), rtol=1e-13)
    assert_allclose(family.mean(raw), np.tile(HAND, (3, 1)), rtol=1e-13)
    dist = family.distribution(raw)
    assert_allclose(dist.cutpoints, np.tile(CUT, (3, 1)), rtol=1e-14)
    columns = family.parameter_columns(dist)
    assert list(columns) == ["prob_0", "prob_1", "prob_2"]
    assert_allclose(columns["prob_1"], HAND[1], rtol=1e-13)


def test_family_tail_class_is_exact_where_subtraction_gives_zero():
    # eta = 0, c = (40, 41): the NLL of class 1 from the log_sigmoid terms
    raw = np.array([[0.0, 40.0, softplus_inverse_oracle(1.0)]])
    expected = -np.log(special.expit(-40.0) - special.expit(-41.0))
    assert_allclose(get_family("ordinal").nll(raw, [1]), expected, rtol=1e-14)


def test_two_classes_are_the_bernoulli_of_eta_minus_the_cut_point():
    rng = np.random.default_rng(3)
    raw = rng.normal(0, 5, (40, 2))
    y = rng.integers(0, 2, 40)
    ordinal, bernoulli = get_family("ordinal"), get_family("bernoulli")
    logit = raw[:, 0] - raw[:, 1]  # P(y = 1) = 1 - s(c_0 - eta) = s(eta - c_0)
    assert_allclose(ordinal.nll(raw, y), bernoulli.nll(logit, y), rtol=1e-13)
    g = bernoulli.gradient(logit, y)
    assert_allclose(ordinal.gradient(raw, y), np.column_stack([g, -g]), rtol=1e-13)


def test_nll_and_gradient_match_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    raw = rng.normal(0, 3, (50, 5))
    y = rng.integers(0, 5, 50)
    loss, grad = get_family("ordinal").loss_gradient(raw, y)

    z = torch.tensor(raw, dtype=torch.float64, requires_grad=True)
    steps = torch.cat([z[:, 1:2], torch.nn.functional.softplus(z[:, 2:])], dim=1)
    cdf = torch.sigmoid(torch.cumsum(steps, dim=1) - z[:, :1])
    cdf = torch.cat([torch.zeros(50, 1, dtype=torch.float64), cdf, torch.ones(50, 1, dtype=torch.float64)], 1)
    probs = cdf[:, 1:] - cdf[:, :-1]
    nll = -torch.log(probs[torch.arange(50), torch.tensor(y)])
    nll.sum().backward()
    assert_allclose(loss, nll.detach().numpy(), rtol=1e-10)
    assert_allclose(grad, z.grad.numpy(), rtol=1e-8, atol=1e-12)


finite_raw = st.floats(-1e4, 1e4, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    raw=hnp.arrays(np.float64, (6, 4), elements=finite_raw),
    y=hnp.arrays(np.int64, 6, elements=st.integers(0, 3)),
    shift=st.floats(-1e3, 1e3),
)
def test_family_properties(raw, y, shift):
    family = get_family("ordinal")
    loss, grad = family.loss_gradient(raw, y)
    # a probability is at most 1, and every term is a log_sigmoid of a finite number
    assert np.all(loss >= 0) and np.isfinite(loss).all() and np.isfinite(grad).all()
    assert_allclose(family.mean(raw).sum(axis=1), 1.0, rtol=1e-12)
    # only c_k - eta matters: moving eta and c_0 together changes nothing
    moved = raw.copy()
    moved[:, :2] += shift
    assert_allclose(family.nll(moved, y), loss, rtol=1e-9, atol=1e-9)
    assert_allclose(grad[:, 0], -grad[:, 1], rtol=1e-12, atol=1e-300)


def test_constant_raw_hand_worked_and_unseen_classes():
    # frequencies 0.2, 0.5, 0.3: c_0 = logit(0.2), c_1 = logit(0.7), eta = 0 (by hand)
    family = get_family("ordinal")
    theta = family.constant_raw([0, 1, 1, 2, 1, 2, 0, 1, 1, 2])
    c1 = math.log(0.7 / 0.3)
    assert_allclose(theta, [0.0, math.log(0.2 / 0.8), softplus_inverse_oracle(c1 - math.log(0.25))],
                    rtol=1e-13)  # fmt: skip
    # class 1 never seen: a zero gap; class 3 never seen (n_classes=4): c_2 = +inf
    theta = get_family("ordinal", n_classes=4).constant_raw([0, 2, 2, 0])
    assert theta[2] == -np.inf and theta[3] == np.inf
    assert_allclose(family.mean(theta[None, :3]), [[0.5, 0.0, 0.5]], atol=1e-15)


@pytest.mark.parametrize("bad", [1, 0, 2.5, "four"])
def test_n_classes_errors(bad):
    with pytest.raises(ValueError, match=r"ordinal: n_classes must be an integer >= 2; found"):
        get_family("ordinal", n_classes=bad)


def test_raw_shape_errors():
    with pytest.raises(ValueError, match=r"labels must be in 0..2 for 3 raw output columns; found 3"):
        get_family("ordinal").nll(np.zeros((2, 3)), [0, 3])
    with pytest.raises(ValueError, match=r"shape \(n_samples, 4\); found shape \(2, 3\)"):
        get_family("ordinal", n_classes=4).nll(np.zeros((2, 3)), [0, 1])
    with pytest.raises(ValueError, match=r"C >= 2"):
        get_family("ordinal").distribution(np.zeros((2, 1)))


# ------------------------------------------------------ end to end, a network
def proportional_odds(rng, n):
    """y from the latent logistic model: eta = 1.5 x_1 - x_2, cut points (-1, 0.5, 2)."""
    X = rng.normal(size=(n, 2))
    eta = 1.5 * X[:, 0] - X[:, 1]
    cut = np.array([-1.0, 0.5, 2.0])
    y = np.sum(eta[:, None] + rng.logistic(size=(n, 1)) > cut, axis=1)
    truth = -np.log(class_probs(eta, cut)[np.arange(n), y])
    return X, y, truth


def test_a_linear_network_learns_the_proportional_odds_model():
    rng = np.random.default_rng(5)
    X, y, _ = proportional_odds(rng, 2000)
    X_test, y_test, truth = proportional_odds(rng, 5000)
    family = get_family("ordinal")
    net = MLP([2, family.n_outputs(y)], dtype=np.float64, random_state=0)
    net.intercepts[-1][...] = family.constant_raw(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Trainer(net, family, solver="lbfgs", max_iter=200, random_state=0).fit(X, y)
    excess = float(np.mean(family.nll(net.forward(X_test), y_test) - truth))
    # 8 parameters from 2000 rows: about 8 / (2 * 2000) = 0.002 nats of estimation error
    assert abs(excess) < 0.02, excess
    # the learnt eta is the truth's up to the shift shared with c_0
    eta = net.forward(X_test)[:, 0] - net.forward(X_test)[:, 1]
    true_eta = 1.5 * X_test[:, 0] - X_test[:, 1] + 1.0
    assert np.corrcoef(eta, true_eta)[0, 1] > 0.99
