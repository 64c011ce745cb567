"""The central predictive interval of a distribution, and the model's own mass of it.

:func:`central_interval` (equal-tailed for a continuous law; for a discrete law, or a value
recorded at fixed bounds, the narrowest equal-tailed interval ``[F^-1(d), F^-1(1 - d)]``,
``d >= (1 - c) / 2``, holding the level: the tail mass one end leaves unspent goes to the
other end, and a level's interval lies within a higher level's) and
:func:`interval_mass` (``P(lower <= Y <= upper)`` under the predicted law: what a calibrated
model's interval coverage should be), both through ``_Recorded``, the cdf of the value
recorded. Split from :mod:`probnn.metrics`, which re-exports both: they are read as metrics
(``coverage_expected``) and by the estimators', tables' and reports' intervals.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

# steps of _first_holding_discrete: an end's atom holds more than the excess after a step or
# two, but for a law with a large atom at one end (a hurdle's zeros) and wide, thin masses at
# the other (counts ~1e5) this bound is what stops it
_DISCRETE_STEPS = 64


class _Recorded:
    """The cdf of the value recorded, ``R = clip(Y, below, above)`` (no bound: ``R = Y``), at
    points within ``[below, above]``: ``P(R <= x)`` and ``P(R < x)``. A discrete law lives on
    consecutive integers, so ``P(Y < k) = F(k - 1)``."""

    def __init__(self, dist, below: float | None, above: float | None):
        self.dist = dist
        self.below = -np.inf if below is None else float(below)
        self.above = np.inf if above is None else float(above)
        self.step = 1.0 if getattr(dist, "is_discrete", False) else 0.0

    def _cdf(self, x):
        x = np.asarray(x, dtype=np.float64)
        finite = np.isfinite(x)
        values = np.asarray(self.dist.cdf(np.where(finite, x, 0.0)), dtype=np.float64)
        return np.where(finite, values, np.where(x > 0, 1.0, 0.0))

    def clip(self, x):
        return np.clip(np.asarray(x, dtype=np.float64), self.below, self.above)

    def at_most(self, x, cdf_at_x=None):
        """``P(R <= x)``; ``cdf_at_x``: ``F(x)`` where already known."""
        return np.where(x >= self.above, 1.0, self._cdf(x) if cdf_at_x is None else cdf_at_x)

    def less(self, x, cdf_before_x=None):
        """``P(R < x)``; ``cdf_before_x``: ``F(x - step)`` where already known."""
        values = self._cdf(x - self.step) if cdf_before_x is None else cdf_before_x
        return np.where(x <= self.below, 0.0, values)


def central_interval(dist, coverage: float, below: float | None = None,
                     above: float | None = None) -> tuple[NDArray, NDArray]:  # fmt: skip
    """Predictive interval of probability ``coverage``: equal-tailed, ``[F^-1(t), F^-1(1-t)]``
    with ``t = (1 - coverage) / 2``, for a continuous law.

    Where the law has atoms the equal-tailed interval holds more than ``coverage``. A discrete
    law (``dist.is_discrete``: binary, ordered classes, counts) seldom has a value whose cdf is
    exactly ``t``, so ``F^-1(t)`` leaves ``P(Y < F^-1(t)) <= t`` outside, often much less (none
    below a count law's ``P(0) >= t``: ``[0, F^-1(0.95)]`` holds 95% or more); a target
    recorded as ``clip(Y, below, above)`` (censored at fixed bounds) has an atom at each bound.
    The interval is then, of the equal-tailed intervals ``J(d) = [F^-1(d), F^-1(1 - d)]`` of
    the value recorded ``R`` (``t <= d <= 1/2``; a bound inside where its atom reaches ``d``),
    the narrowest holding ``coverage``: the tail mass one end leaves unspent goes to the
    other end as far as ``J`` allows. The ``J(d)`` are nested (a count is in ``J(d)`` while
    ``d <= min(P(R <= k), P(R >= k))``, the lower end on a tie), so the intervals of two
    levels are too, which a per-level choice of the end that takes the leftover is not (a
    negative binomial's 50% interval was ``[1, 3]``, its 60% one ``[0, 2]``). It lies within
    the equal-tailed interval (``J(t)``) and holds at least ``coverage``
    (:func:`interval_mass`); for a continuous law without bounds it is the equal-tailed one.

    Parameters
    ----------
    dist : Distribution
        Predictions with an ``icdf`` (and a ``cdf`` where discrete or bounded).
    coverage : float
        Nominal coverage ``c`` in (0, 1).
    below, above : float or None, default=None
        Fixed bounds the target is recorded at (a detection limit, a cap); None: none.

    Returns
    -------
    lower, upper : ndarray of float64, shape batch_shape
    """
    if not 0.0 < coverage < 1.0:
        raise ValueError(f"coverage must lie strictly between 0 and 1; found {coverage!r}")
    tail = (1.0 - coverage) / 2.0

    def icdf(q):
        q = np.array(np.broadcast_to(q, dist.batch_shape), dtype=np.float64)
        return np.asarray(dist.icdf(q), dtype=np.float64)

    lower, upper = icdf(tail), icdf(1.0 - tail)
    if not getattr(dist, "is_discrete", False) and below is None and above is None:
        return lower, upper
    r = _Recorded(dist, below, above)
    lower, upper = r.clip(lower), r.clip(upper)
    if getattr(dist, "is_discrete", False):
        return _first_holding_discrete(r, lower, upper, coverage)
    return _first_holding_bounded(r, icdf, tail, coverage)


def _first_holding_discrete(r: _Recorded, lower, upper, coverage: float):
    """Of the equal-tailed intervals ``[F^-1(d), F^-1(1 - d)]`` (``d >= t``) of a law on
    consecutive integers, the narrowest holding ``coverage``: from the equal-tailed one, drop
    the end an equal-tailed interval of a larger ``d`` drops first (the upper where
    ``P(R >= upper) <= P(R <= lower)``, else the lower) while what is left holds ``coverage``."""
    # F at lower - 1, lower, upper - 1 and upper, carried from step to step: a step moves one
    # end by one, so it needs F at one new point (past the end it moved), where each step
    # took four cdfs (a wide count mixture's cdf is seconds: 100 incomplete beta functions a
    # row); the same values at the same points, so the same comparisons and the same ends
    cdf_before_low, cdf_low = r._cdf(lower - 1.0), r._cdf(lower)
    cdf_before_up, cdf_up = r._cdf(upper - 1.0), r._cdf(upper)
    for step in range(_DISCRETE_STEPS):
        deep_low = r.at_most(lower, cdf_low)
        deep_up = 1.0 - r.less(upper, cdf_before_up)
        drop_upper = deep_up <= deep_low
        lo = np.where(drop_upper, lower, lower + 1.0)
        hi = np.where(drop_upper, upper - 1.0, upper)
        # F(hi) and F(lo - 1) are carried: hi = upper - 1 or upper, lo - 1 = lower - 1 or lower
        mass = (r.at_most(hi, np.where(drop_upper, cdf_before_up, cdf_up))
                - r.less(lo, np.where(drop_upper, cdf_before_low, cdf_low)))
        keep = (lo <= hi) & (mass >= coverage)
        if not keep.any():
            break
        lower, upper = np.where(keep, lo, lower), np.where(keep, hi, upper)
        if step == _DISCRETE_STEPS - 1:
            break
        # the one new point: F(upper - 1) past a dropped upper end, F(lower) past a lower one
        fresh = r._cdf(np.where(drop_upper, upper - 1.0, lower))
        up_moved, low_moved = keep & drop_upper, keep & ~drop_upper
        cdf_up = np.where(up_moved, cdf_before_up, cdf_up)
        cdf_before_up = np.where(up_moved, fresh, cdf_before_up)
        cdf_before_low = np.where(low_moved, cdf_low, cdf_before_low)
        cdf_low = np.where(low_moved, fresh, cdf_low)
    return lower, upper


def _first_holding_bounded(r: _Recorded, icdf, tail: float, coverage: float):
    """The same for a continuous law recorded at fixed bounds: of ``J(d) = [F^-1(d),
    F^-1(1 - d)]`` clipped, whose mass falls as ``d`` grows, the one of the largest ``d`` in
    ``[t, 1/2]`` holding ``coverage``. That ``d`` is ``t``; ``1 - c`` (one bound's atom inside,
    mass ``1 - d``); a bound's atom ``P(R = below)``, ``P(R = above)`` (the mass falls past it);
    or ``1/2``."""
    shape = r.dist.batch_shape
    atom_below = r.at_most(np.full(shape, r.below))  # P(R = below); 0 without the bound
    atom_above = 1.0 - r.less(np.full(shape, r.above))

    def ends(d):  # J(d), a bound inside where its atom reaches d (icdf(P(R = below)) may
        # round above the bound)
        return (np.where(d <= atom_below, r.below, r.clip(icdf(d))),
                np.where(d <= atom_above, r.above, r.clip(icdf(1.0 - d))))

    # the mass at d = 1 - c is c exactly but for rounding in the law's dtype (float32: 1e-7)
    slack = 16 * np.finfo(np.dtype(getattr(r.dist, "dtype", np.float64))).eps
    best = np.full(shape, tail)
    for d in (1.0 - coverage, 0.5, atom_below, atom_above):
        d = np.clip(d, tail, 0.5)
        lower, upper = ends(d)
        mass = r.at_most(upper) - r.less(lower)
        best = np.where((mass >= coverage - slack) & (d > best), d, best)
    return ends(best)


def interval_mass(dist, lower: ArrayLike, upper: ArrayLike, coverage: float,
                  below: float | None = None, above: float | None = None) -> NDArray[np.float64]:
    """Each row's predicted probability of its own interval, ``P(lower <= Y <= upper)``.

    What a calibrated model's interval coverage should be, read from the model itself. A
    continuous law's :func:`central_interval` holds exactly ``coverage`` of its mass
    (``F(F^-1(1 - t)) - F(F^-1(t)) = 1 - 2t``). A discrete law's (``dist.is_discrete``), or
    that of a value recorded at fixed bounds, holds at least that: both ends' whole atoms are
    inside, ``F(upper) - F(lower - 1)`` for a count law (one with ``P(0) = 0.3`` has all its
    zeros inside ``[0, upper]``), and a bound's whole atom where an end is at the bound. The
    interval coverage of a calibrated model is then this, not ``coverage``.

    Parameters
    ----------
    dist : Distribution
        Predictions with batch shape ``(n_samples,)`` and a ``cdf``.
    lower, upper : ndarray of shape (n_samples,)
        The interval, as :func:`central_interval` gives it for ``coverage``.
    coverage : float
        Its nominal coverage in (0, 1).
    below, above : float or None, default=None
        Fixed bounds the target is recorded at (:func:`central_interval`).

    Returns
    -------
    ndarray of float64, shape (n_samples,)
    """
    if not 0.0 < coverage < 1.0:
        raise ValueError(f"coverage must lie strictly between 0 and 1; found {coverage!r}")
    lo = np.asarray(lower, dtype=np.float64)
    if not getattr(dist, "is_discrete", False) and below is None and above is None:
        return np.full(lo.shape, float(coverage))
    r = _Recorded(dist, below, above)
    return np.minimum(r.at_most(np.asarray(upper, dtype=np.float64)) - r.less(lo), 1.0)
