"""The options several commands share (training, family parameters, --levels, --seed,
--stream, --jobs / --scheduler); the parsers of their values are in
:mod:`probnn.cli.options_values` (re-exported here).

The parser names no family and imports no family module: building it stays as cheap as
argparse (``probnn --help`` in about 0.1 s, not the second numpy and scipy take). The
commands check a family name against the registry when they run.
"""

from __future__ import annotations

import argparse
import contextlib
import math
from collections.abc import Sequence

from probnn import defaults
from probnn._split import TEST_FRACTION
from probnn.cli._errors import UsageError
# the value parsers, re-exported: the commands and tests import them from here
from probnn.cli.options_values import (  # noqa: F401
    _PRIORS, SEED_MAX, _alpha, _average, _batch_size, _columns, _coverage, _family_param,
    _fraction, _hidden, _jobs, _levels, _non_negative_float, _number, _positive_float,
    _positive_int, _prior, _seed, _word_or,
)


def _check_family_name(name: str, option: str = "--family") -> None:
    """Bad usage unless ``name`` is "auto" or a registered family (the list is the answer)."""
    from probnn.families import FAMILIES

    if name != "auto" and name not in FAMILIES:
        raise UsageError(f"{option} expects auto or one of {', '.join(FAMILIES)}; found {name!r}")


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
        get_family(family, **params).check_given_params()
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
                   help=f"hidden layer sizes, comma-separated, or none (also 0) for no hidden "
                        f"layer: the family's generalised linear model (default: "
                        f"{_sizes(reg['hidden_layer_sizes'])} for a regression family, as "
                        f"MLPRegressor; {_sizes(cls['hidden_layer_sizes'])} for a classifier)")
    p.add_argument("--solver", choices=("adam", "sgd", "lbfgs"), default=None,
                   help=f"optimiser: adam or sgd on minibatches (with early stopping), or "
                        f"full-batch L-BFGS (default: lbfgs for --hidden none in memory, as "
                        f"--family auto's GLMs; else {reg['solver']})")
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
                   help=f"epochs without a better validation NLL that make a plateau: a "
                        f"regressor's rate is divided by {1 / defaults.PLATEAU_FACTOR:g} on each "
                        f"of its first {defaults.PLATEAU_DROPS} and the next stops training, a "
                        f"classifier stops at the first "
                        f"(default: a regressor's is about {defaults.AUTO_PATIENCE_STEPS:,} "
                        f"minibatch steps, at least {defaults.AUTO_MIN_PATIENCE} epochs; a "
                        f"classifier's {cls['n_iter_no_change']})")
    p.add_argument("--prior", type=_prior, default=reg["prior"],
                   metavar="{gaussian,laplace,none}",
                   help="prior on the weights (MAP fit): gaussian is L2, laplace is L1, none "
                        "is plain maximum likelihood")
    p.add_argument("--alpha", type=_alpha, default=None, metavar="A",
                   help=f"strength of the prior's penalty, divided by the training rows "
                        "(scikit-learn's alpha); 0 is plain maximum likelihood; evidence (with "
                        "--hidden none --solver lbfgs, whose default it is below 5,000 training "
                        "rows): the Gaussian prior's strength of largest Laplace evidence "
                        f"(default: {reg['alpha']:g} for a regression family, "
                        f"{cls['alpha']:g} for a classifier)")
    p.add_argument("--dtype", choices=("float32", "float64"), default=None,
                   help="precision of the network's training: float64 for a target float32 cannot "
                        "resolve (e.g. counts about 1e12 that vary by a millionth) (default: "
                        f"{reg['dtype']})")
    p.add_argument("--test-size", type=_fraction, default=TEST_FRACTION, metavar="FRACTION",
                   help="fraction of the rows held out for testing (the report's figures)")
    p.add_argument("--seed", type=_seed, default=0,
                   help=f"random seed for the split and the weights, 0 to {SEED_MAX}")
    p.add_argument("--levels", type=_levels, default=None, metavar="L1,L2,...",
                   help="the class labels of the target in their order, e.g. low,medium,high, "
                        "each exactly as the table holds it (spaces count, as in its fields): "
                        "a family of ordered classes needs it for text labels, unless the "
                        "column is an ordered categorical (Parquet); with an order, compare and "
                        "--family auto try the ordinal family too; a label not listed is an "
                        "error; saved in the model (none by default)")
    p.add_argument("--impute", action="store_true",
                   help="fill missing feature values (median / most frequent) instead of failing "
                        "(missing: an empty CSV field or NA, NaN, NULL, ...; not the word None); "
                        "each column with missing values gets a 0/1 missing-value indicator "
                        "feature, so filled-in rows can be predicted less certain")
    p.add_argument("--posterior", choices=("none", "laplace"), default="none",
                   help="laplace: after the fit, a Gaussian posterior over the output layer's "
                        "weights (Laplace approximation, prior precision chosen by the "
                        "evidence); predictions integrate over it, adding the network's own "
                        "uncertainty to the data's (one network, in memory; not with --ensemble)")
    p.add_argument("--quiet", action="store_true",
                   help="print only the results: no progress bar, no end-of-training line")


def _add_parallel_options(p: argparse.ArgumentParser, what: str,
                          on_cluster: str | None = None) -> None:
    p.add_argument("--jobs", type=_jobs, default=1, metavar="N",
                   help=f"fit {what} in N worker processes at once (-1: one per core; each "
                        "worker's BLAS gets cores // N threads); the results are the same as "
                        "with 1, one after the other")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help=f"fit {on_cluster or what} on the workers of this dask.distributed "
                        "scheduler, e.g. "
                        "tcp://10.0.0.5:8786 (needs the extra probnn[dask]; the data travels "
                        "to the workers, the results come back here; none by default)")


def _add_censoring_options(p: argparse.ArgumentParser) -> None:
    """``--upper``, ``--event``, ``--censored-above``, ``--censored-below``: a censored target
    (``probnn.tables.censoring.Censoring``)."""
    p.add_argument("--upper", metavar="COL",
                   help="column of upper bounds beside the target, which then holds the lower "
                        "bound: an empty cell is an exact value, inf right-censored (Y > "
                        "target), a target of -inf left-censored; scored by -log P(lower < Y "
                        "<= upper)")  # fmt: skip
    p.add_argument("--event", metavar="COL",
                   help="column of events, 1 observed and 0 right-censored (the target is then "
                        "only a lower bound), as survival tables hold it")  # fmt: skip
    p.add_argument("--censored-above", type=_number(float, math.isfinite, "a finite number"),
                   metavar="VALUE", help="a cap: targets at or above VALUE are right-censored "
                   "at VALUE (Y > VALUE), e.g. California's house values recorded as 500,001")
    p.add_argument("--censored-below", type=_number(float, math.isfinite, "a finite number"),
                   metavar="VALUE", help="a detection limit: targets at or below VALUE are "
                   "left-censored at VALUE (Y <= VALUE)")  # fmt: skip


def _censoring(args):
    """The ``Censoring`` the options ask for, or None (bad usage for a contradiction)."""
    from probnn.tables.censoring import Censoring

    try:
        censoring = Censoring(upper=args.upper, event=args.event, above=args.censored_above,
                              below=args.censored_below)  # fmt: skip
    except ValueError as exc:
        raise UsageError(f"--upper / --event / --censored-above / --censored-below: {exc}") from None
    for option, column in (("--upper", args.upper), ("--event", args.event)):
        if column is not None and column == args.target:
            raise UsageError(f"{option} {column!r} is the target column itself")
        if column is not None and column in getattr(args, "drop", ()):
            raise UsageError(f"{option} {column!r} is also dropped by --drop")
    if censoring.active and getattr(args, "posterior", "none") != "none":
        raise UsageError("--posterior laplace takes exact targets; --upper / --event / "
                         "--censored-above / --censored-below make this one censored")  # fmt: skip
    return censoring if censoring.active else None


def _in_memory_only(censoring) -> None:
    """Bad usage: a censored target is read with the table in memory, not streamed."""
    if censoring is not None:
        raise UsageError("a censored target (--upper, --event, --censored-above, "
                         "--censored-below) is read with the table in memory, not streamed: "
                         "use --stream no")  # fmt: skip


def _add_stream_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--stream", choices=("auto", "yes", "no"), default="auto",
                   help=f"{what}; auto streams a folder of Parquet files or a file of at least "
                        "1 GiB")  # fmt: skip


def _streams(args) -> bool:
    """Whether the command reads DATA in record batches (``--stream``)."""
    from probnn.tables.sources import should_stream

    return should_stream(args.data, args.stream)


def _check_evidence(args) -> None:
    """Bad usage: ``--alpha evidence`` (``probnn.evidence``) needs one GLM fitted to its MAP by
    L-BFGS, on exact targets in memory, under a Gaussian prior."""
    if getattr(args, "hidden", None) != () or getattr(args, "solver", None) != "lbfgs":
        raise UsageError("--alpha evidence chooses a GLM's prior by the evidence at its MAP: use "
                         "it with --hidden none --solver lbfgs")  # fmt: skip
    if args.prior != "gaussian":
        raise UsageError(f"--alpha evidence chooses a Gaussian prior's strength; found --prior "
                         f"{'none' if args.prior is None else args.prior}")  # fmt: skip
    if getattr(args, "ensemble", 1) > 1:
        raise UsageError("--alpha evidence fits one GLM; --ensemble M fits M networks")
    if any(getattr(args, name, None) is not None
           for name in ("upper", "event", "censored_above", "censored_below")):
        raise UsageError("--alpha evidence takes exact targets; --upper / --event / "
                         "--censored-above / --censored-below make this one censored")
    if getattr(args, "stream", None) is not None and _streams(args):
        raise UsageError("--alpha evidence needs the table in memory (L-BFGS); use --stream no")


def _estimator_params(args) -> dict:
    """The training options of ``fit`` and ``compare`` as estimator parameters: those given
    (an option left out keeps the estimator's default)."""
    params = dict(learning_rate_init=args.lr, batch_size=args.batch_size,
                  n_iter_no_change=args.patience, prior=args.prior, alpha=args.alpha,
                  ema_decay=args.average, dtype=getattr(args, "dtype", None))  # fmt: skip
    params = {k: v for k, v in params.items() if v is not None or k == "prior"}
    if params.get("ema_decay") == "none":
        params["ema_decay"] = None
    if params.get("alpha") == "evidence":
        _check_evidence(args)
    if getattr(args, "posterior", "none") != "none":  # TabularModel.fit(posterior=) takes it
        if getattr(args, "stream", None) is not None and _streams(args):
            raise UsageError("--posterior laplace needs the table in memory; use --stream no")
        params["posterior"] = args.posterior
    return params


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


def _check_levels(args, family: str) -> None:
    """Bad usage: --levels with a family that does not model class labels."""
    from probnn.tables.targets import is_classifier_family

    if args.levels is not None and family != "auto" and not is_classifier_family(family):
        raise UsageError(f"--levels orders class labels; family {family} models numbers, not "
                         "classes (drop --levels, or choose a class family)")  # fmt: skip


def _check_ensemble(args, family: str) -> None:
    """Bad usage: --ensemble with a classifier's family, or with --posterior laplace."""
    if getattr(args, "ensemble", 1) > 1 and getattr(args, "posterior", "none") != "none":
        raise UsageError("--posterior laplace wraps one network; --ensemble M fits M "
                         "(an ensemble is its own approximation of the posterior)")  # fmt: skip
    if getattr(args, "ensemble", 1) > 1 and family != "auto":
        from probnn.families import get_family

        if get_family(family).is_classifier:
            raise UsageError(f"--ensemble needs a regression family; {family} models class "
                             "labels")  # fmt: skip
