"""The part of :class:`probnn.families.base.Family` that takes censored and interval targets.

``IntervalMethods`` is a base class of ``Family``: the checked public methods for targets of
shape (n_samples, 2) holding ``(lower, upper)`` (``check_interval_target``,
``censored_nll``, ``censored_loss_gradient``), the kernel that sends exact rows to the
density and the others to the family's cdf kernel (``_interval_loss_gradient``), and that
kernel's slot (``_censored_loss_gradient``), which a family fills to model intervals. The
methods read what ``Family`` declares and implements (``name``, ``support``,
``check_target``, ``_loss_gradient``, ``_check_raw_columns``, ``_weigh``); the log-space
pieces of the cdf kernels are in :mod:`probnn.families._censored`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from probnn.families._helpers import Array, _overflow_is_inf, as_raw, as_real_target, reject

# The closure of each support, for interval bounds: a bound at or beyond an end
# excludes nothing (F = 0 below the lower end, 1 above the upper).
_SUPPORT_RANGE = {
    "real": (-np.inf, np.inf),
    "positive": (0.0, np.inf),
    "unit-interval": (0.0, 1.0),
    "count": (-1.0, np.inf),  # bounds are floored: P(-1 < Y <= u) = F(u)
}


def _interval_families() -> list[str]:
    """Names of the families that model interval targets (each registered family is a
    subclass of IntervalMethods, through Family: read here without importing the registry)."""
    found, todo = [], list(IntervalMethods.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.name and (cls._censored_loss_gradient
                         is not IntervalMethods._censored_loss_gradient):
            try:  # a family whose kernel depends on its parameters says so by instance
                if not cls().models_intervals:
                    continue
            except Exception:  # noqa: BLE001 - a family that needs parameters: by class
                pass
            found.append(cls.name)
    return sorted(set(found))


class IntervalMethods:
    """Censored and interval targets: the methods every :class:`~probnn.families.base.Family`
    inherits (see the module's docstring)."""

    @property
    def models_intervals(self) -> bool:
        """Whether the family scores censored and interval targets (it has a cdf kernel).

        A family that implements :meth:`_censored_loss_gradient` accepts targets of
        shape (n_samples, 2) holding ``(lower, upper)``; the others refuse them by name.
        """
        return (type(self)._censored_loss_gradient
                is not IntervalMethods._censored_loss_gradient)

    def check_interval_target(self, y: ArrayLike) -> np.ndarray:
        """Validated ``(lower, upper)`` targets, shape (n_samples, 2), float.

        Each row says ``lower < Y <= upper``; ``lower == upper`` is an exact
        observation (scored by the density or mass, as a 1-D target is). ``upper =
        inf`` is right-censored, ``lower = -inf`` (or at or below the lower end of the
        support, e.g. 0 for positive targets) left-censored, anything else
        interval-censored. Bounds beyond the support are moved to ``-inf`` / ``+inf``
        (the same event); bounds of a count family are rounded down to integers
        (``P(l < Y <= u) = F(floor u) - F(floor l)``).

        Raises
        ------
        ValueError
            If the family has no cdf (naming it), the shape is not (n_samples, 2), a bound
            is NaN, ``lower > upper``, an exact value is outside the family's targets, or
            an interval holds no value of the support; naming the values and rows.
        """
        if not self.models_intervals:
            raise ValueError(
                f"family {self.name!r} does not model censored or interval targets (y of "
                "shape (n_samples, 2) holding lower and upper bounds): it has no cdf "
                "kernel; give one target per row, or choose a family that has one ("
                + ", ".join(_interval_families()) + ")"
            )
        y = as_real_target(y, self.name, "numbers (lower and upper bounds)")
        if y.ndim != 2 or y.shape[1] != 2:
            raise ValueError(
                f"{self.name} interval targets must have shape (n_samples, 2) holding "
                f"(lower, upper); found shape {y.shape}"
            )
        y = np.array(y, dtype=np.float64 if y.dtype.itemsize < 8 else y.dtype)
        lower, upper = y[:, 0], y[:, 1]
        reject(np.isnan(y).any(axis=1), y, f"{self.name} interval bounds must not be NaN")
        reject(lower > upper, y, f"{self.name} interval targets need lower <= upper")
        exact = lower == upper
        reject(exact & ~np.isfinite(lower), y,
               f"{self.name} exact targets (lower == upper) must be finite")  # fmt: skip
        if exact.any():
            self._check_exact_rows(y, exact)
        low, high = _SUPPORT_RANGE.get(self.support, (-np.inf, np.inf))
        cens = ~exact
        if self.support == "count":
            with np.errstate(invalid="ignore"):
                y[cens] = np.floor(y[cens])
        # at or below the support's lower end: no value is excluded from below
        y[cens & (lower <= low), 0] = -np.inf
        y[cens & (upper >= high), 1] = np.inf
        empty = cens & ((upper <= low) | (lower >= high) | (lower == upper))
        reject(empty, y, f"{self.name} interval targets must hold some value of the "
               f"{self.support} support (lower < Y <= upper)")  # fmt: skip
        return y

    def _check_exact_rows(self, y: np.ndarray, exact: np.ndarray) -> None:
        """``check_target`` on the exact rows, with the rows named as the user numbers them."""
        try:
            self.check_target(y[exact, 0])
        except ValueError:
            bad = np.zeros(len(y), dtype=bool)
            for i in np.flatnonzero(exact):
                try:
                    self.check_target(y[i : i + 1, 0])
                except ValueError:
                    bad[i] = True
            reject(bad, y[:, 0], f"{self.name} exact targets (lower == upper) must be valid "
                   "targets of the family")  # fmt: skip
            raise

    def censored_nll(
        self, raw: ArrayLike, lower: ArrayLike, upper: ArrayLike,
        sample_weight: ArrayLike | None = None,
    ) -> Array:
        """Per-example ``-log P(lower < Y <= upper)`` (the density's NLL where equal).

        Parameters
        ----------
        raw : ndarray of shape (n_samples, n_outputs) or (n_samples,)
        lower, upper : array-like of shape (n_samples,)
            See :meth:`check_interval_target`.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self._censored_checked(raw, lower, upper, sample_weight, False)[0]

    def censored_loss_gradient(
        self, raw: ArrayLike, lower: ArrayLike, upper: ArrayLike,
        sample_weight: ArrayLike | None = None,
    ) -> tuple[Array, Array]:
        """:meth:`censored_nll` and its gradient with respect to ``raw`` (same shape)."""
        return self._censored_checked(raw, lower, upper, sample_weight, True)

    def _censored_checked(self, raw, lower, upper, sample_weight, need_gradient: bool):
        """Check the bounds and ``raw``, then run :meth:`_interval_loss_gradient`."""
        y = self.check_interval_target(np.column_stack([np.ravel(lower), np.ravel(upper)]))
        raw = as_raw(raw)
        one_d = raw.ndim == 1
        raw2 = raw[:, None] if one_d else raw
        if raw2.ndim != 2 or raw2.shape[0] != y.shape[0]:
            raise ValueError(
                f"raw outputs must have shape (n_samples, n_outputs) with one row per "
                f"interval; found shape {raw.shape} for {y.shape[0]} intervals"
            )
        self._check_raw_columns(raw2, y[:, 0])
        with _overflow_is_inf():
            loss, grad = self._interval_loss_gradient(raw2, y, need_gradient)
        loss, grad = self._weigh(loss, grad, sample_weight)
        return loss, (grad[:, 0] if one_d and grad is not None else grad)

    def _interval_loss_gradient(
        self, raw: Array, y: np.ndarray, need_gradient: bool
    ) -> tuple[Array, Array | None]:
        """Kernel for checked interval targets ``y`` (n, 2): exact rows by the density
        (:meth:`_loss_gradient`), the others by :meth:`_censored_loss_gradient`."""
        lower, upper = y[:, 0], y[:, 1]
        exact = lower == upper
        loss = np.empty(raw.shape[0], dtype=raw.dtype)
        grad = np.empty_like(raw) if need_gradient else None
        for rows, kernel, args in (
            (exact, self._loss_gradient, lambda m: (lower[m].astype(raw.dtype, copy=False),)),
            (~exact, self._censored_loss_gradient, lambda m: (lower[m], upper[m])),
        ):
            if rows.all():
                part_loss, part_grad = kernel(raw, *args(rows), need_gradient)
            elif rows.any():
                part_loss, part_grad = kernel(raw[rows], *args(rows), need_gradient)
            else:
                continue
            loss[rows] = part_loss
            if need_gradient:
                grad[rows] = part_grad
        return loss, grad

    def _censored_loss_gradient(
        self, raw: Array, lower: np.ndarray, upper: np.ndarray, need_gradient: bool
    ) -> tuple[Array, Array | None]:  # pragma: no cover - families without a cdf
        """``-log P(lower < Y <= upper)`` per row (n,) and its gradient (n, n_outputs).

        Contract: ``lower < upper`` in float64 as :meth:`check_interval_target` returns
        them (``-inf`` / ``+inf`` for absent bounds, never an exact row); results in
        ``raw``'s dtype. Computed in log space (log-cdf, log-survival and ``log1mexp``
        of their difference, :mod:`probnn.families._censored`) with the gradient by the
        chain rule through the family's link.
        """
        raise NotImplementedError
