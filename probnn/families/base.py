"""The base class of the likelihood heads.

A family turns a network's raw outputs ``raw`` (shape ``(n_samples, n_outputs)``)
into the parameters of a distribution over the target, and scores a target by
that distribution's negative log-likelihood (NLL). Everything is computed from
``raw`` directly (logits, log rates, softplus-inverse scales), never from
probabilities that were rounded first. ``Family``'s methods for censored and interval
targets are in :mod:`probnn.families._interval_methods` (its base class); the raw-space
helpers the families share are in :mod:`probnn.families._helpers`, re-exported here.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from probnn._math import softplus_inverse
from probnn._validation import check_sample_weight
# the families (and the network's training loop) import these from here
from probnn.families._helpers import (  # noqa: F401 - re-exported
    _SCALE_SERIES_BELOW, Array, _overflow_is_inf, as_1d_target, as_columns, as_raw,
    as_real_target, as_vector, check_count_target, check_positive_target, reject, resolution,
    safe_divide, softplus_scale, softplus_sigmoid, weigh_rows, weighted_mean)
from probnn.families._interval_methods import _SUPPORT_RANGE, IntervalMethods  # noqa: F401

__all__ = ["Family", "SUPPORTS", "TARGET_KINDS", "DISCRETE_KINDS", "LABEL_KINDS"]

# The kinds of target a family can be fitted to, from what probnn sees in the data
# (probnn.tables.targets.target_kind). A family declares the kinds it models in ``target_kinds``.
TARGET_KINDS = (
    "binary",           # exactly two distinct values
    "classes",          # labels without an order (text, or a few integers)
    "ordered-classes",  # a few integers whose order means something (ratings, grades)
    "count",            # non-negative integers
    "integer",          # integers, some negative
    "positive",         # real values > 0
    "unit-interval",    # real values strictly between 0 and 1
    "real",             # any other real values
)
# Kinds whose values are class labels: only classifier families model them.
LABEL_KINDS = ("binary", "classes", "ordered-classes")
# Kinds whose values are integers: continuous families are scored on them by the
# probability of each integer (probnn._discrete.integer_log_prob).
DISCRETE_KINDS = ("binary", "classes", "ordered-classes", "count", "integer")
# The sets a family's distribution lives on (``Family.support``).
SUPPORTS = ("binary", "classes", "ordered-classes", "count", "positive", "unit-interval", "real")


class Family(IntervalMethods):
    """A likelihood head: raw network outputs -> distribution -> NLL and gradient.

    Subclasses set the class attributes, implement :meth:`check_target`,
    :meth:`_n_outputs_for`, :meth:`_loss_gradient`, :meth:`distribution`,
    :meth:`mean`, :meth:`constant_raw` and :meth:`derivation`; the public
    ``nll`` / ``gradient`` / ``loss_gradient`` share the input handling here. The
    methods for censored and interval targets come from the base class
    :class:`~probnn.families._interval_methods.IntervalMethods`.

    Notes
    -----
    ``raw`` has shape ``(n_samples, n_outputs)``; where ``n_outputs`` is 1 a 1-D
    ``raw`` of shape ``(n_samples,)`` is accepted too, and the gradient then has
    that shape. Float32 ``raw`` gives float32 results, anything else float64.
    """

    #: registry key, e.g. ``"normal-fixed"``
    name: str = ""
    #: the classical name of the loss the NLL equals
    loss_name: str = ""
    #: how raw outputs become the distribution's parameters, e.g. ``"mu = z1, sigma = softplus(z2)"``
    link: str = ""
    #: the link in scikit-learn's words (``MLPRegressor.out_activation_``)
    out_activation: str = "identity"
    #: whether targets are class labels (an ``MLPClassifier`` family)
    is_classifier: bool = False
    #: the set the distribution lives on, one of ``SUPPORTS``
    support: str = "real"
    #: adding one number to every raw output leaves the distribution as it was (a softmax's
    #: logits): that direction of the raw outputs carries no information, so an
    #: approximation that reads their spread (a Laplace posterior's probit predictive) drops it
    raw_shift_invariant: bool = False
    #: the target kinds (``TARGET_KINDS``) this family can be fitted to
    target_kinds: tuple[str, ...] = ()
    #: the target kinds for which this family is the texts' default choice
    default_for: tuple[str, ...] = ()
    #: names of the predicted distribution's parameters: the columns of ``predict_table``
    #: (see :meth:`parameter_columns`)
    param_names: tuple[str, ...] = ()
    #: ``shift + scale * Y`` has a distribution of the same family (``Distribution.affine``),
    #: so the target may be standardised for training
    location_scale: bool = False
    #: fixed parameters (keywords of ``get_family``) with their constraints; e.g.
    #: ``{"scale": POSITIVE}``
    fixed_params: dict = {}
    #: fixed parameters measured in y's units: divided by the target's scale when the
    #: target is standardised
    scale_params: tuple[str, ...] = ()
    #: fixed parameters an estimator estimates by maximum likelihood once the network is
    #: fitted, when the user gives none of them (see :meth:`fit_fixed_params`)
    estimated_params: tuple[str, ...] = ()
    #: the scikit-learn ``loss=`` name whose objective this family's NLL is, if any
    sklearn_loss: str | None = None
    #: a family whose raw output 1 is ``softplus^-1`` of a spread parameter that widening the
    #: predicted distributions by a factor ``f`` (a regressor's ``recalibrate``) multiplies by
    #: ``f ** spread_power``, output 0 kept: 1 for the log-normal's sigma (``log y``'s scale),
    #: -1 for the log-logistic's and Weibull's shape (its inverse), -2 for the gamma's shape
    #: (its standard deviation times ``f`` at the same mean); None: none
    #: (:meth:`widened_raw`; the location-scale families are widened on their distributions)
    spread_power: int | None = None
    #: a fixed parameter, in y's units, that keeps every density the family can put out at
    #: most ``1 / h`` for targets recorded to a resolution ``h``, given as ``h / sqrt(2 pi)``
    #: (a mixture's smallest component scale: on a heap, one value held by many rows, its
    #: components could otherwise spike without bound); None: the family cannot spike
    #: (every tabular fit sets it on a target with a heap:
    #: :func:`probnn.tables.resolution.with_resolution_floor`)
    resolution_param: str | None = None
    #: whether ``probnn.selection`` tries this family, unnamed, when it scores candidates on
    #: one split (a large table, where one network is fitted and the time is the cost);
    #: under K folds every family of the target's kinds is tried
    tried_on_one_split: bool = True
    #: the registry families nested in this one: every model of theirs, at every capacity, is
    #: one of this family's or a limit of them (their raw outputs a fixed affine map of this
    #: family's, or a limit of one: the constant, the GLM and the network alike). The
    #: selection's one-SE rule prefers the nested family within noise; between families
    #: neither nests (rivals) it goes by the CV mean (``probnn.selection``; closed
    #: transitively there)
    nests: tuple[str, ...] = ()

    # The public nll / gradient / loss_gradient validate (here, once) and then call the
    # kernel _loss_gradient, whose contract is: raw of shape (n, n_outputs) in float32 or
    # float64, y as check_target returns it (floats cast to raw's dtype), rows aligned.
    # The Trainer checks the targets once per fit and calls the kernel per minibatch, so a
    # family implements the kernel and never the public methods.
    _FINAL = ("nll", "gradient", "loss_gradient", "_prepare", "censored_nll",
              "censored_loss_gradient", "_censored_checked", "check_interval_target",
              "_interval_loss_gradient")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        overridden = [name for name in Family._FINAL if name in cls.__dict__]
        if overridden:
            raise TypeError(
                f"{cls.__name__} overrides {', '.join(overridden)}; a family implements the "
                "kernel _loss_gradient(raw, y, need_gradient) and inherits the checked public "
                "methods (the Trainer calls the kernel directly once targets are checked)"
            )

    # ------------------------------------------------------------------ targets
    def check_target(self, y: ArrayLike) -> np.ndarray:  # pragma: no cover - abstract
        """Return validated targets or raise ``ValueError`` naming values and rows."""
        raise NotImplementedError

    def n_outputs(self, y: ArrayLike) -> int:
        """Number of raw outputs a network needs to model targets ``y``.

        Parameters
        ----------
        y : array-like of shape (n_samples,) or (n_samples, k)
        """
        return self._n_outputs_for(self.check_target(y))

    def _n_outputs_for(self, y: np.ndarray) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_raw_columns(self, raw: Array, y: np.ndarray) -> None:
        """Raise unless ``raw`` has the columns that targets ``y`` need."""
        expected = self._n_outputs_for(y)
        if raw.shape[1] != expected:
            raise ValueError(
                f"{self.name} family with these targets expects raw outputs of shape "
                f"(n_samples, {expected}); found shape {raw.shape}"
            )

    # ------------------------------------------------------------- loss, grad
    def widened_raw(self, raw: ArrayLike, factor: float) -> Array:
        """The raw outputs of the predicted distributions widened by ``factor``.

        For a family with ``spread_power``: raw output 1 rewritten so that its spread
        parameter is multiplied by ``factor ** spread_power`` (a log-normal's ``log y``
        scale times ``factor``, the median kept; a log-logistic's or Weibull's shape divided
        by it, the median kept; a gamma's shape divided by ``factor ** 2``, the mean kept),
        in log space: no overflow or underflow for raw outputs of +-1e4. The
        location-scale families are widened on their distributions instead
        (:func:`probnn.distributions.scaled_distribution`).

        Parameters
        ----------
        raw : array-like of shape (n_samples, 2)
        factor : float > 0

        Returns
        -------
        ndarray of shape (n_samples, 2), float64

        Raises
        ------
        ValueError
            For a family without ``spread_power``.
        """
        if self.spread_power is None:
            raise ValueError(f"family {self.name!r} has no spread parameter to widen")
        out = np.array(raw, dtype=np.float64)  # a copy
        _, log_v, _ = softplus_scale(out[:, 1], False)  # exact where softplus underflows
        log_v = log_v + self.spread_power * np.log(float(factor))
        # softplus^-1(e^log_v); below e^-30 it is log_v itself to float precision
        out[:, 1] = log_v
        body = log_v >= -30.0
        out[body, 1] = softplus_inverse(np.exp(np.minimum(log_v[body], 700.0)))
        return out

    def nll(self, raw: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """Negative log-likelihood of each example.

        Parameters
        ----------
        raw : ndarray of shape (n_samples, n_outputs) or (n_samples,)
            Raw network outputs.
        y : array-like of shape (n_samples,) or (n_samples, k)
            Targets (see :meth:`check_target`).
        sample_weight : array-like of shape (n_samples,), optional
            Each example's NLL is multiplied by its weight.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        raw2, y, _ = self._prepare(raw, y)
        with _overflow_is_inf():
            loss, _ = self._loss_gradient(raw2, y, False)
        return self._weigh(loss, None, sample_weight)[0]

    def gradient(self, raw: ArrayLike, y: ArrayLike) -> Array:
        """Gradient of each example's NLL with respect to its own raw outputs.

        Returns
        -------
        ndarray, same shape as ``raw``
        """
        return self.loss_gradient(raw, y)[1]

    def loss_gradient(
        self, raw: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> tuple[Array, Array]:
        """NLL per example and its gradient in one pass (the training hot path).

        Returns
        -------
        nll : ndarray of shape (n_samples,)
            Multiplied by ``sample_weight`` if given.
        gradient : ndarray, same shape as ``raw``
            Row ``i`` is multiplied by ``sample_weight[i]`` if given.
        """
        raw2, y, one_d = self._prepare(raw, y)
        with _overflow_is_inf():
            loss, grad = self._loss_gradient(raw2, y, True)
        loss, grad = self._weigh(loss, grad, sample_weight)
        return loss, (grad[:, 0] if one_d else grad)

    def _loss_gradient(
        self, raw: Array, y: np.ndarray, need_gradient: bool
    ) -> tuple[Array, Array | None]:  # pragma: no cover - abstract
        """Per-example NLL (n,) and, if asked, its gradient (n, n_outputs)."""
        raise NotImplementedError

    # ------------------------------------------------------------ predictions
    def distribution(self, raw: ArrayLike):  # pragma: no cover - abstract
        """The predicted distribution, batch shape ``(n_samples,)``."""
        raise NotImplementedError

    def class_probs(self, raw: ArrayLike, multilabel: bool = False) -> Array:
        """Classifier families: the probability of each class, shape (n_samples, C).

        ``multilabel`` (families with support "binary"): the probability of each
        of k labels being 1, shape (n_samples, k).
        """
        raise NotImplementedError(f"family {self.name!r} is not a classifier family")

    def class_log_probs(self, raw: ArrayLike, multilabel: bool = False) -> Array:
        """Logarithm of :meth:`class_probs`, computed in raw space."""
        raise NotImplementedError(f"family {self.name!r} is not a classifier family")

    def mean(self, raw: ArrayLike) -> Array:  # pragma: no cover - abstract
        """The predicted mean (class probabilities for classifiers)."""
        raise NotImplementedError

    def constant_raw(
        self, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Array:  # pragma: no cover - abstract
        """Raw outputs, shape ``(n_outputs,)``, of the best constant model (the MLE)."""
        raise NotImplementedError

    def reference_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """Raw outputs, shape ``(n_outputs,)``, of the constant model that scores rows it was
        not fitted on (``probnn fit``'s reference): :meth:`constant_raw`, the MLE, unless a
        family says otherwise where the MLE lies at a boundary with no finite optimum (a
        hurdle's ``P(0) = 0`` on rows without a zero: ``HurdleFamily.reference_raw``)."""
        return self.constant_raw(y, sample_weight)

    def derivation(self, latex: bool = False) -> str:  # pragma: no cover - abstract
        """Likelihood -> log-likelihood -> loss -> gradient, as text or LaTeX."""
        raise NotImplementedError

    def parameter_columns(self, dist) -> dict[str, np.ndarray]:
        """The predicted distribution's parameters as named columns of shape (n_samples,).

        The columns of ``probnn predict``'s output. The default reads the
        attributes ``param_names`` of ``dist``: one column each, or
        ``name_0, name_1, ...`` for a parameter of shape (n_samples, k) (class
        probabilities); a family whose parameters are laid out otherwise (a
        mixture's (K, n_samples) weights) overrides this.
        """
        n = dist.batch_shape[0]
        columns = {}
        for name in self.param_names:
            values = np.asarray(getattr(dist, name))
            if values.ndim == 2:  # one column per class or label: name_0, name_1, ...
                columns.update({f"{name}_{j}": values[:, j] for j in range(values.shape[1])})
            else:
                columns[name] = np.broadcast_to(values, (n,))
        return columns

    def fit_fixed_params(
        self, raw: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> dict:
        """Maximum-likelihood values of ``estimated_params`` given the network's outputs.

        Parameters
        ----------
        raw : ndarray of shape (n_samples, n_outputs)
            The fitted network's raw outputs on the training rows.
        y : ndarray of shape (n_samples,)
            The targets the network was trained on.
        sample_weight : ndarray of shape (n_samples,), optional

        Returns
        -------
        dict
            This family's parameters (``get_params()``) with the estimated ones replaced.
        """
        raise NotImplementedError(f"family {self.name!r} estimates no fixed parameters")

    def standardised(self, scale: float) -> "Family":
        """This family for the target divided by ``scale``: fixed scale parameters divided too."""
        params = self.get_params()
        if scale == 1.0 or not any(params.get(p) is not None for p in self.scale_params):
            return self
        for p in self.scale_params:
            if params.get(p) is not None:
                params[p] = params[p] / scale
        return type(self)(**params)

    # ----------------------------------------------------------------- params
    def get_params(self) -> dict:
        """Constructor parameters (JSON-able), e.g. ``{"scale": 1.0}``."""
        return {}

    def check_given_params(self) -> None:
        """Raise ValueError where a parameter a user gave (``--family-param``) is one the
        family takes but training cannot hold; parameters the library fits (a target's own
        scale, however small) are not checked here."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"get_family({self.name!r}{', ' if params else ''}{params})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.get_params() == other.get_params()

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(self.get_params().items()))))

    # ---------------------------------------------------------------- helpers
    def _prepare(self, raw: ArrayLike, y: ArrayLike) -> tuple[Array, np.ndarray, bool]:
        """Validate and align ``raw`` (as 2-D) with validated targets ``y``."""
        raw = as_raw(raw)
        one_d = raw.ndim == 1
        if one_d:
            raw = raw[:, None]
        elif raw.ndim != 2:
            raise ValueError(
                f"raw outputs must have shape (n_samples, n_outputs); found shape {raw.shape}"
            )
        y = self.check_target(y)
        if y.shape[0] != raw.shape[0]:
            raise ValueError(
                f"raw outputs and targets must have the same number of rows; found "
                f"{raw.shape[0]} raw rows and {y.shape[0]} targets"
            )
        self._check_raw_columns(raw, y)
        if y.dtype.kind == "f":
            y = y.astype(raw.dtype, copy=False)
        return raw, y, one_d

    @staticmethod
    def _weigh(loss: Array, grad: Array | None, sample_weight: ArrayLike | None):
        if sample_weight is None:
            return loss, grad
        w = check_sample_weight(sample_weight, loss.shape[0], dtype=loss.dtype)
        return weigh_rows(loss, grad, w)

    # ------------------------------------------------ curvature in raw space (Laplace)
    def raw_hessian(self, raw: ArrayLike, y: ArrayLike) -> np.ndarray:
        """Second derivatives of each example's NLL with respect to its own raw outputs.

        The curvature the Laplace approximation's generalised Gauss-Newton matrix
        pushes through the network (:class:`probnn.LaplaceApproximation`).

        Parameters
        ----------
        raw : ndarray of shape (n_samples, n_outputs) or (n_samples,)
        y : array-like of shape (n_samples,) or (n_samples, k)
            Targets (see :meth:`check_target`).

        Returns
        -------
        ndarray of shape (n_samples, n_outputs, n_outputs), float64, symmetric

        Notes
        -----
        The generic form is the central difference of the analytic gradient
        (:meth:`_loss_gradient`) in float64, step ``1e-4 * max(1, |raw|)``: its
        error is of order ``1e-8`` times the third derivative. Families with a
        closed form override :meth:`_raw_hessian`.
        """
        raw2, y, _ = self._prepare(as_raw(raw).astype(np.float64), y)
        return self._raw_hessian(raw2, y)

    def raw_curvature(self, raw: ArrayLike, y: ArrayLike) -> np.ndarray:
        """:meth:`raw_hessian` with its negative eigenvalues set to 0, per example.

        The generalised Gauss-Newton matrix needs a positive semi-definite
        curvature in raw space. Where the NLL is convex in the raw outputs (the
        canonical links: normal-fixed, bernoulli, categorical, poisson) this is
        the Hessian itself; elsewhere (a learned scale's raw output) a row's
        Hessian can be indefinite, and its positive part is kept.

        Returns
        -------
        ndarray of shape (n_samples, n_outputs, n_outputs), float64
        """
        hess = self.raw_hessian(raw, y)
        if hess.shape[1] == 1:
            return np.maximum(hess, 0.0)
        values, vectors = np.linalg.eigh(hess)
        return np.einsum("nij,nj,nkj->nik", vectors, np.maximum(values, 0.0), vectors)

    def _raw_hessian(self, raw: Array, y: np.ndarray) -> np.ndarray:
        """Per-example Hessian (n, k, k) for checked float64 ``raw`` and targets ``y``."""
        n, k = raw.shape
        step = 1e-4 * np.maximum(1.0, np.abs(raw))
        hess = np.empty((n, k, k))
        for j in range(k):
            shift = np.zeros_like(raw)
            shift[:, j] = step[:, j]
            with _overflow_is_inf():
                _, up = self._loss_gradient(raw + shift, y, True)
                _, down = self._loss_gradient(raw - shift, y, True)
            hess[:, j, :] = (up - down) / (2 * step[:, j, None])
        return 0.5 * (hess + hess.transpose(0, 2, 1))
