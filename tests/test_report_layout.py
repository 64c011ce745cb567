"""The report's figures and sentences hold whole (issue 23): family names in full, labels
inside the figure, the reliability diagram on the confidences' range with each bin's count,
the best constant model's parameters named.

Oracles: the names given, numpy's histogram of the confidences, hand-computed means, and
matplotlib's own extents (the tight bounding box of the drawn figure).
"""

from __future__ import annotations

import numpy as np
import pytest

from probnn.report import plots

LONG = ["zero-inflated-negative-binomial", "negative-binomial", "hurdle-poisson", "studentt",
        "mixture-normal", "poisson"]  # fmt: skip


@pytest.mark.parametrize("best", [LONG[0], LONG[3]])
def test_nll_comparison_draws_full_family_names_and_its_whole_label(best):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    means = {f: 4.0 + 0.1 * i for i, f in enumerate(LONG)}
    means[best] = 3.0
    fig = plots.nll_differences(means, {f: 0.01 for f in LONG}, best)
    ax = fig.axes[0]
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == sorted(LONG)
    # the x label, and every tick label, inside the figure as drawn
    page = fig.bbox
    for text in [ax.xaxis.label, *ax.get_yticklabels()]:
        box = text.get_window_extent(renderer)
        assert page.x0 - 1 <= box.x0 and box.x1 <= page.x1 + 1, text.get_text()
        assert page.y0 - 1 <= box.y0 and box.y1 <= page.y1 + 1, text.get_text()
    assert best in ax.get_xlabel()
    assert plots.layout_problems(fig) == []


def test_reliability_diagram_shows_the_populated_range_and_each_bins_count():
    rng = np.random.default_rng(0)
    p1 = np.concatenate([rng.uniform(0.0, 0.05, 60), rng.uniform(0.93, 1.0, 60), [0.25, 0.82]])
    y = (rng.uniform(size=p1.size) < p1).astype(int)
    fig = plots.reliability_diagram(y, p1)
    top, bottom = fig.axes[:2]
    confidence = np.maximum(p1, 1 - p1)  # the top label's probability
    counts, edges = np.histogram(confidence, bins=np.linspace(0, 1, 11))
    first = edges[np.flatnonzero(counts)[0]]
    assert first >= 0.5  # two classes: the top label's confidence is at least 1/2
    assert bottom.get_xlim() == pytest.approx((first, 1.0))
    labels = sorted(t.get_text() for t in top.texts)
    assert labels == sorted(f"n={c}" for c in counts if c > 0)
    assert plots.layout_problems(fig) == []


@pytest.mark.parametrize("family, expected", [
    ("negative-binomial", ["mean = 4,", "dispersion = "]),
    ("hurdle-poisson", ["zero_probability = 0", "count_rate = "]),
    ("poisson", ["rate = 4"]),
])  # fmt: skip
def test_the_best_constant_model_names_its_parameters(family, expected):
    from probnn.families import get_family
    from probnn.report.card import constant_baseline

    # training targets 1, 2, 5, 9, 3: mean 4 by hand, no zero
    _, described = constant_baseline(get_family(family), np.array([1.0, 2, 5, 9, 3]),
                                     np.array([2.0, 4.0]))  # fmt: skip
    for part in expected:
        assert part in described + ",", described
    assert described and not described.endswith(",")
