"""``MLPRegressor``: a network whose outputs parameterise a distribution over a real target."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import RegressorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from probnn.estimators._base import BaseNetworkEstimator, training_weights

__all__ = ["MLPRegressor"]

_STOCHASTIC = ("sgd", "adam", "adamw", "rmsprop", "gd")
_REGRESSION_FAMILIES = ("normal", "normal-fixed", "laplace", "poisson", "studentt")
# scikit-learn's `loss` names and the family whose NLL equals that loss
_LOSS_TO_FAMILY = {"squared_error": "normal-fixed", "poisson": "poisson"}


class MLPRegressor(RegressorMixin, BaseNetworkEstimator):
    """Multilayer perceptron regressor: ``p(y | x) = family(f_w(x))``, fit by maximum likelihood.

    A drop-in for :class:`sklearn.neural_network.MLPRegressor` whose outputs
    are the parameters of a distribution, not just a point prediction:

    ============== ======= =========================================== =====================
    family         outputs distribution                                NLL equals
    ============== ======= =========================================== =====================
    "normal"       2       Normal(mu = z1, sigma = softplus(z2))       Gaussian NLL, learned variance
    "normal-fixed" 1       Normal(mu = z, sigma fixed)                 half squared error
    "laplace"      2       Laplace(mu = z1, b = softplus(z2))          absolute error (+ log b)
    "poisson"      1       Poisson(lambda = exp(z))                    Poisson deviance
    "studentt"     2       StudentT(df, mu = z1, sigma = softplus(z2)) robust Student-t loss
    ============== ======= =========================================== =====================

    With "normal" the network learns how noisy ``y`` is at each ``x``
    (heteroscedastic noise), so :meth:`predict_interval` gives intervals that
    widen where the data are noisy. ``predict`` returns the predicted mean.

    Parameters
    ----------
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate,
    learning_rate_init, power_t, max_iter, shuffle, random_state, tol,
    verbose, warm_start, momentum, nesterovs_momentum, early_stopping,
    validation_fraction, beta_1, beta_2, epsilon, n_iter_no_change, max_fun
        As in :class:`probnn.MLPClassifier` and scikit-learn.
    loss : {"squared_error", "poisson"} or None, default=None
        scikit-learn's name of the loss; when given it chooses the family
        ("squared_error" -> "normal-fixed", "poisson" -> "poisson") and
        ``family`` must be left at its default.
    family : str, default="normal"
        One of "normal", "normal-fixed", "laplace", "poisson", "studentt".
    family_params : dict, optional
        e.g. ``{"df": 4}`` for "studentt", ``{"scale": 2.0}`` for "normal-fixed".
    prior : {"gaussian", "laplace", None}, default="gaussian"
        Prior on the coefficient matrices: the fit is the MAP estimate, with
        penalty ``-log prior(W)`` ("gaussian": L2, ``alpha = 1 / prior_scale**2``;
        "laplace": L1, ``alpha = 1 / prior_scale``).
    prior_scale : float, optional
        Overrides ``alpha`` when given.
    dropout : float, default=0.0
    dtype : {"float32", "float64"}, default="float32"
    progress : bool, default=False

    Attributes
    ----------
    coefs_, intercepts_, loss_curve_, best_loss_, validation_scores_,
    best_validation_score_, n_iter_, t_, n_layers_, out_activation_,
    n_features_in_, feature_names_in_
        As in scikit-learn.
    n_outputs_ : int
        Number of raw network outputs (2 for families with a learned scale).
    family_ : Family
    converged_ : bool
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss=None,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        family="normal",
        family_params=None,
        prior="gaussian",
        prior_scale=None,
        dropout=0.0,
        dtype="float32",
        progress=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.family = family
        self.family_params = family_params
        self.prior = prior
        self.prior_scale = prior_scale
        self.dropout = dropout
        self.dtype = dtype
        self.progress = progress

    # ------------------------------------------------------------------ fit
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None):
        """Fit by maximum likelihood (or MAP with a prior).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Targets in the family's support (e.g. non-negative integers for
            "poisson"); others are rejected naming the values and rows.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(lambda est: est._check_stochastic())
    def partial_fit(self, X, y, sample_weight=None):
        """One pass of the optimiser over a chunk of data.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _check_stochastic(self) -> bool:
        if self.solver not in _STOCHASTIC:
            raise AttributeError(
                f"partial_fit needs a stochastic solver (one of {', '.join(_STOCHASTIC)}); "
                f"found solver={self.solver!r}"
            )
        return True

    def _family_name(self) -> str:
        if self.loss is not None:
            if self.loss not in _LOSS_TO_FAMILY:
                raise ValueError(
                    f"loss must be 'squared_error', 'poisson' or None; found {self.loss!r}"
                )
            if self.family != "normal":
                raise ValueError(
                    f"give either loss or family, not both; found loss={self.loss!r} and "
                    f"family={self.family!r}"
                )
            return _LOSS_TO_FAMILY[self.loss]
        if self.family not in _REGRESSION_FAMILIES:
            raise ValueError(
                f"MLPRegressor family must be one of {', '.join(_REGRESSION_FAMILIES)}; "
                f"found {self.family!r}"
            )
        return self.family

    def _fit(self, X, y, sample_weight, incremental: bool):
        from probnn.families import get_family

        reset = not (incremental and hasattr(self, "family_"))
        X, y = self._validate_X_y(X, y, reset=reset, multi_output=False)
        family = get_family(self._family_name(), **self._family_params()) if reset else self.family_
        y = family.check_target(y)
        w = training_weights(sample_weight, X.shape[0])
        self._fit_network(X, y, w, family, incremental)
        return self

    # -------------------------------------------------------------- predict
    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted mean of ``y`` given ``X``.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        raw = self._raw(X)  # first: raises NotFittedError on an unfitted estimator
        return self.family_.mean(raw)

    def predict_dist(self, X: ArrayLike):
        """The predicted distribution of ``y`` for each row of ``X``.

        Returns
        -------
        Distribution
            The family's distribution with batch shape (n_samples,), e.g.
            ``Normal(loc, scale)``.
        """
        raw = self._raw(X)
        return self.family_.distribution(raw)

    def predict_interval(self, X: ArrayLike, coverage: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """Central predictive interval holding ``y`` with probability ``coverage``.

        The bounds are the predicted distribution's quantiles at
        ``(1 - coverage) / 2`` and ``(1 + coverage) / 2``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        coverage : float in (0, 1), default=0.9

        Returns
        -------
        lower, upper : ndarray of shape (n_samples,)
        """
        coverage = float(coverage)
        if not 0.0 < coverage < 1.0:
            raise ValueError(f"coverage must be strictly between 0 and 1; found {coverage}")
        dist = self.predict_dist(X)
        return dist.icdf((1.0 - coverage) / 2.0), dist.icdf((1.0 + coverage) / 2.0)

    def _nll_per_row(self, X, y) -> np.ndarray:
        check_is_fitted(self, "coefs_")
        raw = self._raw(X)
        y = self.family_.check_target(y)
        if raw.shape[0] != y.shape[0]:
            raise ValueError(
                f"X and y must have the same number of rows; found {raw.shape[0]} and {y.shape[0]}"
            )
        return self.family_.nll(raw, y)
