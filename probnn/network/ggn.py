"""A Gaussian over a fitted network's weights: curvature, evidence, linearised predictive.

The pieces the Laplace approximation is made of, for any caller above the network layer:
:class:`probnn.laplace.LaplaceApproximation` (a wrapper, any subset of the weights) and
:class:`probnn.MLPRegressor`'s own last-layer predictive (``predictive="auto"``,
:mod:`probnn.estimators._last_layer`). The formulas are :mod:`probnn.laplace`'s docstring's:

- the generalised Gauss-Newton matrix ``G = sum_i w_i J_i^T H_i J_i`` (:func:`curvature`),
  ``J_i = d raw_i / d theta`` (:func:`~probnn.network.jacobian.output_jacobian`), ``H_i`` the
  family's raw-space curvature;
- the posterior precision ``P = G + lambda D`` over the weights with curvature or a prior
  (:func:`free_weights`, :func:`precision`), ``D`` 1 on the coefficients;
- the Laplace evidence ``log Z(lambda)`` (:func:`log_evidence`) and its maximiser by Brent's
  method on ``log lambda`` (:func:`evidence_precision`);
- the linearised predictive: raw outputs ``N(f(x; theta*), J Sigma J^T)``
  (:func:`raw_moments`), a location-scale law widened by its location's variance
  (:func:`location_sd`, :func:`widened`).

Families and distributions are used through their public methods only (``raw_curvature``,
``nll``, ``distribution``, ``mean``).
"""

from __future__ import annotations

import math
from typing import Callable, Iterator

import numpy as np
from scipy.linalg import LinAlgError, cho_factor
from scipy.optimize import minimize_scalar

from probnn.network.jacobian import output_jacobian, parameter_index

__all__ = ["curvature", "evidence_precision", "floored", "free_weights", "last_layer_curvature",
           "last_layer_moments", "location_grad", "location_sd", "log_evidence", "precision",
           "rank_deficient", "raw_moments",
           "row_chunks", "widened", "EVIDENCE_BOUNDS"]  # fmt: skip

Array = np.ndarray

# Jacobian chunks: at most this many float64 entries (rows x outputs x weights) at once.
CHUNK_ENTRIES = 2**22
# The search range of the evidence's lambda, in log lambda (summed-NLL scale).
EVIDENCE_BOUNDS = (math.log(1e-6), math.log(1e6))


def row_chunks(n: int, per_row: int) -> Iterator[slice]:
    """Slices of ``range(n)`` of at most ``CHUNK_ENTRIES // per_row`` rows (at least 1)."""
    step = max(1, CHUNK_ENTRIES // max(per_row, 1))
    for start in range(0, n, step):
        yield slice(start, min(n, start + step))


def floored(raw: Array, jac: Array | None, floor: float | None) -> Array:
    """``raw`` (n, k) or draws (s, n, k) with the scale output (column 1) at least ``floor``
    (a tiny table's regressor, as its ``_raw``; None: no floor); where the floor holds the
    output is flat in the weights, so ``jac`` (n, k, p)'s row 1 is zeroed in place (the
    linearisation of ``max(f, floor)``)."""
    if floor is None:
        return raw
    below = raw[..., 1] < floor
    raw[..., 1][below] = floor
    if jac is not None:
        jac[below, 1, :] = 0.0
    return raw


def curvature(network, X: Array, targets: Array, weights: Array, family, subset: str,
              diagonal: bool = False, floor: float | None = None) -> tuple[Array, Array, float]:
    """The GGN over ``subset``'s weights, summed over the rows.

    Parameters
    ----------
    network : MLP
    X : ndarray of shape (n, n_features), float64
    targets : ndarray of shape (n,) or (n, k)
        What ``family`` scores (a regressor's standardised target).
    weights : ndarray of shape (n,)
        Row weights.
    family : Family
        Raw outputs -> the training likelihood (``raw_curvature``, ``nll``).
    subset : {"last-layer", "all"}
    diagonal : bool
        Keep the GGN's diagonal only.
    floor : float or None
        The scale output's floor (:func:`floored`).

    Returns
    -------
    ggn : ndarray of shape (d, d), or (d,) when ``diagonal``
    output_bias_curvature : ndarray of shape (k, k)
        ``sum_i w_i H_i``: the output biases' block.
    nll_sum : float
        ``sum_i w_i nll_i`` at the fitted weights, in the family's units.
    """
    d = parameter_index(network, subset).size
    k = network.layer_sizes[-1]
    ggn = np.zeros(d) if diagonal else np.zeros((d, d))
    output_bias_curvature = np.zeros((k, k))
    nll_sum = 0.0
    for rows in row_chunks(X.shape[0], k * d):
        raw, jac = output_jacobian(network, X[rows], subset)
        raw = floored(raw, jac, floor)  # the function the estimator predicts
        hess = family.raw_curvature(raw, targets[rows]) * weights[rows, None, None]
        output_bias_curvature += hess.sum(axis=0)
        hj = np.matmul(hess, jac)
        if diagonal:
            ggn += np.einsum("nkp,nkp->p", jac, hj)
        else:
            ggn += jac.reshape(-1, d).T @ hj.reshape(-1, d)
        nll_sum += float(np.dot(weights[rows], family.nll(raw, targets[rows])))
    return ggn, output_bias_curvature, nll_sum


def _features(network, X: Array) -> tuple[Array, Array]:
    """The output layer's inputs with a 1 appended, ``phi`` (n, p), and the raw outputs (n, k),
    float64: ``raw = phi @ [W; b]``, so ``d raw_j / d [W; b][a, b] = phi_a [b == j]``."""
    h = np.asarray(network._check_X(X), dtype=np.float64)
    for W, b in zip(network.coefs[:-1], network.intercepts[:-1]):
        h = network._act.forward(h @ np.asarray(W, dtype=np.float64) + np.asarray(b, np.float64))
    phi = np.column_stack([h, np.ones(h.shape[0])])
    last = np.vstack([np.asarray(network.coefs[-1], np.float64),
                      np.asarray(network.intercepts[-1], np.float64)[None]])  # fmt: skip
    return phi, phi @ last


def last_layer_curvature(network, X: Array, targets: Array, weights: Array, family,
                         floor: float | None = None) -> tuple[Array, Array, float]:
    """:func:`curvature` of the output layer's weights, by its structure: ``J_i = I_k (x)
    phi_i^T`` (``phi_i`` the output layer's inputs and a 1, so the GGN's block of outputs
    ``(j, l)`` is ``Phi^T diag(w H_jl) Phi``, one product per pair; the same matrix as
    ``curvature(network, X, ..., "last-layer")``, in ``n k^2 p^2`` multiply-adds without
    the per-row Jacobian."""
    phi, raw = _features(network, X)
    n, p = phi.shape
    k = raw.shape[1]
    below = None if floor is None else raw[:, 1] < floor
    raw = floored(raw, None, floor)
    hess = family.raw_curvature(raw, targets) * weights[:, None, None]
    output_bias_curvature = hess.sum(axis=0)  # (as curvature's: every row's H)
    if below is not None:  # the floored scale output is flat in the weights
        hess[below, 1, :] = 0.0
        hess[below, :, 1] = 0.0
    ggn = np.empty((p, k, p, k))
    for j in range(k):
        for m in range(k):
            ggn[:, j, :, m] = phi.T @ (phi * hess[:, j, m][:, None])
    nll_sum = float(np.dot(weights, family.nll(raw, targets)))
    return ggn.reshape(p * k, p * k), output_bias_curvature, nll_sum


def last_layer_moments(network, X: Array, covariance: Array,
                       floor: float | None = None) -> tuple[Array, Array]:
    """:func:`raw_moments` of the output layer's weights (``covariance`` (d, d)) by the same
    structure: ``C_jl(x) = phi^T Sigma_jl phi``."""
    phi, raw = _features(network, X)
    n, p = phi.shape
    k = raw.shape[1]
    below = None if floor is None else raw[:, 1] < floor
    raw = floored(raw, None, floor)
    blocks = covariance.reshape(p, k, p, k)
    cov = np.empty((n, k, k))
    for j in range(k):
        for m in range(k):
            cov[:, j, m] = np.einsum("na,na->n", phi @ blocks[:, j, :, m], phi)
    if below is not None:
        cov[below, 1, :] = 0.0
        cov[below, :, 1] = 0.0
    return raw, cov


# An output whose bias has a summed curvature below this (the precision the rows give it: a
# flat prior's posterior sd above one unit of its raw output, a logit or a log-rate) is not
# determined by the rows, and where it is its maximum lies at a boundary (a hurdle's zero head
# on counts with no zero: n P(0) (1 - P(0)) ~ 1e-6), a Gaussian at the mode is no
# approximation: with a flat prior on its bias half the Monte Carlo draws put P(0) above 1/2
# (the plug-in fit: 2.5e-9), with the prior's variance on its weights still 0.07. Such an
# output's own output-layer weights stay at their fitted values.
SATURATED_CURVATURE = 1.0


def fixed_saturated(network, index: Array, bias_curvature: Array) -> Array:
    """Which of the weights ``index`` (positions in ``network.params``) feed a saturated output
    directly (its output-layer coefficients and bias), (len(index),) bool: those the posterior
    leaves at their fitted values (:data:`SATURATED_CURVATURE`); none where every output is
    saturated. For a regression family's extra heads (a hurdle's zero, an inflation, a
    dispersion): a classifier's logits on separable rows are saturated too, and there the
    prior with the probit predictive is the remedy, so :mod:`probnn.laplace` does not ask."""
    k = network.layer_sizes[-1]
    saturated = saturated_outputs(bias_curvature)
    if not saturated.any():
        return np.zeros(index.size, dtype=bool)
    # params: every layer's coefficients (row-major (fan_in, fan_out)), then every bias
    coef_start = network.n_coef_params - network.layer_sizes[-2] * k
    head = np.full(network.params.size, -1)
    head[coef_start:network.n_coef_params] = np.arange(network.n_coef_params - coef_start) % k
    head[network.params.size - k:] = np.arange(k)
    heads = head[index]
    return (heads >= 0) & saturated[np.maximum(heads, 0)]


def saturated_outputs(bias_curvature: Array) -> Array:
    """Which outputs are saturated (:data:`SATURATED_CURVATURE`), (k,) bool; none where every
    output is (nothing left to widen, as before)."""
    saturated = np.diag(bias_curvature) < SATURATED_CURVATURE
    return saturated if not saturated.all() else np.zeros_like(saturated)


def output_prior(network, index: Array, bias_curvature: Array,
                 saturation: bool = True) -> tuple[Array, Array]:
    """Which of the weights ``index`` the Gaussian prior covers and which stay fixed.

    Parameters
    ----------
    network : the fitted network
    index : ndarray of shape (d,)
        The weights' positions in ``network.params``.
    bias_curvature : ndarray of shape (k, k)
        The output biases' summed curvature.
    saturation : bool
        Whether a saturated output's weights stay fixed (:func:`fixed_saturated`; a regression
        family's extra heads, not a classifier's logits).

    Returns
    -------
    is_coef : ndarray of shape (d,), bool
        Every weight but the output layer's biases (their prior is flat), and those too where
        the outputs left are determined only up to a direction (softmax: a constant added to
        every logit); never a fixed weight.
    fixed : ndarray of shape (d,), bool
    """
    k = network.layer_sizes[-1]
    is_coef = index < network.params.size - k
    fixed = (fixed_saturated(network, index, bias_curvature) if saturation
             else np.zeros(index.size, dtype=bool))  # fmt: skip
    # the direction a saturated output's bias leaves undetermined is its own, and its weights
    # are fixed: the other outputs' biases keep their flat prior (a prior on a count head's
    # bias, log-mean ~ 1-5, cost the evidence lam b^2 / 2 and pulled lam down)
    kept = ~saturated_outputs(bias_curvature) if fixed.any() else np.ones(k, dtype=bool)
    if rank_deficient(np.asarray(bias_curvature)[np.ix_(kept, kept)]):
        is_coef[:] = True
    return is_coef & ~fixed, fixed


def without(ggn: Array, fixed: Array) -> Array:
    """``ggn`` ((d, d), or its diagonal (d,)) with the ``fixed`` weights' rows and columns 0."""
    ggn = np.array(ggn, dtype=np.float64)
    ggn[fixed] = 0.0
    if ggn.ndim == 2:
        ggn[:, fixed] = 0.0
    return ggn


def rank_deficient(matrix: Array) -> bool:
    """Whether a symmetric positive semi-definite matrix is singular to rounding."""
    values = np.linalg.eigvalsh(matrix)
    return not values[0] > 1e-10 * max(values[-1], 0.0)


def free_weights(ggn: Array, is_coef: Array, lam: float) -> Array:
    """The weights the posterior is over at ``lam``: those with curvature or a prior, (d,) bool.

    A weight that moves no training row's output (a bias of a hidden unit that is never
    active) and has a flat prior has no posterior; it stays at its fitted value.
    """
    diag = ggn if ggn.ndim == 1 else np.diag(ggn)
    return (diag > 0) | (is_coef & (lam > 0))


def precision(ggn: Array, is_coef: Array, lam: float) -> Array:
    """``P = G + lam D`` restricted to :func:`free_weights` (its diagonal for a diagonal ``G``)."""
    free = free_weights(ggn, is_coef, lam)
    prior = lam * is_coef[free].astype(np.float64)
    if ggn.ndim == 1:
        return ggn[free] + prior
    return ggn[np.ix_(free, free)] + np.diag(prior)


def log_evidence(ggn: Array, is_coef: Array, map_weights: Array, nll_sum: float,
                 lam: float) -> float:
    """The Laplace evidence at prior precision ``lam``, in nats (``probnn.laplace``'s formula;
    -inf where ``P`` is not positive definite)."""
    p = precision(ggn, is_coef, lam)
    if p.ndim == 1:
        if not np.all(p > 0):  # pragma: no cover - free_weights keeps positive ones
            return -math.inf
        logdet = float(np.sum(np.log(p)))
    else:
        try:
            factor, _ = cho_factor(p, lower=True)
        except LinAlgError:
            return -math.inf
        logdet = 2.0 * float(np.sum(np.log(np.diag(factor))))
    coef = map_weights[is_coef]
    n_free = int(free_weights(ggn, is_coef, lam).sum())
    if lam > 0:
        prior = -0.5 * lam * float(coef @ coef) + 0.5 * coef.size * math.log(lam)
        n_flat = n_free - coef.size
    else:  # lambda = 0: the coefficients' prior is flat too (density 1)
        prior, n_flat = 0.0, n_free
    return -nll_sum + prior + 0.5 * n_flat * math.log(2 * math.pi) - 0.5 * logdet


def evidence_precision(evidence_at: Callable[[float], float]) -> float:
    """The ``lambda`` in ``[1e-6, 1e6]`` of largest ``evidence_at(lambda)``: Brent's method on
    ``log lambda`` (``xatol`` 1e-4)."""
    result = minimize_scalar(lambda t: -evidence_at(math.exp(t)), bounds=EVIDENCE_BOUNDS,
                             method="bounded", options={"xatol": 1e-4})  # fmt: skip
    return math.exp(result.x)


def raw_moments(network, X: Array, covariance: Array, subset: str,
                floor: float | None = None) -> tuple[Array, Array]:
    """Raw outputs at the fitted weights (n, k), float64, and their linearised covariance
    ``J Sigma J^T`` (n, k, k); ``covariance`` is ``Sigma`` (d, d), or its diagonal (d,)."""
    k = network.layer_sizes[-1]
    means, covs = [], []
    for rows in row_chunks(X.shape[0], k * covariance.shape[0]):
        raw, jac = output_jacobian(network, X[rows], subset)
        raw = floored(np.array(raw, dtype=np.float64), jac, floor)
        js = jac * covariance if covariance.ndim == 1 else jac @ covariance
        means.append(raw)
        covs.append(np.einsum("nkp,nlp->nkl", js, jac))
    return np.concatenate(means), np.concatenate(covs)


def location_grad(family, raw: Array, what: str) -> Array:
    """``g = d <what> / d raw`` of ``family``'s distribution (``what`` "loc" or "mean"), (n, k)."""

    def value(r):
        return np.asarray(family.distribution(r).loc if what == "loc" else family.mean(r),
                          dtype=np.float64)  # fmt: skip

    # central differences: the family exposes no derivative of its parameters; loc and the
    # mean of the registry's location-scale families are linear in raw (exact here)
    step = 1e-4 * np.maximum(1.0, np.abs(raw))
    grad = np.empty_like(raw)
    for j in range(raw.shape[1]):
        shift = np.zeros_like(raw)
        shift[:, j] = step[:, j]
        grad[:, j] = (value(raw + shift) - value(raw - shift)) / (2 * step[:, j])
    return grad


def location_sd(family, raw: Array, cov: Array) -> Array:
    """``sqrt(g^T C g)``, ``g = d loc / d raw``, (n,), finite wherever it is a float: ``g`` is
    divided by its largest entry first (a target in units of 1e200 gives g ~ 1e200, whose
    square overflows; units of 1e-200, one that underflows to 0)."""
    grad = location_grad(family, raw, "loc")
    size = np.max(np.abs(grad), axis=1)
    unit = grad / np.where(size > 0, size, 1.0)[:, None]
    # C is positive semi-definite: a negative quadratic form is rounding
    return size * np.sqrt(np.maximum(np.einsum("nk,nkl,nl->n", unit, cov, unit), 0.0))


def widened(dist, extra_sd: Array):
    """``dist`` (Normal, Laplace, Student-t) with each scale widened so that its variance
    grows by ``extra_sd^2`` (where the variance is infinite: the scale's square does).

    The variance is ``c scale^2`` (``c`` the variance of the same law at scale 1), so the
    widened scale is ``sqrt(scale^2 + extra_sd^2 / c) = hypot(scale, extra_sd / sqrt(c))``:
    no square is formed, so scales near 1e200 or 1e-200 neither overflow nor underflow.
    """
    from probnn.distributions import Laplace, Normal, StudentT

    scale = np.asarray(dist.scale, dtype=np.float64)
    loc = np.asarray(dist.loc, dtype=np.float64)
    if isinstance(dist, Normal):
        unit = Normal(np.zeros_like(loc), np.ones_like(scale))
    elif isinstance(dist, Laplace):
        unit = Laplace(np.zeros_like(loc), np.ones_like(scale))
    else:
        df = np.asarray(dist.df, dtype=np.float64)
        unit = StudentT(df, loc=np.zeros_like(loc), scale=np.ones_like(scale))
    unit_variance = np.asarray(unit.variance, dtype=np.float64)
    per_scale = np.sqrt(np.where(np.isfinite(unit_variance), unit_variance, 1.0))
    scale = np.hypot(scale, extra_sd / per_scale)
    if isinstance(dist, Normal):
        return Normal(loc, scale)
    if isinstance(dist, Laplace):
        return Laplace(loc, scale)
    return StudentT(df, loc=loc, scale=scale)
