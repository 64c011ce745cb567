"""``MLPClassifier``: a network whose outputs are class probabilities, fit by maximum likelihood."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.optimize import linprog
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d


from probnn._validation import (InstanceOf, Options, describe_rows, describe_values, encode_labels,
                                unsortable_labels)
from probnn.defaults import CLASSIFIER as _DEFAULT  # the signature's defaults, each with why
from probnn.estimators._base import BaseNetworkEstimator, training_weights
from probnn.estimators._state import register_state
from probnn.exceptions import SeparationWarning

__all__ = ["MLPClassifier", "linearly_separable"]

_STOCHASTIC = ("sgd", "adam", "adamw", "rmsprop", "gd")
_LP_SECONDS = 10.0  # time allowed to the separability check


@register_state
class MLPClassifier(ClassifierMixin, BaseNetworkEstimator):
    """Multilayer perceptron classifier: ``p(y | x) = Bernoulli or Categorical(f_w(x))``.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier` (same
    parameters, defaults and fitted attributes) in which the output layer
    parameterises a distribution and the loss is its negative log-likelihood:

    * two classes: one raw output ``z``, ``p(classes_[1] | x) = sigmoid(z)``
      (family ``"bernoulli"``, binary cross-entropy);
    * C > 2 classes: C raw outputs, ``p = softmax(z)`` (``"categorical"``);
    * multi-label indicator targets of shape ``(n_samples, k)``: k independent
      Bernoullis (sum of k binary cross-entropies).

    ``hidden_layer_sizes=()`` is logistic (softmax) regression. Without a
    prior and without hidden layers, data whose classes can be separated by a
    hyperplane have no maximum-likelihood estimate (the likelihood keeps
    rising as the weights grow); ``fit`` detects this with a linear program,
    warns with :class:`probnn.exceptions.SeparationWarning` and sets
    ``converged_ = False``.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Units per hidden layer; ``()`` for no hidden layer (a GLM).
    activation : str, default="relu"
        Hidden activation: "identity", "logistic", "tanh", "relu",
        "leaky_relu", "softplus", "gelu".
    solver : str, default="adam"
        "adam", "adamw", "sgd", "rmsprop", "gd" (full batch) or "lbfgs".
    alpha : float, default=0.0001
        Prior strength (see ``prior``); ignored when ``prior_scale`` is given.
        The penalty is divided by the total training weight (the sum of the
        sample weights times the class weights; the number of training rows
        when unweighted) for every solver, so the MAP objective does not
        depend on ``batch_size`` and a weight of 2 is the same objective as
        a repeated row (as in scikit-learn's MLP under "lbfgs");
        scikit-learn divides by the batch size under "adam" and "sgd", so
        there the same ``alpha`` is about ``n_samples / batch_size`` times
        stronger than here.
    batch_size, learning_rate, learning_rate_init, power_t, max_iter, shuffle,
    random_state, tol, verbose, warm_start, momentum, nesterovs_momentum,
    early_stopping, validation_fraction, beta_1, beta_2, epsilon,
    n_iter_no_change, max_fun
        As in scikit-learn's MLP. ``learning_rate`` also takes "cosine" and
        "plateau" (see :class:`probnn.MLPRegressor`).
    ema_decay : float in (0, 1), None or "auto", default="auto"
        Polyak averaging: the model is the moving average of the weights with
        this decay per optimiser step (see :class:`probnn.network.Trainer`);
        it scores each epoch on the validation rows, early stopping keeps it,
        and ``fit`` (not ``partial_fit``) ends with it. "auto": 0.995 (about
        the last 200 steps) with a stochastic solver, None with "lbfgs". None
        keeps the last step's weights, as scikit-learn does. Measured: held-out
        NLL 0.5343 -> 0.5320 (Bernoulli) and 0.4580 -> 0.4527 (5 classes) on
        bench scenario 3's synthetic tasks, 0.0799 -> 0.0759 on MNIST.
    family : {"auto", "bernoulli", "categorical"}, default="auto"
        Likelihood of the labels. "auto": Bernoulli for two classes or
        multi-label targets, Categorical otherwise.
    family_params : dict, optional
        Extra parameters of the family.
    prior : {"gaussian", "laplace", None}, default="gaussian"
        Prior on the coefficient matrices (not the biases); the training
        objective adds ``-log prior(W) / sum(weights)`` to the weighted mean
        NLL, so the fit is the maximum a posteriori estimate. "gaussian" is L2 with
        ``alpha = 1 / prior_scale**2``, "laplace" is L1 with
        ``alpha = 1 / prior_scale``; None is maximum likelihood.
    prior_scale : float, optional
        Standard deviation (Gaussian) or scale (Laplace) of the prior on each
        weight; overrides ``alpha`` when given.
    dropout : float, default=0.0
        Probability of dropping each hidden unit during training.
    dtype : {"float32", "float64"}, default="float32"
        Floating type of the weights and of the computations.
    class_weight : "balanced", dict or None, default=None
        Multiplies each example's weight by the weight of its class
        ("balanced": ``n_samples / (n_classes * count)``). Not for multi-label.
        The product of sample and class weights is the weight everywhere:
        in the weighted mean NLL, in the total weight that divides the
        prior's penalty, and in early stopping's validation score.
    progress : bool or float, default=False
        Show a progress bar over epochs: True once training has lasted a
        second (short fits stay silent), a number after that many seconds
        (0: at once).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (``arange(k)`` for multi-label targets).
    coefs_, intercepts_ : list of ndarray
        Weight matrices ``(fan_in, fan_out)`` and bias vectors per layer.
    loss_curve_, best_loss_, validation_scores_, best_validation_score_,
    n_iter_, t_, n_layers_, n_outputs_, out_activation_, n_features_in_,
    feature_names_in_
        As in scikit-learn. Losses are mean NLL in nats plus the penalty.
    family_ : Family
        The likelihood head that was fit.
    converged_ : bool
    batch_size_, max_iter_, n_iter_no_change_ : int
    early_stopping_ : bool
    ema_decay_ : float or None
        The settings the last fit trained with (``batch_size="auto"`` is
        ``min(200, n_samples)`` here; the sized defaults are MLPRegressor's).
        False when ``max_iter`` was reached or the MLE does not exist.
    """

    _parameter_constraints: dict = {
        **BaseNetworkEstimator._parameter_constraints,
        # which names: the registry, read when fitting (a family may be registered later)
        "family": [InstanceOf(str, "'auto' or a family name")],
        "class_weight": [Options(None, "balanced"), InstanceOf(dict, "a dict")],
    }  # fmt: skip

    def __init__(
        self,
        hidden_layer_sizes=_DEFAULT["hidden_layer_sizes"],
        activation=_DEFAULT["activation"],
        *,
        solver=_DEFAULT["solver"],
        alpha=_DEFAULT["alpha"],
        batch_size=_DEFAULT["batch_size"],
        learning_rate=_DEFAULT["learning_rate"],
        learning_rate_init=_DEFAULT["learning_rate_init"],
        power_t=_DEFAULT["power_t"],
        max_iter=_DEFAULT["max_iter"],
        shuffle=_DEFAULT["shuffle"],
        random_state=None,
        tol=_DEFAULT["tol"],
        verbose=False,
        warm_start=False,
        momentum=_DEFAULT["momentum"],
        nesterovs_momentum=_DEFAULT["nesterovs_momentum"],
        early_stopping=_DEFAULT["early_stopping"],
        validation_fraction=_DEFAULT["validation_fraction"],
        beta_1=_DEFAULT["beta_1"],
        beta_2=_DEFAULT["beta_2"],
        epsilon=_DEFAULT["epsilon"],
        n_iter_no_change=_DEFAULT["n_iter_no_change"],
        max_fun=_DEFAULT["max_fun"],
        ema_decay=_DEFAULT["ema_decay"],
        family="auto",
        family_params=None,
        prior=_DEFAULT["prior"],
        prior_scale=None,
        dropout=_DEFAULT["dropout"],
        dtype=_DEFAULT["dtype"],
        class_weight=None,
        progress=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
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
        self.ema_decay = ema_decay
        self.family = family
        self.family_params = family_params
        self.prior = prior
        self.prior_scale = prior_scale
        self.dropout = dropout
        self.dtype = dtype
        self.class_weight = class_weight
        self.progress = progress

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # ------------------------------------------------------------------ fit
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None,
            validation_data: tuple | None = None,
            validation_sample_weight: ArrayLike | None = None):
        """Fit the network to labels ``y`` by maximum likelihood (or MAP with a prior).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, k)
            Class labels, or a 0/1 indicator matrix for multi-label targets.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weight of each row (None: all 1). The objective is
            ``(sum_i s_i nll_i + penalty) / sum_i s_i``, so with
            solver="lbfgs" or "gd" (full batch) an integer weight k is the
            same objective, and up to rounding the same fit, as k copies of
            the row (0: the row left out). On the minibatch solvers ("adam",
            "adamw", "sgd", "rmsprop") rows are drawn into minibatches
            uniformly whatever their weight, and a weight scales the row's
            share of its minibatch's weighted mean NLL: weight 2 equals a
            duplicated row in expectation over the shuffles, not step for
            step. With ``early_stopping`` the held-out rows keep their
            weights (the validation score is their weighted mean NLL).
            Multiplied by ``class_weight``'s weight of the row's class.
        validation_data : tuple (X_val, y_val) or (X_val, y_val, sample_weight_val), optional
            Rows to validate on, kept out of training: after every epoch their
            (weighted) mean NLL is appended to ``validation_scores_``. With
            ``early_stopping`` they replace the random held-out
            ``validation_fraction`` (every row of ``X`` is trained on), training
            stops when their NLL has not improved for ``n_iter_no_change``
            epochs and the weights of the best epoch are restored; without it
            they are only recorded. Their labels must be among the training
            labels; their weights are multiplied by ``class_weight`` too.
            Needs a stochastic solver (not "lbfgs").
        validation_sample_weight : array-like of shape (n_val,), optional
            Weights of the validation rows (or give them as the tuple's third item).

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, classes=None, incremental=False,
                         validation=(validation_data, validation_sample_weight))

    @available_if(lambda est: est._check_stochastic())
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One pass of the optimiser over a chunk of data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, k)
        sample_weight : array-like of shape (n_samples,), optional
        classes : array-like of shape (n_classes,), optional
            All classes that will ever be seen; required on the first call
            (not for multi-label targets).

        Returns
        -------
        self
        """
        first = not hasattr(self, "classes_")
        if first and classes is None and type_of_target(y) != "multilabel-indicator":
            raise ValueError("classes must be passed on the first call to partial_fit")
        return self._fit(X, y, sample_weight, classes=classes if first else None, incremental=True)

    def _check_stochastic(self) -> bool:
        if self.solver not in _STOCHASTIC:
            raise AttributeError(
                f"partial_fit needs a stochastic solver (one of {', '.join(_STOCHASTIC)}); "
                f"found solver={self.solver!r}"
            )
        return True

    def _fit(self, X, y, sample_weight, classes=None, incremental: bool = False,
             validation=(None, None), stream=None):  # fmt: skip
        from probnn.families import get_family

        self._validate_params()
        reset = not (incremental and hasattr(self, "classes_"))
        X, y = self._validate_X_y(X, y, reset=reset, multi_output=True)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        try:
            check_classification_targets(y)
        except TypeError:  # labels that do not sort (None among text): scikit-learn's TypeError
            raise ValueError(f"{type(self).__name__}: class labels must be all text or all "
                             f"numbers, none missing; {unsortable_labels(y)}") from None
        if reset:
            self._set_classes(y, classes)
            name = self._family_name()
            # a family on {0, 1} takes the class index as a float 0/1 target
            self._binary_targets = _family_class(name).support == "binary" and not self._multilabel
        y_enc = self._encode(y)
        w = training_weights(sample_weight, X.shape[0])
        w = w * self._class_weights(y_enc)
        if not incremental and stream is None:  # a stream's first chunk may hold one class
            self._require_two_weighted_classes(y_enc, w)
        if reset:
            params = self._family_params()
            if "n_classes" in _family_class(name).fixed_params:
                params.setdefault("n_classes", len(self.classes_))
            family = get_family(name, **params)
        else:
            family = self.family_
        y_checked = family.check_target(y_enc)
        separable = False
        if not incremental and not self._hidden_sizes() and self._is_unpenalised():
            separable = self._warn_if_separable(X, y_enc, w)
        rows = self._validation_rows(*validation)
        if rows is not None:
            rows = self._validation_targets(*rows, family, y_enc)
        if stream is not None:  # fit_chunks: every chunk prepared as this first one

            def prepare(Xc, yc):
                Xc, yc = self._validate_X_y(Xc, yc, reset=False, multi_output=True)
                yc = self._encode(yc)
                weights = training_weights(None, Xc.shape[0]) * self._class_weights(yc)
                return Xc, family.check_target(yc), weights

            def prepare_validation(Xv, yv):
                Xv, yv = self._validate_X_y(Xv, yv, reset=False, multi_output=True)
                return self._validation_targets(Xv, yv, None, family, y_enc)

            stream = self._stream_of(stream, X.shape[0], prepare, prepare_validation)
        self._fit_network(X, y_checked, w, family, incremental, validation=rows, stream=stream)
        if separable:
            self.converged_ = False
        return self

    def _set_classes(self, y, classes) -> None:
        self._multilabel = y.ndim == 2
        if self._multilabel:
            self.classes_ = np.arange(y.shape[1])
            self._label_dtype = y.dtype  # predict answers in the indicator's own dtype
            return
        self.classes_ = np.unique(y) if classes is None else np.unique(np.asarray(classes))
        if classes is not None:
            unseen = ~np.isin(y, self.classes_)
            if unseen.any():
                raise ValueError(
                    f"labels must be among classes={list(self.classes_)}; found "
                    f"{describe_values(y[unseen])} at {describe_rows(unseen)}"
                )
        if len(self.classes_) < 2:
            raise ValueError(
                f"a classifier needs samples of at least 2 classes; found 1 class: "
                f"{describe_values(self.classes_)}"
            )

    def _family_name(self) -> str:
        """The registry name of the family: ``family``, or for "auto" the default for the
        target's kind (two classes or multi-label: "binary"; more: "classes")."""
        from probnn.families import FAMILIES, default_family

        family = self.family
        n_classes = len(self.classes_)
        binary = self._multilabel or n_classes == 2
        if family == "auto":
            return default_family("binary" if binary else "classes")
        classifiers = sorted(name for name, cls in FAMILIES.items() if cls.is_classifier)
        if family not in classifiers:
            raise ValueError(
                f"MLPClassifier family must be 'auto' or one of {', '.join(classifiers)}; "
                f"found {family!r}"
            )
        support = FAMILIES[family].support
        if support == "binary" and not binary:
            raise ValueError(
                f"family={family!r} models 2 classes or multi-label targets; found "
                f"{n_classes} classes (use 'auto' or a family for more classes)"
            )
        if support != "binary" and self._multilabel:
            raise ValueError(
                f"family={family!r} needs one label per sample; found a multi-label "
                "indicator matrix (use 'auto')"
            )
        if support == "ordered-classes" and self.classes_.dtype.kind not in "biuf":
            # classes_ are sorted: for text that is the alphabet (high < low < medium), rarely
            # the labels' order; the order must come from the labels themselves
            raise ValueError(
                f"family={family!r} orders the classes as classes_ sorts them; found text "
                f"labels {describe_values(self.classes_)}, whose sorted order is alphabetical: "
                "encode them as integers in their order first, e.g. y = "
                "pd.Categorical(y, categories=[...], ordered=True).codes"
            )
        return family

    def _encode(self, y) -> np.ndarray:
        """Labels -> class indices 0..C-1 (multi-label: the 0/1 matrix as given)."""
        if getattr(self, "_multilabel", False):
            if y.ndim != 2 or y.shape[1] != len(self.classes_):
                raise ValueError(
                    f"multi-label targets must have shape (n_samples, {len(self.classes_)}); "
                    f"found shape {y.shape}"
                )
            return y
        if y.ndim != 1:
            raise ValueError(
                f"targets must have shape (n_samples,) like the training labels; found "
                f"shape {y.shape}"
            )
        index = encode_labels(y, self.classes_)
        if self._binary_targets:
            return index.astype(np.float64)
        return index

    def _validation_targets(self, Xv, yv, wv, family, y_enc):
        """Validation rows as the network sees them: class indices, weights times the
        class weights of the training rows' classes (``class_weight="balanced"`` is
        computed on the training labels, not the validation ones)."""
        if yv.ndim == 2 and yv.shape[1] == 1 and not self._multilabel:
            yv = column_or_1d(yv)
        yv_enc = self._encode(yv)
        weights = np.ones(yv_enc.shape[0]) if wv is None else np.asarray(wv, np.float64)
        if self.class_weight is not None:
            per_row = self._class_weights(y_enc)
            per_class = np.zeros(len(self.classes_))
            per_class[y_enc.astype(np.intp)] = per_row
            if isinstance(self.class_weight, dict):
                per_class = self._class_weights(np.arange(len(self.classes_)).astype(y_enc.dtype))
            weights = weights * per_class[yv_enc.astype(np.intp)]
        if not weights.sum() > 0:
            raise ValueError(
                f"validation rows must carry some weight; found zero weight on all "
                f"{weights.shape[0]} rows (after class_weight)"
            )
        return Xv, family.check_target(yv_enc), (None if wv is None and self.class_weight is None
                                                 else weights)

    def _class_weights(self, y_enc) -> np.ndarray:
        if self.class_weight is None:
            return np.ones(y_enc.shape[0])
        if self._multilabel:
            raise ValueError("class_weight is not supported for multi-label targets")
        indices = np.arange(len(self.classes_))
        labels = y_enc.astype(np.intp)
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            # 'balanced' from the classes present; a class absent from this
            # chunk gets weight 0 (it has no rows anyway)
            present = np.unique(labels)
            weights = np.zeros(len(indices))
            weights[present] = compute_class_weight("balanced", classes=present, y=labels)
        else:  # a dict (the constraint table allows nothing else)
            unknown = [k for k in self.class_weight if k not in set(self.classes_.tolist())]
            if unknown:
                raise ValueError(
                    f"class_weight names classes {unknown} that are not among "
                    f"{list(self.classes_)}"
                )
            weights = np.array([float(self.class_weight.get(c, 1.0)) for c in self.classes_])
        return weights[labels]

    def _require_two_weighted_classes(self, y_enc, w) -> None:
        if self._multilabel:
            return
        weighted = np.unique(y_enc[w > 0].astype(np.intp))
        if weighted.size < 2:
            raise ValueError(
                "a classifier needs positive sample_weight on at least 2 classes; found "
                f"positive weight only on class {describe_values(self.classes_[weighted])}"
            )

    def _warn_if_separable(self, X, y_enc, w) -> bool:
        keep = w > 0
        Xk = X[keep].astype(np.float64)
        if self._multilabel:
            labels = [j for j in range(y_enc.shape[1]) if linearly_separable(Xk, y_enc[keep, j])]
            where = f" (labels {labels})" if labels else ""
            separable = bool(labels)
        else:
            separable = linearly_separable(Xk, y_enc[keep].astype(np.intp))
            where = ""
        if separable:
            warnings.warn(
                f"the classes are linearly separable{where}, so the maximum-likelihood "
                "estimate does not exist: without a prior the likelihood keeps rising as the "
                "weights grow, and the fitted weights are only where the optimiser stopped. "
                "Use a prior (prior='gaussian' with alpha > 0, or prior_scale=...).",
                SeparationWarning,
                stacklevel=3,
            )
        return separable

    # -------------------------------------------------------------- predict
    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Predicted class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; for multi-label targets the
            probability of each label being 1.
        """
        raw = self._raw(X)
        return self.family_.class_probs(raw, multilabel=self._multilabel)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`, computed in raw space (finite for finite raw).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        raw = self._raw(X)
        return self.family_.class_log_probs(raw, multilabel=self._multilabel)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Most probable class (multi-label: each label with probability above 1/2).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, k)
        """
        raw = self._raw(X)
        if self._multilabel:
            return (raw > 0).astype(self._label_dtype)
        return self.classes_[np.argmax(self.family_.class_log_probs(raw), axis=1)]

    def predict_dist(self, X: ArrayLike):
        """The predicted distribution over the (encoded) labels.

        Returns
        -------
        Distribution
            ``Bernoulli`` with batch shape (n_samples,) for two classes (the
            probability of ``classes_[1]``), ``Categorical`` with probabilities
            (n_samples, n_classes), or ``Bernoulli`` with batch shape
            (n_samples, k) for multi-label targets.
        """
        raw = self._raw(X)  # first: raises NotFittedError on an unfitted estimator
        return self.family_.distribution(raw)

    def encode_target(self, y: ArrayLike) -> np.ndarray:
        """Labels -> class indices 0..C-1, shape (n_samples,) (a column of shape
        (n_samples, 1) taken as the labels; multi-label: the 0/1 matrix as given)."""
        check_is_fitted(self, "classes_")
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1 and not self._multilabel:
            y = y[:, 0]
        return self._encode(y)

    def _likelihood_parts(self) -> tuple:
        family = self.family_
        return family, family, lambda y: family.check_target(self.encode_target(y)), 0.0

    def _nll_per_row(self, X, y) -> np.ndarray:
        check_is_fitted(self, "coefs_")
        raw = self._raw(X)
        y = self.encode_target(y)
        if raw.shape[0] != y.shape[0]:
            raise ValueError(
                f"X and y must have the same number of rows; found {raw.shape[0]} and {y.shape[0]}"
            )
        return self.family_.nll(raw, y)

    # ---------------------------------------------------------- model files
    def _export_extra(self) -> dict:
        return {
            "classes_": self.classes_.tolist(),
            # tolist() loses the dtype (int32 -> int, object strings -> str): keep it, so a
            # loaded model answers predict() with labels of the same dtype
            "classes_dtype": "object" if self.classes_.dtype == object else self.classes_.dtype.str,
            "multilabel": bool(self._multilabel),
            "binary_targets": bool(self._binary_targets),
            "label_dtype": np.dtype(getattr(self, "_label_dtype", np.int64)).str,
        }

    def _import_extra(self, meta: dict) -> None:
        dtype = meta.get("classes_dtype")  # absent in files written before it was stored
        self.classes_ = np.asarray(meta["classes_"], dtype=None if dtype is None else np.dtype(dtype))
        self._multilabel = bool(meta["multilabel"])
        # "binary_bernoulli": the same flag in files written before families declared a support
        self._binary_targets = bool(meta.get("binary_targets", meta.get("binary_bernoulli")))
        self._label_dtype = np.dtype(meta["label_dtype"])


def linearly_separable(X: np.ndarray, y: np.ndarray) -> bool:
    """Whether some affine function separates the classes with a margin (complete separation).

    Two classes (``y`` in {0, 1}): is there ``(w, b)`` with
    ``s_i (w . x_i + b) >= 1`` for all ``i`` (``s_i = 2 y_i - 1``)? For C
    classes: are there ``(w_k, b_k)`` with ``(w_{y_i} - w_k) . x_i +
    (b_{y_i} - b_k) >= 1`` for every ``k != y_i``? Both are linear
    feasibility problems, answered by :func:`scipy.optimize.linprog` (HiGHS).
    When they are feasible, scaling the solution up drives every example's
    likelihood to 1, so the maximum-likelihood estimate does not exist.
    (Quasi-complete separation, with some examples exactly on the boundary,
    is not detected.)

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Class indices ``0..C-1`` (0/1 for two classes).

    Returns
    -------
    bool
    """
    y = np.asarray(y).astype(np.intp)
    Xt = np.hstack([np.asarray(X, dtype=np.float64), np.ones((X.shape[0], 1))])
    n, d1 = Xt.shape
    classes = np.unique(y)
    if classes.size < 2:
        return False
    if classes.size == 2:
        s = np.where(y == classes[1], 1.0, -1.0)
        A_ub = -s[:, None] * Xt
        n_vars = d1
    else:
        # one row per (example, other class): (w_k - w_{y_i}) . x_i <= -1
        C = int(y.max()) + 1
        rows_i, rows_k = np.nonzero(np.arange(C)[None, :] != y[:, None])
        m = rows_i.size
        cols = np.arange(d1)
        data = np.concatenate([Xt[rows_i], -Xt[rows_i]], axis=1).ravel()
        col_idx = np.concatenate(
            [rows_k[:, None] * d1 + cols, y[rows_i][:, None] * d1 + cols], axis=1
        ).ravel()
        row_idx = np.repeat(np.arange(m), 2 * d1)
        A_ub = sp.csr_array((data, (row_idx, col_idx)), shape=(m, C * d1))
        n_vars = C * d1
    # A large multi-class problem can take seconds; past the limit the answer is
    # "not shown separable" (status 1) and no warning is given.
    result = linprog(
        np.zeros(n_vars), A_ub=A_ub, b_ub=-np.ones(A_ub.shape[0]),
        bounds=(None, None), method="highs", options={"time_limit": _LP_SECONDS},
    )  # fmt: skip
    return result.status == 0


def _family_class(name: str):
    from probnn.families import FAMILIES

    return FAMILIES[name]
