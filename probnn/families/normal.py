"""Normal families: fixed scale (squared error) and learned scale (heteroscedastic)."""

from __future__ import annotations

import math
import sys

import numpy as np
from numpy.typing import ArrayLike

from probnn._math import softplus, softplus_inverse
from probnn._validation import POSITIVE
from probnn.families import register_family
from probnn.families.base import (
    Array,
    Family,
    as_1d_target,
    as_columns,
    as_vector,
    reject,
    safe_divide,
    softplus_scale,
    weighted_mean,
)

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def check_real_target(y: ArrayLike, family: str) -> np.ndarray:
    """Finite real targets of shape (n_samples,)."""
    y = as_1d_target(y, family, "finite real numbers")
    reject(~np.isfinite(y), y, f"{family} targets must be finite real numbers")
    return y


def censored_location_scale(law, raw: Array, lower, upper, need_gradient: bool,
                            fixed_scale: float | None = None):
    """The censored NLL of a location-scale family with ``mu = z1`` and either a fixed
    scale (one raw output) or ``sigma = softplus(z2)``, and its gradient.

    ``-log P(l < Y <= u)`` from :func:`probnn.families._censored.location_scale_log_prob`;
    ``dL/dz1 = -d log P / d mu``, ``dL/dz2 = -d log P / d log sigma * d log sigma / dz2``.
    Float64 inside, ``raw``'s dtype out.
    """
    from probnn.families._censored import location_scale_log_prob

    raw64 = raw.astype(np.float64, copy=False)
    loc = raw64[:, 0]
    if fixed_scale is None:
        scale, _, dlog = softplus_scale(raw64[:, 1], need_gradient)
    else:
        scale = np.full_like(loc, fixed_scale)
    log_p, d_loc, d_log_scale = location_scale_log_prob(law, loc, scale, lower, upper,
                                                        need_gradient)  # fmt: skip
    loss = (-log_p).astype(raw.dtype, copy=False)
    if not need_gradient:
        return loss, None
    grad = np.empty_like(raw)
    grad[:, 0] = -d_loc
    if fixed_scale is None:
        grad[:, 1] = -d_log_scale * dlog
    return loss, grad


# a given normal-fixed scale s: s^2 and 1 / s^2 are float64 numbers for s in these
_FIXED_SCALE_RANGE = (2.0**-511, 1.3e154)

_FIXED_TEXT = """\
Normal family with fixed scale sigma: real y, raw output z, mean mu = z.
Likelihood:      p(y | z) = exp(-(y - mu)^2 / (2 sigma^2)) / sqrt(2 pi sigma^2)
Log-likelihood:  log p(y | z) = -(y - mu)^2 / (2 sigma^2) - log sigma - log(2 pi) / 2
Loss (NLL):      L(z, y) = (y - mu)^2 / (2 sigma^2) + log sigma + log(2 pi) / 2
                 = half squared error / sigma^2 + a constant; the constant
                 log sigma + log(2 pi) / 2 is kept, so L is the true NLL.
                 Over n examples the constant is (n / 2) log(2 pi sigma^2).
Gradient:        dL/dz = (mu - y) / sigma^2
                 (canonical identity link: mean minus target when sigma = 1)
"""

_FIXED_LATEX = r"""\begin{aligned}
\mu &= z, \qquad \sigma \text{ fixed} \\
p(y \mid z) &= \frac{1}{\sqrt{2 \pi \sigma^2}} \exp\!\Big(-\frac{(y - \mu)^2}{2 \sigma^2}\Big) \\
\log p(y \mid z) &= -\frac{(y - \mu)^2}{2 \sigma^2} - \log \sigma - \tfrac12 \log 2\pi \\
L(z, y) &= \frac{(y - \mu)^2}{2 \sigma^2} + \log \sigma + \tfrac12 \log 2\pi
  \quad \text{(half squared error + constant)} \\
\frac{\partial L}{\partial z} &= \frac{\mu - y}{\sigma^2}
\end{aligned}"""


@register_family
class NormalFixedFamily(Family):
    """Normal with fixed scale, ``mu = z``: half squared error plus a constant.

    Domain
        ``y`` real, shape ``(n_samples,)``; one raw output.
    Link
        Identity: ``mu = z``; ``sigma`` is the fixed parameter ``scale``.
    Formula
        ``nll(z, y) = (y - z)^2 / (2 sigma^2) + log(sigma) + log(2 pi) / 2``;
        ``d nll / dz = (z - y) / sigma^2`` (mean minus target when sigma = 1).
    Loss
        Half squared error (divided by sigma^2); the constant
        ``log(sigma) + log(2 pi) / 2`` is kept, so this is the full NLL.

    Parameters
    ----------
    scale : float, default=1.0
        The fixed standard deviation sigma > 0.
    """

    name = "normal-fixed"
    loss_name = "half squared error"
    link = "mu = z"
    is_classifier = False
    out_activation = "identity"
    support = "real"
    target_kinds = ("real", "integer", "count", "positive", "unit-interval")
    param_names = ("loc", "scale")
    location_scale = True
    fixed_params = {"scale": POSITIVE}
    scale_params = ("scale",)
    estimated_params = ("scale",)
    sklearn_loss = "squared_error"

    def __init__(self, scale: float = 1.0):
        scale = float(scale)
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"scale must be a finite number > 0; found {scale!r}")
        self.scale = scale

    def get_params(self) -> dict:
        return {"scale": self.scale}

    def check_given_params(self) -> None:
        """A given scale whose square or reciprocal square leaves float64 (hostile5 F6: 1e300
        gave 'internal error OverflowError', 1e-300 an infinite loss) is refused; a fitted
        one, a tiny target's own residual scale, is not."""
        low, high = _FIXED_SCALE_RANGE
        if not low <= self.scale <= high:
            raise ValueError(
                f"normal-fixed: scale must be in [{low:.2g}, {high:.2g}], where its square and "
                f"1 / its square (the loss's and its curvature's factors) are float64 numbers; "
                f"found {self.scale:g}")

    def fit_fixed_params(self, raw, y, sample_weight=None) -> dict:
        """``{"scale": sigma}``, sigma's MLE given the means: the weighted residual RMS.

        sigma does not move the mean's optimum (the NLL is the squared error over
        sigma^2 plus log sigma), so a network fitted by squared error has the
        means, and ``sqrt(sum_i s_i r_i^2 / sum_i s_i)`` with ``r = y - z`` is
        the maximum-likelihood sigma given them. Floored at ``sqrt(eps)`` (in
        the units of ``y``: 1 for a standardised target) so that a fit with no
        residual still has a density.
        """
        y = self.check_target(y).astype(np.float64)
        r = y - np.asarray(as_vector(raw), dtype=np.float64)
        with np.errstate(over="ignore"):
            sigma = math.sqrt(float(weighted_mean(r * r, sample_weight)))
        largest = float(np.max(np.abs(r), initial=0.0))
        if not math.isfinite(sigma) and math.isfinite(largest):
            # residuals beyond ~1e154 square past float max: their RMS by the largest one
            sigma = largest * math.sqrt(float(weighted_mean((r / largest) ** 2, sample_weight)))
        floor = math.sqrt(np.finfo(np.float64).eps)
        return {"scale": sigma if sigma > floor else floor}

    def check_target(self, y: ArrayLike) -> np.ndarray:
        """Finite real targets of shape (n_samples,)."""
        return check_real_target(y, "Normal")

    def _n_outputs_for(self, y: np.ndarray) -> int:
        return 1

    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool):
        # divided by sigma before squaring: sigma**2 underflows to 0 below about 1e-154
        # (targets of 1e-300 are normal float64 numbers, and so is their NLL)
        standardised = raw[:, 0] - y
        standardised /= self.scale
        loss = standardised * standardised
        loss *= 0.5
        loss += math.log(self.scale) + HALF_LOG_2PI
        if not need_gradient:
            return loss, None
        standardised /= self.scale
        return loss, standardised[:, None]

    def _censored_loss_gradient(self, raw: Array, lower, upper, need_gradient: bool):
        """``-log(Phi(r_u) - Phi(r_l))``, ``r = (bound - z) / sigma`` (see families._censored)."""
        from probnn.families._censored import NORMAL_LAW

        return censored_location_scale(NORMAL_LAW, raw, lower, upper, need_gradient,
                                       fixed_scale=self.scale)  # fmt: skip

    def distribution(self, raw: ArrayLike):
        """``Normal(loc=z, scale=sigma)``, batch shape (n_samples,)."""
        from probnn.distributions import Normal

        loc = as_vector(raw)
        return Normal(loc=loc, scale=np.full_like(loc, self.scale))

    def mean(self, raw: ArrayLike) -> Array:
        """``mu = z``, shape (n_samples,)."""
        return as_vector(raw).copy()

    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """The (weighted) mean of ``y``, shape (1,)."""
        y = self.check_target(y)
        return np.atleast_1d(weighted_mean(y.astype(np.float64), sample_weight))

    def derivation(self, latex: bool = False) -> str:
        """Likelihood -> log-likelihood -> loss -> gradient."""
        return _FIXED_LATEX if latex else _FIXED_TEXT

    def _raw_hessian(self, raw: Array, y: np.ndarray) -> np.ndarray:
        """``d2 nll / dz2 = 1 / sigma^2`` for every row, shape (n, 1, 1).

        ``1 / sigma**2`` where ``sigma**2`` is a normal float; elsewhere ``(1 / sigma) /
        sigma`` in float64: Python's ``sigma**2`` raised OverflowError above sigma ~ 1.3e154
        and gave 0 (ZeroDivisionError) below ~1.5e-162, where the float value is 0 (1e-400
        underflows, at sigma 1e200) and +inf (at 1e-200).
        """
        try:
            square = self.scale**2
        except OverflowError:
            square = math.inf
        if sys.float_info.min <= square < math.inf:  # the value as it always was
            curvature = 1.0 / square
        else:
            with np.errstate(over="ignore", under="ignore"):
                curvature = np.float64(1.0) / np.float64(self.scale) / np.float64(self.scale)
        return np.full((raw.shape[0], 1, 1), curvature)


# deviations whose squares (and their sum over ~1e20 rows) are normal floats
_SQUARES_SAFE = (1e-140, 1e140)


_TEXT = """\
Normal family with learned scale: real y, raw outputs (z1, z2),
                 mu = z1, sigma = softplus(z2) = log(1 + exp(z2)).
Likelihood:      p(y | z) = exp(-(y - mu)^2 / (2 sigma^2)) / sqrt(2 pi sigma^2)
Log-likelihood:  log p(y | z) = -r^2 / 2 - log sigma - log(2 pi) / 2,  r = (y - mu) / sigma
Loss (NLL):      L(z, y) = r^2 / 2 + log sigma + log(2 pi) / 2
                 = Gaussian NLL with learned variance (heteroscedastic regression);
                 no constant is dropped. log sigma = log softplus(z2) -> z2 as z2 -> -inf.
Gradient:        dL/dz1 = (mu - y) / sigma^2
                 dL/dz2 = (1 - r^2) * dlog(sigma)/dz2,
                 dlog(sigma)/dz2 = sigmoid(z2) / softplus(z2)
                 (not canonical: the loss rewards shrinking sigma until r^2 = 1)
"""

_LATEX = r"""\begin{aligned}
\mu &= z_1, \qquad \sigma = \operatorname{softplus}(z_2) = \log(1 + e^{z_2}),
  \qquad r = \frac{y - \mu}{\sigma} \\
p(y \mid z) &= \frac{1}{\sqrt{2 \pi \sigma^2}} e^{-r^2 / 2} \\
\log p(y \mid z) &= -\tfrac12 r^2 - \log \sigma - \tfrac12 \log 2\pi \\
L(z, y) &= \tfrac12 r^2 + \log \sigma + \tfrac12 \log 2\pi
  \quad \text{(Gaussian NLL, learned variance)} \\
\frac{\partial L}{\partial z_1} &= \frac{\mu - y}{\sigma^2}, \qquad
\frac{\partial L}{\partial z_2} = (1 - r^2) \, \frac{\sigma(z_2)}{\operatorname{softplus}(z_2)}
\end{aligned}"""


@register_family
class NormalFamily(Family):
    """Normal with a learned scale: heteroscedastic regression.

    Domain
        ``y`` real, shape ``(n_samples,)``; two raw outputs ``[z1, z2]``.
    Link
        ``mu = z1``, ``sigma = softplus(z2)`` (so ``z2 = softplus^-1(sigma)``).
    Formula
        ``nll = r^2 / 2 + log(sigma) + log(2 pi) / 2`` with ``r = (y - mu) / sigma``;
        ``d nll / dz1 = (mu - y) / sigma^2``,
        ``d nll / dz2 = (1 - r^2) sigmoid(z2) / softplus(z2)``.
    Loss
        Gaussian negative log-likelihood with learned variance; no constant is
        dropped. ``log(sigma)`` is computed stably, so it stays finite where
        ``softplus(z2)`` underflows; where ``(y - mu) / sigma`` itself exceeds
        the float range the NLL is ``+inf``, as it mathematically is.
    """

    name = "normal"
    nests = ("normal-fixed",)  # the scale's raw output a constant
    loss_name = "Gaussian NLL loss with learned variance"
    link = "mu = z1, sigma = softplus(z2)"
    is_classifier = False
    out_activation = "identity (loc), softplus (scale)"
    support = "real"
    target_kinds = ("real", "integer", "count", "positive", "unit-interval")
    default_for = ("real", "integer", "positive", "unit-interval")
    param_names = ("loc", "scale")
    location_scale = True

    def check_target(self, y: ArrayLike) -> np.ndarray:
        """Finite real targets of shape (n_samples,)."""
        return check_real_target(y, "Normal")

    def _n_outputs_for(self, y: np.ndarray) -> int:
        return 2

    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool):
        scale, log_scale, dlog = softplus_scale(raw[:, 1], need_gradient)
        r = safe_divide(y - raw[:, 0], scale)
        r2 = r * r
        loss = 0.5 * r2
        loss += log_scale
        loss += HALF_LOG_2PI
        if not need_gradient:
            return loss, None
        grad = np.empty_like(raw)
        grad[:, 0] = safe_divide(-r, scale)
        grad[:, 1] = (1 - r2) * dlog
        return loss, grad

    def _censored_loss_gradient(self, raw: Array, lower, upper, need_gradient: bool):
        """``-log(Phi(r_u) - Phi(r_l))``, ``r = (bound - mu) / sigma`` (see families._censored)."""
        from probnn.families._censored import NORMAL_LAW

        return censored_location_scale(NORMAL_LAW, raw, lower, upper, need_gradient)

    def distribution(self, raw: ArrayLike):
        """``Normal(loc=z1, scale=softplus(z2))``, batch shape (n_samples,)."""
        from probnn.distributions import Normal

        raw = as_columns(raw, 2, self.name)
        return Normal(loc=raw[:, 0], scale=softplus(raw[:, 1]))

    def mean(self, raw: ArrayLike) -> Array:
        """``mu = z1``, shape (n_samples,)."""
        return as_columns(raw, 2, self.name)[:, 0].copy()

    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """``[mean, softplus^-1(sd)]`` of ``y`` (weighted; the MLE sd divides by n).

        Constant ``y`` has its MLE at ``sigma = 0``, i.e. ``z2 = -inf``.
        """
        y = self.check_target(y).astype(np.float64)
        mu = weighted_mean(y, sample_weight)
        deviation = y - mu
        largest = float(np.max(np.abs(deviation), initial=0.0))
        if _SQUARES_SAFE[0] <= largest <= _SQUARES_SAFE[1]:  # as it always was
            sd = np.sqrt(weighted_mean(deviation**2, sample_weight))
        else:  # squares under- / overflow (targets of 1e-300: sd 0, the scale's log -inf)
            sd = largest * np.sqrt(weighted_mean((deviation / largest) ** 2, sample_weight)) \
                if largest > 0 else 0.0
        with np.errstate(divide="ignore"):
            return np.array([mu, softplus_inverse(sd)])

    def derivation(self, latex: bool = False) -> str:
        """Likelihood -> log-likelihood -> loss -> gradient."""
        return _LATEX if latex else _TEXT
