"""The regressor's widening after training (``recalibrate``): one factor of every predicted
scale, fitted on held-out rows (kept apart from ``regressor.py``, which trains and predicts)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["posterior_factor", "scale_factor"]


def posterior_factor(factor: float, weights) -> float:
    """The maximum-likelihood factor ``factor`` of a Normal's scales moved to the posterior
    mean of its square given the held-out rows.

    For a Normal, ``z_i = (y_i - loc_i) / scale_i`` are ``N(0, c^2)`` on new rows, and the
    maximum-likelihood ``c^2`` is ``S / n`` (``S = sum z_i^2``). Under the scale-invariant
    prior ``p(c^2) ~ 1 / c^2`` the posterior of ``c^2`` is ``InvGamma(n / 2, S / 2)``, whose
    mean is ``S / (n - 2)``; and the factor that minimises the expected NLL of a new row,
    ``log c' + c^2 / (2 c'^2)`` averaged over that posterior, is ``c'^2 = E[c^2] = S / (n - 2)``:
    ``factor * sqrt(n / (n - 2))``. The NLL punishes a factor too small more than one too
    large, so the estimate's own uncertainty (large on the few dozen rows early stopping holds
    out) widens it. ``n`` is the weights' effective number of rows ``(sum w)^2 / sum w^2``
    (``n`` when all weights are equal, whatever their scale); with ``n <= 2`` the posterior
    mean does not exist and ``factor`` is returned unchanged. For the other families the
    same correction is applied to the maximum-likelihood factor (exact for the log-normal's
    ``log y``, an approximation for the others).
    """
    w = np.asarray(weights, dtype=np.float64)
    n = float(w.sum()) ** 2 / float(np.dot(w, w))
    return factor * math.sqrt(n / (n - 2.0)) if n > 2.0 else factor


def scale_factor(estimator, head, X, y_fit, w, validation) -> float:
    """``recalibrate``: the factor of the predicted scales fitted on the validation rows
    (``validation_data``, or those early stopping held out), in the network's units (the
    factor has none), at least 1; 1 where there are no such rows, no learned scale or
    interval targets (a ``ValueError`` there with ``recalibrate=True``).

    ``recalibrate_estimate="mle"``: the maximum-likelihood factor; "posterior":
    :func:`posterior_factor` of it."""
    from probnn.distributions import scaled_distribution
    from probnn.likelihood import fit_factor

    if estimator.recalibrate is False:
        return 1.0
    learned_scale = (head.location_scale and not head.scale_params) or (
        head.spread_power is not None)
    held_out = getattr(estimator._trainer, "held_out_index_", None)
    if validation is not None:
        Xv, yv, wv = validation
    elif held_out is not None:
        Xv, yv, wv = X[held_out], y_fit[held_out], w[held_out]
    else:
        Xv = None
    if Xv is not None and np.ndim(yv) == 2:
        # interval targets: the spread factor is fitted on exact targets only
        if estimator.recalibrate is True:
            raise ValueError("recalibrate=True needs exact targets; found interval "
                             "targets (y of shape (n_samples, 2))")  # fmt: skip
        return 1.0
    if Xv is None or not learned_scale:
        if estimator.recalibrate is True:
            raise ValueError(
                "recalibrate=True needs validation rows (early stopping's, or "
                "validation_data) and a family whose network outputs the scale; found "
                + ("no validation rows" if Xv is None else f"family {head.name!r}")
            )
        return 1.0
    raw = np.asarray(estimator._network.forward(Xv), dtype=np.float64)
    yv = np.asarray(yv, dtype=np.float64)
    wv = np.ones(yv.shape[0]) if wv is None else wv
    if head.spread_power is not None:  # on the raw outputs (Family.widened_raw)
        factor = fit_factor(lambda f: head.nll(head.widened_raw(raw, f), yv), wv)
    else:
        dist = head.distribution(raw)
        factor = fit_factor(lambda f: -scaled_distribution(dist, f).log_prob(yv), wv)
    if estimator.recalibrate_estimate == "posterior":
        factor = posterior_factor(factor, wv)
    # never below 1: the rows are few (early stopping's tenth), and sharpening on their
    # luck risks far more NLL on new rows than it can gain (measured: scenario5.md)
    return max(1.0, factor)
