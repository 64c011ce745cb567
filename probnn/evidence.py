"""The prior's strength chosen by the evidence: empirical Bayes for a probnn network.

A Gaussian prior ``N(0, alpha^-1 I)`` on the coefficients makes the fitted weights the
posterior's mode (MAP). Its strength is a modelling choice the data can make: of the
priors ``alpha``, take the one under which the data are most probable, the *evidence*
``p(D | alpha) = integral p(D | W) p(W | alpha) dW`` (type-II maximum likelihood; MacKay,
1992). The integral is the Laplace approximation's
(:class:`probnn.laplace.LaplaceApproximation`, ``log_evidence_``) at the MAP fitted *under*
that ``alpha``, so every ``alpha`` tried is a fit of its own.

Why it matters: a generalised linear model fitted with a nearly flat prior on classes that
a hyperplane separates grows its weights until the prior stops them, and a held-out row on
the wrong side then costs tens of nats (UCI iris, a categorical GLM at ``alpha = 1e-4``:
held-out NLL 1.03 nats, against 0.18 at the evidence's ``alpha``). Where the data pin the
weights down the evidence's ``alpha`` changes little.

:func:`fit_by_evidence` fits at ``alpha = 10^START``, jumps to MacKay's re-estimate of
``alpha`` from that fit (1992: ``gamma / ||w||^2``, ``gamma`` the number of well-determined
coefficients) rounded to a half-decade, then climbs the evidence by half-decades (each fit
starts from the previous one's weights: ``warm_start``) until it falls on both sides of the
best: about 4-6 fits. The evidence of a family whose NLL is not convex in its raw outputs
uses the positive part of the curvature (``Family.raw_curvature``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

__all__ = ["HIGHEST", "LOWEST", "START", "fit_by_evidence"]

#: log10 of the first prior precision tried (on the summed NLL's scale: ``alpha`` of
#: probnn's estimators, whose objective is ``(sum nll + alpha/2 ||W||^2) / n``): a unit
#: prior on the coefficients of standardised features
START = 0.0
#: the range of log10 alpha searched
LOWEST, HIGHEST = -6.0, 4.0


def _evidence_and_guess(estimator, X, y, sample_weight) -> tuple[float, float]:
    """The Laplace evidence of the fitted ``estimator`` at its own ``alpha`` (nats; -inf
    where the posterior cannot be formed) and MacKay's re-estimate of ``alpha``:
    ``gamma / ||w||^2``, ``gamma = sum_i (1 - alpha / p_i)`` over the eigenvalues ``p_i``
    of the coefficients' posterior precision (the well-determined directions; MacKay 1992,
    eq. 4.9), NaN where it cannot be formed. In row space where the rows times the outputs
    are fewer than the weights (:func:`_row_space_evidence_and_guess`: a wide table's GLM),
    else from the dense posterior (the same numbers to rounding)."""
    network = estimator.fitted_network().network
    if np.shape(X)[0] * network.layer_sizes[-1] < network.params.size:
        return _row_space_evidence_and_guess(estimator, X, y, sample_weight)
    return _dense_evidence_and_guess(estimator, X, y, sample_weight)


def _dense_evidence_and_guess(estimator, X, y, sample_weight) -> tuple[float, float]:
    """:func:`_evidence_and_guess` from the ``d x d`` posterior precision of
    :class:`probnn.laplace.LaplaceApproximation` (``n k d^2 + d^3``)."""
    from probnn.laplace import LaplaceApproximation

    try:
        laplace = LaplaceApproximation(estimator, prefit=True, subset="all")
        laplace.fit(X, y, sample_weight=sample_weight)
    except (ValueError, np.linalg.LinAlgError):
        return -math.inf, math.nan
    alpha, mask = laplace.prior_precision_, laplace.prior_mask_
    coef = laplace.map_weights_[mask]
    precision = laplace.posterior_precision_
    block = precision[np.ix_(mask, mask)] if precision.ndim == 2 else precision[mask]
    values = np.linalg.eigvalsh(block) if block.ndim == 2 else block
    gamma = float(np.sum(1.0 - alpha / values[values > 0]))
    norm = float(coef @ coef)
    guess = gamma / norm if norm > 0 and gamma > 0 else math.nan
    return float(laplace.log_evidence_), guess


def _row_space_evidence_and_guess(estimator, X, y, sample_weight) -> tuple[float, float]:
    """:func:`_evidence_and_guess` for fewer rows x outputs (``m``) than weights (``d``), in
    row space: the same quantities without a ``d x d`` matrix.

    The GGN is ``G = J^T H J``, ``J`` (m, d) the rows' Jacobians stacked and ``H`` their
    curvatures, block-diagonal (m, m; not always positive semi-definite: a family's
    curvature is the positive part of its entries). ``P = lam D + G`` over the free weights
    (``D`` 1 on the coefficients, 0 on the flat output biases) maps the span ``S`` of ``J``'s
    rows and of the flat weights' axes to itself and is ``lam I`` on its complement, so with
    ``U`` an orthonormal basis of ``S`` (``q <= m + k`` columns, by QR):

    - ``log det P = (d_free - q) log lam + log det(U^T P U)`` (q x q, by Cholesky);
    - the coefficients' block ``lam I + J_c^T H J_c`` has the eigenvalues ``lam + e``
      (``e`` those of ``J_c^T H J_c`` on the span of ``J_c``'s rows) and ``lam``, so
      MacKay's ``gamma = sum e / (lam + e)``.

    Mirrors :meth:`probnn.laplace.LaplaceApproximation.fit` with ``subset="all"``, the prior
    the estimator's ``alpha`` (its free weights, the saturated outputs' fixed weights, the
    prior on the output biases where their curvature is singular); the dense computation is
    the oracle of ``tests/test_evidence_row_space.py``. Cost: ``d m^2 + m^3`` per ``alpha``
    against ``n k d^2 + d^3``; memory ``8 m d`` bytes against ``8 d^2``.
    """
    from sklearn.utils.validation import validate_data

    from probnn._validation import check_sample_weight, weighed_rows
    from probnn.network import ggn
    from probnn.network.jacobian import output_jacobian

    try:
        view = estimator.fitted_network()
        network, family = view.network, view.training_family
        X = np.ascontiguousarray(validate_data(estimator, X, reset=False, dtype=np.float64))
        targets = np.asarray(view.training_targets(y))
        w = check_sample_weight(sample_weight, X.shape[0])
        if targets.shape[0] != X.shape[0]:
            raise ValueError("X and y must have the same number of rows")
        w, X, targets = weighed_rows(w, X, targets)  # as probnn.laplace (0 x inf is nan)
        raw, jac = output_jacobian(network, X, "all")  # (n, k), (n, k, d)
        raw = ggn.floored(raw, jac, view.scale_floor)
        hess = family.raw_curvature(raw, targets) * w[:, None, None]  # (n, k, k)
        nll_sum = float(np.dot(w, family.nll(raw, targets))) + view.log_scale * float(w.sum())
    except (ValueError, np.linalg.LinAlgError):
        return -math.inf, math.nan
    n, k, d = jac.shape
    lam = float(view.alpha)
    if lam <= 0:  # pragma: no cover - the evidence's alphas are positive
        return -math.inf, math.nan
    output_bias_curvature = hess.sum(axis=0)
    # the prior's reach and the saturated outputs' fixed weights as probnn.laplace has them
    is_coef, fixed = ggn.output_prior(network, np.arange(d), output_bias_curvature,
                                      saturation=not estimator.family_.is_classifier)
    jac[:, :, fixed] = 0.0
    flat = (np.einsum("nkd,nkd->d", jac, np.matmul(hess, jac)) > 0) & ~is_coef  # no prior
    free = is_coef | flat
    jac = jac.reshape(n * k, d)

    def projected(columns, basis):  # basis^T J^T H J basis (J's given columns), symmetric
        moved = jac[:, columns] @ basis
        inner = moved.T @ np.matmul(hess, moved.reshape(n, k, -1)).reshape(n * k, -1)
        return 0.5 * (inner + inner.T)

    # P = lam D + J^T H J (the free weights) maps the span of J's rows and of the flat
    # weights' axes (orthonormal basis U, q columns) to itself, and is lam I beside it
    on_flat = np.zeros((free.sum(), flat.sum()))  # the flat weights' axes (not eye(d): d^2)
    on_flat[np.flatnonzero(flat[free]), np.arange(flat.sum())] = 1.0
    basis, _ = np.linalg.qr(np.hstack([jac[:, free].T, on_flat]))
    inside = projected(free, basis) + lam * (np.eye(basis.shape[1])
                                              - basis[flat[free]].T @ basis[flat[free]])
    try:
        factor = np.linalg.cholesky(inside)
    except np.linalg.LinAlgError:
        return -math.inf, math.nan
    logdet = ((free.sum() - basis.shape[1]) * math.log(lam)
              + 2.0 * float(np.sum(np.log(np.diag(factor)))))
    # the coefficients' block lam I + J_c^T H J_c: eigenvalues lam + e (e those of the
    # curvature projected on the span of J_c's rows) and lam
    eigen = np.linalg.eigvalsh(projected(is_coef, np.linalg.qr(jac[:, is_coef].T)[0]))
    eigen = eigen[lam + eigen > 0]
    coef = np.asarray(network.params, dtype=np.float64)[is_coef]
    norm = float(coef @ coef)
    evidence = (-nll_sum - 0.5 * lam * norm + 0.5 * coef.size * math.log(lam)
                + 0.5 * int(flat.sum()) * math.log(2 * math.pi) - 0.5 * logdet)
    gamma = float(np.sum(eigen / (lam + eigen)))
    guess = gamma / norm if norm > 0 and gamma > 0 else math.nan
    return evidence, guess


def fit_by_evidence(estimator, X, y, sample_weight=None):
    """Fit ``estimator`` at the Gaussian prior strength ``alpha`` of largest evidence.

    Parameters
    ----------
    estimator : MLPRegressor or MLPClassifier
        Unfitted; its ``prior`` must be "gaussian" (the default) and ``prior_scale``
        unset. Small networks, or few rows: the evidence needs the ``d x d`` curvature
        of all ``d`` weights (a GLM's ``(n_features + 1) * n_outputs``), or where the rows
        times the outputs ``m`` are fewer, ``m x d`` numbers (row space).
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) (a censored target is refused)
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    fitted : estimator
        A clone of ``estimator`` fitted at the chosen ``alpha`` (its ``alpha`` attribute),
        with ``evidence_`` set to a dict ``{alpha: log evidence}`` of every fit tried.

    Raises
    ------
    ValueError
        For a prior other than a Gaussian's, a censored target, or when no ``alpha``
        gave a finite evidence (then nothing is fitted).
    """
    if getattr(estimator, "prior", "gaussian") != "gaussian" or \
            getattr(estimator, "prior_scale", None) is not None:
        raise ValueError("the evidence chooses the strength of a Gaussian prior; found prior="
                         f"{estimator.prior!r}, prior_scale={estimator.prior_scale!r}")
    if np.ndim(y) == 2 and np.shape(y)[1] == 2 and not hasattr(estimator, "classes"):
        y2 = np.asarray(y)
        if np.any(y2[:, 0] != y2[:, 1]):
            raise ValueError("the evidence needs exact targets; found a censored target")
    scores: dict[float, float] = {}
    guesses: dict[float, float] = {}
    fits: dict[float, object] = {}
    current = clone(estimator).set_params(warm_start=True)

    said: dict[float, list] = {}  # each fit's ConvergenceWarnings: only the chosen one's said

    def trial(log_alpha: float) -> float:
        alpha = float(10.0**log_alpha)
        if alpha not in scores:
            current.set_params(alpha=alpha)
            before = _counts(current)
            with warnings.catch_warnings(record=True) as caught:  # (others as filtered outside)
                warnings.simplefilter("always", ConvergenceWarning)
                current.fit(X, y, sample_weight=sample_weight)
            said[alpha] = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
            for w in caught:  # the others as they came
                if not issubclass(w.category, ConvergenceWarning):
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            scores[alpha], guesses[alpha] = _evidence_and_guess(current, X, y, sample_weight)
            fits[alpha] = _own_counts(_frozen(current), before)
        return scores[alpha]

    # a first fit at START, then MacKay's re-estimate from it (rounded to a half-decade),
    # then half-decade steps uphill until the evidence falls on both sides of the best
    trial(START)
    guess = guesses[10.0**START]
    here = START if not math.isfinite(guess) else float(
        np.clip(round(2 * math.log10(guess)) / 2, LOWEST, HIGHEST))  # fmt: skip
    trial(here)
    while True:
        best = max(scores, key=scores.get)
        here = math.log10(best)
        moves = [step for step in (here - 0.5, here + 0.5)
                 if LOWEST <= step <= HIGHEST and 10.0**step not in scores]  # fmt: skip
        if not moves:
            break
        for step in moves:
            trial(step)
        if max(scores, key=scores.get) == best:
            break
    if not math.isfinite(max(scores.values())):
        raise ValueError("no prior strength gave a finite Laplace evidence (the curvature "
                         "leaves some combination of the weights undetermined)")
    chosen = max(scores, key=scores.get)
    for w in said[chosen]:  # (another prior's fit that stopped short is not the model)
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    fitted = fits[chosen]
    fitted.set_params(warm_start=estimator.get_params().get("warm_start", False))
    fitted.evidence_ = dict(sorted(scores.items(), reverse=True))
    return fitted


def _counts(estimator) -> tuple[int, int, int]:
    """A (warm-started) estimator's iterations, samples seen and loss-curve length so far."""
    return (int(getattr(estimator, "n_iter_", 0) or 0), int(getattr(estimator, "t_", 0) or 0),
            len(getattr(estimator, "loss_curve_", None) or []))  # fmt: skip


def _own_counts(fitted, before: tuple[int, int, int]):
    """``fitted`` with the counts of its own fit, less those of the search's fits before it.

    The search warm-starts each fit from the last, and a warm start adds to the counts (as
    scikit-learn's do): the chosen fit's ``n_iter_`` would be the sum over every fit tried
    up to it, reported against one fit's budget ("converged after 401 iterations (budget
    200)"). The returned estimator is one fit at the chosen ``alpha``, from the weights of the
    fit before it: its iterations, samples and loss curve are that fit's.
    """
    n_iter, t, curve = before
    fitted.n_iter_ = int(fitted.n_iter_) - n_iter
    fitted.t_ = int(fitted.t_) - t
    fitted.loss_curve_ = list(fitted.loss_curve_)[curve:]
    return fitted


def _frozen(estimator):
    """A copy of the fitted ``estimator`` that later warm-started fits leave alone."""
    import copy

    return copy.deepcopy(estimator)
