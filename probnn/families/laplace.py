"""Laplace family: learned or fixed scale (absolute error when the scale is fixed)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from probnn._math import softplus, softplus_inverse
from probnn._validation import POSITIVE, check_sample_weight
from probnn.families import register_family
from probnn.families.base import (
    Array,
    Family,
    as_columns,
    safe_divide,
    softplus_scale,
    weighted_mean,
)
from probnn.families.normal import check_real_target

LOG_2 = math.log(2.0)

_TEXT = """\
Laplace family: real y, raw outputs (z1, z2), mu = z1, b = softplus(z2)
                 (with a fixed scale b: one raw output, mu = z).
Likelihood:      p(y | z) = exp(-|y - mu| / b) / (2 b)
Log-likelihood:  log p(y | z) = -|y - mu| / b - log b - log 2
Loss (NLL):      L(z, y) = |y - mu| / b + log b + log 2
                 = absolute error / b + a constant when b is fixed; with a learned
                 b it is the Laplace NLL. No constant is dropped.
Gradient:        dL/dz1 = sign(mu - y) / b   (0 at mu = y, a subgradient)
                 dL/dz2 = (1 - |y - mu| / b) * sigmoid(z2) / softplus(z2)
                 The best constant mu is the median of y, and b the mean |y - mu|.
"""

_LATEX = r"""\begin{aligned}
\mu &= z_1, \qquad b = \operatorname{softplus}(z_2) \quad (\text{or fixed } b) \\
p(y \mid z) &= \frac{1}{2b} \exp\!\Big(-\frac{|y - \mu|}{b}\Big) \\
\log p(y \mid z) &= -\frac{|y - \mu|}{b} - \log b - \log 2 \\
L(z, y) &= \frac{|y - \mu|}{b} + \log b + \log 2
  \quad \text{(absolute error + constant for fixed } b) \\
\frac{\partial L}{\partial z_1} &= \frac{\operatorname{sign}(\mu - y)}{b}, \qquad
\frac{\partial L}{\partial z_2} = \Big(1 - \frac{|y - \mu|}{b}\Big)
  \frac{\sigma(z_2)}{\operatorname{softplus}(z_2)}
\end{aligned}"""


def weighted_median(y: np.ndarray, sample_weight: ArrayLike | None) -> float:
    """A minimiser of ``sum_i w_i |y_i - m|``: the first y whose cumulative weight reaches half."""
    w = check_sample_weight(sample_weight, y.shape[0])
    order = np.argsort(y, kind="stable")
    cumulative = np.cumsum(w[order])
    if not cumulative[-1] > 0:
        raise ValueError(f"sample_weight must have a positive sum; found {cumulative[-1]}")
    return float(y[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


@register_family
class LaplaceFamily(Family):
    """Laplace with learned (or fixed) scale: absolute error, heavy-tailed regression.

    Domain
        ``y`` real, shape ``(n_samples,)``. Two raw outputs ``[z1, z2]``; with
        ``scale`` given, one raw output ``z``.
    Link
        ``mu = z1``, ``b = softplus(z2)``; or ``mu = z`` with ``b = scale``.
    Formula
        ``nll = |y - mu| / b + log(b) + log(2)``;
        ``d nll / dz1 = sign(mu - y) / b`` (0 at ``mu = y``),
        ``d nll / dz2 = (1 - |y - mu| / b) sigmoid(z2) / softplus(z2)``.
    Loss
        Absolute error (divided by b, plus the constant ``log(2 b)``) when the
        scale is fixed; the Laplace NLL with a learned scale. No constant is
        dropped. Where ``|y - mu| / b`` exceeds the float range (``b``
        underflowed) the NLL is ``+inf``, as it mathematically is.

    Parameters
    ----------
    scale : float, optional
        A fixed scale b > 0. None (the default) learns it as a second output.
    """

    name = "laplace"
    loss_name = "absolute error / b + log(2 b) with a learned scale b"
    link = "mu = z1, b = softplus(z2)"
    is_classifier = False
    out_activation = "identity (loc), softplus (scale)"
    support = "real"
    target_kinds = ("real", "integer", "count", "positive", "unit-interval")
    param_names = ("loc", "scale")
    location_scale = True
    fixed_params = {"scale": POSITIVE}
    scale_params = ("scale",)

    def __init__(self, scale: float | None = None):
        if scale is not None:
            scale = float(scale)
            if not (math.isfinite(scale) and scale > 0):
                raise ValueError(f"scale must be a finite number > 0 or None; found {scale!r}")
        self.scale = scale
        if scale is None:
            self.loss_name = "absolute error / b + log(2 b) with a learned scale b"
        else:
            self.loss_name = "absolute error"
            self.link = "mu = z"

    def get_params(self) -> dict:
        return {"scale": self.scale}

    def check_target(self, y: ArrayLike) -> np.ndarray:
        """Finite real targets of shape (n_samples,)."""
        return check_real_target(y, "Laplace")

    def _n_outputs_for(self, y: np.ndarray) -> int:
        return 1 if self.scale is not None else 2

    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool):
        residual = raw[:, 0] - y  # mu - y
        if self.scale is not None:
            loss = np.abs(residual)
            loss *= 1 / self.scale
            loss += math.log(self.scale) + LOG_2
            if not need_gradient:
                return loss, None
            return loss, (np.sign(residual) * (1 / self.scale))[:, None]
        scale, log_scale, dlog = softplus_scale(raw[:, 1], need_gradient)
        r = safe_divide(np.abs(residual), scale)
        loss = r + log_scale
        loss += LOG_2
        if not need_gradient:
            return loss, None
        grad = np.empty_like(raw)
        grad[:, 0] = safe_divide(np.sign(residual), scale)
        grad[:, 1] = (1 - r) * dlog
        return loss, grad

    def _censored_loss_gradient(self, raw: Array, lower, upper, need_gradient: bool):
        """``-log(F(r_u) - F(r_l))`` with the standard Laplace cdf (see families._censored)."""
        from probnn.families._censored import LAPLACE_LAW
        from probnn.families.normal import censored_location_scale

        return censored_location_scale(LAPLACE_LAW, raw, lower, upper, need_gradient,
                                       fixed_scale=self.scale)  # fmt: skip

    def _loc_scale(self, raw: ArrayLike) -> tuple[Array, Array]:
        if self.scale is not None:
            loc = as_columns(raw, 1, self.name)[:, 0]
            return loc, np.full_like(loc, self.scale)
        raw = as_columns(raw, 2, self.name)
        return raw[:, 0], softplus(raw[:, 1])

    def distribution(self, raw: ArrayLike):
        """``Laplace(loc=mu, scale=b)``, batch shape (n_samples,)."""
        from probnn.distributions import Laplace

        loc, scale = self._loc_scale(raw)
        return Laplace(loc=loc, scale=scale)

    def mean(self, raw: ArrayLike) -> Array:
        """``mu``, shape (n_samples,) (the mean and the median)."""
        return self._loc_scale(raw)[0].copy()

    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """``[median, softplus^-1(mean |y - median|)]`` (weighted), or ``[median]``.

        Constant ``y`` has its MLE at ``b = 0``, i.e. ``z2 = -inf``.
        """
        y = self.check_target(y).astype(np.float64)
        loc = weighted_median(y, sample_weight)
        if self.scale is not None:
            return np.array([loc])
        b = weighted_mean(np.abs(y - loc), sample_weight)
        with np.errstate(divide="ignore"):
            return np.array([loc, softplus_inverse(b)])

    def derivation(self, latex: bool = False) -> str:
        """Likelihood -> log-likelihood -> loss -> gradient."""
        return _LATEX if latex else _TEXT
