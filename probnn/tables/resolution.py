"""Heaps in a real target, and the floor they put on a family's density.

A *heap* is one value held by many rows: a point mass at an end of the range (fair affairs'
zeros, a proportion capped at 0.99), or inside it (a rounded or coded value: R's geyser
durations, 18% of them recorded as exactly 4 minutes). A density can spike on either and its
NLL there has no lower bound. The selection reads a point mass at an end as censored
(:mod:`probnn._selection_notes`); inside the range a family that can spike (its registry
entry names a ``resolution_param``: the mixture's ``min_scale``) is given a floor from the
targets' resolution ``h``, the smallest gap between two distinct values, so that no density
it puts out exceeds ``1 / h``: what a value recorded to a resolution ``h`` can hold.
Counts and class labels are probabilities already: neither applies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["POINT_MASS_SHARE", "heap", "real_values", "with_resolution_floor"]

# A real target with at least this share of its rows exactly at one value holds a heap
# there: 5% of the rows is far more than rounding stacks on one value of a continuous
# target, and enough for a density's spike to dominate the mean NLL.
POINT_MASS_SHARE = 0.05


def real_values(column: pd.Series, kinds: Sequence[str]) -> pd.Series | None:
    """The target's numbers where it holds real values (not counts or class labels, which
    are probabilities already), else None."""
    from probnn.families import DISCRETE_KINDS

    if not kinds or kinds[0] in DISCRETE_KINDS:
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
    from probnn.families.base import resolution

    values = real_values(column, kinds)
    if values is None:
        return None
    low, high = float(values.min()), float(values.max())
    shares = values[(values > low) & (values < high)].value_counts() / values.size
    if shares.empty or float(shares.iloc[0]) < POINT_MASS_SHARE:
        return None
    return (float(shares.index[0]) + 0.0, float(shares.iloc[0]),
            resolution(values.to_numpy(dtype=np.float64)))


def with_resolution_floor(column: pd.Series, family: str,
                          family_params: Mapping[str, object] | None) -> dict | None:
    """``family``'s parameters with its ``resolution_param`` set to ``h / sqrt(2 pi)`` on a
    target with a heap inside its range (:func:`heap`), unless the caller set it.

    On a heap a mixture's component can shrink onto the one value and its density there
    grows without bound: cross-validation then rewards the spike on the folds that hold
    the heap's rows (R's geyser: a spiked constant mixture chosen over the GLM, 0.31 nats
    worse on the test rows; its density at the heap 1e5 for values recorded to 1/60).
    ``sigma_k >= h / sqrt(2 pi)`` keeps ``w_k / (sigma_k sqrt(2 pi)) <= 1 / h``. Other
    families, or no heap: the parameters as given.
    """
    from probnn.families import FAMILIES
    from probnn.tables.targets import target_kinds

    key = FAMILIES[family].resolution_param
    if key is None or (family_params and key in family_params):
        return None if family_params is None else dict(family_params)
    found = heap(column, target_kinds(column)[0])
    if found is None:
        return None if family_params is None else dict(family_params)
    return {**(family_params or {}), key: found[2] / math.sqrt(2 * math.pi)}
