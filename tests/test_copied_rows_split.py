"""Copies of whole rows of a continuous target stay on one side of every split
(``tables.copies.copy_groups``).

A law with a density repeats a (features, target) row with probability zero: a table of 30
rows repeated 10 times holds copies, and a split by row numbers held out copies of training
rows (held-out NLL -2.85 nats with the default normal network, where the median fresh row
of the same law scored 241). The oracle: fresh rows drawn from the law that generated the
table, scored with scipy from ``probnn predict``'s parameters. Tables whose repeats are ties of their law (a
Poisson count, a height to the decimal by sex) keep the row hash's split, row by row.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from _cli import run

from probnn.selection import cv_splits
from probnn.tables.split import TEST, row_parts

FIT = ("--family", "normal", "--quiet")  # the default network: it learns its training rows


def nats(out: str) -> float:
    return float(next(line for line in out.splitlines() if "nats" in line).split()[-1])


def draw(n: int, rng) -> pd.DataFrame:
    x = rng.uniform(-2, 2, n)
    return pd.DataFrame({"x": x, "y": np.sin(2 * x) + 0.3 * rng.normal(size=n)})


def test_copies_are_held_out_with_their_rows_so_the_held_out_nll_is_a_fresh_rows_nll(
        tmp_path, capsys):  # fmt: skip
    data, fresh, model = tmp_path / "rep.csv", tmp_path / "fresh.csv", tmp_path / "m.safetensors"
    pd.concat([draw(30, np.random.default_rng(0))] * 10, ignore_index=True).to_csv(data, index=False)
    new = draw(3000, np.random.default_rng(1))
    new.to_csv(fresh, index=False)
    code, out, err = run(capsys, "fit", data, "--target", "y", "--out", model, *FIT)
    assert code == 0, err
    assert out.splitlines()[0].startswith("warning: 270 rows repeat another row exactly")
    held = int(out.split("held-out metrics (")[1].split()[0])
    assert held % 10 == 0  # whole groups of copies
    # the oracle: -log N(y | loc, scale) of fresh rows of the generating law
    code, table, err = run(capsys, "predict", model, fresh)
    table = pd.read_csv(io.StringIO(table))
    rows = -stats.norm.logpdf(new["y"], table["loc"], table["scale"])
    # held-out rows unseen in training are draws of the law: their NLL, a mean over held // 10
    # distinct rows, is one of the means of that many fresh rows' NLLs (heavy-tailed: a
    # network sure of its training rows), not below nearly all of them (before: -2.85 nats,
    # below every one of 20,000 such means; fresh rows' 1% quantile -2.01)
    means = np.random.default_rng(3).choice(rows, (20_000, held // 10)).mean(axis=1)
    assert np.mean(means <= nats(out)) > 0.001, (nats(out), np.quantile(rows, [0.01, 0.5]))
    # evaluate on the table itself scores the same held-out rows: the same figure
    for stream in ("no", "yes"):
        code, again, err = run(capsys, "evaluate", model, data, "--stream", stream)
        assert code == 0, err
        assert again.splitlines()[0] == (f"{model} was fitted on {data}: scoring only its "
                                         f"{held} held-out rows")  # fmt: skip
        assert nats(again) == pytest.approx(nats(out), abs=1e-4)


@pytest.mark.parametrize("table", ["poisson", "heights"])
def test_tables_whose_repeats_are_ties_of_their_law_keep_the_row_hash_split(
        tmp_path, capsys, table):  # fmt: skip
    rng = np.random.default_rng(2)
    n = 400
    if table == "poisson":  # a count on three doses: most rows repeat another
        x = rng.integers(0, 3, n)
        frame = pd.DataFrame({"dose": x, "y": rng.poisson(np.exp(0.4 * x))})
        family = "poisson"
    else:  # heights to 0.1 inch by sex: real values, 60% of rows repeat another
        sex = rng.choice(["f", "m"], n)
        frame = pd.DataFrame({"sex": sex, "y": np.round(rng.normal(np.where(sex == "m", 70, 64.5),
                                                                   1.0), 1)})  # fmt: skip
        family = "normal"
    assert frame.duplicated().sum() > n // 2
    data, model = tmp_path / "d.csv", tmp_path / "m.safetensors"
    frame.to_csv(data, index=False)
    code, out, err = run(capsys, "fit", data, "--target", "y", "--family", family, "--hidden", "4",
                         "--epochs", "3", "--quiet", "--seed", "7", "--out", model)  # fmt: skip
    assert code == 0, err
    assert "repeat another row" not in out
    # the row hash of each row number (tables.split.row_parts, asked row by row)
    held = sum(row_parts(np.array([i], dtype=np.uint64), 7, 0.2, 0.0)[0] == TEST for i in range(n))
    assert f"held-out metrics ({held} rows" in out


@settings(max_examples=40, deadline=None)
@given(groups=st.lists(st.integers(0, 12), min_size=6, max_size=60), seed=st.integers(0, 99),
       cv=st.sampled_from(["auto", 2, 3, None]))
def test_group_folds_hold_each_group_on_one_side(groups, seed, cv):
    groups = np.asarray(groups)
    if isinstance(cv, int) and cv > np.unique(groups).size:
        return
    try:
        folds = cv_splits(groups.size, cv, seed, groups=groups)
    except Exception as exc:  # one split by the hash may leave a side empty on tiny tables
        assert "expected rows to train on and to hold out" in str(exc)
        return
    for train, test in folds:
        assert np.intersect1d(groups[train], groups[test]).size == 0
        assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(groups.size))
    if len(folds) > 1:  # K folds: every row held out exactly once
        assert np.array_equal(np.sort(np.concatenate([t for _, t in folds])), np.arange(groups.size))


def test_compare_holds_out_each_row_with_its_copies(tmp_path, capsys):
    data = tmp_path / "rep.csv"
    pd.concat([draw(30, np.random.default_rng(0))] * 10, ignore_index=True).to_csv(data, index=False)
    code, out, err = run(capsys, "compare", data, "--target", "y", "--families", "normal",
                         "--hidden", "4", "--epochs", "3")  # fmt: skip
    assert code == 0, err
    assert out.splitlines()[0].startswith("warning: 270 rows repeat another row exactly")
    line = next(l for l in out.splitlines() if l.startswith("one split for all families"))
    train, held = (int(w) for w in line.replace(",", "").split() if w.isdigit())
    assert train % 10 == 0 and held % 10 == 0 and train + held == 300
