"""The size rule behind ``MLPRegressor``'s "auto" training settings (its docstring, "Defaults
sized by the data"): batch, budget, patience and the early-stopping share from the rows.

Its constants are :mod:`probnn.defaults`' ``AUTO_*``, read at each call so that a study may
set them for a run.
"""

from __future__ import annotations

import math

from probnn import defaults

__all__ = ["auto_batch_size", "auto_epochs", "auto_validation_fraction", "resolve_training"]


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


def resolve_training(kwargs: dict, n_samples: int, validation) -> dict:
    """``MLPRegressor``'s trainer settings with each "auto" resolved for ``n_samples`` training
    rows (``validation``: early stopping's rows given, or None): early stopping from
    ``2 * AUTO_MIN_VALIDATION_ROWS`` rows on a stochastic solver (its share by
    :func:`auto_validation_fraction`), then the batch (:func:`auto_batch_size`) and the budget
    and patience in epochs (:func:`auto_epochs`; L-BFGS: ``LBFGS_MAX_ITER`` iterations). A copy:
    ``kwargs`` is left as it was."""
    kwargs = dict(kwargs)
    es = kwargs["early_stopping"]
    stochastic = kwargs["solver"] != "lbfgs"
    min_rows = defaults.AUTO_MIN_VALIDATION_ROWS
    if isinstance(es, str):  # "auto"
        es = stochastic and (validation is not None or n_samples >= 2 * min_rows)
        if es and validation is None:
            kwargs["validation_fraction"] = auto_validation_fraction(
                n_samples, float(kwargs["validation_fraction"]))
    kwargs["early_stopping"] = bool(es)
    n_train = n_samples
    if es and validation is None and 0.0 < float(kwargs["validation_fraction"]) < 1.0:
        n_train = n_samples - math.ceil(float(kwargs["validation_fraction"]) * n_samples)
    n_train = max(n_train, 1)
    bs = kwargs["batch_size"]
    if isinstance(bs, str) and bs == "auto":
        kwargs["batch_size"] = bs = auto_batch_size(n_train)
    steps = 1 if kwargs["solver"] == "gd" or isinstance(bs, str) else math.ceil(n_train / bs)
    budget, patience = auto_epochs(steps)
    # L-BFGS counts iterations of the whole objective, not minibatch steps: scikit-learn's
    # 200 (and no dependence on the number of rows, so weights stay repetitions)
    budget = budget if stochastic else defaults.LBFGS_MAX_ITER
    for name, value in (("max_iter", budget), ("n_iter_no_change", patience)):
        if isinstance(kwargs[name], str):  # "auto"
            kwargs[name] = value
    return kwargs
