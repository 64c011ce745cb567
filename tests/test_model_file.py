"""Model files: exact round trips, and every kind of bad file gives DataError.

The fitted models here are GaussianGenerativeClassifier (closed-form fit, no
training loop) so the file format is tested on its own; the network
estimators' round trip is in tests/test_tabular.py and tests/test_cli.py.
"""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pandas as pd
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

import probnn.model_file as model_file
from probnn._version import __version__
from probnn.estimators import GaussianGenerativeClassifier
from probnn.exceptions import DataError
from probnn.model_file import FORMAT_VERSION, load_model, save_model
from probnn.tables.model import TabularModel
from probnn.tables.preprocessing import Preprocessor


@pytest.fixture
def fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(int)
    return GaussianGenerativeClassifier(shared_covariance=False).fit(X, y), X


@pytest.fixture
def saved(tmp_path, fitted):
    path = tmp_path / "model.safetensors"
    save_model(fitted[0], path)
    return path


def test_round_trip_predicts_identically(saved, fitted):
    model, X = fitted
    loaded = load_model(saved)
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_metadata_names_format_and_version(saved):
    with safe_open(str(saved), framework="numpy") as fh:
        meta = fh.metadata()
    assert meta["format"] == "probnn-model"
    assert int(meta["format_version"]) == FORMAT_VERSION
    assert meta["probnn_version"] == __version__
    assert json.loads(meta["model"])["class"] == "GaussianGenerativeClassifier"


def test_tabular_bundle_round_trip(tmp_path):
    frame = pd.DataFrame(
        {
            "size": [1.0, 2.5, 3.0, 0.5, 4.0, 2.0, 3.5, 1.5],
            "colour": ["red", "blue", "red", "green", "blue", "red", "green", "blue"],
            "label": ["cat", "dog", "dog", "cat", "dog", "cat", "dog", "cat"],
        }
    )
    features = frame.drop(columns=["label"])
    pre = Preprocessor().fit(features)
    classes = ["cat", "dog"]
    y = np.searchsorted(classes, frame["label"])
    est = GaussianGenerativeClassifier(reg_covar=1e-3).fit(pre.transform(features), y)
    model = TabularModel(target="label", family="categorical", preprocessor=pre,
                         estimator=est, classes=classes)  # fmt: skip
    path = tmp_path / "bundle.safetensors"
    save_model(model, path)
    loaded = load_model(path)
    assert isinstance(loaded, TabularModel)
    assert loaded.classes == classes and loaded.target == "label"
    assert loaded.preprocessor.to_meta() == pre.to_meta()
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))
    np.testing.assert_array_equal(
        loaded.estimator.predict_proba(loaded.transform(frame)), est.predict_proba(pre.transform(frame))
    )


# ------------------------------------------------------------------ bad files
@pytest.mark.parametrize("keep", [0, 5, 20, 0.5, -1], ids=["empty", "5B", "20B", "half", "less1"])
def test_truncated_file(saved, keep):
    data = saved.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else (len(data) + keep if keep < 0 else keep)
    saved.write_bytes(data[:cut])
    with pytest.raises(DataError, match=str(saved.name)):
        load_model(saved)


def _flip(path, position):
    data = bytearray(path.read_bytes())
    data[position] ^= 0xFF
    path.write_bytes(bytes(data))


def test_flipped_byte_in_weights_is_caught(saved):
    # The last byte belongs to tensor data: safetensors itself cannot notice.
    _flip(saved, os.path.getsize(saved) - 1)
    with pytest.raises(DataError, match="corrupted"):
        load_model(saved)


def test_flipped_byte_in_header_is_caught(saved):
    _flip(saved, 12)  # inside the JSON header
    with pytest.raises(DataError):
        load_model(saved)


def test_flipped_byte_in_model_json_is_caught(saved):
    data = saved.read_bytes()
    pos = data.index(b"GaussianGenerativeClassifier")
    data = data[:pos] + b"X" + data[pos + 1:]  # still valid JSON, wrong content
    saved.write_bytes(data)
    with pytest.raises(DataError, match="checksum"):
        load_model(saved)


def test_foreign_safetensors_file(tmp_path):
    path = tmp_path / "other.safetensors"
    save_file({"weight": np.zeros((2, 2), dtype=np.float32)}, str(path))
    with pytest.raises(DataError, match="probnn"):
        load_model(path)


@pytest.mark.parametrize("content", [b"a,b\n1,2\n", b"\x00" * 64, "\u00e9t\u00e9".encode() * 9])
def test_not_safetensors_at_all(tmp_path, content):
    path = tmp_path / "model.safetensors"
    path.write_bytes(content)
    with pytest.raises(DataError, match="model file"):
        load_model(path)


def test_newer_format_version_is_refused(saved):
    arrays = load_file(str(saved))
    with safe_open(str(saved), framework="numpy") as fh:
        meta = dict(fh.metadata())
    meta["format_version"] = str(FORMAT_VERSION + 1)
    meta["probnn_version"] = "99.0"
    save_file(arrays, str(saved), metadata=meta)
    with pytest.raises(DataError, match="upgrade"):
        load_model(saved)


def test_missing_path_and_folder(tmp_path):
    with pytest.raises(DataError, match="found nothing"):
        load_model(tmp_path / "absent.safetensors")
    with pytest.raises(DataError, match="folder"):
        load_model(tmp_path)


def test_loading_never_unpickles(saved, fitted, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("load_model must not unpickle")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    model, X = fitted
    np.testing.assert_array_equal(load_model(saved).predict_proba(X), model.predict_proba(X))


def test_interrupted_save_leaves_old_file_and_no_debris(saved, fitted, monkeypatch):
    before = saved.read_bytes()

    def broken_save(tensors, filename, metadata=None):
        with open(filename, "wb") as fh:
            fh.write(b"half a model")
        raise OSError("disk full")

    monkeypatch.setattr(model_file, "save_file", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_model(fitted[0], saved)
    assert saved.read_bytes() == before
    assert sorted(p.name for p in saved.parent.iterdir()) == [saved.name]


def test_interrupted_first_save_leaves_nothing(tmp_path, fitted, monkeypatch):
    def interrupted(tensors, filename, metadata=None):
        with open(filename, "wb") as fh:
            fh.write(b"\x08")
        raise KeyboardInterrupt

    monkeypatch.setattr(model_file, "save_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_model(fitted[0], tmp_path / "new.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_the_same_model_is_the_same_file(tmp_path, fitted):
    # safetensors writes its header's entries in a hash map's order, which changed from one
    # save to the next: the same model gave files with different bytes (and SHA-256)
    model, X = fitted
    paths = [save_model(model, tmp_path / f"m{i}.safetensors") for i in range(6)]
    first = paths[0].read_bytes()
    assert all(p.read_bytes() == first for p in paths[1:])
    # ... still a valid safetensors file: the library's own reader and load_model agree
    assert set(load_file(str(paths[0]))) == set(load_file(str(paths[1])))
    np.testing.assert_array_equal(load_model(paths[0]).predict_proba(X), model.predict_proba(X))
