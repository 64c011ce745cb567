"""Text class labels given an order (``--levels`` naming exactly the labels, or an ordered
categorical column) are ordered classes: ``compare`` and ``fit --family auto`` try the
ordinal family on them, as they do on a few integer codes. Text labels without an order
keep their kinds (class labels only).

Oracles: hand-made columns whose kinds are known by construction, and the held-out NLL of
the ordinal family recomputed with scipy.special.expit from the predicted linear predictor
and cut points, the classes numbered in the order given (low < mid < high, not the
alphabetical high < low < mid).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _cli import run
from scipy import special

import probnn
from probnn.tables.targets import infer_family, target_kinds

LEVELS = ["low", "mid", "high"]


def _ordered_frame(n: int = 300, seed: int = 2) -> pd.DataFrame:
    """A proportional-odds task: latent x + logistic noise cut at -1 and 1."""
    r = np.random.default_rng(seed)
    x = r.normal(size=n)
    latent = 1.5 * x + r.logistic(size=n)
    labels = np.asarray(LEVELS, dtype=object)[np.digitize(latent, [-1, 1])]
    return pd.DataFrame({"x": x, "r": labels})


LABELS = pd.Series(["low", "mid", "high", "mid", "low", "high", "mid"], name="r")


@pytest.mark.parametrize("column, levels, kinds", [
    (LABELS, None, ("classes",)),  # no order: unchanged
    (LABELS, ["low", "mid", "high"], ("ordered-classes",)),
    (LABELS, ["high", "low", "mid"], ("ordered-classes",)),  # any order given is an order
    (LABELS, ["low", "mid"], ("classes",)),  # not the labels: the fit's check names them
    (LABELS, ["low", "mid", "high", "top"], ("classes",)),
    (LABELS.astype(pd.CategoricalDtype(LEVELS, ordered=True)), None, ("ordered-classes",)),
    (LABELS.astype(pd.CategoricalDtype(LEVELS + ["top"], ordered=True)), None,  # unused "top"
     ("ordered-classes",)),
    (LABELS.astype(pd.CategoricalDtype(LEVELS, ordered=False)), None, ("classes",)),
    (LABELS.astype(pd.CategoricalDtype(LEVELS + ["top"])), LEVELS, ("ordered-classes",)),
    (pd.Series(["no", "yes", "no"]), ["no", "yes"], ("binary",)),  # two labels: binary still
    (pd.Series(["no", "yes", "no"]).astype(pd.CategoricalDtype(["no", "yes"], ordered=True)),
     None, ("binary",)),
    (pd.Series([1, 2, 3, 2]), ["1", "2", "3"], ("ordered-classes", "count")),  # numbers: unchanged
])  # fmt: skip
def test_an_order_makes_text_labels_ordered_classes(column, levels, kinds):
    assert target_kinds(column, levels)[0] == kinds


def test_the_reason_names_the_order():
    assert target_kinds(LABELS, LEVELS)[1].endswith("ordered by --levels")
    ordered = LABELS.astype(pd.CategoricalDtype(LEVELS, ordered=True))
    assert "ordered categorical" in target_kinds(ordered)[1]
    family, why = infer_family(LABELS, LEVELS)
    assert family == "categorical" and "compare would also try ordinal" in why


def _expit_nll(dist, y: np.ndarray) -> np.ndarray:
    """-log P(Y = y) of an ordered logistic by differences of expit (the oracle)."""
    eta, cut = np.asarray(dist.eta, dtype=float), np.asarray(dist.cutpoints, dtype=float)
    upper = np.concatenate([cut, np.full(cut.shape[:-1] + (1,), np.inf)], -1) - eta[:, None]
    lower = np.concatenate([np.full(cut.shape[:-1] + (1,), -np.inf), cut], -1) - eta[:, None]
    p = special.expit(upper) - special.expit(lower)
    return -np.log(p[np.arange(y.size), y])


@pytest.mark.parametrize("given", ["levels", "categorical"])
def test_compare_tries_ordinal_on_ordered_text_labels(given):
    frame = _ordered_frame()
    y, levels = frame["r"], LEVELS
    if given == "categorical":
        y, levels = y.astype(pd.CategoricalDtype(LEVELS, ordered=True)), None
    result = probnn.compare_families(frame[["x"]], y, levels=levels, hidden=(), solver="lbfgs",
                                     seed=0, test_size=0.3)  # fmt: skip
    assert result.kinds == ("ordered-classes",)
    assert sorted(result.table["family"]) == ["categorical", "ordinal"]
    assert result.skipped == []
    held_out = frame["r"].iloc[result.test].map({v: k for k, v in enumerate(LEVELS)}).to_numpy()
    oracle = _expit_nll(result.dists["ordinal"], held_out)
    np.testing.assert_allclose(result.nll_rows["ordinal"], oracle, rtol=1e-6)


def test_without_an_order_compare_keeps_to_the_class_families():
    frame = _ordered_frame()
    result = probnn.compare_families(frame[["x"]], frame["r"], hidden=(), solver="lbfgs",
                                     seed=0, test_size=0.3)
    assert result.kinds == ("classes",)
    assert result.table["family"].tolist() == ["categorical"]


def test_the_command_lines_try_ordinal_with_levels_and_ordered_parquet(tmp_path, capsys,
                                                                        monkeypatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    frame = _ordered_frame()
    frame.to_csv("o.csv", index=False)
    code, out, err = run(capsys, "compare", "o.csv", "--target", "r", "--hidden", "none",
                         "--families", "categorical,ordinal", "--levels", "low,mid,high")
    assert code == 0, err
    assert "skipped ordinal" not in out
    ranked = [line.split()[1] for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert sorted(ranked) == ["categorical", "ordinal"]
    frame.astype({"r": pd.CategoricalDtype(LEVELS, ordered=True)}).to_parquet("o.parquet")
    code, out, err = run(capsys, "fit", "o.parquet", "--target", "r", "--hidden", "none")
    assert code == 0, err
    said = out + err
    assert "target kind: ordered-classes" in said and "candidates: categorical, ordinal" in said
