"""Learning-rate schedules: the rate a schedule gives at a step or epoch.

Its own module so that the Trainer (``training``) and the compiled engine (``_engine``) read
one rule without importing each other.
"""
from __future__ import annotations

import math

__all__ = ["SCHEDULES", "learning_rate_at"]

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
