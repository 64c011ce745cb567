"""Ordinal family: ordered classes by cumulative logits (the proportional-odds model).

For classes ``0..C-1`` the C raw outputs ``z_0..z_{C-1}`` give a location
``eta = z_0`` and increasing cut points

    c_0 = z_1,    c_k = c_{k-1} + softplus(z_{k+1}),   k = 1..C-2,

and ``P(y <= k) = sigmoid(c_k - eta)``. A class's probability is a difference
of two cumulative probabilities, which the logistic function factorises
exactly (``s(u) - s(l) = s(u) s(-l) (1 - e^{l - u})``), and with the softplus
gaps ``1 - exp(-softplus(z)) = sigmoid(z)``, so

    log P(y = k) = log_sigmoid(c_k - eta) + log_sigmoid(eta - c_{k-1}) + log_sigmoid(z_{k+1})

for the middle classes, the first term alone for ``k = 0`` and the second
alone for ``k = C-1``. Every term is a ``log_sigmoid`` of a finite number: the
NLL is finite (and >= 0) for every finite raw output, with no difference of
rounded probabilities and no clipping.

A network predicts all C outputs from x, so the cut points may move with x as
well as ``eta``; with the cut points taken from the output bias alone it is
exactly the proportional-odds model (McCullagh, 1980).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from probnn._math import log_sigmoid, sigmoid, softplus
from probnn._validation import Interval, check_sample_weight
from probnn.families import register_family
from probnn.families.base import Array, Family, as_raw, as_real_target, reject

# above this z, softplus(z) > 2e-9 and its log is taken directly; below, log softplus(z) =
# z + log(log1p(x) / x) = z + log1p(-x/2 + ...) with x = e^z, z - x/2 to within 5x^2/24
_SMALL_Z = -20.0


def log_softplus(z: Array) -> Array:
    """``log(softplus(z))`` = ``log(log(1 + e^z))``, finite for every finite ``z``.

    ``log(softplus(z))`` above ``z = -20``; below, the series ``z - e^z / 2`` (error
    below ``e^{2z}/4``), which stays finite where ``softplus(z)`` underflows to 0
    (``z`` below about -745 in float64). ``-inf`` gives ``-inf``.
    """
    z = np.asarray(z)
    small = z < _SMALL_Z
    with np.errstate(divide="ignore"):
        direct = np.log(softplus(np.where(small, 0.0, z).astype(z.dtype)))
    return np.where(small, z - np.exp(np.minimum(z, _SMALL_Z)) / 2, direct)


_TEXT = """\
Ordinal family (cumulative logits): a class y in 0..C-1, raw outputs z_0..z_{C-1},
                 eta = z_0, cut points c_0 = z_1, c_k = c_{k-1} + softplus(z_{k+1}) (increasing).
Likelihood:      P(y <= k | z) = sigmoid(c_k - eta), k = 0..C-2 (proportional odds)
                 p(y | z) = sigmoid(c_y - eta) - sigmoid(c_{y-1} - eta),  c_{-1} = -inf, c_{C-1} = inf
                          = sigmoid(c_y - eta) sigmoid(eta - c_{y-1}) sigmoid(z_{y+1})
                 since s(u) - s(l) = s(u) s(-l) (1 - e^{l-u}) and 1 - e^{-softplus(z)} = sigmoid(z)
Log-likelihood:  log p(y | z) = log_sigmoid(c_y - eta) + log_sigmoid(eta - c_{y-1})
                                 + log_sigmoid(z_{y+1})
                 (first term only for y = 0, second only for y = C-1)
Loss (NLL):      L(z, y) = -log p(y | z) = ordinal (cumulative-logit) cross-entropy;
                 no constant is dropped.
Gradient:        a = sigmoid(eta - c_y) [y < C-1],  b = sigmoid(c_{y-1} - eta) [y > 0]
                 dL/deta = a - b,   dL/dz_1 = b - a
                 dL/dz_j = sigmoid(z_j) (b - a)                 for 2 <= j <= y
                 dL/dz_j = -sigmoid(z_j) a - sigmoid(-z_j)       for j = y + 1 >= 2
                 dL/dz_j = 0                                    for j > y + 1
                 (dc_k/dz_1 = 1, dc_k/dz_j = sigmoid(z_j) for 2 <= j <= k + 1)
"""

_LATEX = r"""\begin{aligned}
\eta &= z_0, \qquad c_0 = z_1, \qquad c_k = c_{k-1} + \operatorname{softplus}(z_{k+1}),
  \qquad P(y \le k \mid z) = \sigma(c_k - \eta) \\
p(y \mid z) &= \sigma(c_y - \eta) - \sigma(c_{y-1} - \eta)
  = \sigma(c_y - \eta)\, \sigma(\eta - c_{y-1})\, \sigma(z_{y+1})
  \quad (c_{-1} = -\infty,\ c_{C-1} = \infty) \\
\log p(y \mid z) &= \log \sigma(c_y - \eta) + \log \sigma(\eta - c_{y-1}) + \log \sigma(z_{y+1}) \\
L(z, y) &= -\log p(y \mid z) \quad \text{(cumulative-logit cross-entropy)} \\
a &= \sigma(\eta - c_y)\,[y < C - 1], \qquad b = \sigma(c_{y-1} - \eta)\,[y > 0] \\
\frac{\partial L}{\partial \eta} &= a - b, \qquad
\frac{\partial L}{\partial z_1} = b - a, \qquad
\frac{\partial L}{\partial z_j} = \begin{cases}
  \sigma(z_j)(b - a) & 2 \le j \le y \\
  -\sigma(z_j)\, a - \sigma(-z_j) & j = y + 1 \\
  0 & j > y + 1 \end{cases}
\end{aligned}"""


@register_family
class OrdinalFamily(Family):
    """Ordered classes 0..C-1 by cumulative logits (proportional odds).

    Domain
        ``y`` integer class indices of shape ``(n_samples,)`` in ``0..C-1``,
        C >= 2: ``n_classes`` when given, else the largest label + 1 (at
        least 2). C raw outputs.
    Link
        ``eta = z_0``; cut points ``c_0 = z_1``,
        ``c_k = c_{k-1} + softplus(z_{k+1})``; ``P(y <= k) = sigmoid(c_k - eta)``.
        Only ``c_k - eta`` matters: adding a constant to ``z_0`` and ``z_1``
        leaves the model unchanged.
    Formula
        ``log P(y = k) = log_sigmoid(c_k - eta) + log_sigmoid(eta - c_{k-1})
        + log_sigmoid(z_{k+1})`` (the terms that exist for k), see the
        module docstring; gradient in :meth:`derivation`.
    Loss
        The cumulative-logit (ordinal logistic regression) negative
        log-likelihood; no constant is dropped.

    Parameters
    ----------
    n_classes : int, optional
        Number of classes C >= 2; by default inferred from the targets.
    """

    name = "ordinal"
    loss_name = "cumulative-logit (ordinal logistic) cross-entropy"
    link = "eta = z_0, c_0 = z_1, c_k = c_{k-1} + softplus(z_{k+1}), P(y <= k) = sigmoid(c_k - eta)"
    is_classifier = True
    out_activation = "cumulative logistic"
    support = "ordered-classes"
    target_kinds = ("ordered-classes",)
    default_for = ()
    # the class probabilities; parameter_columns expands them to prob_0..prob_{C-1}
    param_names = ("probs",)
    location_scale = False
    fixed_params = {"n_classes": Interval(2, closed="left", integer=True)}

    def __init__(self, n_classes: int | None = None):
        if n_classes is not None:
            n_classes = self.fixed_params["n_classes"].check("n_classes", n_classes, self.name)
        self.n_classes = n_classes

    def get_params(self) -> dict:
        return {"n_classes": self.n_classes}

    # ------------------------------------------------------------- targets
    def check_target(self, y: ArrayLike) -> np.ndarray:
        """Integer class indices of shape (n_samples,) as ``intp`` (a column (n, 1) is flattened).

        Raises
        ------
        ValueError
            Naming labels that are not integers in ``0..C-1``, with their rows.
        """
        y = as_real_target(y, "Ordinal", "class indices 0..C-1")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(
                "Ordinal targets must be class indices of shape (n_samples,); "
                f"found shape {y.shape}"
            )
        bad = ~np.isfinite(y) | (y < 0) | (y != np.floor(y))
        reject(bad, y, "Ordinal labels must be integers 0, 1, ..., C-1")
        if self.n_classes is not None:
            below = f"Ordinal labels must be below n_classes={self.n_classes}"
            reject(y >= self.n_classes, y, below)
        return y.astype(np.intp)

    def _n_outputs_for(self, y: np.ndarray) -> int:
        if self.n_classes is not None:
            return self.n_classes
        return max(int(y.max()) + 1 if y.size else 0, 2)

    def _check_raw_columns(self, raw: Array, y: np.ndarray) -> None:
        if self.n_classes is None:
            # labels only bound C from below: the raw columns define the classes
            n_classes = raw.shape[1]
            if n_classes < 2:
                raise ValueError(
                    f"ordinal family expects raw outputs of shape (n_samples, C) with C >= 2; "
                    f"found shape {raw.shape}"
                )
            reject(
                y >= n_classes,
                y,
                f"Ordinal labels must be in 0..{n_classes - 1} for {n_classes} raw output columns",
            )
            return
        super()._check_raw_columns(raw, y)

    # ------------------------------------------------------------ loss, grad
    @staticmethod
    def _cutpoints(raw: Array) -> Array:
        """``c_0 = z_1``, ``c_k = c_{k-1} + softplus(z_{k+1})``: shape (n, C - 1)."""
        steps = np.empty_like(raw[:, 1:])
        steps[:, 0] = raw[:, 1]
        steps[:, 1:] = softplus(raw[:, 2:])
        return np.cumsum(steps, axis=1, out=steps)

    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool):
        n, n_classes = raw.shape
        rows = np.arange(n)
        eta = raw[:, 0]
        cut = self._cutpoints(raw)
        upper = y <= n_classes - 2  # P(y <= k) has a cut point above class k
        lower = y >= 1  # ... and one below
        c_up = cut[rows, np.minimum(y, n_classes - 2)]
        c_low = cut[rows, np.maximum(y - 1, 0)]
        gap = raw[rows, np.clip(y + 1, 1, n_classes - 1)]  # z_{k+1}: the gap above c_{k-1}
        zero = np.zeros((), dtype=raw.dtype)
        loss = -np.where(upper, log_sigmoid(c_up - eta), zero)
        loss -= np.where(lower, log_sigmoid(eta - c_low), zero)
        loss -= np.where(upper & lower, log_sigmoid(gap), zero)
        if not need_gradient:
            return loss, None
        a = np.where(upper, sigmoid(eta - c_up), zero)
        b = np.where(lower, sigmoid(c_low - eta), zero)
        grad = np.zeros_like(raw)
        grad[:, 0] = a - b
        grad[:, 1] = b - a
        if n_classes > 2:
            z = raw[:, 2:]
            j = np.arange(2, n_classes)
            below = j <= y[:, None]  # c_{k-1} (and c_k) rise with z_j
            at = j == y[:, None] + 1  # z_j is the gap of class k itself
            grad[:, 2:] = sigmoid(z) * np.where(below, (b - a)[:, None], zero)
            grad[:, 2:] -= np.where(at, sigmoid(z) * a[:, None] + sigmoid(-z), zero)
        return loss, grad

    # ------------------------------------------------------------ predictions
    def _raw(self, raw: ArrayLike) -> Array:
        raw = as_raw(raw)
        if raw.ndim != 2 or raw.shape[1] < 2 or (
            self.n_classes is not None and raw.shape[1] != self.n_classes
        ):
            c = "C >= 2" if self.n_classes is None else self.n_classes
            raise ValueError(
                f"ordinal family expects raw outputs of shape (n_samples, {c}); "
                f"found shape {raw.shape}"
            )
        return raw

    def log_probs(self, raw: ArrayLike) -> Array:
        """``log P(y = k)`` for every class, shape (n_samples, C), term by term in log space."""
        raw = self._raw(raw)
        eta = raw[:, :1]
        cut = self._cutpoints(raw)
        out = np.zeros_like(raw)
        out[:, :-1] += log_sigmoid(cut - eta)
        out[:, 1:] += log_sigmoid(eta - cut)
        out[:, 1:-1] += log_sigmoid(raw[:, 2:])
        return out

    def class_probs(self, raw: ArrayLike, multilabel: bool = False) -> Array:
        """``P(y = k)`` for every class, shape (n_samples, C) (``predict_proba``)."""
        return np.exp(self.log_probs(raw))

    def class_log_probs(self, raw: ArrayLike, multilabel: bool = False) -> Array:
        """``log P(y = k)``, shape (n_samples, C), in log space (:meth:`log_probs`)."""
        return self.log_probs(raw)

    def distribution(self, raw: ArrayLike):
        """``OrderedLogistic(eta=z_0, cutpoints=c, log_gaps=log softplus(z_{2..C-1}))``, batch (n,).

        The cut points are summed in float64 (then held in the raw outputs' dtype), and
        the gaps ``softplus(z_{k+1})`` are passed as their logs besides: a gap that the
        sum rounds away (``softplus(-85) = 1e-37`` added to a cut point of -34, in
        float32 or float64) or that underflows (``z`` below about -103 in float32,
        -745 in float64) would otherwise leave its class a probability of exactly 0,
        where :meth:`nll` has ``log_sigmoid(z_{k+1})``. ``log_prob`` is then finite
        for every finite raw output, as the NLL is.
        """
        from probnn.distributions import OrderedLogistic

        raw = self._raw(raw)
        wide = raw.astype(np.float64)
        return OrderedLogistic(eta=raw[:, 0], cutpoints=self._cutpoints(wide).astype(raw.dtype),
                               log_gaps=log_softplus(wide[:, 2:]).astype(raw.dtype))

    def mean(self, raw: ArrayLike) -> Array:
        """Class probabilities ``P(y = k)``, shape (n_samples, C) (``predict_proba``)."""
        return np.exp(self.log_probs(raw))

    def parameter_columns(self, dist) -> dict[str, np.ndarray]:
        """``prob_0..prob_{C-1}``: each class's probability, shape (n_samples,) each."""
        probs = dist.probs
        return {f"prob_{k}": probs[:, k] for k in range(probs.shape[1])}

    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """The MLE without covariates, in closed form, shape (C,).

        A constant model can match any class frequencies ``p_k`` (weighted), so
        its MLE has ``P(y <= k) = F_k = p_0 + ... + p_k``. Only ``c_k - eta``
        is identified; with ``eta = 0``, ``c_k = logit(F_k)`` and, inverting the
        softplus gaps (``e^{c_k - c_{k-1}} - 1 = p_k / (F_{k-1} (1 - F_k))``):

            z_0 = 0,   z_1 = log F_0 - log(1 - F_0),
            z_{k+1} = log p_k - log F_{k-1} - log(1 - F_k),   k = 1..C-2,

        with ``1 - F_k`` summed from the classes above k (no cancellation).
        A class never seen gives ``-inf`` (a zero gap) or, at the ends, an
        infinite cut point: the MLE is at the limit, as for the categorical.
        """
        y = self.check_target(y)
        n_classes = self._n_outputs_for(y)
        w = check_sample_weight(sample_weight, y.shape[0])
        if not w.sum() > 0:
            raise ValueError(f"sample_weight must have a positive sum; found {w.sum()}")
        freq = np.bincount(y, weights=w, minlength=n_classes) / w.sum()
        below = np.cumsum(freq)[:-1]  # F_k, k = 0..C-2
        above = np.cumsum(freq[::-1])[::-1][1:]  # 1 - F_k
        with np.errstate(divide="ignore", invalid="ignore"):
            log_p, log_below, log_above = np.log(freq), np.log(below), np.log(above)
            gaps = np.where(freq[1:-1] > 0, log_p[1:-1] - log_below[:-1] - log_above[1:], -np.inf)
        return np.concatenate([[0.0, log_below[0] - log_above[0]], gaps])

    def derivation(self, latex: bool = False) -> str:
        """Likelihood -> log-likelihood -> loss -> gradient."""
        return _LATEX if latex else _TEXT
