"""Heaps in a real target, and the floor they put on a family's density.

A *heap* is one value held by many rows: a point mass at an end of the range (fair affairs'
zeros, a proportion capped at 0.99), or inside it (a rounded or coded value: R's geyser
durations, 18% of them recorded as exactly 4 minutes). A density can spike on either and its
NLL there has no lower bound. The selection reads a point mass at an end as censored
(:mod:`probnn._selection_notes`); inside the range a family that can spike (its registry
entry names a ``resolution_param``: the mixture's ``min_scale``) is given a floor from the
targets' resolution ``h``, the smallest gap between two distinct values, so that no density
it puts out exceeds ``1 / h``: what a value recorded to a resolution ``h`` can hold.

An integer target (counts, integers) is scored by a continuous family as
``P(y - 1/2 < Y <= y + 1/2)`` (:func:`probnn.compare._scores_integers`), and trained on its
density: there a component can shrink onto any one row's value, heap or not (R's cars: the
mixture-normal constant's scale 0 on 3 of 15 folds of 40 rows), so such a family is floored
at the integers' unit, ``h = 1``, on every integer target. Class labels are probabilities
already: nothing applies.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from probnn.tables.split import sample_keys

__all__ = ["INTEGER_RESOLUTION", "POINT_MASS_ROWS", "POINT_MASS_SHARE", "StreamedHeap", "heap",
           "is_point_mass", "needs_floor", "real_values", "resolution_floor",
           "with_resolution_floor"]

# A real target with at least this share of its rows exactly at one value holds a heap
# there: 5% of the rows is far more than rounding stacks on one value of a continuous
# target, and enough for a density's spike to dominate the mean NLL.
POINT_MASS_SHARE = 0.05
# ... and at least this many rows: on a table of under 20 rows one row is 5%, and a value
# held by one row is what every continuous sample has, no heap
POINT_MASS_ROWS = 2
# The resolution of an integer target: the width of the interval (y - 1/2, y + 1/2] whose
# probability scores a continuous family there (not the smallest gap between the values
# seen, which a few rows, or counts all even, can make 2 or more)
INTEGER_RESOLUTION = 1.0
# the kinds of targets recorded as integers (DISCRETE_KINDS' that are not class labels)
_INTEGER_KINDS = ("count", "integer")


def is_point_mass(rows: int, n_rows: int) -> bool:
    """Whether ``rows`` of ``n_rows`` exactly at one value are a heap there (a point mass):
    :data:`POINT_MASS_ROWS` at least and :data:`POINT_MASS_SHARE` of the rows."""
    return rows >= POINT_MASS_ROWS and rows / n_rows >= POINT_MASS_SHARE


def resolution_floor(kinds: Sequence[str],
                     found: tuple[float, float, float] | None) -> float | None:
    """The resolution ``h`` a continuous family's scale is floored at, or None (no floor).

    :data:`INTEGER_RESOLUTION` on a target recorded as integers (``kinds`` names
    ``"count"`` or ``"integer"``: a few distinct integers read as ordered classes too),
    whatever its heaps; else the resolution of the heap ``found`` inside a real target's
    range (:func:`heap`), or None without one.
    """
    if any(kind in _INTEGER_KINDS for kind in kinds):
        return INTEGER_RESOLUTION
    return None if found is None or not _real(kinds) else found[2]


def _real(kinds: Sequence[str]) -> bool:
    """Whether a target of these kinds holds real values (not counts or class labels)."""
    from probnn.families import DISCRETE_KINDS

    return bool(kinds) and kinds[0] not in DISCRETE_KINDS


def real_values(column: pd.Series, kinds: Sequence[str]) -> pd.Series | None:
    """The target's numbers where it holds real values (not counts or class labels, which
    are probabilities already), else None."""
    if not _real(kinds):
        return None
    values = pd.to_numeric(column, errors="coerce").dropna()
    return None if values.empty else values


def heap(column: pd.Series, kinds: Sequence[str]) -> tuple[float, float, float] | None:
    """The largest heap inside a real target's range, or None.

    Returns
    -------
    (value, share, resolution) or None
        The value (neither the smallest nor the largest), the share of the rows exactly
        there (at least :data:`POINT_MASS_SHARE`), and the targets' resolution (the
        smallest gap between two distinct values).
    """
    values = real_values(column, kinds)
    if values is None:
        return None
    return _largest_heap(values.value_counts(sort=False), float(values.min()), float(values.max()))


def _largest_heap(counts: pd.Series, low: float, high: float) -> tuple[float, float, float] | None:
    """:func:`heap` of rows counted by value (``counts``: rows per distinct value, its index
    the values), the range's ends ``low`` and ``high`` given."""
    from probnn.families.base import resolution

    values = counts.index.to_numpy(dtype=np.float64)
    inside = counts[(values > low) & (values < high)].sort_values(ascending=False)
    shares = inside / counts.sum()
    if shares.empty or not is_point_mass(int(inside.iloc[0]), int(counts.sum())):
        return None
    return float(shares.index[0]) + 0.0, float(shares.iloc[0]), resolution(values)


class StreamedHeap:
    """:func:`heap` of a real target given in pieces (a streamed table's training rows),
    in bounded memory.

    While the pieces hold at most ``max_distinct`` distinct values, the rows of each are
    counted and :meth:`heap` is exactly :func:`heap` of the whole column (so on a table
    that fits in memory, or any target recorded to a resolution coarse enough to matter,
    the floor is the in-memory fit's). Beyond, the counts are dropped and :meth:`heap` is
    the same rule on a uniform sample of ``sample`` rows (those of smallest hash key of
    their row number, :func:`probnn.tables.split.sample_keys`: the same however
    the table is cut into batches), with the exact smallest and largest values as the
    range's ends. Then a heap's share is the sample's (binomial standard error
    ``sqrt(s (1 - s) / sample)``: 0.0007 at :data:`POINT_MASS_SHARE` with 100,000 rows),
    and the resolution is the sample's smallest gap, never smaller than the table's (a
    subset holds no closer pair): the floor is then at least the in-memory fit's and no
    density exceeds ``1 / h`` for the table's resolution ``h`` either. Memory: at most
    ``max_distinct`` counts and ``2 * sample`` sampled values, whatever the rows.

    Parameters
    ----------
    max_distinct : int, default=100_000
    sample : int, default=100_000
    seed : int, default=0
        The sample's key.
    """

    def __init__(self, max_distinct: int = 100_000, sample: int = 100_000, seed: int = 0):
        self.max_distinct, self.sample, self.seed = int(max_distinct), int(sample), int(seed)
        self.rows = 0
        self.low, self.high = math.inf, -math.inf
        self._values: np.ndarray | None = np.empty(0)  # distinct values (None: too many)
        self._counts = np.empty(0, dtype=np.int64)
        self._keys, self._kept = np.empty(0, dtype=np.uint64), np.empty(0)

    def add(self, values: np.ndarray, rows: np.ndarray) -> None:
        """Count a piece's target values ``values`` (float, shape (n,)) held by the table's
        rows ``rows`` (row numbers, shape (n,)); values that are not finite are skipped."""
        values = np.asarray(values, dtype=np.float64)
        finite = np.isfinite(values)
        values, rows = values[finite], np.asarray(rows)[finite]
        if values.size == 0:
            return
        self.rows += values.size
        self.low = min(self.low, float(values.min()))
        self.high = max(self.high, float(values.max()))
        if self._values is not None:
            new, counts = np.unique(values, return_counts=True)
            distinct, where = np.unique(np.concatenate([self._values, new]), return_inverse=True)
            if distinct.size > self.max_distinct:  # too many to count: the sample answers
                self._values, self._counts = None, np.empty(0, dtype=np.int64)
            else:
                self._values, self._counts = distinct, np.bincount(
                    where, np.concatenate([self._counts, counts]), distinct.size).astype(np.int64)
        keys = sample_keys(rows, self.seed)
        if self._keys.size >= self.sample:  # full: only a key below the largest kept enters
            below = keys < self._keys.max()
            keys, values = keys[below], values[below]
        self._keys = np.concatenate([self._keys, keys])
        self._kept = np.concatenate([self._kept, values])
        if self._keys.size > 2 * self.sample:
            self._shrink()

    def _shrink(self) -> None:
        if self._keys.size > self.sample:
            smallest = np.argpartition(self._keys, self.sample - 1)[: self.sample]
            self._keys, self._kept = self._keys[smallest], self._kept[smallest]

    def heap(self, kinds: Sequence[str]) -> tuple[float, float, float] | None:
        """The largest heap inside the range, as :func:`heap` gives it (exact while the
        values are few, else from the sample), or None; None too for a target whose
        ``kinds`` are not real values."""
        if not _real(kinds) or self.rows == 0:
            return None
        if self._values is not None:
            counts = pd.Series(self._counts, index=self._values)
        else:
            self._shrink()
            counts = pd.Series(self._kept).value_counts(sort=False)
        return _largest_heap(counts, self.low, self.high)

    def resolution(self, kinds: Sequence[str]) -> float | None:
        """:func:`resolution_floor` of the rows added: the integers' unit on an integer
        target, a heap's resolution on a real one (:meth:`heap`), else None."""
        return resolution_floor(kinds, self.heap(kinds))  # (heap: None at once if not real)


def needs_floor(family: str, family_params: Mapping[str, object] | None) -> bool:
    """Whether :func:`with_resolution_floor` may set a parameter of ``family``: its
    registry entry names a ``resolution_param`` that ``family_params`` leaves unset."""
    from probnn.families import FAMILIES

    key = FAMILIES[family].resolution_param
    return key is not None and not (family_params and key in family_params)


def with_resolution_floor(target: pd.Series | Callable[[], float | None],
                          family: str, family_params: Mapping[str, object] | None) -> dict | None:
    """``family``'s parameters with its ``resolution_param`` set to ``h / sqrt(2 pi)``, ``h``
    the target's :func:`resolution_floor` (an integer target's unit; a real target's
    resolution where it holds a heap inside its range), unless the caller set it.

    On a heap a mixture's component can shrink onto the one value and its density there
    grows without bound: cross-validation then rewards the spike on the folds that hold
    the heap's rows (R's geyser: a spiked constant mixture chosen over the GLM, 0.31 nats
    worse on the test rows; its density at the heap 1e5 for values recorded to 1/60).
    On integers any one row's value will do, heap or not: the training NLL falls without
    bound while the held-out rows, scored by ``P(y - 1/2 < Y <= y + 1/2)``, gain at most
    what a unit-wide component holds (R's cars, 31 training rows: a component's scale 0,
    a fold's held-out NLL 36 nats a row). ``sigma_k >= h / sqrt(2 pi)`` keeps
    ``w_k / (sigma_k sqrt(2 pi)) <= 1 / h``. Other families, or no floor: the parameters
    as given.

    Parameters
    ----------
    target : Series or callable
        The target column, or a function giving its :func:`resolution_floor` (a streamed
        target's, :meth:`StreamedHeap.resolution`), called only when :func:`needs_floor`.
    family : str
    family_params : mapping or None
    """
    from probnn.families import FAMILIES
    from probnn.tables.targets import target_kinds

    if not needs_floor(family, family_params):
        return None if family_params is None else dict(family_params)
    if callable(target):
        h = target()
    else:
        kinds = target_kinds(target)[0]
        h = resolution_floor(kinds, heap(target, kinds))
    if h is None:
        return None if family_params is None else dict(family_params)
    key = FAMILIES[family].resolution_param
    return {**(family_params or {}), key: h / math.sqrt(2 * math.pi)}
