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
import sys
import tempfile
import warnings
from collections.abc import Sequence

from probnn._version import __version__
from probnn.exceptions import DataError, TrainingDivergedError

__all__ = ["main", "build_parser"]

FAMILY_CHOICES = ("auto", "bernoulli", "categorical", "normal", "normal-fixed", "laplace",
                  "poisson", "studentt")  # fmt: skip
TEST_FRACTION = 0.2
MIN_ROWS = 5


class UsageError(Exception):
    """Bad command-line usage: exit code 2."""


class _Parser(argparse.ArgumentParser):
    # argparse prints usage plus a message and exits; we want exactly one line.
    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message}")


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
    p.add_argument("--family", choices=FAMILY_CHOICES, default="auto")
    _add_training_options(p)
    p.add_argument("--out", metavar="MODEL", help="model file (default DATA-stem.safetensors)")
    p.add_argument("--report", metavar="DIR", help="report folder (default DATA-stem-report)")
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
    p.add_argument("--families", type=_columns, default=["normal", "laplace", "studentt", "poisson"],
                   metavar="LIST", help="comma-separated families (default normal,laplace,studentt,poisson)")
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
        return _fail(str(exc).removeprefix("probnn: "), 2)
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
    print(f"probnn: warning: {' '.join(str(message).split())}", file=sys.stderr)


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


def _write_text_atomic(path: pathlib.Path, text: str) -> None:
    folder = path.parent if str(path.parent) else pathlib.Path(".")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


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


def _cmd_fit(args) -> int:
    from probnn.tabular import TabularModel, check_target_column, infer_family, validate_frame

    frame = _drop(_read(args.data), args.drop, args.target)
    check_target_column(frame, args.target)
    family = args.family
    reason = f"chosen with --family {family}"
    if family == "auto":
        family, why = infer_family(frame[args.target])
        reason = f"inferred because {why}"
        _say(args, f"family: {family} ({why})")
    validate_frame(frame, args.target, family, args.impute)
    train, test = split_rows(frame.shape[0], args.seed)
    _say(args, f"training on {train.size} rows, holding out {test.size} for testing")
    model = TabularModel.fit(
        frame.iloc[train], args.target, family=family, hidden=args.hidden, solver=args.solver,
        epochs=args.epochs, seed=args.seed, impute=args.impute, progress=not args.quiet,
    )  # fmt: skip
    held_out = frame.iloc[test]
    metrics = model.evaluate(held_out, coverage=args.coverage)
    print(f"held-out metrics ({test.size} rows, family {family}):")
    _print_metrics(metrics, args.coverage)

    stem = pathlib.Path(args.data).stem
    out = pathlib.Path(args.out or f"{stem}.safetensors")
    from probnn.model_file import save_model

    save_model(model, out)
    _say(args, f"model written to {out}")
    report_dir = pathlib.Path(args.report or f"{stem}-report")
    html = _write_fit_report(model, held_out, metrics, report_dir, args, reason)
    _say(args, f"report written to {html}")
    return 0


def _write_fit_report(model, held_out, metrics, report_dir, args, reason) -> pathlib.Path:
    from probnn.report import write_report

    estimator = model.estimator
    return write_report(
        report_dir, title=f"probnn fit {pathlib.Path(args.data).name} --target {args.target}",
        task="classification" if model.is_classifier else "regression",
        y_true=model.encode_target(held_out), dist=model.predict_dist(held_out),
        classes=[str(c) for c in model.classes] if model.classes is not None else None,
        loss_curve=getattr(estimator, "loss_curve_", None),
        validation_curve=getattr(estimator, "validation_scores_", None), metrics=metrics,
        notes=[f"family {model.family}: {reason}", f"{held_out.shape[0]} held-out rows"],
        coverage=args.coverage,
    )  # fmt: skip


def _cmd_predict(args) -> int:
    model = _load_tabular(args.model)
    frame = _read(args.data)
    table = model.predict_table(frame, coverage=args.coverage)
    text = table.to_csv(index=False, float_format="%.17g")
    if args.out:
        _write_text_atomic(pathlib.Path(args.out), text)
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


def _support_problem(frame, target: str, family: str) -> str | None:
    """Why ``family`` cannot model the target column, or None when it can."""
    from probnn.families import get_family
    from probnn.tabular import regression_target, target_labels

    column = frame[target]
    try:
        if family == "bernoulli":
            n = len(set(target_labels(column, target).tolist()))
            return None if n == 2 else f"bernoulli needs 2 classes; the target has {n}"
        if family == "categorical":
            target_labels(column, target)
            return None
        regression_target(column, target, get_family(family))
    except DataError as exc:
        return str(exc)
    return None


def _cmd_compare(args) -> int:
    from probnn.families import FAMILIES
    from probnn.tabular import Preprocessor, TabularModel, check_target_column

    unknown = [f for f in args.families if f not in FAMILIES]
    if unknown or not args.families:
        raise UsageError(
            f"--families expects names among {', '.join(FAMILIES)}; found "
            f"{', '.join(map(repr, unknown)) or 'none'}"
        )
    frame = _drop(_read(args.data), args.drop, args.target)
    check_target_column(frame, args.target)
    Preprocessor(impute=args.impute).fit(frame.drop(columns=[args.target]))  # errors name file rows
    train, test = split_rows(frame.shape[0], args.seed)
    _say(args, f"one split for all families: {train.size} training rows, {test.size} held out")
    results, skipped = [], []
    for family in args.families:
        problem = _support_problem(frame, args.target, family)
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
        held_out = frame.iloc[test]
        nll = float(model.estimator.score_nll(model.transform(held_out), model.encode_target(held_out)))
        results.append((nll, family))
    if not results:
        raise DataError(
            "expected at least one family that can model the target; all were skipped: "
            + "; ".join(f"{f}: {why}" for f, why in skipped)
        )
    results.sort()
    best = results[0][0]
    print(f"held-out NLL on {test.size} rows (lower is better):")
    print(f"  {'rank':<5}{'family':<14}{'nats/example':>14}{'bits/example':>14}{'minus best':>12}")
    for rank, (nll, family) in enumerate(results, 1):
        print(f"  {rank:<5}{family:<14}{nll:>14.4f}{nll / math.log(2):>14.4f}{nll - best:>12.4f}")
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
