"""The regressor's widening after training: one factor of every predicted scale, fitted on
held-out rows (``recalibrate``), and one factor of every predicted negative-binomial
dispersion, cross-fitted by the family selection (:func:`cross_fitted_dispersion`); kept apart
from ``regressor.py``, which trains and predicts."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["cross_fitted_dispersion", "effective_rows", "posterior_factor", "scale_factor",
           "set_dispersion_factor", "student_t_predictive"]


def effective_rows(weights) -> float:
    """The weights' effective number of rows ``(sum w)^2 / sum w^2`` (``n`` when all are
    equal, whatever their scale)."""
    w = np.asarray(weights, dtype=np.float64)
    return float(w.sum()) ** 2 / float(np.dot(w, w))


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
    n = effective_rows(weights)
    return factor * math.sqrt(n / (n - 2.0)) if n > 2.0 else factor


def student_t_predictive(dist, rows):
    """A Normal predictive ``dist`` whose scales carry the widening factor fitted on ``rows``
    held-out rows, with that factor integrated out rather than plugged in: the Student-t of
    ``rows`` degrees of freedom and the same variance (scale ``dist.scale * sqrt((n - 2) /
    n)``). ``dist`` itself where ``rows`` is None or at most 2, or ``dist`` is not a Normal.

    Under the scale-invariant prior of :func:`posterior_factor` the square of the factor is
    ``InvGamma(n / 2, S / 2)`` given the held-out rows, and a new row ``y ~ N(mu, c^2 s^2)``
    has the marginal ``t_n(mu, sqrt(S / n) s)`` (the textbook predictive of a Normal with an
    unknown variance), whose variance is ``S / (n - 2) s^2``: the posterior factor's Normal
    has that variance, the t the tails of the factor's uncertainty (heavier on the few dozen
    rows early stopping holds out; the Normal again as ``n`` grows). The last layer's
    variance, added after the factor, is carried the same way (one Normal, one t).
    ``bench/studies/uci_single.md``, "widen-t".
    """
    from probnn.distributions import Normal, StudentT

    if rows is None or not rows > 2.0 or type(dist) is not Normal:
        return dist
    shrink = math.sqrt((rows - 2.0) / rows)
    scale = np.asarray(dist.scale)
    return StudentT(np.full_like(scale, rows), loc=dist.loc, scale=scale * shrink)


def scale_factor(estimator, head, X, y_fit, w, validation) -> tuple[float, float | None]:
    """``recalibrate``: the factor of the predicted scales fitted on the validation rows
    (``validation_data``, or those early stopping held out), in the network's units (the
    factor has none), at least 1; 1 where there are no such rows, no learned scale or
    interval targets (a ``ValueError`` there with ``recalibrate=True``).

    ``recalibrate_estimate="mle"``: the maximum-likelihood factor; "posterior":
    :func:`posterior_factor` of it.

    Returns
    -------
    factor : float
    rows : float or None
        With "posterior", the effective number of rows the factor was fitted on (its
        posterior's ``n``: :func:`student_t_predictive`); None otherwise."""
    from probnn.distributions import scaled_distribution
    from probnn.likelihood import fit_factor

    if estimator.recalibrate is False:
        return 1.0, None
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
        return 1.0, None
    if Xv is None or not learned_scale:
        if estimator.recalibrate is True:
            raise ValueError(
                "recalibrate=True needs validation rows (early stopping's, or "
                "validation_data) and a family whose network outputs the scale; found "
                + ("no validation rows" if Xv is None else f"family {head.name!r}")
            )
        return 1.0, None
    raw = np.asarray(estimator._network.forward(Xv), dtype=np.float64)
    yv = np.asarray(yv, dtype=np.float64)
    wv = np.ones(yv.shape[0]) if wv is None else wv
    if head.spread_power is not None:  # on the raw outputs (Family.widened_raw)
        factor = fit_factor(lambda f: head.nll(head.widened_raw(raw, f), yv), wv)
    else:
        dist = head.distribution(raw)
        factor = fit_factor(lambda f: -scaled_distribution(dist, f).log_prob(yv), wv)
    rows = None
    if estimator.recalibrate_estimate == "posterior":
        factor, rows = posterior_factor(factor, wv), effective_rows(wv)
    # never below 1: the rows are few (early stopping's tenth), and sharpening on their
    # luck risks far more NLL on new rows than it can gain (measured: scenario5.md)
    return max(1.0, factor), rows


def set_dispersion_factor(estimator, factor: float) -> None:
    """Multiply every predicted NB2 dispersion of a fitted regressor (each member's, for an
    ensemble, and each tiny table's fold member: ``_folds``) by ``factor``
    (``dispersion_factor_``; 1: the network's own), in place."""
    for member in getattr(estimator, "estimators_", None) or [estimator]:
        for one in [member, *(getattr(member, "fold_members_", None) or ())]:
            one.dispersion_factor_ = float(factor)
            one._set_predictive()


def cross_fitted_dispersion(fold_models, frame, folds, seed: int = 0) -> float:
    """The factor ``c >= 1`` of the NB2 dispersion ``alpha`` of a count law, cross-fitted on
    the rows each fold's model was not trained on; 1 where it does not lower the NLL of rows
    it was not fitted on.

    A network fitted by its NLL on a few thousand rows learns each row's ``alpha`` where the
    training rows sit, and on new rows its far tails are too thin: on Bike Sharing hourly the
    counts below the predicted 1% quantile are 2.3% of new rows
    (``bench/studies/count_dispersion.md``). Early stopping's own rows are no guide (the
    network was chosen on them: there ``c`` came out below 1), the folds' held-out rows are.
    ``c`` maximises the likelihood of the pooled held-out rows (:func:`probnn.likelihood.
    fit_factor`), at least 1 (widening only, as ``recalibrate``). It is adopted only if it
    holds on rows it was not fitted on: the pooled rows are split in two halves at random
    (``seed``), ``c`` fitted on each half (at least 1) scores the other, and the summed NLL
    change must be negative.

    Parameters
    ----------
    fold_models : dict int -> TabularModel
        Fold ``i``'s model, fitted on ``folds[i][0]`` (its dispersion factor is reset to 1).
    frame : DataFrame of shape (n_rows, n_columns)
        The table the folds index, target included.
    folds : sequence of (train, held_out) index arrays
    seed : int, default=0

    Returns
    -------
    float
        ``c`` (1: not adopted).
    """
    from probnn.likelihood import fit_factor

    parts = [(m, frame.iloc[folds[i][1]]) for i, m in sorted(fold_models.items())]
    targets = [m.encode_target(rows) for m, rows in parts]

    def nll_rows(factor: float) -> np.ndarray:
        out = []
        for (model, rows), y in zip(parts, targets):
            set_dispersion_factor(model.estimator, factor)
            out.append(model.nll_rows(rows, y))
        return np.concatenate(out)

    try:
        base = nll_rows(1.0)
        half = np.random.default_rng(seed).permutation(base.size) % 2 == 0
        change = 0.0
        for fit_on in (half, ~half):
            w = fit_on.astype(np.float64)
            factor = max(1.0, fit_factor(nll_rows, w)) if w.sum() > 0 else 1.0
            change += float(np.sum((nll_rows(factor) - base)[~fit_on]))
        factor = max(1.0, fit_factor(nll_rows, np.ones(base.size))) if change < 0 else 1.0
    except ValueError:  # no factor gives every held-out row a positive probability
        factor = 1.0
    finally:
        for model, _ in parts:
            set_dispersion_factor(model.estimator, 1.0)
    return factor
