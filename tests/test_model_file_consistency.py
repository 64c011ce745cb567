"""A model file whose description contradicts its network is refused at load, in one line
(hostile trial 5, F2): the class labels must be one per class the network scores, and the
description's family the network's own. Before, a classifier file with two labels for a
six-class network answered "internal error IndexError" at predict, and a regressor file whose
top-level family said "poisson" predicted with its normal network while evaluate checked the
targets by Poisson's rules."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from probnn.cli import main
from probnn.exceptions import DataError
from probnn.model_file import load_model, save_model
from probnn.tables.model import TabularModel


def _frame(kind: str) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    x = rng.normal(size=80)
    y = np.array(["low", "mid", "high"])[np.digitize(x, [-0.5, 0.5])] if kind == "classes" \
        else 2 * x + rng.normal(size=80)  # fmt: skip
    return pd.DataFrame({"x": x, "y": y})


@pytest.fixture(scope="module")
def model_files(tmp_path_factory) -> dict:
    """A categorical and a normal model, each saved: ``{kind: (path, frame)}``."""
    files = {}
    for kind, family in (("classes", "categorical"), ("regression", "normal")):
        frame = _frame(kind)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = TabularModel.fit(frame, "y", family=family, hidden=(3,), epochs=2)
        path = tmp_path_factory.mktemp("model") / "m.safetensors"
        save_model(model, path)
        files[kind] = path, frame
    return files


def _rewrite(path: Path, out: Path, edit) -> Path:
    """``path`` with its model description edited by ``edit`` and the checksum made to match
    (as anyone editing a file can)."""
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    import probnn.model_file as mf

    arrays = load_file(path)
    with safe_open(str(path), framework="numpy") as fh:
        meta = dict(fh.metadata())
    description = json.loads(meta["model"])
    edit(description)
    meta["model"] = json.dumps(description)
    meta["sha256"] = mf._checksum(meta["model"], arrays)
    save_file(arrays, str(out), metadata=meta)
    return out


_EDITS = {
    "classes": {
        "two labels for three classes": lambda m: m.update(classes=["a", "b"]),
        "four labels for three classes": lambda m: m.update(classes=["a", "b", "c", "d"]),
        "no labels": lambda m: m.update(classes=None),
        "a string for the labels": lambda m: m.update(classes="abc"),
        "family of another kind": lambda m: m.update(family="poisson"),
        "another class family": lambda m: m.update(family="bernoulli"),
    },
    "regression": {
        "labels on a regressor": lambda m: m.update(classes=["a", "b"]),
        "family of another kind": lambda m: m.update(family="poisson"),
        "another location-scale family": lambda m: m.update(family="laplace"),
    },
}


@pytest.mark.parametrize("kind, edit", [(k, e) for k, edits in _EDITS.items() for e in edits])
def test_a_description_that_contradicts_its_network_is_refused(model_files, tmp_path, capsys,
                                                                 kind, edit):  # fmt: skip
    path, frame = model_files[kind]
    bad = _rewrite(path, tmp_path / "bad.safetensors", _EDITS[kind][edit])
    with pytest.raises(DataError, match="expected a valid probnn model description"):
        load_model(bad)
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    for command in ("predict", "evaluate"):
        code = main([command, str(bad), str(data)])
        err = capsys.readouterr().err
        lines = [l for l in err.strip().splitlines() if not l.startswith("probnn: warning: ")]
        assert code == 1 and len(lines) == 1 and str(bad) in lines[0], err
        assert "internal error" not in err, err


@pytest.mark.parametrize("kind", ["classes", "regression"])
def test_an_unedited_file_still_loads_and_predicts(model_files, kind):
    path, frame = model_files[kind]
    model = load_model(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(model.predict(frame.drop(columns=["y"]))) == len(frame)
