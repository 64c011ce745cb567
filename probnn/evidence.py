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

import numpy as np
from sklearn.base import clone

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
    eq. 4.9), NaN where it cannot be formed."""
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


def fit_by_evidence(estimator, X, y, sample_weight=None):
    """Fit ``estimator`` at the Gaussian prior strength ``alpha`` of largest evidence.

    Parameters
    ----------
    estimator : MLPRegressor or MLPClassifier
        Unfitted; its ``prior`` must be "gaussian" (the default) and ``prior_scale``
        unset. Small networks only: the evidence needs the ``d x d`` curvature of all
        ``d`` weights (a GLM's ``(n_features + 1) * n_outputs``).
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

    def trial(log_alpha: float) -> float:
        alpha = float(10.0**log_alpha)
        if alpha not in scores:
            current.set_params(alpha=alpha)
            current.fit(X, y, sample_weight=sample_weight)
            scores[alpha], guesses[alpha] = _evidence_and_guess(current, X, y, sample_weight)
            fits[alpha] = _frozen(current)
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
    fitted = fits[chosen]
    fitted.set_params(warm_start=estimator.get_params().get("warm_start", False))
    fitted.evidence_ = dict(sorted(scores.items(), reverse=True))
    return fitted


def _frozen(estimator):
    """A copy of the fitted ``estimator`` that later warm-started fits leave alone."""
    import copy

    return copy.deepcopy(estimator)
