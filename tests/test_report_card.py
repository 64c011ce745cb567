"""The report reads like a model card (issue 12): figures laid out for reading, metrics with
names and units, the best constant model, how training ended, the comparison of families.

Layout is checked on the Figure objects from matplotlib's own text extents
(:func:`probnn.report.plots.layout_problems`); numbers against scikit-learn, scipy or numpy on
the same arrays.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure
from scipy import stats
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix as sk_confusion

from _html import read_report
from _intervals import count_interval
from probnn.distributions import Bernoulli, Categorical, Laplace, Normal, Poisson, StudentT
from probnn.distributions.mixture import Mixture
from probnn.families import get_family
from probnn.report import compare_figures, fit_figures, plots, write_compare_report
from probnn.report.card import constant_baseline, metric_rows, stop_reason
from probnn.report.html import format_number


def _classification(n_classes: int, n: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=2.0, size=(n, n_classes))
    dist = Categorical(logits=logits) if n_classes > 2 else Bernoulli(logits=logits[:, 0])
    proba = np.asarray(dist.probs)
    p2 = proba if proba.ndim == 2 else np.c_[1 - proba, proba]
    y = np.array([rng.choice(p2.shape[1], p=row / row.sum()) for row in p2])
    return y, dist


def _regression(kind: str, n: int = 300, seed: int = 1):
    rng = np.random.default_rng(seed)
    loc = rng.normal(2e5, 6e4, size=n)  # dollar-scale, where the old labels overlapped
    if kind == "normal":
        return rng.normal(loc, 3e4), Normal(loc, np.full(n, 3e4))
    if kind == "laplace":
        return loc + rng.laplace(0, 2e4, n), Laplace(loc, np.full(n, 2e4))
    if kind == "studentt":
        return loc + 2e4 * rng.standard_t(4, n), StudentT(4.0, loc, np.full(n, 2e4))
    if kind == "poisson":
        rate = rng.uniform(0.5, 900, n)
        return rng.poisson(rate).astype(float), Poisson(rate=rate)
    parts = [Normal(loc, np.full(n, 3e4)), Normal(loc + 1e4, np.full(n, 2e4))]
    return rng.normal(loc, 3e4), Mixture(parts)


CURVES = dict(loss_curve=np.linspace(3, 1, 40), validation_curve=np.r_[np.linspace(3.1, 1.3, 30),
                                                                        np.linspace(1.31, 1.5, 10)])


# ------------------------------------------------------------------------- layout
@pytest.mark.parametrize("n_classes", [2, 3, 12, 30])
def test_classification_figures_have_no_overlapping_text(n_classes):
    y, dist = _classification(n_classes)
    names = [f"class {k} of the data" for k in range(n_classes)]
    figures = fit_figures(task="classification", y_true=y, dist=dist, classes=names,
                          stopped="stopped early at epoch 40 of 200", **CURVES)  # fmt: skip
    expected = {"training_curve.png", "reliability.png", "confusion_matrix.png"}
    if n_classes > 2:
        expected.add("class_reliability.png")
    if n_classes > plots.MAX_ANNOTATED_CLASSES:
        expected.add("top_confusions.png")
    assert {name for name, _, _ in figures} == expected
    for name, fig, _ in figures:
        assert plots.layout_problems(fig) == [], name


@pytest.mark.parametrize("kind", ["normal", "laplace", "studentt", "poisson", "mixture"])
def test_regression_figures_have_pit_coverage_and_no_overlapping_text(kind):
    y, dist = _regression(kind)
    figures = fit_figures(task="regression", y_true=y, dist=dist, target="median_house_value",
                          **CURVES)  # fmt: skip
    names = [name for name, _, _ in figures]
    assert names == ["training_curve.png", "pit_histogram.png", "coverage.png",
                     "predicted_vs_observed.png"]  # fmt: skip
    for name, fig, _ in figures:
        assert plots.layout_problems(fig) == [], name


def test_compare_figures_have_no_overlapping_text():
    y, _ = _regression("normal")
    dists = {name: _regression(name)[1] for name in ("normal", "laplace", "studentt")}
    means = {"normal": 11.9, "laplace": 12.0, "studentt": 11.95}
    se = {"normal": 0.0, "laplace": 0.02, "studentt": 0.03}
    for name, fig, _ in compare_figures(task="regression", y_true=y, dists=dists, means=means,
                                        standard_errors=se, best="normal"):  # fmt: skip
        assert plots.layout_problems(fig) == [], name
    yc, dist = _classification(3)
    figs = compare_figures(task="classification", y_true=yc, dists={"categorical": dist},
                           means={"categorical": 1.0}, standard_errors={"categorical": 0.0},
                           best="categorical")  # fmt: skip
    assert [n for n, _, _ in figs] == ["nll_comparison.png", "reliability_by_family.png"]
    for name, fig, _ in figs:
        assert plots.layout_problems(fig) == [], name


def test_layout_check_finds_overlaps_and_legends_over_data():
    # the check can fail: the old layout's legend over the axes, two texts on top of each other
    fig = Figure(figsize=(4, 3), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], label="model")
    ax.legend()
    ax.text(0.5, 0.5, "overlapping", transform=ax.transAxes)
    ax.text(0.52, 0.5, "texts", transform=ax.transAxes)
    problems = plots.layout_problems(fig)
    assert "text 'overlapping' overlaps 'texts'" in problems
    assert any("legend lies over" in p for p in problems)
    # 30 unformatted dollar ticks on a small figure collide
    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    ax.set_xticks(np.linspace(0, 1e5, 30))
    assert any("overlaps" in p for p in plots.layout_problems(fig))


def test_large_values_get_readable_ticks():
    y, dist = _regression("normal")
    fig = plots.predicted_vs_observed(y, dist, target="median_house_value")
    plots.layout_problems(fig)  # draws it
    ax = fig.axes[0]
    for axis in (ax.xaxis, ax.yaxis):
        labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
        assert labels and all(re.fullmatch(r"−?\d+(\.\d+)?[kM]?", t) for t in labels), labels
        assert "e+" not in "".join(labels) and axis.get_offset_text().get_text() == ""
    assert ax.get_xlabel() == "observed median_house_value"


# --------------------------------------------------------------------- oracles
def test_confusion_matrix_counts_and_normalised_rows_match_sklearn():
    y, dist = _classification(5)
    pred = np.asarray(dist.probs).argmax(axis=1)
    fig = plots.confusion_matrix(y, pred, list("abcde"))
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), sk_confusion(y, pred))
    assert len(fig.axes[0].texts) == 25  # counts written in the cells

    y, dist = _classification(30)
    pred = np.asarray(dist.probs).argmax(axis=1)
    fig = plots.confusion_matrix(y, pred, [str(k) for k in range(30)])
    shown = np.asarray(fig.axes[0].images[0].get_array())
    expected = sk_confusion(y, pred, labels=range(30), normalize="true")
    np.testing.assert_allclose(shown, np.nan_to_num(expected), rtol=1e-12)
    assert len(fig.axes[0].texts) == 0  # beyond 12 classes, colour only


def test_top_confusions_are_the_largest_off_diagonal_counts():
    y, dist = _classification(30, n=600)
    pred = np.asarray(dist.probs).argmax(axis=1)
    counts = sk_confusion(y, pred, labels=range(30))
    np.fill_diagonal(counts, 0)
    fig = plots.top_confusions(y, pred, [str(k) for k in range(30)], top=8)
    heights = [bar.get_width() for bar in fig.axes[0].patches]
    np.testing.assert_array_equal(heights, np.sort(counts.ravel())[::-1][:8])


def test_class_reliability_points_match_sklearn_one_vs_rest():
    y, dist = _classification(4, n=800)
    proba = np.asarray(dist.probs)
    fig = plots.class_reliability(y, proba, list("wxyz"))
    order = np.argsort(-np.bincount(y, minlength=4), kind="stable")
    for ax, k in zip(fig.axes, order):
        line = ax.lines[1]
        observed, predicted = calibration_curve(y == k, proba[:, k], n_bins=10)
        np.testing.assert_allclose(line.get_xdata(), predicted, rtol=1e-10)
        np.testing.assert_allclose(line.get_ydata(), observed, rtol=1e-10)


@pytest.mark.parametrize("name", ["normal", "normal-fixed", "laplace", "studentt"])
def test_constant_baseline_location_scale_families_match_scipy(name):
    rng = np.random.default_rng(3)
    y_train, y_test = rng.normal(5.0, 2.0, 300), rng.normal(5.0, 2.0, 100)
    # the fitted family of an estimator that estimated its scale, or a learned one
    family = get_family(name, scale=0.3) if name == "normal-fixed" else get_family(name)
    nll, described = constant_baseline(family, y_train, y_test)
    if name in ("normal", "normal-fixed"):
        # both: the MLE constant Normal has the training mean and sd (ddof 0)
        expected = -stats.norm.logpdf(y_test, y_train.mean(), y_train.std())
    elif name == "laplace":
        loc = np.median(y_train)
        expected = -stats.laplace.logpdf(y_test, loc, np.mean(np.abs(y_train - loc)))
    else:
        df, loc, scale = 3.0, *_t_mle(y_train, 3.0)
        expected = -stats.t.logpdf(y_test, df, loc, scale)
    assert nll == pytest.approx(float(np.mean(expected)), rel=1e-4)
    assert "loc" in described and "scale" in described


def _t_mle(y, df):
    from scipy import optimize

    res = optimize.minimize(lambda p: -np.sum(stats.t.logpdf(y, df, p[0], np.exp(p[1]))),
                            [np.median(y), np.log(np.std(y))], method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})  # fmt: skip
    return res.x[0], float(np.exp(res.x[1]))


def test_constant_baseline_with_a_given_scale_keeps_it():
    rng = np.random.default_rng(4)
    y_train, y_test = rng.normal(1.0, 2.0, 200), rng.normal(1.0, 2.0, 50)
    nll, _ = constant_baseline(get_family("normal-fixed", scale=0.5), y_train, y_test,
                               fixed=["scale"])  # fmt: skip
    assert nll == pytest.approx(np.mean(-stats.norm.logpdf(y_test, y_train.mean(), 0.5)), rel=1e-9)


def test_constant_baseline_classes_and_counts_match_scipy():
    rng = np.random.default_rng(5)
    yb_train, yb_test = rng.integers(0, 2, 300), rng.integers(0, 2, 80)
    nll, _ = constant_baseline(get_family("bernoulli"), yb_train, yb_test)
    assert nll == pytest.approx(np.mean(-stats.bernoulli.logpmf(yb_test, yb_train.mean())), rel=1e-9)
    yc_train, yc_test = rng.integers(0, 4, 300), rng.integers(0, 4, 80)
    freq = np.bincount(yc_train, minlength=4) / 300
    nll, _ = constant_baseline(get_family("categorical"), yc_train, yc_test)
    assert nll == pytest.approx(np.mean(-np.log(freq[yc_test])), rel=1e-9)
    yp_train, yp_test = rng.poisson(7.0, 300), rng.poisson(7.0, 80)
    nll, described = constant_baseline(get_family("poisson"), yp_train, yp_test)
    assert nll == pytest.approx(np.mean(-stats.poisson.logpmf(yp_test, yp_train.mean())), rel=1e-9)
    assert described == f"rate = {yp_train.mean():.4g}"


def test_stop_reason_names_the_epochs_and_the_best_validation_epoch():
    from probnn.estimators import MLPRegressor

    rng = np.random.default_rng(6)
    X = rng.normal(size=(300, 3))
    y = X[:, 0] + rng.normal(size=300)
    est = MLPRegressor(hidden_layer_sizes=(32,), early_stopping=True, n_iter_no_change=3,
                       max_iter=500, learning_rate_init=0.05, random_state=0).fit(X, y)  # fmt: skip
    assert est.converged_ and est.n_iter_ < 500
    best = int(np.argmin(est.validation_scores_))
    text = stop_reason(est)
    assert text.startswith(f"stopped early at epoch {est.n_iter_} of 500: the validation NLL "
                           "had not improved for 3 epochs")  # fmt: skip
    assert f"{est.validation_scores_[best]:.4f} nats per example at epoch {best + 1}" in text
    # the default schedule lowered the rate on the plateaus before the last (issue 22)
    assert f"after {est._trainer._n_drops} drops of the learning rate" in text
    from probnn import defaults

    assert est._trainer._n_drops == defaults.PLATEAU_DROPS

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        short = MLPRegressor(hidden_layer_sizes=(4,), early_stopping=True, max_iter=2,
                             random_state=0).fit(X, y)  # fmt: skip
    assert stop_reason(short).startswith("used the whole budget of 2 epochs")


def test_metric_rows_name_units_and_coverage_level():
    rows = metric_rows({"rmse": 51763.2, "coverage": 0.53, "coverage_expected": 0.91,
                        "other": 1}, coverage=0.8, target="price")  # fmt: skip
    assert rows[0][:3] == ("root mean squared error", 51763.2, "units of price")
    assert rows[1][0] == "80% interval coverage" and "about 0.8" in rows[1][3]
    assert rows[2][:2] == ("the model's own mass of those intervals", 0.91)
    assert "Exactly 0.8 for a continuous law" in rows[2][3] and "80% interval" in rows[2][3]
    assert rows[3] == ("other", 1, "", "")


@pytest.mark.parametrize("value, text", [(51763.2, "51,763.2"), (5584.4564, "5,584.5"),
                                         (200001.0, "200,001"), (0.123456789, "0.1235"),
                                         (12, "12"), (123456, "123,456"), (2.5e-5, "2.500e-05"),
                                         (float("nan"), "nan"), ("text", "text")])  # fmt: skip
def test_format_number_never_writes_large_values_in_e_notation(value, text):
    assert format_number(value) == text


# ------------------------------------------------------------------- compare report
def test_compare_report_table_matches_scipy(tmp_path):
    rng = np.random.default_rng(8)
    n = 200
    loc = rng.normal(size=n)
    y = loc + rng.standard_t(3, size=n)
    dists = {"normal": Normal(loc, np.ones(n)), "studentt": StudentT(3.0, loc, np.ones(n))}
    rows = {"normal": -stats.norm.logpdf(y, loc, 1.0), "studentt": -stats.t.logpdf(y, 3, loc, 1.0)}
    best = min(rows, key=lambda f: rows[f].mean())
    other = next(f for f in rows if f != best)
    d = rows[other] - rows[best]
    se = {best: 0.0, other: float(np.std(d, ddof=1) / np.sqrt(n))}
    path = write_compare_report(tmp_path / "cmp", title="compare", task="regression", y_true=y,
                                dists=dists, nll_rows=rows, standard_errors=se, best=best,
                                coverage=0.8, verdict="a verdict")  # fmt: skip
    table = {r[1]: r for r in read_report(path).tables["comparison"] if r}
    assert table[best][0] == "1" and table[best][5] == "-"
    assert float(table[other][2]) == pytest.approx(rows[other].mean(), rel=1e-3)
    assert float(table[other][4]) == pytest.approx(d.mean(), rel=1e-3)
    assert float(table[other][5]) == pytest.approx(se[other], rel=1e-3)
    low, high = stats.norm.interval(0.8, loc, 1.0)
    assert float(table["normal"][6]) == pytest.approx(np.mean((low <= y) & (y <= high)), abs=5e-4)
    assert float(table["normal"][7]) == float(table["studentt"][7]) == 0.8  # continuous: nominal
    names = sorted(p.name for p in path.parent.iterdir())
    assert names == [".probnn-report", "coverage_by_family.png", "nll_comparison.png",
                     "pit_by_family.png", "report.html"]  # fmt: skip
    assert "a verdict" in path.read_text(encoding="utf-8")


def test_compare_report_tables_a_count_familys_own_mass_of_its_intervals(tmp_path):
    from probnn.distributions import NegativeBinomial

    rng = np.random.default_rng(9)
    n = 200
    mu, alpha = np.exp(rng.normal(-0.5, 0.7, size=n)), 0.5
    y = stats.nbinom.rvs(1 / alpha, 1 / (1 + alpha * mu), random_state=rng).astype(float)
    dists = {"poisson": Poisson(rate=mu),
             "negative-binomial": NegativeBinomial(mu, np.full(n, alpha))}
    nb = stats.nbinom(1 / alpha, 1 / (1 + alpha * mu))
    rows = {"poisson": -stats.poisson.logpmf(y, mu), "negative-binomial": -nb.logpmf(y)}
    path = write_compare_report(tmp_path / "cmp", title="counts", task="regression", y_true=y,
                                dists=dists, nll_rows=rows, standard_errors={}, best="poisson",
                                coverage=0.9)  # fmt: skip
    table = {r[1]: r for r in read_report(path).tables["comparison"] if r}
    text = html.unescape(path.read_text(encoding="utf-8"))
    order = [text.index(name) for name in ("90% interval coverage", "own mass of those intervals",
                                           "PIT distance from uniform")]  # the columns
    assert order == sorted(order)
    for family, law in (("poisson", stats.poisson(mu)), ("negative-binomial", nb)):
        _, _, mass = count_interval(law, 0.9)  # the ends' whole masses inside
        assert float(table[family][7]) == pytest.approx(mass.mean(), abs=5e-4)
        assert mass.min() >= 0.9
    assert "Model's own mass: each row's predicted probability" in text


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15))
def test_format_number_reads_back_to_the_value(value):
    text = format_number(value)
    assert "e+" not in text  # large values get separators, never exponents
    back = float(text.replace(",", ""))
    # 4 significant digits, or one decimal / none from 1,000 / 100,000 on
    assert back == pytest.approx(value, rel=5e-4, abs=0.5 if abs(value) >= 1e5 else 0.05)


def test_an_ensembles_stop_reason_names_the_others_only_when_there_are_some():
    # "5 of 5 stopped early ..., the others used the whole budget" spoke of no network
    import warnings

    from probnn.estimators import EnsembleRegressor, MLPRegressor

    rng = np.random.default_rng(6)
    X = rng.normal(size=(300, 3))
    y = X[:, 0] + rng.normal(size=300)
    member = MLPRegressor(hidden_layer_sizes=(8,), early_stopping=True, n_iter_no_change=3,
                          max_iter=500, learning_rate_init=0.05)  # fmt: skip
    ens = EnsembleRegressor(member, n_members=2, random_state=0).fit(X, y)
    assert all(m.n_iter_ < 500 for m in ens.estimators_)
    assert stop_reason(ens).endswith("2 of 2 stopped early on their validation NLL")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        short = EnsembleRegressor(MLPRegressor(hidden_layer_sizes=(4,), max_iter=2),
                                  n_members=2, random_state=0).fit(X, y)  # fmt: skip
    assert stop_reason(short).endswith("0 of 2 stopped early on their validation NLL, the "
                                       "others used the whole budget")  # fmt: skip
