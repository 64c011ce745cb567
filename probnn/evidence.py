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

:func:`fit_by_evidence` searches ``log10 alpha`` on a grid of decades from a strong prior
down (each fit starts from the previous one's weights: ``warm_start``), stops once the
evidence has fallen on :data:`PATIENCE` decades in a row after its best, then tries the
half-decades beside the best. The evidence of a family whose NLL is not convex in its raw
outputs uses the positive part of the curvature (``Family.raw_curvature``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from sklearn.base import clone

__all__ = ["DECADES", "PATIENCE", "fit_by_evidence"]

#: log10 of the prior precisions tried, strongest first (on the summed NLL's scale:
#: ``alpha`` of probnn's estimators, whose objective is ``(sum nll + alpha/2 ||W||^2) / n``)
DECADES = (3, 2, 1, 0, -1, -2, -3, -4, -5, -6)
#: decades in a row the evidence may fall below its best before the search stops
PATIENCE = 2


def _log_evidence(estimator, X, y, sample_weight) -> float:
    """The Laplace evidence of the fitted ``estimator`` at its own ``alpha`` (nats);
    -inf where the posterior cannot be formed."""
    from probnn.laplace import LaplaceApproximation

    try:
        laplace = LaplaceApproximation(estimator, prefit=True, subset="all")
        return float(laplace.fit(X, y, sample_weight=sample_weight).log_evidence_)
    except (ValueError, np.linalg.LinAlgError):
        return -math.inf


def fit_by_evidence(estimator, X, y, sample_weight=None, *,
                    decades: Sequence[float] = DECADES):  # fmt: skip
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
    decades : sequence of float
        ``log10 alpha`` values, strongest prior first (:data:`DECADES`).

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
    fits: dict[float, object] = {}
    current = clone(estimator).set_params(warm_start=True)

    def trial(log_alpha: float) -> float:
        alpha = float(10.0**log_alpha)
        if alpha not in scores:
            current.set_params(alpha=alpha)
            current.fit(X, y, sample_weight=sample_weight)
            scores[alpha] = _log_evidence(current, X, y, sample_weight)
            fits[alpha] = _frozen(current)
        return scores[alpha]

    best, behind = None, 0
    for log_alpha in decades:
        value = trial(log_alpha)
        if best is None or value > scores[10.0**best]:
            best, behind = log_alpha, 0
        else:
            behind += 1
            if behind >= PATIENCE:
                break
    if best is None or not math.isfinite(scores[10.0**best]):
        raise ValueError("no prior strength gave a finite Laplace evidence (the curvature "
                         "leaves some combination of the weights undetermined)")
    for log_alpha in (best + 0.5, best - 0.5):  # the half-decades beside the best
        # (each warm-started from the last fit: the MAP under a convex objective is one point)
        trial(log_alpha)
    chosen = max(scores, key=scores.get)
    fitted = fits[chosen]
    fitted.set_params(warm_start=estimator.get_params().get("warm_start", False))
    fitted.evidence_ = dict(sorted(scores.items(), reverse=True))
    return fitted


def _frozen(estimator):
    """A copy of the fitted ``estimator`` that later warm-started fits leave alone."""
    import copy

    return copy.deepcopy(estimator)
