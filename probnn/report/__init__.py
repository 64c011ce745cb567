"""Reports with plots for a fitted model, and the pictures from the texts.

:func:`write_report` writes ``report.html`` (self-contained: every figure is
embedded as a base64 PNG) and the same figures as PNG files into one folder:
the report of one model (``probnn fit``, ``probnn evaluate``).
:func:`write_compare_report` does the same for several families fitted on one
split (``probnn compare``). :func:`fit_figures` and :func:`compare_figures`
build the figures without writing anything (the tests check their layout).
:func:`write_text_figures` draws the pictures that explain the ideas
(likelihood curves, entropy, cross-entropy); ``probnn figures`` calls it.

Figures use matplotlib's Agg renderer through ``matplotlib.figure.Figure``;
nothing here needs a display or touches ``pyplot``'s global state.
"""

from __future__ import annotations

import math
import os
import pathlib
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from probnn import metrics as _metrics
from probnn.report import plots
from probnn.report.html import EmbeddedFigure, Table, render_html, write_atomic

__all__ = [
    "write_report",
    "write_compare_report",
    "fit_figures",
    "compare_figures",
    "write_text_figures",
    "Table",
    "REPORT_FILES",
    "REPORT_MARKER",
    "report_folder_problem",
]

_TASKS = ("classification", "regression")

# A report folder holds this file: probnn wrote the folder, and may write into it again.
REPORT_MARKER = ".probnn-report"
# every file a report may write into its folder
REPORT_FILES = (
    REPORT_MARKER, "report.html", "training_curve.png", "reliability.png", "class_reliability.png",
    "confusion_matrix.png", "top_confusions.png", "pit_histogram.png", "coverage.png",
    "predicted_vs_observed.png", "nll_comparison.png", "pit_by_family.png",
    "coverage_by_family.png", "reliability_by_family.png", "epistemic.png", "d_calibration.png",
)  # fmt: skip


def report_folder_problem(folder: str | os.PathLike) -> str | None:
    """Why a report may not be written into ``folder``, or None when it may.

    A report goes only where it replaces nothing of the user's: a folder that does not
    exist yet, an empty one, or one that holds :data:`REPORT_MARKER` (a previous report).

    Parameters
    ----------
    folder : path-like

    Returns
    -------
    str or None
        The reason, naming the folder and some of the files in it.
    """
    folder = pathlib.Path(folder)
    if not folder.exists():
        return None
    if not folder.is_dir():
        return f"expected a folder for the report; found a file at {folder}"
    if (folder / REPORT_MARKER).is_file():
        return None
    try:
        names = sorted(entry.name for entry in folder.iterdir())
    except OSError as exc:
        return f"cannot list the report folder {folder} ({exc.strerror or exc})"
    if not names:
        return None
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return (f"{folder} already holds files that are not a probnn report ({shown}), which a "
            "report could replace; choose a new or empty folder, or move those files")  # fmt: skip


def _check_folder(folder: pathlib.Path) -> None:
    problem = report_folder_problem(folder)
    if problem is not None:
        raise FileExistsError(problem)


def write_text_figures(out_dir: str | os.PathLike) -> list[pathlib.Path]:
    """Write the four pictures from the texts as PNGs into ``out_dir``.

    See :func:`probnn.report.figures.write_text_figures`; imported on first use
    because it needs the likelihood and information modules, which a report on
    a fitted model does not.
    """
    from probnn.report.figures import write_text_figures as write

    return write(out_dir)


def fit_figures(
    *,
    task: str,
    y_true: ArrayLike,
    dist,
    classes: Sequence | None = None,
    loss_curve: ArrayLike | None = None,
    validation_curve: ArrayLike | None = None,
    coverage: float = 0.9,
    target: str = "target",
    stopped: str | None = None,
) -> list[tuple[str, object, str]]:
    """The figures of one model's report, as ``(file name, Figure, caption)``.

    Parameters are those of :func:`write_report`.
    """
    if task not in _TASKS:
        raise ValueError(f"task must be one of {', '.join(_TASKS)}; found {task!r}")
    figures: list[tuple[str, object, str]] = []
    if loss_curve is not None and len(loss_curve) > 0:
        figures.append((
            "training_curve.png",
            plots.training_curves(loss_curve, validation_curve, stopped),
            "Mean negative log-likelihood per epoch (nats per example; lower is better). "
            "A validation curve that turns upward while the training curve keeps falling "
            "means the network has started to overfit; the dotted line marks the epoch whose "
            "weights were kept.",
        ))
    if task == "classification":
        proba = np.asarray(dist.probs, dtype=np.float64)
        y = np.asarray(y_true)
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
        if proba.ndim == 2 and proba.shape[1] > 2:
            figures.append((
                "class_reliability.png",
                plots.class_reliability(y, proba, class_names),
                "For each class, its predicted probability against how often it is the true "
                "class (rows binned by the predicted probability). On the dashed diagonal the "
                "probabilities of that class mean what they say; below it the model "
                "over-predicts the class, above it under-predicts it.",
            ))
        many = len(class_names) > plots.MAX_ANNOTATED_CLASSES
        figures.append((
            "confusion_matrix.png",
            plots.confusion_matrix(y, predicted, class_names),
            ("Fraction of each true class (rows) given to each predicted class (columns, the "
             "most probable one); each row sums to 1 and the diagonal holds the correct "
             "predictions." if many else
             "Counts of held-out rows by true class (rows) and most probable predicted class "
             "(columns); the diagonal holds the correct predictions."),
        ))  # fmt: skip
        if many:
            figures.append((
                "top_confusions.png",
                plots.top_confusions(y, predicted, class_names),
                "The most frequent mistakes: how many held-out rows of a true class were "
                "given to another class as the most probable one.",
            ))
    elif np.ndim(y_true) == 2:  # censored (lower, upper) targets: no single observed value
        from probnn.survival import d_calibration

        found = d_calibration(dist, y_true)
        figures.append((
            "d_calibration.png",
            plots.d_calibration_histogram(found.counts, found.p_value),
            "Each held-out row's predicted survival probability S = 1 - F at its observed "
            "value; a censored row, known only to lie in an interval, is spread evenly over "
            "the probabilities that interval allows (right-censored at c: over [0, S(c)]). "
            "Calibrated predictions give a flat histogram on the dashed line (D-calibration, "
            "Haider et al. 2020); the p-value is the chi-square test of flatness.",
        ))
    else:
        y = np.asarray(y_true, dtype=np.float64)
        figures.append((
            "pit_histogram.png",
            plots.pit_histogram(_metrics.pit_values(dist, y)),
            "Each observed value's position in its predicted distribution (PIT: the predicted "
            "CDF at the observation; randomised for counts). Calibrated predictions give a flat "
            "histogram on the dashed line; a U shape means intervals too narrow, a hump in the "
            "middle too wide, a slope a biased mean.",
        ))
        # a count law's intervals hold their ends' whole masses: more than the level
        own = plots.expected_coverage(dist, [coverage])
        figures.append((
            "coverage.png",
            plots.coverage_curve(y, dist),
            "Fraction of held-out targets inside the central predictive interval, for several "
            "nominal coverages. Points on the diagonal are honest intervals; below it the "
            "intervals are too narrow, above it too wide."
            + ("" if own is None else
               " A count law's interval of whole counts holds its ends' whole masses, more than "
               "the nominal coverage: honest intervals lie on the dotted line of the model's own "
               "mass of them, above the diagonal."),
        ))  # fmt: skip
        outside = (f"about {1 - coverage:.0%} of them should." if own is None else
                   f"about {1 - own[0]:.1%} of them should (the model's own mass of those "
                   f"intervals is {own[0]:.1%}, not {coverage:.0%}: a count law's interval holds "
                   "its ends' whole masses).")  # fmt: skip
        figures.append((
            "predicted_vs_observed.png",
            plots.predicted_vs_observed(y, dist, coverage=coverage, target=target),
            f"Predicted mean (dot) and {coverage:.0%} central interval (line) against the "
            "observed target; on the dashed line the mean equals the observation. Red rows fall "
            f"outside their interval; {outside}",
        ))
    return figures


def _write(out: pathlib.Path, figures, page_args: dict, title: str) -> pathlib.Path:
    _check_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / REPORT_MARKER, "A report written by probnn: probnn may replace the "
                 "files of this folder when it writes a report here again.\n")  # fmt: skip
    embedded = []
    for name, fig, caption in figures:
        png = plots.figure_to_png(fig)
        write_atomic(out / name, png)
        wide = fig.get_figwidth() > 1.2 * plots.FIGSIZE[0]
        embedded.append(EmbeddedFigure(name=name, png=png, caption=caption, wide=wide))
    page = render_html(title, figures=embedded, **page_args)
    return write_atomic(out / "report.html", page)


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
    card: Sequence[Table] = (),
    results: Sequence[Table] = (),
    derivation: str | None = None,
    target: str = "target",
    stopped: str | None = None,
    extra_figures: Sequence[tuple[str, object, str]] = (),
) -> pathlib.Path:
    """Write an HTML report with figures for a model's held-out predictions.

    Parameters
    ----------
    out_dir : path-like
        Folder for ``report.html`` and the PNGs; created if missing. An existing
        folder must be empty or a previous report (see :func:`report_folder_problem`).
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
        StudentT, Poisson or a Mixture of them for regression.
    classes : sequence, optional
        Names of the classes, index ``k`` naming class ``k``.
    loss_curve, validation_curve : ndarray of shape (n_epochs,), optional
        Mean training / validation NLL per epoch; drawn when given.
    metrics : mapping, optional
        The metrics to show; computed with
        :func:`probnn.metrics.classification_metrics` or
        :func:`probnn.metrics.regression_metrics` when None. Known keys are
        shown with their names, units and how to read them.
    notes : sequence of str
        Summary lines under the title.
    coverage : float
        Nominal coverage of the predictive intervals (regression).
    card : sequence of Table
        The model card: data, family, network, training, software, timing.
    results : sequence of Table
        Further results after the metrics (e.g. the best constant model).
    derivation : str, optional
        The family's derivation (``family.derivation()``).
    target : str
        Name of the target (axis labels and units).
    stopped : str, optional
        How training ended, shown on the training curve.
    extra_figures : sequence of (file name, Figure, caption)
        Drawn after the others (a posterior's epistemic figure: ``probnn.report.posterior``);
        each file name one of ``REPORT_FILES``.

    Returns
    -------
    pathlib.Path
        Path of the written ``report.html``.

    Raises
    ------
    FileExistsError
        If ``out_dir`` holds files that are not a probnn report (nothing is written).
    """
    if task not in _TASKS:
        raise ValueError(f"task must be one of {', '.join(_TASKS)}; found {task!r}")
    if metrics is None:
        if task == "classification":
            metrics = _metrics.classification_metrics(np.asarray(y_true), dist)
        else:
            metrics = _metrics.regression_metrics(np.asarray(y_true, dtype=np.float64), dist,
                                                  coverage=coverage)  # fmt: skip
    figures = fit_figures(task=task, y_true=y_true, dist=dist, classes=classes,
                          loss_curve=loss_curve, validation_curve=validation_curve,
                          coverage=coverage, target=target, stopped=stopped)  # fmt: skip
    figures += list(extra_figures)
    page = dict(metrics=metrics, notes=notes, card=card, results=results, derivation=derivation,
                coverage=coverage, target=target)  # fmt: skip
    return _write(pathlib.Path(out_dir), figures, page, title)


def compare_figures(
    *,
    task: str,
    y_true: ArrayLike,
    dists: Mapping[str, object],
    means: Mapping[str, float],
    standard_errors: Mapping[str, float],
    best: str,
) -> list[tuple[str, object, str]]:
    """The figures of a comparison report, as ``(file name, Figure, caption)``.

    Parameters are those of :func:`write_compare_report`.
    """
    if task not in _TASKS:
        raise ValueError(f"task must be one of {', '.join(_TASKS)}; found {task!r}")
    figures: list[tuple[str, object, str]] = [(
        "nll_comparison.png",
        plots.nll_differences(means, standard_errors, best),
        f"How much worse each family predicts the held-out rows than {best}, in nats per "
        "example, with whiskers of two standard errors of the difference (paired over the "
        "rows). A whisker that reaches zero means the data do not separate the two families.",
    )]
    if task == "classification":
        figures.append((
            "reliability_by_family.png",
            plots.reliability_by_family(y_true, {f: np.asarray(d.probs) for f, d in dists.items()}),
            "Top-label reliability of each family: on the dashed diagonal the confidence of "
            "the most probable class equals how often it is right.",
        ))
        return figures
    if np.ndim(y_true) == 2:  # censored bounds: each family's D-calibration is in its own fit
        return figures
    y = np.asarray(y_true, dtype=np.float64)
    figures.append((
        "pit_by_family.png",
        plots.pit_by_family({f: _metrics.pit_values(d, y) for f, d in dists.items()}),
        "Each family's PIT histogram (the predicted CDF at each held-out target; randomised for "
        "counts). Flat on the dashed line is calibrated; a U shape means intervals too narrow, "
        "a hump too wide, a slope a biased mean.",
    ))
    figures.append((
        "coverage_by_family.png",
        plots.coverage_by_family(y, dists),
        "Fraction of held-out targets inside each family's central interval against the "
        "nominal coverage; on the diagonal the intervals are honest."
        + (" A count family's interval of whole counts holds its ends' whole masses, more than "
           "the nominal coverage: its honest line is the dotted one of its own mass of them."
           if any(getattr(d, "is_discrete", False) for d in dists.values()) else ""),
    ))  # fmt: skip
    return figures


def write_compare_report(
    out_dir: str | os.PathLike,
    *,
    title: str,
    task: str,
    y_true: ArrayLike,
    dists: Mapping[str, object],
    nll_rows: Mapping[str, ArrayLike],
    standard_errors: Mapping[str, float],
    best: str,
    coverage: float = 0.9,
    scoring: str = "",
    verdict: str = "",
    notes: Sequence[str] = (),
    card: Sequence[Table] = (),
    results: Sequence[Table] = (),
    crps: Mapping[str, tuple[float, float]] | None = None,
) -> pathlib.Path:
    """Write one HTML report comparing families fitted on the same split.

    Parameters
    ----------
    out_dir : path-like
        Folder for ``report.html`` and the PNGs; created if missing. An existing
        folder must be empty or a previous report (see :func:`report_folder_problem`).
    title : str
    task : {"classification", "regression"}
    y_true : ndarray of shape (n_samples,)
        Held-out targets (class indices or numbers).
    dists : mapping of family name -> Distribution
        Each family's predictive distributions on the held-out rows.
    nll_rows : mapping of family name -> ndarray of shape (n_samples,)
        Each family's per-row held-out NLL, in the scoring ``scoring`` names.
    standard_errors : mapping of family name -> float
        Standard error of each family's mean difference from ``best``, paired
        over the rows (see ``probnn.compare.paired_standard_errors``).
    best : str
        The family with the lowest mean NLL.
    coverage : float
        Nominal coverage of the interval whose empirical coverage is tabled.
    scoring : str
        How the NLL was computed (densities, probabilities of integers, ...).
    verdict : str
        The winner and by how much, in words.
    notes, card, results
        As in :func:`write_report`.
    crps : mapping of family name -> (float, float), optional
        Each regression family's mean held-out CRPS (in the target's units) and the
        standard error of its difference from the lowest CRPS (NaN for that family),
        as ``FamilyComparison.table``'s ``crps`` and ``crps_se``; tabled beside the NLL.

    Returns
    -------
    pathlib.Path
        Path of the written ``report.html``.

    Raises
    ------
    FileExistsError
        If ``out_dir`` holds files that are not a probnn report (nothing is written).
    """
    means = {f: float(np.mean(rows)) for f, rows in nll_rows.items()}
    ranked = sorted(means, key=means.get)
    y = np.asarray(y_true)
    censored = task != "classification" and y.ndim == 2  # (lower, upper) bounds
    if task == "classification":
        columns = ["rank", "family", "NLL (nats/example)", "NLL (bits/example)", "minus best",
                   "SE of the difference", "accuracy", "calibration error (ECE)"]  # fmt: skip
    elif censored:
        columns = ["rank", "family", "NLL (nats/example)", "NLL (bits/example)", "minus best",
                   "SE of the difference", "concordance index", "D-calibration p-value"]  # fmt: skip
    else:
        columns = ["rank", "family", "NLL (nats/example)", "NLL (bits/example)", "minus best",
                   "SE of the difference", f"{coverage:.0%} interval coverage",
                   "model's own mass of those intervals", "PIT distance from uniform"]  # fmt: skip
    crps = dict(crps or {}) if task != "classification" else {}
    if crps:
        columns[6:6] = ["CRPS (target's units)", "SE of the CRPS difference"]
    rows = []
    for rank, family in enumerate(ranked, 1):
        if task == "classification":
            m = _metrics.classification_metrics(y, dists[family])
            extra = [m["accuracy"], m["ece"]]
        elif censored:
            from probnn.survival import censored_metrics

            m = censored_metrics(y.astype(np.float64), dists[family], nll_rows[family])
            extra = [m.get("concordance", "-"), m["d_calibration_p"]]
        else:
            m = _metrics.regression_metrics(y.astype(np.float64), dists[family], coverage=coverage)
            extra = [m["coverage"], m["coverage_expected"], m["pit_ks"]]
        se = "-" if family == best else standard_errors.get(family, math.nan)
        if crps:
            score, score_se = crps.get(family, (math.nan, math.nan))
            extra[0:0] = [score, "-" if math.isnan(score_se) and not math.isnan(score)
                          else score_se]  # fmt: skip
        rows.append([rank, family, means[family], means[family] / math.log(2),
                     means[family] - means[best], se, *extra])  # fmt: skip
    crps_note = ("CRPS: continuous ranked probability score, in the target's units (lower is "
                 "better); its SE is of the difference from the lowest CRPS, paired over the "
                 "same rows." if crps else "")  # fmt: skip
    mass_note = ("Model's own mass: each row's predicted probability of its own interval, "
                 "averaged, what a calibrated family's coverage is: the nominal for a "
                 "continuous family, more for a count family, whose intervals hold their "
                 "ends' whole masses." if task != "classification" and not censored
                 else "")  # fmt: skip
    note = " ".join(s for s in (scoring, "SE: standard error of the difference from the best, "
                                "paired over the held-out rows.", crps_note, mass_note, verdict)
                    if s)  # fmt: skip
    table = Table(f"Held-out NLL on {y.shape[0]:,} rows (lower is better)", columns, rows,
                  note=note, key="comparison")  # fmt: skip
    figures = compare_figures(task=task, y_true=y, dists={f: dists[f] for f in ranked},
                              means=means, standard_errors=standard_errors, best=best)  # fmt: skip
    page = dict(metrics=None, notes=notes, card=card, results=[table, *results],
                coverage=coverage)  # fmt: skip
    return _write(pathlib.Path(out_dir), figures, page, title)
