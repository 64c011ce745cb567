"""Likelihood tools: log-likelihood over parameter grids, numerical MLE, observed
Fisher information and standard errors of the maximum-likelihood estimate.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

from probnn.distributions import (Bernoulli, Distribution, Laplace, Normal, Poisson,
                                  StudentT)
from probnn.distributions.base import COUNTS, fit_inputs

__all__ = [
    "log_likelihood_grid", "fit_numerical", "observed_information", "standard_errors",
    "fit_factor",
]

LOG_FACTOR_BOUND = 12.0  # a factor is searched in [exp(-12), exp(12)]


def log_likelihood_grid(distribution_cls: type[Distribution], y: ArrayLike,
                        **param_grids: ArrayLike) -> NDArray[np.float64]:
    """Total log-likelihood ``sum_i log p(y_i | params)`` at every point of a grid.

    Parameters
    ----------
    distribution_cls : Distribution subclass
        E.g. ``Normal``.
    y : array-like of shape (n_samples,)
        The data.
    **param_grids : 1-D arrays or scalars
        Constructor arguments. Each 1-D array is one axis of the grid, in the order
        given; a scalar is held fixed (e.g. ``df=4.0`` for StudentT).

    Returns
    -------
    ndarray of shape (len(grid_1), len(grid_2), ...)
        E.g. ``log_likelihood_grid(Normal, y, loc=mus, scale=sigmas)`` has shape
        (len(mus), len(sigmas)). Data off the support give -inf.
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"log_likelihood_grid expects 1-D data y; found shape {y.shape}")
    grid_names = [k for k, v in param_grids.items() if np.ndim(v) == 1]
    for k, v in param_grids.items():
        if np.ndim(v) > 1:
            raise ValueError(
                f"log_likelihood_grid: {k} must be a 1-D grid or a scalar; "
                f"found shape {np.shape(v)}"
            )
    n_axes = len(grid_names)
    kwargs: dict[str, Any] = {}
    for k, v in param_grids.items():
        arr = np.asarray(v, dtype=np.float64)
        if k in grid_names:
            # Put this grid on its own axis, plus a trailing axis for the data.
            shape = [1] * (n_axes + 1)
            shape[grid_names.index(k)] = arr.size
            arr = arr.reshape(shape)
        kwargs[k] = arr
    dist = distribution_cls(**kwargs)
    return np.asarray(dist.log_prob(y), dtype=np.float64).sum(axis=-1).reshape(
        tuple(np.size(param_grids[k]) for k in grid_names))


# For each family: parameter names, map from unconstrained theta to constructor
# arguments, and a crude starting point that is not the closed-form answer.
_Spec = tuple[tuple[str, ...], Callable[[NDArray[np.float64]], dict], Callable[[NDArray], NDArray]]

_SPECS: dict[type, _Spec] = {
    Bernoulli: (("logits",), lambda t: {"logits": t[0]}, lambda y: np.array([0.0])),
    Poisson: (("log_rate",), lambda t: {"log_rate": t[0]}, lambda y: np.array([0.0])),
    Normal: (("loc", "log_scale"),
             lambda t: {"loc": t[0], "scale": np.exp(t[1])},
             lambda y: np.array([np.median(y), 0.0])),
    Laplace: (("loc", "log_scale"),
              lambda t: {"loc": t[0], "scale": np.exp(t[1])},
              lambda y: np.array([np.mean(y), 0.0])),
    StudentT: (("loc", "log_scale", "log_df"),
               lambda t: {"loc": t[0], "scale": np.exp(t[1]), "df": np.exp(t[2])},
               lambda y: np.array([np.mean(y), 0.0, np.log(5.0)])),
}

_SUPPORT = {
    Bernoulli: (lambda a: (a != 0) & (a != 1), "values in {0, 1}"),
    Poisson: COUNTS,
}


def fit_numerical(distribution_cls: type[Distribution], y: ArrayLike,
                  sample_weight: ArrayLike | None = None) -> Distribution:
    """Maximum likelihood by numerical optimisation of the unconstrained parameters.

    Minimises the weighted mean NLL with Nelder-Mead (which also copes with the
    Laplace likelihood's kinks) over logit p, log rate, (loc, log scale) or
    (loc, log scale, log df). It should agree with the closed-form ``fit``.

    Parameters
    ----------
    distribution_cls : one of Bernoulli, Poisson, Normal, Laplace, StudentT
    y : array-like of shape (n_samples,)
    sample_weight : array-like of shape (n_samples,), optional

    Returns
    -------
    Distribution with batch_shape ()
    """
    if distribution_cls not in _SPECS:
        raise NotImplementedError(
            f"fit_numerical supports {', '.join(c.__name__ for c in _SPECS)}; "
            f"found {getattr(distribution_cls, '__name__', distribution_cls)}"
        )
    outside, support = _SUPPORT.get(distribution_cls, (None, ""))
    arr, w = fit_inputs(y, sample_weight, distribution_cls.__name__, outside, support)
    _, to_kwargs, start = _SPECS[distribution_cls]
    wsum = np.sum(w)

    def nll(theta: NDArray[np.float64]) -> float:
        dist = distribution_cls(**to_kwargs(theta))
        return float(-np.sum(w * dist.log_prob(arr)) / wsum)

    x0 = start(arr)
    res = optimize.minimize(nll, x0, method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20000,
                                     "maxfev": 40000})
    return distribution_cls(**to_kwargs(res.x))


def _scalar_params(dist: Distribution) -> None:
    if tuple(dist.batch_shape) != ():
        raise ValueError(
            "observed_information expects a single distribution (batch_shape ()); found "
            f"batch_shape {tuple(dist.batch_shape)}"
        )


def observed_information(dist: Distribution, y: ArrayLike) -> NDArray[np.float64]:
    """Observed Fisher information: minus the Hessian of ``sum_i log p(y_i)``.

    With respect to the natural parameters: ``probs`` (Bernoulli), ``rate`` (Poisson),
    ``(loc, scale)`` (Normal, Laplace). Written out by hand:

    - Bernoulli: ``sum y/p^2 + (1-y)/(1-p)^2`` (= n / (p(1-p)) at the MLE);
    - Poisson: ``sum y / rate^2``;
    - Normal: ``[[n/s^2, 2 sum r / s^3], [2 sum r / s^3, 3 sum r^2 / s^4 - n/s^2]]``, r = y - loc;
    - Laplace: the scale entries ``2 sum|r| / b^3 - n/b^2`` and ``sum sign(r) / b^2``; the
      log-likelihood is piecewise linear in loc, so its second derivative is 0 almost
      everywhere and the loc entry uses the expected information ``n / b^2`` instead.

    Parameters
    ----------
    dist : Distribution with batch_shape ()
    y : array-like of shape (n_samples,)

    Returns
    -------
    ndarray of shape (k, k), k = 1 or 2
    """
    _scalar_params(dist)
    y = np.asarray(y, dtype=np.float64)
    n = y.size
    if isinstance(dist, Bernoulli):
        p = float(dist._p)
        with np.errstate(divide="ignore", invalid="ignore"):  # p = 0 or 1: not finite
            return np.array([[np.sum(y / p**2 + (1.0 - y) / (1.0 - p) ** 2)]])
    if isinstance(dist, Poisson):
        return np.array([[np.sum(y) / float(dist._rate) ** 2]])
    if isinstance(dist, Normal):
        r, s = y - float(dist._loc), float(dist._scale)
        cross = 2.0 * np.sum(r) / s**3
        return np.array([[n / s**2, cross], [cross, 3.0 * np.sum(r * r) / s**4 - n / s**2]])
    if isinstance(dist, Laplace):
        r, b = y - float(dist._loc), float(dist._scale)
        cross = np.sum(np.sign(r)) / b**2
        return np.array([[n / b**2, cross], [cross, 2.0 * np.sum(np.abs(r)) / b**3 - n / b**2]])
    raise NotImplementedError(
        f"observed_information supports Bernoulli, Poisson, Normal and Laplace; "
        f"found {type(dist).__name__}"
    )


_NAMES = {Bernoulli: ("probs",), Poisson: ("rate",), Normal: ("loc", "scale"),
          Laplace: ("loc", "scale")}


def standard_errors(dist: Distribution, y: ArrayLike) -> dict[str, float]:
    """Standard errors of the MLE: square roots of the diagonal of the inverse
    observed information.

    Parameters
    ----------
    dist : Distribution with batch_shape (), normally ``cls.fit(y)``
    y : array-like of shape (n_samples,)

    Returns
    -------
    dict mapping parameter name (``probs``, ``rate``, ``loc``, ``scale``) to float

    Raises
    ------
    ValueError
        If the information is singular (e.g. Bernoulli with p = 0 or 1).
    """
    info = observed_information(dist, y)
    if not np.all(np.isfinite(info)):
        raise ValueError(
            "standard_errors: the observed information is not finite at these parameters "
            "(e.g. a Bernoulli probability of exactly 0 or 1)"
        )
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError as exc:
        raise ValueError("standard_errors: the observed information is singular") from exc
    names = _NAMES[type(dist)]
    return {name: float(np.sqrt(cov[i, i])) for i, name in enumerate(names)}


def fit_factor(nll_rows: Callable[[float], NDArray], sample_weight: ArrayLike,
               bound: float = LOG_FACTOR_BOUND) -> float:
    """The factor in ``[exp(-bound), exp(bound)]`` minimising a weighted mean NLL.

    The one-parameter maximum-likelihood fits (a classifier's temperature, a
    regressor's scale factor: :func:`probnn.recalibrate` and ``MLPRegressor``'s
    ``recalibrate``) pass ``factor -> per-row NLL``; the mean is minimised over the
    log of the factor by Brent's method, bounded, a non-finite mean counting as +inf.

    Parameters
    ----------
    nll_rows : callable ``factor -> ndarray of shape (n_samples,)``
    sample_weight : array-like of shape (n_samples,), non-negative with a positive sum

    Raises
    ------
    ValueError
        If the mean is not finite at the minimiser (no factor gives every row a
        positive probability).
    """
    w = np.asarray(sample_weight, dtype=np.float64)
    total = w.sum()
    weighed = w > 0  # a row of weight 0 counts for nothing, even at an infinite NLL (0 x inf)

    def objective(log_factor: float) -> float:
        value = float(np.dot(w[weighed], nll_rows(math.exp(log_factor))[weighed]) / total)
        return value if np.isfinite(value) else np.inf

    res = optimize.minimize_scalar(objective, bounds=(-bound, bound), method="bounded",
                                   options={"xatol": 1e-10})  # fmt: skip
    if not np.isfinite(res.fun):
        raise ValueError(
            f"the held-out NLL is not finite for any factor in [e^-{bound:g}, e^{bound:g}]; "
            "the predictions give some held-out row zero probability"
        )
    return math.exp(float(res.x))
