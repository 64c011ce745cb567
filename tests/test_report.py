"""Tests of the HTML report and the figures: the page parses, every image decodes, and
the numbers drawn match independent oracles (scikit-learn, hand-worked values)."""

from __future__ import annotations

import base64
import io
import math

import matplotlib.image
import numpy as np
import pytest
from scipy import stats
from sklearn.calibration import calibration_curve
from sklearn.metrics import log_loss

from _html import ReportPage, read_report
from _intervals import count_interval
from probnn.report import write_report, write_text_figures
from probnn.report import plots
from probnn.report.html import EmbeddedFigure, render_html, write_atomic

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _decode_png(data: bytes) -> np.ndarray:
    assert data[:8] == PNG_SIGNATURE
    image = matplotlib.image.imread(io.BytesIO(data), format="png")
    assert image.ndim == 3 and image.shape[0] > 50 and image.shape[1] > 50
    return image


def _check_report(path, expected_pngs):
    """The page parses, every image is an inline PNG equal to a written file."""
    assert path.name == "report.html" and path.is_file()
    parser = read_report(path)
    assert len(parser.images) == len(expected_pngs)
    written = {p.name: p.read_bytes() for p in path.parent.glob("*.png")}
    assert set(written) == set(expected_pngs)
    for src, name in zip(parser.images, expected_pngs):
        prefix = "data:image/png;base64,"
        assert src.startswith(prefix)
        data = base64.b64decode(src[len(prefix):], validate=True)
        _decode_png(data)
        assert data == written[name]
    # the atomic writes leave no temporary files behind (the marker says: a probnn report)
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([*expected_pngs, "report.html",
                                                                    ".probnn-report"])  # fmt: skip
    return parser


def _table(parser, key: str = "metrics") -> dict[str, str]:
    """A table's rows as name (with its unit, when there is one) -> value."""
    rows = [r for r in parser.tables[key] if r]  # (the heading row has no <td>)
    return {(f"{r[0]} [{r[2]}]" if len(r) > 2 and r[2] else r[0]): r[1] for r in rows}


NATS = "negative log-likelihood [nats per example]"
BITS = "negative log-likelihood [bits per example]"


def test_binary_classification_report(tmp_path):
    from probnn.distributions import Bernoulli

    rng = np.random.default_rng(0)
    logits = rng.normal(scale=2.0, size=150)
    p = 1 / (1 + np.exp(-logits))
    y = (rng.uniform(size=150) < p).astype(int)
    title = "digits <0> & <1>"
    path = write_report(tmp_path / "out", title=title, task="classification", y_true=y,
                        dist=Bernoulli(logits=logits), classes=["zero", "one"],
                        loss_curve=[0.7, 0.5, 0.4], validation_curve=[0.72, 0.55, 0.5],
                        notes=["held-out rows: 150"])
    parser = _check_report(path, ["training_curve.png", "reliability.png", "confusion_matrix.png"])
    assert parser.title == title  # escaped in the page, intact after parsing
    table = _table(parser)
    assert set(table) == {NATS, BITS, "accuracy [fraction of rows]",
                          "Brier score [squared probability error]",
                          "expected calibration error [probability]"}  # fmt: skip
    assert float(table[NATS]) == pytest.approx(log_loss(y, p), rel=1e-3)
    assert float(table[BITS]) == pytest.approx(log_loss(y, p) / math.log(2), rel=1e-3)


def test_multiclass_report_uses_given_metrics_and_skips_absent_curve(tmp_path):
    from probnn.distributions import Categorical

    rng = np.random.default_rng(1)
    logits = rng.normal(size=(90, 3))
    y = rng.integers(0, 3, size=90)
    path = write_report(tmp_path, title="three classes", task="classification", y_true=y,
                        dist=Categorical(logits=logits), metrics={"held-out NLL": 1.25, "n": 90})
    parser = _check_report(path, ["reliability.png", "class_reliability.png",
                                  "confusion_matrix.png"])  # fmt: skip
    assert _table(parser) == {"held-out NLL": "1.25", "n": "90"}


OWN_MASS = "the model's own mass of those intervals [fraction of probability]"


@pytest.mark.parametrize("family", ["normal", "poisson"])
def test_regression_report(tmp_path, family):
    from probnn.distributions import Normal, Poisson

    rng = np.random.default_rng(2)
    if family == "normal":
        loc = rng.normal(size=120)
        dist, y = Normal(loc, np.full(120, 0.5)), rng.normal(loc, 0.5)
    else:
        rate = rng.uniform(0.2, 8.0, size=120)
        dist, y = Poisson(rate=rate), rng.poisson(rate).astype(float)
    path = write_report(tmp_path, title=f"{family} regression", task="regression", y_true=y,
                        dist=dist, loss_curve=np.array([2.0, 1.5]), coverage=0.8)
    parser = _check_report(path, ["training_curve.png", "pit_histogram.png", "coverage.png",
                                  "predicted_vs_observed.png"])
    table = _table(parser)
    crps_name = "continuous ranked probability score (CRPS) [units of target]"
    assert set(table) == {NATS, BITS, crps_name, "root mean squared error [units of target]",
                          "mean absolute error [units of target]",
                          "80% interval coverage [fraction of rows]", OWN_MASS,
                          "PIT distance from uniform [Kolmogorov-Smirnov distance]"}  # fmt: skip
    # the CRPS beside the NLL (issue 23): by its definition, summed over the integers for
    # the Poisson, properscoring's closed form for the Normal
    if family == "normal":
        crps = pytest.importorskip("properscoring").crps_gaussian(y, mu=loc, sig=0.5)
    else:
        k = np.arange(80)[:, None]
        crps = np.sum((stats.poisson.cdf(k, rate) - (y <= k)) ** 2, axis=0)
    assert float(table[crps_name]) == pytest.approx(np.mean(crps), rel=1e-3)
    # the coverage row names its level and is the share of targets in the 80% interval (scipy)
    if family == "normal":
        low, high = stats.norm.interval(0.8, loc, 0.5)
        assert float(table["80% interval coverage [fraction of rows]"]) == pytest.approx(
            np.mean((low <= y) & (y <= high)), abs=5e-4)
        assert float(table[OWN_MASS]) == 0.8
    else:  # the Poisson's 80% intervals hold their ends' whole masses: F(hi) - F(lo - 1)
        low, high, mass = count_interval(stats.poisson(rate), 0.8)
        assert float(table["80% interval coverage [fraction of rows]"]) == pytest.approx(
            np.mean((low <= y) & (y <= high)), abs=5e-4)
        assert float(table[OWN_MASS]) == pytest.approx(mass.mean(), abs=5e-4)
        assert mass.min() >= 0.8


def test_unknown_task_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="classification, regression; found 'ranking'"):
        write_report(tmp_path, title="x", task="ranking", y_true=[0], dist=None)


def test_render_html_escapes_text_and_formats_numbers():
    png = plots.figure_to_png(plots.pit_histogram([0.1, 0.5, 0.9]))
    page = render_html("a < b", {"x & y": 0.123456789, "bad": float("nan")},
                       [EmbeddedFigure("pit.png", png, "flat <is> good")], notes=["n = 3"])
    parser = ReportPage()
    parser.feed(page)
    assert parser.title == "a < b"
    assert _table(parser) == {"x & y": "0.1235", "bad": "nan"}
    assert "flat &lt;is&gt; good" in page


def test_write_atomic_replaces_whole_file(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old contents that are longer")
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_reliability_diagram_bars_match_sklearn():
    rng = np.random.default_rng(3)
    p = rng.uniform(size=400)
    y = (rng.uniform(size=400) < p).astype(int)
    fig = plots.reliability_diagram(y, p, n_bins=10)
    top = fig.axes[0]
    heights = [bar.get_height() for bar in top.patches]
    # binary top label: confidence max(p, 1 - p), right when the likelier class happened
    conf = np.maximum(p, 1 - p)
    right = ((p > 0.5).astype(int) == y).astype(int)
    expected, _ = calibration_curve(right, conf, n_bins=10, strategy="uniform")
    np.testing.assert_allclose(heights, expected, rtol=1e-12)
    _decode_png(plots.figure_to_png(fig))


def test_confusion_matrix_counts_hand_worked():
    # true 0 predicted 0 twice, true 0 predicted 1 once, true 1 predicted 1 once
    fig = plots.confusion_matrix([0, 0, 0, 1], [0, 0, 1, 1], ["a", "b"])
    image = fig.axes[0].images[0].get_array()
    np.testing.assert_array_equal(image, [[2, 1], [0, 1]])


def test_write_text_figures_writes_five_decodable_pictures(tmp_path):
    paths = write_text_figures(tmp_path / "figs")
    names = sorted(p.name for p in paths)
    assert names == sorted(["bernoulli_likelihood.png", "normal_likelihood.png",
                            "entropy_wide_narrow.png", "cross_entropy.png", "linear_fit.png"])
    for path in paths:
        _decode_png(path.read_bytes())
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == names


def test_text_figures_mark_the_hand_worked_maxima():
    from probnn.report import figures

    # data 0,0,0,1,0: theta-hat = 1/5, and L(theta) = theta (1 - theta)^4 peaks there
    fig = figures.bernoulli_likelihood()
    line = fig.axes[0].lines[0]
    theta, lik = line.get_xdata(), line.get_ydata()
    np.testing.assert_allclose(lik, theta * (1 - theta) ** 4, rtol=1e-10)
    assert fig.axes[0].lines[1].get_xdata()[0] == pytest.approx(0.2)
    # data -1,0,1: mu-hat = 0, sigma-hat = sqrt(((-1)^2 + 0 + 1^2) / 3) = sqrt(2/3)
    star = figures.normal_likelihood().axes[0].lines[0]
    assert star.get_xdata()[0] == pytest.approx(0.0, abs=1e-15)
    assert star.get_ydata()[0] == pytest.approx(math.sqrt(2 / 3))


def test_cross_entropy_bars_hand_worked():
    from probnn.report import figures

    # p = (1/2, 1/4, 1/8, 1/8): H(p) = 1/2*1 + 1/4*2 + 2 * 1/8*3 = 1.75 bits;
    # under uniform q2 every outcome costs 2 bits, so H(p, q2) = 2 and KL = 0.25.
    fig = figures.cross_entropy_match()
    bars = fig.axes[1].patches
    totals = [bars[i].get_height() + bars[i + 3].get_height() for i in range(3)]
    np.testing.assert_allclose(totals, [1.75, 1.75, 2.0], rtol=1e-12)
    np.testing.assert_allclose([b.get_height() for b in bars[3:]], [0.0, 0.0, 0.25],
                               atol=1e-12)


def test_entropy_legend_matches_closed_form():
    from probnn.report import figures

    fig = figures.entropy_wide_narrow(0.5, 2.0)
    labels = [line.get_label() for line in fig.axes[0].lines]
    # differential entropy of N(0, s^2) is 0.5 * log(2 pi e s^2)
    for label, scale in zip(labels, (0.5, 2.0)):
        h = 0.5 * math.log(2 * math.pi * math.e * scale**2)
        assert f"H = {h:.3f} nats" in label


def test_linear_fit_line_is_least_squares():
    from probnn.report import figures

    fig = figures.linear_fit(n=40, intercept=1.0, slope=0.5, noise=0.4, seed=0)
    # the same data as the figure draws, and numpy's least-squares line through it
    rng = np.random.default_rng(0)
    x = rng.uniform(0.0, 5.0, size=40)
    y = 1.0 + 0.5 * x + 0.4 * rng.standard_normal(40)
    slope, intercept = np.polyfit(x, y, 1)
    data, line = fig.axes[0].lines
    np.testing.assert_array_equal(data.get_xdata(), x)
    grid = line.get_xdata()
    np.testing.assert_allclose(line.get_ydata(), intercept + slope * grid, rtol=1e-6, atol=1e-6)
    sigma_hat = np.sqrt(np.mean((y - (intercept + slope * x)) ** 2))
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert f"σ̂ = {sigma_hat:.3f}" in labels[0]
    assert labels[2] == f"MLE: μ = {slope:.3f} x + {intercept:.3f}"
