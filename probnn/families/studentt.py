"""Student-t family: learned location and scale, fixed degrees of freedom (robust regression)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize

from probnn._math import softplus, softplus_inverse, student_t_log_norm
from probnn._validation import POSITIVE, check_sample_weight
from probnn.families import register_family
from probnn.families.base import (
    Array,
    Family,
    as_columns,
    safe_divide,
    softplus_scale,
    softplus_sigmoid,
)
from probnn.families.laplace import weighted_median
from probnn.families.normal import check_real_target

# the largest df: (df + 1) / 2 must be a float32 number (the loss's factor, in float32 training)
_DF_MAX = float(np.finfo(np.float32).max) / 2

_TEXT = """\
Student-t family: real y, raw outputs (z1, z2), mu = z1, sigma = softplus(z2),
                 fixed degrees of freedom nu; r = (y - mu) / sigma.
Likelihood:      p(y | z) = G((nu + 1) / 2) / (G(nu / 2) sqrt(nu pi) sigma)
                            * (1 + r^2 / nu)^(-(nu + 1) / 2)       (G = Gamma function)
Log-likelihood:  log p(y | z) = -((nu + 1) / 2) log(1 + r^2 / nu) - log sigma - c(nu)
                 c(nu) = log G(nu / 2) - log G((nu + 1) / 2) + log(nu pi) / 2
Loss (NLL):      L(z, y) = ((nu + 1) / 2) log(1 + r^2 / nu) + log sigma + c(nu)
                 a robust loss: it grows like log|y - mu|, not (y - mu)^2, so
                 outliers pull little. c(nu) is kept: this is the full NLL.
                 log(1 + r^2 / nu) = softplus(2 log|y - mu| - 2 log sigma - log nu)
Gradient:        w = r^2 / (nu + r^2)
                 dL/dz1 = (nu + 1) (mu - y) / (nu sigma^2 + (y - mu)^2)
                 dL/dz2 = (1 - (nu + 1) w) * sigmoid(z2) / softplus(z2)
"""

_LATEX = r"""\begin{aligned}
\mu &= z_1, \qquad \sigma = \operatorname{softplus}(z_2), \qquad r = \frac{y - \mu}{\sigma},
  \qquad \nu \text{ fixed} \\
p(y \mid z) &= \frac{\Gamma(\frac{\nu + 1}{2})}{\Gamma(\frac{\nu}{2}) \sqrt{\nu \pi} \, \sigma}
  \Big(1 + \frac{r^2}{\nu}\Big)^{-\frac{\nu + 1}{2}} \\
\log p(y \mid z) &= -\tfrac{\nu + 1}{2} \log\!\Big(1 + \frac{r^2}{\nu}\Big)
  - \log \sigma - c(\nu) \\
L(z, y) &= \tfrac{\nu + 1}{2} \log\!\Big(1 + \frac{r^2}{\nu}\Big) + \log \sigma + c(\nu)
  \quad \text{(Student-t NLL, a robust loss)} \\
\frac{\partial L}{\partial z_1} &= \frac{(\nu + 1)(\mu - y)}{\nu \sigma^2 + (y - \mu)^2}, \qquad
\frac{\partial L}{\partial z_2} = \Big(1 - \frac{(\nu + 1) r^2}{\nu + r^2}\Big)
  \frac{\sigma(z_2)}{\operatorname{softplus}(z_2)}
\end{aligned}"""


@register_family
class StudentTFamily(Family):
    """Student-t with learned location and scale and fixed ``df``: robust regression.

    Domain
        ``y`` real, shape ``(n_samples,)``; two raw outputs ``[z1, z2]``.
    Link
        ``mu = z1``, ``sigma = softplus(z2)``; ``df`` (nu) is a fixed parameter.
    Formula
        ``nll = (nu + 1) / 2 * log(1 + r^2 / nu) + log(sigma) + c(nu)`` with
        ``r = (y - mu) / sigma`` and
        ``c(nu) = gammaln(nu / 2) - gammaln((nu + 1) / 2) + log(nu pi) / 2``
        (computed by ``probnn._math.student_t_log_norm``, exact for large ``nu``).
        ``log(1 + r^2 / nu)`` is computed from ``log|y - mu| - log(sigma)``, so
        the NLL stays finite even where ``sigma`` underflows.
    Loss
        The Student-t NLL, a robust loss (it grows like ``log|y - mu|``); the
        constant ``c(nu)`` is kept.

    Parameters
    ----------
    df : float, default=3.0
        Degrees of freedom nu > 0. The default 3 gives heavy tails while the
        variance (``3 sigma^2``) stays finite; large ``df`` approaches the Normal.
    """

    name = "studentt"
    loss_name = "Student-t robust loss"
    link = "mu = z1, sigma = softplus(z2)"
    is_classifier = False
    out_activation = "identity (loc), softplus (scale)"
    support = "real"
    target_kinds = ("real", "integer", "count", "positive", "unit-interval")
    param_names = ("loc", "scale", "df")
    location_scale = True
    fixed_params = {"df": POSITIVE}

    def __init__(self, df: float = 3.0):
        df = float(df)
        if not (math.isfinite(df) and df > 0):
            raise ValueError(f"df must be a finite number > 0; found {df!r}")
        if df > _DF_MAX:  # hostile5 F6: df = 1e300 made float32 training's loss inf
            raise ValueError(
                f"studentt: df must be at most {_DF_MAX:.2g}, where float32 training still holds "
                f"(df + 1) / 2 (from about 1e16 on the law is the normal's to float64's digits: "
                f"use the normal family); found {df:g}")
        self.df = df
        self._log_df = math.log(df)
        # c(nu) = -log normaliser, from _math: the gammaln difference cancels for large df
        self._constant = -float(student_t_log_norm(df))

    def get_params(self) -> dict:
        return {"df": self.df}

    def check_target(self, y: ArrayLike) -> np.ndarray:
        """Finite real targets of shape (n_samples,)."""
        return check_real_target(y, "Student-t")

    def _n_outputs_for(self, y: np.ndarray) -> int:
        return 2

    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool):
        nu = self.df
        _, log_scale, dlog = softplus_scale(raw[:, 1], need_gradient)
        residual = raw[:, 0] - y  # mu - y
        # log(r^2 / nu) in log space: r itself may overflow when sigma underflows.
        log_q = np.log(np.abs(residual))
        log_q -= log_scale
        log_q *= 2
        log_q -= self._log_df
        log1p_q, w = softplus_sigmoid(log_q, need_gradient)  # w = r^2 / (nu + r^2)
        loss = log1p_q
        loss *= 0.5 * (nu + 1)
        loss += log_scale
        loss += self._constant
        if not need_gradient:
            return loss, None
        grad = np.empty_like(raw)
        # (nu + 1)(mu - y) / (nu sigma^2 + (y - mu)^2) = (nu + 1) w / (mu - y)
        grad[:, 0] = safe_divide(w, residual) * (nu + 1)
        grad[:, 1] = (1 - (nu + 1) * w) * dlog
        return loss, grad

    def _censored_loss_gradient(self, raw: Array, lower, upper, need_gradient: bool):
        """``-log(T(r_u) - T(r_l))`` with Student's t cdf of ``df`` (see families._censored)."""
        from probnn.families._censored import StudentTLaw
        from probnn.families.normal import censored_location_scale

        return censored_location_scale(StudentTLaw(self.df), raw, lower, upper, need_gradient)

    def distribution(self, raw: ArrayLike):
        """``StudentT(df, loc=z1, scale=softplus(z2))``, batch shape (n_samples,)."""
        from probnn.distributions import StudentT

        raw = as_columns(raw, 2, self.name)
        loc = raw[:, 0]
        return StudentT(np.full_like(loc, self.df), loc=loc, scale=softplus(raw[:, 1]))

    def mean(self, raw: ArrayLike) -> Array:
        """``mu = z1``, shape (n_samples,).

        This is the mean for ``df > 1``; for ``df <= 1`` the mean does not exist
        and ``mu`` is the median (and the mode).
        """
        return as_columns(raw, 2, self.name)[:, 0].copy()

    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """``[mu, softplus^-1(sigma)]`` of the best constant model, shape (2,).

        No closed form exists: the weighted NLL is minimised numerically
        (L-BFGS-B with the analytic gradient) on standardised targets, from the
        median and the mean absolute deviation. Constant ``y`` gives ``sigma = 0``
        (``z2 = -inf``), its MLE.
        """
        y = self.check_target(y).astype(np.float64)
        w = check_sample_weight(sample_weight, y.shape[0])
        loc0 = weighted_median(y, w)
        spread = float(np.sum(w * np.abs(y - loc0)) / np.sum(w))
        if spread == 0:
            return np.array([loc0, -np.inf])
        y_std = (y - loc0) / spread
        w_norm = w / w.sum()

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            raw = np.broadcast_to(theta, (y.shape[0], 2))
            loss, grad = self.loss_gradient(raw, y_std, w_norm)
            return float(loss.sum()), grad.sum(axis=0)

        start = np.array([0.0, float(softplus_inverse(1.0))])
        result = minimize(
            objective, start, jac=True, method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15}
        )
        mu_std, z_std = result.x
        scale = spread * float(softplus(z_std))
        return np.array([loc0 + spread * mu_std, float(softplus_inverse(scale))])

    def derivation(self, latex: bool = False) -> str:
        """Likelihood -> log-likelihood -> loss -> gradient."""
        return _LATEX if latex else _TEXT
