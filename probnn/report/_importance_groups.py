"""Permutation importance of very many columns, in a work budget (the report's wide tables).

Shuffling each of F columns in turn predicts the held-out rows ``1 + n_repeats F`` times,
each prediction reading all F columns: the work grows as F^2 (20,000 columns: no report in
150 s). Past the budget, :func:`grouped_importance` encodes the rows once and shuffles the
encoded columns of a whole group of raw columns at a time: ``BRANCHES`` groups of
consecutive columns, the ``KEPT`` whose shuffle raised the held-out NLL most each split
again into ``BRANCHES``, down to single columns, which are then measured as the exact path
measures every column. A column that matters raises the NLL of every group holding it, so
it is followed down; the predictions number ``O(KEPT BRANCHES log F)`` and the rows are cut
so that rows x encoded columns x predictions stays within the budget.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["BRANCHES", "KEPT", "MIN_ROWS", "EncodedShuffles", "encoded_blocks",
           "grouped_importance", "prediction_bound"]  # fmt: skip

BRANCHES = 16  # groups each set of columns is split into
KEPT = 4  # groups followed down at each level (their columns are the ones ranked)
MIN_ROWS = 50  # the fewest rows a ranking is made on, whatever the budget says


def encoded_blocks(preprocessor, n_encoded: int) -> dict[str, np.ndarray] | None:
    """Each raw feature column's encoded columns (its standardised value, one-hot block,
    missing-value indicator), as :meth:`Preprocessor.transform` lays them out; None where
    the layout does not account for all ``n_encoded`` columns."""
    blocks: dict[str, list[int]] = {c: [] for c in preprocessor.columns_}
    at = 0
    for name in preprocessor.numeric_:
        blocks[name].append(at)
        at += 1
    for name, cats in preprocessor.categories_.items():
        blocks[name].extend(range(at, at + len(cats)))
        at += len(cats)
    for name in getattr(preprocessor, "indicators_", []):
        blocks[name].append(at)
        at += 1
    if at != n_encoded or any(not v for v in blocks.values()):
        return None
    return {k: np.asarray(v, dtype=np.intp) for k, v in blocks.items()}


def prediction_bound(n_features: int, n_repeats: int) -> int:
    """Most predictions :func:`grouped_importance` makes for ``n_features`` columns."""
    levels = max(1, math.ceil(math.log(max(n_features, 2), BRANCHES)))
    return 1 + BRANCHES + (levels - 1) * KEPT * BRANCHES + n_repeats * KEPT * BRANCHES


def _split(group: list[str]) -> list[list[str]]:
    """``group`` in at most ``BRANCHES`` runs of consecutive columns, sizes within one."""
    parts = min(BRANCHES, len(group))
    edges = np.linspace(0, len(group), parts + 1).round().astype(int)
    return [group[a:b] for a, b in zip(edges[:-1], edges[1:])]


class EncodedShuffles:
    """Shuffles of raw feature columns done on their encoded blocks: the rows of a raw column
    permuted are the same rows of its encoded columns permuted, since every encoding of
    :class:`~probnn.tables.preprocessing.Preprocessor` reads a row's own values only
    (standardised or log-scaled numbers, parsed text, fill values, one-hot blocks,
    missing-value indicators), so the table is encoded once instead of once a shuffle.

    Parameters
    ----------
    estimator : fitted probnn estimator (``predict_dist`` on encoded rows)
    encoded : ndarray of shape (n_rows, n_encoded)
    outcomes : ndarray, the rows' targets as the estimator scores them
    blocks : dict of feature -> encoded column indices (:func:`encoded_blocks`)
    rng : Generator
        Draws one permutation of the rows a shuffle (``rng.permutation(n_rows)``, in the
        order :func:`probnn.parameter_importance` draws them).
    """

    def __init__(self, estimator, encoded: np.ndarray, outcomes: np.ndarray,
                 blocks: dict[str, np.ndarray], rng: np.random.Generator):  # fmt: skip
        from probnn._validation import check_outcomes
        from probnn.inspection import _rows_nll, natural_parameters

        self.estimator, self.encoded, self.blocks, self.rng = estimator, encoded, blocks, rng
        base_dist = estimator.predict_dist(encoded)
        self.outcomes = check_outcomes(outcomes, base_dist.batch_shape)
        self.base_params = natural_parameters(base_dist)
        self.base_nll = float(np.mean(_rows_nll(base_dist, self.outcomes)))
        self.parameters = list(self.base_params)
        # one buffer: each group's columns shuffled, then put back
        self.shuffled = encoded.copy()

    def measure(self, group: list[str]) -> np.ndarray:
        """``[nll rise, mean |change| of each parameter]`` of one shuffle of ``group``'s
        columns (one permutation of the rows for all of them)."""
        from probnn.inspection import _rows_nll, natural_parameters

        encoded, shuffled, base_params = self.encoded, self.shuffled, self.base_params
        columns = np.concatenate([self.blocks[f] for f in group])
        shuffled[:, columns] = encoded[self.rng.permutation(encoded.shape[0])[:, None], columns]
        dist = self.estimator.predict_dist(shuffled)
        params = natural_parameters(dist)
        with np.errstate(invalid="ignore"):  # inf - inf where a moment is infinite
            moves = [np.nanmean(np.abs(params[k] - base_params[k]))
                     if np.isfinite(base_params[k]).any() else np.nan for k in base_params]
        rise = np.mean(_rows_nll(dist, self.outcomes)) - self.base_nll
        shuffled[:, columns] = encoded[:, columns]
        return np.array([rise, *moves])

    def one_at_a_time(self, features: list[str], n_repeats: int) -> np.ndarray:
        """Each of ``features`` shuffled alone ``n_repeats`` times: the mean ``[nll rise,
        |change| of each parameter]``, shape (len(features), 1 + n_parameters)."""
        with np.errstate(invalid="ignore"):  # an infinite importance: nan, as the exact path
            return np.array([np.mean([self.measure([f]) for _ in range(n_repeats)], axis=0)
                             for f in features]).reshape(len(features), 1 + len(self.parameters))

    def baseline(self) -> dict[str, float]:
        """The unshuffled held-out NLL and each parameter's mean absolute value."""
        baseline = {"nll": self.base_nll}
        baseline.update({k: float(np.nanmean(np.abs(np.where(np.isfinite(v), v, np.nan))))
                         if np.isfinite(v).any() else float("nan")
                         for k, v in self.base_params.items()})  # fmt: skip
        return baseline


def grouped_importance(estimator, encoded: np.ndarray, outcomes: np.ndarray,
                       blocks: dict[str, np.ndarray], features: list[str], *,
                       n_repeats: int, rng: np.random.Generator):  # fmt: skip
    """The hierarchical search; returns ``(names, means, parameter names, baseline,
    levels)``: the single columns reached, their mean ``[nll rise, |change| of each
    parameter]`` over ``n_repeats`` shuffles (shape (len(names), 1 + n_parameters)).

    Parameters
    ----------
    estimator : fitted probnn estimator (``predict_dist`` on encoded rows)
    encoded : ndarray of shape (n_rows, n_encoded)
    outcomes : ndarray, the rows' targets as the estimator scores them
    blocks : dict of feature -> encoded column indices (:func:`encoded_blocks`)
    features : list of str, in the table's order
    """
    shuffles = EncodedShuffles(estimator, encoded, outcomes, blocks, rng)
    measure = shuffles.measure
    groups, levels = _split(list(features)), 1
    while any(len(g) > 1 for g in groups):
        rises = np.array([measure(g)[0] for g in groups])
        # the largest rises first (a stable order: ties keep the table's order)
        kept = [groups[i] for i in np.argsort(-rises, kind="stable")[:KEPT]]
        groups = [part for g in kept for part in _split(g)]
        levels += 1
    names = [g[0] for g in groups]
    means = shuffles.one_at_a_time(names, n_repeats)
    return names, means, shuffles.parameters, shuffles.baseline(), levels
