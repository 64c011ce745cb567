"""Scores for survival (time-to-event) predictions with right-censored times.

:func:`concordance_index` is Harrell's C: among the pairs whose order of events is
known, the share the predictions put in the same order. :func:`d_calibration` is the
censoring-aware calibration check of Haider et al. (2020): the predicted survival
probabilities at the observed times, censored rows spread over what they allow.
:func:`censored_metrics` gathers these with the censored NLL for ``probnn evaluate``, and for
a target censored at fixed bounds (a detection limit, a cap) :func:`recorded_coverage`, the
coverage of the central interval of the value recorded.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numpy.typing import ArrayLike

from probnn._validation import describe_rows, describe_values

__all__ = ["concordance_index", "d_calibration", "DCalibration", "censored_metrics",
           "recorded_coverage", "recorded_mean"]


def _as_vector(values: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must have shape (n_samples,); found shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(f"{name} must be finite; found {describe_values(arr[bad])} at "
                         f"{describe_rows(bad)}")  # fmt: skip
    return arr


def concordance_index(time: ArrayLike, event: ArrayLike, predicted: ArrayLike) -> float:
    """Harrell's concordance index of predicted survival times.

    A pair ``(i, j)`` is comparable when the earlier time is an observed event:
    ``time_i < time_j`` with ``event_i = 1``, or ``time_i == time_j`` with ``event_i = 1``
    and ``event_j = 0`` (j was still at risk when i's event happened). It is concordant
    when ``predicted_i < predicted_j`` (the earlier event has the shorter predicted time),
    and a tie in the predictions counts one half:

        C = (concordant + ties / 2) / comparable.

    Parameters
    ----------
    time : array-like of shape (n_samples,)
        Observed times: the event's, or the censoring's.
    event : array-like of shape (n_samples,)
        1 (or True) where the event was observed, 0 where the time is right-censored.
    predicted : array-like of shape (n_samples,)
        A predicted survival time or any score that is larger for longer survival (e.g.
        the predicted median). For a risk score (larger = earlier event) pass its negative.

    Returns
    -------
    float
        In [0, 1]: 1 for a perfect order, 0.5 for random predictions.

    Raises
    ------
    ValueError
        On shapes that differ, values that are not finite, events not 0/1, or no
        comparable pair.

    Notes
    -----
    O(n log n): the rows are visited from the latest time down, and each event is
    compared with the rows at risk after it through a Fenwick tree over the ranks of
    the predictions.
    """
    time = _as_vector(time, "time")
    predicted = _as_vector(predicted, "predicted")
    event_raw = _as_vector(event, "event")
    bad = ~np.isin(event_raw, (0.0, 1.0))
    if bad.any():
        raise ValueError(f"event must be 1 (observed) or 0 (censored); found "
                         f"{describe_values(event_raw[bad])} at {describe_rows(bad)}")  # fmt: skip
    if not time.shape == event_raw.shape == predicted.shape:
        raise ValueError(
            f"time, event and predicted must have the same shape; found {time.shape}, "
            f"{event_raw.shape} and {predicted.shape}"
        )
    event = event_raw == 1.0
    n = time.shape[0]
    # ranks 1..m of the predictions (equal predictions share a rank)
    levels, rank = np.unique(predicted, return_inverse=True)
    rank = rank + 1
    m = len(levels)
    tree = np.zeros(m + 1, dtype=np.int64)

    def prefix(r: int) -> int:  # rows inserted so far with rank <= r
        total = 0
        while r > 0:
            total += int(tree[r])
            r -= r & -r
        return total

    def insert(r: int) -> None:
        while r <= m:
            tree[r] += 1
            r += r & -r

    order = np.argsort(-time, kind="stable")
    concordant = ties = comparable = 0
    inserted = 0
    start = 0
    while start < n:
        stop = start
        t = time[order[start]]
        while stop < n and time[order[stop]] == t:
            stop += 1
        group = order[start:stop]
        censored_here = predicted[group[~event[group]]]
        for i in group[event[group]]:
            r = int(rank[i])
            below, upto = prefix(r - 1), prefix(r)
            # rows with a later time, then rows censored at this same time
            concordant += inserted - upto + int(np.sum(censored_here > predicted[i]))
            ties += upto - below + int(np.sum(censored_here == predicted[i]))
            comparable += inserted + censored_here.size
        for i in group:
            insert(int(rank[i]))
        inserted += group.size
        start = stop
    if comparable == 0:
        raise ValueError("no comparable pair: the concordance index needs at least one "
                         "observed event before another row's time")  # fmt: skip
    return (concordant + 0.5 * ties) / comparable


@dataclasses.dataclass(frozen=True)
class DCalibration:
    """What :func:`d_calibration` found.

    Attributes
    ----------
    counts : ndarray of shape (n_bins,)
        Rows per bin of the predicted survival probability ``S = 1 - F`` (bin 0 is
        ``[0, 1/n_bins)``); a censored row adds its share to several bins, so the counts
        are fractional and sum to the number of rows.
    statistic : float
        Pearson's chi-square of the counts against ``n / n_bins`` each.
    p_value : float
        Of the chi-square with ``n_bins - 1`` degrees of freedom: a small value says the
        survival probabilities are not uniform (the model is not D-calibrated).
    """

    counts: np.ndarray
    statistic: float
    p_value: float


def _cdf_at(dist, x: np.ndarray, default: float) -> np.ndarray:
    """``dist.cdf(x)`` where ``x`` is finite, ``default`` (0 at -inf, 1 at +inf) elsewhere."""
    finite = np.isfinite(x)
    out = np.full(x.shape, default, dtype=np.float64)
    if finite.any():
        safe = np.where(finite, x, 0.0)  # every row evaluated (batch shape), finite ones kept
        out[finite] = np.asarray(dist.cdf(safe), dtype=np.float64)[finite]
    return np.where(x == -np.inf, 0.0, np.where(x == np.inf, 1.0, out))


def d_calibration(dist, y: ArrayLike, n_bins: int = 10) -> DCalibration:
    """Distributional calibration of predictions for censored and interval targets.

    Each row's predicted survival probability at its observed value, ``S(y) = 1 - F(y)``,
    is Uniform(0, 1) under a correct model. A row known only to lie in ``(l, u]`` has
    ``S(Y)`` uniform on ``[S(u), S(l)]`` under the model, and is spread uniformly over that
    range (Haider, Hoehn, Davis & Greiner 2020, "Effective ways to build and evaluate
    individual survival distributions", JMLR 21(85)): a right-censored row at ``c`` spreads
    over ``[0, S(c)]``, a left-censored one over ``[S(u), 1]``. For a discrete distribution
    an exact count ``y`` is the interval ``(y - 1, y]`` (the randomised PIT). The histogram
    of these shares over ``n_bins`` equal bins is flat in expectation; its chi-square
    against flat is the test.

    Parameters
    ----------
    dist : Distribution
        Predictions with batch shape (n_samples,) and a ``cdf``.
    y : array-like of shape (n_samples, 2)
        ``(lower, upper)`` rows as ``Family.check_interval_target`` returns them (equal
        bounds: exact; ``inf`` / ``-inf``: an absent bound); or shape (n_samples,) of
        exact values.
    n_bins : int, default=10
        Haider et al.'s choice.

    Returns
    -------
    DCalibration
    """
    from scipy import stats

    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 1:
        y = np.column_stack([y, y])
    if y.ndim != 2 or y.shape[1] != 2 or y.shape[0] != dist.batch_shape[0]:
        raise ValueError(f"y must have shape ({dist.batch_shape[0]}, 2) of (lower, upper) or "
                         f"({dist.batch_shape[0]},); found shape {y.shape}")  # fmt: skip
    if not (isinstance(n_bins, int) and n_bins >= 2):
        raise ValueError(f"n_bins must be an integer of at least 2; found {n_bins!r}")
    lower, upper = y[:, 0], y[:, 1]
    if getattr(dist, "is_discrete", False):
        exact = lower == upper
        lower = np.where(exact, lower - 1.0, lower)
    # S(Y) lies in [a, b] = [1 - F(u), 1 - F(l)]; a point where the two agree
    a = 1.0 - _cdf_at(dist, upper, 1.0)
    b = 1.0 - _cdf_at(dist, lower, 0.0)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    point = b - a <= 0.0
    counts = np.zeros(n_bins)
    np.add.at(counts, np.minimum((a[point] * n_bins).astype(np.intp), n_bins - 1), 1.0)
    lo, hi = a[~point, None], b[~point, None]
    overlap = np.clip(np.minimum(hi, edges[None, 1:]) - np.maximum(lo, edges[None, :-1]), 0.0, None)
    counts += np.sum(overlap / (hi - lo), axis=0)
    expected = y.shape[0] / n_bins
    statistic = float(np.sum((counts - expected) ** 2) / expected)
    return DCalibration(counts=counts, statistic=statistic,
                        p_value=float(stats.chi2.sf(statistic, n_bins - 1)))  # fmt: skip


def recorded_coverage(dist, recorded: ArrayLike, below: float | None, above: float | None,
                      coverage: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Coverage of the interval of the *recorded* value of a target censored at fixed bounds,
    and the model's own probability of it, per row.

    A target left-censored at ``below`` and right-censored at ``above`` is recorded as
    ``R = clip(Y, below, above)``, with an atom at each bound: its interval is
    :func:`probnn.metrics.central_interval` with the bounds (``Y``'s central interval clipped,
    the tail mass a bound's atom leaves unspent moved to the other end), and under the model
    it holds ``R`` with probability ``P(R <= upper) - P(R < lower)``
    (:func:`probnn.metrics.interval_mass`): what a calibrated model's coverage is.

    Parameters
    ----------
    dist : Distribution
        Continuous predictions of ``Y``, batch shape (n_samples,).
    recorded : array-like of shape (n_samples,)
        The values recorded, within ``[below, above]``.
    below, above : float or None
        The bounds (None: none on that side).
    coverage : float in (0, 1)

    Returns
    -------
    covered : ndarray of bool, shape (n_samples,)
    mass : ndarray of float64, shape (n_samples,)
    """
    from probnn.metrics import central_interval, interval_mass

    recorded = np.asarray(recorded, dtype=np.float64)
    lower, upper = central_interval(dist, coverage, below, above)
    covered = (lower <= recorded) & (recorded <= upper)
    return covered, interval_mass(dist, lower, upper, coverage, below, above)


def recorded_mean(dist, below: float | None, above: float | None) -> np.ndarray:
    """Mean of the value recorded of a target censored at fixed bounds,
    ``E[clip(Y, below, above)]``, per row (``probnn predict``'s ``prediction``).

    With the lower partial moment ``L(c) = E[(c - Y)+] = int_{-inf}^c F(t) dt`` and
    ``clip(Y, b, a) = Y + (b - Y)+ - (Y - a)+ = a + (b - Y)+ - (a - Y)+`` (``b < a``):
    ``E[max(Y, b)] = E[Y] + L(b)`` (a detection limit: the Tobit mean), ``E[min(Y, a)] =
    a - L(a)`` (a cap; no need of ``E[Y]``, which a heavy tail may lack) and
    ``E[clip(Y, b, a)] = a + L(b) - L(a)``. For a normal ``N(mu, sigma^2)`` the closed form
    (:func:`_normal_recorded_mean`); for a mixture (an ensemble's, mixture-normal's) its
    components' means weighted; else ``L`` is, for a law on the counts,
    the finite sum ``sum_{k < floor(c)} F(k) + (c - floor(c)) F(floor(c))``; for any other
    law with ``cdf`` and ``icdf``, ``int_0^F(c) (c - Q(tau)) d tau`` by the tanh-sinh rule of
    :func:`probnn.scoring_rules.crps_numerical` (about 1e-10 relative for a smooth quantile
    function, 1e-6 across a kink such as a Laplace's median).

    Parameters
    ----------
    dist : Distribution
        Predictions of the latent ``Y``, batch shape (n_samples,).
    below, above : float or None
        The bounds (None: none on that side; both None: the mean of ``Y``).

    Returns
    -------
    ndarray of float64, shape (n_samples,)
    """
    from probnn.distributions import Mixture, Normal

    if type(dist) is Normal and (below is not None or above is not None):
        return _normal_recorded_mean(dist._loc, dist._scale, below, above)
    if isinstance(dist, Mixture):  # a mean is linear in the law: the components' own forms
        means = dist._stack(lambda c: np.broadcast_to(recorded_mean(c, below, above),
                                                      dist.batch_shape))  # fmt: skip
        return np.sum(np.exp(dist._log_w) * means, axis=0)
    if above is None:
        mean = np.asarray(dist._mean(), dtype=np.float64)
        return mean if below is None else mean + _lower_partial_moment(dist, float(below))
    out = float(above) - _lower_partial_moment(dist, float(above))
    return out if below is None else out + _lower_partial_moment(dist, float(below))


def _normal_recorded_mean(loc: np.ndarray, scale: np.ndarray, below: float | None,
                          above: float | None) -> np.ndarray:  # fmt: skip
    """``E[clip(Y, b, a)]`` for ``Y ~ N(loc, scale^2)``: with ``h(u) = E[(Z - u)+] =
    phi(u) - u Phi(-u)``, ``E[(Y - c)+] = scale h((c - loc) / scale)`` and

    * ``b + scale (h(alpha) - h(beta))`` (``alpha = (b - loc) / scale``, ``beta = (a - loc) /
      scale``; ``h(beta) = 0`` without a cap: the Tobit mean), where ``loc <= a``;
    * ``a - scale (h(-beta) - h(-alpha))`` (the same by ``clip = a - (a - Y)+ + (b - Y)+``),
      where ``loc > a`` or without a limit.

    Each row takes the form whose terms are small beside its answer, so a mean far beyond a
    bound gives the bound plus the tail's own small part, not a difference of large terms
    (a row with ``loc = -30``, ``scale = 1`` below a limit 0: ``h(30)``, about 1.6e-199, where
    ``E[Y] + E[(0 - Y)+]`` gives a rounding error of either sign, about 1e-15)."""
    from scipy import special

    def h(u):  # above 0 through erfcx, Phi(-u) = phi(u) sqrt(pi / 2) erfcx(u / sqrt 2):
        # the two terms cancel to phi(u) / u^2 there, and no separate tail value adds its error
        phi = np.exp(-0.5 * u * u) / math.sqrt(2.0 * math.pi)
        positive = np.maximum(u, 0.0)  # (the other branch's rows: erfcx overflows below 0)
        mills = math.sqrt(0.5 * math.pi) * special.erfcx(positive / math.sqrt(2.0))
        return np.where(u > 0, phi * (1.0 - u * mills), phi - u * special.ndtr(-u))

    alpha = None if below is None else (below - loc) / scale
    beta = None if above is None else (above - loc) / scale
    from_below = from_above = None
    if below is not None:
        from_below = below + scale * (h(alpha) - (0.0 if beta is None else h(beta)))
    if above is not None:
        from_above = above - scale * (h(-beta) - (0.0 if alpha is None else h(-alpha)))
    if from_above is None:
        return from_below
    if from_below is None:
        return from_above
    return np.where(loc <= above, from_below, from_above)


def _lower_partial_moment(dist, c: float) -> np.ndarray:
    """``E[(c - Y)+] = int_{-inf}^c F(t) dt`` per row, float64 (:func:`recorded_mean`)."""
    from probnn.scoring_rules import _quantiles, _tanh_sinh_rule

    shape = tuple(dist.batch_shape)
    if dist.support == "count":  # F is a step function on 0, 1, 2, ...
        whole = math.floor(c)
        if whole < 0:
            return np.zeros(shape)
        total = (c - whole) * np.asarray(dist._cdf(np.full(shape, float(whole))), dtype=np.float64)
        for start in range(0, whole, 256):  # blocks of counts: memory (256, n_samples)
            k = np.arange(start, min(whole, start + 256), dtype=np.float64)[:, None]
            total = total + np.sum(np.asarray(dist._cdf(k), dtype=np.float64), axis=0)
        return total
    split = np.broadcast_to(np.asarray(dist._cdf(np.full(shape, c)), dtype=np.float64), shape)

    def pieces(left, right):
        q = _quantiles(dist, split * left)  # levels tau in (0, F(c))
        # levels that round to 0 (Q = -inf) are left out, as in crps_numerical; Q(tau) <= c
        # below F(c), so a negative c - Q is Q's rounding at a node and counts as 0
        return split * np.where(np.isfinite(q), np.maximum(c - q, 0.0), 0.0)

    return _tanh_sinh_rule(pieces, len(shape))


def censored_metrics(y: np.ndarray, dist, nll_rows: ArrayLike, coverage: float | None = None,
                     bounds: tuple[float | None, float | None] | None = None) -> dict[str, float]:  # fmt: skip
    """Held-out scores of predictions for censored targets (``probnn evaluate``).

    Parameters
    ----------
    y : ndarray of shape (n_samples, 2)
        Checked ``(lower, upper)`` rows.
    dist : Distribution
        Batch shape (n_samples,).
    nll_rows : array-like of shape (n_samples,)
        Each row's ``-log P(lower < Y <= upper)`` (the density's NLL where exact).
    coverage : float in (0, 1), optional
    bounds : (below, above), optional
        A target censored at fixed bounds (a detection limit ``below``, a cap ``above``;
        None on a side without one): with ``coverage``, the coverage of the value
        recorded (:func:`recorded_coverage`) is measured too.

    Returns
    -------
    dict
        ``nll_nats``, ``nll_bits``; ``coverage`` and ``coverage_expected`` (the recorded
        value's interval coverage and the model's own mass of it, averaged: with
        ``coverage`` and ``bounds``, for continuous predictions); ``concordance``
        (Harrell's C of the predicted median against the times, when every row is exact or
        right-censored and some pair is comparable); ``d_calibration_p``
        (:func:`d_calibration`'s p-value).
    """
    nll = float(np.mean(np.asarray(nll_rows, dtype=np.float64)))
    out = {"nll_nats": nll, "nll_bits": nll / math.log(2.0)}
    lower, upper = y[:, 0], y[:, 1]
    exact = lower == upper
    if coverage is not None and bounds is not None and not getattr(dist, "is_discrete", False):
        below, above = bounds
        recorded = np.where(exact | ~np.isfinite(upper), lower, upper)  # the bound if censored
        covered, mass = recorded_coverage(dist, recorded, below, above, coverage)
        out["coverage"] = float(np.mean(covered))
        out["coverage_expected"] = float(np.mean(mass))
    if np.all(exact | (np.isfinite(lower) & (upper == np.inf))):
        median = np.asarray(dist.icdf(np.full(dist.batch_shape, 0.5)), dtype=np.float64)
        try:
            out["concordance"] = concordance_index(lower, exact.astype(np.float64), median)
        except ValueError:  # no comparable pair (no event before another's time)
            pass
    out["d_calibration_p"] = d_calibration(dist, y).p_value
    return out
