"""CRPS of mixtures of many Student-t components of df 3 (a mixture-studentt fit's Laplace
predictive pools 100 draws x K components): ``E|X - X'| / 2`` by the pairs in closed form
(probnn._crps_mixture.t3_pairs_half_gini) instead of the integral of ``F (1 - F)``.

Oracles, not the code under test: scipy quad of ``int F_i (1 - F_j) + F_j (1 - F_i) dx``
(``E|X_i - X_j'|``) and of ``(F(x) - 1{x >= y})^2`` with F from scipy.stats.t, split at the
components' locations; mpmath's 40-digit integral where a component's scale is 1e-160;
properscoring's ensemble CRPS of many draws (within its sampling error); and the integral
the pairs replace (``quadrature_half_gini``, 1e-9 relative by its own measurements).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from probnn import _crps_mixture
from probnn._crps_base import _tanh_sinh_rule
from probnn.distributions import Mixture, StudentT
from probnn.scoring_rules import crps


def _quad_pieces(fn, points, scales=()) -> float:
    """``int fn`` over the real line split at ``points`` and at each ``points[i] +- 10^e
    scales[i]`` (e = -1..4: quad's pieces then each hold a component's steep part or its
    tail, not a near step far inside a long interval), and the tails beyond them in ``u = 1 /
    x`` (quad's own map of an infinite piece gave -1e-12 for a tail of +7e-6)."""
    cuts = set(points)
    for m, s in zip(points, scales):
        cuts |= {m + sign * s * 10.0**e for sign in (-1, 1) for e in range(-1, 5)}
    edges = sorted(cuts)
    lo, hi = min(edges[0], -1.0), max(edges[-1], 1.0)   # the tails start away from 0
    edges = [lo] + edges + [hi]

    def quad(f, a, b):
        return integrate.quad(f, a, b, epsabs=0, epsrel=1e-13, limit=500)[0]
    return (sum(quad(fn, a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a)
            + quad(lambda u: fn(1.0 / u) / (u * u) if u > 0 else 0.0, 0.0, 1.0 / hi)
            + quad(lambda u: fn(1.0 / u) / (u * u) if u < 0 else 0.0, 1.0 / lo, 0.0))


def _pair_by_quad(m1, s1, m2, s2) -> float:
    """``E|X_1 - X_2|`` = int F_1 (1 - F_2) + F_2 (1 - F_1) dx, scipy's t cdf and sf."""
    def g(x):
        return (stats.t.cdf(x, 3, m1, s1) * stats.t.sf(x, 3, m2, s2)
                + stats.t.cdf(x, 3, m2, s2) * stats.t.sf(x, 3, m1, s1))
    return _quad_pieces(g, [m1, m2], [s1, s2])


_LOG_SCALE = st.floats(-4.0, 4.0)


@settings(max_examples=12, deadline=None)
@given(st.floats(-1e4, 1e4), _LOG_SCALE, st.floats(-1e4, 1e4), _LOG_SCALE, st.floats(0.05, 0.95))
def test_two_components_half_gini_matches_quad(m1, e1, m2, e2, w1):
    s1, s2 = 10.0**e1, 10.0**e2
    comps = [StudentT(3.0, loc=m1, scale=s1), StudentT(3.0, loc=m2, scale=s2)]
    log_w = np.log([w1, 1.0 - w1])
    got = float(_crps_mixture.t3_pairs_half_gini(comps, log_w, ()))
    # E|X - X'| / 2 = w1^2 E11 / 2 + w2^2 E22 / 2 + w1 w2 E12, each E by quad
    want = (0.5 * w1 * w1 * _pair_by_quad(m1, s1, m1, s1)
            + 0.5 * (1.0 - w1) ** 2 * _pair_by_quad(m2, s2, m2, s2)
            + w1 * (1.0 - w1) * _pair_by_quad(m1, s1, m2, s2))
    assert got == pytest.approx(want, rel=1e-10)


def _crps_by_quad(w, loc, scale, y, points=None) -> float:
    """``int (F - 1{x >= y})^2`` of one row, split at y and the locations (or ``points``, at
    the widest scale)."""
    def cdf(x):
        return float(np.sum(w * stats.t.cdf(x, 3, loc, scale)))

    def sf(x):
        return float(np.sum(w * stats.t.sf(x, 3, loc, scale)))
    if points is None:
        points, scales = loc.tolist() + [y], scale.tolist() + [0.0]
    else:
        points, scales = list(points) + [y], [float(np.max(scale))] * len(points) + [0.0]
    below = _quad_pieces(lambda x: cdf(x) ** 2 if x < y else 0.0, points, scales)
    above = _quad_pieces(lambda x: sf(x) ** 2 if x >= y else 0.0, points, scales)
    return below + above


@settings(max_examples=6, deadline=None)
@given(st.integers(9, 12), st.integers(0, 2**32 - 1), st.floats(-3.0, 3.0),
       st.sampled_from([0.1, 10.0, 1e3]))
def test_many_component_crps_matches_quad(k, seed, log_ratio, spread):
    # above 8 components (the pairs replace the integral there); scales over 10^|log_ratio|,
    # locations spread from overlapping (0.1) to far apart (1e3)
    rng = np.random.default_rng(seed)
    loc = rng.normal(0.0, spread, k)
    scale = 10.0 ** rng.uniform(min(0.0, log_ratio), max(0.0, log_ratio), k)
    w = rng.dirichlet(np.ones(k))
    y = float(rng.choice(loc) + rng.normal(0.0, 2.0))
    mix = Mixture([StudentT(3.0, loc=loc[i], scale=scale[i]) for i in range(k)], weights=w)
    assert float(crps(mix, np.array(y))) == pytest.approx(_crps_by_quad(w, loc, scale, y),
                                                         rel=1e-9)


def _pooled(rng, n_rows: int, draws: int = 100, k: int = 3):
    """A Laplace predictive's shape: ``draws`` jittered copies of a K-component t mixture."""
    centre = rng.normal(0.0, 5.0, (k, n_rows))
    width = rng.uniform(0.3, 3.0, (k, n_rows))
    pi = rng.dirichlet(np.ones(k), size=n_rows).T                         # (k, n)
    loc = (centre[None] + 0.3 * width[None] * rng.normal(size=(draws, k, n_rows)))
    scale = width[None] * np.exp(0.2 * rng.normal(size=(draws, k, n_rows)))
    loc, scale = loc.reshape(draws * k, n_rows), scale.reshape(draws * k, n_rows)
    w = np.tile(pi, (draws, 1)) / draws
    return loc, scale, w


def test_predictive_with_weights_over_16_decades_matches_quad():
    # fails before: the integral of F (1 - F) (its groups, their shares) was 6e-5 relative off
    # here (9e-6 and 5e-6 on seeds 0 and 2; 1.7e-6 on a bike300 mixture-studentt Laplace
    # predictive's held-out row, whose pooled components had weights from 4e-18 to 0.01 and
    # scales from 0.55 to 1e4, as these); the pairs are exact to rounding
    rng = np.random.default_rng(1)
    draws = 100
    loc = np.concatenate([rng.normal(830.0, 120.0, draws), rng.normal(2000.0, 3500.0, draws),
                          rng.normal(1100.0, 2500.0, draws)])
    scale = np.exp(np.concatenate([rng.uniform(np.log(26.0), np.log(1650.0), draws),
                                   rng.uniform(np.log(0.5), np.log(1e4), draws),
                                   rng.uniform(np.log(15.0), np.log(1.5e4), draws)]))
    w = np.concatenate([np.full(draws, 0.01), 10.0 ** rng.uniform(-12.0, -3.0, draws),
                        10.0 ** rng.uniform(-18.0, -7.0, draws)])
    w /= w.sum()
    y = 801.0
    mix = Mixture([StudentT(3.0, loc=loc[i], scale=scale[i]) for i in range(3 * draws)],
                  weights=w)
    # quad split at 21 quantiles of the locations (not at each of 300): the oracle's pieces
    points = np.quantile(loc, np.linspace(0.0, 1.0, 21)).tolist()
    want = _crps_by_quad(w, loc, scale, y, points=points)
    assert float(crps(mix, np.array(y))) == pytest.approx(want, rel=1e-9)


def test_pooled_predictive_half_gini_matches_the_integral_it_replaces():
    rng = np.random.default_rng(5)
    loc, scale, w = _pooled(rng, 4)
    comps = [StudentT(3.0, loc=loc[i], scale=scale[i]) for i in range(loc.shape[0])]
    log_w = np.log(w)
    got = _crps_mixture.mixture_half_gini(comps, log_w, (4,), None)  # rule unused: the pairs
    want = _crps_mixture.quadrature_half_gini(
        comps, log_w, (4,), partial(_tanh_sinh_rule, levels=7))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=0)


def test_pooled_predictive_crps_matches_properscoring_draws():
    properscoring = pytest.importorskip("properscoring")
    rng = np.random.default_rng(8)
    loc, scale, w = _pooled(rng, 3)
    y = loc[0] + np.array([0.0, 4.0, -20.0])
    mix = Mixture([StudentT(3.0, loc=loc[i], scale=scale[i]) for i in range(loc.shape[0])],
                  weights=w)
    got = crps(mix, y)
    m = 200_000
    draws = np.empty((3, m))
    for j in range(3):
        which = rng.choice(loc.shape[0], size=m, p=w[:, j])
        draws[j] = loc[which, j] + scale[which, j] * rng.standard_t(3.0, size=m)
    want = properscoring.crps_ensemble(y, draws)
    # sampling error: 6 standard errors of the E|X - y| term (the larger of the two) plus the
    # ensemble estimator's bias E|X - X'| / (2m)
    se = np.std(np.abs(draws - y[:, None]), axis=1) / np.sqrt(m)
    assert np.all(np.abs(got - want) <= 6.0 * se + np.mean(np.abs(draws), axis=1) / m)


def test_extreme_scales_keep_every_digit():
    # scales from 1e-160 to 1e150 (squares past float range; the integral refused ratios over
    # 1e12); oracle: two far-apart groups of identical copies reduce to three pairs by quad in
    # units where they are ordinary, scaled back (E|X_i - X_j'| is equivariant)
    comps = ([StudentT(3.0, loc=0.0, scale=1e-160)] * 5
             + [StudentT(3.0, loc=2e-160, scale=3e-160)] * 5)
    w = np.full(10, 0.1)
    got = float(_crps_mixture.mixture_half_gini(comps, np.log(w), (), None))
    want = 1e-160 * (0.25 * 0.5 * _pair_by_quad(0.0, 1.0, 0.0, 1.0)
                     + 0.25 * 0.5 * _pair_by_quad(2.0, 3.0, 2.0, 3.0)
                     + 0.25 * _pair_by_quad(0.0, 1.0, 2.0, 3.0))
    assert got == pytest.approx(want, rel=1e-10)
    big = [StudentT(3.0, loc=0.0, scale=1e150), StudentT(3.0, loc=1e-20, scale=1e-20)] * 5
    got = float(_crps_mixture.mixture_half_gini(big, np.log(w), (), None))
    # the narrow half is a point at 0 beside the wide one: 1e150 (E11 / 8 + E(wide, 0) / 4)
    want = 1e150 * (0.125 * _pair_by_quad(0.0, 1.0, 0.0, 1.0)
                    + 0.25 * _pair_by_quad(0.0, 1.0, 0.0, 1e-170))
    assert got == pytest.approx(want, rel=1e-10)
    assert np.isfinite(got)


def test_other_df_keeps_the_integral():
    # only df = 3 has the closed pairs: a df = 4 mixture still goes through the integral
    rng = np.random.default_rng(1)
    comps = [StudentT(4.0, loc=rng.normal(size=2), scale=rng.uniform(0.5, 2.0, 2))
             for _ in range(10)]
    log_w = np.full((10, 1), -np.log(10.0))
    rule = partial(_tanh_sinh_rule, levels=7)
    np.testing.assert_array_equal(_crps_mixture.mixture_half_gini(comps, log_w, (2,), rule),
                                  _crps_mixture.quadrature_half_gini(comps, log_w, (2,), rule))


def test_row_blocks_give_the_same_values(monkeypatch):
    # rows in blocks of _PAIR_ENTRIES / K (bounded temporaries): each row's sum is the same
    rng = np.random.default_rng(2)
    loc, scale, w = _pooled(rng, 7, draws=5)
    comps = [StudentT(3.0, loc=loc[i], scale=scale[i]) for i in range(loc.shape[0])]
    whole = _crps_mixture.t3_pairs_half_gini(comps, np.log(w), (7,))
    monkeypatch.setattr(_crps_mixture, "_PAIR_ENTRIES", 2 * loc.shape[0])   # 2 rows a block
    np.testing.assert_array_equal(_crps_mixture.t3_pairs_half_gini(comps, np.log(w), (7,)),
                                  whole)
