"""The ``probnn`` command: demo, fit, predict, evaluate, compare, derive, figures.

Every failure a user can cause ends with one line on stderr,
``probnn: error: ...``, and exit code 1 (bad data or files) or 2 (bad usage);
never a traceback. Heavy libraries (scikit-learn, matplotlib, pandas) are
imported inside the commands, so ``probnn --help`` and ``probnn derive`` start
fast.
"""

from __future__ import annotations

import argparse
import math
import os
import pathlib
import re
import sys
import warnings
from collections.abc import Sequence

from probnn._version import __version__
from probnn.exceptions import DataError, TrainingDivergedError

__all__ = ["main", "build_parser"]

TEST_FRACTION = 0.2


def _family_choices() -> list[str]:
    from probnn.families import FAMILIES

    return ["auto", *FAMILIES]


def _families_for(kind: str) -> list[str]:
    from probnn.families import families_for

    return families_for(kind)


def _family_params_help() -> str:
    """``NAME: PARAM, ...`` for each family with fixed parameters, from the registry."""
    from probnn.families import FAMILIES

    return "; ".join(f"{name}: {', '.join(cls.fixed_params)}"
                     for name, cls in FAMILIES.items() if cls.fixed_params)  # fmt: skip
MIN_ROWS = 5


class UsageError(Exception):
    """Bad command-line usage: exit code 2."""


class _Parser(argparse.ArgumentParser):
    # argparse prints usage plus a message and exits; we want exactly one line, which
    # _fail prefixes with "probnn: error: ", so name only the sub-command here.
    def error(self, message: str):
        command = self.prog.removeprefix("probnn").strip()
        raise UsageError(f"{command}: {message}" if command else message)


def _hidden(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        sizes = ()
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(
            f"expected positive integers separated by commas, e.g. 64,64; found {text!r}"
        )
    return sizes


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; found {text!r}")
    return value


def _coverage(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number strictly between 0 and 1; found {text!r}")
    return value


def _columns(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def _family_param(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    name = name.strip()
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not sep or not name.isidentifier() or not math.isfinite(number):
        raise argparse.ArgumentTypeError(
            f"expected NAME=NUMBER, e.g. scale=2.5 or df=4; found {text!r}"
        )
    return name, number


def _family_params(args) -> dict[str, float]:
    """The ``--family-param`` pairs as a dict; a name given twice is bad usage."""
    params: dict[str, float] = {}
    for name, value in getattr(args, "family_param", None) or []:
        if name in params:
            raise UsageError(f"--family-param gives {name} twice ({params[name]:g} and {value:g})")
        params[name] = value
    return params


def _check_family_params(family: str, params: dict[str, float]) -> None:
    """Bad usage unless ``family`` accepts ``params`` (names and values)."""
    if not params:
        return
    from probnn.families import get_family

    try:
        get_family(family, **params)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"--family-param: {exc}") from None


def _add_training_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--drop", type=_columns, default=[], metavar="COLS",
                   help="comma-separated columns to ignore")
    p.add_argument("--hidden", type=_hidden, default=(64, 64), metavar="SIZES",
                   help="hidden layer sizes (default 64,64)")
    p.add_argument("--solver", choices=("adam", "sgd", "lbfgs"), default="adam")
    p.add_argument("--epochs", type=_positive_int, default=200, metavar="N",
                   help="maximum training epochs (default 200; adam and sgd stop earlier "
                        "once the NLL of a validation tenth stops improving)")
    p.add_argument("--seed", type=int, default=0, help="random seed for the split and the weights")
    p.add_argument("--impute", action="store_true",
                   help="fill missing feature values (median / most frequent) instead of failing")
    p.add_argument("--quiet", action="store_true", help="print only the results")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``probnn`` command."""
    parser = _Parser(
        prog="probnn",
        description="Neural networks seen through probability: the network outputs the "
        "parameters of a distribution, the loss is its negative log-likelihood.",
    )
    parser.add_argument("--version", action="version", version=f"probnn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("demo", help="digits 0 vs 1 as Bernoulli(sigmoid(MLP(x))), with a report")
    p.add_argument("--out", default="probnn-demo-report", metavar="DIR", help="report folder")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("fit", help="fit a model to a CSV / Parquet file and save it")
    p.add_argument("data", metavar="DATA", help="CSV or Parquet file with a header row")
    p.add_argument("--target", required=True, metavar="COL", help="the column to predict")
    p.add_argument("--family", choices=_family_choices(), default="auto",
                   help="the likelihood (default: auto, the registry's default for the target's "
                        "kind; 'probnn derive NAME' shows one's mathematics)")
    p.add_argument("--family-param", type=_family_param, action="append", default=[],
                   metavar="NAME=VALUE",
                   help=f"a fixed parameter of the family ({_family_params_help()}); repeatable")
    _add_training_options(p)
    p.add_argument("--out", metavar="MODEL", help="model file (default DATA-stem.safetensors)")
    p.add_argument("--report", metavar="DIR",
                   help="report folder (default MODEL-stem-report beside the model file)")
    p.add_argument("--coverage", type=_coverage, default=0.9, help="interval coverage (regression)")
    p.set_defaults(func=_cmd_fit)

    p = sub.add_parser("predict", help="predictions and distribution parameters as CSV")
    p.add_argument("model", metavar="MODEL", help="model file written by 'probnn fit'")
    p.add_argument("data", metavar="DATA", help="CSV or Parquet file with the model's feature columns")
    p.add_argument("--out", metavar="FILE", help="CSV file (default: standard output)")
    p.add_argument("--coverage", type=_coverage, default=0.9,
                   help="central interval coverage for regression (default 0.9)")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser("evaluate", help="held-out NLL and calibration of a saved model")
    p.add_argument("model", metavar="MODEL", help="model file written by 'probnn fit'")
    p.add_argument("data", metavar="DATA", help="CSV or Parquet file with the model's feature columns")
    p.add_argument("--coverage", type=_coverage, default=0.9)
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("compare", help="rank families by held-out NLL on one split")
    p.add_argument("data", metavar="DATA", help="CSV or Parquet file with a header row")
    p.add_argument("--target", required=True, metavar="COL", help="the column to predict")
    p.add_argument("--families", type=_columns, default=None, metavar="LIST",
                   help="comma-separated families (default: every registered family that fits "
                        "the target's kind, e.g. for counts: "
                        f"{','.join(_families_for('count'))})")
    _add_training_options(p)
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("derive", help="likelihood -> log-likelihood -> loss -> gradient of a family")
    p.add_argument("family", metavar="FAMILY")
    p.add_argument("--latex", action="store_true")
    p.set_defaults(func=_cmd_derive)

    p = sub.add_parser("figures", help="the pictures from the texts, as PNGs")
    p.add_argument("--out", default="probnn-figures", metavar="DIR")
    p.set_defaults(func=_cmd_figures)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``probnn`` command; returns the exit status."""
    shown = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        return _run(build_parser(), argv)
    finally:
        warnings.showwarning = shown


def _run(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except SystemExit as exc:  # --help / --version
        return exc.code if isinstance(exc.code, int) else 0
    except UsageError as exc:
        return _fail(str(exc), 2)
    except (DataError, ValueError, TrainingDivergedError) as exc:
        return _fail(str(exc), 1)
    except OSError as exc:  # e.g. an output folder that cannot be written
        return _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), 1)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:  # noqa: BLE001 - a bug of ours: still one line, no traceback
        return _fail(f"internal error {type(exc).__name__}: {exc} (please report this)", 1)


def _fail(message: str, code: int) -> int:
    print(f"probnn: error: {' '.join(str(message).split())}", file=sys.stderr)
    return code


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # A user needs the warning's words, not the file and line of our source that raised it.
    text = " ".join(str(message).split())
    if getattr(category, "__name__", "") == "ConvergenceWarning":
        text = _convergence_text(text)
    print(f"probnn: warning: {text}", file=sys.stderr)


def _convergence_text(text: str) -> str:
    """A ConvergenceWarning in the command line's words (--epochs, not max_iter / tol)."""
    found = re.search(r"max_iter=(\d+)", text)
    n = found.group(1) if found else None
    budget = f"all {n}" if n else "all its"
    flag = f"--epochs {n}" if n else "--epochs"
    if "L-BFGS" in text:
        return (f"L-BFGS used {budget} iterations ({flag}) without converging; the model is "
                "where it stopped (see the held-out figures)")  # fmt: skip
    return (f"training used {budget} epochs ({flag}) without early stopping converging; the "
            "model is where training stopped (see the held-out figures)")  # fmt: skip


def _say(args, text: str = "") -> None:
    if not getattr(args, "quiet", False):
        print(text)


# ------------------------------------------------------------------ helpers
def _read(path: str):
    from probnn.tabular import read_table

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
    return frame.drop(columns=columns)


def split_rows(n: int, seed: int, test_fraction: float = TEST_FRACTION):
    """Shuffled train / test row indices (the same for every family under one seed)."""
    import numpy as np

    if n < MIN_ROWS:
        raise DataError(f"expected at least {MIN_ROWS} data rows to hold some out for testing; found {n}")
    order = np.random.default_rng(seed).permutation(n)
    n_test = max(1, int(round(test_fraction * n)))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


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
    """Bad usage unless the report folder can be written and holds none of the inputs."""
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
    base = _existing_ancestor(report)
    if not base.is_dir():
        raise UsageError(f"{option} {report}: {base} is a file, not a folder")
    if not _can_create_in(base):
        raise UsageError(f"{option} {report}: the folder {base} is not writable")


_LABELS = {
    "nll_nats": "NLL (nats per example)",
    "nll_bits": "NLL (bits per example)",
    "accuracy": "accuracy",
    "brier": "Brier score",
    "ece": "expected calibration error",
    "rmse": "RMSE",
    "mae": "MAE",
    "coverage": "interval coverage",
    "pit_ks": "PIT KS distance from uniform",
}


def _print_metrics(metrics: dict, coverage: float | None = None) -> None:
    for key, value in metrics.items():
        label = _LABELS.get(key, key)
        if key == "coverage" and coverage is not None:
            label = f"coverage of the {coverage:.0%} interval"
        print(f"  {label:<34} {value:.4f}")


def _load_tabular(path: str):
    from probnn.model_file import load_model
    from probnn.tabular import TabularModel

    model = load_model(path)
    if not isinstance(model, TabularModel):
        raise DataError(
            f"expected a model saved by 'probnn fit' (with its preprocessing); {path} holds a "
            f"bare {type(model).__name__}"
        )
    return model


# ----------------------------------------------------------------- commands
def _cmd_demo(args) -> int:
    from probnn.demo import run_demo

    run_demo(out=args.out, quiet=args.quiet)
    return 0


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
    if _inside(out, report) and out.name in _REPORT_FILES:
        raise UsageError(f"--out {out} is a file the report writes; choose another name")
    return out, report


# the files write_report may write into its folder
_REPORT_FILES = ("report.html", "training_curve.png", "reliability.png", "confusion_matrix.png",
                 "pit_histogram.png", "coverage.png", "predicted_vs_observed.png")  # fmt: skip


def _cmd_fit(args) -> int:
    from probnn.tabular import TabularModel, check_target_column, infer_family, validate_frame

    out, report_dir = _fit_outputs(args)  # before reading: a bad path fails in a second
    family_params = _family_params(args)
    if family_params and args.family != "auto":
        _check_family_params(args.family, family_params)
    frame = _drop(_read(args.data), args.drop, args.target)
    check_target_column(frame, args.target)
    family = args.family
    reason = f"chosen with --family {family}"
    if family == "auto":
        family, why = infer_family(frame[args.target])
        reason = f"inferred because {why}"
        _say(args, f"family: {family} ({why})")
        _check_family_params(family, family_params)
    validate_frame(frame, args.target, family, args.impute)
    train, test = split_rows(frame.shape[0], args.seed)
    _say(args, f"training on {train.size} rows, holding out {test.size} for testing")
    extra = {"family_params": family_params} if family_params else {}
    model = TabularModel.fit(
        frame.iloc[train], args.target, family=family, hidden=args.hidden, solver=args.solver,
        epochs=args.epochs, seed=args.seed, impute=args.impute, progress=not args.quiet, **extra,
    )  # fmt: skip
    held_out = frame.iloc[test]
    metrics = model.evaluate(held_out, coverage=args.coverage)
    print(f"held-out metrics ({test.size} rows, family {family}):")
    _print_metrics(metrics, args.coverage)

    from probnn._io import atomic_path
    from probnn.model_file import save_model

    # Nothing is left behind by a failed run: the model goes to a temporary file, the report
    # is drawn in a temporary folder and moved into place, and only then is the model file
    # renamed over --out (a failing report leaves no new model and the old one untouched).
    with atomic_path(out) as staged:
        save_model(model, staged)
        html = _write_fit_report(model, held_out, metrics, report_dir, args, reason)
    _say(args, f"model written to {out}")
    _say(args, f"report written to {html}")
    return 0


def _write_fit_report(model, held_out, metrics, report_dir, args, reason) -> pathlib.Path:
    import shutil
    import tempfile

    from probnn.report import write_report

    estimator = model.estimator
    base = _existing_ancestor(report_dir)
    staging = pathlib.Path(tempfile.mkdtemp(dir=base, prefix=f".{report_dir.name}.", suffix=".tmp"))
    try:
        html = write_report(
            staging, title=f"probnn fit {pathlib.Path(args.data).name} --target {args.target}",
            task="classification" if model.is_classifier else "regression",
            y_true=model.encode_target(held_out), dist=model.predict_dist(held_out),
            classes=[str(c) for c in model.classes] if model.classes is not None else None,
            loss_curve=getattr(estimator, "loss_curve_", None),
            validation_curve=getattr(estimator, "validation_scores_", None), metrics=metrics,
            notes=[f"family {model.family}: {reason}", f"{held_out.shape[0]} held-out rows"],
            coverage=args.coverage,
        )  # fmt: skip
        report_dir.mkdir(parents=True, exist_ok=True)
        names = sorted(p.name for p in staging.iterdir())
        for name in names:  # report.html last: a complete page means complete figures
            if name != html.name:
                os.replace(staging / name, report_dir / name)
        os.replace(html, report_dir / html.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report_dir / html.name


def _cmd_predict(args) -> int:
    if args.out:  # before any work: never replace an input, fail fast on a bad folder
        _check_output_file(pathlib.Path(args.out), "--out",
                           [("the model file", args.model), ("the data", args.data)])  # fmt: skip
    model = _load_tabular(args.model)
    frame = _read(args.data)
    table = model.predict_table(frame, coverage=args.coverage)
    text = table.to_csv(index=False, float_format="%.17g")
    if args.out:
        from probnn._io import atomic_write

        atomic_write(args.out, text)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_evaluate(args) -> int:
    model = _load_tabular(args.model)
    frame = _read(args.data)
    metrics = model.evaluate(frame, coverage=args.coverage)
    print(f"{args.data}: {frame.shape[0]} rows, family {model.family}")
    _print_metrics(metrics, args.coverage)
    return 0


def _support_problem(frame, target: str, family: str, kind: str) -> str | None:
    """Why ``family`` cannot model the target column (of ``kind``), or None when it can."""
    from probnn.families import get_family
    from probnn.tabular import regression_target, target_labels

    declared = get_family(family)
    if kind in ("binary", "classes", "ordered-classes") and not declared.is_classifier:
        return "a density is not a probability of a class label; the target holds class labels"
    if kind not in declared.target_kinds:
        return (f"{family} models {', '.join(declared.target_kinds)} targets; the target holds "
                f"{kind} values")  # fmt: skip
    column = frame[target]
    try:
        if declared.is_classifier:
            n = len(set(target_labels(column, target).tolist()))
            if declared.support == "binary" and n != 2:
                return f"{family} needs 2 classes; the target has {n}"
            return None
        regression_target(column, target, declared)
    except DataError as exc:
        return str(exc)
    return None


def _scores_integers(family: str, kind: str) -> bool:
    """Whether a continuous ``family`` is scored on an integer target by P(y - 1/2 < Y <= y + 1/2)."""
    from probnn.families import DISCRETE_KINDS, FAMILIES

    return kind in DISCRETE_KINDS and FAMILIES[family].support not in DISCRETE_KINDS


def _scoring_line(kind: str) -> str:
    if kind in ("binary", "classes", "ordered-classes"):
        return "scoring: log-probability of each held-out class label"
    if kind not in ("count", "integer"):
        return "scoring: log-density at each held-out target (every family here is a density)"
    return ("scoring: log-probability of each held-out integer y; the continuous families by "
            "P(y - 1/2 < Y <= y + 1/2) = cdf(y + 1/2) - cdf(y - 1/2), not by their density")  # fmt: skip


def paired_standard_errors(nll_rows: dict[str, "object"]) -> tuple[str, dict[str, float]]:
    """The best family by mean NLL and each family's standard error of its difference from it.

    Parameters
    ----------
    nll_rows : dict of str -> ndarray of shape (n,)
        Per-row NLLs of each family on the same held-out rows.

    Returns
    -------
    best : str
    se : dict of str -> float
        ``std(nll_f - nll_best, ddof=1) / sqrt(n)`` (paired over the rows; 0 for the best).
    """
    import numpy as np

    best = min(nll_rows, key=lambda f: float(np.mean(nll_rows[f])))
    se = {}
    for family, rows in nll_rows.items():
        d = np.asarray(rows, dtype=np.float64) - np.asarray(nll_rows[best], dtype=np.float64)
        se[family] = float(np.std(d, ddof=1) / math.sqrt(d.size)) if d.size > 1 else math.nan
    return best, se


def _row_nll(model, held_out, kind: str):
    """Per-row held-out NLL of a fitted model, in the scoring the target's kind calls for."""
    import numpy as np

    from probnn._discrete import integer_log_prob

    y = model.encode_target(held_out)
    dist = model.predict_dist(held_out)
    if _scores_integers(model.family, kind):
        return -integer_log_prob(dist, y)
    return -np.asarray(dist.log_prob(y), dtype=np.float64)


def _cmd_compare(args) -> int:
    import numpy as np

    from probnn.families import FAMILIES
    from probnn.tabular import Preprocessor, TabularModel, check_target_column, target_kind

    requested = args.families
    unknown = [f for f in requested or [] if f not in FAMILIES]
    if unknown or requested == []:
        raise UsageError(
            f"--families expects names among {', '.join(FAMILIES)}; found "
            f"{', '.join(map(repr, unknown)) or 'none'}"
        )
    frame = _drop(_read(args.data), args.drop, args.target)
    check_target_column(frame, args.target)
    Preprocessor(impute=args.impute).fit(frame.drop(columns=[args.target]))  # errors name file rows
    kind, why = target_kind(frame[args.target])
    families = requested if requested is not None else _families_for(kind)
    train, test = split_rows(frame.shape[0], args.seed)
    _say(args, f"target kind: {kind}, since {why}")
    _say(args, f"one split for all families: {train.size} training rows, {test.size} held out")
    nll_rows, skipped = {}, []
    for family in families:
        problem = _support_problem(frame, args.target, family, kind)
        if problem is not None:
            skipped.append((family, problem))
            continue
        _say(args, f"fitting {family} ...")
        try:
            model = TabularModel.fit(
                frame.iloc[train], args.target, family=family, hidden=args.hidden,
                solver=args.solver, epochs=args.epochs, seed=args.seed, impute=args.impute,
                progress=not args.quiet,
            )  # fmt: skip
        except TrainingDivergedError as exc:
            # one family failing to train says something about it; rank the others
            skipped.append((family, f"training diverged: {exc}"))
            continue
        try:
            nll_rows[family] = _row_nll(model, frame.iloc[test], kind)
        except DataError as exc:  # e.g. a held-out class label never seen in training
            skipped.append((family, f"cannot score the held-out rows: {exc}"))
    if not nll_rows:
        raise DataError(
            "expected at least one family that can model the target; all were skipped: "
            + "; ".join(f"{f}: {why}" for f, why in skipped)
        )
    best, se = paired_standard_errors(nll_rows)
    means = {f: float(np.mean(rows)) for f, rows in nll_rows.items()}
    ranked = sorted(means, key=means.get)
    print(f"held-out NLL on {test.size} rows (lower is better):")
    print(f"  {_scoring_line(kind)}")
    print(f"  {'rank':<5}{'family':<14}{'nats/example':>14}{'bits/example':>14}{'minus best':>12}"
          f"{'SE':>9}")  # fmt: skip
    for rank, family in enumerate(ranked, 1):
        nll = means[family]
        shown = "-" if family == best else f"{se[family]:.4f}"
        print(f"  {rank:<5}{family:<14}{nll:>14.4f}{nll / math.log(2):>14.4f}"
              f"{nll - means[best]:>12.4f}{shown:>9}")  # fmt: skip
    if len(ranked) > 1:
        print("  (SE: standard error of the difference from the best, paired over the held-out "
              "rows)")  # fmt: skip
        second = ranked[1]
        gap, error = means[second] - means[best], se[second]
        if gap > 0 and error == 0:
            print(f"  {best} beats {second} by {gap:.4f} nats/example on every held-out row")
        elif not gap >= 2 * error:  # (a NaN SE, from one held-out row, is noise too)
            print(f"  {best} and {second} are within noise: {gap:.4f} nats/example apart, less "
                  f"than 2 SE ({2 * error:.4f}); another split or seed may order them the "
                  "other way")  # fmt: skip
        else:
            print(f"  {best} beats {second} by {gap:.4f} nats/example, {gap / error:.1f} SE")
    for family, why in skipped:
        print(f"  skipped {family}: {' '.join(why.split())}")
    return 0


def _cmd_derive(args) -> int:
    from probnn.families import FAMILIES, get_family

    if args.family not in FAMILIES:
        raise UsageError(f"derive: expected a family among {', '.join(FAMILIES)}; found {args.family!r}")
    family = get_family(args.family)
    print(family.derivation(latex=args.latex))
    print(f"(this negative log-likelihood is the {family.loss_name})")
    return 0


def _cmd_figures(args) -> int:
    from probnn.report import write_text_figures

    paths = write_text_figures(args.out)
    for path in paths:
        print(path)
    return 0
