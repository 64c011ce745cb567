"""``MLPRegressor``'s target units: the family it fits, the target's standardisation, the
head the network trains with, the parameters estimated after the fit and the predictive in
y's units (:class:`TargetUnits`, a base class of :class:`~probnn.estimators.MLPRegressor`;
its methods read the regressor's settings and fitted attributes)."""

from __future__ import annotations

import math

from probnn.estimators._target import regression_family_name, weighted_shift_scale


class TargetUnits:
    """The regressor's methods on the units of its target: ``y`` in, the network's
    standardised target and head, and back to ``y``'s units (``target_shift_``,
    ``target_scale_``, ``family_``, ``_predictive``)."""

    def _family_name(self) -> str:
        """The registry name of the family to fit (``family``, or the one ``loss`` names)."""
        return regression_family_name(self.family, self.loss)

    def _standardizes(self, family) -> bool:
        """Whether a fresh fit of ``family`` standardises the target (checks the setting)."""
        value = self.standardize_target
        if isinstance(value, str):
            return family.location_scale
        if value and not family.location_scale:
            raise ValueError(
                f"standardize_target=True needs a location-scale family; found family "
                f"{family.name!r}, whose targets cannot be shifted and rescaled (use "
                "standardize_target='auto' or False)"
            )
        return bool(value)

    def _target_scaling(self, X, y, w, family, incremental: bool,
                        given: tuple | None = None) -> tuple[float, float]:  # fmt: skip
        """``(shift, scale)`` for this fit: the first fit's when its network is reused, else
        ``given`` or the weighted moments of ``y``."""
        fresh = self._standardizes(family)
        if hasattr(self, "target_scale_") and (incremental or self.warm_start):
            shift, scale = self.target_shift_, self.target_scale_
            head = self._training_head(family, scale)
            if self._reuses_network(self._layer_sizes_for(X, y, head), head, incremental):
                # the weights predict the target in these units: keep them
                return shift, scale
        if not fresh:
            return 0.0, 1.0
        if given is not None:
            shift, scale = (float(v) for v in given)
            if not (math.isfinite(shift) and math.isfinite(scale) and scale > 0):
                raise ValueError(f"target_scaling must be a finite shift and a finite scale > 0; "
                                 f"found {given!r}")  # fmt: skip
            return shift, scale
        return weighted_shift_scale(y, w)

    def _estimate_params(self, X, y_fit, w, head, family) -> None:
        """``family_`` with its estimated parameters at their MLE given the network's weights.

        The estimated parameters do not move the network's optimum: once it is fitted,
        their maximum-likelihood values given it (in the network's units, then y's).
        """
        from probnn.families import get_family

        params = head.fit_fixed_params(self._network.forward(X), y_fit, w)
        for name in family.scale_params:
            params[name] = params[name] * self.target_scale_
        self.family_ = get_family(family.name, **params)

    def _set_predictive(self) -> None:
        """The family in y's units that every prediction goes through (``AffineTarget``)."""
        from probnn.families._affine import AffineTarget

        scale = self.target_scale_
        self._predictive = AffineTarget(
            self.family_.standardised(scale), self.target_shift_, scale,
            spread=getattr(self, "scale_factor_", None) or 1.0,
            dispersion=getattr(self, "dispersion_factor_", None) or 1.0,
        )

    def _estimates_params(self, family) -> bool:
        """Whether the family's ``estimated_params`` are estimated after the fit (none given)."""
        given = self._family_params()
        return bool(family.estimated_params) and not any(p in given for p in family.estimated_params)

    def _training_head(self, family, scale: float):
        """The family the network is trained with, for the target divided by ``scale``.

        With parameters to estimate the network is trained at their defaults on the
        (standardised) target (sigma = 1 for "normal-fixed": squared error);
        otherwise the family itself, a fixed scale divided by ``scale``.
        """
        if self._estimates_params(family):
            from probnn.families import get_family

            kept = {k: v for k, v in family.get_params().items() if k not in family.estimated_params}
            return get_family(family.name, **kept)
        return family.standardised(scale)

    def _nll_offset(self) -> float:
        # log of the Jacobian |dy_std / dy| = 1 / scale, per example (interval targets: the
        # training head added it to the exact rows alone)
        if getattr(self, "_jacobian_in_head", False):
            return 0.0
        return math.log(getattr(self, "target_scale_", 1.0))
