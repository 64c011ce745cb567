"""Bernoulli family: 0/1 labels with a sigmoid link (binary cross-entropy)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from probnn._math import log_sigmoid, sigmoid
from probnn.families import register_family
from probnn.families.base import (
    Array,
    Family,
    as_raw,
    as_real_target,
    reject,
    softplus_sigmoid,
    weighted_mean,
)

_TEXT = """\
Bernoulli family: a 0/1 label y, raw output z, p = sigmoid(z) = 1 / (1 + exp(-z)).
Likelihood:      p(y | z) = p^y (1 - p)^(1 - y),   y in {0, 1}
Log-likelihood:  log p(y | z) = y log p + (1 - y) log(1 - p)
                 with log p = -softplus(-z) and log(1 - p) = -softplus(z):
                 log p(y | z) = y z - softplus(z)
Loss (NLL):      L(z, y) = softplus(z) - y z = softplus((1 - 2y) z)
                 = binary cross-entropy (log loss); no constant is dropped.
Gradient:        dL/dz = sigmoid(z) - y = p - y
                 (canonical link: predicted mean minus target)
Data:            the NLL of a data set is the sum over examples; with k labels per
                 example (multi-label) also the sum over the k independent outputs.
"""

_LATEX = r"""\begin{aligned}
p &= \sigma(z) = \frac{1}{1 + e^{-z}}, \qquad y \in \{0, 1\} \\
p(y \mid z) &= p^{y} (1 - p)^{1 - y} \\
\log p(y \mid z) &= y \log p + (1 - y) \log(1 - p) = y z - \operatorname{softplus}(z) \\
L(z, y) &= \operatorname{softplus}(z) - y z
  \quad \text{(binary cross-entropy)} \\
\frac{\partial L}{\partial z} &= \sigma(z) - y = p - y
\end{aligned}"""


@register_family
class BernoulliFamily(Family):
    """Independent 0/1 labels, ``p = sigmoid(z)``: binary cross-entropy.

    Domain
        ``y`` of shape ``(n_samples,)`` with values in {0, 1} (one raw output),
        or ``(n_samples, k)`` multi-label (k raw outputs, one per label).
    Link
        ``p = sigmoid(z)``; raw value ``z`` is the log-odds ``log(p / (1 - p))``.
    Formula
        ``nll(z, y) = softplus(z) - y z = softplus((1 - 2y) z)``, summed over
        the k labels of a multi-label target;
        ``d nll / dz = sigmoid(z) - y`` (canonical pair: mean minus target).
    Loss
        Binary cross-entropy (log loss); the sum of k of them for multi-label.
        No constant is dropped: a perfect prediction scores 0.
    """

    name = "bernoulli"
    loss_name = "binary cross-entropy"
    link = "p = sigmoid(z)"
    is_classifier = True
    out_activation = "logistic"
    support = "binary"
    target_kinds = ("binary",)
    default_for = ("binary",)
    param_names = ("probs",)

    def check_target(self, y: ArrayLike) -> np.ndarray:
        """0/1 labels of shape (n_samples,) or (n_samples, k), as floats.

        Raises
        ------
        ValueError
            Naming the values that are not 0 or 1 and their rows.
        """
        y = as_real_target(y, "Bernoulli", "0 or 1")
        if y.ndim not in (1, 2):
            raise ValueError(
                f"Bernoulli targets must have shape (n_samples,) or (n_samples, k); "
                f"found shape {y.shape}"
            )
        reject((y != 0) & (y != 1), y, "Bernoulli targets must be 0 or 1")
        return y

    def _n_outputs_for(self, y: np.ndarray) -> int:
        return 1 if y.ndim == 1 else y.shape[1]

    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool):
        if y.ndim == 1:
            y = y[:, None]
        # sign = +1 for y = 0 and -1 for y = 1, so nll = softplus(sign * z) exactly,
        # with no cancellation between softplus(z) and y z.
        sign = 1 - 2 * y
        loss, sig = softplus_sigmoid(sign * raw, need_gradient)
        loss = loss.sum(axis=1)
        if not need_gradient:
            return loss, None
        sig *= sign  # d softplus(sign z) / dz = sign * sigmoid(sign z) = sigmoid(z) - y
        return loss, sig

    def _logits(self, raw: ArrayLike) -> Array:
        """Logits of shape (n_samples,) for one output, else (n_samples, k)."""
        raw = as_raw(raw)
        if raw.ndim == 2 and raw.shape[1] == 1:
            return raw[:, 0]
        if raw.ndim not in (1, 2):
            raise ValueError(
                f"raw outputs must have shape (n_samples, n_outputs); found shape {raw.shape}"
            )
        return raw

    def class_probs(self, raw: ArrayLike, multilabel: bool = False) -> Array:
        """Class probabilities ``[1 - p, p]``, shape (n_samples, 2), for one output.

        With ``multilabel`` the probability of each label being 1, ``sigmoid(z)``
        of shape (n_samples, k). ``1 - p`` is ``sigmoid(-z)``: no cancellation
        when ``p`` is near 1.
        """
        raw = as_raw(raw)
        if multilabel:
            return sigmoid(raw)
        z = self._logits(raw)
        return np.stack([sigmoid(-z), sigmoid(z)], axis=1)

    def class_log_probs(self, raw: ArrayLike, multilabel: bool = False) -> Array:
        """Logarithm of :meth:`class_probs`, computed in raw space (finite for finite raw)."""
        raw = as_raw(raw)
        if multilabel:
            return log_sigmoid(raw)
        z = self._logits(raw)
        return np.stack([log_sigmoid(-z), log_sigmoid(z)], axis=1)

    def distribution(self, raw: ArrayLike):
        """``Bernoulli(logits=z)``, batch shape (n_samples,) or (n_samples, k)."""
        from probnn.distributions import Bernoulli

        return Bernoulli(logits=self._logits(raw))

    def mean(self, raw: ArrayLike) -> Array:
        """``p = sigmoid(z)``, shape (n_samples,) for one output, else (n_samples, k)."""
        return sigmoid(self._logits(raw))

    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """Log-odds of the (weighted) label frequencies, shape (k,).

        The MLE of a constant ``p`` is the mean of ``y``; a label that is always
        0 (or always 1) has its MLE at ``z = -inf`` (``+inf``), returned as such.
        """
        y = self.check_target(y)
        p = np.atleast_1d(weighted_mean(y.reshape(y.shape[0], -1), sample_weight))
        with np.errstate(divide="ignore"):
            return np.log(p) - np.log1p(-p)

    def derivation(self, latex: bool = False) -> str:
        """Likelihood -> log-likelihood -> loss -> gradient."""
        return _LATEX if latex else _TEXT

    def _raw_hessian(self, raw: Array, y: np.ndarray) -> np.ndarray:
        """``diag(p (1 - p))`` over the labels, ``p = sigmoid(z)``, shape (n, k, k)."""
        curvature = sigmoid(raw) * sigmoid(-raw)  # no cancellation in 1 - p near p = 1
        n, k = raw.shape
        hess = np.zeros((n, k, k))
        hess[:, np.arange(k), np.arange(k)] = curvature
        return hess
