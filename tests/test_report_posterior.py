"""The report of a model fitted with a Laplace posterior (issue 24): the prior precision and
the log evidence beside the held-out NLL, and the epistemic share of the uncertainty.

Oracles: shares worked by hand; the network's own held-out NLL from scipy.stats' Normal
density at its predicted parameters; the histogram's counts against the number of rows;
layout from matplotlib's own text extents (:func:`probnn.report.plots.layout_problems`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from probnn.report import plots
from probnn.report.posterior import epistemic_figure, epistemic_share, posterior_extras
from probnn.tables.model import TabularModel


def test_epistemic_share_by_hand():
    np.testing.assert_allclose(epistemic_share([1.0, 0.0, 3.0, 0.0], [3.0, 2.0, 1.0, 0.0]),
                               [0.25, 0.0, 0.75, 0.0])  # fmt: skip


@pytest.fixture(scope="module", params=["regression", "classification"])
def fitted(request):
    rng = np.random.default_rng(2)
    n = 150
    x = rng.uniform(-2, 2, n)
    y = np.sin(2 * x) + 0.3 * rng.normal(size=n)
    frame = pd.DataFrame({"x": x, "g": rng.choice(["a", "b"], n)})
    if request.param == "regression":
        frame["y"] = y
    else:
        frame["y"] = np.where(y > 0, "up", "down")
    train, held_out = frame.iloc[:110], frame.iloc[110:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = TabularModel.fit(train, "y", epochs=30, posterior="laplace", seed=1)
    return model, train, held_out


def test_the_table_gives_the_evidence_beside_both_held_out_nlls(fitted):
    model, train, held_out = fitted
    metrics = model.evaluate(held_out)
    tables, figures = posterior_extras(model, held_out, metrics, n_train=train.shape[0])
    rows = dict(tables[0].rows)
    la = model.estimator
    assert rows["prior precision λ (N(0, 1/λ) on the coefficients)"].startswith(
        f"{la.prior_precision_:.4g}, chosen by maximising the evidence")
    assert rows["log evidence of the training rows (Laplace)"] == (
        f"{la.log_evidence_:,.2f} nats ({la.log_evidence_ / 110:.4f} per training row)")
    assert rows["held-out NLL, posterior predictive"] == f"{metrics['nll_nats']:.4f} nats per example"
    X = model.transform(held_out)
    net = la.estimator_
    if model.is_classifier:
        p = net.predict_proba(X)[np.arange(40), model.encode_target(held_out)]
        plain = -np.mean(np.log(p))
    else:
        from probnn.estimators._last_layer import plug_in_dist

        dist = plug_in_dist(net, X)  # the network at its fitted weights, no posterior
        plain = -np.mean(stats.norm.logpdf(held_out["y"], dist.loc, dist.scale))
    assert rows["held-out NLL, the network alone (weights fixed)"] == f"{plain:.4f} nats per example"
    assert [name for name, _, _ in figures] == ["epistemic.png"]


def test_the_epistemic_figure_counts_every_row_and_is_laid_out(fitted):
    model, _, held_out = fitted
    fig = epistemic_figure(model, held_out)
    assert plots.layout_problems(fig) == []
    histogram = fig.axes[-1]
    assert sum(patch.get_height() for patch in histogram.patches) == held_out.shape[0]


def test_a_model_without_a_posterior_adds_nothing(fitted):
    model, _, held_out = fitted
    plain = TabularModel(target=model.target, family=model.family,
                         preprocessor=model.preprocessor, estimator=model.estimator.estimator_,
                         classes=model.classes)  # fmt: skip
    assert posterior_extras(plain, held_out, plain.evaluate(held_out)) == ([], [])


def test_the_gap_picture_draws_a_wider_epistemic_band_in_the_gap():
    # the README's picture (docs/laplace_gap.py): the drawn epistemic sd is at least twice as
    # large in the gap (|x| < 0.4) as among the data (1.2 < |x| < 2.8), and the figure is laid out
    from _gap import fitted_gap
    from probnn.report.posterior import epistemic_band_1d

    la, x, y = fitted_gap()
    grid = np.linspace(-5, 5, 401)
    fig = epistemic_band_1d(la, x, y, grid)
    assert plots.layout_problems(fig) == []
    line = next(ln for ln in fig.axes[1].get_lines() if ln.get_label() == "epistemic sd")
    drawn_x, drawn_sd = line.get_data()
    np.testing.assert_array_equal(drawn_x, grid)
    gap = drawn_sd[np.abs(grid) < 0.4].mean()
    among = drawn_sd[(np.abs(grid) > 1.2) & (np.abs(grid) < 2.8)].mean()
    assert gap >= 2 * among
