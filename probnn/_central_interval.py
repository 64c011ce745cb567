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

# counts a discrete interval's ends walk, one cdf a count, before a search takes over: the
# search costs about 3 quantiles and 8 cdfs, 40 to 100 cdfs (a quantile is 8 to 30 cdfs:
# negative binomial, Poisson, hurdle and mixture laws on 20,000 rows), so walking this far
# first keeps a row's cost within about twice the cheaper of the two (most stop within a few
# counts and never search)
_WALK_STEPS = 32


def check_coverage(coverage: float) -> None:
    """ValueError unless ``0 < coverage < 1`` with an upper tail level ``1 - (1 - c) / 2``
    below 1 in float64 (``c <= 1 - 2**-52``): the largest float below 1 made the upper end
    ``icdf(1.0) = inf`` while the lower end stayed finite."""
    if not (0.0 < coverage < 1.0 and 1.0 - (1.0 - coverage) / 2.0 < 1.0):
        raise ValueError(f"coverage must lie strictly between 0 and 1; found {coverage!r} (at "
                         "most 1 - 2**-52, whose tails float64 holds)")  # fmt: skip


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
    A count law's is exact however far inside ``J(t)`` it lies (a wide law with a zero atom
    above the tail: thousands of counts), by a walk of a few counts, then a search.

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
    check_coverage(coverage)
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
        return _first_holding_discrete(r, icdf, lower, upper, coverage)
    return _first_holding_bounded(r, icdf, tail, coverage)


def _first_holding_discrete(r: _Recorded, icdf, lower, upper, coverage: float):
    """Of the equal-tailed intervals ``[F^-1(d), F^-1(1 - d)]`` (``d >= t``) of a law on
    consecutive integers, the narrowest holding ``coverage``: by :func:`_walk_discrete` from
    the equal-tailed one ``[lower, upper]``, one cdf a count, for ``_WALK_STEPS`` counts;
    where a row's walk goes on, by :func:`_search_discrete` from there."""
    lower, upper, moving = _walk_discrete(r, lower, upper, coverage, _WALK_STEPS)
    if not moving.any():
        return lower, upper
    return _search_discrete(r, icdf, lower, upper, coverage)


def _search_discrete(r: _Recorded, icdf, lower, upper, coverage: float):
    """Of the equal-tailed intervals ``J(d) = [F^-1(d), F^-1(1 - d)]`` (``d >= t``) of a law on
    consecutive integers, the narrowest holding ``coverage``, exactly, however far it lies from
    the equal-tailed one ``[lower, upper]`` (``J(t)``).

    As ``d`` grows ``J(d)`` drops its ends one at a time: the lower end ``l`` once ``d >
    P(R <= l)``, the upper ``u`` once ``d >= P(R >= u)`` (the upper first on a tie). With ``l``
    the lower end, the upper ends go down to ``hi(l)``, the largest ``u`` with ``P(R >= u) >
    P(R <= l)``; while what is left holds ``coverage``, that is to ``max(reach(l), hi(l))``,
    ``reach(l)`` the smallest ``u`` with ``P(l <= R <= u) >= coverage``. The lower end ``l``
    is reached where ``[l, hi(l - 1)]`` holds, i.e. ``P(R >= reach(l)) > P(R <= l - 1)``: true
    up to the answer's lower end and false past it, so that end is found by galloping and
    bisection on ``l``, each ``reach`` from the law's quantile (its guess) and the cdf (the
    answer). The same ends as dropping one end at a time until the next would not hold (the
    same comparisons of the same cdfs), in a few dozen cdfs where that walk takes one a count
    (a wide count law's interval lies thousands of counts inside the equal-tailed one)."""
    ok = np.isfinite(lower) & np.isfinite(upper) & (lower <= upper)
    first, last = np.where(ok, lower, 0.0), np.where(ok, upper, 0.0)

    def quantile(q):  # the quantile of R, a guess only (the cdf decides)
        q = np.where(np.isfinite(q), np.clip(q, 0.0, 1.0), 0.5)
        return r.clip(icdf(q))

    def reach(low, below_low):
        """``reach(low)`` (``last + 1`` where even ``[low, last]`` holds less) and whether it
        exists; ``below_low = P(R < low)``."""
        def holds(j):  # [low, last - j]
            return r.at_most(last - j) - below_low >= coverage

        guess = last - quantile(np.minimum(coverage + below_low, 1.0))
        cut = _last_true(holds, np.full(first.shape, -1.0), last - low, guess)
        return last - cut, cut >= 0.0

    def lower_reached(i):  # [first + i, hi(first + i - 1)] holds (i = 0: the start)
        low = first + i
        cdf_before = r._cdf(low - 1.0)
        u, exists = reach(low, r.less(low, cdf_before))
        return (i <= 0.0) | (exists & (1.0 - r.less(u) > r.at_most(low - 1.0, cdf_before)))

    zeros = np.zeros(first.shape)
    low = first + _last_true(lower_reached, zeros, last - first, zeros + 1.0)
    u, exists = reach(low, r.less(low))
    depth_low = r.at_most(low)
    dropping = exists & (1.0 - r.less(u) <= depth_low)  # the walk stops at reach(low)
    ends_at_hi = exists & ~dropping
    if ends_at_hi.any():  # hi(low), at or above reach(low) there
        def deeper(k):
            return 1.0 - r.less(u + k) > depth_low

        hi = u + _last_true(deeper, zeros, np.where(ends_at_hi, last - u, 0.0),
                            quantile(1.0 - depth_low) - u)
        u = np.where(ends_at_hi, hi, u)
    u = np.where(exists, u, last)
    return np.where(ok, low, lower), np.where(ok, u, upper)


def _walk_discrete(r: _Recorded, lower, upper, coverage: float, steps: int):
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
    keep = np.ones(np.shape(lower), dtype=bool)  # (no step: every row may move)
    for step in range(steps):
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
        if step == steps - 1:
            break
        # the one new point: F(upper - 1) past a dropped upper end, F(lower) past a lower one
        fresh = r._cdf(np.where(drop_upper, upper - 1.0, lower))
        up_moved, low_moved = keep & drop_upper, keep & ~drop_upper
        cdf_up = np.where(up_moved, cdf_before_up, cdf_up)
        cdf_before_up = np.where(up_moved, fresh, cdf_before_up)
        cdf_before_low = np.where(low_moved, cdf_low, cdf_before_low)
        cdf_low = np.where(low_moved, fresh, cdf_low)
    return lower, upper, keep


def _last_true(pred, known_true, top, guess):
    """Per row, the largest integer ``k`` in ``[known_true, top]`` where ``pred(k)``, for a
    ``pred`` true up to some ``k`` and false past it; ``known_true`` is true (or -1: nothing
    known). Galloping from ``guess`` (steps 1, 2, 4, ... until ``pred`` turns), then bisection:
    about ``2 log2(|answer - guess| + 1) + 1`` calls of ``pred`` (on every row, a row found
    passing its last answer), where a walk from ``known_true`` takes one per count.

    Parameters
    ----------
    pred : callable
        ``pred(k)`` for float64 integer arrays ``k`` of the rows' shape: bool array.
    known_true, top, guess : ndarray of float64, shape (n_rows,)

    Returns
    -------
    ndarray of float64, shape (n_rows,)
    """
    true_at, false_at = known_true.copy(), top + 1.0
    probe = np.clip(np.where(np.isfinite(guess), np.floor(guess), known_true), known_true + 1.0,
                    top)  # fmt: skip
    step = np.ones_like(true_at)
    seen_true = np.zeros(true_at.shape, dtype=bool)
    seen_false = np.zeros(true_at.shape, dtype=bool)
    open_ = false_at - true_at > 1.0
    # (beyond 2**53 counts k + 1 == k: a probe that cannot move closes its row)
    while (open_ := open_ & (probe > true_at) & (probe < false_at)).any():
        holds = pred(np.where(open_, probe, np.maximum(true_at, 0.0)))
        true_at = np.where(open_ & holds, probe, true_at)
        false_at = np.where(open_ & ~holds, probe, false_at)
        seen_true |= open_ & holds
        seen_false |= open_ & ~holds
        # bisect once the answer is bracketed by two probes; else gallop the way pred points
        probe = np.where(seen_true & seen_false, np.floor(0.5 * (true_at + false_at)),
                         np.where(seen_true, true_at + step, false_at - step))
        probe = np.clip(probe, true_at + 1.0, false_at - 1.0)
        step = 2.0 * step
        open_ = false_at - true_at > 1.0
    return true_at


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
    check_coverage(coverage)
    lo = np.asarray(lower, dtype=np.float64)
    if not getattr(dist, "is_discrete", False) and below is None and above is None:
        return np.full(lo.shape, float(coverage))
    r = _Recorded(dist, below, above)
    return np.minimum(r.at_most(np.asarray(upper, dtype=np.float64)) - r.less(lo), 1.0)
