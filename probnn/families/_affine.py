"""Target standardisation as one object: a family seen through ``y = shift + scale * u``.

A regressor fits a location-scale family to the standardised target
``u = (y - shift) / scale`` (mean 0, standard deviation 1), so that the
network's outputs and the optimiser's step size do not depend on y's units.
Everything the user sees is in y's units, by one change of variables:

* density:      ``p_y(y) = p_u((y - shift) / scale) / scale``, so
  ``nll_y = nll_u + log(scale)`` (the log of the Jacobian ``|du/dy| = 1/scale``);
* distribution: ``Y = shift + scale * U``, :meth:`Distribution.affine`;
* mean:         ``E[Y] = shift + scale * E[U]``.

A ``spread`` other than 1 (a regressor's recalibrated scale factor) further widens every
predicted distribution about its own location (:func:`probnn.distributions.scaled_distribution`):
the mean is unchanged; the density and the NLL are those of the widened distribution. For a
positive family with a spread parameter (``Family.spread_power``: the log-normal, log-logistic
and Weibull, whose ``log y`` is widened about its location, the median kept; the gamma, whose
standard deviation is multiplied at the same mean) it widens that parameter on the raw outputs
instead (``Family.widened_raw``), and every prediction follows from them. A ``dispersion``
other than 1 multiplies a negative binomial's dispersion ``alpha`` (its own, or the count law's
inside a hurdle or zero-inflated family: raw output 1 in each) on the raw outputs, the mean kept.

Everything in y's units is computed from the raw outputs cast to float64 (exactly), whatever
dtype the network was trained in: a float32 ``shift + scale * u`` cannot tell ``1e9`` from
``1e9 + 3``, and a float32 ``exp(log_rate)`` at ``1e12`` is off by up to 32,768.

:class:`AffineTarget` is that map around any family whose ``location_scale``
is true; with ``shift = 0, scale = 1`` it is the family itself, unchanged.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from probnn.distributions import scaled_distribution
from probnn.families.base import Family

__all__ = ["AffineTarget"]


class AffineTarget:
    """The predictive family in y's units for a network trained on ``u = (y - shift) / scale``.

    Parameters
    ----------
    base : Family
        The family of the network's raw outputs, for the standardised target
        (a fixed scale parameter already divided by ``scale``, see
        :meth:`Family.standardised`).
    shift : float, default=0.0
    scale : float > 0, default=1.0
    spread : float > 0, default=1.0
        Multiplies every predicted scale (a location-scale family's, about each
        location); 1 leaves the predictions as the network gives them.
    dispersion : float > 0, default=1.0
        Multiplies every predicted NB2 dispersion ``alpha`` (a count law whose
        :func:`has_dispersion`); 1 leaves them as the network gives them.

    Notes
    -----
    ``shift = 0, scale = 1`` (a family that is not location-scale, or a fit
    that did not standardise) passes every call straight to ``base``, with the
    raw outputs in float64: the results are float64 either way.
    """

    def __init__(self, base: Family, shift: float = 0.0, scale: float = 1.0,
                 spread: float = 1.0, dispersion: float = 1.0):
        shift, scale, spread = float(shift), float(scale), float(spread)
        dispersion = float(dispersion)
        if not (math.isfinite(dispersion) and dispersion > 0):
            raise ValueError(f"dispersion must be a finite number > 0; found {dispersion!r}")
        if dispersion != 1.0 and not has_dispersion(base):
            raise ValueError(f"family {base.name!r} has no negative-binomial dispersion to "
                             "widen")  # fmt: skip
        if not (math.isfinite(spread) and spread > 0):
            raise ValueError(f"spread must be a finite number > 0; found {spread!r}")
        if not (math.isfinite(shift) and math.isfinite(scale) and scale > 0):
            raise ValueError(
                f"a target standardisation needs a finite shift and a finite scale > 0; found "
                f"shift={shift!r}, scale={scale!r}"
            )
        if (shift, scale) != (0.0, 1.0) and not base.location_scale:
            raise ValueError(
                f"family {base.name!r} is not location-scale: its target cannot be shifted "
                "and rescaled"
            )
        if spread != 1.0 and not (base.location_scale or base.spread_power is not None):
            raise ValueError(f"family {base.name!r} is not location-scale and has no spread "
                             "parameter to widen")  # fmt: skip
        self.base, self.shift, self.scale, self.spread = base, shift, scale, spread
        self.dispersion = dispersion

    @property
    def identity(self) -> bool:
        """Whether the map is ``y = u`` (no standardisation)."""
        return (self.shift, self.scale) == (0.0, 1.0)

    @property
    def log_scale(self) -> float:
        """``log(scale)``: what turns a per-example NLL of ``u`` into one of ``y``."""
        return math.log(self.scale)

    def standardise(self, y: np.ndarray) -> np.ndarray:
        """``u = (y - shift) / scale`` in float64 (``y`` itself when the map is the identity)."""
        if self.identity:
            return y
        return (np.asarray(y, dtype=np.float64) - self.shift) / self.scale

    def nll(self, raw: ArrayLike, y: ArrayLike) -> np.ndarray:
        """Per-example NLL of ``y`` (in y's units), shape (n_samples,), float64."""
        from probnn.families._interval import is_interval_target

        raw = self._raw(raw)
        if is_interval_target(y):
            return self._interval_nll(raw, y)
        if self.spread != 1.0 and not self.base.spread_power is not None:
            y = np.asarray(self.base.check_target(y), dtype=np.float64)
            return -np.asarray(self.distribution(raw).log_prob(y), dtype=np.float64)
        if self.identity:
            return np.asarray(self.base.nll(raw, y), dtype=np.float64)
        u = self.standardise(self.base.check_target(y))
        return np.asarray(self.base.nll(raw, u), dtype=np.float64) + self.log_scale

    def _interval_nll(self, raw: ArrayLike, y: ArrayLike) -> np.ndarray:
        """Per-row ``-log P(lower < Y <= upper)`` of ``(lower, upper)`` targets in y's units.

        The bounds are standardised like ``y``; a probability needs no Jacobian, so
        ``log(scale)`` is added to the exact rows (``lower == upper``) only.
        """
        if self.spread != 1.0 and not self.base.spread_power is not None:
            raise ValueError(
                "interval targets cannot be scored with a recalibrated spread (spread="
                f"{self.spread!r}); score them with the network's own scales (spread 1)"
            )
        y = self.base.check_interval_target(y)
        u = self.standardise(y)
        nll = np.asarray(self.base.censored_nll(raw, u[:, 0], u[:, 1]), dtype=np.float64)
        if not self.identity:
            nll += np.where(y[:, 0] == y[:, 1], self.log_scale, 0.0)
        return nll

    def distribution(self, raw: ArrayLike):
        """The predicted distribution of ``y``, batch shape (n_samples,), float64."""
        dist = self.base.distribution(self._raw(raw))
        if not self.identity:
            dist = dist.affine(self.shift, self.scale)
        if self.spread == 1.0 or self.base.spread_power is not None:
            return dist
        return scaled_distribution(dist, self.spread)

    def mean(self, raw: ArrayLike) -> np.ndarray:
        """``shift + scale * E[U]``, shape (n_samples,), float64."""
        mean = np.asarray(self.base.mean(self._raw(raw)), dtype=np.float64)
        if self.identity:
            return mean
        return mean * self.scale + self.shift

    def _raw(self, raw: ArrayLike) -> np.ndarray:
        """The raw outputs in float64, widened by ``spread`` for a family with a spread
        parameter (``Family.widened_raw``: every prediction then follows from them)."""
        raw = _float64(raw)
        if self.spread != 1.0 and self.base.spread_power is not None:
            return self.base.widened_raw(raw, self.spread)
        if self.dispersion != 1.0:
            return dispersed_raw(raw, self.dispersion)
        return raw

    def __repr__(self) -> str:
        spread = "" if self.spread == 1.0 else f", spread={self.spread!r}"
        spread += "" if self.dispersion == 1.0 else f", dispersion={self.dispersion!r}"
        return f"AffineTarget({self.base!r}, shift={self.shift!r}, scale={self.scale!r}{spread})"


def has_dispersion(family: Family) -> bool:
    """Whether ``family``'s count law is the NB2 whose dispersion ``alpha = softplus(z2)`` is
    raw output 1: "negative-binomial" and its hurdle and zero-inflated forms."""
    return getattr(family, "count_family", family.name) == "negative-binomial"


def dispersed_raw(raw: ArrayLike, factor: float) -> np.ndarray:
    """``raw`` (float64, a copy) with output 1 rewritten so that ``alpha = softplus(z2)`` is
    multiplied by ``factor``, in log space (as ``Family.widened_raw``: no overflow or
    underflow for raw outputs of +-1e4); the other outputs (the mean, a zero's logit) kept.

    Parameters
    ----------
    raw : array-like of shape (n_samples, n_outputs), n_outputs >= 2
    factor : float > 0

    Returns
    -------
    ndarray of shape (n_samples, n_outputs), float64
    """
    from probnn._math import softplus_inverse
    from probnn.families.base import softplus_scale

    out = np.array(raw, dtype=np.float64)
    _, log_alpha, _ = softplus_scale(out[:, 1], False)  # exact where softplus underflows
    log_alpha = log_alpha + math.log(float(factor))
    out[:, 1] = log_alpha  # softplus^-1(e^v) = v to float precision below e^-30
    body = log_alpha >= -30.0
    out[body, 1] = softplus_inverse(np.exp(np.minimum(log_alpha[body], 700.0)))
    return out


def _float64(raw: ArrayLike) -> np.ndarray:
    """The raw outputs in float64 (exact from float32): every result in y's units is float64."""
    return np.asarray(raw, dtype=np.float64)
