"""The selection's widening of a chosen GLM's or constant model's scales, fitted on the folds'
held-out rows (kept apart from ``selection.py``, which scores and chooses).

A model fitted by maximum likelihood and used as its own predictive distribution (the
*plug-in* predictive) is too sharp on new rows by construction: its scale is fitted to the
residuals of rows its location was fitted to (the Normal's MLE ``sigma^2`` is ``(n - p) / n``
of the unbiased one), and the location's own error is not in the scale at all (a new row's
error variance is ``sigma^2 (1 + h)``, ``h`` its leverage, about ``p / n``). For a Normal
linear model the 90% interval then holds about ``0.90 - 0.34 p / n`` of new rows. A network
undoes this with its own ``recalibrate`` (a factor fitted on the rows early stopping held
out); a GLM or a constant, fitted by L-BFGS on every row, holds none out, and nothing undoes it.

The selection has the rows it needs: every candidate was scored on rows it was not fitted
on (each fold's held-out rows). :func:`fold_widening` fits one factor of every predicted
scale (``MLPRegressor.scale_factor_``, as ``recalibrate`` does: the locations kept; the
positive families' spread by ``Family.spread_power``) to the chosen candidate's held-out
predictions of all the folds, by maximum likelihood, moved to its posterior mean
(``posterior_factor``). The refit is trained on all ``n`` rows, a fold's model on
``n_fold`` (``(K - 1) / K`` of them), and the excess variance ``f^2 - 1`` of the plug-in is
of order ``p / n``: the refit's factor is ``sqrt(1 + (f^2 - 1) n_fold / n)``, never below 1.
(A misfit that more rows do not mend is then under-corrected: only ever less widening.)
Checked on a Normal linear model, ``p = 10``, ``n = 100``: ``f`` about 1.15 on the folds,
the theory's ``sqrt((1 + 11/80) / (69/80)) = 1.148``; the refit's 1.13, the theory's 1.117.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["fold_widening", "widen"]


def _widenable(model) -> bool:
    """Whether ``model`` predicts through a regressor's spread (``MLPRegressor``)."""
    return hasattr(model.estimator, "_set_predictive") and hasattr(model.estimator, "scale_factor_")


def widen(model, factor: float) -> None:
    """Multiply every scale ``model`` predicts by ``factor`` (its ``scale_factor_``).

    Raises
    ------
    ValueError
        For a family neither location-scale nor with a spread (``AffineTarget``'s refusal).
    """
    est = model.estimator
    est.scale_factor_ = float(getattr(est, "scale_factor_", None) or 1.0) * float(factor)
    est._set_predictive()


def fold_widening(fold_models: Mapping[int, object], folds: Sequence, frame: pd.DataFrame,
                  kind: str) -> float:  # fmt: skip
    """The factor of the predicted scales that maximises the likelihood of the folds'
    held-out rows under their folds' models, at its posterior mean, at least 1.

    Parameters
    ----------
    fold_models : dict of int -> TabularModel
        The chosen candidate fitted on each fold's training rows.
    folds : sequence of (ndarray, ndarray)
        Each fold's training and held-out rows of ``frame``.
    frame : pandas.DataFrame
        The table, target column included.
    kind : str
        The target's first kind (how ``compare`` scores it: an integer's probability for a
        continuous family on counts).

    Returns
    -------
    float
        The refit's factor (the folds' factor for a model of all the rows: see the
        module). 1 where the models cannot be widened (not a regressor, a family with no scale or
        spread, a censored target), or where the fit fails.
    """
    from probnn._discrete import integer_log_prob
    from probnn.compare import _scores_integers
    from probnn.estimators._widening import posterior_factor
    from probnn.likelihood import fit_factor

    if len(fold_models) != len(folds) or not fold_models:
        return 1.0
    parts = []
    for i, (_, test) in enumerate(folds):
        model = fold_models[i]
        if not _widenable(model) or model.censoring is not None:
            return 1.0
        held = frame.iloc[test]
        parts.append((model, model.transform(held), model.encode_target(held),
                      _scores_integers(model.family, kind)))  # fmt: skip
    base = [float(m.estimator.scale_factor_ or 1.0) for m, *_ in parts]

    def rows(factor: float) -> np.ndarray:
        out = []
        for (model, X, y, integers), b in zip(parts, base):
            model.estimator.scale_factor_ = b * factor
            model.estimator._set_predictive()
            dist = model.estimator.predict_dist(X)
            out.append(-integer_log_prob(dist, y) if integers
                       else -np.asarray(dist.log_prob(y), dtype=np.float64))  # fmt: skip
        return np.concatenate(out)

    w = np.ones(sum(p[1].shape[0] for p in parts))
    n_rows = frame.shape[0]
    share = float(np.mean([train.size for train, _ in folds])) / n_rows
    try:
        factor = posterior_factor(fit_factor(rows, w), w)
        factor = float(np.sqrt(1.0 + (factor**2 - 1.0) * share)) if factor > 1.0 else 1.0
    except ValueError:  # a family with no scale or spread; no finite factor
        factor = 1.0
    finally:  # the folds' models as they were
        for (model, *_), b in zip(parts, base):
            model.estimator.scale_factor_ = b
            try:
                model.estimator._set_predictive()
            except ValueError:
                pass
    return max(1.0, float(factor))
