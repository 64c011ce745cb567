"""The Laplace approximation: a Gaussian over a fitted network's weights, and its evidence.

A network fitted by maximum a posteriori knows how noisy ``y`` is (the spread of its
predicted distribution, the aleatoric part) but not how unsure it is of its own weights
(the epistemic part). :class:`LaplaceApproximation` puts a Gaussian over the chosen weights
``theta`` (the output layer's, or all), centred at the fitted ones ``theta*``, with precision

    P = sum_i w_i J_i^T H_i J_i + lambda D,

where ``J_i = d raw_i / d theta`` (:func:`probnn.network.jacobian.output_jacobian`),
``H_i`` the curvature of row ``i``'s NLL in raw space (:meth:`Family.raw_curvature`: the
family's own second derivatives, their positive part), ``w_i`` the row's sample weight and
``D`` the diagonal that is 1 on the coefficients and 0 on the output layer's biases: the
prior is ``N(0, lambda^-1 I)`` on the coefficients and flat on the output biases, on the
scale of the summed NLL (with ``subset="all"`` the hidden layers' biases, which training
leaves unpenalised, get the Gaussian prior too: flat, a hidden relu unit active on every
training row would move the outputs exactly as the output bias does, and the posterior
would be improper). That is the generalised Gauss-Newton matrix: for a family whose NLL is convex in
the raw outputs and a network linear in ``theta`` (no hidden layer) it is the exact Hessian.

The predictive is linearised: the raw outputs ``f(x; theta)`` are Gaussian to first order
in ``theta``, mean ``f(x; theta*)`` and covariance ``C(x) = J(x) Sigma J(x)^T`` with
``Sigma = P^-1``, then pushed through the family (:meth:`LaplaceApproximation.predict_dist`).

The evidence (marginal likelihood) of the Laplace approximation, in nats,

    log Z = -sum_i w_i nll_i(theta*) - lambda / 2 ||W*||^2 + (d_W / 2) log lambda
            + (d_b / 2) log(2 pi) - 1/2 log det P,

(``W`` the ``d_W`` weights with the Gaussian prior) counts the flat prior on the ``d_b``
output biases as density 1 (an improper prior: ``log Z`` is
then defined up to that choice, and comparable between values of ``lambda``). A regressor
that standardised its target is scored in ``y``'s units (``+ log target_scale_`` per row).

Sits beside :mod:`probnn.calibration`, above the estimators: it reads a fitted estimator
through :meth:`~probnn.estimators.MLPRegressor.fitted_network` (the network, its families, the
target map and the prior: :class:`probnn.estimators._base.FittedNetwork`) and
:meth:`~probnn.estimators.MLPRegressor.encode_target`, never its private attributes.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.special import xlogy
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from probnn._validation import (InstanceOf, Options, check_params, check_sample_weight, make_rng,
                                weighed_rows, weighted_mean)
from probnn.estimators._state import register_state
from probnn.network import ggn as _ggn
from probnn.network.ggn import widened as _widened

__all__ = ["LaplaceApproximation", "FULL_MATRIX_BYTES"]

Array = np.ndarray

# The largest posterior covariance (float64, n_weights^2 * 8 bytes) hessian="ggn" builds:
# 2 GiB is a 16,384-weight subset. Beyond it hessian="ggn-diag" keeps one number per weight.
FULL_MATRIX_BYTES = 2**31


def _is_classifier(estimator) -> bool:
    return bool(estimator.estimator_.family_.is_classifier)


def _view(estimator):
    """The wrapped estimator's :class:`~probnn.estimators._base.FittedNetwork`."""
    return estimator.estimator_.fitted_network()


@register_state
class LaplaceApproximation(BaseEstimator):
    """A fitted probnn network with a Gaussian posterior over its weights (Laplace).

    A meta-estimator like scikit-learn's ``CalibratedClassifierCV``: :meth:`fit` fits the
    wrapped :class:`~probnn.MLPRegressor` or :class:`~probnn.MLPClassifier` (or takes it
    fitted, ``prefit=True``), then the posterior over the chosen weights (see the module's
    docstring for the formulas), and predicts by integrating over it.

    Parameters
    ----------
    estimator : MLPRegressor or MLPClassifier, default=None
        The network to wrap; None: ``MLPRegressor()``.
    subset : {"last-layer", "all"}, default="last-layer"
        The weights the posterior is over; the others stay at their fitted values.
        "last-layer" (the output layer's ``(n_hidden + 1) * n_outputs`` weights) suits
        any network; "all" small ones.
    hessian : {"ggn", "ggn-diag"}, default="ggn"
        "ggn": the full generalised Gauss-Newton matrix, ``8 * d^2`` bytes for ``d``
        weights (refused beyond ``FULL_MATRIX_BYTES``, 2 GiB, naming the size); "ggn-diag":
        its diagonal only (``8 * d`` bytes, weights independent a posteriori).
    prior_precision : float >= 0, "evidence" or None, default=None
        ``lambda`` of the prior ``N(0, lambda^-1 I)`` on the coefficients, on the scale of
        the summed NLL. None: the estimator's own Gaussian prior, ``lambda = alpha`` (its
        objective is ``(sum_i w_i nll_i + alpha / 2 ||W||^2) / sum_i w_i``, so the MAP
        fit is the posterior mode for that lambda). "evidence": the lambda that maximises
        the Laplace evidence, by Brent's method on ``log lambda`` in ``[1e-6, 1e6]`` with
        the curvature at the fitted weights.
    predictive : {"auto", "linear", "mc"}, default="auto"
        How the Gaussian over the raw outputs becomes a distribution of ``y``. "linear"
        (what "auto" picks where it exists): for regressors whose predicted distribution
        is a Normal, Laplace or Student-t, the same distribution with its scale widened so
        that its variance grows by the variance of the location (exact for a Normal);
        for classifiers with "binary" or "classes" support the probit approximation
        (MacKay 1992; Lu, Ie and Sha 2020 for classes): logits ``mu_j / sqrt(1 + pi/8
        C_jj)``, a softmax's taken centred (their mean over classes subtracted, which no
        class probability depends on). "mc": Monte Carlo over the raw outputs
        (``n_samples`` draws): a regressor's ``Mixture`` of the family's distributions, a
        classifier's mean class probabilities. "auto" falls back to "mc" where "linear"
        does not exist.
    n_samples : int >= 1, default=100
        Draws of the raw outputs for "mc" and for a classifier's entropy split.
    random_state : None, int or Generator, default=None
    prefit : bool, default=False
        ``estimator`` is already fitted: :meth:`fit` only computes the posterior.

    Attributes
    ----------
    estimator_ : MLPRegressor or MLPClassifier
        The fitted network (``estimator`` itself with ``prefit=True``).
    prior_precision_ : float
        The lambda used.
    log_evidence_ : float
        The Laplace evidence at ``prior_precision_``, in nats (see the module's docstring).
    n_weights_ : int
        ``d``, the number of weights the posterior is over.
    posterior_precision_ : ndarray of shape (d, d) or (d,)
        ``P`` (its diagonal for "ggn-diag"); rows and columns of weights with neither
        curvature nor a prior (a bias of a hidden unit no training row activates) are 0:
        those weights stay at their fitted values.
    prior_mask_ : ndarray of bool, shape (d,)
        The weights the Gaussian prior covers: all but the output layer's biases, or all
        where the summed curvature leaves a direction of the output biases flat (a softmax's
        logits, determined only up to a constant).
    map_weights_ : ndarray of shape (d,)
        ``theta*``, float64.
    classes_ : ndarray
        Classifiers: the wrapped estimator's classes.

    Notes
    -----
    The curvature is that of the training likelihood: a regressor's family at its
    estimated parameters, on the standardised target; a classifier's sample weights are
    those given to :meth:`fit` (``class_weight`` is not applied). A regressor's recalibrated
    ``scale_factor_`` widens the predicted distribution before the epistemic part is added.
    """

    _parameter_constraints = {
        "estimator": [Options(None), InstanceOf(BaseEstimator, "a probnn estimator")],
        "subset": [Options("last-layer", "all")],
        "hessian": [Options("ggn", "ggn-diag")],
        "prior_precision": [Options(None, "evidence"),
                            InstanceOf(numbers.Real, "a number >= 0",
                                       test=lambda v: v >= 0 and math.isfinite(v))],
        "predictive": [Options("auto", "linear", "mc")],
        "n_samples": [InstanceOf(numbers.Integral, "an integer >= 1", test=lambda v: v >= 1)],
        "prefit": [Options(True, False)],
    }  # fmt: skip

    def __init__(self, estimator=None, subset="last-layer", hessian="ggn",
                 prior_precision=None, predictive="auto", n_samples=100,
                 random_state=None, prefit=False):  # fmt: skip
        self.estimator = estimator
        self.subset = subset
        self.hessian = hessian
        self.prior_precision = prior_precision
        self.predictive = predictive
        self.n_samples = n_samples
        self.random_state = random_state
        self.prefit = prefit

    def _validate_params(self) -> None:
        """Check every setting against :attr:`_parameter_constraints` (``ValueError``)."""
        params = {k: v for k, v in self.get_params(deep=False).items()
                  if k not in ("random_state",)}  # fmt: skip
        check_params(params, self._parameter_constraints, type(self).__name__)

    # ------------------------------------------------------------------ fit
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None):
        """Fit the network (unless ``prefit``), then the posterior over its weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) (or (n_samples, k) multi-label)
        sample_weight : array-like of shape (n_samples,), optional
            Passed to the estimator's ``fit``; row ``i``'s curvature and NLL count ``w_i`` times.

        Returns
        -------
        self
        """
        self._validate_params()
        if self.estimator is None:
            from probnn.estimators import MLPRegressor

            base = MLPRegressor()
        else:
            base = self.estimator
        if not hasattr(base, "fitted_network"):
            raise ValueError(
                "LaplaceApproximation needs a probnn MLPRegressor or MLPClassifier (a network "
                f"fitted by probnn); found {type(base).__name__}"
            )
        if self.prefit:
            check_is_fitted(base, "coefs_")
            fitted = base
        else:
            fitted = clone(base)
            fitted.fit(X, y, sample_weight=sample_weight)
        self.estimator_ = fitted
        view = fitted.fitted_network()
        network = view.network
        self.n_features_in_ = network.layer_sizes[0]
        X = np.ascontiguousarray(validate_data(fitted, X, reset=False, dtype=np.float64))
        family, log_scale = view.training_family, view.log_scale
        targets = np.asarray(view.training_targets(y))
        w = check_sample_weight(sample_weight, X.shape[0])
        if targets.shape[0] != X.shape[0]:
            raise ValueError(
                f"X and y must have the same number of rows; found {X.shape[0]} and "
                f"{targets.shape[0]}"
            )
        w, X, targets = weighed_rows(w, X, targets)  # (0 x an infinite NLL is nan)

        from probnn.network.jacobian import parameter_index

        index = parameter_index(network, self.subset)
        d = index.size
        diagonal = self.hessian == "ggn-diag"
        self._check_memory(d, diagonal)
        # sum_i w_i J_i^T H_i J_i, and sum_i w_i H_i: the output biases' block
        curvature, output_bias_curvature, nll_sum = _ggn.curvature(
            network, X, targets, w, family, self.subset, diagonal, view.scale_floor)
        nll_sum += log_scale * float(w.sum())
        self.map_weights_ = np.asarray(network.params[index], dtype=np.float64)
        # the prior covers every weight but the output layer's biases (flat): a flat prior
        # on a hidden bias would leave the posterior improper wherever a relu unit is active
        # on every training row (its bias then moves the outputs as the output bias does);
        # a saturated output's own weights stay at their fitted values (not a classifier's)
        self._is_coef, fixed = _ggn.output_prior(network, index, output_bias_curvature,
                                                 saturation=not _is_classifier(self))
        if fixed.any():
            curvature = _ggn.without(curvature, fixed)
        self.prior_mask_ = self._is_coef
        self._curvature, self._nll_sum = curvature, nll_sum
        self.n_weights_ = d
        if self.prior_precision == "evidence":
            lam = _ggn.evidence_precision(self._log_evidence)
        elif self.prior_precision is None:
            lam = self._prior_from_estimator()
        else:
            lam = float(self.prior_precision)
        self.prior_precision_ = lam
        self.log_evidence_ = self._log_evidence(lam)
        free = self._free(lam)
        precision = self._set_precision(lam)
        if diagonal:
            self._covariance = np.zeros(d)
            self._covariance[free] = 1.0 / precision
        else:
            sigma = cho_solve(self._cholesky(precision), np.eye(precision.shape[0]))
            self._covariance = np.zeros((d, d))
            self._covariance[np.ix_(free, free)] = 0.5 * (sigma + sigma.T)
        if _is_classifier(self):
            self.classes_ = fitted.classes_
        return self

    def _set_precision(self, lam: float) -> Array:
        """``posterior_precision_`` at ``lam`` (zeros outside :meth:`_free`); returns ``P``
        restricted to the free weights."""
        free, precision = self._free(lam), self._precision(lam)
        self.posterior_precision_ = np.zeros(self._curvature.shape)
        if self._curvature.ndim == 1:
            self.posterior_precision_[free] = precision
        else:
            self.posterior_precision_[np.ix_(free, free)] = precision
        return precision

    def _prior_from_estimator(self) -> float:
        view = _view(self)
        prior, alpha = view.prior, view.alpha
        if prior not in (None, "gaussian"):
            raise ValueError(
                f"prior_precision=None maps the estimator's Gaussian prior to lambda; found "
                f"prior={prior!r} (give prior_precision as a number or 'evidence')"
            )
        return float(alpha)

    @staticmethod
    def _check_memory(d: int, diagonal: bool) -> None:
        need = 8 * d * d
        if not diagonal and need > FULL_MATRIX_BYTES:
            raise ValueError(
                f"hessian='ggn' over {d:,} weights needs a {need / 2**30:.1f} GiB posterior "
                f"matrix (8 * d^2 bytes), more than FULL_MATRIX_BYTES = "
                f"{FULL_MATRIX_BYTES / 2**30:.0f} GiB; use subset='last-layer' or "
                "hessian='ggn-diag' (8 * d bytes)"
            )

    def _free(self, lam: float) -> Array:
        """The weights the posterior is over at ``lam`` (:func:`probnn.network.ggn.free_weights`)."""
        return _ggn.free_weights(self._curvature, self._is_coef, lam)

    def _precision(self, lam: float) -> Array:
        """``P`` restricted to :meth:`_free` (its diagonal for "ggn-diag")."""
        return _ggn.precision(self._curvature, self._is_coef, lam)

    def _cholesky(self, precision: Array):
        try:
            return cho_factor(precision, lower=True)
        except LinAlgError:
            raise ValueError(
                "the posterior precision is not positive definite: the data and the prior "
                f"(prior_precision_={self.prior_precision_!r}) leave some combination of the "
                "weights undetermined; give a larger prior_precision or 'evidence'"
            ) from None

    def _log_evidence(self, lam: float) -> float:
        """The Laplace evidence (module docstring) at prior precision ``lam``, in nats."""
        return _ggn.log_evidence(self._curvature, self._is_coef, self.map_weights_,
                                 self._nll_sum, lam)  # fmt: skip

    # ------------------------------------------------------------ predictive
    def _raw_moments(self, X) -> tuple[Array, Array]:
        """Raw outputs at the fitted weights (n, k) and their linearised covariance (n, k, k)."""
        check_is_fitted(self, "posterior_precision_")
        est = self.estimator_
        X = np.ascontiguousarray(validate_data(est, X, reset=False, dtype=np.float64))
        view = _view(self)
        return _ggn.raw_moments(view.network, X, self._covariance, self.subset, view.scale_floor)

    def _floored(self, raw: Array, jac: Array | None = None) -> Array:
        """``raw`` (n, k) or draws (s, n, k) with the scale output (column 1) at least the
        estimator's ``scale_floor`` (a tiny table's regressor), as its own ``_raw``; where the
        floor holds, the output is flat in the weights, so ``jac`` (n, k, p)'s row 1 is
        zeroed in place (the linearisation of ``max(f, floor)``)."""
        return _ggn.floored(raw, jac, _view(self).scale_floor)

    def _raw_samples(self, mean: Array, cov: Array) -> Array:
        """``n_samples`` draws of the raw outputs, shape (n_samples, n, k).

        Every row transforms the same ``n_samples`` standard normal vectors by its own
        covariance (common random numbers): a row's draws, and so its prediction, do not
        depend on the other rows of the call (``probnn predict`` in batches gives the same).
        """
        values, vectors = np.linalg.eigh(cov)
        root = vectors * np.sqrt(np.maximum(values, 0.0))[:, None, :]
        rng = make_rng(self.random_state)
        noise = rng.standard_normal((self.n_samples, mean.shape[1]))
        return self._floored(mean[None] + np.einsum("nkj,sj->snk", root, noise))

    def _mode(self) -> str:
        if self.predictive != "auto":
            return self.predictive
        return "linear" if self._has_linear() else "mc"

    def _has_linear(self) -> bool:
        est = self.estimator_
        if est.family_.is_classifier:
            return est.family_.support in ("binary", "classes")
        from probnn.distributions import Laplace, Normal, StudentT

        view = _view(self)
        return view.training_family.location_scale and isinstance(
            view.family.distribution(np.zeros((1, view.network.layer_sizes[-1]))),
            (Normal, Laplace, StudentT))  # fmt: skip

    def _check_linear(self) -> None:
        if not self._has_linear():
            raise ValueError(
                "predictive='linear' needs a Normal, Laplace or Student-t predictive (regressors) "
                "or a classifier family with 'binary' or 'classes' support; found family "
                f"{self.estimator_.family_.name!r}: use predictive='mc'"
            )

    def _probit_raw(self, mean: Array, cov: Array) -> Array:
        """Logits ``mu_j / sqrt(1 + pi/8 C_jj)``: the probit approximation of E[link(z)].

        A softmax's logits (``raw_shift_invariant``) are first centred, ``z - mean_j z_j``
        (the same class probabilities, so the same predictive): the probit approximation
        reads each logit's variance, and the variance along ``(1, ..., 1)``, which no class
        probability depends on, would otherwise pull every prediction toward uniform (a
        nearly separable softmax GLM's prior leaves that direction wide).
        """
        view = _view(self)
        if view.family.raw_shift_invariant and not view.multilabel:
            centre = np.eye(mean.shape[1]) - 1.0 / mean.shape[1]
            mean = mean @ centre
            cov = np.einsum("ij,njk,kl->nil", centre, cov, centre)
        return mean / np.sqrt(1.0 + (math.pi / 8.0) * np.einsum("njj->nj", cov))

    def _location_grad(self, raw: Array, what: str) -> Array:
        """``g = d <what> / d raw`` (the predictive's ``loc`` or mean), (n, k)."""
        return _ggn.location_grad(_view(self).family, raw, what)

    def _location_variance(self, raw: Array, cov: Array, what: str) -> Array:
        """``g^T C g`` with ``g = d <what> / d raw`` (the predictive's ``loc`` or mean), (n,)."""
        grad = self._location_grad(raw, what)
        return np.einsum("nk,nkl,nl->n", grad, cov, grad)

    def _location_sd(self, raw: Array, cov: Array) -> Array:
        """``sqrt(g^T C g)``, ``g = d loc / d raw``, (n,) (:func:`probnn.network.ggn.location_sd`)."""
        return _ggn.location_sd(_view(self).family, raw, cov)

    def predict_dist(self, X: ArrayLike):
        """The predictive distribution of ``y`` (classifiers: of the encoded labels).

        Returns
        -------
        Distribution with batch shape (n_samples,)
            Regressors, "linear": the estimator's distribution (Normal, Laplace, Student-t)
            with each scale widened by ``sqrt(1 + v / variance)``, ``v`` the linearised
            variance of the location (Student-t with df <= 2: ``sqrt(1 + v / scale^2)``);
            "mc": a ``Mixture`` of ``n_samples`` of the family's distributions (a mixture
            family's: one ``Mixture`` of their components, :func:`_pooled`).
            Classifiers: the family's distribution at the probit logits ("linear"), or a
            ``Bernoulli`` / ``Categorical`` of the mean class probabilities ("mc").
        """
        mean, cov = self._raw_moments(X)
        mode = self._mode()
        if mode == "linear":
            self._check_linear()
        est = self.estimator_
        if est.family_.is_classifier:
            if mode == "linear":
                return est.family_.distribution(self._probit_raw(mean, cov))
            from probnn.distributions import Bernoulli, Categorical

            probs = self._mc_probs(mean, cov).mean(axis=0)
            if _view(self).multilabel:
                return Bernoulli(probs=probs)
            if est.family_.support == "binary":
                return Bernoulli(probs=probs[:, 1])
            return Categorical(probs=probs)
        pred = _view(self).family
        if mode == "mc":
            return _pooled([pred.distribution(r) for r in self._raw_samples(mean, cov)])
        return _widened(pred.distribution(mean), self._location_sd(mean, cov))

    def _mc_probs(self, mean: Array, cov: Array) -> Array:
        view = _view(self)
        return np.stack([view.family.class_probs(r, multilabel=view.multilabel)
                         for r in self._raw_samples(mean, cov)])  # fmt: skip

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Regressors: the predictive mean, (n_samples,). Classifiers: the most probable
        class of the predictive (each label with probability > 1/2 for multi-label)."""
        check_is_fitted(self, "posterior_precision_")  # not estimator_'s AttributeError
        if _is_classifier(self):
            probs = self.predict_proba(X)
            if _view(self).multilabel:
                return (probs > 0.5).astype(int)
            return self.classes_[np.argmax(probs, axis=1)]
        return np.asarray(self.predict_dist(X).mean)

    @available_if(lambda self: is_classifier(getattr(self, "estimator_", self.estimator)))
    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Classifiers: the predictive class probabilities, shape (n_samples, n_classes)
        (multi-label: each label's probability of 1, (n_samples, k))."""
        mean, cov = self._raw_moments(X)
        if self._mode() == "mc":
            return self._mc_probs(mean, cov).mean(axis=0)
        self._check_linear()
        view = _view(self)
        return view.family.class_probs(self._probit_raw(mean, cov), multilabel=view.multilabel)

    def predict_interval(self, X: ArrayLike, coverage: float = 0.9) -> tuple[Array, Array]:
        """Regressors: the predictive's central interval holding ``y`` with probability
        ``coverage``; lower, upper of shape (n_samples,)."""
        from probnn.estimators._base import central_interval_of

        if _is_classifier(self):
            raise ValueError("predict_interval is for regressors; this wraps a classifier")
        return central_interval_of(self.predict_dist(X), coverage)

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """The wrapped estimator's ``score`` of :meth:`predict`: scikit-learn's own
        (``ClassifierMixin.score``, the accuracy, for a classifier; ``RegressorMixin.score``,
        R^2, for a regressor), as :class:`~probnn.MLPClassifier` and
        :class:`~probnn.MLPRegressor` take them. (:meth:`score_nll` scores the predictive.)"""
        from sklearn.base import ClassifierMixin, RegressorMixin

        check_is_fitted(self, "posterior_precision_")
        mixin = ClassifierMixin if _is_classifier(self) else RegressorMixin
        return mixin.score(self, X, y, sample_weight=sample_weight)

    def score_nll(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Mean negative log-likelihood of ``y`` under the predictive, in nats (weighted
        by ``sample_weight``)."""
        dist = self.predict_dist(X)
        targets = self.estimator_.encode_target(y)
        nll = -np.asarray(dist.log_prob(targets), dtype=np.float64)
        if nll.ndim == 2:  # multi-label: the labels' NLLs add
            nll = nll.sum(axis=1)
        return weighted_mean(nll, sample_weight)

    def parameter_columns(self, dist) -> dict[str, Array]:
        """Regressors: the columns ``probnn predict`` writes for :meth:`predict_dist`'s ``dist``.

        The family's own parameters (``loc``, ``scale``, ...) where the predictive is the
        family's distribution widened ("linear"); ``mean`` and ``sd`` of the Monte Carlo
        mixture otherwise. Each of shape (n_samples,).
        """
        if self._mode() == "linear":
            return self.estimator_.family_.parameter_columns(dist)
        return {"mean": np.asarray(dist.mean, dtype=np.float64),
                "sd": np.sqrt(np.asarray(dist.variance, dtype=np.float64))}

    def predictive_variance_split(self, X: ArrayLike) -> tuple[Array, Array]:
        """The predictive uncertainty split into the network's and the data's parts.

        Returns
        -------
        epistemic, aleatoric : ndarray of shape (n_samples,)
            Regressors: the linearised variance of the predicted mean (``g^T C g``, ``g =
            d mean / d raw``) and the variance of the estimator's own predicted
            distribution, both in y's units squared. Classifiers: the mutual information
            between the label and the weights and the expected entropy of the label, in
            nats, by Monte Carlo over the raw outputs (``n_samples`` draws); they add up to
            the entropy of the mean class probabilities.
        """
        mean, cov = self._raw_moments(X)
        view = _view(self)
        if not _is_classifier(self):
            aleatoric = np.asarray(view.family.distribution(mean).variance, dtype=np.float64)
            return self._location_variance(mean, cov, "mean"), aleatoric
        probs = self._mc_probs(mean, cov)
        total = _entropy(probs.mean(axis=0), view.multilabel)
        expected = np.mean([_entropy(p, view.multilabel) for p in probs], axis=0)
        return total - expected, expected


    # ------------------------------------------------------------ model files
    def _export_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """The wrapped estimator's arrays (prefixed ``estimator.``) and the posterior's
        (``laplace.``), with JSON metadata, for :mod:`probnn.model_file`.

        Returns
        -------
        arrays : dict of str -> ndarray
            ``laplace.map_weights`` (d,), ``laplace.prior_mask`` (d,) uint8,
            ``laplace.curvature`` and ``laplace.covariance`` ((d, d), or (d,) for
            "ggn-diag"), float64; ``posterior_precision_`` is rebuilt from the curvature.
        meta : dict
            ``class``, ``params`` (a ``random_state`` that is not an integer is stored as
            None), ``estimator`` (the unfitted template, or None), ``fitted_estimator``
            (the wrapped estimator's own metadata) and ``posterior``: ``prior_precision_``,
            ``log_evidence_``, ``n_weights_`` and the summed training NLL.
        """
        from probnn.estimators._base import _jsonable

        check_is_fitted(self, "posterior_precision_")
        arrays, est_meta = self.estimator_._export_state()
        arrays = {f"estimator.{k}": v for k, v in arrays.items()}
        arrays.update({
            "laplace.map_weights": self.map_weights_,
            "laplace.prior_mask": self._is_coef.astype(np.uint8),
            "laplace.curvature": self._curvature,
            "laplace.covariance": self._covariance,
        })  # fmt: skip
        params = _jsonable({k: v for k, v in self.get_params(deep=False).items()
                            if k != "estimator"})  # fmt: skip
        template = None
        if self.estimator is not None and not self.prefit:
            template = {"class": type(self.estimator).__name__,
                        "params": _jsonable(self.estimator.get_params(deep=False))}
        posterior = {"prior_precision_": float(self.prior_precision_),
                     "log_evidence_": float(self.log_evidence_),
                     "n_weights_": int(self.n_weights_), "nll_sum": float(self._nll_sum)}
        return arrays, {"class": type(self).__name__, "params": params, "estimator": template,
                        "fitted_estimator": est_meta, "posterior": posterior}  # fmt: skip

    def _import_state(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        """Inverse of :meth:`_export_state` (called by ``estimator_from_state``); every
        array's shape is checked against the rebuilt network (ValueError naming it)."""
        from probnn.estimators._state import estimator_from_params, estimator_from_state
        from probnn.network.jacobian import parameter_index

        own = {k[len("estimator."):]: v for k, v in arrays.items() if k.startswith("estimator.")}
        fitted = estimator_from_state(own, meta["fitted_estimator"])
        if not hasattr(fitted, "fitted_network"):
            raise ValueError(f"expected a probnn network estimator inside the Laplace "
                             f"approximation; found {type(fitted).__name__}")  # fmt: skip
        if meta.get("estimator") is not None:
            self.estimator = estimator_from_params(meta["estimator"])
        elif self.prefit:  # the wrapped estimator was given fitted: it is the fitted one
            self.estimator = fitted
        network = fitted.fitted_network().network
        index = parameter_index(network, self.subset)
        d = index.size
        square = (d,) if self.hessian == "ggn-diag" else (d, d)
        shapes = {"map_weights": (d,), "prior_mask": (d,), "curvature": square,
                  "covariance": square}
        loaded = {}
        for name, shape in shapes.items():
            key = f"laplace.{name}"
            if key not in arrays:
                raise ValueError(f"expected the array {key!r}; the file has none")
            value = np.asarray(arrays[key])
            if value.shape != shape:
                raise ValueError(f"expected {key!r} of shape {shape} (subset={self.subset!r}, "
                                 f"hessian={self.hessian!r}); found {value.shape}")  # fmt: skip
            if not np.all(np.isfinite(value)):
                raise ValueError(f"expected finite values in {key!r}; found NaN or infinity")
            loaded[name] = value
        if not np.array_equal(loaded["map_weights"], network.params[index].astype(np.float64)):
            raise ValueError("expected 'laplace.map_weights' to be the wrapped network's "
                             f"weights (subset={self.subset!r}); they differ")  # fmt: skip
        if not np.isin(loaded["prior_mask"], (0, 1)).all():
            raise ValueError("expected 'laplace.prior_mask' to hold 0 and 1 only")
        post = meta["posterior"]
        lam, evidence, nll_sum = (float(post[k]) for k in ("prior_precision_", "log_evidence_",
                                                            "nll_sum"))  # fmt: skip
        if not (math.isfinite(lam) and lam >= 0) or int(post["n_weights_"]) != d:
            raise ValueError(f"expected prior_precision_ >= 0 and n_weights_ = {d}; found "
                             f"{post['prior_precision_']!r} and {post['n_weights_']!r}")  # fmt: skip
        self.estimator_ = fitted
        self.n_features_in_ = fitted.n_features_in_
        if hasattr(fitted, "feature_names_in_"):
            self.feature_names_in_ = fitted.feature_names_in_
        self.map_weights_ = loaded["map_weights"].astype(np.float64)
        self._is_coef = loaded["prior_mask"].astype(bool)
        self.prior_mask_ = self._is_coef
        self._curvature = loaded["curvature"].astype(np.float64)
        self._covariance = loaded["covariance"].astype(np.float64)
        self._nll_sum, self.n_weights_ = nll_sum, d
        self.prior_precision_, self.log_evidence_ = lam, evidence
        self._set_precision(lam)
        if _is_classifier(self):
            self.classes_ = fitted.classes_


def _entropy(probs: Array, multilabel: bool) -> Array:
    """Entropy in nats of class probabilities (n, C), or of k independent labels (n, k)."""
    if multilabel:
        return -(xlogy(probs, probs) + xlogy(1 - probs, 1 - probs)).sum(axis=1)
    return -xlogy(probs, probs).sum(axis=1)


def _pooled(draws: list):
    """The equal-weight ``Mixture`` of the Monte Carlo draws' predictives, batch shape (n,).

    Where each draw's predictive is itself a ``Mixture`` (a mixture family: K Normals), the
    mixture of S mixtures is the one mixture of their S K components with weights
    ``pi_sk / S``: the same law, whose cdf is one weighted sum over components the stacked
    laws evaluate at once and whose quantiles bracket with the components' closed-form
    quantiles, where the nested one bisected each draw's mixture for its quantile inside
    each step of the outer bisection (a 300-row mixture-normal fit's report: minutes).
    """
    from probnn.distributions import Mixture

    if not all(type(d) is Mixture for d in draws):
        return Mixture(draws)
    leaves = [c for d in draws for c in d.components]
    # (normalised log weights of each draw's components, (K,) + batch, less log S)
    log_w = np.concatenate([np.asarray(d.logits, dtype=np.float64) for d in draws])
    log_w -= math.log(len(draws))
    return Mixture(leaves, logits=log_w)
