"""The ``probnn`` command: demo, fit, predict, evaluate, compare, derive, figures.

Every failure a user can cause ends with one line on stderr,
``probnn: error: ...``, and exit code 1 (bad data or files) or 2 (bad usage);
never a traceback. Ctrl-C (130) and SIGTERM (143) remove what was being written. A reader
that leaves early (``probnn predict ... | head``) ends the command quietly, with 141 (128 +
SIGPIPE), as Unix tools end.
``fit`` saves the model before drawing its report: a failing report says where it is. Heavy libraries (scikit-learn, matplotlib, pandas) are
imported inside the commands, so ``probnn --help`` and ``probnn derive`` start
fast.

The package: this module builds the parser and runs a command (``main``, the entry point);
``_errors`` (bad usage, one line on stderr, SIGTERM), ``_common`` (reading, output paths,
reports), ``options`` (the options several commands share) and one module per command
(``fit``, ``predict``, ``evaluate``, ``compare``; ``misc``: demo, derive, figures).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from probnn._say_once import forget_all as forget_said
from probnn._split import MIN_ROWS, TEST_FRACTION, split_rows
from probnn._version import __version__
from probnn.cli._errors import (Terminated, UsageError, _convergence_text, _fail,
                                _show_warning, _sigterm_as_interrupt, end_on_closed_stdout,
                                stdout_gone)  # fmt: skip
from probnn.cli.compare import _cmd_compare
from probnn.cli.evaluate import _cmd_evaluate, _held_out_filter
from probnn.cli.fit import SPLIT_PERMUTATION, SPLIT_ROW_HASH, _cmd_fit
from probnn.cli.misc import _cmd_demo, _cmd_derive, _cmd_figures
from probnn.cli.options import (CONNECT_TIMEOUT_S, SEED_MAX, _add_censoring_options,
                                _add_parallel_options, _add_stream_option, _add_training_options, _columns, _coverage,
                                _Parser, _positive_int, _set_help)  # fmt: skip
from probnn.cli.predict import _cmd_predict
from probnn.exceptions import DataError, NetworkTooLargeError, TrainingDivergedError

__all__ = ["main", "build_parser"]
# also read from here (tests, scripts): split_rows, TEST_FRACTION, MIN_ROWS, SEED_MAX,
# CONNECT_TIMEOUT_S, SPLIT_PERMUTATION / SPLIT_ROW_HASH, _held_out_filter, _convergence_text


# Names that moved into the library, still importable from here; looked up on first use so
# that ``probnn --help`` imports neither numpy nor pandas.
_MOVED = {"paired_standard_errors": "probnn.compare"}


def __getattr__(name: str):
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# The held-out figures whose convention varies in the literature, said in fit's and evaluate's help.
_METRICS_EPILOG = ("held-out figures of a class family: the Brier score is scikit-learn's "
                   "brier_score_loss: for two classes the mean of (P(y = 1) - y)^2, 0 to 1, "
                   "whichever family (bernoulli, or a two-class categorical or ordinal); for "
                   "more classes the mean over the rows of the sum over the classes of "
                   "(P(y = k) - [y = k])^2, 0 to 2")


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

    p = sub.add_parser("fit", help="fit a model to a CSV / Parquet file and save it",
                       epilog=_METRICS_EPILOG)
    p.add_argument("data", metavar="DATA",
                   help="CSV or Parquet file with a header row, or a folder of Parquet files; a "
                        "CSV field is missing when empty or NA, N/A, n/a, NaN, nan, NULL, null, "
                        "#N/A, <NA> (as R and pandas write it; the word None is text, a label), "
                        "in fit, predict and evaluate alike; a text column whose values are all "
                        "distinct (an identifier) is dropped from the features")  # fmt: skip
    p.add_argument("--target", required=True, metavar="COL", help="the column to predict")
    p.add_argument("--family", default="auto", metavar="NAME")
    _set_help(p, "--family", "the distribution of the target given the features: a registered "
                             "family (an unknown name is answered with the list; 'probnn derive "
                             "NAME' shows one's mathematics), or auto, the registry's default for "
                             "the target's kind, said with why")
    _add_training_options(p)
    _add_censoring_options(p)
    p.add_argument("--point-mass", choices=("censor", "density"), default=None,
                   help="--family auto on a real target with 5%% or more of its rows exactly at "
                        "its smallest (largest) value: censor (the default) reads those rows as "
                        "left- (right-) censored there, a Tobit model, and scores and fits every "
                        "family so; density scores each family's density (a spike there can "
                        "win) and only warns")  # fmt: skip
    p.add_argument("--ensemble", type=_positive_int, default=1, metavar="M",
                   help="fit M networks from independent seeds and predict with their equally "
                        "weighted mixture (a deep ensemble, one model file); regression "
                        "families only")
    _add_parallel_options(p, "the selection's families (--family auto) or the ensemble's "
                             "networks (--ensemble M)", "the ensemble's networks (--ensemble M)")
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

    p = sub.add_parser("predict", help="predictions and distribution parameters as CSV",
                       epilog="columns: prediction (a regressor's predicted mean, a classifier's "
                              "most probable label), p(LABEL) per class, the parameters of the "
                              "target's predicted distribution (e.g. loc, scale) and lower, upper "
                              "(its central interval of probability --coverage). A target "
                              "censored at fixed bounds (fit's --censored-below / "
                              "--censored-above, or a point mass read as censored) is recorded "
                              "as clip(Y, below, above): prediction, lower and upper are that "
                              "recorded value's mean (below a limit, the Tobit mean) and interval "
                              "(Y's moved to the bounds), the parameters Y's own. Survival "
                              "censoring (--event / --upper) keeps Y's throughout.")  # fmt: skip
    p.add_argument("model", metavar="MODEL", help="model file written by 'probnn fit'")
    p.add_argument("data", metavar="DATA", help="CSV or Parquet file with the model's feature columns")
    p.add_argument("--out", metavar="FILE", help="CSV file (default: standard output)")
    p.add_argument("--coverage", type=_coverage, default=0.9,
                   help="coverage of the central predictive interval (regression)")
    _add_stream_option(p, "predict batch by batch, writing the CSV in pieces")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser("evaluate", help="NLL and calibration of a saved model on the rows of a "
                                        "file (held-out figures only if the model never saw "
                                        "those rows)", epilog=_METRICS_EPILOG)  # fmt: skip
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
    _add_censoring_options(p)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``probnn`` command; returns the exit status."""
    shown = warnings.showwarning
    warnings.showwarning = _show_warning
    forget_said()  # each command says its keyed warnings once (the tables' spelling ones too)
    try:
        with _sigterm_as_interrupt():
            code = _run(build_parser(), argv)
        sys.stdout.flush()  # a reader gone found here (`probnn --help | head`), not at exit
        return code
    except BrokenPipeError:
        return end_on_closed_stdout() if stdout_gone() else _fail("Broken pipe", 1)
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
        if isinstance(exc, BrokenPipeError) and stdout_gone():  # `probnn ... | head`
            return end_on_closed_stdout()
        return _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), 1)
    except Terminated:  # after the cleanups: 128 + SIGTERM, as the shell reports a kill
        return _fail("terminated (SIGTERM)", 143)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:  # noqa: BLE001 - a bug of ours: still one line, no traceback
        return _fail(f"internal error {type(exc).__name__}: {exc} (please report this)", 1)
