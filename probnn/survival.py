"""Scores for survival (time-to-event) predictions with right-censored times.

:func:`concordance_index` is Harrell's C: among the pairs whose order of events is
known, the share the predictions put in the same order.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from probnn._validation import describe_rows, describe_values

__all__ = ["concordance_index"]


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
