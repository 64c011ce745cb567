"""``GaussianGenerativeClassifier``: model p(x, y) = p(x | y) p(y), then classify by Bayes' rule.

Discriminative versus generative
--------------------------------
:class:`probnn.MLPClassifier` is *discriminative*: it models ``p(y | x)``
directly and spends all its parameters on the boundary between the classes.
This classifier is *generative*: it models how each class produces its inputs,
``p(x | c_k) = Normal(x; mu_k, Sigma_k)``, and how common each class is,
``p(c_k) = pi_k``, then turns them into a posterior with Bayes' rule::

    p(c_k | x) = p(x | c_k) p(c_k) / sum_j p(x | c_j) p(c_j) = softmax_k(g(x)),
    g_k(x) = ln p(x | c_k) + ln p(c_k).

With two classes this is ``sigmoid(g_1 - g_0)``. With a covariance shared by
all classes the quadratic terms ``x^T Sigma^-1 x`` cancel in ``g_k - g_j``,
so the log-odds are linear in ``x``: the posterior has exactly the form of
logistic (softmax) regression, but its weights come from class means and a
covariance (closed form, no iterations) instead of from maximising
``p(y | x)``. When the Gaussian assumption holds the generative fit needs
less data; when it does not, logistic regression is the more robust of the two.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.linalg import LinAlgError, cholesky, solve_triangular
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from probnn._math import log_softmax, logsumexp, softmax
from probnn._validation import (check_outcomes, check_sample_weight, describe_values,
                                encode_labels, unsortable_labels, weighted_mean)
from probnn.estimators._state import register_state

__all__ = ["GaussianGenerativeClassifier"]


@register_state
class GaussianGenerativeClassifier(ClassifierMixin, BaseEstimator):
    """Gaussian class-conditional densities and class priors, combined by Bayes' rule.

    Parameters
    ----------
    shared_covariance : bool, default=True
        One covariance matrix for all classes (a linear, logistic-form
        posterior, as in linear discriminant analysis) or one per class (a
        quadratic boundary).
    priors : array-like of shape (n_classes,), optional
        Class probabilities ``p(c_k)``; by default the (weighted) class
        frequencies, which are their maximum-likelihood estimate.
    reg_covar : float, default=0.0
        Added to the diagonal of every covariance (needed when a feature is
        constant within the data used for a covariance).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    means_ : ndarray of shape (n_classes, n_features)
        Maximum-likelihood class means.
    covariances_ : ndarray of shape (n_features, n_features) or (n_classes, n_features, n_features)
        Maximum-likelihood covariance (divided by the number of examples, not
        minus one): pooled within-class if shared, else per class.
    priors_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
    """

    def __init__(self, shared_covariance: bool = True, priors=None, reg_covar: float = 0.0):
        self.shared_covariance = shared_covariance
        self.priors = priors
        self.reg_covar = reg_covar

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None):
        """Estimate class means, covariance(s) and priors by maximum likelihood.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        try:
            check_classification_targets(y)
        except TypeError:  # labels that do not sort (None among text): scikit-learn's TypeError
            raise ValueError(f"{type(self).__name__}: class labels must be all text or all "
                             f"numbers, none missing; {unsortable_labels(y)}") from None
        w = check_sample_weight(sample_weight, X.shape[0])
        if w.max() > 0:  # the estimates are ratios of weights: 1e308's sums overflowed, and
            w = w / w.max()  # subnormal ones lost their digits
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        n_classes, n_features = len(self.classes_), X.shape[1]
        if n_classes < 2:
            raise ValueError(
                f"a classifier needs samples of at least 2 classes; found 1 class: "
                f"{describe_values(self.classes_)}"
            )
        reg = float(self.reg_covar)
        if not (np.isfinite(reg) and reg >= 0):
            raise ValueError(f"reg_covar must be a non-negative number; found {self.reg_covar!r}")
        onehot = np.zeros((X.shape[0], n_classes))
        onehot[np.arange(X.shape[0]), y_idx] = w
        class_weight = onehot.sum(axis=0)
        empty = class_weight <= 0
        if empty.any():
            raise ValueError(
                f"every class needs positive sample_weight; found none for class "
                f"{describe_values(self.classes_[empty])}"
            )
        self.means_ = (onehot.T @ X) / class_weight[:, None]
        centred = X - self.means_[y_idx]
        weighted = centred * w[:, None]
        if self.shared_covariance:
            cov = (weighted.T @ centred) / w.sum()
            cov[np.diag_indices(n_features)] += reg
        else:
            cov = np.empty((n_classes, n_features, n_features))
            for k in range(n_classes):
                rows = y_idx == k
                cov[k] = (weighted[rows].T @ centred[rows]) / class_weight[k]
                cov[k][np.diag_indices(n_features)] += reg
        self.covariances_ = cov
        self.priors_ = self._class_priors(class_weight)
        self._factorise()
        return self

    def _class_priors(self, class_weight: np.ndarray) -> np.ndarray:
        if self.priors is None:
            return class_weight / class_weight.sum()
        priors = np.asarray(self.priors, dtype=np.float64)
        if priors.shape != class_weight.shape:
            raise ValueError(
                f"priors must have shape ({class_weight.size},), one per class; found shape "
                f"{priors.shape}"
            )
        bad = ~np.isfinite(priors) | (priors <= 0)
        if bad.any() or abs(priors.sum() - 1) > 1e-8:
            raise ValueError(
                f"priors must be positive and sum to 1; found {priors.tolist()}"
            )
        return priors

    def _factorise(self) -> None:
        """Cholesky factors and log-determinants of the covariance(s), once."""
        covs = self.covariances_[None] if self.shared_covariance else self.covariances_
        self._chol, self._log_det = [], []
        for k, cov in enumerate(covs):
            try:
                L = cholesky(cov, lower=True)
            except LinAlgError:
                which = "pooled covariance" if self.shared_covariance else (
                    f"covariance of class {self.classes_[k]!r}"
                )
                raise ValueError(
                    f"the {which} is singular (a feature is constant or features are "
                    f"linearly dependent); set reg_covar > 0, e.g. reg_covar=1e-6"
                ) from None
            self._chol.append(L)
            self._log_det.append(2.0 * np.log(np.diag(L)).sum())

    def log_joint(self, X: ArrayLike) -> np.ndarray:
        """``g_k(x) = ln p(x | c_k) + ln p(c_k)`` for every class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            The posterior is ``softmax(g)``; ``logsumexp(g)`` is ``ln p(x)``.
        """
        check_is_fitted(self, "means_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        n_features = X.shape[1]
        g = np.empty((X.shape[0], len(self.classes_)))
        for k in range(len(self.classes_)):
            j = 0 if self.shared_covariance else k
            # Mahalanobis distance through the Cholesky factor: |L^-1 (x - mu)|^2
            u = solve_triangular(self._chol[j], (X - self.means_[k]).T, lower=True)
            maha = np.einsum("ij,ij->j", u, u)
            log_density = -0.5 * (n_features * np.log(2 * np.pi) + self._log_det[j] + maha)
            g[:, k] = log_density + np.log(self.priors_[k])
        return g

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Posterior class probabilities ``softmax(g(x))`` (Bayes' rule).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return softmax(self.log_joint(X), axis=1)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """``g_k(x) - logsumexp_j g_j(x)``, the log posterior.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return log_softmax(self.log_joint(X), axis=1)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The class with the largest posterior (equivalently the largest ``g_k``).

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        joint = self.log_joint(X)  # checks the fit first: NotFittedError, not classes_ missing
        return self.classes_[np.argmax(joint, axis=1)]

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """``ln p(x)`` under the fitted mixture, shape (n_samples,)."""
        return logsumexp(self.log_joint(X), axis=1)

    def score_nll(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Mean negative log posterior ``-ln p(y | x)`` of the labels, in nats.

        Returns
        -------
        float
        """
        log_post = self.predict_log_proba(X)
        y = check_outcomes(y, log_post.shape[:1])
        index = encode_labels(y, self.classes_)
        nll = -log_post[np.arange(y.shape[0]), index]
        return weighted_mean(nll, sample_weight)

    # ---------------------------------------------------------- model files
    def _export_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """Fitted state as arrays plus JSON-able metadata (for ``probnn.model_file``)."""
        check_is_fitted(self, "means_")
        arrays = {
            "means": self.means_,
            "covariances": self.covariances_,
            "priors": self.priors_,
        }
        meta = {
            "class": type(self).__name__,
            "params": {
                "shared_covariance": bool(self.shared_covariance),
                "priors": None if self.priors is None else np.asarray(self.priors).tolist(),
                "reg_covar": float(self.reg_covar),
            },
            "classes_": self.classes_.tolist(),
            "n_features_in_": int(self.n_features_in_),
            "feature_names_in_": (
                [str(n) for n in self.feature_names_in_]
                if hasattr(self, "feature_names_in_")
                else None
            ),
            "dtype": "float64",
        }
        return arrays, meta

    def _import_state(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        self.means_ = np.asarray(arrays["means"], dtype=np.float64)
        self.covariances_ = np.asarray(arrays["covariances"], dtype=np.float64)
        self.priors_ = np.asarray(arrays["priors"], dtype=np.float64)
        self.classes_ = np.asarray(meta["classes_"])
        self.n_features_in_ = int(meta["n_features_in_"])
        if meta.get("feature_names_in_") is not None:
            self.feature_names_in_ = np.asarray(meta["feature_names_in_"], dtype=object)
        self._factorise()
