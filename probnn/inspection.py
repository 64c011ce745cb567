"""What moves each predicted parameter: permutation importance per distribution parameter.

A model of ``y`` given ``x`` predicts a whole distribution, so "which features matter"
has one answer per parameter: a feature may move the mean and leave the spread alone,
or the other way round. :func:`parameter_importance` permutes one feature column at a
time (breaking its link to the row's other columns and to ``y``), predicts again and
measures, per feature,

* how far each parameter moves, on its natural scale: the predictive mean and standard
  deviation in ``y``'s units for a regressor (not the raw log-scale output, whose changes
  read as ratios and mislead when compared with the mean's; NGBoost issue 291), each
  class's probability for a classifier;
* how much the held-out NLL rises (nats per row), the quantity scikit-learn's
  ``permutation_importance`` gives with :func:`probnn.nll_scorer`.

Works on anything :func:`probnn.predict_dist` takes (a probnn estimator, a Pipeline
ending in one) and on a :class:`probnn.tables.model.TabularModel` (the command line's
model, which reads a DataFrame of raw columns): the columns permuted are those of ``X``
as given, before any transform, so a text column one-hot encoded in a Pipeline is one
feature.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from probnn._validation import check_outcomes
from probnn.estimators.scoring import _as_outcomes, predict_dist

__all__ = ["ParameterImportance", "parameter_importance", "natural_parameters"]


@dataclasses.dataclass
class ParameterImportance:
    """What :func:`parameter_importance` found.

    Attributes
    ----------
    importances : pandas.DataFrame
        One row per feature (index: the feature's name), one column per measure:
        ``"nll"`` (mean rise of the NLL per row, nats, over the repeats) and each
        parameter's name (mean absolute change per row, in the parameter's units),
        in that order.
    importances_std : pandas.DataFrame
        The standard deviation of each figure over the repeats, same shape.
    baseline : dict of str -> float
        The unpermuted rows' mean NLL (``"nll"``) and the mean absolute value of each
        parameter, a scale to read the changes against.
    n_repeats : int
    """

    importances: pd.DataFrame
    importances_std: pd.DataFrame
    baseline: dict
    n_repeats: int

    @property
    def parameters(self) -> list[str]:
        """The parameters' names, in the columns' order (``"nll"`` excluded)."""
        return [c for c in self.importances.columns if c != "nll"]


def natural_parameters(dist) -> dict[str, np.ndarray]:
    """A predicted distribution's parameters on their natural scale, one array per name.

    Parameters
    ----------
    dist : Distribution
        Batch shape ``(n,)``.

    Returns
    -------
    dict of str -> ndarray of shape (n,)
        A classifier's distribution (one with class probabilities ``probs``):
        ``"P(class k)"`` for each class index k (``"P(y = 1)"`` for a Bernoulli).
        Any other: ``"mean"`` and ``"sd"`` (the predictive standard deviation), in the
        units of ``y``; infinite where the distribution has no finite moment.
    """
    probs = getattr(dist, "probs", None)
    if probs is not None:
        probs = np.asarray(probs, dtype=np.float64)
        if probs.ndim == 1:  # a Bernoulli's P(y = 1)
            return {"P(y = 1)": probs}
        return {f"P(class {k})": probs[:, k] for k in range(probs.shape[1])}
    with np.errstate(invalid="ignore", over="ignore"):
        return {"mean": np.asarray(dist.mean, dtype=np.float64),
                "sd": np.asarray(dist.stddev, dtype=np.float64)}  # fmt: skip


def _final_step(estimator):
    """A Pipeline's last step (nested Pipelines unwrapped); any other model itself."""
    from sklearn.pipeline import Pipeline

    while isinstance(estimator, Pipeline):
        estimator = estimator[-1]
    return estimator


def _rows_nll(dist, outcomes: np.ndarray) -> np.ndarray:
    log_p = np.asarray(dist.log_prob(outcomes), dtype=np.float64)
    return -log_p.reshape(log_p.shape[0], -1).sum(axis=1)


def _permuted(X, column, order: np.ndarray):
    """``X`` with one column's values in ``order`` (a DataFrame by name, an array by index)."""
    if isinstance(X, pd.DataFrame):
        out = X.copy()
        out[column] = X[column].to_numpy()[order]
        return out
    out = np.array(X, copy=True)
    out[:, column] = out[order, column]
    return out


def parameter_importance(estimator, X, y: ArrayLike, *, n_repeats: int = 5,
                         random_state: int | np.random.Generator | None = 0,
                         features=None) -> ParameterImportance:  # fmt: skip
    """Permutation importance of each feature on each predicted parameter and on the NLL.

    For each feature and repeat, the feature's column of ``X`` is shuffled (one
    permutation of the rows, the same for every measure), the distribution predicted
    again, and compared with the unshuffled prediction row by row.

    Parameters
    ----------
    estimator : fitted model
        A probnn estimator, a ``Pipeline`` ending in one, or a ``TabularModel`` (anything
        :func:`probnn.predict_dist` accepts).
    X : DataFrame or array-like of shape (n_samples, n_features)
        Held-out rows as the estimator takes them (a Pipeline's raw columns). A DataFrame's
        columns are permuted by name, an array's by index.
    y : array-like of shape (n_samples,)
        The rows' targets, as the estimator's ``score``/``fit`` take them (class labels for
        a classifier; a ``TabularModel``'s encoded target, ``model.encode_target(frame)``).
    n_repeats : int, default=5
        Permutations per feature; the figures are their mean (and standard deviation).
    random_state : int, Generator or None, default=0
        Seeds the permutations.
    features : sequence, optional
        The columns to permute (names of a DataFrame's columns, indices of an array's).
        Default: every column.

    Returns
    -------
    ParameterImportance
        ``.importances`` (features x [``"nll"``, parameters]), ``.importances_std``,
        ``.baseline``.

    Raises
    ------
    ValueError
        For fewer than two rows, ``n_repeats < 1``, ``y`` of another length than ``X``,
        or a feature that is not a column of ``X``.

    Examples
    --------
    >>> import numpy as np, probnn                                  # doctest: +SKIP
    >>> X = np.random.default_rng(0).normal(size=(500, 2))          # doctest: +SKIP
    >>> y = X[:, 0] + np.exp(X[:, 1]) * np.random.default_rng(1).normal(size=500)  # doctest: +SKIP
    >>> reg = probnn.MLPRegressor(hidden_layer_sizes=(16,)).fit(X, y)  # doctest: +SKIP
    >>> probnn.parameter_importance(reg, X, y).importances          # doctest: +SKIP
    """
    if int(n_repeats) < 1:
        raise ValueError(f"n_repeats must be at least 1; found {n_repeats!r}")
    n = X.shape[0] if hasattr(X, "shape") else len(X)
    if n < 2:
        raise ValueError(f"parameter_importance expects at least 2 rows to permute; found {n}")
    if not isinstance(X, pd.DataFrame):
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-dimensional (rows, features); found shape {X.shape}")
    columns = list(X.columns) if isinstance(X, pd.DataFrame) else list(range(X.shape[1]))
    features = columns if features is None else list(features)
    unknown = [f for f in features if f not in columns]
    if unknown:
        raise ValueError(f"features must be columns of X ({columns!r}); found {unknown!r}")
    outcomes = _as_outcomes(_final_step(estimator), y)
    if outcomes.shape[0] != n:
        raise ValueError(f"y must have one value per row of X ({n}); found {outcomes.shape[0]}")
    rng = np.random.default_rng(random_state)

    base_dist = predict_dist(estimator, X)
    outcomes = check_outcomes(outcomes, base_dist.batch_shape)  # (n, 1) would broadcast to n x n
    base_params = natural_parameters(base_dist)
    base_nll = _rows_nll(base_dist, outcomes)
    names = ["nll", *base_params]
    means, stds = [], []
    for feature in features:
        runs = np.empty((int(n_repeats), len(names)))
        for r in range(int(n_repeats)):
            dist = predict_dist(estimator, _permuted(X, feature, rng.permutation(n)))
            params = natural_parameters(dist)
            runs[r, 0] = np.mean(_rows_nll(dist, outcomes)) - np.mean(base_nll)
            with np.errstate(invalid="ignore"):  # inf - inf where a moment is infinite
                runs[r, 1:] = [np.nanmean(np.abs(params[k] - base_params[k]))
                               if np.isfinite(base_params[k]).any() else np.nan
                               for k in base_params]  # fmt: skip
        with np.errstate(invalid="ignore"):  # an infinite importance has no spread: nan
            means.append(runs.mean(axis=0))
            stds.append(runs.std(axis=0))
    index = pd.Index([str(f) if not isinstance(f, str) else f for f in features], name="feature")
    baseline = {"nll": float(np.mean(base_nll))}
    baseline.update({k: float(np.nanmean(np.abs(np.where(np.isfinite(v), v, np.nan))))
                     if np.isfinite(v).any() else float("nan")
                     for k, v in base_params.items()})  # fmt: skip
    return ParameterImportance(
        importances=pd.DataFrame(means, index=index, columns=names),
        importances_std=pd.DataFrame(stds, index=index, columns=names),
        baseline=baseline, n_repeats=int(n_repeats),
    )  # fmt: skip
