"""Permutation importance per distribution parameter (issue 23).

Oracles: the data-generating process, whose own permutation importance is worked by hand
(for independent standard normal features, E|2 x - 2 x'| = 4 / sqrt(pi) for the mean, and
E|exp(a x) - exp(a x')| by a large Monte Carlo sample for the standard deviation), and
scikit-learn's ``permutation_importance`` with :func:`probnn.nll_scorer` for the NLL.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import probnn

A = 0.7  # sd = exp(A x_1)


@pytest.fixture(scope="module")
def spread_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 3))  # x0 drives the mean, x1 the spread, x2 nothing
    y = 2.0 * X[:, 0] + np.exp(A * X[:, 1]) * rng.normal(size=3000)
    reg = probnn.MLPRegressor(hidden_layer_sizes=(16,), max_iter=100, random_state=0)
    reg.fit(X[:2000], y[:2000])
    return reg, X[2000:], y[2000:]


def test_each_parameter_is_moved_by_its_own_feature(spread_data):
    reg, X, y = spread_data
    result = probnn.parameter_importance(reg, X, y, n_repeats=5, random_state=0)
    imp = result.importances
    assert list(imp.columns) == ["nll", "mean", "sd"]
    assert list(imp.index) == ["0", "1", "2"]
    # the truth's importances, by hand: permuting x0 moves the mean by E|2x - 2x'|
    mean_truth = 4 / np.sqrt(np.pi)
    draws = np.random.default_rng(1).normal(size=(2, 400_000))
    sd_truth = np.mean(np.abs(np.exp(A * draws[0]) - np.exp(A * draws[1])))
    assert imp.loc["0", "mean"] == pytest.approx(mean_truth, rel=0.15)
    assert imp.loc["1", "sd"] == pytest.approx(sd_truth, rel=0.2)
    # and each feature leaves the other parameter (nearly) alone; x2 moves nothing
    assert imp.loc["0", "sd"] < 0.15 * imp.loc["1", "sd"]
    assert imp.loc["1", "mean"] < 0.15 * imp.loc["0", "mean"]
    assert imp.loc["2", "mean"] < 0.1 * mean_truth and imp.loc["2", "sd"] < 0.1 * sd_truth
    assert result.baseline["nll"] == pytest.approx(-probnn.nll_scorer(reg, X, y), rel=1e-6)


def test_the_nll_column_agrees_with_scikit_learns_permutation_importance(spread_data):
    from sklearn.inspection import permutation_importance

    reg, X, y = spread_data
    ours = probnn.parameter_importance(reg, X, y, n_repeats=8, random_state=0)
    theirs = permutation_importance(reg, X, y, scoring=probnn.nll_scorer, n_repeats=8,
                                    random_state=0)  # fmt: skip
    # other permutations: equal within their noise (the repeats' spread over sqrt(8))
    noise = np.sqrt((ours.importances_std["nll"].to_numpy() ** 2
                     + theirs.importances_std**2) / 8)  # fmt: skip
    np.testing.assert_array_less(np.abs(ours.importances["nll"].to_numpy()
                                        - theirs.importances_mean), 4 * noise + 0.01)
    # same ordering of the features by NLL
    assert list(np.argsort(ours.importances["nll"].to_numpy())) == list(
        np.argsort(theirs.importances_mean))


def test_on_a_pipeline_a_text_column_is_one_feature():
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(2)
    city = rng.choice(["Lyon", "Oslo", "Quito"], size=1500)
    frame = pd.DataFrame({"x": rng.normal(size=1500), "city": city})
    sd = np.where(city == "Quito", 2.0, 0.3)  # the city sets only the spread
    y = 1.5 * frame["x"].to_numpy() + sd * rng.normal(size=1500)
    pipe = make_pipeline(
        ColumnTransformer([("n", StandardScaler(), ["x"]), ("t", OneHotEncoder(), ["city"])]),
        probnn.MLPRegressor(hidden_layer_sizes=(16,), max_iter=100, random_state=0))
    pipe.fit(frame[:1000], y[:1000])
    imp = probnn.parameter_importance(pipe, frame[1000:], y[1000:], n_repeats=3).importances
    assert list(imp.index) == ["x", "city"]
    # permuting the city swaps 0.3 and 2.0 on a random 2 * p * (1 - p) of the rows, p = 1/3
    assert imp.loc["city", "sd"] == pytest.approx(1.7 * 2 * (1 / 3) * (2 / 3), rel=0.25)
    assert imp.loc["x", "mean"] == pytest.approx(1.5 * 2 / np.sqrt(np.pi), rel=0.15)
    assert imp.loc["city", "mean"] < 0.15 * imp.loc["x", "mean"]


def test_a_classifier_gets_each_class_probability():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 2))
    y = np.where(X[:, 0] + 0.3 * rng.normal(size=600) > 0, "up", "down")
    clf = probnn.MLPClassifier(hidden_layer_sizes=(8,), max_iter=100, random_state=0).fit(X, y)
    imp = probnn.parameter_importance(clf, X, y, n_repeats=2).importances
    assert list(imp.columns) == ["nll", "P(y = 1)"]
    assert imp.loc["0", "P(y = 1)"] > 5 * imp.loc["1", "P(y = 1)"]
    assert imp.loc["0", "nll"] > 0.3


def test_bad_input_is_named():
    reg = probnn.MLPRegressor(hidden_layer_sizes=(2,), max_iter=2).fit(np.eye(4), np.arange(4.0))
    with pytest.raises(ValueError, match="one value per row of X \\(4\\); found 3"):
        probnn.parameter_importance(reg, np.eye(4), np.arange(3.0))
    with pytest.raises(ValueError, match="features must be columns of X"):
        probnn.parameter_importance(reg, np.eye(4), np.arange(4.0), features=[7])
    with pytest.raises(ValueError, match="n_repeats must be at least 1"):
        probnn.parameter_importance(reg, np.eye(4), np.arange(4.0), n_repeats=0)


def test_the_fit_report_tables_what_moves_each_parameter(tmp_path, capsys):
    """``probnn fit``'s report: per raw column (a text column is one feature), the NLL's
    rise and the mean's and the sd's changes; the data say x moves the mean, g the spread."""
    import html
    import re

    from probnn.cli import main

    rng = np.random.default_rng(4)
    g = rng.choice(["calm", "wild"], size=1200)
    frame = pd.DataFrame({"x": rng.normal(size=1200), "g": g})
    frame["y"] = 3.0 * frame["x"] + np.where(g == "wild", 3.0, 0.3) * rng.normal(size=1200)
    frame.to_csv(tmp_path / "d.csv", index=False)
    code = main(["fit", str(tmp_path / "d.csv"), "--target", "y", "--hidden", "16",
                 "--epochs", "60", "--quiet", "--out", str(tmp_path / "m.safetensors")])
    assert code == 0, capsys.readouterr().err
    page = html.unescape((tmp_path / "m-report" / "report.html").read_text())
    table = re.search(r'<table id="importance">(.*?)</table>', page, flags=re.S).group(1)
    head = re.findall(r"<th>([^<]*)</th>", table)
    assert head == ["feature", "NLL rise (nats/example)", "mean: mean |change| (y's units)",
                    "sd: mean |change| (y's units)"]
    rows = {r[0]: [float(v.replace(",", "")) for v in r[1:]]
            for r in (re.findall(r"<td[^>]*>([^<]*)</td>", tr)
                      for tr in re.findall(r"<tr>(.*?)</tr>", table)) if r}  # fmt: skip
    assert set(rows) == {"x", "g"}
    # by hand: shuffling x moves the mean by E|3x - 3x'| = 6 / sqrt(pi); shuffling g swaps
    # 0.3 and 3.0 on half the rows (p = 1/2: 2 p (1 - p)), so the sd by 2.7 / 2
    assert rows["x"][1] == pytest.approx(6 / np.sqrt(np.pi), rel=0.25)
    assert rows["g"][2] == pytest.approx(2.7 / 2, rel=0.3)
    assert rows["g"][1] < 0.2 * rows["x"][1] and rows["x"][2] < 0.2 * rows["g"][2]
