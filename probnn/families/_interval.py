"""A family seen through ``(lower, upper)`` targets: the head a censored fit trains.

An estimator given targets of shape (n_samples, 2) trains its network with
``IntervalTargets(family)``: the same raw outputs, link and distribution, scored by
``-log P(lower < Y <= upper)`` (:meth:`Family.check_interval_target`,
:meth:`Family._interval_loss_gradient`). Predictions go through the family itself.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from probnn._validation import check_sample_weight
from probnn.families.base import _SUPPORT_RANGE, Array, Family

__all__ = ["IntervalTargets", "is_interval_target", "interval_points", "one_sided",
           "check_has_maximum"]

# what a family declares, read through the wrapper
_DECLARED = ("name", "loss_name", "link", "out_activation", "is_classifier", "support",
             "target_kinds", "default_for", "param_names", "location_scale", "fixed_params",
             "scale_params", "estimated_params", "sklearn_loss")  # fmt: skip


def is_interval_target(y: ArrayLike) -> bool:
    """Whether ``y`` is laid out as interval targets: shape (n_samples, 2)."""
    shape = np.asarray(y).shape  # (not np.shape: array-likes without __array_function__)
    return len(shape) == 2 and shape[1] == 2


def interval_points(y: np.ndarray, support: str) -> tuple[np.ndarray, np.ndarray]:
    """One representative value per checked interval row, and which rows have one.

    The exact value; the midpoint of a bounded interval (an absent bound taken at the
    support's end where that is finite); the finite bound of a half-open one
    (``lower + 1`` for counts, whose intervals exclude ``lower``). Only for starting
    points and the target's scale, never for the likelihood.

    Returns
    -------
    points : ndarray of shape (n_kept,)
    kept : ndarray of bool, shape (n_samples,)
        False for rows ``(-inf, inf)``, which say nothing about the value.
    """
    low, high = _SUPPORT_RANGE.get(support, (-np.inf, np.inf))
    count = support == "count"
    lower = np.where(np.isfinite(y[:, 0]), y[:, 0] + (1.0 if count else 0.0),
                     low + 1.0 if count else low)  # fmt: skip
    upper = np.where(np.isfinite(y[:, 1]), y[:, 1], high)
    exact = y[:, 0] == y[:, 1]
    lo_ok, hi_ok = np.isfinite(lower), np.isfinite(upper)
    with np.errstate(invalid="ignore"):
        mid = 0.5 * (lower + upper)
    points = np.where(lo_ok & hi_ok, mid, np.where(lo_ok, lower, upper))
    if count:
        points = np.floor(points)
    points = np.where(exact, y[:, 0], points)
    kept = exact | lo_ok | hi_ok
    return points[kept], kept


def one_sided(y: np.ndarray, sample_weight: ArrayLike | None = None) -> str | None:
    """``"right"`` when every row of checked bounds ``y`` is right-censored, ``"left"`` when
    every one is left-censored, else None: the one case whose censored likelihood has no
    maximum.

    Each right-censored row's ``P(Y > lower)`` grows to 1 as the distribution moves up, so
    with nothing else (no exact row, no interval with finite bounds, no row censored on the
    other side) the NLL falls towards 0 as the location runs off to ``+inf`` (a positive
    family's scale to infinity) and no fit attains it; likewise below for left-censored
    rows. Exact rows, finite intervals or rows censored on both sides bound it (a finite
    MLE can exist there: not this function's concern). Rows of weight 0 and rows
    ``(-inf, inf)``, which say nothing, are not counted; with none left, None.

    Parameters
    ----------
    y : ndarray of shape (n_samples, 2)
        ``(lower, upper)`` as :meth:`Family.check_interval_target` returns them.
    sample_weight : array-like of shape (n_samples,), optional

    Returns
    -------
    {"right", "left"} or None
    """
    lower, upper = y[:, 0], y[:, 1]
    counted = _counted(y, sample_weight)
    if not counted.any():
        return None
    if np.all(np.isfinite(lower[counted]) & (upper[counted] == np.inf)):
        return "right"
    if np.all((lower[counted] == -np.inf) & np.isfinite(upper[counted])):
        return "left"
    return None


def _counted(y: np.ndarray, sample_weight: ArrayLike | None) -> np.ndarray:
    """The rows that say something of the target: some finite bound, a positive weight."""
    counted = np.isfinite(y[:, 0]) | np.isfinite(y[:, 1])
    if sample_weight is not None:
        counted &= np.asarray(sample_weight, dtype=np.float64).reshape(-1) > 0
    return counted


def check_has_maximum(y: np.ndarray, sample_weight: ArrayLike | None = None) -> None:
    """ValueError when every row of checked bounds ``y`` is censored on the same side
    (:func:`one_sided`), whose likelihood has no maximum, before any training.

    Raises
    ------
    ValueError
        Saying what was expected and what was found.
    """
    side = one_sided(y, sample_weight)
    if side is None:
        return
    n = int(np.count_nonzero(_counted(y, sample_weight)))
    others = f" (and {len(y) - n} of weight 0 or no finite bound)" if n < len(y) else ""
    bound, where = ("upper = inf", "above") if side == "right" else ("lower = -inf", "below")
    raise ValueError(
        "interval targets: expected at least one exact row (lower == upper), an interval "
        f"with finite bounds, or rows censored on the other side; found all {n} rows "
        f"{side}-censored ({bound}){others}: the censored likelihood then has no maximum "
        f"(a model's mass moves {where} every bound without end)"
    )


class IntervalTargets(Family):
    """``base`` trained on ``(lower, upper)`` targets; everything else is ``base``'s.

    Parameters
    ----------
    base : Family
        A family whose ``models_intervals`` is true.
    exact_log_jacobian : float, default=0.0
        Added to the NLL of the exact rows only: ``log(scale)`` when the targets are
        standardised, the Jacobian an exact row's density needs and a censored row's
        probability does not, so the trainer's curves are the NLL of the user's targets.
        A constant per row: the gradient is ``base``'s.
    """

    def __init__(self, base: Family, exact_log_jacobian: float = 0.0):
        if not base.models_intervals:
            base.check_interval_target(np.zeros((0, 2)))  # raises, naming the family
        self.base = base
        self.exact_log_jacobian = float(exact_log_jacobian)
        for attr in _DECLARED:
            setattr(self, attr, getattr(base, attr))

    def check_target(self, y: ArrayLike) -> np.ndarray:
        """``base.check_interval_target``: shape (n_samples, 2), (lower, upper)."""
        return self.base.check_interval_target(y)

    def _n_outputs_for(self, y: np.ndarray) -> int:
        return self.base._n_outputs_for(y[:, 0])

    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool):
        loss, grad = self.base._interval_loss_gradient(raw, y, need_gradient)
        if self.exact_log_jacobian:
            loss = loss + np.where(y[:, 0] == y[:, 1], self.exact_log_jacobian,
                                   0.0).astype(loss.dtype)  # fmt: skip
        return loss, grad

    def distribution(self, raw: ArrayLike):
        return self.base.distribution(raw)

    def mean(self, raw: ArrayLike) -> Array:
        return self.base.mean(raw)

    def parameter_columns(self, dist) -> dict[str, np.ndarray]:
        return self.base.parameter_columns(dist)

    def derivation(self, latex: bool = False) -> str:
        return self.base.derivation(latex)

    def get_params(self) -> dict:
        return self.base.get_params()

    def standardised(self, scale: float) -> "IntervalTargets":
        return IntervalTargets(self.base.standardised(scale), self.exact_log_jacobian)

    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """``base.constant_raw`` of one representative value per row (:func:`interval_points`).

        A starting point for the network's output layer, not the censored MLE.
        """
        y = self.check_target(y)
        w = check_sample_weight(sample_weight, y.shape[0])
        points, kept = interval_points(y, self.support)
        if not kept.any():
            raise ValueError("interval targets with no finite bound say nothing about the "
                             "target: every row is (-inf, inf)")  # fmt: skip
        return self.base.constant_raw(points, w[kept])

    def fit_fixed_params(self, raw, y, sample_weight=None) -> dict:
        """The maximum-likelihood fixed scale given the network's outputs, on the censored NLL.

        A 1-D search over ``log scale`` (``scipy.optimize.minimize_scalar``) of the weighted
        sum of :meth:`Family.censored_nll`; for families whose one estimated parameter is
        ``scale`` (the fixed-scale families).
        """
        from scipy.optimize import minimize_scalar

        if tuple(self.estimated_params) != ("scale",):
            raise NotImplementedError(
                f"family {self.name!r} estimates {self.estimated_params} after a fit; with "
                "interval targets only a fixed 'scale' is estimated"
            )
        y = self.check_target(y)
        w = check_sample_weight(sample_weight, y.shape[0])
        raw = np.asarray(raw, dtype=np.float64)
        params = self.base.get_params()
        cls = type(self.base)

        def objective(log_s: float) -> float:
            fam = cls(**{**params, "scale": math.exp(log_s)})
            return float(np.dot(w, fam.censored_nll(raw, y[:, 0], y[:, 1])))

        points, kept = interval_points(y, self.support)
        spread = float(np.std(points)) if points.size > 1 else 1.0
        centre = math.log(spread if spread > 0 else 1.0)
        res = minimize_scalar(objective, bracket=(centre - 1.0, centre + 1.0))
        return {**params, "scale": math.exp(float(res.x))}

    def __eq__(self, other: object) -> bool:
        return (type(self) is type(other) and self.base == other.base
                and self.exact_log_jacobian == other.exact_log_jacobian)

    def __hash__(self) -> int:
        return hash((type(self), self.base, self.exact_log_jacobian))

    def __repr__(self) -> str:
        return f"IntervalTargets({self.base!r})"
