"""What the commands share: reading the table, output paths checked before any work,
reports written whole into their folder, the lines printed."""

from __future__ import annotations

import math
import os
import pathlib
import sys
from collections.abc import Sequence

from probnn.cli._errors import UsageError
from probnn.exceptions import DataError


def _say(args, text: str = "") -> None:
    if not getattr(args, "quiet", False):
        print(text)


def _read(path: str):
    from probnn.tables.sources import read_table

    return read_table(path)


def _drop(frame, columns: list[str], target: str | None = None):
    unknown = [c for c in columns if c not in frame.columns]
    if unknown:
        raise DataError(
            f"--drop names column(s) {', '.join(map(repr, unknown))} not in the data; found "
            f"columns {', '.join(map(repr, list(frame.columns)[:20]))}"
        )
    if target is not None and target in columns:
        raise UsageError(f"--drop removes the target column {target!r}")
    # (nothing to drop: the frame itself; pandas' drop of none rebuilds every column,
    # 11 s for a table of 200,000 columns)
    return frame.drop(columns=columns) if columns else frame


def _check_rows_for(family: str, family_params: dict, n_train: int,
                    n_validation: int = 0) -> None:
    """Bad usage, before any work, for family parameters that the rows the network fits
    cannot identify (a mixture of more components than rows: ``check_n_rows``)."""
    from probnn.families import get_family

    check = getattr(get_family(family, **family_params), "check_n_rows", None)
    try:
        if check is not None:
            check(n_train - n_validation)
    except ValueError as exc:
        held = (f" (the {n_train:,} training rows less early stopping's {n_validation:,})"
                if n_validation else "")  # fmt: skip
        raise UsageError(f"--family-param: {exc}{held}") from None


def _check_training_targets(column, train, n_rows: int, select: bool, values: bool) -> None:
    """DataError where the split left too little to fit: fewer training rows than
    ``--family auto``'s folds need (``select``: 2), or (``values``: a family fitted to the
    target's values, not its bounds nor a class label's pseudo-counts) one target value
    only, whose fitted spread is 0 (``--test-size 0.999``: a normal fitted to 1 row, then
    "scoring the best constant model failed: scale ... found 0"; compare ranked 1-row fits).
    ``column``: the target, all rows; ``train``: the training rows' positions."""
    where = (f"{len(train):,} training row{'' if len(train) == 1 else 's'} of {n_rows:,} "
             "(--test-size, --seed)")
    if select and len(train) < 2:  # (below 5 rows its folds hold out one row each)
        raise DataError("expected at least 2 training rows for --family auto's cross-"
                        f"validation (one to fit, one to hold out); found {where}")  # fmt: skip
    seen = column.iloc[train].dropna().unique() if values else ()
    if values and len(seen) < 2:
        raise DataError(f"expected at least two distinct target values to train on; found "
                        f"only {seen[0]} in {where}" if len(seen) else
                        f"expected target values to train on; found none in {where}")  # fmt: skip


def _same_path(a: pathlib.Path, b: pathlib.Path) -> bool:
    """Whether two paths name the same file (hard and symbolic links included)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def _inside(path: pathlib.Path, folder: pathlib.Path) -> bool:
    """Whether ``path`` is ``folder`` or lies somewhere under it."""
    real, top = pathlib.Path(os.path.realpath(path)), pathlib.Path(os.path.realpath(folder))
    return real == top or top in real.parents


def _existing_ancestor(path: pathlib.Path) -> pathlib.Path:
    here = pathlib.Path(os.path.abspath(path))
    while not here.exists() and here != here.parent:
        here = here.parent
    return here


def _can_create_in(folder: pathlib.Path) -> bool:
    """Whether a file can be created in ``folder``, by trying (an unnamed temporary file).

    ``os.access`` answers yes to root everywhere, also on read-only file systems and
    in /sys, where the write itself then fails after the whole fit.
    """
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _check_output_file(out: pathlib.Path, option: str, inputs: Sequence[tuple[str, str]]) -> None:
    """Bad usage unless ``out`` can be written and replaces none of the ``inputs``.

    ``inputs`` holds ``(what, path)`` pairs, e.g. ``("the data", "d.csv")``.
    """
    for what, path in inputs:
        if _same_path(out, pathlib.Path(path)):
            raise UsageError(f"{option} {out} would replace {what} {path}; choose another file")
    if out.is_dir():
        raise UsageError(f"{option} expects a file; found a folder at {out}")
    folder = out.parent if str(out.parent) else pathlib.Path(".")
    if not folder.is_dir():
        raise UsageError(f"{option} {out}: expected an existing folder {folder}; found none")
    if not _can_create_in(folder):
        raise UsageError(f"{option} {out}: the folder {folder} is not writable")
    if out.exists() and not os.access(out, os.W_OK):
        raise UsageError(f"{option} {out}: the file is not writable")


def _check_report_dir(report: pathlib.Path, option: str, inputs: Sequence[tuple[str, str]],
                      files: Sequence[pathlib.Path] = ()) -> None:  # fmt: skip
    """Bad usage unless the report folder can be written, holds none of the inputs, and is
    new, empty or a previous report (it holds ``probnn.report.REPORT_MARKER``)."""
    for what, path in inputs:
        if _inside(pathlib.Path(path), report):
            raise UsageError(
                f"{option} {report} would write over {what} {path}, which is in that folder; "
                "choose another folder"
            )
    for path in files:
        if _same_path(report, path):
            raise UsageError(f"{option} {report} is the model file's path; choose another folder")
    if report.exists() and not report.is_dir():
        raise UsageError(f"{option} expects a folder; found a file at {report}")
    from probnn.report import report_folder_problem

    problem = report_folder_problem(report)  # the user's own report.html is not ours to replace
    if problem is not None:
        raise UsageError(f"{option} {problem}")
    # the report is drawn in a temporary folder beside it (_staged_report), then moved in
    for base in dict.fromkeys([_staging_base(report), _existing_ancestor(report)]):
        if not base.is_dir():
            raise UsageError(f"{option} {report}: {base} is a file, not a folder")
        if not _can_create_in(base):
            raise UsageError(f"{option} {report}: the folder {base} is not writable")


def _staging_base(report: pathlib.Path) -> pathlib.Path:
    """Where a report's temporary folder goes: beside the report folder, never inside it
    (an empty folder must stay empty until the report is complete)."""
    return _existing_ancestor(pathlib.Path(os.path.abspath(report)).parent)


_LABELS = {
    "nll_nats": "NLL (nats per example)",
    "nll_bits": "NLL (bits per example)",
    "crps": "CRPS (units of the target)",
    "accuracy": "accuracy",
    "brier": "Brier score",
    "ece": "expected calibration error",
    "rmse": "RMSE",
    "mae": "MAE",
    "coverage": "interval coverage",
    "pit_ks": "PIT KS distance from uniform",
    "concordance": "concordance index (Harrell's C)",
    "d_calibration_p": "D-calibration p-value",
}


# Metrics in the target's units: their scale is the data's, so they keep significant digits.
_TARGET_UNITS = ("crps", "rmse", "mae")


# From this magnitude on, any figure prints with an exponent: four decimals of a CRPS of
# 4.5e29 are 34 digits, whose count has to be read off by eye.
_EXPONENT_FROM = 1e6


def _figure(key: str, value: float) -> str:
    """A metric as printed: four decimals; a metric in the target's units below 0.1 in
    magnitude (where four decimals keep fewer than four significant digits, and a target of
    scale 1e-9 would read 0.0000), and any figure of magnitude ``_EXPONENT_FROM`` (1e6) or
    more, with four significant digits and an exponent (``1.000e-09``, ``4.496e+29``)."""
    if not math.isfinite(value):
        return f"{value:.4f}"
    small = key in _TARGET_UNITS and value != 0 and abs(value) < 0.1
    if small or abs(round(value, 4)) >= _EXPONENT_FROM:  # (as four decimals would round it)
        return f"{value:#.4g}"
    return f"{value:.4f}"


def _print_metrics(metrics: dict, coverage: float | None = None) -> None:
    """One line a metric; the model's own mass of the intervals (``coverage_expected``) goes
    on the coverage's line, and only where it is not the nominal coverage (a count law)."""
    expected = metrics.get("coverage_expected")
    for key, value in metrics.items():
        if key == "coverage_expected":
            continue
        label = _LABELS.get(key, key)
        if key == "coverage" and coverage is not None:
            label = f"coverage of the {coverage:.0%} interval"
        line = f"  {label:<34} {_figure(key, value)}"
        if key in ("rmse", "mae") and math.isnan(value):  # (targets are finite: no mean)
            line += " (the predictive mean does not exist, e.g. a Student-t with df <= 1)"
        if key == "coverage" and expected is not None and (
                coverage is None or abs(expected - coverage) > 5e-5):
            line += f" (the model's own mass of those intervals: {expected:.4f})"
        print(line)


def _load_tabular(path: str):
    from probnn.model_file import load_model
    from probnn.tables.model import TabularModel

    model = load_model(path)
    if not isinstance(model, TabularModel):
        raise DataError(
            f"expected a model saved by 'probnn fit' (with its preprocessing); {path} holds a "
            f"bare {type(model).__name__}"
        )
    return model


def _progress(args) -> bool:
    """A progress bar only on a terminal: a redirected log gets no carriage-return frames."""
    return not args.quiet and sys.stderr.isatty()


def _runs_elsewhere(args) -> bool:
    """Whether the command's fits run in other processes (--jobs, --scheduler)."""
    return getattr(args, "jobs", 1) != 1 or bool(getattr(args, "scheduler", None))


def _end_of_training(args, estimator, seconds: float, label: str = "training") -> None:
    """One line on stderr: epochs run, why training stopped, time taken."""
    from probnn.report.card import stop_reason

    if not args.quiet:
        print(f"{label}: {stop_reason(estimator)} ({seconds:.1f} s)", file=sys.stderr)


def _staged_report(report_dir: pathlib.Path, write) -> pathlib.Path:
    """Run ``write(folder)`` in a temporary folder, then move its files into ``report_dir``.

    ``report.html`` moves last: a complete page means complete figures.
    """
    import shutil
    import tempfile

    base = _staging_base(report_dir)
    staging = pathlib.Path(tempfile.mkdtemp(dir=base, prefix=f".{report_dir.name}.", suffix=".tmp"))
    try:
        html = write(staging)
        from probnn.report import report_folder_problem

        problem = report_folder_problem(report_dir)  # checked again: the user had all this time
        if problem is not None:
            raise FileExistsError(problem)
        report_dir.mkdir(parents=True, exist_ok=True)
        for name in sorted(p.name for p in staging.iterdir()):
            if name != html.name:
                os.replace(staging / name, report_dir / name)
        os.replace(html, report_dir / html.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report_dir / html.name


def _write_model_report(model, metrics, report_dir, args, facts) -> pathlib.Path:
    """The report of one model on some rows (``fit``: held out; ``evaluate``: a file's)."""
    from probnn.report.model_card import write_model_report

    facts = dict(facts)
    title = facts.pop("title", None) or (
        f"probnn fit {pathlib.Path(args.data).name} --target {model.target}")
    return _staged_report(report_dir, lambda folder: write_model_report(
        folder, model, metrics, title=title, coverage=args.coverage,
        drop=getattr(args, "drop", []), **facts))
