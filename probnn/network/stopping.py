"""When training lowers its rate and when it stops: one score an epoch in, one decision out.

:class:`PlateauRule` is the stopping rule of :class:`~probnn.network.training.Trainer` (and of
the streamed fit, which keeps its own epochs): an epoch *improves* when its score (the
validation NLL with early stopping, else the training loss) beats the best so far by more
than ``tol``; after more than ``patience`` epochs in a row without improvement the rule either
lowers the rate (``drops`` times at most, by ``factor`` each time, the waiting starting again)
or stops. With ``drops=0`` it is scikit-learn's rule (stop after ``n_iter_no_change`` epochs
without improvement). Lowering the rate on a plateau before stopping (as Keras'
``ReduceLROnPlateau``) lets a nearly deterministic target go on improving long after the
first rate's minibatch noise has flattened its validation curve, where stopping there ended
such fits far from the truth (``bench/studies/stopping_rule.md``).

The Trainer's schedules: "constant" and the others make no drops; "adaptive" (scikit-learn's)
divides the rate by 5 on every plateau until it is at or below 1e-6; "plateau" (MLPRegressor's
default) makes ``defaults.PLATEAU_DROPS`` drops by ``defaults.PLATEAU_FACTOR``, and with early
stopping each goes on from the best epoch's weights and average (``defaults.PLATEAU_FROM_BEST``);
"plateau" also warms its rate up (:func:`probnn.network.schedules.warmup_factor`), and the
epochs of the warm-up start no plateau (``update``'s ``warming``).
"""
from __future__ import annotations

import math

from probnn import defaults

__all__ = ["PlateauRule", "IMPROVED", "WAIT", "DROP", "STOP", "max_iter_message"]

IMPROVED, WAIT, DROP, STOP = "improved", "wait", "drop", "stop"


class PlateauRule:
    """Improvement, patience, rate drops and the stop, from a sequence of epoch scores.

    Parameters
    ----------
    patience : int
        Epochs in a row without improvement that are tolerated; one more is a plateau.
    tol : float
        An epoch improves when its score is below the best so far minus ``tol``.
    drops : int or None, default=0
        Plateaus answered by lowering the rate before one stops training; None: no limit
        (the rate's ``min_rate`` ends it instead).
    factor : float, default=0.2
        Each drop multiplies the rate by this.
    min_rate : float, default=0.0
        A plateau with the rate at or below this stops training, drops left or not
        (scikit-learn's "adaptive": 1e-6).

    Attributes
    ----------
    best : float
        The lowest score seen (``inf`` before the first).
    waited : int
        Epochs since the last improvement (or since the last drop).
    n_drops : int
        Drops made so far.
    divisor : float
        ``1 / factor``: a drop divides the rate by it.
    """

    def __init__(self, patience: int, tol: float, *, drops: int | None = 0,
                 factor: float = 0.2, min_rate: float = 0.0) -> None:  # fmt: skip
        if not (isinstance(patience, int) and patience >= 0):
            raise ValueError(f"patience must be an integer >= 0; found {patience!r}")
        if not (0.0 < factor < 1.0):
            raise ValueError(f"factor must be in (0, 1); found {factor!r}")
        if drops is not None and not (isinstance(drops, int) and drops >= 0):
            raise ValueError(f"drops must be an integer >= 0 or None; found {drops!r}")
        self.patience, self.tol, self.drops = patience, float(tol), drops
        self.factor, self.min_rate = float(factor), float(min_rate)
        self.divisor = 1.0 / self.factor  # 5.0 exactly for 0.2: the rate is divided by it
        self.best = math.inf
        self.waited = 0
        self.n_drops = 0

    @classmethod
    def for_schedule(cls, schedule: str, patience: int, tol: float) -> "PlateauRule":
        """The rule of a Trainer's ``learning_rate`` schedule (see the module docstring)."""
        if schedule == "plateau":
            return cls(patience, tol, drops=defaults.PLATEAU_DROPS, factor=defaults.PLATEAU_FACTOR)
        if schedule == "adaptive":  # scikit-learn's: / 5 on every plateau, until below 1e-6
            return cls(patience, tol, drops=None, min_rate=1e-6)
        return cls(patience, tol)

    def update(self, score: float, rate: float = math.inf, *, warming: bool = False) -> str:
        """The decision after an epoch of score ``score`` trained at rate ``rate``;
        ``warming``: the epoch trained below its full rate (a warm-up), and is not waited
        out (an improvement still counts).

        Returns
        -------
        str
            ``"improved"`` (a new best by more than ``tol``), ``"wait"``, ``"drop"`` (lower
            the rate by ``factor`` and go on) or ``"stop"``.
        """
        improved = score < self.best - self.tol
        self.best = min(self.best, score)
        self.waited = 0 if improved else self.waited + (not warming)
        if improved:
            return IMPROVED
        if self.waited <= self.patience:
            return WAIT
        drops_left = self.drops is None or self.n_drops < self.drops
        if drops_left and rate > self.min_rate:
            self.n_drops += 1
            self.waited = 0
            return DROP
        return STOP


def max_iter_message(max_iter: int, n_iter_no_change: int, tol: float,
                     early_stopping: bool) -> str:
    """What the Trainer's ConvergenceWarning at ``max_iter`` says: the fact, then what to do."""
    within = (f"it improved by more than tol within the last {n_iter_no_change} "
              "epochs")  # fmt: skip
    if n_iter_no_change >= max_iter:
        # the stopping rule needs more epochs without improvement than the budget has
        within = (f"the patience, n_iter_no_change={n_iter_no_change} epochs, is "
                  "longer than the budget, so the stopping rule could not end training")
    if early_stopping:
        return (
            f"training used all max_iter={max_iter} epochs and the validation NLL "
            f"was still changing by more than tol={tol} ({within}); the weights of "
            "the best validation epoch were kept. Raising max_iter lets early stopping "
            "end training where the validation NLL stops improving"
        )
    return (
        f"training used all max_iter={max_iter} epochs and the training loss was "
        f"still changing by more than tol={tol} ({within}). More epochs fit the "
        "training rows ever more closely and can overfit them: use early_stopping=True "
        "(it watches the NLL of a held-out validation_fraction of the rows and keeps the "
        "best weights), or monitor a validation score, rather than only raising max_iter"
    )
