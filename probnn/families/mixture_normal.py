"""Mixture-normal family: a mixture density network head with K Normal components.

With raw outputs ``z = (a_1..a_K, m_1..m_K, s_1..s_K)`` (3K columns, in that
order) the predicted density of a real target is

    p(y | z) = sum_k w_k N(y | mu_k, sigma_k^2),
    w = softmax(a),  mu_k = m_k,  sigma_k = softplus(s_k),

and the loss is its negative logarithm, ``-logsumexp_k l_k`` with the per
component log-terms ``l_k = log w_k - r_k^2 / 2 - log sigma_k - log(2 pi) / 2``,
``r_k = (y - mu_k) / sigma_k``. Every piece is computed in raw space:
``log w = log_softmax(a)``; ``log sigma_k`` by the series of ``log softplus``
where ``softplus`` underflows; the log-sum-exp after subtracting the largest
term. The gradient comes through the responsibilities
``gamma_k = exp(l_k - logsumexp(l))`` (the posterior probability that y came
from component k):

    dL/da_k = w_k - gamma_k,
    dL/dm_k = gamma_k (mu_k - y) / sigma_k^2,
    dL/ds_k = gamma_k (1 - r_k^2) dlog(sigma_k)/ds_k.

Where every component's density underflows (all scales ~ e^-1e4 and y off
every mean) the exact NLL exceeds the float range: it is ``+inf`` and the
responsibility goes to the component with the smallest ``|r_k|``, the one that
dominates the true sum (shared equally between exact ties).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize

from probnn._math import log_softmax, softmax, softplus, softplus_inverse
from probnn._validation import Interval, check_sample_weight
from probnn.families import register_family
from probnn.families.base import (Array, Family, as_columns, resolution, safe_divide,
                                  softplus_scale)
from probnn.families.normal import _SQUARES_SAFE, check_real_target

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)

# constant_raw: EM steps from the quantile start, then L-BFGS-B on the raw-space
# NLL to a stationary point (EM alone converges only linearly).
_EM_STEPS = 50
_POLISH_ITER = 500
# Above this many rows constant_raw fits the weighted means of this many groups of
# neighbouring sorted targets instead (it is a bias start: seconds, not minutes, at 1e6 rows).
_MAX_ROWS = 4096

_TEXT = """\
Mixture-normal family (K components): real y, raw outputs a_1..a_K, m_1..m_K, s_1..s_K,
                 w = softmax(a), mu_k = m_k, sigma_k = softplus(s_k), r_k = (y - mu_k) / sigma_k.
Likelihood:      p(y | z) = sum_k w_k exp(-r_k^2 / 2) / sqrt(2 pi sigma_k^2)
Log-likelihood:  log p(y | z) = logsumexp_k l_k,
                 l_k = log w_k - r_k^2 / 2 - log sigma_k - log(2 pi) / 2,
                 log w = log_softmax(a) (the largest logit subtracted first)
Loss (NLL):      L(z, y) = -logsumexp_k l_k = -m - log sum_k exp(l_k - m), m = max_k l_k
                 = mixture density network NLL; no constant is dropped.
Gradient:        responsibilities gamma_k = exp(l_k - logsumexp(l)) = P(component k | y)
                 dL/da_k = w_k - gamma_k
                 dL/dm_k = gamma_k (mu_k - y) / sigma_k^2
                 dL/ds_k = gamma_k (1 - r_k^2) sigmoid(s_k) / softplus(s_k)
                 (each component's Normal gradient, weighted by its responsibility)
"""

_LATEX = r"""\begin{aligned}
w &= \operatorname{softmax}(a), \qquad \mu_k = m_k, \qquad
  \sigma_k = \operatorname{softplus}(s_k), \qquad r_k = \frac{y - \mu_k}{\sigma_k} \\
p(y \mid z) &= \sum_{k=1}^{K} \frac{w_k}{\sqrt{2 \pi \sigma_k^2}} e^{-r_k^2 / 2} \\
\log p(y \mid z) &= \log \sum_{k} e^{\ell_k}, \qquad
  \ell_k = \log w_k - \tfrac12 r_k^2 - \log \sigma_k - \tfrac12 \log 2\pi \\
L(z, y) &= -\log \sum_{k} e^{\ell_k}
  \quad \text{(mixture density network NLL)} \\
\gamma_k &= \frac{e^{\ell_k}}{\sum_j e^{\ell_j}}, \qquad
\frac{\partial L}{\partial a_k} = w_k - \gamma_k, \qquad
\frac{\partial L}{\partial m_k} = \gamma_k \frac{\mu_k - y}{\sigma_k^2}, \qquad
\frac{\partial L}{\partial s_k} = \gamma_k (1 - r_k^2)
  \frac{\sigma(s_k)}{\operatorname{softplus}(s_k)}
\end{aligned}"""


@register_family
class MixtureNormalFamily(Family):
    """Mixture of K Normals (a mixture density network head).

    Domain
        ``y`` real, shape ``(n_samples,)``; ``3 K`` raw outputs
        ``[a_1..a_K, m_1..m_K, s_1..s_K]``.
    Link
        Weights ``w = softmax(a)``, means ``mu_k = m_k``, scales
        ``sigma_k = softplus(s_k)``.
    Formula
        ``nll = -logsumexp_k(log w_k + log N(y | mu_k, sigma_k))``; the
        gradient is each component's Normal gradient weighted by its
        responsibility ``gamma_k = P(k | y)``, and ``w - gamma`` for the logits
        (see the module docstring).
    Loss
        Mixture density network NLL (Bishop, 1994); no constant is dropped.
        The logits are only defined up to a common constant, and the
        components up to a relabelling.

    Parameters
    ----------
    n_components : int, default=3
        The number of components K >= 1 (K = 1 is the ``normal`` family with
        an extra, inert logit).
    min_scale : float >= 0, default=0.0
        The smallest component scale, in y's units: ``sigma_k = min_scale +
        softplus(s_k)``. A component shrunk onto one value held by many rows (a heap:
        a rounded or coded value) has a density without bound; with targets recorded to
        a resolution ``h``, ``min_scale = h / sqrt(2 pi)`` keeps every component's peak
        density at most ``w_k / h``, what its whole weight on one recorded value of width
        ``h`` gives. Every tabular fit sets it so on a target with a heap,
        and at ``h = 1`` on an integer target
        (:func:`probnn.tables.resolution.with_resolution_floor`, through the family's
        ``resolution_param``); 0 leaves the scales free.
    """

    name = "mixture-normal"
    # every component the normal's (the logits any): one law; where the resolution floor
    # allows (a heaped target's min_scale forbids a density over 1 / h on purpose)
    nests = ("normal",)
    loss_name = "mixture density network NLL"
    link = "w = softmax(a), mu_k = m_k, sigma_k = softplus(s_k)"
    is_classifier = False
    out_activation = "softmax (weights), identity (loc), softplus (scale)"
    support = "real"
    target_kinds = ("real", "integer", "count", "positive", "unit-interval")
    default_for = ()
    # each expands to K columns weight_k / loc_k / scale_k (see parameter_columns)
    param_names = ("weight", "loc", "scale")
    location_scale = True
    fixed_params = {"n_components": Interval(1, closed="left", integer=True),
                    "min_scale": Interval(0, closed="left")}  # fmt: skip
    resolution_param = "min_scale"

    def __init__(self, n_components: int = 3, min_scale: float = 0.0):
        self.n_components = self.fixed_params["n_components"].check(
            "n_components", n_components, self.name
        )
        self.min_scale = float(self.fixed_params["min_scale"].check(
            "min_scale", min_scale, self.name))  # fmt: skip

    def get_params(self) -> dict:
        return {"n_components": self.n_components, "min_scale": self.min_scale}

    def standardised(self, scale: float) -> "MixtureNormalFamily":
        """This family for the target divided by ``scale``: ``min_scale`` divided too."""
        if scale == 1.0 or self.min_scale == 0:
            return self
        return type(self)(self.n_components, self.min_scale / scale)

    def movable_start(self, constant: np.ndarray) -> np.ndarray:
        """A network's output layer's start from the constant model's raw outputs
        ``constant``, shape (3K,), where the inputs can move it: as given without a floor;
        with one, every scale output at least ``softplus^-1(min_scale)`` (the component's
        scale at least ``2 min_scale``).

        A component the constant fit leaves at the floor has ``softplus(s)`` ~ 1e-308 (or
        ``s = -inf``), whose ``d sigma / ds = sigmoid(s)`` is as small: no optimiser could
        move it off the floor (Adam's step is ~ g / eps). At ``softplus(s) = min_scale``,
        ``d log sigma / ds = (1 - exp(-min_scale)) / (2 min_scale)`` ~ 1/2, half the rate of
        a free small component (-> 1): training can move it either way. Not for an
        intercept-only fit (the constant model), whose start is its fit already.
        """
        start = np.array(constant, dtype=np.float64)
        if self.min_scale == 0:
            return start
        k = self.n_components
        lowest = float(softplus_inverse(np.float64(self.min_scale)))
        start[2 * k :] = np.where(start[2 * k :] < lowest, lowest, start[2 * k :])  # (NaN kept)
        return start

    def _scales(self, s: Array, need_gradient: bool) -> tuple[Array, Array, Array | None]:
        """``sigma = min_scale + softplus(s)``, ``log sigma`` and ``d log sigma / ds``."""
        scale, log_scale, dlog = softplus_scale(s, need_gradient)
        floor = s.dtype.type(self.min_scale)
        if floor == 0:  # (also a floor below the dtype's smallest number: no floor there)
            return scale, log_scale, dlog
        floored = scale + floor
        if need_gradient:  # d log sigma / ds = sigmoid(s) / sigma = dlog softplus * sp / sigma
            dlog = dlog * (scale / floored)
        return floored, np.log(floored), dlog

    def check_target(self, y: ArrayLike) -> np.ndarray:
        """Finite real targets of shape (n_samples,)."""
        return check_real_target(y, "Mixture-normal")

    def _n_outputs_for(self, y: np.ndarray) -> int:
        return 3 * self.n_components

    def check_n_rows(self, n_rows: int) -> None:
        """ValueError for more components than training rows: a component needs a row of
        its own to be identified (more are only relabellings and duplicates), and the work
        and memory grow with rows x components (n_components=1e6 on 120 rows took 5 GB)."""
        if self.n_components > n_rows:
            raise ValueError(
                f"{self.name} n_components={self.n_components:,} needs at most as many "
                f"components as training rows ({n_rows:,}): more cannot be identified; "
                f"choose n_components <= {n_rows:,}"
            )

    # ------------------------------------------------------------- loss, grad
    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool):
        k = self.n_components
        loc = raw[:, k : 2 * k]
        # one row of raw outputs broadcast over every target (a constant model's objective,
        # constant_raw): the weights' and scales' functions of that row, computed once, are
        # the numbers every row would compute (elementwise), broadcast against the residuals
        row = raw[:1] if raw.shape[0] > 1 and raw.strides[0] == 0 else raw
        logits, s = row[:, :k], row[:, 2 * k :]
        scale, log_scale, dlog = self._scales(s, need_gradient)
        r = safe_divide(y[:, None] - loc, scale)
        r2 = r * r
        terms = _log_softmax_rows(logits)
        if row is not raw:
            terms = np.broadcast_to(terms, r.shape).copy()
        terms -= 0.5 * r2
        terms -= log_scale
        terms -= HALF_LOG_2PI
        # log-sum-exp over the components: the largest term l_top is taken out, so
        # exp of the others never overflows and log1p keeps the precision of a
        # single dominant component. l_top is -inf only where every density underflows.
        rows = np.arange(raw.shape[0])
        top = _row_argmax(terms)
        l_top = terms[rows, top]
        possible = l_top > -np.inf
        shifted = terms - np.where(possible, l_top, 0)[:, None]
        e = np.exp(shifted)
        e[rows, top] = 0
        rest = _row_sum(e)
        loss = np.where(possible, -l_top - np.log1p(rest), np.inf).astype(raw.dtype, copy=False)
        if not need_gradient:
            return loss, None
        gamma = e / (1 + rest)[:, None]
        gamma[rows, top] = 1 / (1 + rest)
        if not possible.all():
            # every density underflowed: the true sum is dominated by the component
            # whose |r_k| is smallest, i.e. the smallest log|y - mu_k| - log sigma_k
            # (shared equally between exact ties, as the true responsibilities are)
            lost = ~possible
            with np.errstate(divide="ignore"):
                log_r = (np.log(np.abs(y[lost, None] - loc[lost]))
                         - np.broadcast_to(log_scale, r.shape)[lost])  # fmt: skip
            nearest = log_r == log_r.min(axis=1, keepdims=True)
            gamma[lost] = nearest / nearest.sum(axis=1, keepdims=True)
        # a component without responsibility contributes 0, even where its r is inf
        active = gamma > 0
        grad = np.zeros_like(raw)
        grad[:, :k] = _softmax_rows(logits) - gamma
        np.multiply(gamma, safe_divide(-r, scale), out=grad[:, k : 2 * k], where=active)
        huge = r2 == np.inf  # (r^2 beyond the floats: a floor of 1e-30 under a residual of 1e4)
        r2 -= 1
        with np.errstate(invalid="ignore"):  # (inf * an underflowed 0 there: replaced below)
            r2 *= dlog  # (r^2 - 1) dlog(sigma)/ds
        if huge.any():
            residual = (y[:, None] - loc)[huge]
            r2[huge] = _overflowed_scale_term(residual, np.broadcast_to(s, r.shape)[huge],
                                              np.broadcast_to(log_scale, r.shape)[huge])
        np.multiply(gamma, -r2, out=grad[:, 2 * k :], where=active)
        return loss, grad

    def _censored_loss_gradient(self, raw: Array, lower, upper, need_gradient: bool):
        """``-log sum_k w_k P_k(l < Y <= u)``, each ``P_k`` a censored Normal in log space.

        ``dL/da_j = w_j - rho_j`` with responsibilities ``rho_k = w_k P_k / P``;
        ``dL/dm_k = -rho_k d log P_k / d m_k``,
        ``dL/ds_k = -rho_k d log P_k / d log sigma_k * d log sigma_k / ds_k``.
        """
        from probnn.families._censored import location_scale_log_prob

        k = self.n_components
        raw64 = raw.astype(np.float64, copy=False)
        logits, loc, s = raw64[:, :k], raw64[:, k : 2 * k], raw64[:, 2 * k :]
        scale, _, dlog = self._scales(s, need_gradient)
        log_pk, d_loc, d_log_scale = location_scale_log_prob(
            self._component_law(), loc, scale, lower[:, None], upper[:, None], need_gradient)
        terms = log_softmax(logits, axis=1) + log_pk
        top = terms.max(axis=1, keepdims=True)
        possible = top[:, 0] > -np.inf
        top = np.where(possible[:, None], top, 0.0)
        log_p = top[:, 0] + np.log(np.exp(terms - top).sum(axis=1))
        loss = (-log_p).astype(raw.dtype, copy=False)
        if not need_gradient:
            return loss, None
        # responsibilities; where no component reaches the interval in floats, equal shares
        rho = np.where(possible[:, None], np.exp(terms - np.where(possible, log_p, 0)[:, None]),
                       1.0 / k)  # fmt: skip
        grad = np.empty_like(raw)
        grad[:, :k] = softmax(logits, axis=1) - rho
        active = rho > 0  # a component without responsibility contributes 0, even at inf
        grad[:, k : 2 * k] = np.where(active, -rho * np.where(active, d_loc, 0), 0)
        grad[:, 2 * k :] = np.where(active, -rho * np.where(active, d_log_scale, 0) * dlog, 0)
        return loss, grad

    @staticmethod
    def _em(y, w, log_w, mu, sd, floor):
        """constant_raw's start: EM for these components (a subclass's own, :func:`_em`)."""
        return _em(y, w, log_w, mu, sd, floor)

    def _component_law(self):
        """The components' standard law, for the censored likelihood (a subclass's own)."""
        from probnn.families._censored import NORMAL_LAW

        return NORMAL_LAW

    # ------------------------------------------------------------ predictions
    def _columns(self, raw: ArrayLike) -> Array:
        return as_columns(raw, 3 * self.n_components, self.name)

    def distribution(self, raw: ArrayLike):
        """``Mixture`` of K ``Normal(m_k, softplus(s_k))`` with logits ``a`` of shape (K, n)."""
        from probnn.distributions import Mixture, Normal

        raw = self._columns(raw)
        k = self.n_components
        scales = softplus(raw[:, 2 * k :]) + self.min_scale
        components = [Normal(loc=raw[:, k + j], scale=scales[:, j]) for j in range(k)]
        return Mixture(components, logits=np.ascontiguousarray(raw[:, :k].T))

    def mean(self, raw: ArrayLike) -> Array:
        """The mixture's mean ``sum_k w_k mu_k``, shape (n_samples,)."""
        raw = self._columns(raw)
        k = self.n_components
        weights = np.exp(log_softmax(raw[:, :k], axis=1))
        return np.einsum("ij,ij->i", weights, raw[:, k : 2 * k])

    def parameter_columns(self, dist) -> dict[str, np.ndarray]:
        """``weight_1..weight_K``, ``loc_1..loc_K``, ``scale_1..scale_K``, each of shape (n,)."""
        n = dist.batch_shape[0]
        weights = dist.weights
        columns = {}
        for name, values in (
            ("weight", [weights[j] for j in range(dist.n_components)]),
            ("loc", [c.loc for c in dist.components]),
            ("scale", [c.scale for c in dist.components]),
        ):
            for j, v in enumerate(values, start=1):
                columns[f"{name}_{j}"] = np.broadcast_to(np.asarray(v), (n,))
        return columns

    # ---------------------------------------------------------- constant model
    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """Raw outputs of a constant K-component mixture fitted to ``y``, shape (3K,).

        The likelihood of a constant mixture has no unique maximiser: the
        components can be relabelled, and a component shrunk onto a single
        observation makes it unbounded. So this returns a deterministic local
        minimum of the summed (weighted) NLL, found from a symmetry-breaking
        start: equal weights, means at the weighted quantiles ``(k - 1/2) / K``
        of ``y``, every scale the overall standard deviation; then
        ``_EM_STEPS`` steps of weighted EM, then L-BFGS-B on the raw-space NLL
        with the analytic gradient (on standardised ``y``) until the gradient
        vanishes. Components are returned sorted by their means, logits
        normalised (``logsumexp(a) = 0``).

        With K = 1 this is the Normal MLE. Constant ``y`` gives every mean at
        that value and every scale 0 (``s = -inf``), the limit of the likelihood.
        A component shrunk onto a repeated value (a heap: a rounded or coded value
        held by many rows) makes the likelihood unbounded too, and such a spike wins
        held-out rows on that value by nats that say nothing of the rest (Old Faithful's
        durations, 18% of them exactly 4 minutes). So every scale is kept at or above
        ``h / sqrt(2 pi)``, ``h`` the targets' resolution (the smallest gap between two
        distinct values): no component's peak density then exceeds ``w_k / h``, what
        its whole weight on one recorded value of width ``h`` would give. (Continuous
        targets, whose gaps are far below the components' scales, never meet the floor.)
        The result is then a local maximum of the likelihood under that constraint; a
        polish that still takes a mean outside the targets' range is not kept (EM's fit
        is returned). Above
        ``_MAX_ROWS`` rows the fit is to the weighted means of ``_MAX_ROWS``
        groups of neighbouring sorted targets (each with its group's weight):
        a close approximation while the groups are narrow next to the
        components' scales, at a bounded cost.
        """
        y = self.check_target(y).astype(np.float64)
        w = check_sample_weight(sample_weight, y.shape[0])
        total = w.sum()
        if not total > 0:
            raise ValueError(f"sample_weight must have a positive sum; found {total}")
        w = w / total
        k = self.n_components
        centre = float(w @ y)
        largest = float(np.max(np.abs(y - centre), initial=0.0))
        if largest == 0 or _SQUARES_SAFE[0] <= largest <= _SQUARES_SAFE[1]:  # as always
            spread = float(np.sqrt(w @ (y - centre) ** 2))
        else:  # squares under- / overflow (targets of 1e-300: spread 0, every scale -inf)
            spread = largest * float(np.sqrt(w @ ((y - centre) / largest) ** 2))
        if spread == 0:
            return np.concatenate(
                [np.full(k, -math.log(k)), np.full(k, centre), np.full(k, -np.inf)]
            )
        y_std = (y - centre) / spread
        family = self.standardised(spread)  # sigma = its min_scale + softplus(s), y_std's units
        given = family.min_scale
        floor = resolution(y_std[w > 0]) / math.sqrt(2 * math.pi)
        if y.shape[0] > _MAX_ROWS:
            y_std, w = _group_means(y_std, w, _MAX_ROWS)
        start = (np.full(k, -math.log(k)), _weighted_quantiles(y_std, w, k), np.ones(k))
        log_w, mu, sd = self._em(y_std, w, *start, floor=max(floor, given))
        # (EM's scale at the family's own floor: softplus(s) just above 0, not -inf)
        excess = np.maximum(sd - given, np.finfo(np.float64).tiny) if given > 0 else sd
        theta = np.concatenate([log_w, mu, softplus_inverse(excess)])
        lowest = float(softplus_inverse(floor - given)) if floor > given else None
        bounds = [(None, None)] * (2 * k) + [(lowest, None)] * k

        def objective(t: np.ndarray) -> tuple[float, np.ndarray]:
            raw = np.broadcast_to(t, (y_std.shape[0], 3 * k))
            loss, grad = family.loss_gradient(raw, y_std, w)
            return float(loss.sum()), grad.sum(axis=0)

        result = minimize(objective, theta, jac=True, method="L-BFGS-B", bounds=bounds,
                          options={"maxiter": _POLISH_ITER, "gtol": 1e-12, "ftol": 1e-15})
        # at a stationary point every mean is a responsibility-weighted average of the
        # targets, inside their range: a polish outside it ran off along an unbounded
        # direction (a component shrinking onto a repeated value, whose NLL has no floor,
        # dragging the others' raw outputs to 1e22: a third of the targets at 0.99)
        inside = np.all((result.x[k : 2 * k] >= y_std.min()) & (result.x[k : 2 * k] <= y_std.max()))
        if np.isfinite(result.x).all() and inside and result.fun <= objective(theta)[0]:
            theta = result.x
        logits, mu, s = theta[:k], theta[k : 2 * k], theta[2 * k :]
        order = np.argsort(mu, kind="stable")
        logits = log_softmax(logits[order])
        loc = centre + spread * mu[order]
        with np.errstate(divide="ignore"):  # (spread * (m / spread + softplus(s)) = m + ...)
            z = softplus_inverse(spread * softplus(s[order]))
        return np.concatenate([logits, loc, z])

    def derivation(self, latex: bool = False) -> str:
        """Likelihood -> log-likelihood -> loss -> gradient."""
        return _LATEX if latex else _TEXT


# ------------------------------------------------------------ row reductions
# A mixture's (n, K) arrays have thousands of rows of a few entries: NumPy's reductions
# along such short rows cost ~80 ns a row (0.3 ms for max over 4,096 x 3), the column-wise
# ufuncs below a few ns. Bit-identical to the reductions: a maximum is exact (NaN
# propagated, the first of equal entries kept, as ``np.maximum`` in column order); NumPy sums
# a row of fewer than 8 entries from 0 and left to right, as ``_row_sum`` does (8 and more:
# NumPy's own, whose order is pairwise); argmax the first maximum, or the first NaN.
_SEQUENTIAL_BELOW = 8


def _overflowed_scale_term(residual: Array, s: Array, log_scale: Array) -> Array:
    """``(r^2 - 1) d log sigma / ds`` where ``r^2 = (residual / sigma)^2`` overflowed, in logs.

    ``exp(2 (log|residual| - log sigma) + log sigmoid(s) - log sigma)``: d log sigma / ds =
    sigmoid(s) / sigma, which underflows to 0 under a floor (inf * 0 was NaN), and the 1 is
    below a float step of r^2. 0, finite or inf as the true value. Arrays of shape (m,) in
    raw's dtype; the compiled loss (``_kernels.mixture_normal``) repeats it op for op.
    """
    two = residual.dtype.type(2)
    log_sigmoid = np.minimum(s, 0) - np.log1p(np.exp(-np.abs(s)))
    t = np.log(np.abs(residual)) - log_scale
    t = t * two
    t = t + log_sigmoid
    t = t - log_scale
    return np.exp(t)


def _row_max(a: Array) -> Array:
    """``a.max(axis=1)`` of a 2-D array, column by column."""
    out = a[:, 0].copy()
    for j in range(1, a.shape[1]):
        np.maximum(out, a[:, j], out=out)
    return out


def _row_sum(a: Array) -> Array:
    """``a.sum(axis=1)`` of a 2-D array: left to right below 8 columns, as NumPy's."""
    if a.shape[1] >= _SEQUENTIAL_BELOW:
        return a.sum(axis=1)
    out = np.zeros(a.shape[0], dtype=a.dtype)  # (from 0, as NumPy: a sum of -0.0 is 0.0)
    for j in range(a.shape[1]):
        out += a[:, j]
    return out


def _row_argmax(a: Array) -> np.ndarray:
    """``a.argmax(axis=1)``: the first maximum of each row, or its first NaN."""
    top = np.zeros(a.shape[0], dtype=np.intp)
    best = a[:, 0].copy()
    for j in range(1, a.shape[1]):
        col = a[:, j]
        # ahead: larger, or the first NaN (best is NaN once a NaN was met: nothing passes it)
        ahead = (col > best) | (np.isnan(col) & ~np.isnan(best))
        top[ahead] = j
        np.copyto(best, col, where=ahead)
    return top


def _log_softmax_rows(z: Array) -> Array:
    """:func:`probnn._math.log_softmax` along axis 1, its operations on the same vectors."""
    shifted = z - _row_max(z)[:, None]
    return shifted - np.log(_row_sum(np.exp(shifted)))[:, None]


def _softmax_rows(z: Array) -> Array:
    """:func:`probnn._math.softmax` along axis 1, its operations on the same vectors."""
    e = np.exp(z - _row_max(z)[:, None])
    return e / _row_sum(e)[:, None]


def _group_means(y: np.ndarray, w: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Weighted means and total weights of ``n_groups`` runs of neighbouring sorted ``y``.

    Groups of weight 0 are dropped. Returns (means, weights), weights summing to ``w.sum()``.
    """
    order = np.argsort(y, kind="stable")
    ys, ws = y[order], w[order]
    starts = np.linspace(0, ys.shape[0], n_groups, endpoint=False).astype(np.intp)
    weight = np.add.reduceat(ws, starts)
    total = np.add.reduceat(ws * ys, starts)
    keep = weight > 0
    return total[keep] / weight[keep], weight[keep]


def _weighted_quantiles(y: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    """Quantiles of ``y`` under weights ``w`` at levels ``(j - 1/2) / k``, j = 1..k.

    Each sorted value sits at the middle of its weight's share of [0, 1];
    levels in between are interpolated linearly.
    """
    order = np.argsort(y, kind="stable")
    ys, ws = y[order], w[order]
    positions = (np.cumsum(ws) - 0.5 * ws) / ws.sum()
    return np.interp((np.arange(k) + 0.5) / k, positions, ys)


def _em(
    y: np.ndarray, w: np.ndarray, log_w: np.ndarray, mu: np.ndarray, sd: np.ndarray,
    floor: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``_EM_STEPS`` steps of EM for a weighted constant mixture of Normals.

    E-step: responsibilities ``gamma_ik`` in log space; M-step: weights
    ``sum_i w_i gamma_ik``, means and variances weighted by ``w_i gamma_ik``, each
    standard deviation at least ``floor`` (the constrained M-step: a component's
    likelihood in its scale is unimodal, so its maximiser under the floor is the
    larger of the two). Stops early (keeping the last good step) if a component
    loses all its weight or its variance collapses to 0.
    """
    for _ in range(_EM_STEPS):
        log_terms = log_w - 0.5 * ((y[:, None] - mu) / sd) ** 2 - np.log(sd)
        log_gamma = _log_softmax_rows(log_terms)
        gamma = np.exp(log_gamma) * w[:, None]
        mass = gamma.sum(axis=0)
        if not (mass > 0).all():
            break
        new_mu = (gamma.T @ y) / mass
        new_var = np.einsum("ik,ik->k", gamma, (y[:, None] - new_mu) ** 2) / mass
        new_var = np.maximum(new_var, floor**2)
        if not (np.isfinite(new_var).all() and (new_var > 0).all()):
            break
        log_w, mu, sd = np.log(mass), new_mu, np.sqrt(new_var)
    return log_w, mu, sd
