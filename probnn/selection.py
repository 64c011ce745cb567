"""Choose the family and the capacity of a model by held-out likelihood.

Of two models of the same data, the one with the lower negative log-likelihood on rows
it was not fitted on is the better fit. :func:`select_model` applies that rule to the
candidates ``family x capacity``: every family that fits the target's kinds (the
registry's ``target_kinds``; a target of class labels only the class families, unless
``families`` names others, and a few counts the class families and
:data:`COUNT_FAMILIES_OF_LABELS`) at three capacities, simplest first:

* ``constant``: the family's best constant model, which ignores the features
  (``TabularModel.fit(constant=True)``: a generalised linear model whose input weights
  are 0);
* ``glm``: the family's generalised linear model (no hidden layer, fitted by L-BFGS;
  below :data:`EVIDENCE_BELOW` rows its prior's strength chosen by the evidence,
  :mod:`probnn.evidence`);
* ``network``: the default network (or the one the caller's parameters describe).

Each candidate is scored on held-out rows: K-fold cross-validation below
:data:`LARGE_TABLE` rows (every row held out once), one split (``probnn._split``) above.
On one split with more than :data:`SCREEN_ROWS` training rows the constants and GLMs are
screened: fitted on that many of the training rows, scored on all the held-out rows, and
only those that could be chosen (within :data:`SCREEN_SE` paired standard errors plus
:data:`SCREEN_NATS` of the best candidate) fitted again on all the training rows; the
others keep their screened scores, said in the table (``screened out``).
The constants and the GLMs are cheap and scored for every family; networks only for the
families whose constant or GLM scored best (:data:`NETWORK_FAMILIES`: two under K folds,
one on one split). Successive halving under K folds: those networks and that of the kind's
first family (the registry's default) are fitted on the first fold, and on the others only
the best :data:`NETWORK_FAMILIES` of them that are not clearly behind (by more than 2
paired standard errors) the best candidate there. A
candidate that fails (training diverged, a target its family cannot take) is dropped and
recorded. The *one-standard-error rule* then chooses: of the candidates within one paired
standard error of the lowest mean NLL, the simplest (constant < GLM < network; at one
capacity a family nested in another's before it, ``Family.nests``; of rival families the
lower NLL, a tie within the fits' tolerance by the fewer raw outputs; on a few counts a count
family before a class family). The chosen
candidate is refitted on all rows, except a network scored on one split, which is kept as
fitted on the split's training rows (a large table: a fraction fewer rows, and no second
network's time); a regression network scored by K folds is refitted as a deep ensemble of
:data:`ENSEMBLE_REFIT` such networks (``ensemble``).

:class:`probnn.auto.AutoRegressor` and :class:`~probnn.auto.AutoClassifier` are the same
selection as scikit-learn estimators (``cv_results_``, ``best_family_``, ``best_capacity_``,
``best_estimator_``), in the spirit of ``LassoCV`` and ``HalvingGridSearchCV``.
Scoring is :mod:`probnn.compare`'s (a density, a label's probability, or an integer's
probability for a continuous family on counts), through :func:`probnn.compare_families`
on each fold. A real target with a point mass at its smallest or largest value (at least
:data:`POINT_MASS_SHARE` of its rows exactly there) is read as censored there
(``point_mass="censor"``, :func:`probnn._selection_notes.point_mass_censoring`): a density
could spike on the atom and win without bound, so every candidate is scored, and the choice
fitted, by the censored likelihood (families without a cdf kernel, or whose support cannot
hold the bound, are skipped with the reason); a caller's ``censoring`` likewise.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Collection, Mapping, Sequence

import numpy as np
import pandas as pd

from probnn import defaults
from probnn._split import TEST_FRACTION, split_rows
from probnn.compare import _target_frame, gap_exceeds_se, paired_difference, paired_standard_errors
from probnn._selection_notes import (CAPACITY_WORDS, POINT_MASS_SHARE, _name,
                                     _unchecked_networks, heap_note, point_mass_note,
                                     selection_censoring, selection_line)  # fmt: skip
# the candidates' scores on the folds, and a large table's screening (their constants too)
from probnn._selection_scores import _capacity_params, _run, _Scores, _summary
from probnn._selection_screening import (SCREEN_NATS, SCREEN_ROWS, SCREEN_SE,  # noqa: F401
                                         _load_compiled_kernels, _refit_screened, _screen_split)
from probnn.exceptions import DataError

__all__ = ["CAPACITIES", "Selection", "cv_splits", "nested_families",
           "one_standard_error_choice", "point_mass_note", "select_model", "within_noise"]  # fmt: skip

# The capacities, simplest first: the one-standard-error rule prefers the earlier.
CAPACITIES = ("constant", "glm", "network")
# Tables of at least this many rows are scored on one split, smaller ones by K folds:
# above it one held-out fifth has >= 1,000 rows, enough for a paired SE, and K networks
# would cost K fits.
LARGE_TABLE = 5000
N_SPLITS = 5
# Families whose network is tried ("auto"): those whose constant or GLM scored best, two
# under K folds (the halving drops the one behind after the first fold), one on one split
# (a large table, where the networks are the cost).
NETWORK_FAMILIES = {"folds": 2, "split": 1}
# A network more than this many paired standard errors behind the best candidate on the
# first fold is not fitted on the other folds.
HALVING_SE = 2.0
# Below this many rows a GLM's prior strength is chosen by its evidence (probnn.evidence,
# about 6-10 warm-started fits and a Laplace curvature each): there a near-flat prior lets a
# GLM on separable classes grow its weights until one held-out row costs tens of nats (iris:
# 1.03 nats against 0.18), and the fits are cheap. Above, the GLM has thousands of rows for
# its tens of weights, the prior's share of the posterior is small, and a mixture's or a
# zero-inflated family's evidence search would cost more than the network (California: the
# GLMs' 2 s became 45 s).
EVIDENCE_BELOW = LARGE_TABLE
# A regression network chosen by K folds is refitted as an ensemble of this many networks
# (defaults.ENSEMBLE_MEMBERS, the M = 5 of deep ensembles): see select_model's ``ensemble``.
ENSEMBLE_REFIT = defaults.ENSEMBLE_MEMBERS
# A few distinct non-negative integers are class labels and counts (target kinds
# ("ordered-classes", "count")): besides the class families, "auto" tries these count
# families, the count kind's default (Poisson) and its one-parameter overdispersed
# generalisation. A class model's support is the labels seen; a count law's is every count,
# so the likelihood can choose between "ratings" and "counts" (their NLLs are log-masses of the
# same integers) and a count model chosen scores a larger count at evaluate. The other count
# families (zero-inflated, hurdle: extra mass at 0, which a class model's free label
# probabilities already have) and the continuous families (by interval probability) are not
# tried unless named: all thirteen cost 7-10x the CPU on r-wine-rating for +0.034 nats.
COUNT_FAMILIES_OF_LABELS = ("poisson", "negative-binomial")


def cv_splits(n_rows: int, cv="auto", seed: int = 0, labels: np.ndarray | None = None,
              groups: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """The training and held-out rows of each fold.

    Parameters
    ----------
    n_rows : int
    cv : "auto", int, None, a scikit-learn splitter or an iterable of (train, test)
        ``"auto"``: :data:`N_SPLITS` shuffled folds below :data:`LARGE_TABLE` rows (one a
        row below ``N_SPLITS`` rows), one split above; an int K >= 2: K shuffled folds
        (``sklearn.model_selection.KFold``, ``random_state=seed``); None or 1: one split
        (``probnn._split.split_rows``, the ``fit`` command's rule, 20% held out); an
        object with ``split(X)``: its folds.
    seed : int
    labels : ndarray of shape (n_rows,), optional
        Class labels: ``"auto"`` then keeps each class's share in every fold
        (``StratifiedKFold``, as many folds as the rarest class has rows, at most
        :data:`N_SPLITS`), so every fold trains on every class; a class of one row cannot
        be in every fold's training rows: then :data:`N_SPLITS` stratified folds (the
        one-row class's fold scores it by the probability its model, which knows every
        class, leaves it: ``TabularModel.fit``'s ``classes``).
    groups : ndarray of int, shape (n_rows,), optional
        Each row's group (``tables.copies.copy_groups``: a row and its copies): the folds
        of ``cv`` ("auto", an int or None; ``labels`` then unused) are folds of the groups,
        and one split the row hash of the group's key, so a group is on one side of each.

    Returns
    -------
    list of (ndarray of int, ndarray of int)
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    if groups is not None and (cv is None or isinstance(cv, (str, int, np.integer))):
        return _group_splits(n_rows, cv, seed, np.asarray(groups))
    if isinstance(cv, str):
        if cv != "auto":
            raise ValueError(f"cv must be 'auto', an int, None or a splitter; found {cv!r}")
        # (a tiny table: a fold per row, each row held out once, rather than a refusal)
        cv = min(N_SPLITS, n_rows) if n_rows < LARGE_TABLE else None
        if cv is not None and labels is not None:
            text = np.asarray(labels, dtype=str)
            counts = np.unique(text, return_counts=True)[1]
            rarest = int(np.min(counts))
            # a label of one row is missing from its fold's training rows whatever the folds
            # (the fold's model still scores it: TabularModel.fit's classes); the other
            # labels keep their shares, in K folds where the commonest label fills them
            k = min(N_SPLITS, rarest) if rarest >= 2 else \
                cv if int(np.max(counts)) >= cv else 0  # fmt: skip
            if k >= 2:
                cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
                with warnings.catch_warnings():  # (the one-row label's "fewer than n_splits")
                    warnings.simplefilter("ignore", UserWarning)
                    splits = list(cv.split(np.zeros((n_rows, 1)), text))
                return [(np.asarray(a, dtype=np.intp), np.asarray(b, dtype=np.intp))
                        for a, b in splits]  # fmt: skip
    if cv is None or (isinstance(cv, (int, np.integer)) and cv == 1):
        return [split_rows(n_rows, seed, TEST_FRACTION)]
    if isinstance(cv, (int, np.integer)):
        if cv < 1 or cv > n_rows:
            raise ValueError(f"cv must be between 1 and the rows ({n_rows}); found {cv}")
        cv = KFold(n_splits=int(cv), shuffle=True, random_state=seed)
    splits = cv.split(np.zeros((n_rows, 1))) if hasattr(cv, "split") else cv
    return [(np.asarray(a, dtype=np.intp), np.asarray(b, dtype=np.intp)) for a, b in splits]


def _group_splits(n_rows: int, cv, seed: int, groups: np.ndarray):
    """:func:`cv_splits` of groups: K shuffled folds of the distinct groups (``KFold``, as
    "auto" or an int K says, at most one fold per group), or the row hash of each row's
    group key (``split_rows``' rule on the keys)."""
    from sklearn.model_selection import KFold

    distinct, inverse = np.unique(groups, return_inverse=True)
    inverse = inverse.reshape(-1)
    k = (min(N_SPLITS, distinct.size) if n_rows < LARGE_TABLE else None) if cv == "auto" else cv
    if k is None or k == 1:
        return [split_rows(n_rows, seed, TEST_FRACTION, keys=groups)]
    if not isinstance(k, (int, np.integer)) or not 2 <= k <= distinct.size:
        raise ValueError(f"cv must be 'auto', or an int between 1 and the groups ({distinct.size}) "
                         f"with groups; found {cv!r}")  # fmt: skip
    folds = KFold(n_splits=int(k), shuffle=True, random_state=seed).split(distinct)
    splits = []
    for _, held in folds:
        out = np.zeros(distinct.size, dtype=bool)
        out[held] = True
        splits.append((np.flatnonzero(~out[inverse]).astype(np.intp),
                       np.flatnonzero(out[inverse]).astype(np.intp)))  # fmt: skip
    return splits


def one_standard_error_choice(nll_rows: Mapping[tuple[str, str], np.ndarray],
                              outputs: Mapping[tuple[str, str], int] | None = None,
                              covering: Collection[str] = (),
                              nests: Mapping[str, Collection[str]] | None = None,
                              ) -> tuple[tuple[str, str], tuple[str, str], dict]:  # fmt: skip
    """The simplest candidate within one paired standard error of the best, and of every
    candidate with a lower mean NLL (paired over the rows: a candidate clearly beaten by
    another is not within noise of the best, even when the best's own SE is wide), and
    dominated by no candidate left out (one at least as simple with a lower mean NLL: a
    candidate is not within noise because its rows are noisier than those of a rejected
    one that is no more complex and better on the mean).

    Simpler: a family of ``covering`` (whose support holds every value the target's kind can
    take) before the others; then the first capacity of :data:`CAPACITIES`; then, at one
    capacity, a family nested in the other's (``nests``: a negative binomial before its
    zero-inflated form, a normal before the mixture of normals). The rule guards that nested
    path against selection noise; families of one capacity neither of which nests the other
    (rival laws: a normal and a mixture of Student-t's) are equally simple, and of those the
    lower mean NLL is chosen, unless the means tie within the fits' tolerance
    (``defaults.REGRESSOR["tol"]``, the improvement of the mean loss the fits count): then
    the fewer raw outputs (``outputs``), then the lower mean.

    Parameters
    ----------
    nll_rows : dict of (family, capacity) -> ndarray of shape (n,)
        Each candidate's per-row held-out NLL, on the same rows in the same order.
    outputs : dict of (family, capacity) -> int, optional
        Each candidate's number of raw outputs (default: all equal).
    covering : collection of str, optional
        The families whose support is the target's whole kind where others' is not: on a
        target of few counts, the count families (their support every count) against the
        class families (the labels seen). Within noise of each other the count family is
        chosen whatever its capacity: the folds cannot show the class model's blind spot (it
        was given every label of the column, held-out rows' too, and no fold holds a count
        beyond them), while on new rows a larger count is a refusal, not a cost.
    nests : dict of str -> collection of str, optional
        Each family's nested families, closed transitively (default: the registry's,
        ``Family.nests``, :func:`nested_families`); a family absent nests none.

    Returns
    -------
    chosen, best : (str, str)
        The candidate chosen, and the one of lowest mean NLL.
    se : dict of (family, capacity) -> float
        Each candidate's standard error of its difference from the best, paired over the
        rows (``probnn.compare.paired_standard_errors``; 0 for the best).
    """
    best, se = paired_standard_errors(nll_rows)
    mean, simpler = _simplicity(nll_rows, covering, nests)
    near = within_noise(nll_rows, outputs, covering, nests)
    # the set's simplest (no member simpler): rivals of one capacity, by the mean; those
    # within the fits' tolerance of the lowest mean are a tie, by the raw outputs
    least = [c for c in near if not any(simpler(d, c) for d in near)]
    low = min(mean[c] for c in least)
    tied = [c for c in least if mean[c] - low <= defaults.REGRESSOR["tol"]]
    outputs = outputs or {}
    chosen = min(tied, key=lambda c: (outputs.get(c, 0), mean[c]))
    return chosen, best, se


def within_noise(nll_rows: Mapping[tuple[str, str], np.ndarray],
                 outputs: Mapping[tuple[str, str], int] | None = None,
                 covering: Collection[str] = (),
                 nests: Mapping[str, Collection[str]] | None = None,
                 ) -> list[tuple[str, str]]:  # fmt: skip
    """The candidates :func:`one_standard_error_choice` chooses among (it takes the simplest):
    those within noise of the best, in ``nll_rows``' order; the best is always one.

    The same arguments as :func:`one_standard_error_choice` (``outputs`` unused: the raw
    outputs only break a tie of the choice). The candidates' table (``Selection.table``)
    labels these ``within 1 SE``: the rule that chooses is the one the table reports, not a
    gap to the best alone (a candidate inside the best's SE but clearly behind, or dominated
    by, another is out).
    """
    best, _ = paired_standard_errors(nll_rows)
    mean, simpler = _simplicity(nll_rows, covering, nests)
    return _within_noise(nll_rows, mean, best, simpler)


def nested_families() -> dict[str, frozenset[str]]:
    """Each registry family's nested families (``Family.nests``), closed transitively: a
    zero-inflated negative binomial nests the Poisson through the negative binomial."""
    from probnn.families import FAMILIES

    closed = {name: set(family.nests) for name, family in FAMILIES.items()}
    grew = True
    while grew:
        grew = False
        for inner in closed.values():
            more = set().union(*(closed.get(f, set()) for f in inner)) - inner
            grew = grew or bool(more)
            inner |= more
    return {name: frozenset(inner) for name, inner in closed.items()}


def _simplicity(nll_rows, covering, nests) -> tuple[dict, Callable]:
    """Each candidate's mean NLL, and ``simpler(c, d)``: whether candidate ``c`` is strictly
    simpler than ``d`` (a covering family, the capacity's place in :data:`CAPACITIES`, then
    at one capacity a family nested in the other's; rivals are equally simple)."""
    mean = {c: float(np.mean(rows)) for c, rows in nll_rows.items()}
    nests = nested_families() if nests is None else nests
    level = {c: (c[0] not in covering, CAPACITIES.index(c[1])) for c in nll_rows}

    def simpler(c, d) -> bool:
        return level[c] < level[d] or (level[c] == level[d] and c[0] != d[0]
                                       and c[0] in nests.get(d[0], ()))  # fmt: skip

    return mean, simpler


def _within_noise(nll_rows: Mapping[tuple[str, str], np.ndarray],
                  mean: Mapping[tuple[str, str], float], best: tuple[str, str],
                  simpler: Callable[[tuple[str, str], tuple[str, str]], bool],
                  ) -> list[tuple[str, str]]:  # fmt: skip
    """The candidates within noise of the best (:func:`one_standard_error_choice`), in
    ``nll_rows``' order; ``mean``: each one's mean NLL, ``best``: the lowest,
    ``simpler(c, d)``: whether ``c`` is strictly simpler than ``d`` (the choice's order)."""
    # each on its own: behind the best by no more than its SE (a NaN SE, one row, is
    # noise), and behind no other candidate by more than their paired SE: a model clearly
    # beaten by one that is itself within noise of the best is not (a constant inside a
    # noisy network's wide SE but clearly behind the GLM). On scenario 9's 35 tables x seeds
    # it changed one choice: R ReadingSkills seed 1, the normal-fixed GLM (behind the beta
    # GLM on the folds) -> the beta GLM, held out -0.381 -> -0.534 nats
    alone = {c for c in nll_rows if not _clearly_behind(nll_rows[c], nll_rows[best])
             and not any(_clearly_behind(nll_rows[c], nll_rows[d]) for d in nll_rows
                         if mean[d] < mean[c])}  # fmt: skip
    # then none dominated by one left out (lower mean, at least as simple: not c simpler
    # than it), walked by the mean so that one left out so dominates in turn. A wider SE
    # must not keep a candidate in where a steadier, no more complex one with a lower mean
    # is out (h6-equation-citations-cites seed 0: the mixture-normal constant, +0.019 +-
    # 0.022 behind the best, was kept and the hurdle-NB constant, +0.014 +- 0.006, was not;
    # held out the mixture was 0.12 nats behind the best network). Not every one behind a
    # rejected one: a rejected *network* must not push out a simpler GLM within noise (h3-
    # airquality-ozone seed 0: held out +0.16 +- 0.07 nats). On 96 table-seeds of scenario
    # 9's suites this changed one choice, eqcite's (bench/studies/onese_monotone.md)
    out: list[tuple[str, str]] = []
    for c in sorted(nll_rows, key=mean.get):
        if c not in alone or any(mean[d] < mean[c] and not simpler(c, d) for d in out):
            out.append(c)
    return [c for c in nll_rows if c not in out]


def _clearly_behind(rows: np.ndarray, other: np.ndarray) -> bool:
    """Whether ``rows``' mean NLL exceeds ``other``'s by more than one paired standard error
    (a NaN SE, one row, is noise)."""
    gap, se = paired_difference(rows, other)
    # (a gap below the fits' own tolerance is none: NB behind its zero-inflated form by 5e-5)
    return bool(gap > defaults.REGRESSOR["tol"] and gap_exceeds_se(rows, other))


@dataclasses.dataclass
class Selection:
    """What :func:`select_model` found.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per candidate, the scored ones best first: ``family``, ``capacity``,
        ``nll_nats`` (mean held-out NLL per row, over the folds it was scored on),
        ``minus_best`` and ``se`` (its paired difference from the best and that
        difference's standard error; NaN when not scored on every fold), ``folds``,
        ``seconds`` (wall-clock, all its fits) and ``status`` (``chosen``, ``best``,
        ``within 1 SE``: within noise of the best by the rule that chose,
        :func:`within_noise`; ``scored``, ``dropped: ...`` or ``failed: ...``).
    family, capacity : str
        The chosen candidate.
    model : TabularModel
        The chosen candidate fitted (see ``refitted``; a regression network chosen by K
        folds: an ensemble of such networks, see :func:`select_model`'s ``ensemble``).
    refitted : bool
        Whether ``model`` was fitted again on all the rows (else: on the one split's
        training rows).
    line : str
        Why, in one line (what ``probnn fit`` prints).
    kinds : tuple of str
    why : str
        The target's kinds, and why.
    folds : list of (ndarray, ndarray)
        Each fold's training and held-out rows.
    nll_rows : dict of (family, capacity) -> ndarray
        Per-row held-out NLLs of each candidate scored on every fold, the folds' held-out
        rows one after the other.
    notes : list of str
        What the reader should know of the scores (:func:`point_mass_note`; a heap inside
        a real target's range, ``_selection_notes.heap_note``).
    censoring : probnn.tables.censoring.Censoring or None
        How the target was read: the caller's censoring, or the one a point mass at an end
        was read as (``point_mass``); None for exact targets.
    point_mass : str or None
        Why a point mass was read as censored, in one line (None otherwise).
    """

    table: pd.DataFrame
    family: str
    capacity: str
    model: object
    refitted: bool
    line: str
    kinds: tuple
    why: str
    folds: list
    nll_rows: dict
    notes: list = dataclasses.field(default_factory=list)
    censoring: object = None
    point_mass: str | None = None


def _candidate_families(kinds: Sequence[str], families: Sequence[str] | None,
                        task: str | None) -> list[str]:  # fmt: skip
    """The families tried: those named, else those of the target's kinds (a target of class
    labels: the class families, and :data:`COUNT_FAMILIES_OF_LABELS` where the labels are
    also counts), limited to ``task``'s side."""
    from probnn.families import FAMILIES, LABEL_KINDS
    from probnn.tables.targets import families_of_kinds

    names = list(families) if families is not None else families_of_kinds(kinds)
    if families is None and task is None and kinds[0] in LABEL_KINDS:
        counts = [f for f in COUNT_FAMILIES_OF_LABELS
                  if any(k in FAMILIES[f].target_kinds for k in kinds[1:])]  # fmt: skip
        return [f for f in names if FAMILIES[f].is_classifier] + counts
    if task is not None:
        names = [f for f in names if FAMILIES[f].is_classifier == (task == "classifier")]
    if not names:
        raise DataError(f"expected a target a {task} can model; the target holds "
                        f"{' / '.join(kinds)} values, which no {task} family takes")  # fmt: skip
    return names


def select_model(
    X: pd.DataFrame,
    y,
    *,
    families: Sequence[str] | None = None,
    task: str | None = None,
    cv="auto",
    seed: int = 0,
    network_families: int | str = "auto",
    impute: bool = False,
    levels: Sequence[str] | None = None,
    family_params: Mapping[str, Mapping[str, float]] | None = None,
    n_jobs: int | None = 1,
    say: Callable[[str], None] | None = None,
    censoring=None,
    point_mass: str = "censor",
    ensemble: int | str = "auto",
    kinds: tuple[Sequence[str], str] | None = None,
    classes: Sequence | None = None,
    groups: np.ndarray | None = None,
    dispersion: bool = False,
    **network_params,
) -> Selection:
    """Choose a family and a capacity by held-out NLL, and fit the choice.

    Parameters
    ----------
    X : pandas.DataFrame of shape (n_rows, n_features)
        The feature columns as read from a file (each candidate preprocesses its
        training rows).
    y : pandas.Series or array-like of shape (n_rows,)
        The target.
    families : sequence of str, optional
        The families tried (default: those of the target's kinds; class labels: the class
        families).
    task : {"classifier", "regressor"}, optional
        Only the families of that side.
    cv : "auto", int, None or a splitter
        The folds (:func:`cv_splits`).
    seed : int, default=0
        The folds' and every fit's seed.
    network_families : int or "auto", default="auto"
        Families whose network is tried (0: constants and GLMs only; "auto":
        :data:`NETWORK_FAMILIES`, 2 under K folds, 1 on one split).
    impute, levels, family_params, n_jobs
        As :func:`probnn.compare_families` (``n_jobs``: the families of one stage fitted
        at once).
    say : callable, optional
        Called with lines of progress.
    censoring : probnn.tables.censoring.Censoring, optional
        Read ``y`` (with the columns of ``X`` it names) as censored bounds: every candidate
        is scored and the choice fitted by the censored likelihood (``compare_families``'
        ``censoring``; families without a cdf kernel skipped, with the reason).
    point_mass : {"censor", "density"}, default="censor"
        Without ``censoring``, a real target with :data:`POINT_MASS_SHARE` of its rows
        exactly at its smallest (largest) value: ``"censor"`` reads those rows as left-
        (right-) censored there (a Tobit model; ``Selection.point_mass`` says so),
        ``"density"`` scores them by each family's density and only warns
        (``Selection.notes``).
    ensemble : int or "auto", default="auto"
        The networks of the refitted choice when it is a regression family's network
        scored by K folds: "auto" :data:`ENSEMBLE_REFIT` (an ``EnsembleRegressor``, a deep
        ensemble of the chosen network, fitted on all the rows; 1 for censored targets),
        or that many (1: one network). A single network is one draw of its training's
        randomness: on small tables one draw can put a few rows at tens of nats (R
        Boston, yacht: intervals holding 70% of the test rows), and the mixture of five
        averages that away. The folds scored one network each, so the ensemble's score is
        at most theirs in expectation; a large table's network (one split) is kept as
        scored.
    kinds : (kinds, why), optional
        The target's kinds and the reason, as :func:`probnn.tables.targets.target_kinds`
        gives them, read from more rows than ``y`` (the whole column, held-out rows too:
        a family whose support misses a held-out value could not score it). None: ``y``'s.
    classes : sequence, optional
        A class target's classes in their order (:func:`probnn.tables.targets.class_order`),
        read from more rows than ``y`` (``probnn fit``'s whole column: a label whose every
        row is held out has none here). Every class family's model, on the folds and
        refitted, knows them and gives a label without training rows the probability of its
        half pseudo-count (``TabularModel.fit``'s ``classes``). None: ``y``'s.
    groups : ndarray of int, shape (n_rows,), optional
        Each row's group, kept on one side of every fold and of each fold's early stopping
        (``tables.copies.copy_groups``: a row with its copies; :func:`cv_splits`). None:
        each row its own.
    dispersion : bool, default=False
        Widen a chosen negative-binomial law's dispersion (plain, hurdle or zero-inflated)
        by the factor the folds' held-out rows cross-fit (``estimators._widening.
        cross_fitted_dispersion``). Off: on Bike Sharing hourly it lowered the NLL but put
        the coverage past its own mass (``bench/studies/count_dispersion.md``).
    **network_params
        The network candidates' arguments of :meth:`TabularModel.fit` (``hidden``,
        ``solver``, ``epochs``, estimator parameters); the constants and GLMs take those
        but ``hidden``, ``solver`` and ``epochs``. ``hidden=()`` leaves no network.

    Returns
    -------
    Selection

    Raises
    ------
    DataError
        For a table the tabular layer refuses, or when no candidate could be scored.
    """
    from probnn.tables.model import TabularModel
    from probnn.tables.columns import unsaid
    from probnn.tables.preprocessing import Preprocessor
    from probnn.tables.targets import check_target_column, target_kinds

    if ensemble != "auto" and not (isinstance(ensemble, int) and ensemble >= 1):
        raise ValueError(f"ensemble must be 'auto' or an integer >= 1; found {ensemble!r}")
    frame, target = _target_frame(X, y)
    check_target_column(frame, target)
    given = censoring.columns if censoring is not None else ()
    with warnings.catch_warnings(record=True) as table_warnings, unsaid():  # errors name
        warnings.simplefilter("always")  # rows; its warnings: said by the refit (or at the end)
        Preprocessor(impute=impute).fit(frame.drop(columns=[target, *given]))
    kinds, why = (target_kinds(frame[target], levels) if kinds is None
                  else (tuple(kinds[0]), kinds[1]))
    names = _candidate_families(kinds, families, task)
    censoring, said, note = selection_censoring(frame[target], kinds, censoring, point_mass)
    if censoring is not None:  # every row censored on one side: no maximum to select by
        censoring.check_trainable(frame, target)
    from probnn.families import FAMILIES

    # stratified folds whenever a class family is tried: its every fold trains on every class
    # (a count family is indifferent to the folds' make-up)
    labels = frame[target].to_numpy() if any(FAMILIES[f].is_classifier for f in names) else None
    folds = cv_splits(frame.shape[0], cv, seed, labels, groups)
    if families is None and len(folds) == 1:  # a family may decline one split (its cost)
        names = [f for f in names if FAMILIES[f].tried_on_one_split]
    # the count families beside class families (a few counts): their support holds every count
    covering = [f for f in names if not FAMILIES[f].is_classifier] if labels is not None \
        and "count" in kinds else []  # fmt: skip
    if say is not None:
        say(f"target kind: {' and '.join(kinds)}, since {why}; candidates: {', '.join(names)}, "
            "each as a constant model, a GLM and a network"
            + (f"; censored: {censoring.describe()}" if censoring is not None else ""))
    if network_families == "auto":
        network_families = NETWORK_FAMILIES["folds" if len(folds) > 1 else "split"]
    notes = [n for n in (note, heap_note(frame[target], kinds)) if n]
    unchecked = _unchecked_networks(folds, names, network_params)
    count_networks = True  # (a few counts: whether the count families' networks are tried)
    if unchecked and network_families > 0 and covering:
        # a classifier's budget is epochs: its networks as before (r-wine-rating's 59
        # training rows: the ordinal network, 1.42 nats, not the categorical constant, 1.87)
        count_networks = False
    elif unchecked and network_families > 0:
        network_families = 0
        notes.append(unchecked)
    # calibration=False: the selection ranks by NLL alone; the CRPS of a count family (a
    # numerical integral over its quantiles) cost 40x the fits on Bike Sharing hourly
    known = {} if classes is None else {"classes": classes}  # (class families only)
    # a label no row of y holds: y's rows are not the column's kind (two labels of three
    # are binary), the column's kinds are
    absent = classes is not None and np.setdiff1d(
        np.asarray(classes, dtype=str), frame[target].to_numpy().astype(str)).size > 0
    common = dict(seed=seed, impute=impute, levels=levels, family_params=family_params,
                  **({"groups": groups} if groups is not None else {}),
                  n_jobs=n_jobs, calibration=False, censoring=censoring, **known,
                  **({"kinds": (kinds, why)} if absent else {}))  # fmt: skip
    features, column = frame.drop(columns=[target]), frame[target]
    scores = _Scores(folds)
    scores.fold_models = {} if dispersion else None
    # (the evidence's Laplace curvature is of exact targets: a censored GLM keeps the prior)
    evidence = frame.shape[0] < EVIDENCE_BELOW and censoring is None
    screen = _screen_split(folds, seed)
    # the simple candidates' scores: on every fold, or on the screening subsample
    simple_scores = scores if screen is None else _Scores([screen])
    hidden = network_params.get("hidden")
    if screen is not None and n_jobs in (None, 1) and network_families > 0 and hidden != ():
        _load_compiled_kernels()
    for capacity in ("constant", "glm"):
        if say is not None:
            on = (f"{len(folds)} fold(s)" if screen is None else
                  f"{screen[0].size:,} of the {folds[0][0].size:,} training rows")
            say(f"scoring {len(names)} families' {CAPACITY_WORDS[capacity]}s on {on}")
        _run(features, column, simple_scores, names, capacity, range(len(simple_scores.folds)),
             _capacity_params(capacity, network_params, evidence), common)  # fmt: skip
    if (hidden is None or len(hidden) > 0) and network_families > 0:
        simple = simple_scores.complete()
        mean = {c: float(np.mean(r)) for c, r in simple.items()}
        ranked = sorted({c[0] for c in mean}, key=lambda f: min(
            v for c, v in mean.items() if c[0] == f))  # fmt: skip
        # a few counts: the class families' networks as without the count families (a count
        # GLM ranked high must not take a class network's place: a GLM's rank says little of
        # a network's, below), and a count family's where its constant or GLM ranks among
        # the network_families best of all
        top = [f for f in ranked if f not in covering][:network_families] + [
            f for f in ranked[:network_families] if f in covering and count_networks]
        if len(folds) > 1 and names[0] in ranked and names[0] not in top:
            # the kind's first family is screened too: a GLM's rank says little of a
            # network's (a location-scale family's network often wins where its GLM did not)
            top.append(names[0])
        params = _capacity_params("network", network_params)
        if say is not None and top:
            say(f"training the networks of {', '.join(top)}")
        _run(features, column, scores, top, "network", [0], params, common)
        if len(folds) > 1:  # halving: the networks clearly behind on fold 1 go no further
            first = scores.fold(0)
            if first:
                best0, se0 = paired_standard_errors(first)
                m0 = {c: float(np.mean(r)) for c, r in first.items()}
                for f in top:
                    c = (f, "network")
                    if c not in m0:  # failed on fold 1 (recorded): nothing to compare
                        continue
                    gap = m0[c] - m0[best0]
                    if gap > HALVING_SE * se0[c]:  # (an SE of 0: behind on every row)
                        scores.status[c] = (f"dropped after fold 1: {gap:+.4f} nats, "
                                            f"{HALVING_SE:g} SE ({se0[c]:.4f}) or more behind "
                                            f"{_name(best0)}")  # fmt: skip
                alive = sorted((f for f in top if (f, "network") in m0
                                and (f, "network") not in scores.status),
                               key=lambda f: m0[(f, "network")])  # fmt: skip
                for f in alive[network_families:]:
                    scores.status[(f, "network")] = (f"dropped after fold 1: not among the "
                                                     f"{network_families} best networks there")
            _run(features, column, scores, top, "network", range(1, len(folds)), params, common)
    if screen is not None:
        _refit_screened(features, column, scores, simple_scores, network_params, common, say)
    complete = scores.complete()
    if not complete:  # (every candidate failed on some fold: diverged, refused, ...)
        return dataclasses.replace(_unscored(
            frame, target, names[0], scores, folds, kinds, why, network_params,
            dict(seed=seed, impute=impute, levels=levels, censoring=censoring,
                 **(known if FAMILIES[names[0]].is_classifier else {}))), point_mass=said)
    outputs = {c: int(np.asarray(m.estimator.intercepts_[-1]).size)
               for c, m in scores.models.items()}  # fmt: skip
    chosen, best, se = one_standard_error_choice(complete, outputs, covering)
    candidates = [(f, c) for c in CAPACITIES for f in names]
    # the table's "within 1 SE" is the rule's own set, not a gap to the best alone
    table = _summary(scores, chosen, best, se, candidates,
                     within_noise(complete, outputs, covering))  # fmt: skip
    line = selection_line(table, folds, frame.shape[0])
    refit = len(folds) > 1 or chosen[1] != "network"
    if refit:
        members = 1
        if chosen[1] == "network" and not FAMILIES[chosen[0]].is_classifier:
            members = (ENSEMBLE_REFIT if censoring is None else 1) if ensemble == "auto" \
                else int(ensemble)  # fmt: skip
        if members > 1:
            line += f"; refitted on all {frame.shape[0]:,} rows as an ensemble of {members}"
        if say is not None:
            say(f"refitting {_name(chosen)} on all {frame.shape[0]:,} rows"
                + (f" ({members} networks)" if members > 1 else ""))
        extra = {"family_params": dict(family_params[chosen[0]])} if (
            family_params and family_params.get(chosen[0])) else {}  # fmt: skip
        if members > 1:
            extra.update(ensemble=members, n_jobs=n_jobs)
        if FAMILIES[chosen[0]].is_classifier:
            extra.update(known)
        model = TabularModel.fit(frame, target, family=chosen[0], seed=seed, impute=impute,
                                 levels=levels, censoring=censoring,
                                 **_capacity_params(chosen[1], network_params, evidence),
                                 **extra)  # fmt: skip
    else:  # a candidate's model, whose fit said nothing: the table's warnings said here
        model = scores.models[chosen]
        for said_once in table_warnings:
            warnings.warn(said_once.message, said_once.category, stacklevel=2)
    if dispersion and censoring is None and len(scores.fold_models.get(chosen, ())) == len(folds):
        # a count law's NB2 dispersion, widened where the folds' held-out rows say so
        from probnn.estimators._widening import cross_fitted_dispersion, set_dispersion_factor

        set_dispersion_factor(model.estimator, cross_fitted_dispersion(
            scores.fold_models[chosen], frame, folds, seed))  # fmt: skip
    return Selection(table=table, family=chosen[0], capacity=chosen[1], model=model,
                     refitted=refit, line=line, kinds=tuple(kinds), why=why, folds=folds,
                     nll_rows=complete, notes=notes, censoring=censoring,
                     point_mass=said)  # fmt: skip


def _unscored(frame, target, family, scores, folds, kinds, why, network_params, options):
    """No candidate could be scored on every fold: the kind's first family's network (the
    type rule's choice), fitted on all rows and said to be unscored."""
    from probnn.tables.model import TabularModel

    first = next(iter(scores.status.items()), None)
    model = TabularModel.fit(frame, target, family=family, **options,
                             **_capacity_params("network", network_params))  # fmt: skip
    reason = f" ({_name(first[0])}: {first[1]})" if first else ""
    line = (f"chose {family} network, unscored: no candidate could be scored on every fold"
            f"{reason}; the default for the target's kind")  # fmt: skip
    table = _summary(scores, None, None, {}, list(scores.status))
    return Selection(table=table, family=family, capacity="network", model=model, refitted=True,
                     line=line, kinds=tuple(kinds), why=why, folds=folds, nll_rows={},
                     censoring=options.get("censoring"))
