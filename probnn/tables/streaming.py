"""Tables larger than memory: fitted, scored and predicted in record batches.

On a :class:`~probnn.tables.sources.TableSource`:

* :func:`fit_stream` fits a :class:`~probnn.tables.model.TabularModel` without holding the
  table: a first pass learns the preprocessing and the target's kind (a second one its
  values' statistics, more only for exact imputation medians), then the estimator's
  ``fit_chunks`` trains on the training rows, each epoch streamed through a
  :class:`~probnn.tables.stream_chunks.ShuffleBuffer` (or, when they fit in it, held as
  one chunk: the fit in memory; :mod:`probnn.tables.stream_chunks`).
  Every row's part (training, validation for early stopping, held out for testing) is a
  hash of its row number and the seed (:func:`probnn.tables.split.row_parts`):
  reproducible, stateless, and no second copy of the data. Where whole rows of a
  continuous target repeat (copies: :class:`~probnn.tables.copies.CopyScan` in the first
  pass), of its digest instead, so a row's copies share its part, as ``probnn fit`` in
  memory keeps them (``tables.copies.copy_groups``). The preprocessing equals, bit
  for bit, what :meth:`Preprocessor.fit <probnn.tables.preprocessing.Preprocessor.fit>`
  learns from the same rows in memory
  (:class:`probnn.tables.preprocessing.PreprocessorScan`).
* :func:`predict_stream` writes predictions batch by batch; :func:`evaluate_stream`
  accumulates the held-out metrics (:class:`probnn.metrics.RunningMetrics`).

Memory is bounded by the reader's batch, the shuffle buffer and the network, not by the
table. Every problem names the file (a corrupt Parquet file in a folder before any
training: :meth:`TableSource.check <probnn.tables.sources.TableSource.check>`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from probnn import defaults
from probnn.exceptions import DataError, PrecisionError
from probnn.metrics import RunningMetrics
from probnn.tables._model_classes import _constant_at_reference
from probnn.tables.columns import _warn_spelling_variants
from probnn.tables.extrapolation import tallied
from probnn.tables.leaks import warn_streamed_target_copies
from probnn.tables.model import TabularModel, _in_float64, check_fit_rows, unseen_labels_warning
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.resolution import StreamedHeap, needs_floor, with_resolution_floor
from probnn.tables.sources import FILES_ATTR, READ_ROWS, Batch, TableSource, _located
from probnn.tables.split import TEST, TRAIN, VALIDATION, check_parts, row_parts
from probnn.tables.stream_chunks import (PREFETCH_BATCHES, ShuffleBuffer, _Rechunk, prefetch,
                                         with_pseudo_rows)  # fmt: skip
from probnn.tables.stream_selection import SELECTION_ROWS
from probnn.tables.targets import (TargetScan, _check_family_name, _check_target_present,
                                   _labels_to_json, check_levels, check_target_column,
                                   check_trainable_target, family_of_kind, is_classifier_family,
                                   label_texts, order_classes, ordered_categories,
                                   regression_target, scan_classes, target_labels)  # fmt: skip


__all__ = [
    "ShuffleBuffer", "fit_stream", "StreamFit", "predict_stream", "evaluate_stream",
    "RunningMetrics", "BUFFER_ROWS", "prefetch", "head_rows",
]  # fmt: skip

BUFFER_ROWS = 262_144  # rows the shuffle buffer holds
# the targets / held-out rows a streamed fit's report draws (its figures need rows in memory)
REPORT_ROWS = 20_000


# ------------------------------------------------------------------- fitting
@dataclass
class StreamFit:
    """What :func:`fit_stream` learned and measured besides the model.

    Attributes
    ----------
    rows : dict
        Rows per part: ``{"train": ..., "validation": ..., "test": ..., "all": ...}``.
    family_reason : str
    metrics : dict
        Held-out metrics over every test row (:class:`RunningMetrics`).
    train_sample, test_sample : DataFrame
        At most ``REPORT_ROWS`` training / test rows (the first in row order), for the
        report's figures and its best-constant baseline.
    epoch_seconds, epoch_cpu_seconds : list of float
        Wall and CPU time (both threads) of each epoch's training pass (validation scoring
        excluded).
    preprocessing_seconds : float
    selection : probnn.selection.Selection or None
        ``fit_stream(select=True)``'s selection on the sample (its ``table``: the candidates).
    selection_rows : int
        The sample's rows (0 without a selection).
    dtype : str or None
        ``"float64"`` where no ``dtype`` was given and float32 could not hold or resolve the
        target (:class:`~probnn.exceptions.PrecisionWarning` says why), else None.
    unseen_labels : str or None
        Where some class label is held only by held-out rows: the warning line (without
        its "warning: ") that ``probnn fit`` says, in memory the same
        (:func:`~probnn.tables.model.unseen_labels_warning`); the model scores such a label
        by half a pseudo-count of every class. None otherwise.
    target_parser : str or None
        How a regression target's text was read (``TabularModel.target_parser``).
    content : dict
        The model file's record of the table by content (``tables.copies.ContentScan``, as
        ``probnn fit`` in memory records it): ``evaluate`` knows its rows in another file.
    train_zeros : int
        A regression target's training rows that hold 0 (a constant model's reference:
        ``tables._model_classes._constant_at_reference``).
    """

    rows: dict = field(default_factory=dict)
    family_reason: str = ""
    metrics: dict = field(default_factory=dict)
    train_sample: pd.DataFrame | None = None
    test_sample: pd.DataFrame | None = None
    epoch_seconds: list = field(default_factory=list)
    epoch_cpu_seconds: list = field(default_factory=list)
    preprocessing_seconds: float = 0.0
    selection: object = None
    selection_rows: int = 0
    dtype: str | None = None
    unseen_labels: str | None = None
    target_parser: str | None = None
    content: dict = field(default_factory=dict)
    train_zeros: int = 0


def _first_pass(source: TableSource, columns: list[str], impute: bool, parts_of, copies):
    """The first pass: the preprocessing's and the target's kinds observed (on the rows
    not held out, the target on all), each part's rows counted, and ``copies``
    (a :class:`~probnn.tables.copies.CopyScan`, or None) offered every row."""
    target = columns[-1]
    preprocessor = Preprocessor(impute=impute)
    scan = preprocessor.scan(columns[:-1], exact_median=True)
    target_scan = TargetScan(max_distinct=100_000, name=target)
    counts = {TRAIN: 0, VALIDATION: 0, TEST: 0}
    categories: list | None | bool = False  # an ordered column's order: its first batch's
    for batch in source.batches(columns):
        parts = parts_of(batch)
        if categories is False:
            categories = ordered_categories(batch.frame[target])
        for part in counts:
            counts[part] += int(np.sum(parts == part))
        fit_rows = batch.frame[parts != TEST]
        # a batch's missing targets named at once, held-out rows' too (as in memory)
        _located(batch, lambda: _check_target_present(batch.frame[target], target))
        _located(batch, lambda: (scan.observe(fit_rows), target_scan.observe(batch.frame[target])))
        if copies is not None:
            copies.add(batch.frame)
    return preprocessor, scan, target_scan, counts, categories


def _learn_preprocessing(source: TableSource, target: str, features: list[str], impute: bool,
                         parts_of: Callable[[Batch], np.ndarray], family: str, info: StreamFit,
                         levels: Sequence[str] | None = None, training: dict | None = None,
                         choose_fraction: Callable[[str, int], float] | None = None,
                         sample=None, announce: Callable[[str], None] = print):  # fmt: skip
    """The first passes: the preprocessing (on training and validation rows), the target's
    kind (on all rows, as ``probnn fit`` infers a family) and its statistics. The held-out
    rows are checked here too (features, target, class labels), so that every bad value
    is named, at its data row, before training. ``training``: ``dtype`` and
    ``standardize_target`` of the estimator (``check_trainable_target``), its
    ``family_params``. ``sample``: a
    :class:`~probnn.tables.stream_selection.SampleSelection` offered the values pass's rows;
    with family "auto" it chooses the family once every row has been checked. Returns the
    preprocessor, the family, a classifier's classes (every row's labels, held-out rows'
    too, as ``probnn fit`` in memory), the training targets' moments, the family's
    parameters with the floor of a heaped target's resolution
    (:func:`~probnn.tables.resolution.with_resolution_floor`, from the last pass's fitted
    rows: :class:`~probnn.tables.resolution.StreamedHeap`) or None to leave them as given,
    and whether some class has no row in the training part (its model then learns with the
    add-1/2 pseudo-rows: :func:`~probnn.tables.stream_chunks.with_pseudo_rows`). A label
    that no row but held-out ones holds is said in ``info.unseen_labels``."""
    from probnn._running import BlockMoments
    from probnn.families import get_family

    check_target_column(source.columns_frame(), target)
    training = training or {}
    columns = [*features, target]
    copies = parts_of.copy_scan(target)
    preprocessor, scan, target_scan, counts, categories = _first_pass(
        source, columns, impute, parts_of, copies)  # fmt: skip
    if copies is not None and copies.copies:  # keyed by their digests, as in memory: again
        announce(copies.warning())
        parts_of.keyed = copies.columns
        preprocessor, scan, target_scan, counts, categories = _first_pass(
            source, columns, impute, parts_of, None)  # fmt: skip
        if sample is not None:  # (the selection's folds keep a row's copies on one side)
            sample.group_columns = copies.columns
    info.rows = {"train": counts[TRAIN], "validation": counts[VALIDATION], "test": counts[TEST],
                 "all": sum(counts.values())}  # fmt: skip
    check_parts(counts[TRAIN], counts[TEST], source.path)
    scan.end_kinds()
    moments = BlockMoments()
    labels: set = set()
    for batch in source.batches(columns):
        parts = parts_of(batch)
        fit_rows, test_rows = batch.frame[parts != TEST], batch.frame[parts == TEST]
        column = batch.frame[target].copy()
        # the scan names its rows after the passes (in kinds()): with their file
        column.attrs[FILES_ATTR] = [(str(batch.file), 0, batch.file_start + len(column))]
        _located(batch, lambda: (scan.add(fit_rows), target_scan.add(column),
                                 scan.check_held_out(test_rows)))  # fmt: skip
        if sample is not None:
            sample.add(batch, parts)
    # text labels that differ only in case or spaces: said with every row's count (the scan's),
    # before any fit on a sample says it with the sample's
    _warn_spelling_variants(target_scan.distinct, f"target {target!r}", "target")
    if family == "auto":
        family, info.family_reason = family_of_kind(*target_scan.kinds())
        if sample is not None:  # by held-out NLL on the sample, of the rows checked above
            kinds = target_scan.kinds()
            family = sample.choose(counts[TRAIN] + counts[VALIDATION], kinds, classes=scan_classes(
                target_scan, kinds[0], target, levels, categories))  # fmt: skip
            info.family_reason = sample.line
    else:
        info.family_reason = f"chosen with --family {family}"
    classifier = is_classifier_family(family)
    info.target_parser = None if classifier else target_scan.comma_reading()
    declared = get_family(family)
    # the target's values on the fitted rows: class labels, or the standardisation's moments;
    # the held-out rows' checked as well
    scan.end_values()
    n_fit = counts[TRAIN] + counts[VALIDATION]
    if choose_fraction is not None:  # the validation part, now the family and rows are known
        parts_of.validation_fraction = choose_fraction(family, n_fit)
    counts[TRAIN] = counts[VALIDATION] = 0
    # no dtype given: float32, or float64 where float32 cannot hold the target (as in memory)
    dtype_given = training.get("dtype") is not None
    dtype = training.get("dtype") or np.float32
    standardise = training.get("standardize_target", "auto")
    standardised = None if standardise in ("auto", None) else bool(standardise)
    held_out_labels: dict = {}  # label -> held-out rows (the warning counts a label's rows)
    trained_labels: set = set()  # the training part's (not early stopping's) labels
    # levels naming text: a chunk of only numbers checked against them as text labels
    text_levels = levels is not None and bool(pd.to_numeric(
        pd.Series([str(v) for v in levels]), errors="coerce").isna().any())
    # a mixture on a heaped target keeps the targets' resolution, as TabularModel.fit's
    # does: the fitted rows' values counted (bounded: tables.resolution.StreamedHeap)
    heaps = (StreamedHeap() if not classifier and needs_floor(family, training.get("family_params"))
             else None)  # fmt: skip
    fitted_values = np.array([np.inf, -np.inf])  # the fitted rows' least and largest target
    for batch in source.batches(parts_of.read([target])):
        parts = parts_of(batch)
        counts[TRAIN] += int(np.sum(parts == TRAIN))
        counts[VALIDATION] += int(np.sum(parts == VALIDATION))
        fit, test = batch.frame[parts != TEST], batch.frame[parts == TEST]
        if classifier:
            fitted = _located(batch, lambda: target_labels(fit[target], target))
            labels.update(_keyed(fitted))
            trained_labels.update(_keyed(fitted[parts[parts != TEST] == TRAIN]))
            for label in _keyed(_located(batch, lambda: target_labels(test[target], target))):
                held_out_labels[label] = held_out_labels.get(label, 0) + 1
            if levels is not None:  # (text levels: a chunk of only numbers read as text labels)
                column = batch.frame[target]
                _located(batch, lambda: check_levels(
                    column, target_labels(column, target, text_levels), target, levels))
        else:
            y = _located(batch, lambda: regression_target(fit[target], target, declared))
            try:
                _located(batch, lambda: check_trainable_target(y, fit.index, target, declared,
                                                               dtype, standardised, n_fit))
            except PrecisionError as exc:
                if dtype_given or dtype == np.float64:
                    raise
                dtype = np.float64
                info.dtype = _in_float64(exc)
            trained = y[parts[parts != TEST] == TRAIN]
            moments.update(trained)  # the training rows' moments
            info.train_zeros += int(np.count_nonzero(trained == 0))
            if y.size:
                fitted_values = np.array([min(fitted_values[0], y.min()),
                                          max(fitted_values[1], y.max())])  # fmt: skip
            if heaps is not None:
                heaps.add(y, batch.rows[parts != TEST])
            _located(batch, lambda: regression_target(test[target], target, declared))
    info.rows.update(train=counts[TRAIN], validation=counts[VALIDATION])
    if not classifier and fitted_values[0] == fitted_values[1]:  # as probnn fit in memory
        raise DataError(f"expected at least two distinct target values to train on; found only "
                        f"{fitted_values[0]:.17g} in {n_fit:,} training rows of "
                        f"{info.rows['all']:,} (--test-size, --seed)")  # fmt: skip
    while scan.median_columns:
        scan.begin_median_pass()
        for batch in source.batches(parts_of.read(features)):
            fit_rows = batch.frame[parts_of(batch) != TEST]
            _located(batch, lambda: scan.add_median(fit_rows))
        scan.end_median_pass()
    classes, untrained = None, False
    if classifier:  # as probnn fit in memory: the whole column's labels (column_classes)
        # chunks of text, or of booleans beside numbers: every label as text, as in memory
        kinds = {kind for kind, _ in labels | set(held_out_labels)}
        text = "O" in kinds or len(kinds) > 1
        labels, trained_labels, held_out_labels = _labels_as(
            text, labels, trained_labels, held_out_labels)
        every = labels | set(held_out_labels)
        present = np.unique(np.asarray(list(every), dtype=object if text else None))
        classes = order_classes(present, categories, target, family, levels)
        # a class no training row holds: learnt by half a pseudo-count of every class
        untrained = len(trained_labels) < len(classes)
        unseen = [c for c in classes.tolist() if c not in labels]
        if unseen:
            rows = sum(held_out_labels.get(c, 0) for c in unseen)
            info.unseen_labels = unseen_labels_warning(unseen, rows, target)
    moments.finish()
    floored = None if heaps is None else with_resolution_floor(
        lambda: heaps.resolution(target_scan.kinds()[0]), family, training.get("family_params"))
    return preprocessor, family, classes, moments, floored, untrained


def _keyed(labels: np.ndarray) -> list[tuple[str, object]]:
    """A chunk's labels (:func:`target_labels`), each with its array's dtype kind: text
    ("O"), booleans ("b") or numbers, kept apart in a set (where True == 1)."""
    kind = labels.dtype.kind if labels.dtype.kind in "Ob" else "n"
    return [(kind, v) for v in labels.tolist()]


def _labels_as(text: bool, labels: set, trained: set, held_out: dict) -> tuple[set, set, dict]:
    """The fitted rows' labels, the training rows' and the held-out rows' (label -> rows),
    keyed by :func:`_keyed`: their values, or where the column holds text (chunks of text
    and of numbers) each as text (``label_texts``), as ``target_labels`` reads the whole
    column in memory and ``encode_target`` each chunk."""
    every = list(labels | set(held_out))
    spelling = dict(zip(every, label_texts(v for _, v in every) if text else
                        (v for _, v in every)))  # fmt: skip
    rows: dict = {}
    for label, n in held_out.items():
        rows[spelling[label]] = rows.get(spelling[label], 0) + n
    return {spelling[v] for v in labels}, {spelling[v] for v in trained}, rows


def fit_stream(
    source: TableSource,
    target: str,
    *,
    family: str = "auto",
    hidden: Sequence[int] | None = None,
    epochs: int | None = None,
    seed: int = 0,
    impute: bool = False,
    test_fraction: float = 0.2,
    validation_fraction: float | None = None,
    batch_size: int | str = "auto",
    buffer_rows: int = BUFFER_ROWS,
    chunk_rows: int | None = None,
    early_stopping: bool = True,
    patience: int | None = None,
    tol: float = 1e-4,
    drop: Sequence[str] = (),
    coverage: float = 0.9,
    log: Callable[[str], None] | None = None,
    levels: Sequence[str] | None = None,
    select: bool = False,
    selection_rows: int = SELECTION_ROWS,
    n_jobs: int | None = 1,
    announce: Callable[[str], None] | None = None,
    **estimator_params,
):
    """Fit a :class:`~probnn.tables.model.TabularModel` on a table streamed from disk.

    Parameters
    ----------
    source : TableSource
    target : str
    family : str, default="auto"
        "auto" infers it from the target column over all rows (as ``probnn fit`` does).
    hidden, seed, impute
        As in :meth:`TabularModel.fit <probnn.tables.model.TabularModel.fit>` (None: the
        regressor's defaults, ``defaults.TABLE_CLASSIFIER`` for a classifier).
    epochs : int or None
        Passes over the training rows at most. None: a regressor's "auto" budget of about
        20,000 optimiser steps (at least one epoch), a classifier's 200.
    test_fraction : float
        The part of :func:`row_parts` held out for the metrics.
    validation_fraction : float or None
        The part of the other rows scored after every epoch for early stopping. None: as a
        fit in memory keeps it (:func:`~probnn.tables.model.early_stopping_fraction`: 0.1,
        a regressor's raised to about 20 rows on small tables, none below 40 rows).
    batch_size : int or "auto"
        Rows per optimiser step; "auto" is the estimator's own rule on the number of
        training rows (200 on large data).
    buffer_rows : int, default=BUFFER_ROWS
        Size of the :class:`ShuffleBuffer` (0: no shuffling across chunks).
    chunk_rows : int or None
        Training rows per chunk (each shuffled within by the trainer). None: all of them
        in one chunk when they fit in the buffer, else the multiple of the batch size
        nearest above ``READ_ROWS``.
    early_stopping : bool, default=True
        Stop once the validation NLL has not improved by ``tol`` for ``patience`` epochs
        (None: the regressor's "auto" patience of about 2,000 steps, at least 10 epochs; a
        classifier's 10), and keep the weights of the best epoch.
    drop : sequence of str
        Columns to ignore.
    coverage : float
    log : callable, optional
        Called with a line of progress now and then.
    levels : sequence of str, optional
        A classifier's classes in their order, as in :meth:`TabularModel.fit
        <probnn.tables.model.TabularModel.fit>`.
    select : bool, default=False
        With family "auto": choose family and capacity by held-out NLL
        (:func:`probnn.selection.select_model`, as ``probnn fit --stream no``) on a sample
        of at most ``selection_rows`` of the rows not held out for testing
        (:class:`~probnn.tables.stream_selection.SampleSelection`, drawn in the values
        pass), then stream-train the choice (``hidden`` for a network, none for a GLM, a
        constant model: :func:`~probnn.tables.stream_selection.stream_capacity`). False:
        the type's family (``family_of_kind``).
    selection_rows : int, default=SELECTION_ROWS
    n_jobs : int or None, default=1
        The selection's ``n_jobs``.
    announce : callable, optional
        Called with the selection's line (default: ``log``).
    **estimator_params
        Further estimator parameters (``learning_rate_init``, ``alpha``, ``prior``, ...).

    Returns
    -------
    model : TabularModel
        The same model file format as an in-memory fit.
    info : StreamFit

    Notes
    -----
    The network is trained by the estimator's ``fit_chunks``, the loop of ``fit``
    (``Trainer.run``: the weights' average, early stopping on the validation rows, the
    learning-rate schedule and the divergence checks), on chunks of training rows. When
    the training rows fit in the buffer they are one chunk in row order, prepared as in
    memory: the fit is then ``probnn fit --stream no``'s, step for step (the same held-out
    and validation rows, the same preprocessing, the same figures); a regressor on too few
    rows to hold validation rows out is fitted by ``fit`` itself, its epochs chosen by folds
    (``MLPRegressor.fit_chunks``), and a chosen constant of a hurdle family takes the KT
    reference from the training rows' count of zeros, both as in memory. Otherwise chunks of
    ``chunk_rows`` rows leave the shuffle buffer; a regressor standardises the target with
    the mean and standard deviation of the training rows (the first pass), and the
    prior's penalty is divided by each chunk's rows where a fit in memory divides it by
    all the training rows (at the command line's ``alpha`` negligible either way).
    Validation rows that fit in the buffer are held in memory (a regressor's
    ``recalibrate`` uses them, as in memory); more are streamed each epoch. A mixture on a
    target with a heap inside its range keeps the targets' resolution as in memory
    (:func:`~probnn.tables.resolution.with_resolution_floor`, from the fitted rows'
    values counted in the last first pass: :class:`~probnn.tables.resolution.StreamedHeap`).
    """
    import time

    say = log or (lambda text: None)
    if family != "auto":
        _check_family_name(family)
    if select and (family != "auto" or "family_params" in estimator_params):
        raise ValueError("select=True chooses the family: give family='auto' and no "
                         "family_params")  # fmt: skip
    unknown = [c for c in drop if c not in source.columns]
    if unknown:
        raise DataError(f"--drop names column(s) {', '.join(map(repr, unknown))} not in the data; "
                        f"found columns {', '.join(map(repr, source.columns[:20]))}")  # fmt: skip
    features = [c for c in source.columns if c != target and c not in drop]
    # (the columns a fit in memory digests: its rows' copies, if any, kept on one side)
    parts_of = _Parts(seed, test_fraction, 0.0, [c for c in source.columns if c not in drop])
    estimator_params = {**estimator_params, "n_iter_no_change": patience, "tol": tol,
                        "batch_size": batch_size, "solver": estimator_params.get("solver")}
    if not early_stopping:
        estimator_params["early_stopping"] = False

    def choose_fraction(family: str, n_fit: int) -> float:
        """The validation part: as a fit in memory keeps it (``early_stopping_fraction``),
        or ``validation_fraction`` when given."""
        from probnn.tables.model import early_stopping_fraction, estimator_settings

        settings = estimator_settings(family, hidden, epochs, {
            k: v for k, v in estimator_params.items() if v is not None})  # fmt: skip
        fraction = early_stopping_fraction(family, n_fit, settings)
        if fraction > 0 and validation_fraction is not None:
            return float(validation_fraction)
        return fraction
    info = StreamFit()
    sample = None
    if select and family == "auto":
        from probnn.tables.stream_selection import SampleSelection

        sample = SampleSelection(target, seed, size=selection_rows, say=say, impute=impute,
                                 levels=levels, n_jobs=n_jobs, hidden=hidden, epochs=epochs,
                                 **_selection_params(estimator_params))  # fmt: skip
    started = time.perf_counter()
    preprocessor, family, classes, moments, floored, untrained = _learn_preprocessing(
        source, target, features, impute, parts_of, family, info, levels, estimator_params,
        choose_fraction, sample, announce or say)  # fmt: skip
    if floored is not None:  # the mixture's floor on a heaped target (tables.resolution)
        estimator_params = {**estimator_params, "family_params": floored}
    info.preprocessing_seconds = time.perf_counter() - started
    constant = False
    if sample is not None:
        info.selection, info.selection_rows = sample.selection, len(sample)
        hidden, constant = sample.training(hidden)
        chosen = getattr(sample.selection.model, "estimator", None)
        if sample.selection.capacity == "glm" and hasattr(chosen, "evidence_"):
            # the prior the evidence chose on the sample (a precision on the summed NLL's
            # scale, the same for any number of rows)
            estimator_params = {**estimator_params, "alpha": float(chosen.alpha)}
        (announce or say)(sample.line)
        for note in sample.selection.notes:  # (a point mass scored by densities, a heap)
            (announce or say)(f"warning: {note}")
    else:
        say(f"family: {family} ({info.family_reason})")
    # as TabularModel.fit's: too few rows to fit on are refused, not fitted to a spread of 0
    check_fit_rows(info.rows["train"] + info.rows["validation"], target, constant)
    if info.unseen_labels:  # (a label only held-out rows hold: scored, as in memory)
        (announce or say)(f"warning: {info.unseen_labels}")
    warn_streamed_target_copies(source, target, preprocessor, family, parts_of)  # as in memory
    rows = info.rows
    from probnn.families import get_family  # (refused: a mixture of more components than rows)

    fitted_family = get_family(family, **(estimator_params.get("family_params") or {}))
    getattr(fitted_family, "check_n_rows", lambda n_rows: None)(rows["train"])
    say(f"streaming {rows['all']:,} rows of {source.path} (first passes in "
        f"{info.preprocessing_seconds:.1f} s): training on {rows['train']:,}, validating on "
        f"{rows['validation']:,}, holding out {rows['test']:,} for testing")
    if info.dtype is not None:
        estimator_params = {**estimator_params, "dtype": info.dtype}
    estimator, first_call = _streaming_estimator(family, classes, moments, hidden, epochs, seed,
                                                 parts_of, estimator_params)  # fmt: skip
    model = TabularModel(target=target, family=family, preprocessor=preprocessor,
                         estimator=estimator, target_parser=info.target_parser,
                         classes=None if classes is None else _labels_to_json(classes))  # fmt: skip
    columns = [*features, target]
    dtype = np.float32 if str(estimator.dtype) == "float32" else np.float64

    def prepared(part):
        for batch in source.batches(columns):
            frame = batch.frame[parts_of(batch) == part]
            if len(frame):
                X, y = _located(batch, lambda: (model.transform(frame), model.encode_target(frame)))
                if constant:  # an intercept-only fit, as TabularModel.fit(constant=True)
                    X = np.zeros_like(X)
                yield np.ascontiguousarray(X, dtype=dtype), y

    def in_memory(part):
        """The part's rows as one chunk (they fit in the buffer)."""
        pieces = list(prepared(part))
        return [(np.concatenate([p[0] for p in pieces]), np.concatenate([p[1] for p in pieces]))]

    def training_chunks(chunks):
        """An epoch's chunks, where a class has no training row the first with the add-1/2
        pseudo-rows (``TabularModel.fit(classes=)``'s, in memory; see ``with_pseudo_rows``)."""
        return with_pseudo_rows(chunks, len(classes)) if untrained else chunks

    # the rows "auto" settings are sized by: the training rows and any pseudo-rows, as in memory
    n_rows = rows["train"] + (len(classes) if untrained else 0)

    in_buffer = chunk_rows is None and rows["train"] <= buffer_rows
    if in_buffer:
        # the training rows fit in the buffer: one chunk of all of them in row order, as a
        # fit in memory trains on them (its minibatches drawn within, epoch by epoch; the
        # target standardised by their own moments)
        whole = list(training_chunks(in_memory(TRAIN)))
        epoch_chunks = lambda: iter(whole)  # noqa: E731
        first_call.pop("target_scaling", None)
    else:
        bs = estimator.batch_size if isinstance(estimator.batch_size, int) else 200
        chunk = int(chunk_rows) if chunk_rows else bs * math.ceil(READ_ROWS / bs)
        buffer = ShuffleBuffer(buffer_rows, np.random.default_rng([int(seed) & (2**63 - 1), 0x5EED]))

        def epoch_chunks():
            """One epoch's training rows: through the buffer, cut into chunks of ``chunk``
            rows, read and preprocessed in a second thread while the network trains."""
            def cut():
                rechunk = _Rechunk(chunk)
                for X, y in prepared(TRAIN):
                    for Xb, yb in buffer.push(X, y):
                        yield from rechunk.push(Xb, yb)
                for Xb, yb in buffer.flush():
                    yield from rechunk.push(Xb, yb)
                yield from rechunk.flush()

            return prefetch(training_chunks(cut()), PREFETCH_BATCHES)

    validation = None
    if estimator.early_stopping and rows["validation"]:  # ("auto" on a tiny table: folds)
        validation = (in_memory(VALIDATION)[0] if rows["validation"] <= buffer_rows else
                      lambda: prefetch(prepared(VALIDATION), PREFETCH_BATCHES))  # fmt: skip

    def timed():
        """One epoch's chunks, its training time recorded (validation scoring excluded)."""
        tick, tock = time.perf_counter(), time.process_time()
        yield from epoch_chunks()
        info.epoch_seconds.append(time.perf_counter() - tick)
        info.epoch_cpu_seconds.append(time.process_time() - tock)

    def said(epoch, loss, score):
        line = f"epoch {epoch}: training NLL {loss:.4f}"
        if score is not None:
            line += f", validation NLL {score:.4f}"
        seconds = f" ({info.epoch_seconds[-1]:.1f} s, {info.epoch_cpu_seconds[-1]:.1f} s CPU)" \
            if info.epoch_seconds else ""
        say(line + seconds)

    first_call = {k: v for k, v in first_call.items() if v is not None}
    try:
        estimator.fit_chunks(timed, validation=validation, n_rows=n_rows, on_epoch=said,
                             **first_call)  # fmt: skip
    except PrecisionError as exc:  # float32 cannot resolve the target: before training
        if estimator_params.get("dtype") is not None or classes is not None:
            raise
        dtype = np.float64  # the chunks prepared again, in float64
        info.dtype = _in_float64(exc, target)
        estimator.set_params(dtype=info.dtype)
        if in_buffer:
            whole = list(training_chunks(in_memory(TRAIN)))
        if estimator.early_stopping and 0 < rows["validation"] <= buffer_rows:
            validation = in_memory(VALIDATION)[0]
        info.epoch_seconds.clear()
        info.epoch_cpu_seconds.clear()
        estimator.fit_chunks(timed, validation=validation, n_rows=n_rows, on_epoch=said,
                             **first_call)  # fmt: skip
    if constant:  # weights that never saw a non-zero input: 0, so the features are ignored
        estimator.coefs_[0][...] = 0.0
        if classes is None:  # a hurdle's P(0) by the KT rule where no row holds a zero
            _constant_at_reference(estimator, family, rows["train"], info.train_zeros)
    # held-out metrics over every test row, and samples for the report
    running = RunningMetrics(model.is_classifier, coverage)
    tests, trains = [], []
    n_test = n_train = 0
    from probnn.tables.copies import ContentScan, value_readings

    # the model file's record of the rows' values, as the model reads them
    content = ContentScan(parts_of.columns, value_readings(model.preprocessor, target,
                                                           model.target_parser, model.classes))  # fmt: skip
    with tallied(model.preprocessor):  # held-out rows far outside the range: one warning
        for batch in source.batches(columns):
            parts = parts_of(batch)
            content.add(batch.frame, parts == TEST)
            test = batch.frame[parts == TEST]
            if len(test):
                y = _located(batch, lambda: model.encode_target(test))
                dist = _located(batch, lambda: model.predict_dist(test))
                running.update(y, dist)
                if n_test < REPORT_ROWS:
                    tests.append(test.iloc[: REPORT_ROWS - n_test])
                    n_test += len(tests[-1])
            train = batch.frame[parts == TRAIN]
            if n_train < REPORT_ROWS and len(train):
                trains.append(train.iloc[: REPORT_ROWS - n_train])
                n_train += len(trains[-1])
    info.metrics = running.result()
    info.content = content.record(parts_of.keyed is not None)
    info.test_sample = pd.concat(tests, ignore_index=True)
    info.train_sample = pd.concat(trains, ignore_index=True)
    return model, info


class _Parts:
    """``parts_of(batch)``: each row's part by the row hash (:func:`row_parts`) of its row
    number, or where the table's rows hold copies (``keyed``: the columns, set by
    :meth:`copy_scan`'s decision) of its digest, as ``probnn fit`` in memory keeps a row's
    copies on one side (``tables.copies.copy_groups``). Which rows are held out for testing
    never depends on ``validation_fraction``, which a streamed fit settles after its first
    pass (by the family and the rows, as a fit in memory)."""

    def __init__(self, seed: int, test_fraction: float, validation_fraction: float,
                 columns: list[str] | None = None):  # fmt: skip
        self.seed, self.test_fraction = seed, test_fraction
        self.validation_fraction = validation_fraction
        self.columns, self.keyed = columns, None

    def copy_scan(self, target: str):
        """The first pass's :class:`~probnn.tables.copies.CopyScan` (None: no columns)."""
        from probnn.tables.copies import CopyScan

        return None if self.columns is None else CopyScan(target, self.columns)

    def read(self, columns: list[str]) -> list[str]:
        """``columns`` and those the parts are keyed by."""
        return columns + [c for c in self.keyed or () if c not in columns]

    def __call__(self, batch: Batch) -> np.ndarray:
        if self.keyed is None:
            keys = batch.rows
        else:
            from probnn.tables.copies import row_digests

            keys = row_digests(batch.frame, self.keyed)
        return row_parts(keys, self.seed, self.test_fraction, self.validation_fraction)


def _selection_params(params: dict) -> dict:
    """``select_model``'s network options from ``fit_stream``'s estimator parameters: those
    given (None: the default, but a prior of None, none), as ``probnn fit`` passes them in
    memory."""
    return {k: v for k, v in params.items() if (v is not None or k == "prior") and k != "progress"}


def _streaming_estimator(family, classes, moments, hidden, epochs, seed, parts_of, params):
    """The estimator (:func:`~probnn.tables.model.estimator_settings`, as a fit in memory;
    its "auto" settings resolved by its own rules for the training rows) and the keywords of
    :meth:`fit_chunks <probnn.estimators.MLPRegressor.fit_chunks>`: a classifier's classes,
    a regressor's target standardisation from the first pass (used when the training rows
    come in several chunks)."""
    from probnn.tables.model import estimator_settings

    settings = {k: v for k, v in params.items()
                if (v is not None or k in ("prior", "ema_decay")) and k != "progress"}  # fmt: skip
    # an option left out (None) keeps the default; prior=None (no prior) and ema_decay=None
    # (no average) are choices
    settings = estimator_settings(family, hidden, epochs, settings)
    if settings.get("solver", "adam") == "lbfgs":
        raise ValueError("a streamed fit needs a stochastic solver (adam, sgd, ...); L-BFGS works "
                         "on the whole table in memory")  # fmt: skip
    settings.update(random_state=seed, family=family)
    if parts_of.validation_fraction == 0 and (classes is not None or not isinstance(
            settings.get("early_stopping", "auto"), str)):  # (a regressor's "auto": fit_chunks'
        settings["early_stopping"] = False  # folds on so few rows, as in memory)
    if is_classifier_family(family):
        from probnn.estimators import MLPClassifier

        return MLPClassifier(**settings), {"classes": np.arange(len(classes))}
    from probnn.estimators import MLPRegressor

    std = moments.std
    scaling = (float(moments.mean), std if math.isfinite(std) and std >= np.finfo(np.float64).tiny else 1.0)
    return MLPRegressor(**settings), {"target_scaling": scaling}


# ------------------------------------------------------------- predicting
def predict_stream(model, source: TableSource, write: Callable[[str], None], *,
                   coverage: float = 0.9) -> int:  # fmt: skip
    """Write ``model.predict_table`` of every row of ``source`` as CSV text, batch by batch.

    Parameters
    ----------
    model : TabularModel
    source : TableSource
    write : callable
        Called with consecutive pieces of the CSV text (the header first).
    coverage : float

    Returns
    -------
    int
        Rows predicted.
    """
    n = 0
    with tallied(model.preprocessor):  # rows far outside the training range: one warning
        for batch in source.batches():
            table = _located(batch, lambda: model.predict_table(batch.frame, coverage=coverage))
            write(table.to_csv(index=False, header=n == 0, float_format="%.17g"))
            n += len(table)
    return n


def _kept(batch: Batch, keep: Callable[..., np.ndarray] | None) -> pd.DataFrame:
    """The batch's rows that ``keep`` (row numbers in the table -> bool mask; and the rows
    themselves where ``keep.needs_frame``) keeps."""
    if keep is None:
        return batch.frame
    if getattr(keep, "needs_frame", False):
        return batch.frame[keep(batch.rows, batch.frame)]
    return batch.frame[keep(batch.rows)]


def evaluate_stream(model, source: TableSource, *, coverage: float = 0.9,
                    keep: Callable[..., np.ndarray] | None = None) -> tuple[dict, int]:  # fmt: skip
    """Held-out metrics of ``model`` over the rows of ``source`` (:class:`RunningMetrics`).

    Parameters
    ----------
    model : TabularModel
    source : TableSource
    coverage : float
    keep : callable, optional
        ``keep(rows) -> bool mask`` of the rows to score, given their numbers in the table
        (uint64, shape (n,)): the rows a fit held out, on its own data. With a true
        attribute ``needs_frame``, ``keep(rows, frame)``, given the rows too (a fit that
        kept a row's copies together split by their values). None: every row.

    Returns
    -------
    metrics : dict
    n_rows : int
        Rows scored.
    """
    running = RunningMetrics(model.is_classifier, coverage)
    with tallied(model.preprocessor):  # rows far outside the training range: one warning
        for batch in source.batches():
            frame = _kept(batch, keep)
            if len(frame):
                y = _located(batch, lambda: model.encode_target(frame))
                running.update(y, _located(batch, lambda: model.predict_dist(frame)))
    if running.n == 0:
        raise DataError(f"expected rows to score in {source.path}; found none")
    return running.result(), running.n


def head_rows(source: TableSource, n: int = REPORT_ROWS,
              keep: Callable[..., np.ndarray] | None = None) -> pd.DataFrame:  # fmt: skip
    """The first ``n`` rows of ``source`` that ``keep`` keeps (all: None): a report's sample."""
    frames, have = [], 0
    for batch in source.batches():
        frames.append(_kept(batch, keep).iloc[: n - have])
        have += len(frames[-1])
        if have >= n:
            break
    return pd.concat(frames, ignore_index=True)
