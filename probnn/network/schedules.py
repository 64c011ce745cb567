"""Learning-rate schedules: the rate a schedule gives at a step or epoch.

Its own module so that the Trainer (``training``) and the compiled engine (``_engine``) read
one rule without importing each other.

"plateau" (MLPRegressor's default) also warms up in a fit (``Trainer.run``, in memory or
streamed; not in ``partial_fit``, which keeps a constant rate): :func:`warmup_factor` raises
the rate linearly over its first ``defaults.PLATEAU_WARMUP_STEPS`` optimiser steps (at most one
patience and a tenth of the budget), one factor per epoch (the rate an epoch trains at is the
factor at its last step). At the full rate from the
first step, Adam's first steps (each weight moved by about the rate, all at once) left 80-90%
of the second layer's ReLU units dead on the naval-like task within 5-20 epochs, and no lower
rate later revives a dead unit (``bench/studies/stopping_rule.md``, "Warm-up").
"""
from __future__ import annotations

import math

from probnn import defaults

__all__ = ["SCHEDULES", "learning_rate_at", "warming_up", "warmup_factor"]

SCHEDULES = ("constant", "invscaling", "cosine", "adaptive", "plateau")


def learning_rate_at(schedule: str, lr0: float, *, t: int = 0, epoch: int = 0,
                     max_iter: int = 1, power_t: float = 0.5) -> float:  # fmt: skip
    """The learning rate a schedule gives.

    ``constant``, ``adaptive`` and ``plateau`` (whose drops the Trainer applies): ``lr0``;
    ``invscaling``: ``lr0 / (t + 1) ** power_t`` with ``t`` the samples seen
    (scikit-learn's rule); ``cosine``: ``lr0 (1 + cos(pi epoch / max_iter)) / 2``.
    """
    if schedule in ("constant", "adaptive", "plateau"):
        return lr0
    if schedule == "invscaling":
        return lr0 / (t + 1) ** power_t
    if schedule == "cosine":
        return lr0 * 0.5 * (1 + math.cos(math.pi * min(epoch, max_iter) / max(max_iter, 1)))
    raise ValueError(f"learning_rate must be one of {', '.join(SCHEDULES)}; found {schedule!r}")


def warmup_factor(schedule: str, steps_done: int, steps_in_epoch: int,
                  epochs: float) -> float:
    """The share of its rate the next epoch trains at: ``min(1, (steps_done + steps_in_epoch)
    / W)`` under "plateau", a linear warm-up over ``W = min(defaults.PLATEAU_WARMUP_STEPS,
    epochs * steps_in_epoch)`` steps (1,000 with MLPRegressor's "auto" patience and budget;
    less where the Trainer's patience or a tenth of its budget is shorter), whose last epoch
    may reach the full rate early; 1 under every other schedule or without a warm-up.

    Parameters
    ----------
    schedule : str
        The Trainer's ``learning_rate``.
    steps_done : int
        Optimiser steps taken before the epoch (all of the fit's, warm starts included: a
        warm start goes on at the rate it reached).
    steps_in_epoch : int
        Optimiser steps the epoch takes.
    epochs : float
        The most epochs the warm-up may last: the Trainer's ``min(n_iter_no_change,
        max_iter / 10)``.
    """
    steps = min(defaults.PLATEAU_WARMUP_STEPS, epochs * steps_in_epoch)
    if schedule != "plateau" or steps <= 0:
        return 1.0
    return min(1.0, (steps_done + steps_in_epoch) / steps)


def warming_up(share: float) -> bool:
    """Whether an epoch trained at ``share`` (:func:`warmup_factor`) of its rate is not
    waited out by the stopping rule (``PlateauRule.update``'s ``warming``): below the full
    rate, with ``defaults.PLATEAU_WAIT_AFTER_WARMUP``; the full rate gets the whole patience."""
    return bool(defaults.PLATEAU_WAIT_AFTER_WARMUP) and share < 1.0
