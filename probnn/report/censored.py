"""The model card's facts about a censored target: rows of each kind, the survival scores,
and what the model says about the rows it saw only as bounds.

:func:`censored_rows` gives the card's "Data" rows (the rule, and how many rows of each
kind: exact, right-, left-, interval-censored); :func:`censored_table` the results table
(concordance, D-calibration, and for right-censored rows ``P(Y > c)`` at their censoring
value ``c``: for California's capped house values, the probability of a value above the cap).
"""

from __future__ import annotations

import numpy as np

from probnn.report.html import Table

__all__ = ["censored_rows", "censored_table"]


def _counts_in_words(y: np.ndarray) -> str:
    from probnn.tables.censoring import censoring_counts

    return ", ".join(f"{kind} {count:,}" for kind, count in censoring_counts(y).items())


def censored_rows(model, train, held_out) -> list[tuple[str, object]]:
    """The card's rows on the censoring: the rule, and the rows of each kind.

    Parameters
    ----------
    model : TabularModel
        With ``censoring`` set.
    train : DataFrame or None
        The training rows (None: not known, e.g. ``evaluate``).
    held_out : DataFrame
        The rows scored.
    """
    rows: list[tuple[str, object]] = [("censored target", model.censoring.describe())]
    if train is not None:
        rows.append(("training rows by kind", _counts_in_words(model.encode_target(train))))
    rows.append(("rows scored by kind", _counts_in_words(model.encode_target(held_out))))
    return rows


def censored_table(y: np.ndarray, dist, metrics) -> Table:
    """The held-out scores a censored target has, and ``P(Y > c)`` of its right-censored rows.

    Parameters
    ----------
    y : ndarray of shape (n_rows, 2)
        The held-out rows' ``(lower, upper)`` bounds.
    dist : Distribution
        The predictions on those rows, batch shape (n_rows,).
    metrics : mapping
        ``probnn.survival.censored_metrics`` of them.
    """
    from probnn.survival import d_calibration

    found = d_calibration(dist, y)
    rows: list[tuple[str, object, str]] = []
    if "concordance" in metrics:
        rows.append(("concordance index (Harrell's C) of the predicted medians",
                     float(metrics["concordance"]), "0.5 is chance, 1 a perfect order"))
    rows.append(("D-calibration chi-square (10 bins, 9 degrees of freedom)", found.statistic,
                 f"p = {found.p_value:.3g}; a small p says the predicted survival "
                 "probabilities are not uniform"))  # fmt: skip
    right = (y[:, 1] == np.inf) & np.isfinite(y[:, 0])
    note = ("Right-censored rows were seen only as 'above c'; the model's P(Y > c) for them is "
            "its answer to 'how likely is a value beyond what was recorded'.")
    if right.any():
        c = y[:, 0]
        finite = np.isfinite(c)
        # every row's cdf evaluated (the batch shape), the right-censored ones kept
        survival = 1.0 - np.asarray(dist.cdf(np.where(finite, c, 0.0)), dtype=np.float64)[right]
        values = np.unique(c[right])
        at = f"c = {values[0]:g}" if values.size == 1 else f"c from {values[0]:g} to {values[-1]:g}"
        rows.append((f"P(Y > c) of the {int(right.sum()):,} right-censored rows ({at}): mean",
                     float(np.mean(survival)), "the probability of a value above the bound"))
        q10, q50, q90 = np.quantile(survival, [0.1, 0.5, 0.9])
        rows.append(("P(Y > c) of those rows: 10%, 50%, 90% quantiles",
                     f"{q10:.3f}, {q50:.3f}, {q90:.3f}", "over the right-censored rows"))
    else:
        note = "No held-out row is right-censored."
    return Table("Censored target", ["measure", "value", "how to read it"], rows, note=note,
                 key="censored")
