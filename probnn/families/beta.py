"""Beta family: targets strictly inside (0, 1), by a logit mean and a softplus precision.

Raw outputs ``(z1, z2)``: mean ``m = sigmoid(z1)``, precision ``phi = softplus(z2)``,
``a = m phi``, ``b = (1 - m) phi`` (Ferrari & Cribari-Neto's beta regression, 2004);
``Var Y = m (1 - m) / (1 + phi)``. ``log a = log phi + log_sigmoid(z1)`` and
``log b = log phi + log_sigmoid(-z1)`` are formed in raw space, so the NLL stays finite
where ``a`` or ``b`` underflows (``|z1|`` or ``-z2`` large): there
``log B(a, b) = lgamma(1 + a) + lgamma(1 + b) - lgamma(1 + phi) - log a - log b + log phi``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from probnn._math import sigmoid, softplus, softplus_inverse
from probnn._validation import check_sample_weight, describe_rows, describe_values
from probnn.families import register_family
from probnn.families.base import (Array, Family, as_1d_target, as_columns, softplus_scale,
                                  softplus_sigmoid)

_TEXT = """\
Beta family: y strictly between 0 and 1, raw outputs (z1, z2), mean m = sigmoid(z1),
                 precision phi = softplus(z2), a = m phi, b = (1 - m) phi.
Likelihood:      p(y | z) = y^(a - 1) (1 - y)^(b - 1) / B(a, b)
Log-likelihood:  log p = (a - 1) log y + (b - 1) log(1 - y) - log B(a, b)
Loss (NLL):      L(z, y) = log B(a, b) - (a - 1) log y - (b - 1) log(1 - y)
                 the full NLL (beta regression, Ferrari & Cribari-Neto 2004);
                 log a = log phi + log sigmoid(z1), log b = log phi + log sigmoid(-z1)
                 keep log B(a, b) finite where a or b underflows.
Gradient:        q = phi sigmoid(z1) sigmoid(-z1) (= da/dz1 = -db/dz1)
                 dL/dz1 = q (psi(a) - psi(b) - logit(y))
                 dL/dz2 = [a (psi(a) - psi(phi) - log y) + b (psi(b) - psi(phi) - log(1 - y))]
                          * sigmoid(z2) / softplus(z2)        (psi = digamma)
"""

_LATEX = r"""\begin{aligned}
m &= \sigma(z_1), \quad \phi = \operatorname{softplus}(z_2), \quad a = m\phi, \quad
  b = (1 - m)\phi, \quad \operatorname{Var} Y = \frac{m(1 - m)}{1 + \phi} \\
p(y \mid z) &= \frac{y^{a - 1} (1 - y)^{b - 1}}{B(a, b)} \\
\log p(y \mid z) &= (a - 1)\log y + (b - 1)\log(1 - y) - \log B(a, b) \\
L(z, y) &= \log B(a, b) - (a - 1)\log y - (b - 1)\log(1 - y)
  \quad \text{(beta regression NLL)} \\
\frac{\partial L}{\partial z_1} &= \phi\,\sigma(z_1)\sigma(-z_1)
  \Big(\psi(a) - \psi(b) - \log\frac{y}{1 - y}\Big), \\
\frac{\partial L}{\partial z_2} &= \Big[a\big(\psi(a) - \psi(\phi) - \log y\big)
  + b\big(\psi(b) - \psi(\phi) - \log(1 - y)\big)\Big]
  \frac{\sigma(z_2)}{\operatorname{softplus}(z_2)}
\end{aligned}"""


def _beta_terms(raw, y, need_gradient):
    """NLL and its derivatives in ``z1`` and ``log phi``, float64, from raw ``(z1, z2)``."""
    z1 = raw[:, 0]
    phi, log_phi, dlog = softplus_scale(raw[:, 1], need_gradient)
    # softplus(-z1) = -log sigmoid(z1), softplus(z1) = -log sigmoid(-z1)
    sp_neg, sig0 = softplus_sigmoid(-z1, need_gradient)  # sig0 = sigmoid(-z1) = 1 - m
    sp_pos, sig1 = softplus_sigmoid(z1, need_gradient)  # sig1 = sigmoid(z1) = m
    log_a, log_b = log_phi - sp_neg, log_phi - sp_pos
    a, b = np.exp(log_a), np.exp(log_b)
    log_y, log_1my = np.log(y), np.log1p(-y)
    direct = (a >= 1) & (b >= 1)
    # log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b) with lgamma(x) = lgamma(1 + x) - log x
    small = (special.gammaln(1 + a) + special.gammaln(1 + b) - special.gammaln(1 + phi)
             - log_a - log_b + log_phi)
    log_beta = np.where(direct, special.betaln(np.where(direct, a, 1.0), np.where(direct, b, 1.0)),
                        small)
    loss = log_beta - (a - 1) * log_y - (b - 1) * log_1my
    if not need_gradient:
        return loss, None, None
    # x psi(x) = x psi(1 + x) - 1: finite as x -> 0
    psi_a1, psi_b1 = special.digamma(1 + a), special.digamma(1 + b)
    q = phi * sig1 * sig0
    # q (psi(a) - psi(b)) = q (psi(1 + a) - psi(1 + b)) - sigmoid(-z1) + sigmoid(z1)
    d_z1 = q * (psi_a1 - psi_b1 - (log_y - log_1my)) + sig1 - sig0
    d_log_phi = (a * psi_a1 + b * psi_b1 - phi * special.digamma(1 + phi) - 1
                 - a * log_y - b * log_1my)
    return loss, d_z1, d_log_phi * dlog


def _beta_logs(a, b, z1, y):
    """``(log F(y), log S(y))`` of Beta(a, b) at ``y`` in (0, 1), ``a = phi sigmoid(z1)``.

    Where ``a`` or ``b`` underflows to 0 the law is its limit in floats: all mass at 0
    (``a = 0``), at 1 (``b = 0``), or on both ends with ``P(Y = 1) = sigmoid(z1)`` (both).
    """
    from probnn.distributions._incomplete import beta_log_cdf_sf

    a0, b0 = a == 0, b == 0
    lc = np.where(a0 & b0, -np.logaddexp(0.0, z1), np.where(a0, 0.0, -np.inf))
    ls = np.where(a0 & b0, -np.logaddexp(0.0, -z1), np.where(a0, -np.inf, 0.0))
    ok = ~(a0 | b0)
    if ok.any():
        lc[ok], ls[ok] = beta_log_cdf_sf(a[ok], b[ok], y[ok], 1 - y[ok])
    return lc, ls


@register_family
class BetaFamily(Family):
    """Targets in (0, 1): Beta with mean ``sigmoid(z1)`` and precision ``softplus(z2)``.

    Domain
        ``0 < y < 1``, shape ``(n_samples,)``; two raw outputs.
    Link
        ``m = sigmoid(z1)`` (logit link on the mean), ``phi = softplus(z2)``;
        ``a = m phi``, ``b = (1 - m) phi``. scipy's ``beta(a, b)``.
    Formula
        ``nll = betaln(a, b) - (a - 1) log y - (b - 1) log(1 - y)``;
        ``d nll / dz1 = phi m (1 - m) (psi(a) - psi(b) - logit y)``; ``d nll / dz2`` in
        :meth:`derivation`.
    Loss
        The full beta-regression NLL. ``log a`` and ``log b`` come from ``log_sigmoid``
        in raw space and ``betaln`` from ``lgamma(1 + x) - log x`` where ``a`` or ``b``
        is below 1, so it is finite for every finite raw output. Computed in float64,
        returned in the dtype of ``raw``.
    """

    name = "beta"
    loss_name = "beta regression NLL"
    link = "m = sigmoid(z1), phi = softplus(z2)"
    is_classifier = False
    out_activation = "logistic (mean), softplus (precision)"
    support = "unit-interval"
    target_kinds = ("unit-interval",)
    param_names = ("concentration1", "concentration0")

    def check_target(self, y: ArrayLike) -> np.ndarray:
        """Targets strictly between 0 and 1, shape (n_samples,).

        Raises
        ------
        ValueError
            Naming values outside (0, 1) (0 and 1 included) and their rows, with a
            suggestion: every Beta density is 0 or infinite at exactly 0 and 1.
        """
        y = as_1d_target(y, "Beta", "real numbers strictly between 0 and 1")
        bad = ~((y > 0) & (y < 1))
        if bad.any():
            raise ValueError(
                f"Beta targets must lie strictly between 0 and 1; found "
                f"{describe_values(y[bad])} at {describe_rows(bad)}. Proportions of exactly "
                "0 or 1 have no Beta density: transform them first, e.g. "
                "(y (n - 1) + 0.5) / n for n rows (Smithson & Verkuilen 2006)"
            )
        return y

    def _n_outputs_for(self, y: np.ndarray) -> int:
        return 2

    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool):
        loss, d_z1, d_z2 = _beta_terms(
            raw.astype(np.float64, copy=False), y.astype(np.float64, copy=False), need_gradient
        )
        loss = loss.astype(raw.dtype, copy=False)
        if not need_gradient:
            return loss, None
        grad = np.empty_like(raw)
        grad[:, 0] = d_z1
        grad[:, 1] = d_z2
        return loss, grad

    def _censored_loss_gradient(self, raw: Array, lower, upper, need_gradient: bool):
        """``-log(F(u) - F(l))`` with ``F(y) = I_y(a, b)`` (log space).

        ``log I_y(a, b)`` and ``log I_{1-y}(b, a)`` come from scipy where they are normal
        floats and from the continued fraction in logs in a far tail
        (:func:`probnn.distributions._incomplete.beta_log_cdf_sf`). Both raw outputs move
        both shapes (``a = m phi``, ``b = (1 - m) phi``), and ``dI / da``, ``dI / db`` have
        no closed form: both derivatives are fourth-order central differences of the
        float64 ``log P`` (:func:`probnn.families._censored.central_difference`, about
        1e-10 relative), in ``z1`` with a step ``1e-3 / sqrt(1 + phi m (1 - m))`` (the
        scale on which ``log P`` moves with ``z1``) and in ``log phi`` with ``1e-3``. Where
        ``P`` is 0 in floats the NLL is ``+inf``, ``dL/dz1`` ``-inf`` / ``+inf`` towards the
        interval and ``dL/dz2`` 0.
        """
        from probnn.families._censored import (bound_logs, central_difference,
                                               location_shape_gradient, log_interval_prob)

        raw64 = raw.astype(np.float64, copy=False)
        z1 = raw64[:, 0]
        phi, log_phi, dlog = softplus_scale(raw64[:, 1], need_gradient)
        ends = [(b, np.where(np.isfinite(b), b, 0.5)) for b in (lower, upper)]

        def log_prob(z, lphi):
            with np.errstate(under="ignore"):
                a = np.exp(lphi - np.logaddexp(0.0, -z))  # phi sigmoid(z)
                b = np.exp(lphi - np.logaddexp(0.0, z))
            logs = []
            for bound, y in ends:
                logs += bound_logs(bound, lambda m: _beta_logs(a[m], b[m], z[m], y[m]))
            return log_interval_prob(*logs), logs

        log_p, logs = log_prob(z1, log_phi)
        loss = (-log_p).astype(raw.dtype, copy=False)
        if not need_gradient:
            return loss, None
        q = phi * sigmoid(z1) * sigmoid(-z1)
        d_z1 = -central_difference(lambda z: log_prob(z, log_phi)[0], z1, 1e-3 / np.sqrt(1 + q))
        d_lphi = -central_difference(lambda t: log_prob(z1, t)[0], log_phi)
        return loss, location_shape_gradient(raw, log_p, logs[:2], d_z1, d_lphi * dlog)

    def distribution(self, raw: ArrayLike):
        """``Beta(concentration1=m phi, concentration0=(1 - m) phi)``, batch shape (n_samples,)."""
        from probnn.distributions import Beta

        raw = as_columns(raw, 2, self.name)
        phi = softplus(raw[:, 1])
        return Beta(concentration1=phi * sigmoid(raw[:, 0]),
                    concentration0=phi * sigmoid(-raw[:, 0]))

    def mean(self, raw: ArrayLike) -> Array:
        """``m = sigmoid(z1)``, shape (n_samples,)."""
        return sigmoid(as_columns(raw, 2, self.name)[:, 0])

    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """``[log a - log b, softplus^-1(a + b)]`` of the Beta MLE of ``y``, shape (2,).

        No closed form: L-BFGS-B on the (convex) weighted NLL in ``(log a, log b)``.
        Constant ``y`` has its MLE at ``phi = inf``: ``[logit y, inf]``.
        """
        from probnn.distributions.beta import fit_concentrations

        y = self.check_target(y).astype(np.float64)
        w = check_sample_weight(sample_weight, y.shape[0])
        if not w.sum() > 0:
            raise ValueError(f"sample_weight must have a positive sum; found {w.sum()}")
        a, b = fit_concentrations(y, w)
        if not np.isfinite(a + b):
            mean = float(np.sum(w * y) / np.sum(w))
            return np.array([np.log(mean) - np.log1p(-mean), np.inf])
        return np.array([np.log(a) - np.log(b), float(softplus_inverse(a + b))])

    def derivation(self, latex: bool = False) -> str:
        """Likelihood -> log-likelihood -> loss -> gradient."""
        return _LATEX if latex else _TEXT
