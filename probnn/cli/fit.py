"""``probnn fit``: a table in, a model file and its report out (in memory or streamed)."""

from __future__ import annotations

import contextlib
import pathlib
import time

from probnn._split import split_rows
from probnn.cli._common import (_check_output_file, _check_report_dir, _check_rows_for,
                                _check_training_targets, _drop, _end_of_training, _inside,
                                _print_metrics, _progress, _read, _runs_elsewhere, _say,
                                _write_model_report)  # fmt: skip
from probnn.cli._errors import UsageError
from probnn.cli._fit_labels import _check_n_classes, _column_classes, _unseen_labels
from probnn.cli._fit_warnings import _coverage_far_below, _worse_than_constant
from probnn.cli._glm import (checks_glm_by_folds, default_solver, glm_fold_warning,
                             network_glm_warning, settle_glm)  # fmt: skip
from probnn.cli.options import (_censoring, _check_ensemble, _check_family_name, _check_family_params,
                                _check_levels, _cluster, _estimator_params, _family_params,
                                _in_memory_only, _streams)  # fmt: skip
from probnn.exceptions import DataError


# How ``fit`` chose its held-out rows, as its model file records it (``TabularModel.
# training_data``): by the row hash (``probnn.tables.split.row_parts``) in memory and
# streamed; "permutation" only in files an in-memory fit wrote before (``evaluate`` reads it).
SPLIT_PERMUTATION, SPLIT_ROW_HASH = "permutation", "row-hash"


def _training_record(data_sha: str, rows: int, args, rule: str) -> dict:
    """What ``evaluate`` needs to recognise the fitted data and re-derive its held-out rows."""
    return {"sha256": data_sha, "rows": int(rows), "split": rule, "seed": int(args.seed),
            "test_fraction": float(args.test_size)}  # fmt: skip


class _TableContent:
    """The rows of a table in memory by their values (``tables.copies``): what the model file
    records so ``evaluate`` knows its training rows in another file, and the split's keys
    where whole rows of a continuous target repeat (copies, kept on one side of every split:
    said in one warning line; a streamed fit keys and says them alike)."""

    def __init__(self, frame, target: str) -> None:
        from probnn.tables.copies import copies_warning, copy_groups, distinct_sorted, row_digests

        self.frame, self.columns = frame, [str(c) for c in frame.columns]
        self.digests = row_digests(frame, self.columns)
        self.keys = copy_groups(frame, target, self.columns, self.digests)
        if self.keys is not None:
            print(copies_warning(int(frame.shape[0] - distinct_sorted(self.digests).size)))

    def rows(self, rows):
        """The keys the row hash splits ``rows`` (table row numbers) by."""
        return rows if self.keys is None else self.keys[rows]

    def folds(self, train) -> dict:
        """``select_model``'s ``groups``: the selection's folds of the training rows and
        their early stopping keep a row's copies on one side (none where there are none)."""
        return {} if self.keys is None else {"groups": self.keys[train]}

    def record(self, train, test, model) -> dict:
        """The model file's record of the table by content (``tables.model._training_data``),
        its rows digested as ``model`` reads them (the split's keys: as read)."""
        from probnn.tables.copies import content_record, row_digests, value_readings

        readings = value_readings(model.preprocessor, model.target, model.target_parser,
                                  getattr(model, "classes", None))
        values = row_digests(self.frame, self.columns, readings)
        return content_record(self.columns, values, train, test, self.keys is not None,
                              self.digests)  # fmt: skip


def _fit_outputs(args) -> tuple[pathlib.Path, pathlib.Path]:
    """The model file and report folder of ``probnn fit``, checked before any training.

    The model defaults to ``DATA-stem.safetensors`` in the current folder; the report to
    ``MODEL-stem-report`` beside the model file. Neither may replace the data, and their
    folders must be writable (bad usage, exit 2, otherwise).
    """
    out = pathlib.Path(args.out or f"{pathlib.Path(args.data).stem}.safetensors")
    report = pathlib.Path(args.report) if args.report else out.parent / f"{out.stem}-report"
    inputs = [("the data", args.data)]
    _check_output_file(out, "--out", inputs)
    _check_report_dir(report, "--report", inputs, files=[out])
    if _inside(out, report) and out.name in _report_files():
        raise UsageError(f"--out {out} is a file the report writes; choose another name")
    return out, report


def _report_files() -> tuple[str, ...]:
    """The files a report may write into its folder."""
    from probnn.report import REPORT_FILES

    return REPORT_FILES


def _cmd_fit(args) -> int:
    from probnn.tables.censoring import censored_family
    from probnn.tables.model import TabularModel
    from probnn.tables.targets import (check_target_column, infer_family, target_kinds,
                                       validate_frame)

    _check_family_name(args.family)
    out, report_dir = _fit_outputs(args)  # before reading: a bad path fails in a second
    if args.hidden == ():
        _say(args, "no hidden layer (--hidden none): the family's generalised linear model")
    family_params = _family_params(args)
    if family_params and args.family != "auto":
        _check_family_params(args.family, family_params)
    _check_ensemble(args, args.family)
    _check_levels(args, args.family)
    censoring = _censoring(args)
    posterior = getattr(args, "posterior", "none")
    # the selection scores single networks (a censored target by its censored likelihood);
    # --ensemble M and --posterior laplace then apply to its choice (cli._chosen); with
    # --family-param (a parameter of a named family): the type's family, said
    without = "--family-param" if family_params else None
    select = args.family == "auto" and without is None and not _streams(args)
    if args.point_mass is not None and not (select and censoring is None):
        raise UsageError(f"--point-mass {args.point_mass} sets how the selection (--family auto, "
                         "in memory, no explicit censoring) scores a point mass; it has no "
                         "effect here")  # fmt: skip
    if _runs_elsewhere(args) and args.ensemble == 1 and (getattr(args, "scheduler", None)
                                                         or not select):  # fmt: skip
        raise UsageError("--jobs spreads a selection's families (--family auto) or an "
                         "ensemble's networks (--ensemble M) over worker processes, "
                         "--scheduler an ensemble's; a single network trains in one process")
    if _streams(args):
        _in_memory_only(censoring)
        default_solver(args)
        return _fit_streamed(args, out, report_dir, family_params)
    raw_frame = _read(args.data)
    from probnn.report.card import file_sha256

    data_sha = file_sha256(args.data)  # the model file's and the report's fingerprint of DATA
    frame = _drop(raw_frame, args.drop, args.target)
    check_target_column(frame, args.target)
    family = args.family
    reason = f"chosen with --family {family}"
    if family == "auto":
        family, why = (censored_family(frame[args.target]) if censoring
                       else infer_family(frame[args.target], args.levels))
        reason = f"inferred because {why}"
        if not select:
            _say(args, f"family: {family} ({why}; no selection by likelihood with {without})")
        _check_family_params(family, family_params)
        _check_ensemble(args, family)
    _check_levels(args, family)
    # the row count first: a wide table of 3 rows is refused before its columns are read
    split_rows(frame.shape[0], args.seed, args.test_size)
    # (selecting: the bad rows the type's family names are those every candidate meets)
    validate_frame(frame, args.target, family, args.impute, args.levels, censoring=censoring,
                   dtype=args.dtype or "float64")  # (none given: float64 where float32 fails)
    content = _TableContent(frame, args.target)  # its rows' digests; a row's copies kept with it
    train, test = split_rows(frame.shape[0], args.seed, args.test_size, content.keys)
    from probnn.families import FAMILIES

    _check_training_targets(frame[args.target], train, frame.shape[0], select, not select
                            and censoring is None and not FAMILIES[family].is_classifier)
    settle_glm(args, [family], train.size, select, censoring is not None)  # cli._glm
    # early stopping's rows by the same hash as a streamed fit's (tables.split.row_parts)
    validation = _validation_rows(content.rows(train), family, args)  # (after the solver's set)
    _check_rows_for(family, family_params, train.size,
                    0 if validation is None else int(validation.sum()))
    # a class model knows every label of the column, held-out rows' too: a label whose
    # every row is held out is scored (its half pseudo-count's probability), said here
    kinds = target_kinds(frame[args.target], args.levels) if select else None  # (held-out rows too)
    classes = _column_classes(frame[args.target], args.target, family, args.levels, kinds)
    known = {} if classes is None else {"classes": classes}
    _check_n_classes(family_params, classes)
    unseen = _unseen_labels(frame[args.target], train, test, classes, args.target)
    if unseen and not select:  # (selecting: said only if a class model is chosen, below)
        print(f"warning: {unseen}")
    _say(args, f"training on {train.size} rows, holding out {test.size} for testing")
    extra = {"family_params": family_params} if family_params else {}
    started, cpu = time.perf_counter(), time.process_time()
    selection = None
    if select:  # every family of the target's kind x {constant, GLM, network}, by held-out NLL
        from probnn.cli._chosen import apply_option, selection_keywords
        from probnn.selection import select_model

        params = {k: v for k, v in _estimator_params(args).items() if k != "posterior"}
        selection = select_model(
            frame.iloc[train].drop(columns=[args.target]), frame[args.target].iloc[train],
            seed=args.seed, impute=args.impute, levels=args.levels, say=lambda t: _say(args, t),
            n_jobs=args.jobs,  # a stage's families at once, where cores allow
            censoring=censoring, hidden=args.hidden,
            kinds=kinds,  # the held-out rows' values too
            classes=classes, solver=args.solver, epochs=args.epochs, **content.folds(train),
            **selection_keywords(args, posterior), **params)  # fmt: skip

        def fit_ensemble(chosen):  # --ensemble M of the network the selection kept (one split)
            with _cluster(args):
                return TabularModel.fit(
                    frame.iloc[train], args.target, family=chosen, hidden=args.hidden,
                    solver=args.solver, epochs=args.epochs, seed=args.seed, impute=args.impute,
                    ensemble=args.ensemble, n_jobs=args.jobs, levels=args.levels,
                    censoring=selection.censoring, **params)  # fmt: skip

        model, reason = apply_option(selection, frame.iloc[train], args, posterior, fit_ensemble)
        if selection.point_mass:  # a point mass read as censored: said, with the way out
            print(f"{selection.point_mass}; --point-mass density to score densities")
        print(reason)
        for note in selection.notes:
            print(f"warning: {note}")
        if unseen and FAMILIES[model.family].is_classifier:  # a count family scores any count
            print(f"warning: {unseen}")
    else:
        def fit(rows, validation=None, progress=False):
            return TabularModel.fit(
                rows, args.target, family=family, hidden=args.hidden,
                solver=args.solver, epochs=args.epochs, seed=args.seed, impute=args.impute,
                progress=progress, ensemble=args.ensemble,
                n_jobs=args.jobs, levels=args.levels, censoring=censoring,
                validation=validation, **_estimator_params(args), **extra, **known,
            )  # fmt: skip

        with _cluster(args):
            model = fit(frame.iloc[train], validation,
                        _progress(args) and not _runs_elsewhere(args))  # fmt: skip
    timing = {"training": time.perf_counter() - started,  # the CPU of workers elsewhere: unknown
              "cpu": None if _runs_elsewhere(args) else time.process_time() - cpu}
    _end_of_training(args, model.estimator, timing["training"])
    if not select and checks_glm_by_folds(args, family, train.size, censoring is not None):
        warning = glm_fold_warning(frame.iloc[train], fit, args.seed)  # cli._glm: < 40 rows
        if warning:
            print(warning)
    model.training_data = {**_training_record(data_sha, frame.shape[0], args, SPLIT_ROW_HASH),
                           **content.record(train, test, model)}  # fmt: skip
    _save_model(args, model, out)  # first: whatever fails after training, the model is kept
    held_out = frame.iloc[test]
    with _model_kept(out, "scoring the held-out rows"):
        metrics = model.evaluate(held_out, coverage=args.coverage)
    facts = dict(data=args.data, rows=raw_frame.shape[0], train=frame.iloc[train],
                 held_out=held_out, reason=reason, timing=timing, data_sha=data_sha,
                 selection=None if selection is None else selection.table,
                 split=f"{train.size:,} training rows, {test.size:,} held out "
                       f"(--test-size {args.test_size:g}, --seed {args.seed})"
                       + (f"; {unseen}" if unseen else ""))  # fmt: skip
    if not select:  # an explicit family's network against its GLM (cli._glm; only printed)
        facts["glm_check"] = lambda: network_glm_warning(
            args, model, frame.iloc[train], held_out, family, censoring, family_params, classes)
    return _save_fit(args, model, metrics, test.size, out, report_dir, facts, saved=True)


def _validation_rows(train, family: str, args):
    """Which of the training rows early stopping scores (``tables.model.early_stopping_rows``:
    the row hash of a streamed fit); None for an ensemble (its networks hold out their own)."""
    from probnn.tables.model import early_stopping_rows

    if args.ensemble > 1:
        return None
    return early_stopping_rows(train, family, args.seed, args.test_size, hidden=args.hidden,
                               epochs=args.epochs, solver=args.solver,
                               **_estimator_params(args))  # fmt: skip


def _save_model(args, model, out: pathlib.Path) -> None:
    """Write the trained model to ``out`` (atomically) and say so."""
    from probnn.model_file import save_model

    save_model(model, out)
    _say(args, f"model written to {out}")


@contextlib.contextmanager


def _model_kept(out: pathlib.Path, what: str):
    """Any failure inside, once the model is saved, is one line saying where the model is."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - any cause: the model is saved, say so
        raise DataError(f"the model is saved in {out}, but {what} failed: "
                        f"{_describe_failure(exc)}") from exc  # fmt: skip


def _save_fit(args, model, metrics: dict, n_test: int, out: pathlib.Path,
              report_dir: pathlib.Path, facts: dict, saved: bool = False) -> int:  # fmt: skip
    """The end of ``probnn fit``: held-out metrics printed, the model file and its report."""
    # The trained model is saved first (atomically): whatever stops the report afterwards,
    # the training is not lost, and the one error line says where the model is. The report
    # is drawn in a temporary folder and moved into place, so it is whole or absent.
    if not saved:
        _save_model(args, model, out)
    print(f"held-out metrics ({n_test} rows, family {model.family}):")
    _print_metrics(metrics, args.coverage)
    from probnn.report.card import posterior_line

    line = posterior_line(model.estimator)  # --posterior laplace: its prior and evidence
    if line:
        print(line)
    if facts.get("train") is not None:  # computed once: for this warning and the report
        from probnn.report.model_card import constant_model

        with _model_kept(out, "scoring the best constant model"):
            facts["constant"] = constant_model(model, facts["train"], facts["held_out"])
        warning = _worse_than_constant(model, float(metrics["nll_nats"]), facts["constant"][0])
        if warning:
            print(warning)
    check = facts.pop("glm_check", None)  # (not the report's: a console line)
    if check is not None:
        with _model_kept(out, "comparing the network with its GLM"):
            warning = check()
        if warning:
            print(warning)
    warning = _coverage_far_below(metrics, n_test, args.coverage)
    if warning:
        print(warning)
    with _model_kept(out, f"writing its report into {report_dir}"):
        html = _write_model_report(model, metrics, report_dir, args, facts)
    _say(args, f"report written to {html}")
    return 0


def _describe_failure(exc: BaseException) -> str:
    """One exception in a user's words (an OSError as its reason and file)."""
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
    if isinstance(exc, (DataError, ValueError, UsageError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc} (an error of probnn's: please report this)"


def _fit_streamed(args, out: pathlib.Path, report_dir: pathlib.Path, family_params: dict) -> int:
    """``probnn fit --stream``: the table in record batches (``probnn.tables.streaming.fit_stream``)."""
    from probnn.tables.sources import TableSource
    from probnn.tables.streaming import fit_stream

    if args.solver == "lbfgs":
        raise UsageError("--stream trains by minibatches: use --solver adam or sgd (L-BFGS needs "
                         "the whole table in memory; --stream no)")  # fmt: skip
    if args.ensemble > 1:
        raise UsageError("--ensemble fits several networks on a table in memory; use --stream no")
    if args.target in args.drop:
        raise UsageError(f"--drop removes the target column {args.target!r}")
    source = TableSource(args.data)  # every file opened: a corrupt one is named before training
    from probnn.tables.targets import check_target_column

    check_target_column(source.columns_frame(), args.target)
    from probnn.report.card import file_sha256

    data_sha = file_sha256(args.data)  # the model file's and the report's fingerprint of DATA
    # --family auto: family and capacity by held-out NLL on a sample of the training rows
    # (tables.stream_selection), but with --family-param (as in memory: the type's family)
    select = args.family == "auto" and not family_params
    if args.family == "auto" and not select:
        _say(args, "--stream: the family is the default for the target's kind (no selection "
                   "by likelihood with --family-param)")
    extra = {"family_params": family_params} if family_params else {}
    started, cpu = time.perf_counter(), time.process_time()
    model, info = fit_stream(
        source, args.target, family=args.family, hidden=args.hidden, epochs=args.epochs,
        seed=args.seed, impute=args.impute, test_fraction=args.test_size,
        batch_size=args.batch_size, patience=args.patience, drop=args.drop,
        coverage=args.coverage, log=lambda text: _say(args, text), solver=args.solver,
        levels=args.levels, select=select, n_jobs=args.jobs, announce=print,
        **{k: v for k, v in _estimator_params(args).items()
           if k not in ("batch_size", "n_iter_no_change")}, **extra,
    )  # fmt: skip
    timing = {"training": time.perf_counter() - started, "cpu": time.process_time() - cpu}
    _end_of_training(args, model.estimator, timing["training"])
    rows, sample = info.rows, info.test_sample
    model.training_data = {**_training_record(data_sha, rows["all"], args, SPLIT_ROW_HASH),
                           **info.content}  # (its rows' values: tables.copies.ContentScan)
    facts = dict(data=args.data, rows=rows["all"], train=info.train_sample, held_out=sample,
                 reason=info.family_reason, timing=timing, data_sha=data_sha,
                 selection=None if info.selection is None else info.selection.table,
                 split=f"{rows['train']:,} training rows, {rows['validation']:,} validation rows "
                       f"(early stopping), {rows['test']:,} held out, each chosen by a hash of "
                       f"its row number (--test-size {args.test_size:g}, --seed {args.seed}); "
                       f"metrics over all held-out rows, figures over the first "
                       f"{len(sample):,}"
                       + (f"; {info.unseen_labels}" if info.unseen_labels else ""))  # fmt: skip
    return _save_fit(args, model, info.metrics, rows["test"], out, report_dir, facts)
