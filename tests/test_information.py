"""Entropy, cross-entropy and KL against scipy, PyTorch, Monte Carlo and identities."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special, stats

from probnn.distributions import (Bernoulli, Categorical, Distribution, Laplace, Normal,
                                  Poisson, StudentT)
from probnn.information import cross_entropy, entropy, kl_divergence, register_kl



def _random_probs(rng, shape):
    x = rng.gamma(0.7, size=shape)
    return x / x.sum(axis=-1, keepdims=True)


def test_entropy_against_scipy():
    rng = np.random.default_rng(0)
    p = _random_probs(rng, (6, 5))
    p[0, :2] = 0.0
    p[0] /= p[0].sum()
    np.testing.assert_allclose(entropy(p), stats.entropy(p, axis=1), rtol=1e-12)
    np.testing.assert_allclose(entropy(p, base=2), stats.entropy(p, base=2, axis=1), rtol=1e-12)
    np.testing.assert_allclose(entropy(p.T, axis=0), stats.entropy(p, axis=1), rtol=1e-12)
    # Hand cases: a fair coin has 1 bit, a certain outcome 0 (0 log 0 = 0).
    assert entropy([0.5, 0.5], base=2) == pytest.approx(1.0, rel=1e-15)
    assert entropy([1.0, 0.0]) == 0.0


def test_kl_and_cross_entropy_against_scipy_and_identity():
    rng = np.random.default_rng(1)
    p, q = _random_probs(rng, (8, 4)), _random_probs(rng, (8, 4))
    kl = kl_divergence(p, q)
    np.testing.assert_allclose(kl, stats.entropy(p, q, axis=1), rtol=1e-12)
    np.testing.assert_allclose(kl, special.rel_entr(p, q).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(cross_entropy(p, q), -(p * np.log(q)).sum(axis=1), rtol=1e-12)
    # H(p, q) = H(p) + KL(p || q), in nats and in bits.
    np.testing.assert_allclose(cross_entropy(p, q), entropy(p) + kl, rtol=1e-12)
    np.testing.assert_allclose(cross_entropy(p, q, base=2),
                               entropy(p, base=2) + kl_divergence(p, q, base=2), rtol=1e-12)


def test_kl_conventions():
    # q = 0 < p: infinite; p = 0: the term is 0 whatever q is.
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf
    assert cross_entropy([0.5, 0.5], [1.0, 0.0]) == np.inf
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(np.log(2), rel=1e-15)
    assert kl_divergence([0.3, 0.7], [0.3, 0.7]) == 0.0


@pytest.mark.parametrize("fn", [entropy, lambda p: kl_divergence(p, p),
                                lambda p: cross_entropy(p, p)])
@pytest.mark.parametrize("bad,text", [([0.5, 0.6], "sum to 1"), ([1.5, -0.5], "[0, 1]"),
                                      (0.5, "scalar")])
def test_validation(fn, bad, text):
    with pytest.raises(ValueError) as info:
        fn(bad)
    assert text in str(info.value)


def test_float32_in_float32_out():
    p = np.array([0.2, 0.3, 0.5], dtype=np.float32)
    q = np.array([0.1, 0.6, 0.3], dtype=np.float32)
    for out in (entropy(p), cross_entropy(p, q), kl_divergence(p, q),
                kl_divergence(Normal(np.float32(0), np.float32(1)),
                              Normal(np.float32(1), np.float32(2)))):
        assert out.dtype == np.float32


def _pairs(rng, torch=None):
    """(P, Q, tP, tQ) for every registered family: tP, tQ the same pair in
    torch.distributions when ``torch`` is given, else None."""

    def twin(name, *args, **kwargs):
        if torch is None:
            return None
        return getattr(torch.distributions, name)(
            *(torch.tensor(a) for a in args), **{k: torch.tensor(v) for k, v in kwargs.items()})

    a, b = rng.uniform(0.05, 0.95, 3), rng.uniform(0.05, 0.95, 3)
    yield (Bernoulli(probs=a), Bernoulli(probs=b),
           twin("Bernoulli", probs=a), twin("Bernoulli", probs=b))
    a, b = _random_probs(rng, (3, 4)), _random_probs(rng, (3, 4))
    yield (Categorical(probs=a), Categorical(probs=b),
           twin("Categorical", probs=a), twin("Categorical", probs=b))
    m1, m2 = rng.normal(size=3), rng.normal(size=3)
    s1, s2 = rng.uniform(0.3, 3, 3), rng.uniform(0.3, 3, 3)
    yield Normal(m1, s1), Normal(m2, s2), twin("Normal", m1, s1), twin("Normal", m2, s2)
    yield Laplace(m1, s1), Laplace(m2, s2), twin("Laplace", m1, s1), twin("Laplace", m2, s2)
    r1, r2 = rng.uniform(0.5, 10, 3), rng.uniform(0.5, 10, 3)
    yield Poisson(rate=r1), Poisson(rate=r2), twin("Poisson", r1), twin("Poisson", r2)


@pytest.mark.parametrize("seed", [0, 1])
def test_closed_form_kl_against_torch(seed):
    # only this test needs torch: the rest of the module checks scipy and identities
    torch = pytest.importorskip("torch")
    for P, Q, tP, tQ in _pairs(np.random.default_rng(seed), torch):
        expected = torch.distributions.kl_divergence(tP, tQ).numpy()
        np.testing.assert_allclose(kl_divergence(P, Q), expected, rtol=1e-10,
                                   err_msg=type(P).__name__)


def test_closed_form_kl_against_monte_carlo():
    n = 200_000
    for P, Q, _, _ in _pairs(np.random.default_rng(2)):
        x = P.sample((n,), random_state=np.random.default_rng(3))
        # log P(x) - log Q(x) with scipy / numpy oracles, not our log_prob.
        if isinstance(P, Bernoulli):
            lr = stats.bernoulli.logpmf(x, P.probs) - stats.bernoulli.logpmf(x, Q.probs)
        elif isinstance(P, Categorical):
            idx = x.astype(int)
            rows = np.arange(P.batch_shape[0])
            lr = np.log(P.probs[rows, idx]) - np.log(Q.probs[rows, idx])
        elif isinstance(P, Normal):
            lr = stats.norm.logpdf(x, P.loc, P.scale) - stats.norm.logpdf(x, Q.loc, Q.scale)
        elif isinstance(P, Laplace):
            lr = stats.laplace.logpdf(x, P.loc, P.scale) - stats.laplace.logpdf(x, Q.loc, Q.scale)
        else:
            lr = stats.poisson.logpmf(x, P.rate) - stats.poisson.logpmf(x, Q.rate)
        se = lr.std(axis=0) / np.sqrt(n)
        assert np.all(np.abs(lr.mean(axis=0) - kl_divergence(P, Q)) < 5 * se + 1e-12), \
            type(P).__name__


def test_poisson_kl_against_explicit_sum():
    r1, r2 = 3.7, 1.2
    k = np.arange(0, 60)  # the tail beyond 60 is below 1e-40
    p = stats.poisson.pmf(k, r1)
    expected = np.sum(special.rel_entr(p, stats.poisson.pmf(k, r2)))
    assert kl_divergence(Poisson(rate=r1), Poisson(rate=r2)) == pytest.approx(expected, rel=1e-12)
    assert kl_divergence(Poisson(rate=r1), Poisson(rate=0.0)) == np.inf


def test_bernoulli_kl_identity_with_arrays():
    # Two-outcome KL from the array form equals the Bernoulli closed form.
    assert kl_divergence(Bernoulli(probs=0.3), Bernoulli(probs=0.6)) == pytest.approx(
        float(stats.entropy([0.7, 0.3], [0.4, 0.6])), rel=1e-13)
    assert kl_divergence(Bernoulli(probs=0.3), Bernoulli(probs=1.0)) == np.inf
    assert kl_divergence(Bernoulli(logits=-1e4), Bernoulli(logits=-1e4)) == 0.0


def test_unregistered_pair_and_registration():
    with pytest.raises(NotImplementedError, match="StudentT.*Normal"):
        kl_divergence(StudentT(3.0), Normal(0.0, 1.0))
    with pytest.raises(NotImplementedError, match="Normal.*Laplace"):
        kl_divergence(Normal(0.0, 1.0), Laplace(0.0, 1.0))

    class Shifted(Normal):
        pass

    @register_kl(Shifted, Shifted)
    def _kl(p, q):
        return np.full(p.batch_shape, 42.0)

    assert kl_divergence(Shifted(0.0, 1.0), Shifted(1.0, 1.0)) == 42.0


def test_entropy_of_a_distribution():
    assert isinstance(Normal(0, 1), Distribution)
    np.testing.assert_allclose(entropy(Normal([0.0, 1.0], [1.0, 3.0])),
                               stats.norm([0, 1], [1, 3]).entropy(), rtol=1e-12)
    assert entropy(Bernoulli(probs=0.5), base=2) == pytest.approx(1.0, rel=1e-15)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, 5, elements=st.floats(0.0, 10.0)),
       hnp.arrays(np.float64, 5, elements=st.floats(0.01, 10.0)))
def test_gibbs_inequality(a, b):
    if a.sum() == 0:
        a[0] = 1.0
    p, q = a / a.sum(), b / b.sum()
    kl = kl_divergence(p, q)
    assert kl >= -1e-12
    assert cross_entropy(p, q) >= entropy(p) - 1e-12
    assert kl == pytest.approx(float(stats.entropy(p, q)), rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(m1=st.floats(-5, 5), m2=st.floats(-5, 5), s1=st.floats(0.1, 5), s2=st.floats(0.1, 5))
def test_continuous_kl_nonnegative_and_zero_on_itself(m1, m2, s1, s2):
    for cls in (Normal, Laplace):
        assert kl_divergence(cls(m1, s1), cls(m2, s2)) >= -1e-12
        assert abs(kl_divergence(cls(m1, s1), cls(m1, s1))) < 1e-12
