"""The validation rows a training run scores after every epoch, checked once.

:meth:`Trainer.run` scores the weights on the same validation arrays after each of hundreds or
thousands of epochs. ``family.nll`` checks the targets (and weights) on every call; here they
are checked once per run (:class:`ValidationRows`) and each epoch runs only the forward pass
and the family's kernel ``_loss_gradient``: ``family.nll``'s arithmetic, operation for
operation (``Family.nll`` is final: the check, the kernel, the weights), so the scores are the
same to the bit. On a UCI-sized fit whose epoch is one compiled call this was a fifth of the
fit's time (bench scenario 8).
"""

from __future__ import annotations

import numpy as np

from probnn._validation import check_sample_weight
from probnn.families.base import Family, _overflow_is_inf, weigh_rows

__all__ = ["ValidationRows", "validation_scorer"]


class ValidationRows:
    """One chunk of validation rows ``(X, y, w or None)``, its targets checked once.

    Parameters
    ----------
    family : family object
        A :class:`Family` is scored through its kernel on targets checked here; any other
        object with ``nll`` through ``nll`` (its own checks, on every call).
    X : ndarray of shape (n_rows, n_features)
        Checked inputs (the network's dtype).
    y : ndarray of shape (n_rows,) or (n_rows, k)
    sw : ndarray of shape (n_rows,) or None
    n_outputs : int
        The network's raw outputs per row.
    """

    def __init__(self, family, X: np.ndarray, y: np.ndarray, sw, n_outputs: int) -> None:
        self.family, self.X, self.sw = family, X, sw
        # the NLL in float64 from float64 targets: see Trainer's validation score
        self.y = y.astype(np.float64) if y.dtype.kind == "f" else y
        self.weight = X.shape[0] if sw is None else float(sw.sum())
        self.trusted = isinstance(family, Family)
        if self.trusted:
            # what Family.nll checks of float64 raw outputs and these targets, once
            yc = family.check_target(self.y)
            if yc.shape[0] != X.shape[0]:
                self.trusted = False  # let nll name the mismatch
            else:
                stand_in = np.broadcast_to(np.zeros((), np.float64), (X.shape[0], n_outputs))
                family._check_raw_columns(stand_in, yc)
                self.yc = yc.astype(np.float64, copy=False) if yc.dtype.kind == "f" else yc
                self.w = None if sw is None else check_sample_weight(sw, X.shape[0])

    def nll_sum(self, raw: np.ndarray) -> float:
        """The rows' summed (weighted) NLL at raw outputs ``raw`` (n_rows, n_outputs)."""
        raw = np.asarray(raw, dtype=np.float64)
        if not self.trusted:
            return float(np.sum(self.family.nll(raw, self.y, self.sw), dtype=np.float64))
        with _overflow_is_inf():
            loss, _ = self.family._loss_gradient(raw, self.yc, False)
        if self.w is not None:
            w = self.w if loss.dtype == self.w.dtype else check_sample_weight(
                self.sw, loss.shape[0], dtype=loss.dtype)
            weigh_rows(loss, None, w)
        return float(np.sum(loss, dtype=np.float64))


def validation_scorer(network, family, validation):
    """A function of no arguments: the weighted mean validation NLL of ``network``'s current
    weights on ``validation`` (``(X, y, w or None)``, or a callable returning an iterable of
    such chunks: a table streamed, checked chunk by chunk as it comes)."""
    k = network.layer_sizes[-1]
    if not callable(validation):
        rows = None

        def one() -> float:
            nonlocal rows
            raw = network.forward(validation[0])
            if rows is None:  # checked at the first score, as nll would check them
                rows = ValidationRows(family, *validation, k)
            if rows.weight == 0:
                raise ValueError("expected validation rows to score; found none")
            return rows.nll_sum(raw) / rows.weight

        return one

    def streamed() -> float:
        total = weight = 0.0
        for X, y, sw in validation():
            raw = network.forward(X)
            rows = ValidationRows(family, X, y, sw, k)
            total += rows.nll_sum(raw)
            weight += rows.weight
        if weight == 0:
            raise ValueError("expected validation rows to score; found none")
        return total / weight

    return streamed
