"""Exceptions and warnings raised by probnn."""

from __future__ import annotations

__all__ = ["DataError", "DataWarning", "ExtrapolationWarning", "NetworkTooLargeError",
           "PrecisionError", "PrecisionWarning", "TrainingDivergedError", "SeparationWarning"]


class DataError(ValueError):
    """The data cannot be used as given: wrong values, types, shapes or files.

    The message says what was expected, what was found, and where (row,
    column, file). The command line reports it on one line and exits with 1.
    """


class PrecisionError(DataError):
    """The target cannot be trained on in float32, the network's default precision.

    Raised before training when a float32 value of the target leaves the family's
    support (a count of 1e40 is inf in float32) or when one float32 step of the
    network's outputs or of the target moves the prediction by more than a small
    fraction of the target's spread (``y = 1e9 + N(0, 10)`` not standardised; a few
    huge outliers that set the standardisation's scale far above the other rows'
    spread). Float64 training resolves these. ``probnn.tables.TabularModel.fit`` (and
    so ``probnn fit``, ``compare`` and the model selection) trains in float64 instead
    when no ``dtype`` was given, and says so with a :class:`PrecisionWarning`; an
    estimator given ``dtype="float32"`` raises it.

    Parameters
    ----------
    message : str
        The problem and its remedy (training in float64), as printed.
    problem : str, optional
        The problem alone, for a caller that takes the remedy itself and says why
        (default: ``message``).
    """

    def __init__(self, message: str, problem: str | None = None):
        super().__init__(message)
        self.problem = message if problem is None else problem

    def __reduce__(self):  # (from a worker process: the problem kept apart)
        return PrecisionError, (str(self), self.problem)

    def located(self, where: str) -> PrecisionError:
        """The same error with ``where`` (a column, a file) put before its text."""
        return PrecisionError(f"{where}: {self}", problem=f"{where}: {self.problem}")


class NetworkTooLargeError(ValueError):
    """The network asked for does not fit in this machine's memory.

    Raised before anything is allocated; the message gives the layer sizes, the
    memory they need in GiB and the memory there is. The command line reports
    it on one line and exits with 2 (a usage error: ``--hidden``).
    """


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN or infinite.

    The network keeps the last weights whose loss was finite; the message says
    at which epoch (L-BFGS: iteration) it happened and, for the minibatch solvers,
    suggests a smaller learning rate.
    """


class SeparationWarning(UserWarning):
    """The classes are perfectly separable, so the maximum-likelihood estimate does not exist.

    Without a prior the likelihood keeps rising as the weights grow; the
    reported weights are wherever the optimiser stopped, not an estimate.
    """


class DataWarning(UserWarning):
    """The data can be used, but probably not as meant: say so in one line.

    E.g. a string column with a distinct value in most rows (an identifier),
    or categories at predict time that the model never saw in training
    (encoded as all zeros). The command line prints it as ``probnn: warning: ...``.
    """


class PrecisionWarning(DataWarning):
    """Trained in float64, since float32 could not represent or resolve the target
    (:class:`PrecisionError`); no ``dtype`` was given. The model is saved in float64."""


class ExtrapolationWarning(DataWarning):
    """Rows to predict lie far outside the training rows' range: beyond a numeric column's
    training ``[low, high]`` by more than its width (:mod:`probnn.tables.extrapolation`).

    Their predictions extrapolate what the fit learned inside the range. The message says how
    many rows, the farthest value of each column against its range, and the first row.
    """
