"""The validation rows a training run scores after every epoch: held out, checked, scored.

:func:`hold_out` draws early stopping's held-out rows; :func:`check_validation_data` checks the
rows a caller gives instead (``Trainer.fit(validation_data=)``).

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

__all__ = ["ValidationRows", "validation_scorer", "hold_out", "check_validation_data"]


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
        # the NLL in float64 from float64 targets: see validation_scorer
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
    such chunks: a table streamed, checked chunk by chunk as it comes).

    In float64 from the raw outputs: the network's float32 rounds a Poisson's NLL at counts
    near 1e9 to nonsense (-89.6 nats for 13.5), and early stopping would pick epochs at random.
    """
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


def hold_out(X: np.ndarray, y: np.ndarray, sw, fraction: float, seed: int, stratify: bool):
    """Early stopping's split: ``fraction`` of the rows held out, by ``seed``.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
    y : ndarray of shape (n_rows,) or (n_rows, k)
    sw : ndarray of shape (n_rows,) or None
    fraction : float in (0, 1)
    seed : int
    stratify : bool
        Stratify by ``y`` (class labels), where every class is common enough to fall on both
        sides; a plain split otherwise.

    Returns
    -------
    X_train, y_train, sw_train, X_val, y_val, sw_val, held_out : ndarray
        The rows in their order (``sw_*`` None without weights); ``held_out`` the sorted
        indices of the held-out rows (e.g. for a recalibration after training).
    """
    from sklearn.model_selection import train_test_split

    idx = np.arange(X.shape[0])
    try:
        tr, va = train_test_split(idx, test_size=fraction, random_state=seed,
                                  stratify=y if stratify else None)  # fmt: skip
    except ValueError:
        # a class too rare to appear on both sides: fall back to a plain split
        tr, va = train_test_split(idx, test_size=fraction, random_state=seed)
    tr, va = np.sort(tr), np.sort(va)
    sub = (lambda a, i: None if a is None else a[i])
    return X[tr], y[tr], sub(sw, tr), X[va], y[va], sub(sw, va), va


def check_validation_data(network, validation_data) -> tuple:
    """``(X_val, y_val, weights or None)`` checked: ``network``'s dtype, matching rows, and a
    positive total weight."""
    try:
        Xv, yv, swv = validation_data
    except (TypeError, ValueError):
        raise ValueError(
            "validation_data must be a tuple (X_val, y_val, sample_weight_val or None); "
            f"found {type(validation_data).__name__}"
        ) from None
    Xv = network._check_X(Xv)
    yv = np.asarray(yv)
    if yv.shape[0] != Xv.shape[0] or Xv.shape[0] == 0:
        raise ValueError(
            f"validation_data needs rows, as many in y_val as in X_val; found "
            f"{Xv.shape[0]} rows in X_val and {yv.shape[0]} in y_val"
        )
    if swv is not None:
        swv = check_sample_weight(swv, Xv.shape[0])
        if not swv.sum() > 0:
            raise ValueError(
                f"validation sample weights must not all be zero; found zero weight on "
                f"all {Xv.shape[0]} validation rows"
            )
    return Xv, yv, swv
