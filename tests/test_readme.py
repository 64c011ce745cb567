"""The README's Python examples run as written, in order, in one namespace.

The figures its comments quote ("about 0.96", "about [0.5, 0.1, 0.5]") are checked here against
their oracles: the worked cases from the texts and the true noise of the simulated data.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.fixture(scope="module")
def namespace():
    if not README.exists():
        pytest.skip("README.md is not beside the tests (installed package, not a checkout)")
    blocks = _python_blocks(README.read_text(encoding="utf-8"))
    assert blocks, "the README has no ```python examples"
    ns: dict = {"__name__": "readme"}
    with contextlib.redirect_stdout(io.StringIO()):
        for block in blocks:
            exec(compile(block, str(README), "exec"), ns)  # noqa: S102 - our own README
    return ns


def test_worked_cases_from_the_texts(namespace):
    ns = namespace
    assert ns["p_hat"].probs == pytest.approx(0.2)
    # standard error sqrt(p(1-p)/n) and observed information n / (p(1-p)), by hand
    se = ns["probnn"].standard_errors(ns["p_hat"], np.array([0, 0, 0, 1, 0]))["probs"]
    assert se == pytest.approx(np.sqrt(0.2 * 0.8 / 5))
    assert ns["normal"].loc == pytest.approx(0.0, abs=1e-12)
    assert ns["normal"].scale == pytest.approx(np.sqrt(2 / 3))


def test_classifier_figures_quoted(namespace):
    from sklearn.metrics import log_loss

    clf, X_test, y_test = namespace["clf"], namespace["X_test"], namespace["y_test"]
    assert clf.score(X_test, y_test) >= 0.94
    # the scorer's NLL agrees with scikit-learn's log loss of the same probabilities
    nll = -namespace["probnn"].nll_scorer(clf, X_test, y_test)
    proba = clf.predict_proba(X_test).astype(np.float64)
    proba /= proba.sum(axis=1, keepdims=True)  # float32 rows sum to 1 only to ~1e-7
    assert nll == pytest.approx(log_loss(y_test, proba), rel=1e-5)
    assert nll < 0.15


def test_regressor_recovers_the_true_noise(namespace):
    grid = namespace["grid"]
    true_sigma = 0.1 + 0.1 * grid[:, 0] ** 2
    scale = namespace["reg"].predict_dist(grid).scale
    np.testing.assert_allclose(scale, true_sigma, rtol=0.1)
    # the mean at x = +-2, where sigma = 0.5, is estimated from a few hundred noisy points
    np.testing.assert_allclose(namespace["reg"].predict(grid), np.sin(grid[:, 0]), atol=0.15)
    low, high = namespace["low"], namespace["high"]
    assert np.all(low < np.sin(grid[:, 0])) and np.all(np.sin(grid[:, 0]) < high)


def test_streamed_fit_recovers_the_true_noise(namespace):
    import pandas as pd

    pytest.importorskip("pyarrow")
    # y = 2x + standard normal noise: the best NLL is the noise's entropy, log(2 pi e) / 2;
    # about 1,200 held-out rows give a standard error near 0.02
    nll = namespace["stream_info"].metrics["nll_nats"]
    assert nll == pytest.approx(0.5 * np.log(2 * np.pi * np.e), abs=0.08)
    mean = namespace["stream_model"].predict(pd.DataFrame({"x": [0.0, 1.0]}))
    np.testing.assert_allclose(mean, [0.0, 2.0], atol=0.2)


def test_crps_and_pipeline_figures_quoted(namespace):
    from scipy import integrate, stats

    ns = namespace
    # CRPS of N(0, 1) at 0 by its defining integral: 2 int_0^inf (1 - Phi(x))^2 dx
    half = integrate.quad(lambda x: stats.norm.sf(x) ** 2, 0, np.inf, epsrel=1e-12)[0]
    assert float(ns["probnn"].crps(ns["probnn"].Normal(0.0, 1.0), 0.0)) == pytest.approx(2 * half)
    assert ns["search"].best_params_ == {"mlpregressor__alpha": 0.001}
    # the simulated noise: 0.4 in Lyon and Oslo, 1.5 in Quito
    true_sigma = np.where(ns["table"]["city"][:3] == "Quito", 1.5, 0.4)
    scale = ns["probnn"].predict_dist(ns["best"], ns["table"][:3]).scale
    np.testing.assert_allclose(scale, true_sigma, rtol=0.2)
    # a Normal forecast with the true mean and sigma has expected CRPS sigma / sqrt(pi)
    cities = ns["table"]["city"].to_numpy()
    ideal = np.mean(np.where(cities == "Quito", 1.5, 0.4)) / np.sqrt(np.pi)
    assert ideal == pytest.approx(0.44, abs=0.005)
    assert np.all(ns["fold_crps"] > ideal - 0.05) and np.all(ns["fold_crps"] < ideal + 0.1)
    assert np.mean(ns["fold_crps"]) == pytest.approx(0.48, abs=0.03)


def test_parameter_importance_figures_quoted(namespace):
    """x drives only the mean; the city both (by construction of the README's table).
    Oracles: E|x - x'| = 2 / sqrt(pi) for independent standard normals; the true sd of a
    row is 0.4 or 1.5, so shuffling x cannot move it."""
    moved = namespace["moved"]
    assert list(moved.columns) == ["nll", "mean", "sd"]
    assert moved.loc["x", "mean"] == pytest.approx(2 / np.sqrt(np.pi), rel=0.2)
    assert moved.loc["x", "sd"] < 0.25 * moved.loc["city", "sd"]
    assert moved.loc["city", "sd"] > 0.3 and moved.loc["city", "mean"] > 0.5


def test_the_tabular_model_reads_the_shipped_table(namespace):
    """TabularModel on the shipped daily counts: the date column parsed as a date, and the
    held-out NLL that of scipy's negative binomial (NB2: n = 1 / alpha, p = 1 / (1 + alpha mu))
    with the predicted parameters."""
    from scipy import stats

    model, days = namespace["by_day"], namespace["days"]
    assert model.preprocessor.parsers_["dteday"].startswith("date:")
    held = days.iloc[600:]
    columns = model.estimator.family_.parameter_columns(model.predict_dist(held))
    mu, alpha = (np.asarray(columns[k], dtype=np.float64) for k in ("mean", "dispersion"))
    nll = -stats.nbinom.logpmf(held["cnt"], 1 / alpha, 1 / (1 + alpha * mu))
    assert model.evaluate(held)["nll_nats"] == pytest.approx(nll.mean(), rel=1e-6)


def test_laplace_spread_is_larger_in_the_gap_and_beyond_the_rows(namespace):
    # the README's comment: the epistemic sd relative to the aleatoric one at x = -2 (among
    # the rows) is several times smaller than in the gap (0) and beyond the rows (6)
    ratio = np.sqrt(np.divide(*namespace["laplace"].predictive_variance_split([[-2.0], [0.0], [6.0]])))
    assert ratio[1] >= 2 * ratio[0] and ratio[2] >= 2 * ratio[0]
    dist = namespace["laplace"].predict_dist([[0.0]])
    # the network at its fitted weights (MLPRegressor's own default predictive already
    # includes the output layer's posterior: the same as this wrapper's, up to the prior)
    from probnn.estimators._last_layer import plug_in_dist

    plain = plug_in_dist(namespace["laplace"].estimator_, [[0.0]])
    assert dist.scale[0] > plain.scale[0]


def test_survival_example_orders_like_the_truth(namespace):
    """The censored Weibull fit's Harrell's C is close to the true scales' own C (a
    brute-force count over the pairs here), which is what "about 0.7" quotes."""
    ns = namespace
    time, seen = ns["y_surv"][:, 0], ns["seen"]
    truth = ns["X_surv"][:, 0]  # the true log scale is 1 + 0.6 x0: its order is x0's
    comparable = concordant = 0.0
    for i in np.flatnonzero(seen):
        later = time > time[i]
        comparable += later.sum()
        concordant += (truth[later] > truth[i]).sum() + 0.5 * (truth[later] == truth[i]).sum()
    c_truth = concordant / comparable
    c_fit = ns["probnn"].concordance_index(time, seen, ns["surv"].predict_dist(ns["X_surv"]).median)
    assert abs(c_fit - c_truth) < 0.02 and 0.65 < c_fit < 0.75
    # the event indicator is what the (time, inf) rows say
    assert np.array_equal(np.isinf(ns["y_surv"][:, 1]), ~seen)
