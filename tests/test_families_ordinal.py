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


# ------------------------------- gaps below the cut points' rounding (issue 22)
# two rows of the raw outputs of the ordinal GLM on scikit-learn's digits (seed 0, fold 0)
# whose held-out class had probability exactly 0 in the distribution: softplus(-84.8) =
# 1.5e-37 added to the cut point -34 rounds away in float32 (class 7's gap is z_8 = -94.6),
# and softplus(-160.1) underflows in float32 (class 1's own gap is z_2)
DIGITS_RAW = np.array([
    [30.977837, -34.03468, -84.798325, -37.444344, -62.4265, 3.418285, 19.095528, -94.55528,
     -29.208124, -92.16084],
    [-33.6219, 30.366203, -160.12076, -177.91418, -254.11316, 384.69965, -25.669369, -102.31506,
     -217.98204, 150.85522],
], dtype=np.float32)


def mp_log_probs(raw):
    """log P(Y = k) from the raw outputs in mpmath: the exact cut points, then the log of the
    difference of the logistic cdfs at neighbouring ones, with digits enough for the gaps."""
    mpmath = pytest.importorskip("mpmath")
    raw = [float(v) for v in raw]  # float32 values are exact in float64
    with mpmath.workdps(60 + int(sum(abs(v) for v in raw) / 2)):  # e^-|c - eta| resolved
        eta = mpmath.mpf(raw[0])
        cut = [mpmath.mpf(raw[1])]
        for z in raw[2:]:
            cut.append(cut[-1] + mpmath.log1p(mpmath.exp(mpmath.mpf(z))))
        cdf = [mpmath.mpf(0)] + [1 / (1 + mpmath.exp(eta - c)) for c in cut] + [mpmath.mpf(1)]
        return np.array([float(mpmath.log(cdf[k + 1] - cdf[k])) for k in range(len(raw))])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_gap_the_cut_points_round_away_keeps_its_class_probability(dtype):
    family = get_family("ordinal")
    raw = DIGITS_RAW.astype(dtype)
    dist = family.distribution(raw)
    assert dist.log_probs.dtype == dtype
    expected = np.array([mp_log_probs(row) for row in raw])
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert_allclose(dist.log_probs, expected, rtol=rtol)
    assert_allclose(family.log_probs(raw), expected, rtol=rtol)
    # the held-out labels of those rows (7 and 1): the distribution's -log P is the NLL
    y = np.array([7, 1])
    assert_allclose(-dist.log_prob(y), family.nll(raw, y), rtol=rtol)


def test_a_gap_below_the_smallest_float_keeps_its_class_probability():
    # z_2 = -1e4: the gap e^-1e4 underflows even in float64; P(1) = s(3) s(-3) e^-1e4 (1 + ...)
    raw = np.array([[0.0, 3.0, -1e4, 2.0]])
    dist = get_family("ordinal").distribution(raw)
    expected = mp_log_probs(raw[0])
    assert_allclose(expected[1], math.log(special.expit(3) * special.expit(-3)) - 1e4, rtol=1e-15)
    assert_allclose(dist.log_probs[0], expected, rtol=1e-12)


def test_log_gaps_hand_worked():
    # eta = 0, cut points -34, -34 + 1e-37, -30: the middle gap is lost in the cut points
    # (a genuine zero gap by the cut points alone) and kept by log_gaps
    cut = [-34.0, -34.0, -30.0]
    assert OrderedLogistic(0.0, cut).log_prob(1) == -np.inf
    dist = OrderedLogistic(0.0, cut, log_gaps=[math.log(1e-37), math.log(4.0)])
    # P(1) = s(-34 + 1e-37) - s(-34) = s'(-34) 1e-37 (1 + O(1e-37)), s' = s(-34) s(34)
    expected = math.log(special.expit(-34.0) * special.expit(34.0) * 1e-37)
    assert_allclose(dist.log_prob(1), expected, rtol=1e-14)
    assert_allclose(dist.log_prob(2), np.log(special.expit(-30.0) - special.expit(-34.0)),
                    rtol=1e-13)  # fmt: skip
    with pytest.raises(ValueError, match=r"log_gaps need a last axis of C - 2 = 2"):
        OrderedLogistic(0.0, cut, log_gaps=[0.0])
    with pytest.raises(ValueError, match="log_gaps must not contain NaN"):
        OrderedLogistic(0.0, cut, log_gaps=[0.0, np.nan])


@settings(max_examples=80, deadline=None)
@given(data=st.data(), n_classes=st.integers(2, 7))
def test_every_class_keeps_a_finite_log_probability(data, n_classes):
    raw = data.draw(hnp.arrays(np.float64, (5, n_classes), elements=finite_raw))
    family = get_family("ordinal")
    for log_probs in (family.distribution(raw).log_probs, family.log_probs(raw)):
        assert np.isfinite(log_probs).all()
        assert_allclose(special.logsumexp(log_probs, axis=1), 0.0, atol=1e-6)
    assert np.isfinite(family.distribution(raw.astype(np.float32)).log_probs).all()
    assert_allclose(family.distribution(raw).log_probs, family.log_probs(raw),
                    rtol=1e-12, atol=1e-12)  # fmt: skip


@pytest.mark.parametrize("label", range(10))
def test_gradient_at_the_digits_raw_outputs_is_finite_and_matches_finite_differences(label):
    family = get_family("ordinal")
    raw = DIGITS_RAW.astype(np.float64)
    y = np.full(2, label)
    grad = family.gradient(raw, y)
    assert np.isfinite(grad).all()
    h = 1e-6
    numeric = np.empty_like(raw)
    for j in range(raw.shape[1]):
        step = np.zeros_like(raw)
        step[:, j] = h
        numeric[:, j] = (family.nll(raw + step, y) - family.nll(raw - step, y)) / (2 * h)
    assert_allclose(grad, numeric, rtol=1e-6, atol=1e-7)


def test_the_ordinal_glm_on_digits_has_a_finite_held_out_nll():
    # the report of issue 22: fold 0 of seed 0 had two held-out rows of probability 0
    datasets = pytest.importorskip("sklearn.datasets")
    from probnn import compare_families
    from probnn.selection import cv_splits

    frame = datasets.load_digits(as_frame=True).frame
    split = cv_splits(len(frame), "auto", 0, frame["target"].to_numpy())[0]
    result = compare_families(frame.drop(columns="target"), frame["target"], ["ordinal"],
                              hidden=(), solver="lbfgs", split=split, calibration=False)  # fmt: skip
    assert np.isfinite(result.nll_rows["ordinal"]).all()
