"""``MLPRegressor``'s part of a model file (:class:`RegressorModelFile`, a base class of
:class:`~probnn.estimators.MLPRegressor`): the target's standardisation, a tiny table's scale
floor, a count law's dispersion factor and the last layer's posterior (``_last_layer``),
written beside the network's arrays and read back (older files lack some: each has its default)."""

from __future__ import annotations

import math

from probnn.estimators import _last_layer


class RegressorModelFile:
    """The regressor's ``_export_state`` / ``_import_state`` and their metadata
    (``_export_extra`` / ``_import_extra``), over ``BaseNetworkEstimator``'s."""

    def _export_state(self) -> tuple[dict, dict]:
        arrays, meta = super()._export_state()
        _last_layer.export(self, arrays, meta)
        return arrays, meta

    def _import_state(self, arrays: dict, meta: dict) -> None:
        super()._import_state(arrays, meta)
        _last_layer.restore(self, arrays, meta)

    def _export_extra(self) -> dict:
        extra = {"target_scaling": {"shift": float(self.target_shift_),
                                    "scale": float(self.target_scale_)}}  # fmt: skip
        if getattr(self, "scale_floor_", None) is not None:  # (only a tiny table's: _folds)
            extra["scale_floor"] = float(self.scale_floor_)
        if getattr(self, "dispersion_factor_", 1.0) != 1.0:  # (a selection's count law only)
            extra["dispersion_factor"] = float(self.dispersion_factor_)
        return extra

    def _import_extra(self, meta: dict) -> None:
        scaling = meta.get("target_scaling")
        if scaling is None:
            # a file from before targets were standardised: fit on y as given
            scaling = {"shift": 0.0, "scale": 1.0}
            if "standardize_target" not in meta.get("params", {}):
                self.standardize_target = False
        shift, scale = float(scaling["shift"]), float(scaling["scale"])
        if not (math.isfinite(shift) and math.isfinite(scale) and scale > 0):
            raise ValueError(
                f"target_scaling must hold a finite shift and a finite scale > 0; found "
                f"shift={shift!r}, scale={scale!r}"
            )
        self.target_shift_, self.target_scale_ = shift, scale
        self.scale_floor_ = meta.get("scale_floor")  # (absent from older files: no floor)
        # absent from older files and where none was fitted: the network's own dispersions
        self.dispersion_factor_ = float(meta.get("dispersion_factor", 1.0))
        # the file's family is in y's units (an estimated sigma too); the network was
        # trained with the head
        self._head = self._training_head(self.family_, scale)
        self._set_predictive()
        self.scale_ = self.family_.get_params().get("scale")
