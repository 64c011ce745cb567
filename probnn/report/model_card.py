"""The model card assembled: the tables of facts a report shows beside its figures.

:func:`write_model_report` (one model: ``probnn fit``, ``probnn evaluate --report``) and
:func:`write_comparison_report` (``probnn compare``) take a fitted model, or a
:class:`probnn.compare.FamilyComparison`, and plain facts about the data and the split (paths,
row counts, the options' values), and write the report into a folder. The command line
only gathers those facts; what the card says and how is decided here.
"""

from __future__ import annotations

import datetime
import math
import pathlib
from collections.abc import Mapping, Sequence

import numpy as np

from probnn import report as _report  # its writers looked up when called (tests replace them)
from probnn.report import Table
from probnn.report.importance import importance_table
from probnn.report.card import (MAXIMUM_LIKELIHOOD, constant_baseline, constant_rule,
                                file_sha256, hidden_layers, is_linear, members, network_rows,
                                network_words, posterior_line, software_versions, stop_reason,
                                training_rows, used_setting)  # fmt: skip

__all__ = ["data_rows", "model_card", "constant_model", "baseline_table", "short_stop",
           "write_model_report", "write_comparison_report"]


def data_rows(path: str, rows: int, frame, target: str, drop: Sequence[str],
               impute: bool, sha: str | None = None) -> list[tuple[str, object]]:  # fmt: skip
    """The card's "Data" rows: the file, its hash and rows, the target, the features."""
    features = [str(c) for c in frame.columns if c != target]
    more = f", ... ({len(features) - 12} more)" if len(features) > 12 else ""
    shown = ", ".join(features[:12]) + more
    return [
        ("file", str(path)),
        ("SHA-256", sha or file_sha256(path)),
        ("rows in the file", rows),
        ("target", target),
        (f"features ({len(features)})", shown),
        ("dropped columns (--drop)", ", ".join(drop) or "none"),
        ("missing feature values", "filled: median / most frequent, with a 0/1 indicator "
         "feature per column with missing values (--impute)" if impute
         else "none allowed"),
    ]  # fmt: skip


def model_card(model, reason: str, data_rows, timing: dict | None, stopped: str):
    """The model card's tables: data, family, network, training, software."""
    family = members(model.estimator)[0].family_
    params = ", ".join(f"{k}={v:g}" for k, v in family.get_params().items()
                       if isinstance(v, (int, float))) or "none"  # fmt: skip
    family_rows = [("family", family.name), ("why", reason), ("the NLL is the", family.loss_name),
                   ("link", family.link), ("parameters", params)]  # fmt: skip
    train_rows = list(training_rows(model.estimator))
    train_rows.append(("epochs run and why training stopped", stopped, ""))
    if timing:
        cpu = (f"{timing['cpu']:.1f} s CPU" if timing["cpu"] is not None
               else "networks fitted by workers (CPU time not measured)")
        train_rows.append(("training time", f"{timing['training']:.1f} s wall clock, {cpu}",
                           "--jobs" if timing["cpu"] is None else ""))  # fmt: skip
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    software = [*software_versions(), ("report written", stamp)]
    return [
        Table("Data", ["", ""], data_rows, key="data"),
        Table("Family", ["", ""], family_rows, key="family"),
        Table("Network", ["", ""], network_rows(model.estimator), key="network"),
        Table("Training", ["setting", "value", "option"], train_rows, key="training"),
        Table("Software", ["", ""], software, key="software"),
    ]


def constant_model(model, train, held_out) -> tuple[float, str]:
    """Held-out NLL of the family's best constant model, and its parameters in words.

    The constant model is the family's maximum-likelihood fit to the targets of ``train``
    (ignoring the features), scored on ``held_out``
    (:func:`probnn.report.card.constant_baseline`); ``probnn fit`` computes it once, for
    its console warning and for the report. Where a class of the model has no training
    row, with half a pseudo-count of every class, as the model learnt
    (``TabularModel.fit``'s ``classes``): the Krichevsky-Trofimov ``(n_k + 1/2) / (n + C/2)``,
    not the maximum likelihood's 0 (an infinite NLL for its held-out rows).

    Parameters
    ----------
    model : TabularModel
    train, held_out : DataFrame
        The training and the held-out rows, with the target column.

    Returns
    -------
    nll : float
        Mean NLL over ``held_out``, in nats per example.
    description : str
    """
    first = members(model.estimator)[0]
    fixed = list((getattr(first, "family_params", None) or {}).keys())
    y, weight = _constant_targets(model, train)
    return constant_baseline(first.family_, y, model.encode_target(held_out), fixed=fixed,
                             sample_weight=weight)  # fmt: skip


def _constant_targets(model, train) -> tuple[np.ndarray, np.ndarray | None]:
    """The targets of ``train`` the constant model is fitted on, and their weights: a class
    model's with half a pseudo-row of every class where some class has no training row."""
    y, weight = model.encode_target(train), None
    if model.is_classifier and np.unique(y).size < len(model.classes):
        from probnn.tables.model import JEFFREYS_COUNT

        n_classes = len(model.classes)
        y = np.concatenate([y, np.arange(n_classes, dtype=y.dtype)])
        weight = np.concatenate([np.ones(y.size - n_classes), np.full(n_classes, JEFFREYS_COUNT)])
    return y, weight


def baseline_table(model, constant: tuple[float, str], n: int, metrics, train=None):
    """The best constant model (``constant_model``'s answer) against the network on ``n``
    held-out rows, and the bits the network adds; its label says how the constant model was
    fitted on ``train`` (``report.card.constant_rule``; None: by maximum likelihood)."""
    family = members(model.estimator)[0].family_
    nll0, described = constant
    nll = float(metrics["nll_nats"])
    gain = (nll0 - nll) / math.log(2)
    how = (MAXIMUM_LIKELIHOOD if train is None
           else constant_rule(family, *_constant_targets(model, train)))  # fmt: skip
    rows = [(f"best constant model (ignores the features; {how}): {family.name}, {described}",
             nll0, nll0 / math.log(2)),
            (network_words(model.estimator), nll, nll / math.log(2))]  # fmt: skip
    if gain > 0:
        note = (f"The network adds {gain:.4f} bits of information per example over the best "
                f"constant model ({gain * n:,.0f} bits over the {n:,} rows).")
    else:
        note = (f"The network predicts these rows no better than the best constant model "
                f"({-gain:.4f} bits per example worse): the features, as learned, do not help.")
    return Table("Against the best constant model", ["model", "NLL (nats/example)",
                 "NLL (bits/example)"], rows, note=note, key="baseline")  # fmt: skip


def selection_table(table) -> Table:
    """The candidates of ``probnn fit``'s selection by held-out NLL (``probnn.selection``'s
    ``Selection.table``), best first, with why each was chosen, passed over or dropped."""
    rows = []
    for r in table.itertuples(index=False):
        rows.append((r.family, r.capacity, r.nll_nats, r.minus_best, r.se, int(r.folds),
                     r.seconds, r.status))  # fmt: skip
    note = ("Each candidate (a family of the target's kind at three capacities: its best "
            "constant model, its generalised linear model, a network) is scored on held-out "
            "rows of the training rows (K-fold cross-validation on small tables, one split on "
            "large ones); the chosen one is the simplest within noise ('within 1 SE'): within "
            "one standard error (paired over those rows) of the lowest NLL and of every "
            "candidate better on the mean, and not behind, on the mean, one left out that is "
            "at least as simple. Networks are fitted only for the families "
            "whose constant or GLM scored best.")  # fmt: skip
    return Table("Candidates (selection by held-out NLL)",
                 ["family", "capacity", "NLL (nats/example)", "minus the best", "SE",
                  "folds", "seconds", "status"], rows, note=note, key="selection")  # fmt: skip


def short_stop(estimator) -> str:
    """How one network's training ended, short enough for a figure's title."""
    n, budget = int(estimator.n_iter_), used_setting(estimator, "max_iter")
    if estimator.solver == "lbfgs":
        return f"L-BFGS, {n} iterations" + ("" if estimator.converged_ else " (the whole budget)")
    if estimator.converged_:
        return f"stopped early at epoch {n} of {budget}"
    return f"used all {budget} epochs"


def write_model_report(folder: str | pathlib.Path, model, metrics: Mapping[str, float], *,
                       data: str, rows: int, held_out, split: str, reason: str, title: str,
                       coverage: float = 0.9, drop: Sequence[str] = (), train=None,
                       timing: Mapping[str, float | None] | None = None,
                       data_sha: str | None = None, model_file: str | None = None,
                       model_sha: str | None = None,
                       constant: tuple[float, str] | None = None,
                       selection=None) -> pathlib.Path:  # fmt: skip
    """The report of one model on some rows (``fit``: held out; ``evaluate``: a file's).

    Parameters
    ----------
    folder : path-like
        Where :func:`probnn.report.write_report` writes.
    model : TabularModel
    metrics : dict
        The model's scores on ``held_out`` (``TabularModel.evaluate``).
    data : str
        The data file; ``rows`` its data rows, ``data_sha`` its SHA-256 (computed if None).
    held_out : DataFrame
        The rows scored; ``split`` says in words which they are.
    reason : str
        Why the family (the card's "why").
    title : str
    coverage : float
    drop : sequence of str
        Columns dropped before fitting.
    train : DataFrame, optional
        The training rows: with them the card compares the best constant model.
    timing : dict, optional
        ``training`` (wall-clock seconds) and ``cpu`` (CPU seconds, or None).
    model_file, model_sha : str, optional
        The model file scored and its SHA-256 (``evaluate``).
    constant : (float, str), optional
        :func:`constant_model` of ``train`` and ``held_out``, if already computed.
    selection : pandas.DataFrame, optional
        The candidates of a selection by held-out NLL (:func:`selection_table`).

    Returns
    -------
    pathlib.Path
        The written ``report.html``.
    """
    first = members(model.estimator)[0]
    stopped = stop_reason(model.estimator)
    censoring = getattr(model, "censoring", None)
    shown = held_out.drop(columns=list(censoring.columns)) if censoring is not None else held_out
    dropped = [c for c in getattr(model.preprocessor, "dropped_", []) if c in shown.columns]
    rows_of_data = data_rows(data, rows, shown.drop(columns=dropped), model.target, drop,
                             model.preprocessor.impute, data_sha)  # fmt: skip
    if dropped:  # identifiers: every value distinct (Preprocessor)
        rows_of_data.insert(-1, ("identifier columns left out (every value distinct)",
                                 ", ".join(dropped)))  # fmt: skip
    logged = list(getattr(model.preprocessor, "logged_", []))  # (probnn.tables.log_scale)
    if logged:
        rows_of_data.insert(-1, ("columns read as log(x) (positive, wide ratio)", ", ".join(logged)))
    rows_of_data.append(("rows scored", split))
    y_true, dist = model.encode_target(held_out), model.predict_dist(held_out)
    if censoring is not None:
        from probnn.report.censored import censored_rows

        rows_of_data.extend(censored_rows(model, train, held_out))
    if model_file is not None:
        rows_of_data[:0] = [("model file", model_file), ("model SHA-256", model_sha)]
    card = model_card(model, reason, rows_of_data, timing, stopped)
    results = []
    if train is not None:
        if constant is None:
            constant = constant_model(model, train, held_out)
        results.append(baseline_table(model, constant, held_out.shape[0], metrics, train))
    from probnn.report.posterior import posterior_extras

    tables, figures = posterior_extras(model, held_out, metrics, coverage,
                                       None if train is None else train.shape[0])  # fmt: skip
    results += tables
    if censoring is not None:
        from probnn.report.censored import censored_table

        results.append(censored_table(y_true, dist, metrics))
    # permutation importance scores exact rows' NLL; a censored target's table says so instead
    importance = importance_table(model, held_out) if censoring is None else None
    if importance is not None:
        results.append(importance)
    if selection is not None:
        results.append(selection_table(selection))
    several = len(members(model.estimator)) > 1
    curve_note = f"network 1 of {len(members(model.estimator))}; " if several else ""
    family = first.family_
    source = ("linear in the features (no hidden layer: the generalised linear model)"
              if is_linear(model.estimator) else "from a network of the features")
    notes = [f"{model.target} ~ {family.name} ({family.link}), parameters {source}; {split}",
             f"training: {stopped}"]  # fmt: skip
    if posterior_line(model.estimator):
        notes.append(posterior_line(model.estimator))
    return _report.write_report(
        folder, title=title, task="classification" if model.is_classifier else "regression",
        y_true=y_true, dist=dist,
        classes=[str(c) for c in model.classes] if model.classes is not None else None,
        loss_curve=getattr(first, "loss_curve_", None),
        validation_curve=getattr(first, "validation_scores_", None), metrics=metrics,
        notes=notes, coverage=coverage, card=card, results=results,
        derivation=family.derivation(), target=model.target,
        stopped=(curve_note + short_stop(first)) if first.loss_curve_ else None,
        extra_figures=figures,
    )  # fmt: skip


def write_comparison_report(folder: str | pathlib.Path, result, *, data: str, frame, target: str,
                            drop: Sequence[str], impute: bool, test_size: float, seed: int,
                            title: str) -> pathlib.Path:  # fmt: skip
    """The one report of ``probnn compare``: the families side by side.

    Parameters
    ----------
    folder : path-like
        Where :func:`probnn.report.write_compare_report` writes.
    result : FamilyComparison
        What :func:`probnn.compare_families` found.
    data : str
        The data file; ``frame`` its table (after ``drop``), ``target`` the target column.
    impute : bool
    test_size : float
    seed : int
        The split's options, as the card names them.
    title : str

    Returns
    -------
    pathlib.Path
        The written ``report.html``.
    """
    from probnn.families import LABEL_KINDS

    kinds, best, skipped = result.kinds, result.best, list(result.skipped)
    fitted, dists, nll_rows = dict(result.models), dict(result.dists), dict(result.nll_rows)
    # class and count families ranked together (a few integers): the report's metrics and
    # figures are those of the best family's side, the others named in its card
    classifier = fitted[best].is_classifier
    other = [f for f, m in fitted.items() if m.is_classifier != classifier]
    if other:
        skipped += [(f, f"ranked in the printed table (held-out NLL "
                        f"{float(np.mean(nll_rows[f])):.4f}); the report shows the "
                        f"{'class' if classifier else 'count and density'} families")
                    for f in other]  # fmt: skip
        fitted = {f: m for f, m in fitted.items() if f not in other}
        dists = {f: d for f, d in dists.items() if f not in other}
        nll_rows = {f: r for f, r in nll_rows.items() if f not in other}
    kind = next((k for k in kinds if (k in LABEL_KINDS) == classifier), kinds[0])
    first = fitted[best]
    n_train, n_test = result.train.size, result.test.size
    censoring = getattr(first, "censoring", None)
    shown = frame.drop(columns=list(censoring.columns)) if censoring is not None else frame
    rows_of_data = data_rows(data, frame.shape[0], shown, target, drop, impute)
    if censoring is not None:
        from probnn.report.censored import censored_rows

        rows_of_data.extend(censored_rows(first, frame.iloc[result.train],
                                          frame.iloc[result.test]))  # fmt: skip
    rows_of_data.append(("split", f"{n_train:,} training rows, {n_test:,} held out (--test-size "
                                  f"{test_size:g}, --seed {seed}), the same for every "
                                  "family"))  # fmt: skip
    rows_of_data.append(("target kind", f"{kind}: {result.why}"))
    settings = [r for r in training_rows(first.estimator) if r[2] != "--family-param"]
    settings.insert(0, ("hidden layers", hidden_layers(first.estimator), "--hidden"))
    fits = [(f, stop_reason(m.estimator), result.seconds[f]) for f, m in fitted.items()]
    fits += [(f, f"skipped: {' '.join(reason.split())}", "") for f, reason in skipped]
    for family, model in fitted.items():
        params = getattr(model.estimator, "family_params", None) or {}
        if params:
            settings.append((f"fixed parameters of {family}",
                             ", ".join(f"{k}={v:g}" for k, v in params.items()), "--family-param"))
    card = [
        Table("Data", ["", ""], rows_of_data, key="data"),
        Table("Training (every family)", ["setting", "value", "option"], settings,
              key="training"),
        Table("How each family's training ended", ["family", "epochs run and why it stopped",
              "seconds"], fits, key="fits"),
        Table("Software", ["", ""], software_versions(), key="software"),
    ]  # fmt: skip
    verdict = result.verdict
    return _report.write_compare_report(
        folder, title=title, task="classification" if kind in LABEL_KINDS else "regression",
        y_true=first.encode_target(frame.iloc[result.test]), dists=dists, nll_rows=nll_rows,
        standard_errors=result.standard_errors, best=best, coverage=result.coverage,
        scoring=f"{result.scoring}.", verdict=f"Winner: {verdict}.",
        notes=[f"Winner: {verdict}", f"{len(fitted)} families fitted on one split; "
               f"{n_test:,} held-out rows scored"],
        card=card, crps={row.family: (row.crps, row.crps_se)
                         for row in result.table.itertuples(index=False)
                         if row.family in fitted and not math.isnan(row.crps)},
    )  # fmt: skip
