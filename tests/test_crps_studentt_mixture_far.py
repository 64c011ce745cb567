"""CRPS of Student-t mixtures where a component's standardised point passes 1e154, and of
mixtures whose components' spreads differ by more than the O(K) rule's nodes can span.

scipy's ``stdtr`` squares t: its tail is 0 (not 1e-240) beyond |t| ~ 1.3e154. A mixture
holding a component of scale 1e-160 puts every observation and every node of the
O(K) rule (probnn._crps_mixture, above 8 components) or of the pairwise cross terms (up to
8) at such a t for it. Oracles, not the code under test: mpmath's integral of
``(F(x) - 1{x >= y})^2`` with each component's cdf from mpmath's incomplete beta, each side
from its own tail (40 digits); and far away, ``CRPS(y) = |y - mean| - E|X - X'| / 2 + 2
E[(X - y)+]`` whose two last terms are below 1e-290 of ``|y - mean|`` at ``|y| = 1e300``.
The missing far tail of a component of scale s holds at most ``s (1e154)^(1 - df) / (df - 1)``
of the integral (2e-77 s at df = 1.5, the least df the O(K) rule takes): these pass with
scipy's stdtr too; they hold the score to its oracle whichever tail form computes it.
"""

from __future__ import annotations

import numpy as np
import pytest

from probnn.distributions import Mixture, StudentT
from probnn.scoring_rules import crps

mpmath = pytest.importorskip("mpmath")

_WEIGHTS = [0.3, 0.45, 0.25]


def _laws(narrow: float, wide_df=(3.0, 2.2)) -> list[tuple[float, float, float]]:
    """(df, loc, scale): a narrow component (scale 1e-160: its t at x = 1 is 1e160) and two
    ordinary ones."""
    return [(1.5, 0.0, narrow), (wide_df[0], 0.5, 1.0), (wide_df[1], -1.0, 2.0)]


def _mixture(n_components: int, narrow: float = 1e-160, wide_df=(3.0, 2.2)) -> Mixture:
    """The three laws, each repeated so there are ``n_components`` components in all."""
    copies = [n_components // 3 + (i < n_components % 3) for i in range(3)]
    comps, weights = [], []
    for (df, loc, scale), w, c in zip(_laws(narrow, wide_df), _WEIGHTS, copies):
        comps += [StudentT(df, loc=loc, scale=scale)] * c
        weights += [w / c] * c
    return Mixture(comps, weights=np.array(weights))


def _tails(x, laws):
    """The mixture's ``(F(x), 1 - F(x))`` by mpmath, each side from its own tail."""
    below = above = mpmath.mpf(0)
    for (df, loc, scale), w in zip(laws, _WEIGHTS):
        t = (x - mpmath.mpf(loc)) / mpmath.mpf(scale)
        nu = mpmath.mpf(df)
        small = mpmath.betainc(nu / 2, mpmath.mpf(1) / 2, 0, nu / (nu + t * t),
                               regularized=True) / 2  # P(T <= -|t|)
        lower, upper = (small, 1 - small) if t < 0 else (1 - small, small)
        below += w * lower
        above += w * upper
    return below, above


def _crps_mpmath(y: float, narrow: float, wide_df=(3.0, 2.2)) -> float:
    laws = _laws(narrow, wide_df)
    with mpmath.workdps(40):
        y = mpmath.mpf(y)
        points = sorted({mpmath.mpf(loc) for _, loc, _ in laws} | {y})
        left = [-mpmath.inf] + points
        right = points + [mpmath.inf]
        total = mpmath.mpf(0)
        for a, b in zip(left, right):
            above_y = a >= y  # the pieces split at y: 1{x >= y} is constant on each
            total += mpmath.quad(lambda x: _tails(x, laws)[1 if above_y else 0] ** 2, [a, b])
        return float(total)


@pytest.mark.parametrize("n_components", [3, 10])  # pairwise cross terms; the O(K) rule
@pytest.mark.parametrize("y", [-3.0, 0.25, 1e6])
def test_t_mixture_with_a_narrow_component_matches_mpmaths_integral(n_components, y):
    """Before: with 10 components the O(K) rule gave 0.820 at y = 0.25 (mpmath: 0.2685): the
    narrow group's nodes stopped at 4e-138 and its 30% share of the rest was left out."""
    got = float(crps(_mixture(n_components), np.array(y)))
    assert got == pytest.approx(_crps_mpmath(y, 1e-160), rel=1e-9)


def test_o_k_rule_keeps_its_accuracy_at_a_spread_ratio_of_2e10():
    """All three df = 1.5. Before: 1.3e-6 relative off (the narrow group's share of the wide
    components' tails beyond e^52 of its own spread), above the rule's 1e-9."""
    heavy = (1.5, 1.5)
    got = float(crps(_mixture(10, narrow=1e-10, wide_df=heavy), np.array(0.25)))
    assert got == pytest.approx(_crps_mpmath(0.25, 1e-10, heavy), rel=1e-9)


@pytest.mark.parametrize("n_components", [3, 10])
@pytest.mark.parametrize("y", [1e300, -1e300, 1e200])
def test_t_mixture_far_away_is_the_distance_to_its_mean(n_components, y):
    mean = sum(w * loc for (_, loc, _), w in zip(_laws(1e-160), _WEIGHTS))
    got = float(crps(_mixture(n_components), np.array(y)))
    assert np.isfinite(got)
    assert got == pytest.approx(abs(y - mean), rel=1e-14)
