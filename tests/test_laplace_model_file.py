"""Model files of a fitted LaplaceApproximation: exact round trips, bad files refused.

The oracle of a round trip is the model that was saved: the loaded one must predict the
same distributions, bit for bit, and carry the same posterior.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

import probnn.model_file as model_file
from probnn import LaplaceApproximation, MLPClassifier, MLPRegressor
from probnn.exceptions import DataError
from probnn.model_file import load_model, save_model


def _data(kind: str, seed: int, family: str = "normal"):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 2))
    if kind == "classifier":
        return X, np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)]
    if family == "poisson":
        return X, rng.poisson(np.exp(0.5 * X[:, 0]))
    return X, 3.0 + 2.0 * X[:, 0] + rng.normal(size=40)


def _fit(kind, family, subset, hessian, prior, predictive, seed):
    X, y = _data(kind, seed, family)
    cls = MLPClassifier if kind == "classifier" else MLPRegressor
    net = cls(hidden_layer_sizes=(3,), max_iter=5, random_state=seed, family=family)
    la = LaplaceApproximation(net, subset=subset, hessian=hessian, prior_precision=prior,
                              predictive=predictive, n_samples=7, random_state=seed)
    with warnings.catch_warnings():  # five epochs: a ConvergenceWarning, meant
        warnings.simplefilter("ignore")
        return la.fit(X, y), X, y


def _params(dist) -> dict:
    names = ("loc", "scale", "df", "probs", "rate", "mean")
    out = {n: np.asarray(getattr(dist, n)) for n in names if hasattr(dist, n)}
    for k, component in enumerate(getattr(dist, "components", [])):
        out.update({f"{k}.{n}": v for n, v in _params(component).items()})
    return out


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.sampled_from([("regressor", "normal"), ("regressor", "laplace"),
                          ("regressor", "poisson"), ("classifier", "categorical")]),
    subset=st.sampled_from(["last-layer", "all"]),
    hessian=st.sampled_from(["ggn", "ggn-diag"]),
    prior=st.sampled_from([None, "evidence", 0.5]),
    predictive=st.sampled_from(["auto", "mc"]),
    seed=st.integers(0, 3),
)
def test_round_trip_predicts_identically(tmp_path_factory, case, subset, hessian, prior,
                                         predictive, seed):
    kind, family = case
    la, X, y = _fit(kind, family, subset, hessian, prior, predictive, seed)
    path = tmp_path_factory.mktemp("m") / "laplace.safetensors"
    save_model(la, path)
    loaded = load_model(path)
    assert type(loaded) is LaplaceApproximation
    assert loaded.get_params(deep=False).keys() == la.get_params(deep=False).keys()
    for name in ("prior_precision_", "log_evidence_", "n_weights_"):
        assert getattr(loaded, name) == getattr(la, name)
    np.testing.assert_array_equal(loaded.posterior_precision_, la.posterior_precision_)
    np.testing.assert_array_equal(loaded.map_weights_, la.map_weights_)
    np.testing.assert_array_equal(loaded.prior_mask_, la.prior_mask_)
    before, after = _params(la.predict_dist(X)), _params(loaded.predict_dist(X))
    assert before.keys() == after.keys() and before
    for name in before:
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)
    for a, b in zip(la.predictive_variance_split(X), loaded.predictive_variance_split(X)):
        np.testing.assert_array_equal(b, a)
    assert loaded.score_nll(X, y) == la.score_nll(X, y)
    if kind == "classifier":
        np.testing.assert_array_equal(loaded.predict(X), la.predict(X))
        np.testing.assert_array_equal(loaded.classes_, la.classes_)


def test_prefit_round_trip_keeps_the_fitted_estimator(tmp_path):
    X, y = _data("regressor", 0)
    net = MLPRegressor(hidden_layer_sizes=(3,), max_iter=5, random_state=0).fit(X, y)
    la = LaplaceApproximation(net, prefit=True).fit(X, y)
    save_model(la, tmp_path / "m.safetensors")
    loaded = load_model(tmp_path / "m.safetensors")
    # refitting the loaded wrapper (prefit) recomputes the same posterior from the same network
    again = loaded.fit(X, y)
    np.testing.assert_array_equal(again.posterior_precision_, la.posterior_precision_)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    la, X, _ = _fit("regressor", "normal", "last-layer", "ggn", "evidence", "auto", 0)
    path = tmp_path_factory.mktemp("laplace") / "laplace.safetensors"
    save_model(la, path)
    return path, X


@pytest.mark.parametrize("keep", [0, 9, 0.5, -1], ids=["empty", "9B", "half", "less1"])
def test_truncated_file_is_one_clear_line(saved, tmp_path, keep):
    data = saved[0].read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else (len(data) + keep if keep < 0 else keep)
    bad = tmp_path / "cut.safetensors"
    bad.write_bytes(data[:cut])
    with pytest.raises(DataError, match="cut.safetensors") as info:
        load_model(bad)
    assert "\n" not in str(info.value)


def _tampered(path, out, arrays_edit=None, meta_edit=None):
    """``path`` with an array or the description changed, the checksum made to match (as
    anyone editing a file can): the loader's own checks must catch it."""
    arrays = load_file(path)
    with safe_open(str(path), framework="numpy") as fh:
        meta = dict(fh.metadata())
    description = json.loads(meta["model"])
    if arrays_edit:
        arrays_edit(arrays)
    if meta_edit:
        meta_edit(description)
    meta["model"] = json.dumps(description, allow_nan=True)
    meta["sha256"] = model_file._checksum(meta["model"], arrays)
    save_file(arrays, str(out), metadata=meta)
    return out


def _set(key, value):
    def edit(arrays):
        arrays[key] = value(arrays[key])
    return edit


@pytest.mark.parametrize("edit, message", [
    (_set("laplace.covariance", lambda a: a[:-1]), "'laplace.covariance' of shape"),
    (_set("laplace.curvature", lambda a: a.ravel()), "'laplace.curvature' of shape"),
    (_set("laplace.covariance", lambda a: np.where(a == a.max(), np.nan, a)), "finite values"),
    (_set("laplace.map_weights", lambda a: a + 1.0), "wrapped network's weights"),
    (_set("laplace.prior_mask", lambda a: a + 2), "0 and 1"),
    (lambda arrays: arrays.pop("laplace.covariance"), "'laplace.covariance'; the file has none"),
], ids=["short", "flat", "nan", "weights", "mask", "missing"])  # fmt: skip
def test_tampered_arrays_are_refused_naming_them(saved, tmp_path, edit, message):
    bad = _tampered(saved[0], tmp_path / "bad.safetensors", arrays_edit=edit)
    with pytest.raises(DataError, match=message) as info:
        load_model(bad)
    assert "bad.safetensors" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("edit, message", [
    (lambda m: m["posterior"].update(prior_precision_=-1.0), "prior_precision_ >= 0"),
    (lambda m: m["posterior"].update(n_weights_=3), "n_weights_"),
    (lambda m: m["params"].update(subset="everything"), "subset"),
    (lambda m: m.pop("posterior"), "posterior"),
], ids=["negative-lambda", "n-weights", "subset", "no-posterior"])  # fmt: skip
def test_tampered_description_is_refused(saved, tmp_path, edit, message):
    bad = _tampered(saved[0], tmp_path / "bad.safetensors", meta_edit=edit)
    with pytest.raises(DataError, match=message):
        load_model(bad)
