"""The selection widens a chosen GLM's or constant's scales by a factor fitted on the folds'
held-out rows (probnn._selection_widening)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from probnn._selection_widening import fold_widening
from probnn.model_file import load_model, save_model
from probnn.selection import _capacity_params, cv_splits, select_model
from probnn.tables.model import TabularModel


def _linear(n: int, p: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(p)])
    frame["y"] = X @ rng.normal(size=p) * 0.5 + rng.normal(size=n)
    return frame


def test_the_folds_factor_is_the_normals_closed_form_moved_to_the_refits_rows():
    # oracle: for a Normal the maximum-likelihood factor is sqrt(mean(z^2)) over the held-out
    # rows (z = (y - loc) / scale); its posterior mean multiplies it by sqrt(n / (n - 2)); the
    # refit's: sqrt(1 + (f^2 - 1) * n_fold / n)
    frame = _linear(100, 10, 0)
    folds = cv_splits(frame.shape[0], "auto", seed=0)
    models, z = {}, []
    for i, (train, test) in enumerate(folds):
        models[i] = TabularModel.fit(frame.iloc[train], "y", family="normal-fixed", seed=0,
                                     hidden=(), solver="lbfgs", progress=False)  # fmt: skip
        dist = models[i].predict_dist(frame.iloc[test])
        z.append((frame["y"].to_numpy()[test] - np.asarray(dist.loc)) / np.asarray(dist.scale))
    z = np.concatenate(z)
    n = z.size
    f2 = float(np.mean(z**2)) * n / (n - 2)
    share = np.mean([train.size for train, _ in folds]) / n
    expected = math.sqrt(1.0 + (f2 - 1.0) * share)
    assert expected > 1.0
    assert fold_widening(models, folds, frame, "real") == pytest.approx(expected, rel=1e-6)
    # the folds' models are left as they were
    for i, (_, test) in enumerate(folds):
        assert models[i].estimator.scale_factor_ == 1.0


def test_a_chosen_glm_predicts_the_refits_scales_times_the_widening(tmp_path):
    frame = _linear(100, 10, 1)
    sel = select_model(frame.drop(columns="y"), frame["y"], families=["normal-fixed"],
                       network_families=0, seed=0)  # fmt: skip
    assert (sel.family, sel.capacity) == ("normal-fixed", "glm")
    assert sel.widening > 1.0 and "widened" in sel.line
    plain = TabularModel.fit(frame, "y", family="normal-fixed", seed=0,
                             **_capacity_params("glm", {}, evidence=True))  # fmt: skip
    new = _linear(50, 10, 2)
    got, ref = sel.model.predict_dist(new), plain.predict_dist(new)
    np.testing.assert_allclose(np.asarray(got.loc), np.asarray(ref.loc), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(got.scale), sel.widening * np.asarray(ref.scale),
                               rtol=1e-6)  # fmt: skip
    # the model file keeps the widening
    save_model(sel.model, tmp_path / "m.safetensors")
    back = load_model(tmp_path / "m.safetensors").predict_dist(new)
    np.testing.assert_allclose(np.asarray(back.scale), np.asarray(got.scale), rtol=1e-6)


def test_no_widening_without_recalibration_or_a_scale():
    frame = _linear(100, 10, 1)
    sel = select_model(frame.drop(columns="y"), frame["y"], families=["normal-fixed"],
                       network_families=0, seed=0, recalibrate=False)  # fmt: skip
    assert sel.widening == 1.0 and "widened" not in sel.line
    rng = np.random.default_rng(3)
    counts = pd.DataFrame({"x": rng.normal(size=120)})
    counts["y"] = rng.poisson(np.exp(0.5 + 0.3 * counts["x"]))
    sel = select_model(counts.drop(columns="y"), counts["y"], families=["poisson"],
                       network_families=0, seed=0)  # fmt: skip
    assert sel.widening == 1.0
