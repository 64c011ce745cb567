"""Every user string that reaches a figure is drawn as it is: ``$0_$50k`` is a class label,
not mathematics (matplotlib's mathtext failed on it, after training, with no model saved)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from probnn.distributions import Normal
from probnn.report import plots

# any text a CSV cell or a column name may hold (no control characters or line breaks)
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), max_codepoint=0x24F),
    min_size=1, max_size=14,
).filter(lambda s: s.strip() == s)  # fmt: skip
_MATHY = st.sampled_from(["$0_$50k", "$x$", r"$\frac{1}{2}$", "a$b$c^d_e", "$", "$$", r"\$5", "$\\"])
_LABEL = st.one_of(_MATHY, _TEXT)


def _drawn(figures) -> list[str]:
    """Every line of text the Agg renderer draws on the figures, as figure_to_png draws them."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    out: list[str] = []
    for fig in figures:
        renderer = FigureCanvasAgg(fig).get_renderer()
        draw_text = renderer.draw_text

        def record(gc, x, y, s, prop, angle, ismath=False, mtext=None):
            assert not ismath, s  # nothing is read as mathematics
            out.append(s)
            return draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

        renderer.draw_text = record
        with plots.literal_text():
            fig.draw(renderer)
    return out


def _shown(label: str, drawn: list[str]) -> bool:
    """``label`` appears literally in some drawn string (perhaps cut short with '…')."""
    return any(label in text or (text.endswith("…") and label.startswith(text[:-1]) and
                                 len(text) > 8) for text in drawn)  # fmt: skip


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(labels=st.lists(_LABEL, min_size=3, max_size=3, unique=True), title=_LABEL)
def test_any_class_label_is_drawn_literally(labels, title):
    rng = np.random.default_rng(0)
    y = np.arange(30) % 3
    proba = rng.dirichlet(np.ones(3), size=30)
    drawn = _drawn([plots.confusion_matrix(y, proba.argmax(axis=1), labels),
                    plots.class_reliability(y, proba, labels),
                    plots.training_curves([1.0, 0.9], None, title)])  # fmt: skip
    for label in [*labels, title]:
        assert _shown(label, drawn), (label, drawn)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(_LABEL, min_size=2, max_size=2, unique=True), target=_LABEL)
def test_any_family_and_column_name_is_drawn_literally(names, target):
    rng = np.random.default_rng(1)
    y = rng.normal(size=40)
    dists = {name: Normal(np.zeros(40), np.ones(40)) for name in names}
    drawn = _drawn([plots.nll_differences({names[0]: 1.0, names[1]: 1.2},
                                          {names[0]: 0.0, names[1]: 0.05}, names[0]),
                    plots.coverage_by_family(y, dists),
                    plots.predicted_vs_observed(y, dists[names[0]], target=target)])  # fmt: skip
    for name in [*names, target]:
        assert _shown(name, drawn), (name, drawn)


def test_dollar_labels_render_to_png():
    y = np.array([0, 1, 2, 0, 1, 2])
    png = plots.figure_to_png(plots.confusion_matrix(y, y, ["$0_$50k", "$50k_$100k", "$x^2$"]))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
