"""What ``probnn fit`` and ``compare`` fit when the network is the family's GLM, or should be.

* ``--hidden none`` in memory is the selection's GLM (``probnn.selection``): L-BFGS unless
  ``--solver`` says otherwise, and below ``selection.EVIDENCE_BELOW`` training rows, unless
  ``--alpha`` or a prior other than the Gaussian is given, the Gaussian prior's strength of
  largest Laplace evidence (``--alpha evidence``, :mod:`probnn.evidence`).
* A regression family's default network on a table too small to hold rows out for early
  stopping (``estimators._auto.auto_validation_fraction``: fewer than
  ``2 * defaults.AUTO_MIN_VALIDATION_ROWS`` training rows) chooses its epochs by folds
  (``estimators._folds``) where it can: exact targets, a stochastic solver. Where it cannot (a
  censored target, ``--solver lbfgs``) it would train its whole budget unchecked (R's
  GasolineYield, 25 training rows: a normal network's held-out NLL about 3e8): there the GLM
  is fitted instead, said in one line, unless ``--hidden`` or ``--epochs`` sets the network
  (``--family auto`` tries no network on such tables: ``probnn._selection_notes``). On exact
  targets the GLM was the worse choice (``bench/studies/tiny_tables.md``: its log-scale, linear
  in x, scored 2e14 nats on concrete subsamples where the folds' network scored 4.27).

* ``--hidden none`` (said, or the GLM above) of a regression family on exact targets on such a
  table is also fitted on 5 folds of its training rows, and a console warning says when their
  held-out NLL is above that of the family's constant model (:func:`glm_fold_warning`): its
  log-scale, linear in x, extrapolates (1e6-1e67 nats a row on 39 of 80 subsample and
  synthetic splits of ``tiny_tables.md``), and the command's own held-out rows are a handful.

* ``--family NAME`` with a network (in memory) is scored against that
  family's GLM, the selection's (fitted as ``--hidden none`` would fit it, on the same
  training rows), on the same held-out rows, and a console warning says when the network is
  worse by more than noise (:func:`network_glm_warning`); skipped, and said, on tables where
  the GLM would cost more than :data:`GLM_CHECK_CELLS` (issue 22, hostile F4).

The functions change ``args`` in place (``hidden``, ``solver``, ``alpha``), so every later use
of the options (the early-stopping rows, the report's settings) sees what is fitted.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["GLM_CHECK_CELLS", "checks_glm_by_folds", "default_solver", "glm_by_evidence",
           "glm_fold_warning", "glm_for_a_tiny_table", "network_glm_warning", "settle_glm"]

# The network-against-GLM check's cost ceiling, in training rows x the GLM's weights (each
# L-BFGS pass touches every cell; up to a few hundred passes). Measured (one core): 0.31 s
# CPU for Bike Sharing hourly's negative-binomial GLM (13,831 rows x 26 weights: 3.6e5 cells,
# 50 passes; its default network 4.2 s), 0.32 s for California's normal GLM (4.9e5 cells,
# 200 passes): about 1 us a cell, so 1e7 cells is at most ~10 s, well below a default
# network's fit on a table that size. MNIST's categorical GLM (48,000 x 7,850: 3.8e8 cells,
# minutes) is skipped, and said.
GLM_CHECK_CELLS = 10_000_000
# The warning's rule: the network's mean held-out NLL above the GLM's by more than this many
# paired standard errors (of the per-row differences, the same rows scored by both): a
# one-sided test's false alarm at about 2% where the network is no worse (4% by Student's t
# on 9 held-out rows, the fewest a 40-row table holds out; the selection's one-standard-error
# rule is a choice between near-equals; this is a warning, said only when the gap is clear).
GLM_CHECK_SE = 2.0


def _in_memory(args) -> bool:
    """Whether the command holds the table in memory (``compare`` always does)."""
    from probnn.cli.options import _streams

    return getattr(args, "stream", None) is None or not _streams(args)


def default_solver(args) -> None:
    """``--solver`` left out: L-BFGS for ``--hidden none`` in memory (the selection's GLMs'
    optimiser: full batch, to the MAP), else the regressor's default (adam)."""
    from probnn import defaults

    if args.solver is None:
        glm = args.hidden == () and _in_memory(args)
        args.solver = "lbfgs" if glm else defaults.REGRESSOR["solver"]


def glm_by_evidence(args, n_train: int, censored: bool = False) -> str | None:
    """``--hidden none`` without ``--alpha`` on fewer than ``selection.EVIDENCE_BELOW``
    training rows: ``args.alpha = "evidence"`` where the evidence applies (L-BFGS, a Gaussian
    prior, one model on exact targets in memory: not ``censored``), as the selection's GLMs.
    Returns the line that says so, or None where nothing changed."""
    from probnn.selection import EVIDENCE_BELOW

    if (args.hidden != () or args.alpha is not None or args.prior != "gaussian"
            or args.solver != "lbfgs" or getattr(args, "ensemble", 1) > 1 or censored
            or not _in_memory(args) or n_train >= EVIDENCE_BELOW):  # fmt: skip
        return None
    args.alpha = "evidence"
    return (f"the GLM's Gaussian prior: its strength of largest Laplace evidence (below "
            f"{EVIDENCE_BELOW:,} training rows, as --family auto's GLMs; --alpha A sets it)")


def glm_for_a_tiny_table(args, families: Sequence[str], n_train: int,
                         censored: bool = False) -> str | None:
    """The family's GLM instead of the default network where that network would train its
    whole budget unchecked: early stopping can hold no rows out of ``n_train`` and the folds
    that otherwise choose its epochs (``estimators._folds.applies``) do not apply, a
    ``censored`` target or L-BFGS (``args.hidden = ()``, L-BFGS unless ``--solver`` was given).

    Only where the network is the default one (no ``--hidden``, no ``--epochs``), in memory,
    and some family of ``families`` is a regression family (a classifier's default network
    keeps its own early stopping). Returns the line that says so, or None where nothing
    changed.
    """
    from probnn import defaults
    from probnn.estimators._auto import auto_validation_fraction
    from probnn.families import FAMILIES

    if (args.hidden is not None or args.epochs is not None or not _in_memory(args)
            or all(FAMILIES[f].is_classifier for f in families)):  # fmt: skip
        return None
    if auto_validation_fraction(n_train, defaults.REGRESSOR["validation_fraction"]) > 0:
        return None
    if not censored and args.solver != "lbfgs":  # the folds choose the network's epochs
        return None
    args.hidden = ()
    args.solver = args.solver or "lbfgs"
    why = "a censored target" if censored else "L-BFGS"
    return (f"note: {n_train} training rows are too few to hold any out for early stopping "
            f"(below {2 * defaults.AUTO_MIN_VALIDATION_ROWS}) and the folds that choose a "
            f"network's epochs there do not apply to {why}, so the default network would "
            "train its whole budget unchecked: fitting the family's generalised linear model "
            "instead (--hidden SIZES or --epochs N fits a network)")


def settle_glm(args, families: Sequence[str], n_train: int, select: bool = False,
               censored: bool = False) -> None:
    """:func:`glm_for_a_tiny_table`, :func:`default_solver` and :func:`glm_by_evidence` in
    that order (the first and last not under ``--family auto``'s selection, ``select``, which
    has rules of its own), each change said: the GLM in place of the network even with
    ``--quiet`` (it is not the model the options name), the evidence's prior as progress.
    ``censored``: the command's target is censored (``options._censoring``)."""
    from probnn.cli._common import _say

    if not select:
        note = glm_for_a_tiny_table(args, families, n_train, censored)
        if note:
            print(note)
    default_solver(args)
    line = None if select else glm_by_evidence(args, n_train, censored)
    if line:
        _say(args, line)


def checks_glm_by_folds(args, family: str, n_train: int, censored: bool = False) -> bool:
    """Whether ``probnn fit`` scores its GLM by folds against the family's constant
    (:func:`glm_fold_warning`): ``--hidden none`` (said or chosen by
    :func:`glm_for_a_tiny_table`), one model of a regression family on exact targets in
    memory, on a table too small to hold rows out for early stopping (as the default
    network's folds, ``estimators._folds``) but of 4 rows or more (two folds of two)."""
    from probnn import defaults
    from probnn.estimators._auto import auto_validation_fraction
    from probnn.families import FAMILIES

    return (args.hidden == () and _in_memory(args) and not censored and n_train >= 4
            and getattr(args, "ensemble", 1) == 1 and not FAMILIES[family].is_classifier
            and auto_validation_fraction(n_train, defaults.REGRESSOR["validation_fraction"])
            == 0)  # fmt: skip


def glm_fold_warning(train, fit, seed: int) -> str | None:
    """The console's warning when the GLM's held-out NLL over ``defaults.AUTO_CV_FOLDS``
    folds of the training rows ``train`` (a DataFrame with the target) is above that of the
    family's best constant model fitted on the same folds (as ``fit``'s held-out warning:
    any excess, its standard error said); None otherwise.

    ``fit(rows)`` fits the command's model on the rows ``rows`` (a ``TabularModel``). Below
    40 rows the command's own held-out rows are a handful, and the GLM's log-scale, linear
    in x, extrapolates exponentially: ``bench/studies/tiny_tables.md``, 1e6-1e67 nats a
    row on 39 of 80 subsample and synthetic splits where the constant scored 1.6-9.
    """
    import math
    import warnings

    import numpy as np

    from probnn import defaults
    from probnn.exceptions import DataError
    from probnn.report.model_card import constant_model
    from probnn.selection import cv_splits

    k = min(defaults.AUTO_CV_FOLDS, len(train) // 2)
    diffs, glm, const = [], 0.0, 0.0
    for part, held in cv_splits(len(train), k, seed):  # (K shuffled folds, seeded)
        try:
            with warnings.catch_warnings():  # (the fit on all rows said its warnings)
                warnings.simplefilter("ignore")
                model = fit(train.iloc[part])
                a = float(model.evaluate(train.iloc[held])["nll_nats"])
                b = float(constant_model(model, train.iloc[part], train.iloc[held])[0])
        except (DataError, ValueError):  # (a fold the model cannot fit: the check is advice)
            return None
        glm, const = glm + a * held.size, const + b * held.size
        diffs.append(a - b)
    glm, const = glm / len(train), const / len(train)
    if not glm > const:  # (nan: a fold's NLL undefined; not said as worse)
        return None
    se = float(np.std(diffs, ddof=1)) / math.sqrt(k)
    return (f"warning: on {k} folds of the {len(train)} training rows the generalised linear "
            f"model's held-out NLL is {glm:.4g}, worse than the best constant model's "
            f"{const:.4g} (by {glm - const:.4g} nats per example, standard error {se:.2g} "
            f"over the folds): on so few rows its scale, linear in the features, extrapolates; "
            f"try the default network (no --hidden: its epochs and scale chosen by folds), "
            f"another family, or compare")


def network_glm_warning(args, model, train, held_out, family: str, censoring=None,
                        family_params: dict | None = None, classes=None) -> str | None:
    """The console's line when ``model``'s network is worse on ``held_out`` than ``family``'s
    generalised linear model fitted on ``train`` (the same rows the network was given) by
    more than :data:`GLM_CHECK_SE` paired standard errors; None otherwise.

    Only for a network (hidden layers; an ensemble of them, or with ``--posterior
    laplace`` its predictive) of an explicit ``--family`` in memory; the GLM is the
    selection's (``selection._capacity_params``: L-BFGS, the command's prior, and below
    ``selection.EVIDENCE_BELOW`` rows of exact targets the evidence's strength), as
    ``--hidden none`` fits it. Where its cost passes :data:`GLM_CHECK_CELLS` it is not
    fitted: a progress line says so. A GLM that cannot be fitted says nothing (the check is
    advice), nor do rows whose NLL is not finite (the constant model's warning speaks there).

    Parameters
    ----------
    args : argparse.Namespace
        ``fit``'s options.
    model : TabularModel
        The fitted network.
    train, held_out : DataFrame
        The training and the held-out rows, with the target column.
    family : str
    censoring : Censoring, optional
    family_params : dict, optional
        ``--family-param`` values.
    classes : sequence, optional
        The target column's classes (a class family), as the network was given them.
    """
    import math
    import warnings

    import numpy as np

    from probnn.cli._common import _say
    from probnn.cli.options import _estimator_params
    from probnn.exceptions import DataError
    from probnn.report.card import is_linear, members
    from probnn.selection import EVIDENCE_BELOW, _capacity_params
    from probnn.tables.model import TabularModel

    if args.family == "auto" or is_linear(model.estimator) or len(held_out) < 2:
        return None
    first = members(model.estimator)[0]
    cells = len(train) * (np.asarray(first.coefs_[0]).shape[0] + 1) * np.asarray(
        first.intercepts_[-1]).size  # (inputs + 1) x raw outputs: the GLM's weights
    if cells > GLM_CHECK_CELLS:
        _say(args, f"the network is not compared with the {family} generalised linear model "
                   f"(--hidden none): {len(train):,} rows x its weights is {cells:.2g} cells, "
                   f"above the check's {GLM_CHECK_CELLS:.0g}")
        return None
    network = {k: v for k, v in _estimator_params(args).items() if k != "posterior"}
    evidence = len(train) < EVIDENCE_BELOW and censoring is None
    params = _capacity_params("glm", network, evidence)
    known = {} if classes is None else {"classes": classes}
    if family_params:
        known["family_params"] = family_params
    try:
        with warnings.catch_warnings():  # (advice: the GLM's own warnings are not the model's)
            warnings.simplefilter("ignore")
            glm = TabularModel.fit(train, args.target, family=family, seed=args.seed,
                                   impute=args.impute, levels=args.levels, censoring=censoring,
                                   **known, **params)  # fmt: skip
            y = model.encode_target(held_out)
            net = model.nll_rows(held_out, y)
            diff = net - glm.nll_rows(held_out, glm.encode_target(held_out))
    except (DataError, ValueError, ArithmeticError):  # (a GLM these rows refuse: no advice)
        return None
    if not np.all(np.isfinite(diff)):
        return None
    gap, se = float(np.mean(diff)), float(np.std(diff, ddof=1)) / math.sqrt(diff.size)
    if not gap > GLM_CHECK_SE * se:
        return None
    nll, n = float(np.mean(net)), len(members(model.estimator))
    what = "network's" if n == 1 else f"{n}-network ensemble's"
    return (f"warning: the {what} held-out NLL {nll:.4f} is worse than the {family} "
            f"generalised linear model's {nll - gap:.4f} (no hidden layer, fitted on the same "
            f"training rows; by {gap:.4f} nats per example, paired standard error {se:.2g} over "
            f"the {diff.size:,} held-out rows): try --hidden none, or --family auto")

