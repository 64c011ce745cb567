"""Categorical family: one of C classes with a softmax link (categorical cross-entropy)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from probnn._math import log_softmax, softmax
from probnn._validation import Interval, check_sample_weight
from probnn.families import register_family
from probnn.families.base import Array, Family, as_raw, as_real_target, reject, weighted_mean

_TEXT = """\
Categorical family: a class y in 0..C-1, raw outputs z_1..z_C, pi = softmax(z).
Likelihood:      p(y | z) = pi_y = exp(z_y) / sum_j exp(z_j)
                 (for a row of target probabilities t: prod_j pi_j^t_j)
Log-likelihood:  log p(y | z) = z_y - logsumexp(z)
                 computed as (z_y - m) - log sum_j exp(z_j - m), m = max_j z_j
Loss (NLL):      L(z, y) = logsumexp(z) - z_y = -log pi_y
                 soft / one-hot targets t: L(z, t) = -sum_j t_j log pi_j
                 = categorical cross-entropy ("sparse" for integer labels);
                 no constant is dropped.
Gradient:        dL/dz_j = pi_j - [j = y]   (soft targets: pi_j sum(t) - t_j)
                 (canonical link: predicted mean minus the one-hot target)
Two classes:     softmax([z_0, z_1]) = [1 - p, p] with p = sigmoid(z_1 - z_0),
                 so the Bernoulli family on the logit difference is the same model.
"""

_LATEX = r"""\begin{aligned}
\pi_j &= \operatorname{softmax}(z)_j = \frac{e^{z_j}}{\sum_{l=1}^{C} e^{z_l}},
  \qquad y \in \{0, \dots, C - 1\} \\
p(y \mid z) &= \pi_y = \prod_{j} \pi_j^{[j = y]} \\
\log p(y \mid z) &= z_y - \log \sum_{l} e^{z_l} \\
L(z, y) &= \log \sum_{l} e^{z_l} - z_y
  \quad \text{(categorical cross-entropy)} \\
\frac{\partial L}{\partial z_j} &= \pi_j - [j = y]
\end{aligned}"""


@register_family
class CategoricalFamily(Family):
    """One of C classes, ``pi = softmax(z)``: categorical cross-entropy.

    Domain
        ``y`` integer labels of shape ``(n_samples,)`` in ``0..C-1``, or rows of
        probabilities of shape ``(n_samples, C)`` (one-hot or soft labels).
        ``C`` is ``n_classes`` when given, else the largest label + 1 (or the
        number of columns of a probability target).
    Link
        ``pi = softmax(z)``; ``z`` is only determined up to adding a constant
        to every column.
    Formula
        ``nll(z, y) = logsumexp(z) - z_y``; for target rows ``t``,
        ``nll(z, t) = -sum_j t_j log softmax(z)_j``;
        ``d nll / dz = softmax(z) - onehot(y)`` (canonical pair).
    Loss
        Categorical cross-entropy ("sparse" with integer labels); no constant
        is dropped.

    Parameters
    ----------
    n_classes : int, optional
        Number of classes C; by default inferred from the targets.
    """

    name = "categorical"
    loss_name = "categorical cross-entropy"
    link = "pi = softmax(z)"
    is_classifier = True
    out_activation = "softmax"
    support = "classes"
    raw_shift_invariant = True
    target_kinds = ("classes", "ordered-classes")
    default_for = ("classes", "ordered-classes")
    param_names = ("probs",)
    fixed_params = {"n_classes": Interval(1, closed="left", integer=True)}

    def __init__(self, n_classes: int | None = None):
        if n_classes is not None:
            if int(n_classes) != n_classes or n_classes < 1:
                raise ValueError(f"n_classes must be a positive integer; found {n_classes!r}")
            n_classes = int(n_classes)
        self.n_classes = n_classes

    def get_params(self) -> dict:
        return {"n_classes": self.n_classes}

    def check_target(self, y: ArrayLike) -> np.ndarray:
        """Integer labels (n_samples,) as ``intp``, or probability rows (n_samples, C).

        A single column ``(n_samples, 1)`` is read as labels.

        Raises
        ------
        ValueError
            Naming labels that are not integers in ``0..C-1``, or rows that
            are not probability vectors, with their rows.
        """
        y = as_real_target(y, "Categorical", "class labels 0..C-1 or rows of probabilities")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim == 1:
            bad = ~np.isfinite(y) | (y < 0) | (y != np.floor(y))
            reject(bad, y, "Categorical labels must be integers 0, 1, ..., C-1")
            if self.n_classes is not None:
                reject(
                    y >= self.n_classes,
                    y,
                    f"Categorical labels must be below n_classes={self.n_classes}",
                )
            return y.astype(np.intp)
        if y.ndim != 2:
            raise ValueError(
                f"Categorical targets must have shape (n_samples,) or (n_samples, C); "
                f"found shape {y.shape}"
            )
        if self.n_classes is not None and y.shape[1] != self.n_classes:
            raise ValueError(
                f"Categorical probability targets must have n_classes={self.n_classes} "
                f"columns; found {y.shape[1]}"
            )
        reject(~np.isfinite(y) | (y < 0), y, "Categorical target probabilities must be >= 0")
        sums = y.sum(axis=1)
        tol = max(1e-6, 4 * y.shape[1] * float(np.finfo(y.dtype).eps))
        reject(np.abs(sums - 1) > tol, sums, "Categorical target rows must sum to 1 (row sums)")
        return y

    def _n_outputs_for(self, y: np.ndarray) -> int:
        if y.ndim == 2:
            return y.shape[1]
        if self.n_classes is not None:
            return self.n_classes
        return int(y.max()) + 1 if y.size else 0

    def _check_raw_columns(self, raw: Array, y: np.ndarray) -> None:
        if y.ndim == 1 and self.n_classes is None:
            # Labels only bound C from below: the raw columns define the classes.
            n_classes = raw.shape[1]
            reject(
                y >= n_classes,
                y,
                f"Categorical labels must be in 0..{n_classes - 1} for "
                f"{n_classes} raw output columns",
            )
            return
        super()._check_raw_columns(raw, y)

    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool):
        rows = np.arange(raw.shape[0])
        top = raw.argmax(axis=1)
        shifted = raw - raw[rows, top][:, None]  # the top entry is exactly 0
        e = np.exp(shifted)
        # Sum the other classes apart from the top one (which contributes exactly 1):
        # logsumexp = log1p(rest) keeps full relative precision when pi_top ~ 1,
        # where log(1 + rest) would round a confident prediction's NLL to 0.
        e[rows, top] = 0
        rest = e.sum(axis=1)
        log_total = np.log1p(rest)
        if y.ndim == 1:
            loss = log_total - shifted[rows, y]
        else:
            y_sum = y.sum(axis=1)
            loss = y_sum * log_total - np.einsum("ij,ij->i", y, shifted)
        if not need_gradient:
            return loss, None
        p_top = 1 / (1 + rest)
        e *= p_top[:, None]
        e[rows, top] = p_top  # e is now softmax(raw)
        if y.ndim == 1:
            e[rows, y] -= 1
            # pi_top - 1 = -rest / (1 + rest), without the cancellation
            hit = y == top
            e[rows[hit], top[hit]] = -(rest[hit] * p_top[hit])
        else:
            e *= y_sum[:, None]
            e -= y
        return loss, e

    def _logits(self, raw: ArrayLike) -> Array:
        raw = as_raw(raw)
        if raw.ndim == 1:
            raw = raw[:, None]
        if raw.ndim != 2 or (self.n_classes is not None and raw.shape[1] != self.n_classes):
            c = "C" if self.n_classes is None else self.n_classes
            raise ValueError(
                f"categorical family expects raw outputs of shape (n_samples, {c}); "
                f"found shape {raw.shape}"
            )
        return raw

    def class_probs(self, raw: ArrayLike, multilabel: bool = False) -> Array:
        """``softmax(z)``, shape (n_samples, C): the probability of each class."""
        return softmax(self._logits(raw), axis=1)

    def class_log_probs(self, raw: ArrayLike, multilabel: bool = False) -> Array:
        """``log_softmax(z)``, shape (n_samples, C), computed in raw space."""
        return log_softmax(self._logits(raw), axis=1)

    def distribution(self, raw: ArrayLike):
        """``Categorical(logits=z)``: batch shape (n_samples,), classes on the last axis."""
        from probnn.distributions import Categorical

        return Categorical(logits=self._logits(raw))

    def mean(self, raw: ArrayLike) -> Array:
        """Class probabilities ``softmax(z)``, shape (n_samples, C)."""
        return softmax(self._logits(raw), axis=1)

    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """``log`` of the (weighted) class frequencies, shape (C,).

        Any constant may be added (softmax ignores it); this choice makes
        ``logsumexp`` zero. A class that never occurs gets ``-inf``, its MLE.
        """
        y = self.check_target(y)
        n_classes = self._n_outputs_for(y)
        if y.ndim == 1:
            w = check_sample_weight(sample_weight, y.shape[0])
            if not w.sum() > 0:
                raise ValueError(f"sample_weight must have a positive sum; found {w.sum()}")
            freq = np.bincount(y, weights=w, minlength=n_classes) / w.sum()
        else:
            freq = weighted_mean(y.astype(np.float64), sample_weight)
        with np.errstate(divide="ignore"):
            return np.log(freq)

    def derivation(self, latex: bool = False) -> str:
        """Likelihood -> log-likelihood -> loss -> gradient."""
        return _LATEX if latex else _TEXT

    def _raw_hessian(self, raw: Array, y: np.ndarray) -> np.ndarray:
        """``diag(pi) - pi pi^T`` (times the row's total for probability targets), (n, C, C)."""
        p = softmax(raw, axis=1)
        hess = -p[:, :, None] * p[:, None, :]
        c = raw.shape[1]
        hess[:, np.arange(c), np.arange(c)] += p
        if y.ndim == 2:
            hess *= y.sum(axis=1)[:, None, None]
        return hess
