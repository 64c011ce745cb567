"""One function per report figure; each returns a :class:`matplotlib.figure.Figure`.

Figures are built on ``matplotlib.figure.Figure`` directly, never through
``pyplot``: no global state, no display needed, and the PNG is rendered by the
Agg canvas. :func:`figure_to_png` turns a figure into PNG bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from probnn.metrics import central_interval, interval_coverage, reliability_curve

__all__ = [
    "FIGSIZE",
    "DPI",
    "figure_to_png",
    "training_curves",
    "reliability_diagram",
    "confusion_matrix",
    "pit_histogram",
    "coverage_curve",
    "predicted_vs_observed",
]

FIGSIZE = (5.0, 3.6)  # inches; small so that reports stay light
DPI = 90


def figure_to_png(fig: Figure, dpi: int = DPI) -> bytes:
    """Render ``fig`` with the Agg canvas and return the PNG file's bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def training_curves(
    loss_curve: ArrayLike, validation_curve: ArrayLike | None = None
) -> Figure:
    """Training (and validation) mean NLL per epoch.

    Parameters
    ----------
    loss_curve : ndarray of shape (n_epochs,)
        Mean training NLL after each epoch, in nats.
    validation_curve : ndarray of shape (n_epochs_val,), optional
        Mean held-out NLL after each epoch.
    """
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    loss = np.asarray(loss_curve, dtype=np.float64)
    ax.plot(np.arange(1, loss.size + 1), loss, marker=".", label="training")
    if validation_curve is not None:
        val = np.asarray(validation_curve, dtype=np.float64)
        ax.plot(np.arange(1, val.size + 1), val, marker=".", label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean NLL (nats per example)")
    ax.set_title("Negative log-likelihood during training")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def reliability_diagram(y_true: ArrayLike, proba: ArrayLike, n_bins: int = 10) -> Figure:
    """Top-label reliability diagram with the number of predictions per bin.

    Parameters
    ----------
    y_true : ndarray of int, shape (n_samples,)
    proba : ndarray of shape (n_samples,) (P(y = 1)) or (n_samples, C)
    n_bins : int
        Equal-width confidence bins on [0, 1].
    """
    conf, acc, count = reliability_curve(y_true, proba, n_bins)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    width = 1.0 / n_bins
    fig = Figure(figsize=(FIGSIZE[0], FIGSIZE[1] * 1.3), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    used = count > 0
    top.bar(centres[used], acc[used], width=width * 0.9, alpha=0.7, label="accuracy in bin")
    top.plot(conf[used], acc[used], "o", color="C1", label="(mean confidence, accuracy)")
    top.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
    top.set_ylim(0, 1)
    top.set_ylabel("fraction correct")
    top.set_title("Reliability diagram (top label)")
    top.legend(loc="upper left", fontsize="small")
    bottom.bar(centres, count, width=width * 0.9, color="grey")
    for x, c in zip(centres[used], count[used]):
        bottom.annotate(str(int(c)), (x, c), ha="center", va="bottom", fontsize="x-small")
    bottom.set_xlim(0, 1)
    bottom.set_ylim(0, max(int(count.max()), 1) * 1.3)
    bottom.set_xlabel("confidence (largest predicted probability)")
    bottom.set_ylabel("count")
    return fig


def confusion_matrix(
    y_true: ArrayLike, y_pred: ArrayLike, classes: Sequence | None = None
) -> Figure:
    """Confusion matrix: rows are true classes, columns predicted, cells counts.

    Parameters
    ----------
    y_true, y_pred : ndarray of int, shape (n_samples,)
        Class indices ``0..C-1``.
    classes : sequence of length C, optional
        Names of the classes; indices are shown if None.
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    n_classes = len(classes) if classes is not None else int(max(y_true.max(), y_pred.max())) + 1
    counts = np.bincount(y_true * n_classes + y_pred, minlength=n_classes**2)
    counts = counts.reshape(n_classes, n_classes)
    names = [str(c) for c in classes] if classes is not None else [str(i) for i in range(n_classes)]
    fig = Figure(figsize=(FIGSIZE[0], FIGSIZE[0] * 0.85), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(counts, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    threshold = counts.max() / 2
    if n_classes <= 20:  # numbers in cells only while they stay legible
        for i in range(n_classes):
            for j in range(n_classes):
                colour = "white" if counts[i, j] > threshold else "black"
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", color=colour,
                        fontsize="medium")
    ticks = np.arange(n_classes)
    ax.set_xticks(ticks, names, rotation=45 if n_classes > 4 else 0)
    ax.set_yticks(ticks, names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title("Confusion matrix")
    return fig


def pit_histogram(pit: ArrayLike, n_bins: int = 10) -> Figure:
    """Histogram of PIT values (as a density) against the flat Uniform(0, 1) density.

    Parameters
    ----------
    pit : ndarray of shape (n_samples,)
        PIT values in [0, 1] (see :func:`probnn.metrics.pit_values`).
    n_bins : int
    """
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    ax.hist(np.asarray(pit, dtype=np.float64), bins=np.linspace(0, 1, n_bins + 1), density=True,
            alpha=0.7, edgecolor="white", label="PIT values")
    ax.axhline(1.0, color="k", ls="--", lw=1, label="uniform (calibrated)")
    ax.set_xlim(0, 1)
    ax.set_xlabel("PIT = predicted CDF at the observed value")
    ax.set_ylabel("density")
    ax.set_title("Probability integral transform")
    ax.legend(loc="lower center", fontsize="small")
    return fig


def coverage_curve(
    y_true: ArrayLike, dist, levels: Sequence[float] = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
) -> Figure:
    """Empirical coverage of central predictive intervals against their nominal coverage.

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
    empirical = [interval_coverage(*central_interval(dist, c), y) for c in nominal]
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="nominal = empirical")
    ax.plot(nominal, empirical, "o-", label="model")
    ax.set_xlim(nominal.min() - 0.05, 1.02)
    ax.set_ylim(min(nominal.min(), min(empirical)) - 0.05, 1.02)
    ax.set_xlabel("nominal coverage of the central interval")
    ax.set_ylabel("fraction of targets inside")
    ax.set_title("Predictive interval coverage")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def predicted_vs_observed(
    y_true: ArrayLike, dist, coverage: float = 0.9, max_points: int = 400
) -> Figure:
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
    """
    y = np.asarray(y_true, dtype=np.float64)
    mean = np.asarray(dist.mean, dtype=np.float64)
    lower, upper = central_interval(dist, coverage)
    inside = (lower <= y) & (y <= upper)
    order = np.argsort(y, kind="stable")
    shown = order[np.unique(np.linspace(0, y.size - 1, min(max_points, y.size)).astype(int))]
    fig = Figure(figsize=(FIGSIZE[0], FIGSIZE[0] * 0.85), layout="constrained")
    ax = fig.add_subplot()
    for mask, colour, label in ((inside, "C0", "inside interval"),
                                (~inside, "C3", "outside interval")):
        rows = shown[mask[shown]]
        if rows.size:
            # vlines, not errorbar: for skewed or discrete distributions the
            # mean can lie outside its own central interval.
            ax.vlines(y[rows], lower[rows], upper[rows], color=colour, lw=0.6, alpha=0.5)
            ax.plot(y[rows], mean[rows], "o", ms=3, alpha=0.7, color=colour, label=label)
    lo = min(y.min(), lower.min())
    hi = max(y.max(), upper.max())
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="predicted = observed")
    ax.set_xlabel("observed")
    ax.set_ylabel(f"predicted mean and {coverage:.0%} interval")
    ax.set_title("Predicted versus observed")
    ax.legend(fontsize="small")
    return fig
