"""MLPRegressor's default predictive: the output layer's weight uncertainty (Laplace).

With ``predictive="auto"`` (the default) a fit ends by putting a Gaussian over the output
layer's ``(n_hidden + 1) * n_outputs`` weights, as ``LaplaceApproximation(est,
**probnn.defaults.TABLE_LAPLACE)`` does over the same network (:mod:`probnn.network.ggn`: the
full generalised Gauss-Newton matrix on the rows given to ``fit``, the prior precision of
largest Laplace evidence, the output biases' prior flat), and predicts with its linearised
predictive: the fitted family's Normal, Laplace or Student-t, scale widened so that its
variance grows by the linearised variance of the location (after the recalibrated
``scale_factor_``). The mean (``predict``) is the network's own. Where that is a Normal whose
widening factor was fitted on ``n`` held-out rows (``scale_factor_rows_``), the factor is
integrated out too: a Student-t of ``n`` degrees of freedom, the same variance
(:func:`probnn.estimators._widening.student_t_predictive`; ``bench/studies/uci_single.md``).

Where it applies: a family whose linearised predictive is closed form (location-scale,
predicting a Normal, Laplace or Student-t; never a count or positive family, so never a Monte
Carlo mixture) and, with "auto", whose network outputs the scale too ("normal", "laplace",
"studentt": a fixed or estimated sigma, "normal-fixed", keeps its documented ``scale_``;
``predictive="last-layer"`` includes it), exact targets, a ``fit``
(not ``partial_fit`` nor a streamed fit, whose rows are not all in memory), and a posterior
that costs little: its multiply-adds ``n k d^2`` at most ``_FREE_MULTIPLY_ADDS`` (a few
seconds) or a tenth of training's (about ``6 P n`` an epoch, ``P`` the weights). Elsewhere,
with ``predictive="plug-in"``, or where the posterior precision is singular, the network's
own distribution (``predictive_ == "plug-in"``). One departure from ``LaplaceApproximation``: the weights of an
output-layer input that is 0 on every training row (a hidden unit that never fired; a constant
model's zeroed features, ``TabularModel.fit(constant=True)``) are left out of the posterior
rather than given the prior's variance, so such an input that fires on a new row adds nothing;
where that is every input (a constant model) the predictive stays the plug-in MLE.

The covariance is stored in the model file (``last_layer_covariance``, with
``last_layer.prior_precision`` in the metadata); a file without them predicts plug-in, as
before. Sits below :mod:`probnn.laplace` (which it does not import).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from sklearn.utils.validation import validate_data

from probnn._validation import weighed_rows
from probnn.estimators._widening import student_t_predictive
from probnn.network import ggn
from probnn.network.jacobian import parameter_index

Array = np.ndarray

# A posterior of at most this many multiply-adds (n k d^2) is always computed: seconds on one
# core (the default network on 20,000 rows needs 4e8); above, at most a tenth of training's.
_FREE_MULTIPLY_ADDS = 2**33
_TRAINING_SHARE = 0.1
_MAX_WEIGHTS = 4096  # the covariance's 8 d^2 bytes: 128 MiB


def _closed_form(view) -> bool:
    from probnn.distributions import Laplace, Normal, StudentT

    probe = view.family.distribution(np.zeros((1, view.network.layer_sizes[-1])))
    return bool(view.training_family.location_scale) and isinstance(
        probe, (Normal, Laplace, StudentT))


def fit_posterior(est, X: Array, y_fit: Array, w: Array, applies: bool) -> None:
    """Set ``est.predictive_`` and, where the posterior applies, its covariance.

    Parameters
    ----------
    est : MLPRegressor, fitted (``_set_predictive`` done)
    X : ndarray of shape (n, n_features)
        The rows the network was fitted on.
    y_fit : ndarray of shape (n,)
        Their targets as the network was trained on them (standardised).
    w : ndarray of shape (n,)
        Their weights.
    applies : bool
        False for ``partial_fit``, a streamed fit and interval targets.
    """
    est._last_layer_covariance, est.last_layer_prior_precision_ = None, None
    est.predictive_ = "plug-in"
    if est.predictive == "plug-in" or not applies:
        return
    view = est.fitted_network()
    network, k = view.network, view.network.layer_sizes[-1]
    if est.predictive == "auto" and k < 2:  # the scale is not the network's: plug-in
        return
    d = (network.layer_sizes[-2] + 1) * k
    cost = X.shape[0] * k * d * d
    training = 6.0 * network.params.size * X.shape[0] * max(int(est.n_iter_ or 0), 1)
    if (d > _MAX_WEIGHTS or not _closed_form(view)
            or cost > max(_FREE_MULTIPLY_ADDS, _TRAINING_SHARE * training)):
        return
    w, X, y_fit = weighed_rows(w, X, y_fit)  # (0 x an infinite NLL is nan)
    X = np.ascontiguousarray(X, dtype=np.float64)
    curvature, bias_curvature, nll_sum = ggn.last_layer_curvature(
        network, X, np.asarray(y_fit, dtype=np.float64), w, view.training_family,
        floor=view.scale_floor)
    index = parameter_index(network, "last-layer")
    weights = np.asarray(network.params[index], dtype=np.float64)
    # the output biases' prior is flat; a saturated output's weights stay at their fitted values
    is_coef, fixed = ggn.output_prior(network, index, bias_curvature)
    if fixed.any():
        curvature = ggn.without(curvature, fixed)
    # a weight of an input that is 0 on every training row (a hidden unit that never fired,
    # or a constant model's zeroed features) gets no posterior: it stays at its fitted value,
    # where LaplaceApproximation would give it the prior's variance
    is_coef &= np.diag(curvature) > 0
    if not is_coef[:d - k].any():  # no input ever non-zero: a constant model, its MLE plug-in
        return
    nll_sum += view.log_scale * float(w.sum())
    lam = ggn.evidence_precision(
        lambda value: ggn.log_evidence(curvature, is_coef, weights, nll_sum, value))
    free = ggn.free_weights(curvature, is_coef, lam)
    try:
        sigma = cho_solve(cho_factor(ggn.precision(curvature, is_coef, lam), lower=True),
                          np.eye(int(free.sum())))  # fmt: skip
    except LinAlgError:  # a direction neither the data nor the prior determine: plug-in
        return
    covariance = np.zeros((d, d))
    covariance[np.ix_(free, free)] = 0.5 * (sigma + sigma.T)
    est._last_layer_covariance, est.last_layer_prior_precision_ = covariance, lam
    est.predictive_ = "last-layer"


def predictive_dist(est, X, float64: bool = False):
    """The linearised predictive of ``X``'s rows (batch shape (n,), the network's dtype, or
    float64 with ``float64``: the scores' log-densities), or None where the fit stored no
    posterior (plug-in)."""
    covariance = getattr(est, "_last_layer_covariance", None)
    if covariance is None:
        return None
    # the location is the network's own (``predict``'s, in its dtype); the Jacobian's pass in
    # float64 gives the location's variance
    plug_in = est._predictive.distribution(est._raw(X))
    X = np.ascontiguousarray(validate_data(est, X, reset=False, dtype=np.float64))
    mean, cov = ggn.last_layer_moments(est._network, X, covariance,
                                       getattr(est, "scale_floor_", None))  # fmt: skip
    dist = ggn.widened(plug_in, ggn.location_sd(est._predictive, mean, cov))
    # a Normal's widening factor integrated out over the rows it was fitted on: a Student-t
    dist = student_t_predictive(dist, getattr(est, "scale_factor_rows_", None))
    # the plug-in's own dtype, not the network's: a float32 network's target scaling gives
    # float64 parameters in y's units (1e-300 targets: float32 would round the scale to 0)
    dtype = np.asarray(plug_in.scale).dtype
    if dtype == np.float64:
        return dist
    # the parameters rounded to the network's dtype (what predict_dist gives); the scores
    # take those same numbers in float64, so their log-densities are not float32's
    out = np.float64 if float64 else dtype

    def rounded(value):
        return np.asarray(np.asarray(value, dtype=dtype), dtype=out)

    loc, scale = rounded(dist.loc), rounded(dist.scale)
    if hasattr(dist, "df"):
        return type(dist)(rounded(dist.df), loc=loc, scale=scale)
    return type(dist)(loc, scale)


def plug_in_dist(est, X):
    """The network's own distribution at its fitted weights (``predictive="plug-in"``'s),
    whatever the fit stored; an estimator without one (a classifier): its ``predict_dist``."""
    if getattr(est, "_last_layer_covariance", None) is None:
        return est.predict_dist(X)
    return est._predictive.distribution(est._raw(X))


def export(est, arrays: dict, meta: dict) -> None:
    """Add the posterior (if any) to a model file's ``arrays`` and ``meta``, in place."""
    if meta["params"].get("predictive") == "auto":
        # the default is left out: a file without a posterior is byte for byte what it was,
        # and an earlier probnn reads one with a posterior as the plug-in network
        del meta["params"]["predictive"]
    covariance = getattr(est, "_last_layer_covariance", None)
    if covariance is not None:
        arrays["last_layer_covariance"] = np.array(covariance, dtype=np.float64)
        meta["last_layer"] = {"prior_precision": float(est.last_layer_prior_precision_)}
        rows = getattr(est, "scale_factor_rows_", None)
        if rows is not None:  # (absent from older files: their predictive stays the Normal)
            meta["last_layer"]["factor_rows"] = float(rows)


def restore(est, arrays: dict, meta: dict) -> None:
    """Inverse of :func:`export` (a file without the posterior: plug-in, as before)."""
    est._last_layer_covariance, est.last_layer_prior_precision_ = None, None
    est.predictive_, est.scale_factor_rows_ = "plug-in", None
    if "last_layer_covariance" not in arrays:
        return
    d = (est._layer_sizes[-2] + 1) * est._layer_sizes[-1]
    covariance = np.asarray(arrays["last_layer_covariance"], dtype=np.float64)
    if covariance.shape != (d, d) or not np.all(np.isfinite(covariance)):
        raise ValueError(f"expected 'last_layer_covariance' of shape {(d, d)}, finite; found "
                         f"shape {covariance.shape}")  # fmt: skip
    est._last_layer_covariance = covariance
    est.last_layer_prior_precision_ = float(meta.get("last_layer", {}).get("prior_precision",
                                                                          float("nan")))
    rows = meta.get("last_layer", {}).get("factor_rows")
    est.scale_factor_rows_ = None if rows is None else float(rows)
    est.predictive_ = "last-layer"
