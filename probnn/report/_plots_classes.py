"""The report's figures of a classifier: the top-label reliability diagram, each class's
one-versus-rest reliability, the confusion matrix and the most frequent confusions.

Split from :mod:`probnn.report.plots`, which re-exports every name here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike

from probnn.metrics import reliability_curve
from probnn.report._plots_base import (FIGSIZE, _legend_below, _literal, _new_figure, _short,
                                       readable_axis)  # fmt: skip

__all__ = ["MAX_ANNOTATED_CLASSES", "reliability_diagram", "class_reliability",
           "confusion_matrix", "top_confusions"]

# Up to this many classes a confusion matrix shows its counts and the per-class
# reliability draws every class; beyond it the matrix is a row-normalised heatmap.
MAX_ANNOTATED_CLASSES = 12


# ------------------------------------------------------------ classification
@_literal
def reliability_diagram(y_true: ArrayLike, proba: ArrayLike, n_bins: int = 10) -> Figure:
    """Top-label reliability diagram with the number of predictions per bin.

    Parameters
    ----------
    y_true : ndarray of int, shape (n_samples,)
    proba : ndarray of shape (n_samples,) (P(y = 1)) or (n_samples, C)
    n_bins : int
        Equal-width confidence bins on [0, 1]; the axis shows them from the first
        populated one, and each bar is labelled with its number of predictions.
    """
    conf, acc, count = reliability_curve(y_true, proba, n_bins)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    width = 1.0 / n_bins
    fig = _new_figure((FIGSIZE[0], FIGSIZE[1] * 1.25))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    used = count > 0
    # the confidences' own range (the top label's is at least 1/C: from 0.5 for two
    # classes), from the first populated bin's edge, not [0, 1] half empty
    low = float(edges[np.argmax(used)]) if used.any() else 0.0
    bars = top.bar(centres[used], acc[used], width=width * 0.9, alpha=0.7,
                   label="fraction correct in bin")  # fmt: skip
    # each bin's count on its bar: a bar of two predictions is not a measurement of 200
    top.bar_label(bars, labels=[f"n={int(c):,}" for c in count[used]], fontsize="x-small",
                  padding=2)  # fmt: skip
    for bar, c in zip(bars, count[used]):  # and fainter the fewer predictions it holds
        bar.set_alpha(0.2 + 0.5 * min(1.0, c / 30.0))
    top.plot(conf[used], acc[used], "o", color="C1", label="(mean confidence, fraction correct)")
    top.plot([low, 1], [low, 1], "k--", lw=1, label="perfect calibration")
    top.set_ylim(0, 1.12)
    top.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    top.set_ylabel("fraction correct")
    top.set_title("Reliability of the most probable class")
    bottom.bar(centres, count, width=width * 0.9, color="grey")
    bottom.set_xlim(low, 1)
    bottom.set_ylim(0, max(int(count.max()), 1) * 1.15)
    bottom.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
    readable_axis(bottom.yaxis, count)
    bottom.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
    bottom.set_xlabel("confidence (largest predicted probability)")
    bottom.set_ylabel("predictions")
    _legend_below(fig, top, ncols=2)
    return fig


@_literal
def class_reliability(
    y_true: ArrayLike, proba: ArrayLike, classes: Sequence | None = None, n_bins: int = 10,
    max_classes: int = MAX_ANNOTATED_CLASSES,
) -> Figure:  # fmt: skip
    """One-versus-rest reliability of every class (the most frequent ``max_classes``).

    For class k the held-out rows are binned by their predicted ``P(y = k)``;
    in each bin the mean predicted probability is set against the fraction of
    rows whose class is k. Calibrated predictions lie on the diagonal.

    Parameters
    ----------
    y_true : ndarray of int, shape (n_samples,)
        Class indices ``0..C-1``.
    proba : ndarray of shape (n_samples, C)
    classes : sequence of length C, optional
        Names of the classes.
    n_bins : int
    max_classes : int
        At most this many panels: the classes most frequent in ``y_true``.
    """
    y = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(proba, dtype=np.float64)
    n_classes = p.shape[1]
    names = [str(c) for c in classes] if classes is not None else [str(k) for k in range(n_classes)]
    frequency = np.bincount(y, minlength=n_classes)
    shown = np.argsort(-frequency, kind="stable")[:max_classes]
    ncols = min(4, shown.size)
    nrows = math.ceil(shown.size / ncols)
    fig = _new_figure((2.1 * ncols + 0.9, 2.0 * nrows + 1.0))
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    for ax, k in zip(axes, shown):
        pk = p[:, k]
        index = np.clip(np.searchsorted(edges[1:-1], pk, side="left"), 0, n_bins - 1)
        count = np.bincount(index, minlength=n_bins)
        mean_p = np.bincount(index, weights=pk, minlength=n_bins)
        hits = np.bincount(index, weights=(y == k).astype(np.float64), minlength=n_bins)
        used = count > 0
        ax.plot([0, 1], [0, 1], "k--", lw=0.8)
        ax.plot(mean_p[used] / count[used], hits[used] / count[used], "o-", ms=3, color="C0")
        ax.set_title(f"{_short(names[k])} (n={int(frequency[k])})", fontsize="small")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xticks([0, 0.5, 1], ["0", "0.5", "1"])
        ax.set_yticks([0, 0.5, 1], ["0", "0.5", "1"])
        ax.tick_params(labelsize="small")
    for ax in axes[shown.size:]:
        ax.set_visible(False)
    more = f" ({shown.size} most frequent of {n_classes})" if shown.size < n_classes else ""
    fig.suptitle(f"Reliability of each class, one versus the rest{more}", fontsize="medium")
    fig.supxlabel("predicted probability of the class", fontsize="small")
    fig.supylabel("observed frequency of the class", fontsize="small")
    return fig


def _confusion_counts(y_true, y_pred, n_classes: int) -> np.ndarray:
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    counts = np.bincount(y_true * n_classes + y_pred, minlength=n_classes**2)
    return counts.reshape(n_classes, n_classes)


@_literal
def confusion_matrix(
    y_true: ArrayLike, y_pred: ArrayLike, classes: Sequence | None = None
) -> Figure:
    """Confusion matrix: rows are true classes, columns predicted.

    Up to :data:`MAX_ANNOTATED_CLASSES` classes the cells hold counts, written
    in them; beyond, each row is divided by its total (the fraction of the true
    class predicted as each class) and the cells carry colour only, with the
    figure growing with the number of classes.

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
    counts = _confusion_counts(y_true, y_pred, n_classes)
    names = [_short(c, 12) for c in (classes if classes is not None else range(n_classes))]
    many = n_classes > MAX_ANNOTATED_CLASSES
    side = min(max(4.8, 0.3 * n_classes + 2.6), 14.0)
    fig = _new_figure((side + 1.0, side))
    ax = fig.add_subplot()
    if many:
        totals = counts.sum(axis=1, keepdims=True)
        shown = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
        image = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1)
        fig.colorbar(image, ax=ax, shrink=0.8, label="fraction of the true class")
    else:
        image = ax.imshow(counts, cmap="Blues")
        colorbar = fig.colorbar(image, ax=ax, shrink=0.8, label="held-out rows")
        readable_axis(colorbar.ax.yaxis, counts)
        threshold = counts.max() / 2
        for i in range(n_classes):
            for j in range(n_classes):
                colour = "white" if counts[i, j] > threshold else "black"
                ax.text(j, i, f"{counts[i, j]:,}", ha="center", va="center", color=colour,
                        fontsize="medium" if n_classes <= 6 else "small")  # fmt: skip
    ticks = np.arange(n_classes)
    step = max(1, math.ceil(n_classes / 40))
    fontsize = "medium" if n_classes <= 8 else ("small" if n_classes <= 20 else "x-small")
    ax.set_xticks(ticks[::step], names[::step], rotation=90 if n_classes > 4 else 0,
                  fontsize=fontsize)  # fmt: skip
    ax.set_yticks(ticks[::step], names[::step], fontsize=fontsize)
    ax.set_xlabel("predicted class (most probable)")
    ax.set_ylabel("true class")
    ax.set_title("Confusion matrix" + (" (each row sums to 1)" if many else ""))
    return fig


@_literal
def top_confusions(
    y_true: ArrayLike, y_pred: ArrayLike, classes: Sequence | None = None, top: int = 12
) -> Figure:
    """The most frequent mistakes, true class -> predicted class, as horizontal bars.

    Parameters
    ----------
    y_true, y_pred : ndarray of int, shape (n_samples,)
    classes : sequence of length C, optional
    top : int
        At most this many (true, predicted) pairs, largest counts first.
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    n_classes = len(classes) if classes is not None else int(max(y_true.max(), y_pred.max())) + 1
    names = [_short(c) for c in (classes if classes is not None else range(n_classes))]
    counts = _confusion_counts(y_true, y_pred, n_classes)
    np.fill_diagonal(counts, 0)
    flat = np.argsort(-counts, axis=None, kind="stable")[:top]
    flat = flat[counts.ravel()[flat] > 0]
    rows, cols = np.unravel_index(flat, counts.shape)
    fig = _new_figure((FIGSIZE[0], 0.32 * max(len(flat), 3) + 1.4))
    ax = fig.add_subplot()
    labels = [f"{names[i]} → {names[j]}" for i, j in zip(rows, cols)]
    values = counts[rows, cols]
    ax.barh(np.arange(len(flat)), values, color="C3", alpha=0.8)
    ax.set_yticks(np.arange(len(flat)), labels, fontsize="small")
    ax.invert_yaxis()
    readable_axis(ax.xaxis, values if values.size else [0])
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    total = int((y_true != y_pred).sum())
    ax.set_xlabel(f"held-out rows ({total:,} mistakes in all)")
    ax.set_title("Most frequent confusions, true → predicted", fontsize="medium")
    return fig
