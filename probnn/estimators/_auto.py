"""The size rule behind ``MLPRegressor``'s "auto" training settings (its docstring, "Defaults
sized by the data"): batch, budget, patience and the early-stopping share from the rows.

Its constants are :mod:`probnn.defaults`' ``AUTO_*``, read at each call so that a study may
set them for a run.
"""

from __future__ import annotations

import math

from probnn import defaults

__all__ = ["auto_batch_size", "auto_epochs", "auto_validation_fraction"]


def auto_batch_size(n_train: int) -> int:
    """``batch_size="auto"``: ``n_train // AUTO_BATCHES_PER_EPOCH`` (50) within
    ``AUTO_BATCH_ROWS`` ([32, 200]), at most ``n_train``."""
    low, high = defaults.AUTO_BATCH_ROWS
    return min(max(low, n_train // defaults.AUTO_BATCHES_PER_EPOCH), high, n_train)


def auto_epochs(steps_per_epoch: int) -> tuple[int, int]:
    """``(max_iter, n_iter_no_change)`` for "auto", in epochs of ``steps_per_epoch`` steps:
    about ``AUTO_MAX_STEPS`` optimiser steps in all, a patience of about
    ``AUTO_PATIENCE_STEPS`` steps but at least ``AUTO_MIN_PATIENCE`` epochs."""
    return (math.ceil(defaults.AUTO_MAX_STEPS / steps_per_epoch),
            max(defaults.AUTO_MIN_PATIENCE,
                math.ceil(defaults.AUTO_PATIENCE_STEPS / steps_per_epoch)))


def auto_validation_fraction(n_rows: int, fraction: float) -> float:
    """``early_stopping="auto"``'s share of ``n_rows`` held out to stop on: 0 (no early
    stopping) below ``2 * AUTO_MIN_VALIDATION_ROWS`` rows; else ``fraction``, raised to hold
    out about ``AUTO_MIN_VALIDATION_ROWS`` rows where it would hold out fewer."""
    min_rows = defaults.AUTO_MIN_VALIDATION_ROWS
    if n_rows < 2 * min_rows:
        return 0.0
    if 0.0 < fraction < 1.0 and math.ceil(fraction * n_rows) < min_rows:
        # hold out 20 rows rather than a tenth too small to judge an epoch by
        return (min_rows - 0.5) / n_rows
    return fraction
