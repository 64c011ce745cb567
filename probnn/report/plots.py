"""One function per report figure; each returns a :class:`matplotlib.figure.Figure`.

Figures are built on ``matplotlib.figure.Figure`` directly, never through
``pyplot``: no global state, no display needed, and the PNG is rendered by the
Agg canvas. :func:`figure_to_png` turns a figure into PNG bytes.

Every figure is laid out for reading: legends sit outside the plotting area
(never over the data), axes with large values are labelled ``200k`` or ``1.5M``
rather than ``2e5`` with an offset, and a confusion matrix with many classes
drops its per-cell numbers. :func:`layout_problems` checks a figure for
overlapping text and legends over the data, from matplotlib's own text extents.

Every string is drawn literally: class labels, family and column names and
titles are the user's text, and matplotlib would read ``$0_$50k`` as
mathematics (and fail on it). Each figure function here, and each drawing of a
figure, runs under :func:`literal_text`, which turns mathtext and TeX off.

The shared frame (``FIGSIZE``, :func:`literal_text`, :func:`readable_axis`, ...) is in
:mod:`probnn.report._plots_base` and a classifier's figures in
:mod:`probnn.report._plots_classes`; both are re-exported here.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike

from probnn.metrics import central_interval, interval_coverage, interval_mass, reliability_curve
# (re-exported: the figures' shared frame and a classifier's figures, split from this module
# and imported from here)
from probnn.report._plots_base import (_LARGE, DPI, FIGSIZE, _legend_below,  # noqa: F401
                                       _literal, _new_figure, _short, literal_text,
                                       readable_axis)  # fmt: skip
from probnn.report._plots_classes import (MAX_ANNOTATED_CLASSES,  # noqa: F401
                                          _confusion_counts, class_reliability,
                                          confusion_matrix, reliability_diagram,
                                          top_confusions)  # fmt: skip

__all__ = [
    "FIGSIZE",
    "DPI",
    "MAX_ANNOTATED_CLASSES",
    "figure_to_png",
    "literal_text",
    "layout_problems",
    "readable_axis",
    "training_curves",
    "reliability_diagram",
    "class_reliability",
    "confusion_matrix",
    "top_confusions",
    "pit_histogram",
    "coverage_curve",
    "expected_coverage",
    "predicted_vs_observed",
    "nll_differences",
    "pit_by_family",
    "coverage_by_family",
    "reliability_by_family",
]

_COVERAGE_LEVELS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def figure_to_png(fig: Figure, dpi: int = DPI) -> bytes:
    """Render ``fig`` with the Agg canvas and return the PNG file's bytes."""
    buffer = io.BytesIO()
    with literal_text():  # tick labels are made while drawing
        fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


# ------------------------------------------------------------ layout checks
def _drawn_texts(fig: Figure):
    """Draw ``fig`` on an Agg canvas; return the renderer and every Text it drew."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    drawn: dict[int, object] = {}
    draw_text = renderer.draw_text

    def record(gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if mtext is not None and str(s).strip():
            drawn[id(mtext)] = mtext
        return draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

    renderer.draw_text = record
    try:
        with literal_text():  # as figure_to_png draws it
            fig.draw(renderer)
    finally:
        del renderer.draw_text
    return renderer, list(drawn.values())


def layout_problems(fig: Figure, tolerance: float = 1.0) -> list[str]:
    """What makes a figure hard to read, from matplotlib's own extents.

    The figure is drawn on an Agg canvas; every piece of text actually drawn
    (titles, axis and tick labels, legend entries, annotations) is measured
    with ``get_window_extent``. Reported: two texts whose boxes overlap, text
    that runs off the figure, and a legend over a plotting area.

    Parameters
    ----------
    fig : Figure
    tolerance : float
        Pixels by which boxes may touch before they count as overlapping.

    Returns
    -------
    list of str
        One line per problem; empty when the layout is clean.
    """
    renderer, texts = _drawn_texts(fig)
    boxes = [(t, t.get_window_extent(renderer)) for t in texts]
    page = fig.bbox
    problems = []
    for text, box in boxes:
        if (box.x0 < page.x0 - tolerance or box.y0 < page.y0 - tolerance
                or box.x1 > page.x1 + tolerance or box.y1 > page.y1 + tolerance):  # fmt: skip
            problems.append(f"text {text.get_text()!r} runs off the figure")
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            dx = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            dy = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            if dx > tolerance and dy > tolerance:
                problems.append(f"text {a.get_text()!r} overlaps {b.get_text()!r}")
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            area = ax.get_window_extent(renderer)
            dx = min(box.x1, area.x1) - max(box.x0, area.x0)
            dy = min(box.y1, area.y1) - max(box.y0, area.y0)
            if dx > tolerance and dy > tolerance:
                problems.append(f"a legend lies over the plotting area of {ax.get_title()!r}")
    return problems


# ------------------------------------------------------------------ training
@_literal
def training_curves(
    loss_curve: ArrayLike,
    validation_curve: ArrayLike | None = None,
    stopped: str | None = None,
) -> Figure:
    """Training (and validation) mean NLL per epoch, with the best validation epoch marked.

    Parameters
    ----------
    loss_curve : ndarray of shape (n_epochs,)
        Mean training NLL after each epoch, in nats.
    validation_curve : ndarray of shape (n_epochs_val,), optional
        Mean held-out NLL after each epoch.
    stopped : str, optional
        Why training ended, shown under the title.
    """
    fig = _new_figure()
    ax = fig.add_subplot()
    loss = np.asarray(loss_curve, dtype=np.float64)
    ax.plot(np.arange(1, loss.size + 1), loss, marker="." if loss.size < 60 else None,
            label="training (NLL + prior penalty)")  # fmt: skip
    values = [loss]
    if validation_curve is not None and len(validation_curve) > 0:
        val = np.asarray(validation_curve, dtype=np.float64)
        values.append(val)
        ax.plot(np.arange(1, val.size + 1), val, marker="." if val.size < 60 else None,
                label="validation NLL")  # fmt: skip
        if np.isfinite(val).any():
            best = int(np.nanargmin(val))
            ax.axvline(best + 1, color="C2", ls=":", lw=1.2,
                       label=f"best validation epoch ({best + 1}): weights kept")  # fmt: skip
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean NLL (nats per example)")
    ax.set_title("Negative log-likelihood during training" + (f"\n{stopped}" if stopped else ""),
                 fontsize="medium")  # fmt: skip
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
    readable_axis(ax.yaxis, np.concatenate(values))
    ax.grid(alpha=0.3)
    _legend_below(fig, ax, ncols=2)
    return fig


# ---------------------------------------------------------------- regression
@_literal
def pit_histogram(pit: ArrayLike, n_bins: int = 10, title: str | None = None) -> Figure:
    """Histogram of PIT values (as a density) against the flat Uniform(0, 1) density.

    Parameters
    ----------
    pit : ndarray of shape (n_samples,)
        PIT values in [0, 1] (see :func:`probnn.metrics.pit_values`).
    n_bins : int
    title : str, optional
    """
    fig = _new_figure()
    ax = fig.add_subplot()
    ax.hist(np.asarray(pit, dtype=np.float64), bins=np.linspace(0, 1, n_bins + 1), density=True,
            alpha=0.7, edgecolor="white", label="held-out PIT values")
    ax.axhline(1.0, color="k", ls="--", lw=1, label="uniform: calibrated")
    ax.set_xlim(0, 1)
    ax.set_xlabel("PIT = predicted CDF at the observed value")
    ax.set_ylabel("density")
    ax.set_title(title or "Probability integral transform (PIT)")
    _legend_below(fig, ax)
    return fig


def d_calibration_histogram(counts: ArrayLike, p_value: float) -> Figure:
    """D-calibration: rows per bin of the predicted survival probability, censored rows spread.

    Parameters
    ----------
    counts : ndarray of shape (n_bins,)
        :attr:`probnn.survival.DCalibration.counts` (fractional; summing to the rows).
    p_value : float
        Its chi-square test's p-value, shown in the title.
    """
    counts = np.asarray(counts, dtype=np.float64)
    n_bins = counts.size
    fig = _new_figure()
    ax = fig.add_subplot()
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ax.bar(edges[:-1], counts / counts.sum() * n_bins, width=1.0 / n_bins, align="edge",
           alpha=0.7, edgecolor="white", label="held-out rows (censored ones spread)")
    ax.axhline(1.0, color="k", ls="--", lw=1, label="uniform: calibrated")
    ax.set_xlim(0, 1)
    ax.set_xlabel("predicted survival probability S = 1 - F at the observed value")
    ax.set_ylabel("density")
    ax.set_title(f"D-calibration (chi-square p = {p_value:.3g})")
    _legend_below(fig, ax)
    return fig


def _empirical_coverage(y: np.ndarray, dist, levels: np.ndarray) -> np.ndarray:
    return np.array([interval_coverage(*central_interval(dist, c), y) for c in levels])


def expected_coverage(dist, levels: ArrayLike) -> np.ndarray | None:
    """A discrete law's own mass of its central intervals at each nominal level, averaged
    over the rows (:func:`probnn.metrics.interval_mass`): what a calibrated model's coverage
    is, at least the level, since an integer interval holds its ends' whole masses; None for
    a continuous law, whose interval holds exactly the level.

    Parameters
    ----------
    dist : Distribution
        Predictions with batch shape ``(n_samples,)``.
    levels : array-like of float in (0, 1), shape (n_levels,)

    Returns
    -------
    ndarray of shape (n_levels,), or None
    """
    if not getattr(dist, "is_discrete", False):
        return None
    return np.array([float(np.mean(interval_mass(dist, *central_interval(dist, c), c)))
                     for c in np.asarray(levels, dtype=np.float64)])  # fmt: skip


@_literal
def coverage_curve(y_true: ArrayLike, dist, levels: Sequence[float] = _COVERAGE_LEVELS) -> Figure:
    """Empirical coverage of central predictive intervals against their nominal coverage;
    for a discrete law also its own mass of them (:func:`expected_coverage`), the line an
    honest model's points lie on.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,)
    dist : Distribution
        Predictions with batch shape ``(n_samples,)`` and an ``icdf``.
    levels : sequence of float in (0, 1)
        Nominal coverages to check.
    """
    y = np.asarray(y_true, dtype=np.float64)
    nominal = np.asarray(levels, dtype=np.float64)
    empirical = _empirical_coverage(y, dist, nominal)
    expected = expected_coverage(dist, nominal)
    fig = _new_figure()
    ax = fig.add_subplot()
    honest = ("honest intervals (empirical = nominal)" if expected is None
              else "the nominal coverage")  # fmt: skip
    ax.plot([0, 1], [0, 1], "k--", lw=1, label=honest)
    ax.plot(nominal, empirical, "o-", label="model")
    if expected is not None:  # a count law: a calibrated model covers its own mass, not the level
        ax.plot(nominal, expected, "s:", color="C2",
                label="honest intervals: the model's own mass of them")  # fmt: skip
    _coverage_axes(ax, nominal, empirical)
    _legend_below(fig, ax, ncols=2)
    return fig


def _coverage_axes(ax, nominal: np.ndarray, empirical: np.ndarray) -> None:
    low = min(float(nominal.min()), float(np.min(empirical))) - 0.05
    ax.set_xlim(nominal.min() - 0.05, 1.02)
    ax.set_ylim(max(low, -0.02), 1.02)
    ax.set_xlabel("nominal coverage of the central interval")
    ax.set_ylabel("fraction of targets inside")
    ax.set_title("Predictive interval coverage")
    ax.grid(alpha=0.3)


@_literal
def predicted_vs_observed(
    y_true: ArrayLike, dist, coverage: float = 0.9, max_points: int = 400,
    target: str = "target",
) -> Figure:  # fmt: skip
    """Predicted mean with its central interval against the observed target.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,)
    dist : Distribution
        Predictions with batch shape ``(n_samples,)``, ``mean`` and ``icdf``.
    coverage : float
        Nominal coverage of the drawn intervals.
    max_points : int
        At most this many rows are drawn (evenly spaced after sorting by the
        observed value), so that large test sets stay readable.
    target : str
        Name of the target, for the axis labels.
    """
    y = np.asarray(y_true, dtype=np.float64)
    mean = np.asarray(dist.mean, dtype=np.float64)
    lower, upper = central_interval(dist, coverage)
    inside = (lower <= y) & (y <= upper)
    order = np.argsort(y, kind="stable")
    shown = order[np.unique(np.linspace(0, y.size - 1, min(max_points, y.size)).astype(int))]
    fig = _new_figure((FIGSIZE[0], FIGSIZE[0] * 0.8))
    ax = fig.add_subplot()
    for mask, colour, label in ((inside, "C0", "inside its interval"),
                                (~inside, "C3", "outside its interval")):
        rows = shown[mask[shown]]
        if rows.size:
            # vlines, not errorbar: for skewed or discrete distributions the
            # mean can lie outside its own central interval.
            ax.vlines(y[rows], lower[rows], upper[rows], color=colour, lw=0.6, alpha=0.5)
            ax.plot(y[rows], mean[rows], "o", ms=3, alpha=0.7, color=colour, label=label)
    _observed_axes(ax, y, lower, upper, target, f"predicted mean and {coverage:.0%} interval",
                   "Predicted versus observed")  # fmt: skip
    _legend_below(fig, ax)
    return fig


def _observed_axes(ax, y: np.ndarray, lower: np.ndarray, upper: np.ndarray, target: str,
                   ylabel: str, title: str) -> None:  # fmt: skip
    """A predicted-against-observed panel's diagonal, readable axes over the observed values
    and the intervals' finite ends, labels and grid."""
    finite = np.concatenate([y, lower[np.isfinite(lower)], upper[np.isfinite(upper)]])
    lo, hi = float(finite.min()), float(finite.max())
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="predicted = observed")
    readable_axis(ax.xaxis, [lo, hi])
    readable_axis(ax.yaxis, [lo, hi])
    ax.set_xlabel(f"observed {_short(target, 30)}")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)


# ------------------------------------------------------------------- compare
@_literal
def nll_differences(
    means: Mapping[str, float], standard_errors: Mapping[str, float], best: str
) -> Figure:
    """Each family's held-out NLL minus the best's, with two paired standard errors.

    Parameters
    ----------
    means : mapping of family name -> mean held-out NLL (nats per example)
    standard_errors : mapping of family name -> SE of its difference from ``best``
    best : str
        The family with the lowest mean NLL.
    """
    names = sorted(means, key=means.get)
    gaps = np.array([means[n] - means[best] for n in names])
    errors = np.array([2 * standard_errors.get(n, 0.0) if n != best else 0.0 for n in names])
    errors = np.where(np.isfinite(errors), errors, 0.0)
    # every name in full (families differ in their endings: negative-binomial and
    # zero-inflated-negative-binomial), the figure widened by the longest one
    longest = max(len(n) for n in names)
    fig = _new_figure((FIGSIZE[0] + max(0, longest - 16) * 0.07, 0.45 * len(names) + 2.1))
    ax = fig.add_subplot()
    ax.barh(np.arange(len(names)), gaps, xerr=errors, color="C0", alpha=0.75, capsize=4)
    ax.set_yticks(np.arange(len(names)), names)
    ax.invert_yaxis()
    ax.axvline(0, color="k", lw=0.8)
    readable_axis(ax.xaxis, np.concatenate([gaps + errors, [0.0]]))
    # two lines: with a long family name one line runs off the figure
    ax.set_xlabel(f"held-out NLL minus {best}'s\n(nats per example; bars ± 2 paired SE)")
    ax.set_title("Held-out negative log-likelihood, lower is better", fontsize="medium")
    ax.grid(axis="x", alpha=0.3)
    return fig


def _panel_grid(n: int, width: float = 2.4, height: float = 2.0):
    ncols = min(4, n)
    nrows = math.ceil(n / ncols)
    fig = _new_figure((width * ncols + 0.9, height * nrows + 1.1))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


@_literal
def pit_by_family(pits: Mapping[str, ArrayLike], n_bins: int = 10) -> Figure:
    """One PIT histogram per family, on shared axes.

    Parameters
    ----------
    pits : mapping of family name -> PIT values of shape (n_samples,)
    n_bins : int
    """
    fig, axes = _panel_grid(len(pits))
    for ax, (name, pit) in zip(axes, pits.items()):
        ax.hist(np.asarray(pit, dtype=np.float64), bins=np.linspace(0, 1, n_bins + 1),
                density=True, alpha=0.7, edgecolor="white")  # fmt: skip
        ax.axhline(1.0, color="k", ls="--", lw=1)
        ax.set_xlim(0, 1)
        ax.set_xticks([0, 0.5, 1], ["0", "0.5", "1"])
        ax.set_title(_short(name), fontsize="small")
        ax.tick_params(labelsize="small")
    fig.suptitle("PIT histogram of each family (flat on the dashed line: calibrated)",
                 fontsize="medium")  # fmt: skip
    fig.supxlabel("PIT = predicted CDF at the observed value", fontsize="small")
    fig.supylabel("density", fontsize="small")
    return fig


@_literal
def coverage_by_family(y_true: ArrayLike, dists: Mapping[str, object],
                       levels: Sequence[float] = _COVERAGE_LEVELS) -> Figure:  # fmt: skip
    """Empirical against nominal coverage of the central intervals, one line per family; a
    discrete family's own mass of them (:func:`expected_coverage`) dotted in its colour.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,)
    dists : mapping of family name -> Distribution of batch shape (n_samples,)
    levels : sequence of float in (0, 1)
    """
    y = np.asarray(y_true, dtype=np.float64)
    nominal = np.asarray(levels, dtype=np.float64)
    fig = _new_figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="honest intervals")
    lowest = []
    for k, (name, dist) in enumerate(dists.items()):
        empirical = _empirical_coverage(y, dist, nominal)
        lowest.append(empirical.min())
        ax.plot(nominal, empirical, "o-", ms=4, color=f"C{k}", label=_short(name))
        expected = expected_coverage(dist, nominal)
        if expected is not None:  # a count family's honest line: its own mass (dotted)
            ax.plot(nominal, expected, ":", lw=1, color=f"C{k}")
    _coverage_axes(ax, nominal, np.array(lowest))
    _legend_below(fig, ax, ncols=min(len(dists) + 1, 5))
    return fig


@_literal
def reliability_by_family(y_true: ArrayLike, probas: Mapping[str, ArrayLike],
                          n_bins: int = 10) -> Figure:  # fmt: skip
    """Top-label reliability curves, one line per family.

    Parameters
    ----------
    y_true : ndarray of int, shape (n_samples,)
    probas : mapping of family name -> probabilities, shape (n_samples,) or (n_samples, C)
    n_bins : int
    """
    fig = _new_figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
    for k, (name, proba) in enumerate(probas.items()):
        conf, acc, count = reliability_curve(y_true, proba, n_bins)
        used = count > 0
        ax.plot(conf[used], acc[used], "o-", ms=4, color=f"C{k}", label=_short(name))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("confidence (largest predicted probability)")
    ax.set_ylabel("fraction correct")
    ax.set_title("Reliability of the most probable class")
    ax.grid(alpha=0.3)
    _legend_below(fig, ax, ncols=min(len(probas) + 1, 4))
    return fig
