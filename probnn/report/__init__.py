"""Reports with plots for a fitted model, and the pictures from the texts.

:func:`write_report` writes ``report.html`` (self-contained: every figure is
embedded as a base64 PNG) and the same figures as PNG files into one folder.
:func:`write_text_figures` draws the pictures that explain the ideas
(likelihood curves, entropy, cross-entropy); ``probnn figures`` calls it.

Figures use matplotlib's Agg renderer through ``matplotlib.figure.Figure``;
nothing here needs a display or touches ``pyplot``'s global state.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from probnn import metrics as _metrics
from probnn.report import plots
from probnn.report.html import EmbeddedFigure, render_html, write_atomic

__all__ = ["write_report", "write_text_figures"]

_TASKS = ("classification", "regression")


def write_text_figures(out_dir: str | os.PathLike) -> list[pathlib.Path]:
    """Write the four pictures from the texts as PNGs into ``out_dir``.

    See :func:`probnn.report.figures.write_text_figures`; imported on first use
    because it needs the likelihood and information modules, which a report on
    a fitted model does not.
    """
    from probnn.report.figures import write_text_figures as write

    return write(out_dir)


def write_report(
    out_dir: str | os.PathLike,
    *,
    title: str,
    task: str,
    y_true: ArrayLike,
    dist,
    classes: Sequence | None = None,
    loss_curve: ArrayLike | None = None,
    validation_curve: ArrayLike | None = None,
    metrics: Mapping[str, object] | None = None,
    notes: Sequence[str] = (),
    coverage: float = 0.9,
) -> pathlib.Path:
    """Write an HTML report with figures for a model's held-out predictions.

    Parameters
    ----------
    out_dir : path-like
        Folder for ``report.html`` and the PNGs; created if missing.
    title : str
        Heading of the report.
    task : {"classification", "regression"}
        Which figures and metrics to produce.
    y_true : ndarray of shape (n_samples,)
        Held-out targets: class indices ``0..C-1`` for classification, real
        values (or counts) for regression.
    dist : Distribution
        Predictive distributions on the held-out rows, batch shape
        ``(n_samples,)``: Bernoulli (``probs`` of shape ``(n,)``) or Categorical
        (``probs`` of shape ``(n, C)``) for classification; Normal, Laplace,
        StudentT or Poisson for regression.
    classes : sequence, optional
        Names of the classes, index ``k`` naming class ``k``.
    loss_curve, validation_curve : ndarray of shape (n_epochs,), optional
        Mean training / validation NLL per epoch; drawn when given.
    metrics : mapping, optional
        The table to show; computed with
        :func:`probnn.metrics.classification_metrics` or
        :func:`probnn.metrics.regression_metrics` when None.
    notes : sequence of str
        Lines shown under the title (data, model, settings).
    coverage : float
        Nominal coverage of the predictive intervals (regression).

    Returns
    -------
    pathlib.Path
        Path of the written ``report.html``.
    """
    if task not in _TASKS:
        raise ValueError(f"task must be one of {', '.join(_TASKS)}; found {task!r}")
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    figures: list[tuple[str, object, str]] = []
    if loss_curve is not None and len(loss_curve) > 0:
        figures.append((
            "training_curve.png",
            plots.training_curves(loss_curve, validation_curve),
            "Mean negative log-likelihood per epoch (nats per example; lower is better). "
            "A validation curve that turns upward while the training curve keeps falling "
            "means the network has started to overfit.",
        ))

    if task == "classification":
        proba = np.asarray(dist.probs)
        y = np.asarray(y_true)
        if metrics is None:
            metrics = _metrics.classification_metrics(y, dist)
        predicted = (proba > 0.5).astype(np.int64) if proba.ndim == 1 else proba.argmax(axis=1)
        class_names = classes
        if class_names is None and proba.ndim == 1:
            class_names = [0, 1]
        elif class_names is None:
            class_names = list(range(proba.shape[1]))
        figures.append((
            "reliability.png",
            plots.reliability_diagram(y, proba),
            "Predictions grouped by confidence (the largest predicted probability). In a "
            "calibrated model the bars (fraction correct) reach the dashed diagonal; bars below "
            "it mean over-confidence, above it under-confidence. The lower panel counts the "
            "predictions in each bin; sparse bins are noisy.",
        ))
        figures.append((
            "confusion_matrix.png",
            plots.confusion_matrix(y, predicted, class_names),
            "Counts of held-out rows by true class (rows) and most probable predicted class "
            "(columns); the diagonal holds the correct predictions.",
        ))
    else:
        y = np.asarray(y_true, dtype=np.float64)
        if metrics is None:
            metrics = _metrics.regression_metrics(y, dist, coverage=coverage)
        figures.append((
            "pit_histogram.png",
            plots.pit_histogram(_metrics.pit_values(dist, y)),
            "Each observed value's position in its predicted distribution (PIT: the predicted "
            "CDF at the observation; randomised for counts). Calibrated predictions give a flat "
            "histogram on the dashed line; a U shape means intervals too narrow, a hump in the "
            "middle too wide, a slope a biased mean.",
        ))
        figures.append((
            "coverage.png",
            plots.coverage_curve(y, dist),
            "Fraction of held-out targets inside the central predictive interval, for several "
            "nominal coverages. Points on the diagonal are honest intervals; below it the "
            "intervals are too narrow, above it too wide.",
        ))
        figures.append((
            "predicted_vs_observed.png",
            plots.predicted_vs_observed(y, dist, coverage=coverage),
            f"Predicted mean (dot) and {coverage:.0%} central interval (line) against the "
            "observed target; on the dashed line the mean equals the observation. Red rows fall "
            f"outside their interval; about {1 - coverage:.0%} of them should.",
        ))

    embedded = []
    for name, fig, caption in figures:
        png = plots.figure_to_png(fig)
        write_atomic(out / name, png)
        embedded.append(EmbeddedFigure(name=name, png=png, caption=caption))
    page = render_html(title, metrics, embedded, notes)
    return write_atomic(out / "report.html", page)
