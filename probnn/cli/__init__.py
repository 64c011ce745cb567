"""The ``probnn`` command: demo, fit, predict, evaluate, compare, derive, figures.

Every failure a user can cause ends with one line on stderr,
``probnn: error: ...``, and exit code 1 (bad data or files) or 2 (bad usage);
never a traceback. Ctrl-C (130) and SIGTERM (143) remove what was being written.
``fit`` saves the model before drawing its report: a failing report says where it is. Heavy libraries (scikit-learn, matplotlib, pandas) are
imported inside the commands, so ``probnn --help`` and ``probnn derive`` start
fast.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import pathlib
import re
import sys
import time
import warnings
from collections.abc import Sequence

from probnn import defaults
from probnn._split import MIN_ROWS, TEST_FRACTION, split_rows
from probnn._version import __version__
from probnn.exceptions import DataError, NetworkTooLargeError, TrainingDivergedError

__all__ = ["main", "build_parser"]

# Names that moved into the library, still importable from here; looked up on first use so
# that ``probnn --help`` imports neither numpy nor pandas.
_MOVED = {"paired_standard_errors": "probnn.compare"}


def __getattr__(name: str):
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# The parser names no family and imports no family module: building it stays as cheap as
# argparse (``probnn --help`` in about 0.1 s, not the second numpy and scipy take). The
# commands check a family name against the registry when they run.
def _check_family_name(name: str, option: str = "--family") -> None:
    """Bad usage unless ``name`` is "auto" or a registered family (the list is the answer)."""
    from probnn.families import FAMILIES

    if name != "auto" and name not in FAMILIES:
        raise UsageError(f"{option} expects auto or one of {', '.join(FAMILIES)}; found {name!r}")



class UsageError(Exception):
    """Bad command-line usage: exit code 2."""


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, unless its help already says it or there is none."""

    def _get_help_string(self, action) -> str:
        text = action.help or ""
        default = action.default
        absent = default is None or default is False or default in ([], argparse.SUPPRESS)
        if "default" in text or absent or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):  # the sub-commands' parsers are _Parser too
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

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


def _number(convert, ok, expected: str):
    """An argparse type: ``convert(text)`` passing ``ok``, else "expected <expected>; found ..."."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = math.nan
        if not ok(value):
            raise argparse.ArgumentTypeError(f"expected {expected}; found {text!r}")
        return value

    return parse


_positive_int = _number(int, lambda v: v >= 1, "a positive integer")
_positive_float = _number(float, lambda v: math.isfinite(v) and v > 0, "a positive number")
_non_negative_float = _number(float, lambda v: math.isfinite(v) and v >= 0, "a number >= 0")
_fraction = _number(float, lambda v: 0.0 < v < 1.0, "a fraction strictly between 0 and 1")
_coverage = _number(float, lambda v: 0.0 < v < 1.0, "a number strictly between 0 and 1")
_jobs = _number(int, lambda v: v >= 1 or v == -1, "a positive integer, or -1 for every core")
# scikit-learn's random_state and NumPy's legacy seeds are integers in [0, 2**32 - 1]
SEED_MAX = 2**32 - 1  # probnn.tabular.SEED_MAX (not imported: the parser stays light)
_seed = _number(int, lambda v: 0 <= v <= SEED_MAX, f"an integer from 0 to {SEED_MAX} (a NumPy seed)")


def _levels(text: str) -> list[str]:
    levels = [part.strip() for part in text.split(",")]
    if len(levels) < 2 or any(not v for v in levels) or len(set(levels)) != len(levels):
        raise argparse.ArgumentTypeError(
            f"expected at least two distinct class labels in their order, separated by commas, "
            f"e.g. low,medium,high; found {text!r}"
        )
    return levels


def _word_or(word: str, parse, expected: str):
    """An argparse type: ``word`` itself, or what ``parse`` makes of the text."""

    def convert(text: str):
        if text.strip() == word:
            return word
        try:
            return parse(text)
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(
                f"expected {expected} or {word!r}; found {text!r}"
            ) from None

    return convert


_batch_size = _word_or("auto", _positive_int, "a positive integer")
# "none" stays a word here: None would read as "not given" (_estimator_params turns it to None)
_average = _word_or("none", _fraction, "a decay strictly between 0 and 1, e.g. 0.995,")


_PRIORS = {"gaussian": "gaussian", "laplace": "laplace", "none": None}


def _prior(text: str) -> str | None:
    if text not in _PRIORS:
        raise argparse.ArgumentTypeError(
            f"expected one of {', '.join(_PRIORS)}; found {text!r}"
        )
    return _PRIORS[text]


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


def _set_help(p: argparse.ArgumentParser, option: str, text: str) -> None:
    """Give an already defined option its help line."""
    for action in p._actions:
        if option in action.option_strings:
            action.help = text
            return
    raise KeyError(option)


def _sizes(sizes: Sequence[int]) -> str:
    """Hidden layer sizes as ``--hidden`` takes them: ``50,50``."""
    return ",".join(str(size) for size in sizes)


def _add_training_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--family-param", type=_family_param, action="append", default=[],
                   metavar="NAME=VALUE",
                   help="fix a parameter of the family, e.g. scale=2.5 (a fixed noise scale), "
                        "df=4 (Student-t degrees of freedom) or n_components=3 (a mixture); a "
                        "name the family does not take is answered with those it takes; "
                        "repeatable (none by default)")
    p.add_argument("--drop", type=_columns, default=[], metavar="COLS",
                   help="comma-separated columns to ignore (none by default)")
    # the numbers in these texts are the defaults' own (probnn.defaults)
    reg, cls = defaults.REGRESSOR, defaults.TABLE_CLASSIFIER
    p.add_argument("--hidden", type=_hidden, default=None, metavar="SIZES",
                   help=f"hidden layer sizes, comma-separated (default: "
                        f"{_sizes(reg['hidden_layer_sizes'])} for a regression family, as "
                        f"MLPRegressor; {_sizes(cls['hidden_layer_sizes'])} for a classifier)")
    p.add_argument("--solver", choices=("adam", "sgd", "lbfgs"), default=reg["solver"],
                   help="optimiser: adam or sgd on minibatches (with early stopping), or "
                        "full-batch L-BFGS")
    p.add_argument("--epochs", type=_positive_int, default=None, metavar="N",
                   help=f"epoch budget (default: a regressor's is sized by the rows, about "
                        f"{defaults.AUTO_MAX_STEPS:,} minibatch steps; a classifier's "
                        f"{cls['max_iter']}); adam and sgd stop earlier once the NLL of held-out "
                        "validation rows stops improving (see --patience)")
    p.add_argument("--lr", type=_positive_float, default=None, metavar="RATE",
                   help=f"initial learning rate of adam / sgd (default: "
                        f"{reg['learning_rate_init']:g} for a regression family, "
                        f"{cls['learning_rate_init']:g} for a classifier)")
    p.add_argument("--average", type=_average, default=None, metavar="DECAY",
                   help=f"keep the moving average of the weights with this decay per adam / "
                        "sgd step as the model (Polyak averaging), or none for the last "
                        f"step's weights (default: {defaults.AUTO_EMA_DECAY:g}, as MLPRegressor "
                        "and MLPClassifier)")
    low, high = defaults.AUTO_BATCH_ROWS
    p.add_argument("--batch-size", type=_batch_size, default="auto", metavar="N",
                   help=f"rows per minibatch; auto is training rows // "
                        f"{defaults.AUTO_BATCHES_PER_EPOCH} within [{low}, {high}] for a "
                        f"regression family, min({defaults.SKLEARN_BATCH_ROWS}, training rows) "
                        "for a classifier")
    p.add_argument("--patience", type=_positive_int, default=None, metavar="N",
                   help=f"stop once the validation NLL has not improved for this many epochs "
                        f"(default: a regressor's is about {defaults.AUTO_PATIENCE_STEPS:,} "
                        f"minibatch steps, at least {defaults.AUTO_MIN_PATIENCE} epochs; a "
                        f"classifier's {cls['n_iter_no_change']})")
    p.add_argument("--prior", type=_prior, default=reg["prior"],
                   metavar="{gaussian,laplace,none}",
                   help="prior on the weights (MAP fit): gaussian is L2, laplace is L1, none "
                        "is plain maximum likelihood")
    p.add_argument("--alpha", type=_non_negative_float, default=None, metavar="A",
                   help=f"strength of the prior's penalty, divided by the training rows "
                        "(scikit-learn's alpha); 0 is plain maximum likelihood (default: "
                        f"{reg['alpha']:g} for a regression family, {cls['alpha']:g} for a "
                        "classifier)")
    p.add_argument("--test-size", type=_fraction, default=TEST_FRACTION, metavar="FRACTION",
                   help="fraction of the rows held out for testing (the report's figures)")
    p.add_argument("--seed", type=_seed, default=0,
                   help=f"random seed for the split and the weights, 0 to {SEED_MAX}")
    p.add_argument("--levels", type=_levels, default=None, metavar="L1,L2,...",
                   help="the class labels of the target in their order, e.g. low,medium,high: "
                        "a family of ordered classes needs it for text labels, unless the "
                        "column is an ordered categorical (Parquet); a label not listed is an "
                        "error; saved in the model (none by default)")
    p.add_argument("--impute", action="store_true",
                   help="fill missing feature values (median / most frequent) instead of failing")
    p.add_argument("--quiet", action="store_true",
                   help="print only the results: no progress bar, no end-of-training line")


def _add_parallel_options(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--jobs", type=_jobs, default=1, metavar="N",
                   help=f"fit {what} in N worker processes at once (-1: one per core; each "
                        "worker's BLAS gets cores // N threads); the results are the same as "
                        "with 1, one after the other")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help=f"fit {what} on the workers of this dask.distributed scheduler, e.g. "
                        "tcp://10.0.0.5:8786 (needs the extra probnn[dask]; the data travels "
                        "to the workers, the results come back here; none by default)")


def _add_stream_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--stream", choices=("auto", "yes", "no"), default="auto",
                   help=f"{what}; auto streams a folder of Parquet files or a file of at least "
                        "1 GiB")  # fmt: skip


def _streams(args) -> bool:
    """Whether the command reads DATA in record batches (``--stream``)."""
    from probnn.streaming import should_stream

    return should_stream(args.data, args.stream)


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
    p.add_argument("--quiet", action="store_true", help="print only the results")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("fit", help="fit a model to a CSV / Parquet file and save it")
    p.add_argument("data", metavar="DATA",
                   help="CSV or Parquet file with a header row, or a folder of Parquet files")
    p.add_argument("--target", required=True, metavar="COL", help="the column to predict")
    p.add_argument("--family", default="auto", metavar="NAME")
    _set_help(p, "--family", "the distribution of the target given the features: a registered "
                             "family (an unknown name is answered with the list; 'probnn derive "
                             "NAME' shows one's mathematics), or auto, the registry's default for "
                             "the target's kind, said with why")
    _add_training_options(p)
    p.add_argument("--ensemble", type=_positive_int, default=1, metavar="M",
                   help="fit M networks from independent seeds and predict with their equally "
                        "weighted mixture (a deep ensemble, one model file); regression "
                        "families only")
    _add_parallel_options(p, "the ensemble's networks (--ensemble M)")
    p.add_argument("--out", metavar="MODEL", help="model file (default: DATA-stem.safetensors)")
    p.add_argument("--report", metavar="DIR",
                   help="report folder (default: MODEL-stem-report beside the model file)")
    p.add_argument("--coverage", type=_coverage, default=0.9,
                   help="coverage of the central predictive interval (regression)")
    _add_stream_option(p, "train on the table in record batches without loading it (a "
                          "Parquet folder, or a file of 1 GiB or more, under auto): the "
                          "held-out and validation rows are chosen by a hash of the row "
                          "number")  # fmt: skip
    p.set_defaults(func=_cmd_fit)

    p = sub.add_parser("predict", help="predictions and distribution parameters as CSV")
    p.add_argument("model", metavar="MODEL", help="model file written by 'probnn fit'")
    p.add_argument("data", metavar="DATA", help="CSV or Parquet file with the model's feature columns")
    p.add_argument("--out", metavar="FILE", help="CSV file (default: standard output)")
    p.add_argument("--coverage", type=_coverage, default=0.9,
                   help="coverage of the central predictive interval (regression)")
    _add_stream_option(p, "predict batch by batch, writing the CSV in pieces")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser("evaluate", help="NLL and calibration of a saved model on the rows of a "
                                        "file (held-out figures only if the model never saw "
                                        "those rows)")  # fmt: skip
    p.add_argument("model", metavar="MODEL", help="model file written by 'probnn fit'")
    p.add_argument("data", metavar="DATA",
                   help="CSV or Parquet file with the model's feature columns and its target; "
                        "every row is scored, but on the data the model was fitted on (the "
                        "same SHA-256, which the model file records) only the rows its fit "
                        "held out")  # fmt: skip
    p.add_argument("--coverage", type=_coverage, default=0.9,
                   help="coverage of the central predictive interval (regression)")
    p.add_argument("--report", metavar="DIR",
                   help="also write an HTML report of the model on these rows into DIR "
                        "(none by default)")
    _add_stream_option(p, "score batch by batch (the report's figures then show the first "
                          "rows)")  # fmt: skip
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("compare", help="rank families by held-out NLL on one split")
    p.add_argument("data", metavar="DATA", help="CSV or Parquet file with a header row")
    p.add_argument("--target", required=True, metavar="COL", help="the column to predict")
    p.add_argument("--families", type=_columns, default=None, metavar="LIST",
                   help="comma-separated families (default: every registered family that fits "
                        "the target's kind; an unknown name is answered with the list)")
    _add_training_options(p)
    _add_parallel_options(p, "the families")
    p.add_argument("--report", metavar="DIR",
                   help="report folder (default: DATA-stem-compare-report in the current folder)")
    p.add_argument("--coverage", type=_coverage, default=0.9,
                   help="coverage of the central interval checked in the report (regression)")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("derive", help="likelihood -> log-likelihood -> loss -> gradient of a family")
    p.add_argument("family", metavar="FAMILY",
                   help="the family's name (an unknown one is answered with the list)")
    p.add_argument("--latex", action="store_true", help="print LaTeX instead of plain text")
    p.set_defaults(func=_cmd_derive)

    p = sub.add_parser("figures", help="the pictures from the texts, as PNGs")
    p.add_argument("--out", default="probnn-figures", metavar="DIR", help="folder for the PNGs")
    p.set_defaults(func=_cmd_figures)
    for choice in sub._choices_actions:  # each command's --help starts with what it does
        sub.choices[choice.dest].description = choice.help
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, as Ctrl-C raises KeyboardInterrupt.

    A KeyboardInterrupt: every cleanup that runs on Ctrl-C (``probnn._io``'s temporary
    files, the report's temporary folder) runs on ``kill`` too.
    """


def _terminate(signum, frame) -> None:
    raise Terminated()


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """SIGTERM raises :class:`Terminated` inside (main thread only: where signals go)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``probnn`` command; returns the exit status."""
    shown = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        with _sigterm_as_interrupt():
            return _run(build_parser(), argv)
    finally:
        warnings.showwarning = shown


def _run(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    args = None
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
    except NetworkTooLargeError as exc:  # --hidden asks for more memory than there is
        trains = getattr(args, "command", None) in ("fit", "compare")
        return _fail(f"--hidden: {exc}" if trains else str(exc), 2 if trains else 1)
    except (DataError, ValueError, TrainingDivergedError) as exc:
        return _fail(str(exc), 1)
    except OSError as exc:  # e.g. an output folder that cannot be written
        return _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), 1)
    except Terminated:  # after the cleanups: 128 + SIGTERM, as the shell reports a kill
        return _fail("terminated (SIGTERM)", 143)
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


# How ``fit`` chose its held-out rows, as its model file records it (``TabularModel.
# training_data``): in memory by ``split_rows``, streamed by ``probnn.streaming.row_parts``.
SPLIT_PERMUTATION, SPLIT_ROW_HASH = "permutation", "row-hash"


def _training_record(data_sha: str, rows: int, args, rule: str) -> dict:
    """What ``evaluate`` needs to recognise the fitted data and re-derive its held-out rows."""
    return {"sha256": data_sha, "rows": int(rows), "split": rule, "seed": int(args.seed),
            "test_fraction": float(args.test_size)}  # fmt: skip


def _held_out_filter(record: dict):
    """``keep(rows) -> bool mask``: which of the rows (0-based numbers in the table, the
    order ``fit`` read them in) the fit recorded in ``record`` held out."""
    import numpy as np

    seed, fraction, n = record["seed"], record["test_fraction"], record["rows"]
    if record["split"] == SPLIT_ROW_HASH:
        from probnn.streaming import TEST, row_parts

        # a row is held out when its hash is below test_fraction, whatever the validation part
        return lambda rows: row_parts(np.asarray(rows, dtype=np.uint64), seed, fraction, 0.0) == TEST
    mask = np.zeros(n, dtype=bool)
    mask[split_rows(n, seed, fraction)[1]] = True

    def keep(rows):
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size and rows.max() >= n:
            raise DataError(f"expected the {n:,} rows the model was fitted on; found more rows "
                            "in a file with the same SHA-256")  # fmt: skip
        return mask[rows]

    return keep


def _fitted_on(model, data: str) -> dict | None:
    """The model's record of its training data if ``data`` is that data (same SHA-256)."""
    record = getattr(model, "training_data", None)
    if record is None:
        return None
    from probnn.report.card import file_sha256

    return record if file_sha256(data) == record["sha256"] else None


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

    _check_report_dir(pathlib.Path(args.out), "--out", [])  # before any training
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
    if _inside(out, report) and out.name in _report_files():
        raise UsageError(f"--out {out} is a file the report writes; choose another name")
    return out, report


def _report_files() -> tuple[str, ...]:
    """The files a report may write into its folder."""
    from probnn.report import REPORT_FILES

    return REPORT_FILES


def _estimator_params(args) -> dict:
    """The training options of ``fit`` and ``compare`` as estimator parameters: those given
    (an option left out keeps the estimator's default)."""
    params = dict(learning_rate_init=args.lr, batch_size=args.batch_size,
                  n_iter_no_change=args.patience, prior=args.prior, alpha=args.alpha,
                  ema_decay=args.average)  # fmt: skip
    params = {k: v for k, v in params.items() if v is not None or k == "prior"}
    if params.get("ema_decay") == "none":
        params["ema_decay"] = None
    return params


def _progress(args) -> bool:
    """A progress bar only on a terminal: a redirected log gets no carriage-return frames."""
    return not args.quiet and sys.stderr.isatty()


def _runs_elsewhere(args) -> bool:
    """Whether the command's fits run in other processes (--jobs, --scheduler)."""
    return getattr(args, "jobs", 1) != 1 or bool(getattr(args, "scheduler", None))


CONNECT_TIMEOUT_S = 10


@contextlib.contextmanager
def _cluster(args):
    """joblib's work inside runs on the Dask scheduler of ``--scheduler`` (if given)."""
    address = getattr(args, "scheduler", None)
    if not address:
        yield
        return
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs dask.distributed: pip install 'probnn[dask]'") from None
    from distributed.comm.addressing import get_address_host_port
    from joblib import parallel_config

    try:  # before Client(), whose half-built object would take 20 s to say so again
        get_address_host_port(address)
    except ValueError as exc:
        raise UsageError(f"--scheduler expects a scheduler address such as "
                         f"tcp://10.0.0.5:8786; found {address!r} ({exc})") from None  # fmt: skip
    try:
        client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise OSError(f"--scheduler {address}: no Dask scheduler answered within "
                      f"{CONNECT_TIMEOUT_S} s ({exc})") from None  # fmt: skip
    try:
        with parallel_config(backend="dask", client=client):
            yield
    finally:
        client.close()


def _end_of_training(args, estimator, seconds: float, label: str = "training") -> None:
    """One line on stderr: epochs run, why training stopped, time taken."""
    from probnn.report.card import stop_reason

    if not args.quiet:
        print(f"{label}: {stop_reason(estimator)} ({seconds:.1f} s)", file=sys.stderr)


def _cmd_fit(args) -> int:
    from probnn.tabular import (TabularModel, check_held_out_labels, check_target_column,
                                infer_family, is_classifier_family, validate_frame)  # fmt: skip

    _check_family_name(args.family)
    out, report_dir = _fit_outputs(args)  # before reading: a bad path fails in a second
    family_params = _family_params(args)
    if family_params and args.family != "auto":
        _check_family_params(args.family, family_params)
    _check_ensemble(args, args.family)
    _check_levels(args, args.family)
    if _runs_elsewhere(args) and args.ensemble == 1:
        raise UsageError("--jobs and --scheduler spread an ensemble's networks over workers "
                         "(--ensemble M); a single network trains in one process")  # fmt: skip
    if _streams(args):
        return _fit_streamed(args, out, report_dir, family_params)
    raw_frame = _read(args.data)
    from probnn.report.card import file_sha256

    data_sha = file_sha256(args.data)  # the model file's and the report's fingerprint of DATA
    frame = _drop(raw_frame, args.drop, args.target)
    check_target_column(frame, args.target)
    family = args.family
    reason = f"chosen with --family {family}"
    if family == "auto":
        family, why = infer_family(frame[args.target])
        reason = f"inferred because {why}"
        _say(args, f"family: {family} ({why})")
        _check_family_params(family, family_params)
        _check_ensemble(args, family)
    _check_levels(args, family)
    validate_frame(frame, args.target, family, args.impute, args.levels)
    train, test = split_rows(frame.shape[0], args.seed, args.test_size)
    if is_classifier_family(family):  # a held-out label never trained on: say so before training
        check_held_out_labels(frame[args.target].iloc[train], frame[args.target].iloc[test],
                              args.target)  # fmt: skip
    _say(args, f"training on {train.size} rows, holding out {test.size} for testing")
    extra = {"family_params": family_params} if family_params else {}
    started, cpu = time.perf_counter(), time.process_time()
    with _cluster(args):
        model = TabularModel.fit(
            frame.iloc[train], args.target, family=family, hidden=args.hidden,
            solver=args.solver, epochs=args.epochs, seed=args.seed, impute=args.impute,
            progress=_progress(args) and not _runs_elsewhere(args), ensemble=args.ensemble,
            n_jobs=args.jobs, levels=args.levels, **_estimator_params(args), **extra,
        )  # fmt: skip
    timing = {"training": time.perf_counter() - started,  # the CPU of workers elsewhere: unknown
              "cpu": None if _runs_elsewhere(args) else time.process_time() - cpu}
    _end_of_training(args, model.estimator, timing["training"])
    model.training_data = _training_record(data_sha, frame.shape[0], args, SPLIT_PERMUTATION)
    _save_model(args, model, out)  # first: whatever fails after training, the model is kept
    held_out = frame.iloc[test]
    with _model_kept(out, "scoring the held-out rows"):
        metrics = model.evaluate(held_out, coverage=args.coverage)
    facts = dict(data=args.data, rows=raw_frame.shape[0], train=frame.iloc[train],
                 held_out=held_out, reason=reason, timing=timing, data_sha=data_sha,
                 split=f"{train.size:,} training rows, {test.size:,} held out "
                       f"(--test-size {args.test_size:g}, --seed {args.seed})")  # fmt: skip
    return _save_fit(args, model, metrics, test.size, out, report_dir, facts, saved=True)


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
    print(f"held-out metrics ({n_test} rows, family {model.family}):")
    _print_metrics(metrics, args.coverage)
    # The trained model is saved first (atomically): whatever stops the report afterwards,
    # the training is not lost, and the one error line says where the model is. The report
    # is drawn in a temporary folder and moved into place, so it is whole or absent.
    if not saved:
        _save_model(args, model, out)
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
    """``probnn fit --stream``: the table in record batches (``probnn.streaming.fit_stream``)."""
    from probnn.streaming import TableSource, fit_stream

    if args.solver == "lbfgs":
        raise UsageError("--stream trains by minibatches: use --solver adam or sgd (L-BFGS needs "
                         "the whole table in memory; --stream no)")  # fmt: skip
    if args.ensemble > 1:
        raise UsageError("--ensemble fits several networks on a table in memory; use --stream no")
    if args.target in args.drop:
        raise UsageError(f"--drop removes the target column {args.target!r}")
    source = TableSource(args.data)  # every file opened: a corrupt one is named before training
    from probnn.tabular import check_target_column

    check_target_column(source.columns_frame(), args.target)
    from probnn.report.card import file_sha256

    data_sha = file_sha256(args.data)  # the model file's and the report's fingerprint of DATA
    extra = {"family_params": family_params} if family_params else {}
    started, cpu = time.perf_counter(), time.process_time()
    model, info = fit_stream(
        source, args.target, family=args.family, hidden=args.hidden, epochs=args.epochs,
        seed=args.seed, impute=args.impute, test_fraction=args.test_size,
        batch_size=args.batch_size, patience=args.patience, drop=args.drop,
        coverage=args.coverage, log=lambda text: _say(args, text), solver=args.solver,
        levels=args.levels,
        **{k: v for k, v in _estimator_params(args).items()
           if k not in ("batch_size", "n_iter_no_change")}, **extra,
    )  # fmt: skip
    timing = {"training": time.perf_counter() - started, "cpu": time.process_time() - cpu}
    _end_of_training(args, model.estimator, timing["training"])
    rows, sample = info.rows, info.test_sample
    model.training_data = _training_record(data_sha, rows["all"], args, SPLIT_ROW_HASH)
    facts = dict(data=args.data, rows=rows["all"], train=info.train_sample, held_out=sample,
                 reason=info.family_reason, timing=timing, data_sha=data_sha,
                 split=f"{rows['train']:,} training rows, {rows['validation']:,} validation rows "
                       f"(early stopping), {rows['test']:,} held out, each chosen by a hash of "
                       f"its row number (--test-size {args.test_size:g}, --seed {args.seed}); "
                       f"metrics over all held-out rows, figures over the first "
                       f"{len(sample):,}")  # fmt: skip
    return _save_fit(args, model, info.metrics, rows["test"], out, report_dir, facts)


def _check_levels(args, family: str) -> None:
    """Bad usage: --levels with a family that does not model class labels."""
    from probnn.tabular import is_classifier_family

    if args.levels is not None and family != "auto" and not is_classifier_family(family):
        raise UsageError(f"--levels orders class labels; family {family} models numbers, not "
                         "classes (drop --levels, or choose a class family)")  # fmt: skip


def _check_ensemble(args, family: str) -> None:
    """Bad usage: --ensemble with a classifier's family."""
    if getattr(args, "ensemble", 1) > 1 and family != "auto":
        from probnn.families import get_family

        if get_family(family).is_classifier:
            raise UsageError(f"--ensemble needs a regression family; {family} models class "
                             "labels")  # fmt: skip


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


def _write_compare_report(args, report_dir, frame, result) -> pathlib.Path:
    """The one report of ``probnn compare``: the families side by side."""
    from probnn.report.model_card import write_comparison_report

    title = f"probnn compare {pathlib.Path(args.data).name} --target {args.target}"
    return _staged_report(report_dir, lambda folder: write_comparison_report(
        folder, result, data=args.data, frame=frame, target=args.target, drop=args.drop,
        impute=args.impute, test_size=args.test_size, seed=args.seed, title=title))


def _cmd_predict(args) -> int:
    if args.out:  # before any work: never replace an input, fail fast on a bad folder
        _check_output_file(pathlib.Path(args.out), "--out",
                           [("the model file", args.model), ("the data", args.data)])  # fmt: skip
    model = _load_tabular(args.model)
    if _streams(args):
        return _predict_streamed(args, model)
    frame = _read(args.data)
    table = model.predict_table(frame, coverage=args.coverage)
    text = table.to_csv(index=False, float_format="%.17g")
    if args.out:
        from probnn._io import atomic_write

        atomic_write(args.out, text)
    else:
        sys.stdout.write(text)
    return 0


def _predict_streamed(args, model) -> int:
    """``probnn predict --stream``: the CSV written batch by batch (to a temporary file that
    replaces --out once complete)."""
    from probnn.streaming import TableSource, predict_stream

    source = TableSource(args.data)
    if not args.out:
        predict_stream(model, source, sys.stdout.write, coverage=args.coverage)
        return 0
    from probnn._io import atomic_path

    with atomic_path(args.out) as staged, open(staged, "wb") as fh:
        predict_stream(model, source, lambda text: fh.write(text.encode("utf-8")),
                       coverage=args.coverage)  # fmt: skip
    return 0


def _cmd_evaluate(args) -> int:
    report_dir = pathlib.Path(args.report) if args.report else None
    if report_dir is not None:  # before any work
        _check_report_dir(report_dir, "--report",
                          [("the data", args.data), ("the model file", args.model)])  # fmt: skip
    model = _load_tabular(args.model)
    # On the very data it was fitted on (the SHA-256 its model file records), a model is
    # scored on the rows its fit held out, the same rows by the same rule: on the rest it
    # trained, and figures from them would not be held-out figures.
    if _streams(args):
        from probnn.streaming import TableSource, evaluate_stream, head_rows

        source = TableSource(args.data)
        record = _fitted_on(model, args.data)
        keep = _held_out_filter(record) if record else None
        metrics, n_rows = evaluate_stream(model, source, coverage=args.coverage, keep=keep)
        frame = head_rows(source, keep=keep) if report_dir is not None else None
        scored = f"; figures over the first {len(frame):,}" if frame is not None else ""
    else:
        frame = _read(args.data)
        record = _fitted_on(model, args.data)
        if record:
            if frame.shape[0] != record["rows"]:
                raise DataError(f"expected the {record['rows']:,} rows {args.model} was fitted "
                                f"on in {args.data} (same SHA-256); read {frame.shape[0]:,}")  # fmt: skip
            frame = frame[_held_out_filter(record)(range(frame.shape[0]))]
        metrics, n_rows, scored = model.evaluate(frame, coverage=args.coverage), frame.shape[0], ""
    if record:
        print(f"{args.model} was fitted on {args.data}: scoring only its {n_rows} held-out rows")
    print(f"{args.data}: {n_rows} rows, family {model.family}")
    _print_metrics(metrics, args.coverage)
    if report_dir is not None:
        from probnn.report.card import file_sha256

        which = (f"the {n_rows:,} rows of {args.data} its fit held out (--test-size "
                 f"{record['test_fraction']:g}, --seed {record['seed']})" if record else
                 f"all {n_rows:,} rows of {args.data} (held out only if the model never "
                 "saw them)")  # fmt: skip
        facts = dict(data=args.data, rows=record["rows"] if record else n_rows, held_out=frame,
                     train=None, reason="as saved in the model file", model_file=str(args.model),
                     model_sha=file_sha256(args.model), split=which + scored,
                     title=f"probnn evaluate {pathlib.Path(args.model).name} on "
                           f"{pathlib.Path(args.data).name}")  # fmt: skip
        html = _write_model_report(model, metrics, report_dir, args, facts)
        print(f"report written to {html}")
    return 0


def _cmd_compare(args) -> int:
    from probnn.families import FAMILIES

    requested = args.families
    unknown = [f for f in requested or [] if f not in FAMILIES]
    if unknown or requested == []:
        raise UsageError(
            f"--families expects names among {', '.join(FAMILIES)}; found "
            f"{', '.join(map(repr, unknown)) or 'none'}"
        )
    report_dir = pathlib.Path(args.report or f"{pathlib.Path(args.data).stem}-compare-report")
    _check_report_dir(report_dir, "--report", [("the data", args.data)])  # before any work
    with _cluster(args):  # before reading the data: a wrong --scheduler fails in seconds
        return _compare(args, requested, report_dir)


def _compare(args, requested, report_dir: pathlib.Path) -> int:
    """``probnn compare`` once its options are checked (and its scheduler, if any, reached)."""
    from probnn.compare import compare_families

    frame = _drop(_read(args.data), args.drop, args.target)
    from probnn.tabular import check_target_column, families_of_kinds, target_kinds

    check_target_column(frame, args.target)
    params = _family_params(args)
    if params:  # --family-param is bad usage unless some family tried takes each name
        tried = requested or families_of_kinds(target_kinds(frame[args.target])[0])
        params_of = _family_params_per_family(tried, params)
    else:
        params_of = {}
    result = compare_families(
        frame.drop(columns=[args.target]), frame[args.target], requested,
        test_size=args.test_size, seed=args.seed, coverage=args.coverage, impute=args.impute,
        levels=args.levels, family_params=params_of, n_jobs=args.jobs,
        say=lambda line: _say(args, line), hidden=args.hidden, solver=args.solver,
        epochs=args.epochs, progress=_progress(args) and not _runs_elsewhere(args),
        **_estimator_params(args),
    )  # fmt: skip
    for family in result.attempted:  # said once all are fitted (one bar per process would mix)
        _say(args, f"fitting {family} ...")
        if family in result.trained:
            _end_of_training(args, result.trained[family].estimator, result.seconds[family],
                             label=family)  # fmt: skip
    table = result.table
    print(f"held-out NLL on {result.test.size} rows (lower is better):")
    print(f"  {result.scoring}")
    width = max(14, 2 + max(len(f) for f in table["family"]))  # the longest family name, aligned
    print(f"  {'rank':<5}{'family':<{width}}{'nats/example':>14}{'bits/example':>14}"
          f"{'minus best':>12}{'SE':>9}")  # fmt: skip
    for rank, row in enumerate(table.itertuples(index=False), 1):
        shown = "-" if row.family == result.best else f"{row.se:.4f}"
        print(f"  {rank:<5}{row.family:<{width}}{row.nll_nats:>14.4f}{row.nll_bits:>14.4f}"
              f"{row.minus_best:>12.4f}{shown:>9}")  # fmt: skip
    if len(table) > 1:
        print("  (SE: standard error of the difference from the best, paired over the held-out "
              "rows)")  # fmt: skip
        print(f"  {result.verdict}")
    for family, why in result.skipped:
        print(f"  skipped {family}: {' '.join(why.split())}")
    for family, why in result.left_out:
        print(f"  {family} left out: {' '.join(why.split())}")
    html = _write_compare_report(args, report_dir, frame, result)
    _say(args, f"report written to {html}")
    return 0


def _family_params_per_family(families: Sequence[str], params: dict[str, float]):
    """Each family's share of the ``--family-param`` pairs: those its constructor takes.

    A name no family takes, or a value a family rejects, is bad usage.
    """
    from probnn.families import FAMILIES

    shares: dict[str, dict[str, float]] = {}
    for family in families:
        takes = set(FAMILIES[family].fixed_params)  # the family declares its parameters
        shares[family] = {k: v for k, v in params.items() if k in takes}
        _check_family_params(family, shares[family])
    unused = [k for k in params if not any(k in share for share in shares.values())]
    if unused:
        raise UsageError(
            f"--family-param {', '.join(unused)}: none of the families compared "
            f"({', '.join(families)}) takes that parameter"
        )
    return shares


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
