"""Scores for probabilistic predictions.

A model in probnn predicts a distribution, so it is judged as one: by the
negative log-likelihood it gives the held-out targets (in nats, or bits), by
how far its probabilities are from the outcomes (Brier score), and by whether
its stated confidence matches how often it is right (calibration: reliability
curve, expected calibration error, probability integral transform, interval
coverage).

Arrays go in, Python floats (or arrays for curves) come out.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from probnn._central_interval import central_interval, interval_mass
from probnn._validation import (check_outcomes, describe_rows, describe_values,
                                weighted_mean)

__all__ = [
    "nats_to_bits",
    "mean_nll",
    "brier_score",
    "expected_calibration_error",
    "reliability_curve",
    "pit_values",
    "interval_coverage",
    "central_interval",
    "interval_mass",
    "crps_rows",
    "mean_crps",
    "ks_distance_uniform",
    "classification_metrics",
    "regression_metrics",
    "RunningMetrics",
    "EXACT_PIT_ROWS",
]

_LN2 = np.log(2.0)


def nats_to_bits(x: ArrayLike) -> Any:
    """Convert an information quantity from nats (natural log) to bits (log base 2).

    Parameters
    ----------
    x : float or ndarray
        Value(s) in nats.

    Returns
    -------
    float or ndarray
        ``x / ln 2``; a float for scalar input, otherwise an array of the same
        shape (float32 stays float32).
    """
    arr = np.asarray(x)
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    out = arr / arr.dtype.type(_LN2)
    return float(out) if out.ndim == 0 else out


def mean_nll(dist, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Mean negative log-likelihood of targets under predicted distributions, in nats.

    ``-sum_i w_i log p(y_i | theta_i) / sum_i w_i``. For a multi-label Bernoulli
    (batch shape ``(n, k)``) each row's log-probabilities are summed over the
    labels first, as the labels are modelled as independent.

    Parameters
    ----------
    dist : Distribution
        Predictive distributions with batch shape ``(n_samples,)`` (or
        ``(n_samples, k)`` for independent labels); must have ``log_prob``.
    y : ndarray of shape (n_samples,) or (n_samples, k)
        Observed targets: the batch shape (a column vector (n_samples, 1) is flattened;
        another shape raises ValueError rather than broadcast against the batch).
    sample_weight : ndarray of shape (n_samples,), optional
        Non-negative weights with a positive sum; equal weights if None.

    Returns
    -------
    float
        The weighted mean NLL in nats (``inf`` if a target has probability 0).
    """
    log_p = np.asarray(dist.log_prob(_observed(dist, y)), dtype=np.float64)
    if log_p.ndim == 0:
        log_p = log_p.reshape(1)
    per_row = log_p.reshape(log_p.shape[0], -1).sum(axis=1)
    return -weighted_mean(per_row, sample_weight)


def _observed(dist, y: ArrayLike) -> np.ndarray:
    """``y`` checked against ``dist``'s batch (:func:`probnn._validation.check_outcomes`)."""
    batch = getattr(dist, "batch_shape", None)
    return np.asarray(y) if batch is None else check_outcomes(y, batch)


# --------------------------------------------------------------------------
# classification


def _check_labels_and_proba(y_true: ArrayLike, proba: ArrayLike):
    """Validate class labels against probabilities; return (y, proba as 2-D, is_binary).

    A 1-D ``proba`` holds P(y = 1) of a binary problem; it is widened to the
    two columns ``[1 - p, p]`` so that callers handle one layout.
    """
    p = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y_true)
    binary = p.ndim == 1
    if p.ndim not in (1, 2):
        raise ValueError(
            f"proba must have shape (n_samples,) or (n_samples, n_classes); found shape {p.shape}"
        )
    if y.ndim != 1 or y.shape[0] != p.shape[0]:
        raise ValueError(
            f"y_true must have shape ({p.shape[0]},) to match proba; found shape {y.shape}"
        )
    if y.shape[0] == 0:
        raise ValueError("expected at least one sample; found 0 rows")
    bad_p = ~np.isfinite(p) | (p < 0) | (p > 1)
    if bad_p.any():
        raise ValueError(
            "probabilities must lie in [0, 1]; found "
            f"{describe_values(p[bad_p])} at {describe_rows(bad_p)}"
        )
    n_classes = 2 if binary else p.shape[1]
    y_float = y.astype(np.float64) if y.dtype.kind in "biuf" else None
    if y_float is None:
        raise ValueError(f"y_true must hold integer class indices; found dtype {y.dtype}")
    bad_y = (y_float != np.round(y_float)) | (y_float < 0) | (y_float > n_classes - 1)
    if bad_y.any():
        raise ValueError(
            f"y_true must be class indices 0..{n_classes - 1}; found "
            f"{describe_values(y[bad_y])} at {describe_rows(bad_y)}"
        )
    p2 = np.column_stack([1.0 - p, p]) if binary else p
    return y_float.astype(np.int64), p2, binary


def brier_score(y_true: ArrayLike, proba: ArrayLike) -> float:
    """Brier score: mean squared distance between predicted probabilities and outcomes.

    The convention of ``sklearn.metrics.brier_score_loss`` (its default,
    ``scale_by_half="auto"``), set by the number of classes, not by how the
    probabilities are given: two classes (``proba`` of shape ``(n,)`` holding
    P(y = 1), as a Bernoulli gives it, or of shape ``(n, 2)``, as a two-class
    categorical or ordinal does) ``mean_i (p_i - y_i)^2`` with ``p_i = P(y_i = 1)``,
    in [0, 1]; ``C > 2`` classes (``(n, C)``) Brier's original
    ``mean_i sum_k (p_ik - [y_i = k])^2``, in [0, 2] (for two classes that sum is twice
    the binary form, so a Bernoulli and a categorical model of the same probabilities
    score the same). Lower is better; 0 is a perfect, certain prediction.

    Parameters
    ----------
    y_true : ndarray of int, shape (n_samples,)
        Class indices ``0..C-1`` (0 or 1 for binary).
    proba : ndarray of shape (n_samples,) or (n_samples, C)
        Predicted probabilities.

    Returns
    -------
    float
    """
    y, p2, _ = _check_labels_and_proba(y_true, proba)
    if p2.shape[1] == 2:  # two classes, however given: the binary form
        return float(np.mean((p2[:, 1] - y) ** 2))
    onehot = np.eye(p2.shape[1])[y]
    return float(np.mean(np.sum((p2 - onehot) ** 2, axis=1)))


def _top_label(y: NDArray, p2: NDArray):
    """Confidence (largest probability) and correctness of the top-label prediction."""
    predicted = np.argmax(p2, axis=1)
    confidence = p2[np.arange(p2.shape[0]), predicted]
    return confidence, (predicted == y).astype(np.float64)


def reliability_curve(y_true: ArrayLike, proba: ArrayLike, n_bins: int = 10):
    """Top-label reliability curve on equal-width confidence bins.

    Each prediction's confidence is its largest class probability; the
    predictions are grouped by confidence into the bins ``[0, 1/M], (1/M, 2/M],
    ..., ((M-1)/M, 1]`` (right-closed, as in ``sklearn.calibration.calibration_curve``),
    and in each bin the mean confidence is set against the fraction of correct
    predictions. A calibrated model has the two equal in every bin.

    Parameters
    ----------
    y_true : ndarray of int, shape (n_samples,)
        Class indices.
    proba : ndarray of shape (n_samples,) or (n_samples, C)
        P(y = 1) for binary problems, or class probabilities.
    n_bins : int
        Number of equal-width bins ``M`` on [0, 1].

    Returns
    -------
    bin_confidence : ndarray of shape (n_bins,)
        Mean confidence in each bin (NaN for an empty bin).
    bin_accuracy : ndarray of shape (n_bins,)
        Fraction of correct top-label predictions in each bin (NaN if empty).
    bin_count : ndarray of int, shape (n_bins,)
        Number of predictions in each bin.
    """
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer; found {n_bins!r}")
    n_bins = int(n_bins)
    y, p2, _ = _check_labels_and_proba(y_true, proba)
    confidence, correct = _top_label(y, p2)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # searchsorted on the inner edges (side="left") puts a value equal to an
    # edge in the lower bin, i.e. the bins are closed on the right.
    bin_index = np.searchsorted(edges[1:-1], confidence, side="left")
    count = np.bincount(bin_index, minlength=n_bins)
    sum_conf = np.bincount(bin_index, weights=confidence, minlength=n_bins)
    sum_correct = np.bincount(bin_index, weights=correct, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        bin_confidence = np.where(count > 0, sum_conf / count, np.nan)
        bin_accuracy = np.where(count > 0, sum_correct / count, np.nan)
    return bin_confidence, bin_accuracy, count.astype(np.int64)


def expected_calibration_error(y_true: ArrayLike, proba: ArrayLike, n_bins: int = 10) -> float:
    """Top-label expected calibration error (ECE) on equal-width bins.

    ``ECE = sum_b (n_b / n) |accuracy_b - confidence_b|`` over the bins of
    :func:`reliability_curve`: the average gap, weighted by how many predictions
    fall in each bin, between how sure the model is and how often it is right.

    Parameters
    ----------
    y_true : ndarray of int, shape (n_samples,)
    proba : ndarray of shape (n_samples,) or (n_samples, C)
    n_bins : int

    Returns
    -------
    float
        In [0, 1]; 0 for a perfectly calibrated model.
    """
    conf, acc, count = reliability_curve(y_true, proba, n_bins)
    used = count > 0
    return float(np.sum(count[used] * np.abs(acc[used] - conf[used])) / count.sum())


def _class_probabilities(dist) -> NDArray:
    """P(y = 1) of shape (n,) for a Bernoulli, class probabilities (n, C) for a Categorical."""
    probs = getattr(dist, "probs", None)
    if probs is None:
        raise TypeError(
            "classification metrics need a Bernoulli or Categorical distribution with "
            f"`probs`; found {type(dist).__name__}"
        )
    return np.asarray(probs, dtype=np.float64)


def classification_metrics(y_true: ArrayLike, dist) -> dict[str, float]:
    """Held-out scores of a classifier's predictive distributions.

    Parameters
    ----------
    y_true : ndarray of int, shape (n_samples,)
        Class indices ``0..C-1``.
    dist : Bernoulli or Categorical
        Predictions with ``probs`` of shape ``(n_samples,)`` (P(y = 1)) or
        ``(n_samples, C)``.

    Returns
    -------
    dict
        ``nll_nats``, ``nll_bits`` (mean NLL per example), ``accuracy`` (of the
        most probable class), ``brier`` (:func:`brier_score`), ``ece``
        (:func:`expected_calibration_error`, 10 bins).
    """
    running = RunningMetrics(classifier=True)
    running.update(y_true, dist)
    return running.result()


# --------------------------------------------------------------------------
# regression


def _is_discrete(dist) -> bool:
    """Whether ``dist`` declares a discrete support (``Distribution.support``): a registered
    distribution or family gets the randomised PIT by declaring it, with no list of types here."""
    support = getattr(dist, "support", "real")
    if support == "classes":
        raise ValueError(
            f"the PIT needs ordered outcomes; found a {type(dist).__name__} distribution, whose "
            "classes have no order (use the reliability curve instead)"
        )
    return bool(getattr(dist, "is_discrete", False))


def pit_values(dist, y: ArrayLike, random_state=0) -> NDArray:
    """Probability integral transform (PIT) of observed targets.

    For a continuous predictive CDF ``F_i``, ``u_i = F_i(y_i)``: if the
    predictions are the true conditional distributions, the ``u_i`` are
    independent Uniform(0, 1). For a discrete distribution (one whose ``support`` is
    binary, ordered classes or counts: ``Distribution.is_discrete``) ``F_i(y_i)`` is not
    uniform, so the randomised PIT is used instead:
    ``u_i = F_i(y_i - 1) + v_i (F_i(y_i) - F_i(y_i - 1))`` with ``v_i`` uniform,
    which is uniform under the same condition (Czado, Gneiting & Held, 2009).

    Parameters
    ----------
    dist : Distribution
        Predictions with batch shape ``(n_samples,)`` and a ``cdf``.
    y : ndarray of shape (n_samples,)
        Observed targets (a column vector (n_samples, 1) is flattened).
    random_state : None, int, numpy Generator or RandomState
        Source of the ``v_i`` for discrete distributions; fixed by default so
        that the same predictions always give the same PIT values.

    Returns
    -------
    ndarray of shape (n_samples,)
        Values in [0, 1] in the distribution's dtype; a histogram of them
        should be flat.
    """
    y = _observed(dist, y)
    upper = np.asarray(dist.cdf(y))
    if upper.dtype.kind != "f":
        upper = upper.astype(np.float64)
    if not _is_discrete(dist):
        return upper
    # F(y - 1) for integer y; below the support (y = 0) it is 0.
    below = np.where(y >= 1, dist.cdf(np.maximum(y - 1, 0)), 0.0)
    v = _uniforms(random_state, upper.shape)
    return (below + v * (upper - below)).astype(upper.dtype, copy=False)


def _uniforms(random_state, shape) -> NDArray:
    if isinstance(random_state, np.random.RandomState):
        return random_state.uniform(size=shape)
    return np.random.default_rng(random_state).uniform(size=shape)


def ks_distance_uniform(u: ArrayLike) -> float:
    """Kolmogorov-Smirnov distance ``sup_t |F_n(t) - t|`` of values from Uniform(0, 1).

    Parameters
    ----------
    u : ndarray of shape (n_samples,)
        Values in [0, 1], e.g. PIT values.

    Returns
    -------
    float
        0 for a perfectly uniform sample; near 1 when all values pile up at one end.
    """
    u = np.sort(np.asarray(u, dtype=np.float64).ravel())
    n = u.size
    if n == 0:
        raise ValueError("expected at least one value; found 0")
    i = np.arange(1, n + 1)
    # The empirical CDF jumps at each sorted value: compare just after and just before.
    return float(max(np.max(i / n - u), np.max(u - (i - 1) / n)))


def interval_coverage(lower: ArrayLike, upper: ArrayLike, y: ArrayLike) -> float:
    """Fraction of targets inside their predicted interval ``[lower, upper]`` (ends included).

    Parameters
    ----------
    lower, upper : ndarray of shape (n_samples,)
        Interval ends, ``lower <= upper``.
    y : ndarray of shape (n_samples,)
        Observed targets.

    Returns
    -------
    float
        Empirical coverage in [0, 1], to compare with the nominal coverage.
    """
    lo = np.asarray(lower, dtype=np.float64)
    hi = np.asarray(upper, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if not (lo.shape == hi.shape == y.shape) or y.ndim != 1:
        raise ValueError(
            "lower, upper and y must have the same shape (n_samples,); found "
            f"{lo.shape}, {hi.shape} and {y.shape}"
        )
    if y.size == 0:
        raise ValueError("expected at least one sample; found 0 rows")
    reversed_ = lo > hi
    if reversed_.any():
        raise ValueError(
            f"each interval needs lower <= upper; found lower > upper at {describe_rows(reversed_)}"
        )
    return float(np.mean((lo <= y) & (y <= hi)))


def crps_rows(dist, y: ArrayLike) -> NDArray[np.float64] | None:
    """Each row's CRPS (:func:`probnn.crps`) in float64, or None where the distribution
    has no CRPS (no closed form and no ``cdf`` / ``icdf``, or an unordered Categorical).

    Parameters
    ----------
    dist : Distribution
        Predictions with batch shape ``(n_samples,)``.
    y : array-like of shape (n_samples,)

    Returns
    -------
    ndarray of shape (n_samples,) or None
    """
    from probnn.scoring_rules import crps

    try:
        return np.asarray(crps(dist, _observed(dist, y)), dtype=np.float64)
    except NotImplementedError:
        return None


def mean_crps(dist, y: ArrayLike) -> float | None:
    """The mean CRPS over the rows (in y's units), or None (see :func:`crps_rows`)."""
    rows = crps_rows(dist, y)
    return None if rows is None else float(np.mean(rows))


def regression_metrics(y_true: ArrayLike, dist, coverage: float = 0.9) -> dict[str, float]:
    """Held-out scores of a regressor's predictive distributions.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,)
        Observed targets.
    dist : Normal, Laplace, StudentT or Poisson
        Predictions with batch shape ``(n_samples,)``.
    coverage : float
        Nominal coverage of the central predictive interval that is checked.

    Returns
    -------
    dict
        ``nll_nats``, ``nll_bits`` (mean NLL per example); ``crps`` (mean
        continuous ranked probability score, :func:`probnn.crps`, in y's units; absent
        for a distribution that has neither a closed form nor a ``cdf`` / ``icdf``);
        ``rmse`` and ``mae`` of the predictive mean (nan where a row's mean does not exist);
        ``coverage`` (empirical coverage of the central
        interval at the nominal ``coverage``); ``coverage_expected`` (the model's own mass of
        those intervals, :func:`interval_mass`, averaged over the rows: ``coverage`` for a
        continuous law, more for a discrete one, whose intervals hold their ends' whole
        masses; what ``coverage`` should be); ``pit_ks`` (KS distance of the PIT
        values from Uniform(0, 1): 0 is perfectly calibrated).
    """
    running = RunningMetrics(classifier=False, coverage=coverage)
    running.update(y_true, dist)
    return running.result()


# --------------------------------------------------------------------------
# accumulated over pieces of rows

# Held-out rows up to which the PIT's KS distance is exact (their PIT values kept, 8 bytes a
# row: 8 MiB); beyond, a histogram of PIT_BINS bins bounds the memory.
EXACT_PIT_ROWS = 1 << 20
PIT_BINS = 1 << 16


class RunningMetrics:
    """The held-out metrics of :func:`classification_metrics` / :func:`regression_metrics`,
    from rows scored in pieces: ``update(y, dist)`` for each piece, then ``result()``.

    Sums over the rows (NLL, squared / absolute error, correct predictions, Brier terms,
    interval hits, the reliability curve's bins) give the figures of all the rows at once,
    to rounding; one update is the in-memory metrics (those functions are one update).

    The PIT's KS distance is exact (:func:`ks_distance_uniform` of every PIT value) while
    at most ``exact_rows`` rows have been scored: the values are kept. Past that the kept
    values go into a histogram of ``pit_bins`` equal right-closed bins and the distance is
    read at the bins' right edges: at most ``1 / pit_bins`` below the exact one (between
    two edges the empirical CDF and ``t`` each move by at most one bin), in bounded memory.
    Discrete predictions' randomised PIT draws its uniforms from one generator seeded 0,
    in row order: the draws of :func:`pit_values` on all the rows at once.

    Parameters
    ----------
    classifier : bool
        Scores of class labels (``classification_metrics``), else of values.
    coverage : float, default=0.9
        Nominal coverage of the central interval (regression).
    exact_rows : int, default=EXACT_PIT_ROWS
    pit_bins : int, default=PIT_BINS
    """

    def __init__(self, classifier: bool, coverage: float = 0.9, exact_rows: int = EXACT_PIT_ROWS,
                 pit_bins: int = PIT_BINS):  # fmt: skip
        self.classifier, self.coverage = bool(classifier), float(coverage)
        self.exact_rows, self.pit_bins = int(exact_rows), int(pit_bins)
        self.n = 0
        self.sums: dict[str, float] = {}
        self._bins: NDArray | None = None  # the reliability curve's (3, 10) sums
        self._pit: list[NDArray] | None = []  # PIT values while exact; None after
        self._pit_counts: NDArray | None = None
        self._pit_rng = np.random.default_rng(0)

    def _add(self, key: str, value: float) -> None:
        self.sums[key] = self.sums.get(key, 0.0) + float(value)

    def _add_squares(self, error: NDArray) -> None:
        """Add ``sum(error**2)`` kept as ``se_unit**2 * se``, ``se_unit`` the largest
        ``|error|`` so far (as LAPACK's dnrm2): errors of 1e-300 square to 0 in float64.
        A nan error (a law without a mean: Student-t with df <= 1) makes the sum nan, as the
        absolute errors' is: no largest error is nan, so it had been left out (RMSE 0)."""
        if np.isnan(error).any():
            self._add("se", math.nan)
            return
        largest = float(np.max(np.abs(error), initial=0.0))
        unit = self.sums.get("se_unit", 0.0)
        if largest > unit:  # a new unit: the sum so far rescaled to it
            self.sums["se"] = self.sums.get("se", 0.0) * (unit / largest) ** 2
            self.sums["se_unit"] = unit = largest
        if unit > 0:  # an infinite error (a mean past float max) counts 1: the RMSE is inf
            scaled = error / unit if np.isfinite(unit) else np.isinf(error).astype(np.float64)
            self._add("se", np.sum(scaled ** 2))

    def update(self, y_true: ArrayLike, dist) -> None:
        """Score the next rows: targets ``y_true`` (n,) as the estimator sees them (class
        indices for a classifier), and their predicted distributions (batch shape (n,))."""
        if self.classifier:
            self._update_classes(y_true, dist)
        else:
            self._update_values(y_true, dist)

    def _nll(self, dist, y: NDArray) -> None:
        log_p = np.asarray(dist.log_prob(y), dtype=np.float64)
        per_row = log_p.reshape(y.shape[0], -1).sum(axis=1)
        self._add("nll", -np.dot(np.ones(per_row.shape[0]), per_row))  # mean_nll's sum

    def _update_classes(self, y_true, dist) -> None:
        proba = _class_probabilities(dist)
        y, p2, _ = _check_labels_and_proba(y_true, proba)
        self.n += y.shape[0]
        self._nll(dist, y)
        self._add("correct", np.sum(np.argmax(p2, axis=1) == y))
        if p2.shape[1] == 2:  # two classes, however given: brier_score's binary form
            self._add("brier", np.sum((p2[:, 1] - y) ** 2))
        else:
            self._add("brier", np.sum(np.sum((p2 - np.eye(p2.shape[1])[y]) ** 2, axis=1)))
        confidence, correct = _top_label(y, p2)
        edges = np.linspace(0.0, 1.0, 11)
        index = np.searchsorted(edges[1:-1], confidence, side="left")  # right-closed bins
        bins = np.stack([np.bincount(index, minlength=10).astype(np.float64),
                         np.bincount(index, weights=confidence, minlength=10),
                         np.bincount(index, weights=correct, minlength=10)])  # fmt: skip
        self._bins = bins if self._bins is None else self._bins + bins

    def _update_values(self, y_true, dist) -> None:
        y = np.asarray(y_true, dtype=np.float64)
        if y.ndim != 1 or tuple(dist.batch_shape) != y.shape:
            raise ValueError(
                f"y_true must have shape {tuple(dist.batch_shape)} to match the predictions; "
                f"found shape {y.shape}"
            )
        bad = ~np.isfinite(y)
        if bad.any():
            raise ValueError(
                f"targets must be finite; found {describe_values(y[bad])} at {describe_rows(bad)}"
            )
        if y.size == 0:
            return
        self.n += y.size
        self._nll(dist, y)
        scores = crps_rows(dist, y)
        if scores is not None:  # a law without a CRPS (crps_rows) leaves it out
            self._add("crps", np.sum(scores))
        error = np.asarray(dist.mean, dtype=np.float64) - y
        self._add_squares(error)
        self._add("ae", np.sum(np.abs(error)))
        lower, upper = central_interval(dist, self.coverage)
        self._add("covered", np.sum((lower <= y) & (y <= upper)))
        # summed as the excess over the nominal: exactly 0, so exactly the nominal, for a
        # continuous law (a sum of n copies of 0.9 divided by n need not be 0.9)
        self._add("mass_excess", np.sum(interval_mass(dist, lower, upper, self.coverage)
                                        - self.coverage))  # fmt: skip
        pit = np.asarray(pit_values(dist, y, random_state=self._pit_rng), dtype=np.float64)
        if self._pit is not None:
            self._pit.append(pit)
            if self.n <= self.exact_rows:
                return
            pit, self._pit = np.concatenate(self._pit), None  # too many to keep: a histogram
        index = np.clip(np.ceil(pit * self.pit_bins).astype(np.int64) - 1, 0, self.pit_bins - 1)
        counts = np.bincount(index, minlength=self.pit_bins)
        self._pit_counts = counts if self._pit_counts is None else self._pit_counts + counts

    def result(self) -> dict[str, float]:
        """The metrics, with the keys and meaning of :func:`classification_metrics` /
        :func:`regression_metrics`."""
        if self.n == 0:
            raise ValueError("expected at least one sample; found 0 rows")
        n, s = self.n, self.sums
        nll = s["nll"] / n
        out = {"nll_nats": nll, "nll_bits": nats_to_bits(nll)}
        if self.classifier:
            count, conf, correct = self._bins
            used = count > 0
            ece = float(np.sum(count[used] * np.abs(correct[used] / count[used]
                                                    - conf[used] / count[used])) / count.sum())  # fmt: skip
            out.update(accuracy=s["correct"] / n, brier=s["brier"] / n, ece=ece)
            return out
        if self._pit is not None:
            ks = ks_distance_uniform(np.concatenate(self._pit))
        else:  # sup_t |F_n(t) - t| at the bins' right edges
            edges = np.arange(1, self.pit_bins + 1) / self.pit_bins
            ks = float(np.max(np.abs(np.cumsum(self._pit_counts) / n - edges)))
        if "crps" in s:
            out["crps"] = s["crps"] / n
        rmse = s.get("se_unit", 0.0) * math.sqrt(s.get("se", 0.0) / n)
        out.update(rmse=rmse, mae=s["ae"] / n, coverage=s["covered"] / n,
                   coverage_expected=self.coverage + s["mass_excess"] / n, pit_ks=ks)  # fmt: skip
        return out
