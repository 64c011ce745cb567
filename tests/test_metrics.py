"""Tests of probnn.metrics against scipy.stats, scikit-learn and hand-worked cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.calibration import calibration_curve
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss, mean_absolute_error

from probnn import metrics
from _intervals import grown_interval


# ---------------------------------------------------------------- units


def test_nats_to_bits_one_fair_coin_is_one_bit():
    assert metrics.nats_to_bits(np.log(2.0)) == pytest.approx(1.0, rel=1e-15)
    x = np.array([np.log(8.0), 0.0], dtype=np.float32)
    out = metrics.nats_to_bits(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [3.0, 0.0], rtol=1e-6)


# ---------------------------------------------------------------- Brier


def test_brier_binary_matches_sklearn():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=200)
    y = (rng.uniform(size=200) < p).astype(int)
    assert metrics.brier_score(y, p) == pytest.approx(brier_score_loss(y, p), rel=1e-12)


def test_brier_multiclass_hand_worked():
    # row 0, true class 0: (0.7-1)^2 + 0.2^2 + 0.1^2 = 0.09 + 0.04 + 0.01 = 0.14
    # row 1, true class 2: 0.2^2 + 0.3^2 + (0.5-1)^2 = 0.04 + 0.09 + 0.25 = 0.38
    proba = np.array([[0.7, 0.2, 0.1], [0.2, 0.3, 0.5]])
    assert metrics.brier_score([0, 2], proba) == pytest.approx((0.14 + 0.38) / 2, rel=1e-12)


def test_brier_rejects_labels_outside_the_classes_and_names_rows():
    with pytest.raises(ValueError, match=r"0\.\.2; found 3 at row \[1\]"):
        metrics.brier_score([0, 3], np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"\[0, 1\]; found 1\.5 at row \[0\]"):
        metrics.brier_score([0, 1], [1.5, 0.5])


# ---------------------------------------------------------------- calibration

# Binary P(y=1) = 0.9, 0.85, 0.3, 0.65 with outcomes 1, 0, 0, 1 and 5 bins of width 0.2.
# Top-label confidences: 0.9 (right), 0.85 (wrong), 0.7 (right), 0.65 (right).
# Bin (0.6, 0.8]: confidences 0.7, 0.65 -> mean 0.675, accuracy 1.
# Bin (0.8, 1.0]: confidences 0.9, 0.85 -> mean 0.875, accuracy 0.5.
# ECE = 2/4 * |1 - 0.675| + 2/4 * |0.5 - 0.875| = 0.1625 + 0.1875 = 0.35.
HAND_P = np.array([0.9, 0.85, 0.3, 0.65])
HAND_Y = np.array([1, 0, 0, 1])


def test_reliability_curve_hand_worked():
    conf, acc, count = metrics.reliability_curve(HAND_Y, HAND_P, n_bins=5)
    np.testing.assert_array_equal(count, [0, 0, 0, 2, 2])
    np.testing.assert_allclose(conf[3:], [0.675, 0.875], rtol=1e-12)
    np.testing.assert_allclose(acc[3:], [1.0, 0.5], rtol=1e-12)
    assert np.isnan(conf[:3]).all() and np.isnan(acc[:3]).all()


def test_ece_hand_worked_binary():
    assert metrics.expected_calibration_error(HAND_Y, HAND_P, n_bins=5) == pytest.approx(0.35)


def test_ece_hand_worked_multiclass():
    # confidences 0.5 (class 0, right), 0.6 (class 1, wrong), 0.9 (class 2, right); 2 bins.
    # Bin [0, 0.5]: 0.5 right -> gap 0.5.  Bin (0.5, 1]: mean 0.75, accuracy 0.5 -> gap 0.25.
    # ECE = 1/3 * 0.5 + 2/3 * 0.25 = 1/3.
    proba = np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0.05, 0.05, 0.9]])
    y = [0, 2, 2]
    conf, acc, count = metrics.reliability_curve(y, proba, n_bins=2)
    np.testing.assert_array_equal(count, [1, 2])
    assert metrics.expected_calibration_error(y, proba, n_bins=2) == pytest.approx(1 / 3)


def test_reliability_curve_matches_sklearn_calibration_curve_on_top_label():
    rng = np.random.default_rng(1)
    logits = rng.normal(scale=2.0, size=(500, 4))
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = rng.integers(0, 4, size=500)
    conf, acc, count = metrics.reliability_curve(y, proba, n_bins=10)
    # sklearn bins P(event) against the event's frequency; the event here is
    # "the top label is right" and its predicted probability is the confidence.
    top = proba.max(axis=1)
    right = (proba.argmax(axis=1) == y).astype(int)
    frac_right, mean_conf = calibration_curve(right, top, n_bins=10, strategy="uniform")
    used = count > 0
    np.testing.assert_allclose(acc[used], frac_right, rtol=1e-12)
    np.testing.assert_allclose(conf[used], mean_conf, rtol=1e-12)
    assert count.sum() == 500


def test_perfectly_calibrated_predictions_have_small_ece():
    rng = np.random.default_rng(2)
    p = rng.uniform(size=20000)
    y = (rng.uniform(size=20000) < p).astype(int)
    assert metrics.expected_calibration_error(y, p) < 0.02
    # always saying 0.99 for a fair coin is off by 0.49
    coin = rng.integers(0, 2, size=20000)
    assert metrics.expected_calibration_error(coin, np.full(20000, 0.99)) > 0.45


# ---------------------------------------------------------------- intervals and PIT


def test_interval_coverage_hand_worked():
    # inside: 1 in [0, 1] (ends count), 3 not in [0, 2], 0 not in [1, 3], 2 in [2, 2]
    cov = metrics.interval_coverage([0, 0, 1, 2], [1, 2, 3, 2], [1, 3, 0, 2])
    assert cov == 0.5


def test_interval_coverage_rejects_reversed_interval():
    with pytest.raises(ValueError, match=r"lower > upper at row \[1\]"):
        metrics.interval_coverage([0, 3], [1, 2], [0, 0])


def test_ks_distance_matches_scipy():
    u = np.random.default_rng(3).beta(2.0, 1.5, size=300)
    expected = stats.kstest(u, "uniform").statistic
    assert metrics.ks_distance_uniform(u) == pytest.approx(expected, rel=1e-12)


def _normal_predictions(n, seed):
    from probnn.distributions import Normal

    rng = np.random.default_rng(seed)
    loc = rng.normal(size=n)
    scale = rng.uniform(0.5, 2.0, size=n)
    y = rng.normal(loc, scale)
    return Normal(loc, scale), loc, scale, y


def test_pit_of_true_normal_is_uniform_and_of_too_narrow_one_is_not():
    from probnn.distributions import Normal

    dist, loc, scale, y = _normal_predictions(2000, seed=4)
    u = metrics.pit_values(dist, y)
    np.testing.assert_allclose(u, stats.norm.cdf(y, loc, scale), rtol=1e-10, atol=1e-14)
    assert stats.kstest(u, "uniform").pvalue > 0.01
    narrow = metrics.pit_values(Normal(loc, scale / 3), y)
    assert stats.kstest(narrow, "uniform").pvalue < 1e-6


def test_randomised_pit_of_true_poisson_is_uniform_and_of_wrong_rate_is_not():
    from probnn.distributions import Poisson

    rng = np.random.default_rng(5)
    rate = rng.uniform(0.3, 6.0, size=3000)
    y = rng.poisson(rate)
    u = metrics.pit_values(Poisson(rate=rate), y, random_state=0)
    # each u lies between F(y - 1) and F(y) of the true Poisson
    assert np.all(u >= stats.poisson.cdf(y - 1, rate) - 1e-12)
    assert np.all(u <= stats.poisson.cdf(y, rate) + 1e-12)
    assert stats.kstest(u, "uniform").pvalue > 0.01
    wrong = metrics.pit_values(Poisson(rate=2.0 * rate), y, random_state=0)
    assert stats.kstest(wrong, "uniform").pvalue < 1e-6


# ---------------------------------------------------------------- summaries


def test_mean_nll_weighted_matches_sklearn_log_loss():
    from probnn.distributions import Bernoulli

    rng = np.random.default_rng(6)
    logits = rng.normal(scale=3.0, size=300)
    p = 1 / (1 + np.exp(-logits))
    y = (rng.uniform(size=300) < p).astype(int)
    w = rng.uniform(0.0, 2.0, size=300)
    got = metrics.mean_nll(Bernoulli(logits=logits), y, sample_weight=w)
    assert got == pytest.approx(log_loss(y, p, sample_weight=w), rel=1e-10)


def test_classification_metrics_binary_against_sklearn():
    from probnn.distributions import Bernoulli

    rng = np.random.default_rng(7)
    logits = rng.normal(scale=2.0, size=400)
    p = 1 / (1 + np.exp(-logits))
    y = (rng.uniform(size=400) < p).astype(int)
    out = metrics.classification_metrics(y, Bernoulli(logits=logits))
    assert set(out) == {"nll_nats", "nll_bits", "accuracy", "brier", "ece"}
    assert out["nll_nats"] == pytest.approx(log_loss(y, p), rel=1e-10)
    assert out["nll_bits"] == pytest.approx(log_loss(y, p) / np.log(2), rel=1e-10)
    assert out["accuracy"] == accuracy_score(y, (p > 0.5).astype(int))
    assert out["brier"] == pytest.approx(brier_score_loss(y, p), rel=1e-10)


def test_classification_metrics_multiclass_against_sklearn():
    from probnn.distributions import Categorical

    rng = np.random.default_rng(8)
    logits = rng.normal(size=(300, 3))
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = rng.integers(0, 3, size=300)
    out = metrics.classification_metrics(y, Categorical(logits=logits))
    assert out["nll_nats"] == pytest.approx(log_loss(y, proba, labels=[0, 1, 2]), rel=1e-10)
    assert out["accuracy"] == accuracy_score(y, proba.argmax(axis=1))
    onehot = np.eye(3)[y]
    assert out["brier"] == pytest.approx(np.mean(np.sum((proba - onehot) ** 2, axis=1)))


def test_regression_metrics_normal_against_scipy():
    dist, loc, scale, y = _normal_predictions(500, seed=9)
    out = metrics.regression_metrics(y, dist, coverage=0.8)
    assert set(out) == {"nll_nats", "nll_bits", "crps", "rmse", "mae", "coverage",
                        "coverage_expected", "pit_ks"}  # fmt: skip
    assert out["coverage_expected"] == 0.8  # a continuous law: the nominal, exactly
    assert out["nll_nats"] == pytest.approx(-np.mean(stats.norm.logpdf(y, loc, scale)), rel=1e-10)
    assert out["rmse"] == pytest.approx(np.sqrt(np.mean((y - loc) ** 2)), rel=1e-12)
    assert out["mae"] == pytest.approx(mean_absolute_error(y, loc), rel=1e-12)
    lo, hi = stats.norm.interval(0.8, loc, scale)
    assert out["coverage"] == np.mean((lo <= y) & (y <= hi))
    expected_ks = stats.kstest(stats.norm.cdf(y, loc, scale), "uniform").statistic
    assert out["pit_ks"] == pytest.approx(expected_ks, rel=1e-8)


def test_regression_metrics_rejects_wrong_length():
    dist, _, _, y = _normal_predictions(10, seed=10)
    with pytest.raises(ValueError, match=r"shape \(10,\).*found shape \(9,\)"):
        metrics.regression_metrics(y[:9], dist)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_classification_metrics_stay_finite_at_extreme_logits(dtype):
    from probnn.distributions import Bernoulli

    # certain and right twice, certain and wrong once: NLL -log sigmoid(-1e4) = 1e4
    # (to far below float precision), confidence 1 with accuracy 2/3 in one bin.
    dist = Bernoulli(logits=np.array([1e4, -1e4, 1e4], dtype=dtype))
    out = metrics.classification_metrics(np.array([1, 0, 0]), dist)
    assert out["nll_nats"] == pytest.approx(1e4 / 3, rel=1e-6)
    assert out["brier"] == pytest.approx(1 / 3)
    assert out["ece"] == pytest.approx(1 / 3)


@pytest.mark.parametrize("name", ["laplace", "studentt"])
def test_regression_metrics_heavy_tailed_against_scipy(name):
    from probnn.distributions import Laplace, StudentT

    rng = np.random.default_rng(11)
    loc = rng.normal(size=300)
    scale = rng.uniform(0.5, 2.0, size=300)
    if name == "laplace":
        dist, ref = Laplace(loc, scale), stats.laplace(loc, scale)
    else:
        dist, ref = StudentT(np.full(300, 5.0), loc, scale), stats.t(5.0, loc, scale)
    y = ref.rvs(random_state=rng)
    out = metrics.regression_metrics(y, dist, coverage=0.9)
    assert out["nll_nats"] == pytest.approx(-np.mean(ref.logpdf(y)), rel=1e-9)
    lo, hi = ref.interval(0.9)
    assert out["coverage"] == np.mean((lo <= y) & (y <= hi))
    assert out["pit_ks"] == pytest.approx(stats.kstest(ref.cdf(y), "uniform").statistic, rel=1e-8)


# ------------------------------------------------- metrics accumulated over pieces of rows
@pytest.mark.parametrize("pieces", [1, 3, 7])
def test_running_metrics_over_pieces_are_the_metrics_of_all_rows(pieces):
    # the oracle: the metrics of all the rows at once (scipy-checked above); in pieces the
    # sums agree to rounding and the PIT's KS distance is exact while the rows are kept
    from probnn.distributions import Normal, Poisson
    from probnn.metrics import RunningMetrics

    rng = np.random.default_rng(5)
    n = 211
    for dist, y in [(Normal(rng.normal(size=n), np.exp(rng.normal(size=n))), rng.normal(size=n)),
                    (Poisson(rate=np.exp(rng.normal(size=n))), rng.poisson(1.0, size=n))]:
        whole = metrics.regression_metrics(y, dist)
        running = RunningMetrics(classifier=False)
        for rows in np.array_split(np.arange(n), pieces):
            piece = type(dist)(**{k: v[rows] for k, v in _params(dist).items()})
            running.update(y[rows], piece)
        got = running.result()
        assert got.keys() == whole.keys()
        for key in whole:
            assert got[key] == pytest.approx(whole[key], rel=1e-12, abs=1e-15), key
        # past exact_rows: a histogram, within one bin below the exact distance
        binned = RunningMetrics(classifier=False, exact_rows=50, pit_bins=64)
        for rows in np.array_split(np.arange(n), pieces):
            binned.update(y[rows], type(dist)(**{k: v[rows] for k, v in _params(dist).items()}))
        ks = binned.result()["pit_ks"]
        assert whole["pit_ks"] - 1 / 64 - 1e-12 <= ks <= whole["pit_ks"] + 1e-12


def _params(dist) -> dict:
    from probnn.distributions import Normal

    if isinstance(dist, Normal):
        return {"loc": dist.loc, "scale": dist.scale}
    return {"rate": dist.rate}


def test_running_classification_metrics_over_pieces_are_the_metrics_of_all_rows():
    from probnn.distributions import Categorical
    from probnn.metrics import RunningMetrics

    rng = np.random.default_rng(6)
    probs = rng.dirichlet(np.ones(4), size=150)
    y = rng.integers(0, 4, size=150)
    whole = metrics.classification_metrics(y, Categorical(probs=probs))
    running = RunningMetrics(classifier=True)
    for rows in np.array_split(np.arange(150), 4):
        running.update(y[rows], Categorical(probs=probs[rows]))
    got = running.result()
    for key in whole:
        assert got[key] == pytest.approx(whole[key], rel=1e-12, abs=1e-15), key
    # the oracle of the pieces: scikit-learn's log loss and accuracy on all rows
    from sklearn.metrics import accuracy_score, log_loss

    assert got["nll_nats"] == pytest.approx(log_loss(y, probs, labels=range(4)), rel=1e-12)
    assert got["accuracy"] == pytest.approx(accuracy_score(y, probs.argmax(axis=1)))


# ------------------------------------- the model's own mass of its central intervals (issue 22)
def _count_oracle(pmf: np.ndarray, coverage: float) -> np.ndarray:
    """From each row's pmf over 0..K-1 (scipy), by hand: the interval grown from the median,
    the side with more mass beyond first (``_intervals.grown_interval``), its ends and mass."""
    return grown_interval(np.cumsum(pmf, axis=1), coverage)


def _count_laws(name: str, rng):
    """A probnn count law of 40 rows and its pmf over 0..399 from scipy.stats."""
    from probnn.distributions import Hurdle, NegativeBinomial, Poisson, ZeroInflated

    k = np.arange(400)[None, :]
    mu = rng.uniform(0.05, 30.0, size=40)
    alpha = rng.uniform(0.05, 2.0, size=40)
    logit = rng.normal(-0.5, 1.0, size=40)
    pi = 1 / (1 + np.exp(-logit))
    poisson = stats.poisson.pmf(k, mu[:, None])
    nbinom = stats.nbinom.pmf(k, 1 / alpha[:, None], 1 / (1 + alpha[:, None] * mu[:, None]))
    if name == "poisson":
        return Poisson(rate=mu), poisson
    if name == "negative-binomial":
        return NegativeBinomial(mean=mu, dispersion=alpha), nbinom
    if name == "zero-inflated-nb":  # P(0) = pi + (1 - pi) NB(0), P(k) = (1 - pi) NB(k)
        pmf = (1 - pi[:, None]) * nbinom
        pmf[:, 0] += pi
        return ZeroInflated(NegativeBinomial(mean=mu, dispersion=alpha), logit), pmf
    # hurdle: P(0) = pi, P(k) = (1 - pi) Poisson(k) / (1 - Poisson(0)) for k >= 1
    pmf = (1 - pi[:, None]) * poisson / stats.poisson.sf(0, mu[:, None])
    pmf[:, 0] = pi
    return Hurdle(Poisson(rate=mu), logit), pmf


@pytest.mark.parametrize("name", ["poisson", "negative-binomial", "zero-inflated-nb", "hurdle"])
@pytest.mark.parametrize("coverage", [0.9, 0.5])
def test_interval_mass_of_count_laws_against_scipy(name, coverage):
    dist, pmf = _count_laws(name, np.random.default_rng(12))
    lo, hi, mass = _count_oracle(pmf, coverage)
    lower, upper = metrics.central_interval(dist, coverage)
    np.testing.assert_array_equal(lower, lo)
    np.testing.assert_array_equal(upper, hi)
    got = metrics.interval_mass(dist, lower, upper, coverage)
    np.testing.assert_allclose(got, mass, rtol=1e-10)
    assert np.all(got >= coverage - 1e-12)  # the ends' whole masses are inside


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), coverage=st.floats(0.05, 0.99),
       name=st.sampled_from(["poisson", "negative-binomial", "zero-inflated-nb", "hurdle"]))
def test_a_count_laws_interval_holds_coverage_within_the_equal_tailed_one(seed, coverage, name):
    # whatever the law and level: the interval holds at least the coverage (scipy's pmf), lies
    # within scipy's equal-tailed interval, and is the by-hand rule's (_count_oracle)
    dist, pmf = _count_laws(name, np.random.default_rng(seed))
    lower, upper = metrics.central_interval(dist, coverage)
    cdf = np.cumsum(pmf, axis=1)
    rows = np.arange(pmf.shape[0])
    mass = cdf[rows, upper.astype(int)] - np.where(
        lower >= 1, cdf[rows, np.maximum(lower.astype(int) - 1, 0)], 0.0)
    assert np.all(mass >= coverage - 1e-9)
    tail = (1 - coverage) / 2
    assert np.all(lower >= np.argmax(cdf >= tail - 1e-12, axis=1))
    assert np.all(upper <= np.argmax(cdf >= 1 - tail - 1e-12, axis=1))
    lo, hi, by_hand = _count_oracle(pmf, coverage)
    near = np.abs(cdf - tail).min(axis=1) > 1e-9  # no cdf value within rounding of a level
    np.testing.assert_array_equal(lower[near], lo[near])
    np.testing.assert_array_equal(upper[near], hi[near])
    np.testing.assert_allclose(metrics.interval_mass(dist, lower, upper, coverage), mass,
                               rtol=1e-9)  # fmt: skip


def test_a_binary_laws_interval_by_hand():
    # P(1) = p: the 90% interval is {1} where p >= 0.9, {0} where p <= 0.1, else [0, 1]
    # (the equal-tailed one was [0, 1] for 0.05 < p < 0.95)
    from probnn.distributions import Bernoulli

    p = np.array([0.02, 0.07, 0.5, 0.92, 0.97])
    lower, upper = metrics.central_interval(Bernoulli(probs=p), 0.9)
    np.testing.assert_array_equal(lower, [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(upper, [0, 0, 1, 1, 1])


def test_interval_mass_hand_worked_and_continuous():
    from probnn.distributions import Normal, Poisson, ZeroInflated

    # Poisson(1): cdf 0.3679, 0.7358, 0.9197, 0.9810; the equal-tailed 90% interval is
    # [0, 3] (cdf(2) < 0.95 <= cdf(3)), holding 0.98101; nothing lies below 0, so the lower
    # tail's 5% goes to the upper end: [0, 2], the smallest upper end with cdf >= 0.9,
    # holding F(2) = 0.91970 (keeping 3 and raising 0 is no interval: cdf(0) > 0.1 - 0.019)
    dist = Poisson(rate=np.array([1.0]))
    lower, upper = metrics.central_interval(dist, 0.9)
    assert (lower[0], upper[0]) == (0.0, 2.0)
    assert metrics.interval_mass(dist, lower, upper, 0.9)[0] == pytest.approx(
        np.exp(-1) * (1 + 1 + 1 / 2), rel=1e-14)
    # P(0) = 0.3 (structural zeros 0.3, over a Poisson of rate 40 whose own P(0) is e^-40):
    # the 90% interval starts at 0 and holds all of the zeros, 0.3 + 0.7 F_40(hi); with no
    # mass below 0, hi is the smallest count with 0.3 + 0.7 F_40(hi) >= 0.9, so the mass is
    # within one atom, 0.7 max pmf_40 = 0.044, of 0.9 (the equal-tailed [0, 52] held 0.97)
    zi = ZeroInflated(Poisson(rate=np.array([40.0])), np.log(0.3 / 0.7))
    lower, upper = metrics.central_interval(zi, 0.9)
    hi = stats.poisson.ppf(0.6 / 0.7, 40.0)  # F_40(hi) >= (0.9 - 0.3) / 0.7
    assert (lower[0], upper[0]) == (0.0, hi)
    by_hand = 0.3 + 0.7 * stats.poisson.cdf(upper[0], 40.0)
    assert metrics.interval_mass(zi, lower, upper, 0.9)[0] == pytest.approx(by_hand, rel=1e-12)
    assert 0.9 <= by_hand < 0.9 + 0.7 * stats.poisson.pmf(40, 40.0)
    normal = Normal(np.zeros(3), np.ones(3))
    assert np.all(metrics.interval_mass(normal, *metrics.central_interval(normal, 0.8), 0.8) == 0.8)
    with pytest.raises(ValueError, match="strictly between 0 and 1; found 1.5"):
        metrics.interval_mass(normal, np.zeros(3), np.ones(3), 1.5)


def test_a_calibrated_count_model_covers_its_own_mass_not_the_nominal():
    # y drawn from the predicted laws themselves: coverage agrees with coverage_expected
    # (within 5 binomial SEs) and both are at least the nominal 0.9
    from probnn.distributions import NegativeBinomial, ZeroInflated

    rng = np.random.default_rng(13)
    n = 20_000
    mu, alpha = rng.uniform(0.2, 3.0, n), rng.uniform(0.2, 1.0, n)
    logit = np.full(n, np.log(0.3 / 0.7))
    dist = ZeroInflated(NegativeBinomial(mean=mu, dispersion=alpha), logit)
    y = np.where(rng.uniform(size=n) < 0.3, 0,
                 stats.nbinom.rvs(1 / alpha, 1 / (1 + alpha * mu), random_state=rng))  # fmt: skip
    out = metrics.regression_metrics(y.astype(float), dist, coverage=0.9)
    expected = out["coverage_expected"]
    se = np.sqrt(expected * (1 - expected) / n)
    assert abs(out["coverage"] - expected) < 5 * se
    assert expected >= 0.9
    pmf = stats.nbinom.pmf(np.arange(200)[None, :], 1 / alpha[:, None],
                           1 / (1 + alpha[:, None] * mu[:, None])) * 0.7  # fmt: skip
    pmf[:, 0] += 0.3
    assert expected == pytest.approx(np.mean(_count_oracle(pmf, 0.9)[2]), rel=1e-10)
