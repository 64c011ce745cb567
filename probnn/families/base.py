"""The base class of the likelihood heads, and raw-space helpers they share.

A family turns a network's raw outputs ``raw`` (shape ``(n_samples, n_outputs)``)
into the parameters of a distribution over the target, and scores a target by
that distribution's negative log-likelihood (NLL). Everything is computed from
``raw`` directly (logits, log rates, softplus-inverse scales), never from
probabilities that were rounded first.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from probnn._math import softplus_inverse
from probnn._validation import check_sample_weight, describe_rows, describe_values

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

Array = NDArray[np.floating]

# Below this raw value the softplus scale is computed from its series
# softplus(z) = e^z - e^{2z}/2 + ...: the next term is below float64 precision.
_SCALE_SERIES_BELOW = -20.0

# Where the exact NLL exceeds the float range (a residual over an underflowed
# scale, exp of a huge log rate) the honest result is +inf: no warning for it.
# Invalid operations (NaN) still warn.
def _overflow_is_inf() -> np.errstate:
    return np.errstate(over="ignore", divide="ignore")


class Family:
    """A likelihood head: raw network outputs -> distribution -> NLL and gradient.

    Subclasses set the class attributes, implement :meth:`check_target`,
    :meth:`_n_outputs_for`, :meth:`_loss_gradient`, :meth:`distribution`,
    :meth:`mean`, :meth:`constant_raw` and :meth:`derivation`; the public
    ``nll`` / ``gradient`` / ``loss_gradient`` share the input handling here.

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

    # ------------------------------------------------------- interval targets
    @property
    def models_intervals(self) -> bool:
        """Whether the family scores censored and interval targets (it has a cdf kernel).

        A family that implements :meth:`_censored_loss_gradient` accepts targets of
        shape (n_samples, 2) holding ``(lower, upper)``; the others refuse them by name.
        """
        return type(self)._censored_loss_gradient is not Family._censored_loss_gradient

    def check_interval_target(self, y: ArrayLike) -> np.ndarray:
        """Validated ``(lower, upper)`` targets, shape (n_samples, 2), float.

        Each row says ``lower < Y <= upper``; ``lower == upper`` is an exact
        observation (scored by the density or mass, as a 1-D target is). ``upper =
        inf`` is right-censored, ``lower = -inf`` (or at or below the lower end of the
        support, e.g. 0 for positive targets) left-censored, anything else
        interval-censored. Bounds beyond the support are moved to ``-inf`` / ``+inf``
        (the same event); bounds of a count family are rounded down to integers
        (``P(l < Y <= u) = F(floor u) - F(floor l)``).

        Raises
        ------
        ValueError
            If the family has no cdf (naming it), the shape is not (n_samples, 2), a bound
            is NaN, ``lower > upper``, an exact value is outside the family's targets, or
            an interval holds no value of the support; naming the values and rows.
        """
        if not self.models_intervals:
            raise ValueError(
                f"family {self.name!r} does not model censored or interval targets (y of "
                "shape (n_samples, 2) holding lower and upper bounds): it has no cdf "
                "kernel; give one target per row, or choose a family that has one ("
                + ", ".join(_interval_families()) + ")"
            )
        y = as_real_target(y, self.name, "numbers (lower and upper bounds)")
        if y.ndim != 2 or y.shape[1] != 2:
            raise ValueError(
                f"{self.name} interval targets must have shape (n_samples, 2) holding "
                f"(lower, upper); found shape {y.shape}"
            )
        y = np.array(y, dtype=np.float64 if y.dtype.itemsize < 8 else y.dtype)
        lower, upper = y[:, 0], y[:, 1]
        reject(np.isnan(y).any(axis=1), y, f"{self.name} interval bounds must not be NaN")
        reject(lower > upper, y, f"{self.name} interval targets need lower <= upper")
        exact = lower == upper
        reject(exact & ~np.isfinite(lower), y,
               f"{self.name} exact targets (lower == upper) must be finite")  # fmt: skip
        if exact.any():
            self._check_exact_rows(y, exact)
        low, high = _SUPPORT_RANGE.get(self.support, (-np.inf, np.inf))
        cens = ~exact
        if self.support == "count":
            with np.errstate(invalid="ignore"):
                y[cens] = np.floor(y[cens])
        # at or below the support's lower end: no value is excluded from below
        y[cens & (lower <= low), 0] = -np.inf
        y[cens & (upper >= high), 1] = np.inf
        empty = cens & ((upper <= low) | (lower >= high) | (lower == upper))
        reject(empty, y, f"{self.name} interval targets must hold some value of the "
               f"{self.support} support (lower < Y <= upper)")  # fmt: skip
        return y

    def _check_exact_rows(self, y: np.ndarray, exact: np.ndarray) -> None:
        """``check_target`` on the exact rows, with the rows named as the user numbers them."""
        try:
            self.check_target(y[exact, 0])
        except ValueError:
            bad = np.zeros(len(y), dtype=bool)
            for i in np.flatnonzero(exact):
                try:
                    self.check_target(y[i : i + 1, 0])
                except ValueError:
                    bad[i] = True
            reject(bad, y[:, 0], f"{self.name} exact targets (lower == upper) must be valid "
                   "targets of the family")  # fmt: skip
            raise

    def censored_nll(
        self, raw: ArrayLike, lower: ArrayLike, upper: ArrayLike,
        sample_weight: ArrayLike | None = None,
    ) -> Array:
        """Per-example ``-log P(lower < Y <= upper)`` (the density's NLL where equal).

        Parameters
        ----------
        raw : ndarray of shape (n_samples, n_outputs) or (n_samples,)
        lower, upper : array-like of shape (n_samples,)
            See :meth:`check_interval_target`.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self._censored_checked(raw, lower, upper, sample_weight, False)[0]

    def censored_loss_gradient(
        self, raw: ArrayLike, lower: ArrayLike, upper: ArrayLike,
        sample_weight: ArrayLike | None = None,
    ) -> tuple[Array, Array]:
        """:meth:`censored_nll` and its gradient with respect to ``raw`` (same shape)."""
        return self._censored_checked(raw, lower, upper, sample_weight, True)

    def _censored_checked(self, raw, lower, upper, sample_weight, need_gradient: bool):
        """Check the bounds and ``raw``, then run :meth:`_interval_loss_gradient`."""
        y = self.check_interval_target(np.column_stack([np.ravel(lower), np.ravel(upper)]))
        raw = as_raw(raw)
        one_d = raw.ndim == 1
        raw2 = raw[:, None] if one_d else raw
        if raw2.ndim != 2 or raw2.shape[0] != y.shape[0]:
            raise ValueError(
                f"raw outputs must have shape (n_samples, n_outputs) with one row per "
                f"interval; found shape {raw.shape} for {y.shape[0]} intervals"
            )
        self._check_raw_columns(raw2, y[:, 0])
        with _overflow_is_inf():
            loss, grad = self._interval_loss_gradient(raw2, y, need_gradient)
        loss, grad = self._weigh(loss, grad, sample_weight)
        return loss, (grad[:, 0] if one_d and grad is not None else grad)

    def _interval_loss_gradient(
        self, raw: Array, y: np.ndarray, need_gradient: bool
    ) -> tuple[Array, Array | None]:
        """Kernel for checked interval targets ``y`` (n, 2): exact rows by the density
        (:meth:`_loss_gradient`), the others by :meth:`_censored_loss_gradient`."""
        lower, upper = y[:, 0], y[:, 1]
        exact = lower == upper
        loss = np.empty(raw.shape[0], dtype=raw.dtype)
        grad = np.empty_like(raw) if need_gradient else None
        for rows, kernel, args in (
            (exact, self._loss_gradient, lambda m: (lower[m].astype(raw.dtype, copy=False),)),
            (~exact, self._censored_loss_gradient, lambda m: (lower[m], upper[m])),
        ):
            if rows.all():
                part_loss, part_grad = kernel(raw, *args(rows), need_gradient)
            elif rows.any():
                part_loss, part_grad = kernel(raw[rows], *args(rows), need_gradient)
            else:
                continue
            loss[rows] = part_loss
            if need_gradient:
                grad[rows] = part_grad
        return loss, grad

    def _censored_loss_gradient(
        self, raw: Array, lower: np.ndarray, upper: np.ndarray, need_gradient: bool
    ) -> tuple[Array, Array | None]:  # pragma: no cover - families without a cdf
        """``-log P(lower < Y <= upper)`` per row (n,) and its gradient (n, n_outputs).

        Contract: ``lower < upper`` in float64 as :meth:`check_interval_target` returns
        them (``-inf`` / ``+inf`` for absent bounds, never an exact row); results in
        ``raw``'s dtype. Computed in log space (log-cdf, log-survival and ``log1mexp``
        of their difference, :mod:`probnn.families._censored`) with the gradient by the
        chain rule through the family's link.
        """
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


# ---------------------------------------------------------------------- helpers
# The closure of each support, for interval bounds: a bound at or beyond an end
# excludes nothing (F = 0 below the lower end, 1 above the upper).
_SUPPORT_RANGE = {
    "real": (-np.inf, np.inf),
    "positive": (0.0, np.inf),
    "unit-interval": (0.0, 1.0),
    "count": (-1.0, np.inf),  # bounds are floored: P(-1 < Y <= u) = F(u)
}


def _interval_families() -> list[str]:
    """Names of the families that model interval targets (each registered family is a
    subclass of Family: read here without importing the registry, which imports this)."""
    found, todo = [], list(Family.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.name and cls._censored_loss_gradient is not Family._censored_loss_gradient:
            try:  # a family whose kernel depends on its parameters says so by instance
                if not cls().models_intervals:
                    continue
            except Exception:  # noqa: BLE001 - a family that needs parameters: by class
                pass
            found.append(cls.name)
    return sorted(set(found))


def weigh_rows(loss: Array, grad: Array | None, w: Array) -> tuple[Array, Array | None]:
    """``loss`` (n,) and the rows of ``grad`` (n, k) times checked weights ``w`` (n,), in place."""
    loss *= w
    if grad is not None:
        grad *= w[:, None]
    return loss, grad


def as_raw(raw: ArrayLike) -> Array:
    """``raw`` as a float array: float32 and float64 kept, anything else float64."""
    raw = np.asarray(raw)
    if raw.dtype.kind != "f" or raw.dtype.itemsize > 8:
        raw = raw.astype(np.float64)
    elif raw.dtype.itemsize < 4:
        raw = raw.astype(np.float32)
    return raw


def as_real_target(y: ArrayLike, family: str, what: str = "real numbers") -> np.ndarray:
    """Targets as a float array; ``ValueError`` naming non-numeric entries."""
    y = np.asarray(y)
    if y.dtype.kind == "b":
        return y.astype(np.float64)
    if y.dtype.kind in "iu":
        return y.astype(np.float64)
    if y.dtype.kind == "f":
        return y if y.dtype.itemsize in (4, 8) else y.astype(np.float64)
    try:
        return y.astype(np.float64)
    except (TypeError, ValueError):
        flat = y.ravel()
        bad = np.array([not _is_number(v) for v in flat]).reshape(y.shape)
        raise ValueError(
            f"{family} targets must be {what}; found {describe_values(y[bad].astype(str))} "
            f"at {describe_rows(bad)}"
        ) from None


def _is_number(v) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def as_1d_target(y: ArrayLike, family: str, what: str) -> np.ndarray:
    """One target per row: shape (n,) (a single column (n, 1) is flattened)."""
    y = as_real_target(y, family, what)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"{family} targets must have shape (n_samples,); found shape {y.shape}"
        )
    return y


def check_positive_target(y: ArrayLike, family: str) -> np.ndarray:
    """Finite targets > 0 of shape (n_samples,); ``ValueError`` naming the others and their rows."""
    y = as_1d_target(y, family, "positive real numbers")
    reject(~(np.isfinite(y) & (y > 0)), y, f"{family} targets must be finite and > 0")
    return y


def check_count_target(y: ArrayLike, family: str) -> np.ndarray:
    """Non-negative integer counts of shape (n_samples,), as floats; ``ValueError`` otherwise."""
    y = as_1d_target(y, family, "non-negative integer counts")
    bad = ~np.isfinite(y) | (y < 0) | (y != np.floor(y))
    reject(bad, y, f"{family} targets must be non-negative integer counts")
    return y


def reject(bad: np.ndarray, y: np.ndarray, message: str) -> None:
    """Raise ``ValueError("<message>; found <values> at rows [...]")`` if any ``bad``."""
    if bad.any():
        raise ValueError(f"{message}; found {describe_values(y[bad])} at {describe_rows(bad)}")


def softplus_sigmoid(t: Array, need_sigmoid: bool) -> tuple[Array, Array | None]:
    """``softplus(t)`` and ``sigmoid(t)`` sharing one ``exp(-|t|)``.

    The same formulas as :mod:`probnn._math`, fused because the training loop
    wants both on every minibatch.
    """
    e = np.exp(-np.abs(t))
    sp = np.maximum(t, 0)
    sp += np.log1p(e)
    if not need_sigmoid:
        return sp, None
    inv = 1 / (1 + e)
    return sp, np.where(t >= 0, inv, e * inv)


def resolution(y: np.ndarray) -> float:
    """The targets' resolution: the smallest gap between two distinct values of ``y`` (0
    for fewer than two). A value recorded to this resolution stands for a cell that wide,
    so no density fitted to it need exceed ``1 / resolution`` (the mixture's ``min_scale``,
    ``probnn.tables.resolution``)."""
    gaps = np.diff(np.unique(y))
    return float(gaps.min()) if gaps.size else 0.0


def softplus_scale(z: Array, need_gradient: bool) -> tuple[Array, Array, Array | None]:
    """Scale ``s = softplus(z)``, ``log s``, and ``d log s / dz``, finite for all finite z.

    For ``z`` far below zero ``s`` underflows to 0 (``s ~ e^z``), so ``log s``
    and ``d log s / dz = sigmoid(z) / s`` come from the series instead:
    ``log s = z - e^z / 2 + O(e^{2z})`` and ``d log s / dz = 1 - e^z / 2 + O(e^{2z})``.

    Parameters
    ----------
    z : ndarray of shape (n_samples,)

    Returns
    -------
    scale, log_scale : ndarray of shape (n_samples,)
    dlog_scale : ndarray of shape (n_samples,) or None
    """
    e = np.exp(-np.abs(z))
    scale = np.maximum(z, 0)
    scale += np.log1p(e)
    tail = z < _SCALE_SERIES_BELOW  # there e == exp(z)
    half_e = 0.5 * e
    # log(1) in the tail keeps log() away from an underflowed 0; where() discards it.
    log_scale = np.where(tail, z - half_e, np.log(np.where(tail, 1, scale)))
    if not need_gradient:
        return scale, log_scale, None
    inv = 1 / (1 + e)
    sig = np.where(z >= 0, inv, e * inv)
    dlog = np.where(tail, 1 - half_e, sig / np.where(tail, 1, scale))
    return scale, log_scale, dlog


def safe_divide(num: Array, den: Array) -> Array:
    """``num / den`` with ``0 / 0 = 0`` (a zero residual over an underflowed scale)."""
    out = np.zeros(np.broadcast(num, den).shape, dtype=np.result_type(num, den))
    np.divide(num, den, out=out, where=num != 0)
    return out


def weighted_mean(y: np.ndarray, sample_weight: ArrayLike | None, axis: int = 0) -> np.ndarray:
    """Mean of ``y`` over rows weighted by ``sample_weight`` (checked, positive total)."""
    w = check_sample_weight(sample_weight, y.shape[0], dtype=np.float64)
    total = w.sum()
    if not total > 0:
        raise ValueError(f"sample_weight must have a positive sum; found {total}")
    return np.tensordot(w, y, axes=(0, axis)) / total


def as_vector(raw: ArrayLike) -> Array:
    """A one-output ``raw`` of shape (n,) or (n, 1) as shape (n,)."""
    raw = as_raw(raw)
    if raw.ndim == 2 and raw.shape[1] == 1:
        return raw[:, 0]
    if raw.ndim != 1:
        raise ValueError(
            f"raw outputs must have shape (n_samples,) or (n_samples, 1); found shape {raw.shape}"
        )
    return raw


def as_columns(raw: ArrayLike, k: int, family: str) -> Array:
    """``raw`` as shape (n, k), with an error naming the expected shape."""
    raw = as_raw(raw)
    if k == 1 and raw.ndim == 1:
        return raw[:, None]
    if raw.ndim != 2 or raw.shape[1] != k:
        raise ValueError(
            f"{family} family expects raw outputs of shape (n_samples, {k}); "
            f"found shape {raw.shape}"
        )
    return raw
