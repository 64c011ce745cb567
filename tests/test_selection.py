"""Selection of the family and the capacity by held-out NLL (``probnn.selection``, issue 22).

Oracles: the one-standard-error rule on a table worked by hand; scikit-learn's ``KFold``
for the folds and scipy.stats for the constant model's NLL (a normal with the training
rows' mean and maximum-likelihood standard deviation) and for an independent fit's density;
synthetic data whose true family and capacity are known; an ordinary least-squares fit
(numpy) and the constant normal (scipy) as the bounds ``probnn fit --family auto`` must
meet on held-out rows.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.model_selection import KFold

from probnn.cli import main, split_rows
from probnn.model_file import load_model, save_model
from probnn.report.card import is_constant
from probnn.auto import AutoClassifier, AutoRegressor
from probnn.selection import (one_standard_error_choice,
                              select_model)  # fmt: skip
from probnn.tables.model import TabularModel

NET = dict(hidden=(8,), epochs=40)  # small networks: the tests are about the rule


def test_one_standard_error_rule_against_a_table_worked_by_hand():
    # network best (mean 0.90); GLM 0.95: d = (-0.2, 0.3, -0.2, 0.3), sd = sqrt(0.25/3),
    # SE = sd / 2 = 0.1443 > 0.05: within noise, and simpler; the constant 1.5 is not
    rows = {("f", "network"): np.full(4, 0.9), ("f", "glm"): np.array([0.7, 1.2, 0.7, 1.2]),
            ("f", "constant"): np.full(4, 1.5)}  # fmt: skip
    chosen, best, se = one_standard_error_choice(rows)
    assert best == ("f", "network") and chosen == ("f", "glm")
    assert se[("f", "glm")] == pytest.approx(math.sqrt(0.25 / 3) / 2, rel=1e-12)
    # GLM (0.9, 1.0, 0.9, 1.0): 0.05 behind, SE sqrt(0.01/3)/2 = 0.0289: not within
    rows[("f", "glm")] = np.array([0.9, 1.0, 0.9, 1.0])
    assert one_standard_error_choice(rows)[0] == ("f", "network")
    # among equals of one capacity, the family of fewer raw outputs, then the lower NLL
    tie = {("a", "glm"): np.array([1.0, 2.0, 1.0]), ("b", "glm"): np.array([1.1, 1.9, 1.0])}
    assert one_standard_error_choice(tie, {("a", "glm"): 3, ("b", "glm"): 2})[0] == ("b", "glm")
    assert one_standard_error_choice(tie)[0] == ("a", "glm")


def _table(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.uniform(-2, 2, size=n)})


def test_fold_nlls_equal_independent_fits_on_kfold_folds():
    X = _table(120)
    y = pd.Series(2.0 + X["a"] - 0.5 * X["b"] + np.random.default_rng(1).normal(size=120), name="y")
    folds = KFold(n_splits=3, shuffle=True, random_state=7)
    sel = select_model(X, y, families=["normal"], cv=folds, network_families=0, seed=3)
    start = 0
    for train, test in folds.split(X):
        n = test.size
        # the constant: a normal with the training mean and ML standard deviation (scipy)
        expected = -stats.norm.logpdf(y.iloc[test], y.iloc[train].mean(), y.iloc[train].std(ddof=0))
        got = sel.nll_rows[("normal", "constant")][start:start + n]
        np.testing.assert_allclose(got, expected, rtol=2e-3, atol=2e-3)
        # the GLM: an independent fit on the same training rows, its density by scipy
        frame = X.assign(y=y)
        glm = TabularModel.fit(frame.iloc[train], "y", family="normal", hidden=(), solver="lbfgs",
                               seed=3, alpha="evidence")  # fmt: skip
        dist = glm.predict_dist(frame.iloc[test])
        expected = -stats.norm.logpdf(y.iloc[test], dist.loc, dist.scale)
        got = sel.nll_rows[("normal", "glm")][start:start + n]
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
        start += n
    assert start == 120 and sel.table.loc[0, "folds"] == 3


def test_a_large_tables_simple_candidates_are_screened_on_a_subsample_and_close_ones_refit():
    # 6,000 rows: one split, 4,800 training rows; the constants and GLMs are fitted on 4,000
    # of them; the GLM of the true family is refitted on all (the best), the constants and
    # the sigma-fixed GLM (against noise whose scale grows with b) are far behind and keep
    # their screening
    X = _table(6000, seed=4)
    noise = 0.3 * np.exp(X["b"]) * np.random.default_rng(5).normal(size=6000)
    y = pd.Series(2.0 + 3.0 * X["a"] + noise, name="y")
    sel = select_model(X, y, families=["normal", "normal-fixed"], network_families=0, seed=2)
    (train, test), = sel.folds
    assert train.size > 4000 and [t.size for t in split_rows(6000, 2, 0.2)] == [train.size, test.size]
    subsample = np.sort(np.random.default_rng(2).choice(train, size=4000, replace=False))
    frame = X.assign(y=y)
    table = sel.table.set_index(["family", "capacity"])
    assert (sel.family, sel.capacity) == ("normal", "glm")
    glm = TabularModel.fit(frame.iloc[train], "y", family="normal", hidden=(), solver="lbfgs",
                           seed=2)  # fmt: skip
    dist = glm.predict_dist(frame.iloc[test])
    np.testing.assert_allclose(sel.nll_rows[("normal", "glm")],
                               -stats.norm.logpdf(y.iloc[test], dist.loc, dist.scale),
                               rtol=1e-5, atol=1e-5)  # fmt: skip
    # the constant normal on the subsample: its mean and ML standard deviation (scipy)
    sub = y.iloc[subsample]
    np.testing.assert_allclose(sel.nll_rows[("normal", "constant")],
                               -stats.norm.logpdf(y.iloc[test], sub.mean(), sub.std(ddof=0)),
                               rtol=2e-3, atol=2e-3)  # fmt: skip
    fixed = TabularModel.fit(frame.iloc[subsample], "y", family="normal-fixed", hidden=(),
                             solver="lbfgs", seed=2).predict_dist(frame.iloc[test])  # fmt: skip
    np.testing.assert_allclose(sel.nll_rows[("normal-fixed", "glm")],
                               -stats.norm.logpdf(y.iloc[test], fixed.loc, fixed.scale),
                               rtol=1e-5, atol=1e-5)  # fmt: skip
    for c in [("normal", "constant"), ("normal-fixed", "constant"), ("normal-fixed", "glm")]:
        assert table.loc[c, "status"].startswith("screened out: fitted on 4,000")
    assert table.loc[("normal", "glm"), "status"] == "chosen"


def test_overdispersed_counts_choose_the_negative_binomial():
    X = _table(400, seed=2)
    mean = np.exp(1.0 + 0.6 * X["a"])
    rng = np.random.default_rng(3)
    y = pd.Series(rng.negative_binomial(1.5, 1.5 / (1.5 + mean)), name="visits")  # dispersion 2/3
    sel = select_model(X, y, network_families=0, seed=0, cv=3)
    # the negative binomial or one of its excess-zero forms, which contain it nearly (on
    # 400 rows they are within noise of it: the evidence's priors left the hurdle's GLM
    # 1.3 SE ahead on these folds); never the Poisson, whose variance is the mean's
    nb = ("negative-binomial", "hurdle-negative-binomial", "zero-inflated-negative-binomial")
    assert sel.family in nb and sel.capacity == "glm", sel.table
    assert sel.line.startswith(f"chose {sel.family} GLM")
    table = sel.table.set_index(["family", "capacity"])
    assert table.loc[("poisson", "glm"), "minus_best"] > 3 * table.loc[("poisson", "glm"), "se"]
    assert table.loc[("negative-binomial", "glm"), "minus_best"] < 2 * max(
        table.loc[("negative-binomial", "glm"), "se"], 1e-12)


def test_noise_chooses_the_constant_and_a_nonlinear_mean_the_network():
    X = _table(300, seed=4)
    noise = pd.Series(np.random.default_rng(5).normal(3.0, 2.0, size=300), name="y")
    sel = select_model(X, noise, families=["normal"], seed=0, cv=3, **NET)
    # (a network that early stopping kept near its start, the constant, is within a
    # hair of it: the rule may keep the GLM; never the network)
    assert sel.capacity in ("constant", "glm"), sel.table
    assert is_constant(sel.model.estimator) == (sel.capacity == "constant")
    curve = pd.Series(np.sin(2.5 * X["b"]) + 0.1 * np.random.default_rng(6).normal(size=300),
                      name="y")  # fmt: skip
    sel = select_model(X, curve, families=["normal"], seed=0, cv=3, hidden=(16,), epochs=300)
    assert sel.capacity == "network", sel.table
    assert set(sel.table["capacity"]) == {"constant", "glm", "network"}


def test_a_constant_model_is_saved_loaded_and_ignores_the_features(tmp_path):
    frame = _table(80).assign(y=np.random.default_rng(0).gamma(2.0, 1.5, size=80))
    model = TabularModel.fit(frame, "y", family="gamma", constant=True, solver="lbfgs")
    path = save_model(model, tmp_path / "c.safetensors")
    loaded = load_model(path)
    mean = loaded.predict_dist(frame).mean
    np.testing.assert_allclose(mean, model.predict_dist(frame).mean, rtol=0)
    # the gamma's ML mean is the training mean, whatever the features
    np.testing.assert_allclose(mean, frame["y"].mean(), rtol=1e-4)
    assert is_constant(loaded.estimator)


def test_auto_estimators_follow_the_scikit_learn_pattern():
    X = _table(200, seed=8).to_numpy()
    logit = 2.0 * X[:, 0]
    y = (np.random.default_rng(9).uniform(size=200) < 1 / (1 + np.exp(-logit))).astype(int)
    clf = AutoClassifier(network_families=0, cv=3).fit(X, y)
    assert clf.best_family_ == "bernoulli" and clf.best_capacity_ == "glm"
    results = pd.DataFrame(clf.cv_results_)
    assert set(results["capacity"]) == {"constant", "glm"}
    proba = clf.predict_proba(X)
    assert proba.shape == (200, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    # score is the mean log-likelihood: log of each row's probability of its label
    expected = np.mean(np.log(proba[np.arange(200), np.searchsorted(clf.classes_, y)]))
    assert clf.score(X, y) == pytest.approx(expected, rel=1e-5)
    reg = AutoRegressor(families=["normal", "laplace"], network_families=0, cv=3)
    reg.fit(X, 1.0 + X[:, 0] + np.random.default_rng(1).normal(size=200))
    lower, upper = reg.predict_interval(X)
    assert np.all(lower < upper) and reg.best_family_ in ("normal", "laplace")


def test_cli_auto_is_no_worse_than_the_constant_and_the_linear_model(tmp_path, capsys):
    rng = np.random.default_rng(11)
    frame = _table(200, seed=10)
    frame["y"] = 3.0 + 2.0 * frame["a"] - frame["b"] + rng.normal(0.0, 0.5, size=200)
    data = tmp_path / "t.csv"
    frame.to_csv(data, index=False)
    code = main(["fit", str(data), "--target", "y", "--hidden", "8", "--epochs", "40",
                 "--out", str(tmp_path / "m.safetensors")])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    line = re.search(r"^chose (\S+) (constant model|GLM|network): .*$", out, re.M)
    assert line is not None, out
    nll = float(re.search(r"^  NLL \(nats per example\)\s+(\S+)$", out, re.M).group(1))
    train, test = split_rows(200, 0, 0.2)
    tr, te = frame.iloc[train], frame.iloc[test]
    # the constant normal and the least-squares line (ML variance), on the same rows
    const = -np.mean(stats.norm.logpdf(te["y"], tr["y"].mean(), tr["y"].std(ddof=0)))
    A = np.column_stack([np.ones(len(tr)), tr["a"], tr["b"]])
    beta, *_ = np.linalg.lstsq(A, tr["y"], rcond=None)
    sd = math.sqrt(np.mean((tr["y"] - A @ beta) ** 2))
    pred = np.column_stack([np.ones(len(te)), te["a"], te["b"]]) @ beta
    ols = -np.mean(stats.norm.logpdf(te["y"], pred, sd))
    assert nll <= min(const, ols) + 0.01, (nll, const, ols, out)
    html = (tmp_path / "m-report" / "report.html").read_text()
    assert 'id="selection"' in html and "Candidates (selection by held-out NLL)" in html


def test_two_candidates_equal_on_every_row_are_said_so_not_divided_by_zero():
    # the categorical and the ordinal constant models are the class frequencies: the same
    # probability of every held-out label, a difference of 0 with an SE of 0
    from probnn.compare import _verdict

    text = _verdict(["categorical", "ordinal"], {"categorical": 1.2, "ordinal": 1.2},
                    {"categorical": 0.0, "ordinal": 0.0})  # fmt: skip
    assert "same probability" in text
    X = _table(90, seed=12)
    y = pd.Series(np.random.default_rng(13).integers(0, 3, size=90), name="grade")
    sel = select_model(X, y, families=["categorical", "ordinal"], cv=3, network_families=0)
    rows = sel.nll_rows
    np.testing.assert_allclose(rows[("categorical", "constant")], rows[("ordinal", "constant")],
                               rtol=1e-5)  # fmt: skip
    assert sel.capacity in ("constant", "glm")


def test_a_streamed_fit_with_a_family_param_keeps_the_type_rule_and_says_so(tmp_path, capsys):
    # as in memory; a streamed fit selects otherwise (tests/test_streaming_selection.py)
    labels = np.random.default_rng(15).choice(["cat", "dog", "emu"], size=60)
    frame = _table(60, seed=14).assign(y=labels)
    data = tmp_path / "s.csv"
    frame.to_csv(data, index=False)
    code = main(["fit", str(data), "--target", "y", "--hidden", "4", "--epochs", "2", "--stream",
                 "yes", "--family-param", "n_classes=3", "--out", str(tmp_path / "m.safetensors")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "no selection by likelihood with --family-param" in out
    assert "chose " not in out and load_model(tmp_path / "m.safetensors").family == "categorical"


def test_class_labels_are_folded_by_class_and_an_unscorable_table_keeps_the_type_rule(
        monkeypatch):  # fmt: skip
    X = _table(11, seed=16)
    y = pd.Series(["a"] * 4 + ["b"] * 4 + ["c"] * 3, name="pet")
    sel = select_model(X, y, network_families=0)
    assert len(sel.folds) == 3  # as many folds as the rarest class has rows
    for train, _ in sel.folds:
        assert set(y.iloc[train]) == {"a", "b", "c"}
    # no candidate scored on every fold (here: every fit refused): the type rule's network
    # (a class of one row is scored: tests/test_selection_unseen_labels.py)
    from probnn import compare

    monkeypatch.setattr(compare, "_fit_family", lambda task: (None, None, "refused"))
    sel = select_model(X, y, network_families=0, hidden=(4,), epochs=3)
    assert sel.line.startswith("chose categorical network, unscored"), sel.line
    assert sel.model.family == "categorical" and sel.nll_rows == {}


def test_a_point_mass_at_the_end_of_a_real_target_is_said():
    from probnn.selection import POINT_MASS_SHARE, point_mass_note

    rng = np.random.default_rng(9)
    y = pd.Series(np.where(rng.uniform(size=400) < 0.4, 0.0, rng.gamma(2.0, 1.3, size=400)))
    note = point_mass_note(y, ("positive",))
    share = float(np.mean(y == 0))
    assert note.startswith(f"{share:.0%} of the target's rows are exactly 0, its smallest value")
    assert "--censored-below 0" in note
    assert point_mass_note(-y, ("real",)).count("--censored-above 0") == 1
    # below the share, an interior atom (rounding), counts: no note
    sparse = y.copy()
    sparse[sparse == 0] = rng.gamma(2.0, 1.3, size=int((sparse == 0).sum()))
    sparse.iloc[: int(POINT_MASS_SHARE * 400) - 1] = 0.0
    assert point_mass_note(sparse, ("positive",)) is None
    interior = pd.Series(np.r_[np.full(100, 1.5), rng.normal(size=300)])
    assert point_mass_note(interior, ("real",)) is None
    assert point_mass_note(pd.Series(rng.poisson(0.3, size=400)), ("count",)) is None


def test_the_command_line_warns_of_a_point_mass_scored_as_densities(tmp_path, capsys):
    # --point-mass density: the densities kept, and the warning (the default reads the atom as
    # censored: tests/test_selection_point_mass.py)
    from probnn.cli import main

    rng = np.random.default_rng(10)
    n = 150
    x = rng.normal(size=n)
    y = np.where(rng.uniform(size=n) < 0.5, 0.0, np.exp(0.5 * x + rng.normal(size=n)))
    path = tmp_path / "mass.csv"
    pd.DataFrame({"x": x, "y": y}).to_csv(path, index=False)
    code = main(["fit", str(path), "--target", "y", "--hidden", "none", "--quiet",
                 "--point-mass", "density",
                 "--out", str(tmp_path / "m.safetensors"), "--report", str(tmp_path / "r")])
    out = capsys.readouterr().out
    assert code == 0
    assert "warning: " in out and "of the target's rows are exactly 0" in out


def test_a_network_that_fails_on_the_first_fold_is_recorded_not_a_crash(monkeypatch):
    # the halving read the paired SE of a network that had failed on fold 1 (KeyError; bench's
    # R suite, a mixture-normal network on a small table)
    from probnn.exceptions import TrainingDivergedError

    fit = TabularModel.fit.__func__

    def diverging(cls, frame, target, **kw):
        if kw.get("family") == "laplace" and kw.get("hidden") != ():
            raise TrainingDivergedError("the NLL became inf")
        return fit(cls, frame, target, **kw)

    monkeypatch.setattr(TabularModel, "fit", classmethod(diverging))
    X = _table(90, seed=7)
    y = pd.Series(1.0 + X["a"] + np.random.default_rng(8).standard_t(3, size=90), name="y")
    sel = select_model(X, y, families=["normal", "laplace"], cv=3, seed=0, hidden=(4,),
                       epochs=20)
    table = sel.table.set_index(["family", "capacity"])
    assert table.loc[("laplace", "network"), "status"].startswith("failed: training diverged")
    assert (sel.family, sel.capacity) in set(table.index)


def test_too_few_rows_to_stop_a_network_leave_constants_and_glms():
    from probnn import defaults

    n = 45  # 5 folds: 36 training rows each, below 2 * AUTO_MIN_VALIDATION_ROWS
    assert n * 4 // 5 < 2 * defaults.AUTO_MIN_VALIDATION_ROWS
    X = _table(n, seed=11)
    y = pd.Series(2.0 + X["a"] + np.random.default_rng(12).normal(size=n), name="y")
    sel = select_model(X, y, families=["normal"], seed=0)
    assert set(sel.table["capacity"]) == {"constant", "glm"}
    assert any(note.startswith("no network tried: the folds' 36 training rows")
               for note in sel.notes)
    # a budget of the caller's keeps the network
    sel = select_model(X, y, families=["normal"], seed=0, epochs=30)
    assert "network" in set(sel.table["capacity"])


def test_a_candidate_clearly_behind_a_better_one_is_not_chosen():
    # the network is best but noisy; the constant is within its SE, yet the GLM beats the
    # constant on every row by 0.3 (worked by hand: paired SE 0): the GLM is chosen
    rng = np.random.default_rng(0)
    glm = 1.0 + 0.05 * rng.normal(size=40)
    rows = {("f", "network"): glm - 0.35 + 5.0 * np.tile([1.0, -1.0], 20),
            ("f", "glm"): glm, ("f", "constant"): glm + 0.3}
    mean = {c: r.mean() for c, r in rows.items()}
    best = min(mean, key=mean.get)
    d = rows[("f", "constant")] - rows[best]
    assert best == ("f", "network")
    assert mean[("f", "constant")] - mean[best] <= d.std(ddof=1) / np.sqrt(40)  # within 1 SE
    assert one_standard_error_choice(rows)[0] == ("f", "glm")


def test_a_regression_network_chosen_by_folds_is_refitted_as_an_ensemble():
    # the refit is a deep ensemble of ENSEMBLE_REFIT networks, each fitted on all the rows
    # with the chosen settings; its density is the members' mixture (by hand: the log of
    # the mean of their densities); ensemble=1 keeps one network
    from scipy.special import logsumexp

    from probnn.estimators import EnsembleRegressor, MLPRegressor
    from probnn.selection import ENSEMBLE_REFIT

    X = _table(300, seed=4)
    curve = pd.Series(np.sin(2.5 * X["b"]) + 0.1 * np.random.default_rng(6).normal(size=300),
                      name="y")  # fmt: skip
    options = dict(families=["normal"], seed=0, cv=3, hidden=(16,), epochs=300)
    sel = select_model(X, curve, **options)
    assert sel.capacity == "network" and sel.refitted
    ensemble = sel.model.estimator
    assert isinstance(ensemble, EnsembleRegressor) and len(ensemble.estimators_) == ENSEMBLE_REFIT
    assert sel.line.endswith(f"as an ensemble of {ENSEMBLE_REFIT}")
    Xt = sel.model.transform(X)
    members = np.stack([m.predict_dist(Xt).log_prob(curve.to_numpy()) for m in ensemble.estimators_])
    assert np.allclose(ensemble.predict_dist(Xt).log_prob(curve.to_numpy()),
                       logsumexp(members, axis=0) - math.log(ENSEMBLE_REFIT), rtol=1e-6, atol=1e-9)
    single = select_model(X, curve, ensemble=1, **options)
    assert isinstance(single.model.estimator, MLPRegressor) and "ensemble" not in single.line
    with pytest.raises(ValueError, match="ensemble must be 'auto' or an integer >= 1"):
        select_model(X, curve, ensemble=0, **options)
