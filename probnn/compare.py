"""Compare likelihood families on one table: the same split, the same seed, held-out NLL.

:func:`compare_families` is ``probnn compare`` as a library call: each family is fitted
(a :class:`~probnn.tables.model.TabularModel`) on the same training rows, scored on the same
held-out rows, and ranked by its mean held-out negative log-likelihood, with the standard
error of its difference from the best paired over those rows. The command line reads the
file, prints the ranking and writes the report; everything it prints comes from here.

The features are a table as read from a file (``X``: a DataFrame of raw columns, text and
missing values included); preprocessing is each family's own, fitted on the training rows
only, as in ``probnn fit``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction

import numpy as np
import pandas as pd

from probnn._split import TEST_FRACTION, split_rows
from probnn.exceptions import DataError, TrainingDivergedError

__all__ = ["FamilyComparison", "compare_families", "gap_exceeds_se", "paired_difference",
           "paired_standard_errors"]


def paired_standard_errors(nll_rows: Mapping[str, object]) -> tuple[str, dict[str, float]]:
    """The best family by mean NLL and each family's standard error of its difference from it.

    Parameters
    ----------
    nll_rows : dict of str -> ndarray of shape (n,)
        Per-row NLLs (or another per-row score where lower is better, such as the CRPS)
        of each family on the same held-out rows.

    Returns
    -------
    best : str
    se : dict of str -> float
        ``std(nll_f - nll_best, ddof=1) / sqrt(n)`` (paired over the rows; 0 for the best).
    """
    best = min(nll_rows, key=lambda f: float(np.mean(nll_rows[f])))
    return best, {family: paired_difference(rows, nll_rows[best])[1]
                  for family, rows in nll_rows.items()}  # fmt: skip


def paired_difference(rows, other) -> tuple[float, float]:
    """The mean of ``rows - other`` (per-row scores on the same rows) and its standard error,
    ``std(rows - other, ddof=1) / sqrt(n)`` (NaN for one row)."""
    with np.errstate(invalid="ignore"):  # (inf - inf: two laws without a finite CRPS)
        d = np.asarray(rows, dtype=np.float64) - np.asarray(other, dtype=np.float64)
    with np.errstate(over="ignore"):  # (squares beyond float64: an infinite SE)
        se = float(np.std(d, ddof=1) / math.sqrt(d.size)) if d.size > 1 else math.nan
    return float(np.mean(d)), se


def gap_exceeds_se(rows, other) -> bool:
    """Whether the mean of ``d = rows - other`` exceeds its standard error
    (:func:`paired_difference`), decided exactly where float64 cannot.

    ``mean(d) > std(d, ddof=1) / sqrt(n)`` is, squared and multiplied out,
    ``sum(d) > 0 and sum(d)**2 > sum(d**2)``. Where one row's difference dwarfs the others'
    (a held-out NLL of 1e40 on one row) both sides are that row's ``|d| / n`` to float64's
    precision, and the other rows, behind by a nat each, are lost in the rounding: the
    comparison is then made in exact rationals, as it is where the squares leave float64's
    normal range. Float64 errs by far less than the ``1e-6`` of the two sides that sends a
    comparison there, so no other answer changes.
    """
    gap, se = paired_difference(rows, other)
    d = np.asarray(rows, np.float64) - np.asarray(other, np.float64)
    trusted = 1e-150 < se < 1e150 and abs(gap - se) > 1e-6 * se
    if not gap > 0 or trusted or d.size < 2 or not np.isfinite(d).all():
        return bool(gap > se)  # (a NaN SE, one row: False)
    d = [Fraction(v) for v in d]
    total = sum(d)
    return total > 0 and total * total > sum(v * v for v in d)


def _is_label_kind(kind: str) -> bool:
    from probnn.families import LABEL_KINDS

    return kind in LABEL_KINDS


def _scores_integers(family: str, kind: str) -> bool:
    """Whether a continuous ``family`` is scored on an integer target by P(y - 1/2 < Y <= y + 1/2)."""
    from probnn.families import DISCRETE_KINDS, FAMILIES

    return kind in DISCRETE_KINDS and FAMILIES[family].support not in DISCRETE_KINDS


def scoring_line(kinds: str | Sequence[str]) -> str:
    """How held-out rows of a target of ``kinds`` are scored, in one line."""
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    kind = kinds[-1]  # a few integers are labels and counts: scored as integers
    if _is_label_kind(kind):
        return "scoring: log-probability of each held-out class label"
    if kind not in ("count", "integer"):
        return "scoring: log-density at each held-out target (every family here is a density)"
    classes = " (the class families: of y as a class label)" if _is_label_kind(kinds[0]) else ""
    return ("scoring: log-probability of each held-out integer y" + classes + "; the continuous "
            "families by P(y - 1/2 < Y <= y + 1/2) = cdf(y + 1/2) - cdf(y - 1/2), not by their "
            "density")  # fmt: skip


_CENSORED_SCORING = ("scoring: -log P(lower < Y <= upper) of each held-out row's bounds (the "
                     "censored likelihood); exact rows by their density, or, for a continuous "
                     "family on a count target, by P(y - 1/2 < Y <= y + 1/2)")


def _support_problem(frame: pd.DataFrame, target: str, family: str, kinds: Sequence[str],
                     levels: Sequence[str] | None = None, dtype=np.float32,
                     censoring=None, classes=None) -> str | None:  # fmt: skip
    """Why ``family`` cannot model the target column (of ``kinds``: every kind it is, see
    ``probnn.tables.targets.target_kinds``) when trained in ``dtype``, or None when it can; with
    a ``censoring`` (``probnn.tables.censoring.Censoring``), its bounds; with ``classes`` (the
    whole column's, ``compare_families``'), a class family's classes are those."""
    from probnn.families import get_family
    from probnn.tables.targets import (check_trainable_target, class_order, order_classes,
                                       ordered_categories, regression_target, target_labels)

    declared = get_family(family)
    if not any(k in declared.target_kinds for k in kinds):
        if all(_is_label_kind(k) for k in kinds) and not declared.is_classifier:
            return "a density is not a probability of a class label; the target holds class labels"
        return (f"{family} models {', '.join(declared.target_kinds)} targets; the target holds "
                f"{' / '.join(kinds)} values")  # fmt: skip
    column = frame[target]
    if censoring is not None:
        if not declared.models_intervals:
            return f"{family} has no cdf kernel for censored rows"
        try:
            censoring.bounds(frame, target, declared)
        except DataError as exc:
            return str(exc)
        return None
    try:
        if declared.is_classifier:
            labels = target_labels(column, target)
            n = len(set(labels.tolist())) if classes is None else len(classes)
            if declared.support == "binary" and n != 2:
                return f"{family} needs 2 classes; the target has {n}"
            if classes is None:
                class_order(column, labels, target, family, levels)
            else:  # (the order's refusals: text labels of an ordered family, ...)
                order_classes(np.asarray(classes), ordered_categories(column), target, family,
                              levels)  # fmt: skip
            return None
        y = regression_target(column, target, declared)
        check_trainable_target(y, column, target, declared, dtype)
    except DataError as exc:
        return str(exc)
    return None


def _row_nll(model, held_out: pd.DataFrame, kind: str, dist=None) -> np.ndarray:
    """Per-row held-out NLL of a fitted model, in the scoring the target's kind calls for
    (``dist``: the model's predictions on ``held_out`` where the caller has them already)."""
    from probnn._discrete import integer_log_prob

    y = model.encode_target(held_out)
    if model.censoring is not None:  # -log P(lower < Y <= upper); exact integers as intervals
        if _scores_integers(model.family, kind):
            exact = y[:, 0] == y[:, 1]
            y = y + np.where(exact, 1.0, 0.0)[:, None] * np.array([-0.5, 0.5])
        return model.nll_rows(held_out, y)
    if dist is None:
        dist = model.predict_dist(held_out)
    if _scores_integers(model.family, kind):
        return -integer_log_prob(dist, y)
    return -np.asarray(dist.log_prob(y), dtype=np.float64)


def _shared_preprocessing(train_frame: pd.DataFrame, not_features: Sequence[str],
                          impute: bool) -> tuple | None:  # fmt: skip
    """The features' preprocessing learned on the training rows, and their transform (the
    matrix read-only): what every family's :meth:`TabularModel.fit` would learn from the same
    rows, learned once (``prepared``). None where it fails: each fit then names the problem,
    as it would alone."""
    from probnn.tables.preprocessing import Preprocessor

    features = train_frame.drop(columns=list(not_features))
    try:
        preprocessor = Preprocessor(impute=impute).fit(features)
        X = preprocessor.transform(features)
    except DataError:
        return None
    X.flags.writeable = False
    return preprocessor, X


class _HeldOut:
    """The held-out rows' predictions: the rows transformed once by the preprocessor the
    families share (:func:`_shared_preprocessing`), else by each model's own."""

    def __init__(self, frame: pd.DataFrame, shared: tuple | None) -> None:
        self.frame, self.shared, self.X = frame, shared, None

    def predict_dist(self, model):
        """``model.predict_dist(frame)``, the same numbers."""
        if self.shared is None or model.preprocessor is not self.shared[0]:
            return model.predict_dist(self.frame)  # e.g. a model fitted in another process
        if self.X is None:
            self.X = model.transform(self.frame)
        return model.estimator.predict_dist(self.X)


def _fit_family(task: dict):
    """Fit one family on its training rows (in a joblib worker, or here).

    Parameters
    ----------
    task : dict
        ``frame`` (the training rows), ``target``, ``family`` and the other keyword
        arguments of :meth:`TabularModel.fit`.

    Returns
    -------
    model : TabularModel or None
    seconds : float or None
        Wall-clock seconds of the fit.
    failure : str or None
        Why the family could not be fitted (training diverged, or the family refused these
        training rows: a ``DataError`` of its own), else None.
    """
    from probnn.tables.model import TabularModel

    task = dict(task)
    frame, target = task.pop("frame"), task.pop("target")
    started = time.perf_counter()
    try:
        model = TabularModel.fit(frame, target, **task)
    except TrainingDivergedError as exc:
        return None, None, f"training diverged: {exc}"
    except DataError as exc:  # this family's, not the table's: the others are still scored
        return None, None, " ".join(str(exc).split())
    return model, time.perf_counter() - started, None


def _verdict(ranked: Sequence[str], means: Mapping[str, float], se: Mapping[str, float]) -> str:
    """The winner against the runner-up, in words: a win, or within noise (under 2 SE)."""
    best = ranked[0]
    if len(ranked) == 1:
        return f"{best} is the only family that could be fitted."
    second = ranked[1]
    gap, error = means[second] - means[best], se[second]
    # (a gap of 4.3e16 nats read "42951432713589552.0000": from 1e6 on, four significant
    # digits and an exponent, as the metrics print it)
    shown = f"{gap:#.4g}" if math.isfinite(gap) and abs(round(gap, 4)) >= 1e6 else f"{gap:.4f}"
    if gap == 0 and error == 0:  # the same NLL on every row (e.g. two families' constants)
        return f"{best} and {second} predict every held-out row with the same probability"
    if gap > 0 and error == 0:
        return f"{best} beats {second} by {shown} nats/example on every held-out row"
    if not gap >= 2 * error:  # (a NaN SE, from one held-out row, is noise too)
        return (f"{best} and {second} are within noise: {shown} nats/example apart, "
                f"less than 2 SE ({2 * error:.4f}); another split or seed may order "
                "them the other way")  # fmt: skip
    return f"{best} beats {second} by {shown} nats/example, {gap / error:.1f} SE"


@dataclasses.dataclass
class FamilyComparison:
    """What :func:`compare_families` found.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per scored family, best first: ``family``, ``nll_nats`` and ``nll_bits``
        (mean held-out NLL per row), ``minus_best`` (nats), ``se`` (standard error of the
        difference from the best, paired over the held-out rows; NaN for the best),
        ``coverage`` (empirical coverage of the central ``coverage`` interval),
        ``coverage_expected`` (the model's own mass of those intervals, averaged over the
        rows, :func:`probnn.metrics.interval_mass`: ``coverage`` for a continuous family,
        more for a count family, whose intervals hold their ends' whole masses; what a
        calibrated model's ``coverage`` is) and ``pit_ks`` (KS distance of the PIT values
        from uniform), ``crps`` (mean held-out CRPS, :func:`probnn.crps`, in the target's
        units) and ``crps_se`` (standard error of the CRPS's difference from the lowest
        CRPS, paired over the held-out rows; NaN for that family); the last five NaN for
        the class-label families.
    models : dict of str -> TabularModel
        The fitted models that were scored, in the families' order.
    best : str
    verdict : str
        The winner against the runner-up, in words.
    kinds : tuple of str
        The target's kinds (``probnn.tables.targets.target_kinds``); ``why`` says why.
    scoring : str
        How the held-out rows were scored (densities, probabilities of integers, labels).
    train, test : ndarray of int
        Positions of the training and the held-out rows in ``X``.
    nll_rows : dict of str -> ndarray of shape (n_test,)
        Each scored family's per-row held-out NLL.
    standard_errors : dict of str -> float
    dists : dict of str -> Distribution
        Each scored family's predictions on the held-out rows.
    trained : dict of str -> TabularModel
        Every family that trained (also those whose held-out rows could not be scored).
    seconds : dict of str -> float
        Wall-clock seconds of each family's fit.
    skipped : list of (str, str)
        Families tried but not ranked, and why, in the families' order.
    left_out : list of (str, str)
        Families not tried (``families=None``) that a few rows of the target keep out.
    families : list of str
        The families tried, in order.
    attempted : list of str
        The families whose fit was started (those the target's values admit), in order.
    coverage : float
        The nominal coverage of ``table``'s ``coverage`` column.
    crps_rows : dict of str -> ndarray of shape (n_test,)
        Each scored regression family's per-row held-out CRPS, in the target's units.
    """

    table: pd.DataFrame
    models: dict
    best: str
    verdict: str
    kinds: tuple
    why: str
    scoring: str
    train: np.ndarray
    test: np.ndarray
    nll_rows: dict
    standard_errors: dict
    dists: dict
    trained: dict
    seconds: dict
    skipped: list
    left_out: list
    families: list
    attempted: list
    coverage: float
    crps_rows: dict = dataclasses.field(default_factory=dict)

    @property
    def ranked(self) -> list[str]:
        """The scored families, best first."""
        return self.table["family"].tolist()


def _target_frame(X: pd.DataFrame, y) -> tuple[pd.DataFrame, str]:
    """``X`` with ``y`` as one more column, and that column's name."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame of feature columns; found {type(X).__name__}")
    name = y.name if isinstance(y, pd.Series) and isinstance(y.name, str) else "y"
    if name in X.columns:
        raise ValueError(f"the target's name {name!r} is also a column of X; name the target "
                         "(y.name) differently")  # fmt: skip
    column = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y))
    if len(column) != X.shape[0]:
        raise ValueError(f"y must have one value per row of X ({X.shape[0]}); found {len(column)}")
    frame = X.copy()
    frame[name] = column.set_axis(X.index)  # rows are named by X's index (+ 1, as in a file)
    return frame, name


def _held_out_metrics(model, held_out: pd.DataFrame, dist,
                      coverage: float) -> tuple[float, float, float, np.ndarray | None]:
    """Coverage of the central interval and the model's own mass of it, the PIT's KS distance
    and each row's CRPS in the target's units (NaN, NaN, NaN, None for class labels, whose
    classes the CRPS cannot order)."""
    from probnn import metrics

    if model.is_classifier or model.censoring is not None:  # no single value per row
        return math.nan, math.nan, math.nan, None
    y = np.asarray(model.encode_target(held_out), dtype=np.float64)
    lower, upper = metrics.central_interval(dist, coverage)
    return (metrics.interval_coverage(lower, upper, y),
            coverage + float(np.mean(metrics.interval_mass(dist, lower, upper, coverage)
                                     - coverage)),  # exactly the nominal for a continuous law
            metrics.ks_distance_uniform(metrics.pit_values(dist, y)),
            metrics.crps_rows(dist, y))  # fmt: skip


def compare_families(
    X: pd.DataFrame,
    y,
    families: Sequence[str] | None = None,
    *,
    test_size: float = TEST_FRACTION,
    seed: int = 0,
    coverage: float = 0.9,
    impute: bool = False,
    levels: Sequence[str] | None = None,
    family_params: Mapping[str, Mapping[str, float]] | None = None,
    n_jobs: int | None = 1,
    say: Callable[[str], None] | None = None,
    censoring=None,
    split: tuple[np.ndarray, np.ndarray] | None = None,
    calibration: bool = True,
    classes: Sequence | None = None,
    kinds: tuple[Sequence[str], str] | None = None,
    groups: np.ndarray | None = None,
    **fit_params,
) -> FamilyComparison:
    """Fit each family on the same training rows and rank them by held-out NLL.

    Parameters
    ----------
    X : pandas.DataFrame of shape (n_rows, n_features)
        The feature columns as read from a file (numbers, text, missing values with
        ``impute``); each family's model preprocesses them on its training rows.
    y : pandas.Series or array-like of shape (n_rows,)
        The target; a Series' name names it in messages (else ``"y"``).
    families : sequence of str, optional
        Registered family names to try. Default: every family of the target's kinds
        (``probnn.tables.targets.families_of_kinds``), plus, in ``left_out``, those a few rows
        keep out.
    test_size : float, default=0.2
        Fraction of the rows held out (``probnn._split.split_rows``: the row hash by ``seed``, as a streamed fit).
    seed : int, default=0
        The split's and every fit's seed.
    coverage : float, default=0.9
        Nominal coverage of the central interval whose empirical coverage is tabled.
    impute : bool, default=False
        Fill missing feature values (median / most frequent) instead of refusing them, with a
        0/1 missing-value indicator feature per column with missing training values.
    levels : sequence of str, optional
        The classes' order for ordered families (``--levels``).
    family_params : mapping of family name -> dict, optional
        Fixed parameters of a family's constructor (e.g. a Student-t's ``df``).
    n_jobs : int or None, default=1
        Families fitted at once through joblib (``probnn._parallel.parallel_map``); the
        results are those of a sequential run.
    say : callable, optional
        Called with a line of progress (the target's kind, the split) before the fits.
    censoring : probnn.tables.censoring.Censoring, optional
        Read ``y`` (with the columns of ``X`` it names, which are then not features) as
        censored bounds: every family is scored by ``-log P(lower < Y <= upper)`` of the
        held-out rows (an exact integer, for a continuous family on a count target, as
        ``(y - 1/2, y + 1/2]``); families without a cdf kernel are skipped.
    split : (ndarray of int, ndarray of int), optional
        The training and the held-out rows' positions in ``X`` (one fold of a
        cross-validation, ``probnn.selection``); default: ``split_rows`` by ``seed`` and
        ``test_size``.
    calibration : bool, default=True
        Score the coverage, the PIT's KS distance and the CRPS too (False: those columns
        NaN and ``crps_rows`` empty; the ranking by NLL is the same, and a count family's
        CRPS, a numerical integral over its quantiles, can cost many times its fit).
    classes : sequence, optional
        A class target's classes in their order (:func:`probnn.tables.targets.class_order`)
        when more rows than ``y``'s say what they are: ``probnn fit``'s whole column, whose
        held-out rows :func:`probnn.selection.select_model` never sees. Every class family's
        model knows them (``TabularModel.fit``'s ``classes``). Default: those of ``y``.
    kinds : (kinds, why), optional
        The target's kinds (:func:`probnn.tables.targets.target_kinds`) read from more rows
        than ``y``'s, with ``classes``: rows holding two of three labels are binary, the
        column is not. None: ``y``'s.
    groups : ndarray of int, shape (n_rows,), optional
        Each row's group, kept on one side of the split (``split`` not given) and of early
        stopping's (``tables.copies.copy_groups``: a row with its copies). None: each row
        its own.
    **fit_params
        Passed to :meth:`TabularModel.fit` (``hidden``, ``solver``, ``epochs``,
        ``progress``, estimator parameters such as ``learning_rate_init``).

    Returns
    -------
    FamilyComparison
        ``.table`` (the ranking, a DataFrame), ``.models`` (the fitted models), ...

    Raises
    ------
    DataError
        For a table the tabular layer refuses (naming rows and columns), or when no
        family could be fitted and scored (each one's reason in the message).
    """
    from probnn._parallel import parallel_map
    from probnn.families import FAMILIES
    from probnn.tables.preprocessing import Preprocessor
    from probnn.tables.targets import (check_target_column, column_classes, families_left_out,
                                       families_of_kinds, target_kinds)

    frame, target = _target_frame(X, y)
    if families is not None:
        unknown = [f for f in families if f not in FAMILIES]
        if unknown or not families:
            raise ValueError(f"families expects names among {', '.join(FAMILIES)}; found "
                             f"{', '.join(map(repr, unknown)) or 'none'}")  # fmt: skip
    check_target_column(frame, target)
    censoring = censoring if censoring is not None and censoring.active else None
    if censoring is not None:  # every row censored on one side: no maximum to compare by
        censoring.check_trainable(frame, target)
    not_features = [target, *(censoring.columns if censoring else ())]
    Preprocessor(impute=impute).fit(frame.drop(columns=not_features))  # errors name file rows
    kinds, why = (target_kinds(frame[target], levels) if kinds is None
                  else (tuple(kinds[0]), kinds[1]))  # fmt: skip
    kind = kinds[0]
    tried = list(families) if families is not None else families_of_kinds(kinds)
    # families the target's kind does not admit because of a few rows (a proportion with
    # one exact 0 and beta): said with those rows, not silently absent
    left_out = [] if families is not None else families_left_out(frame[target], target, tried)
    if split is None:
        train, test = split_rows(frame.shape[0], seed, test_size, keys=groups)
    else:
        train, test = (np.asarray(part, dtype=np.intp) for part in split)
    if say is not None:
        say(f"target kind: {' and '.join(kinds)}, since {why}")
        say(f"one split for all families: {train.size} training rows, {test.size} held out")
    # no dtype given: a fit trains in float64 where float32 cannot hold the target
    dtype = fit_params.get("dtype") or np.float64
    problems = {f: _support_problem(frame, target, f, kinds, levels, dtype, censoring,
                                    classes if FAMILIES[f].is_classifier else None)
                for f in tried}  # fmt: skip
    if censoring is not None:
        fit_params = {**fit_params, "censoring": censoring}
    params_of = dict(family_params or {})
    train_frame, held_out = frame.iloc[train], frame.iloc[test]
    # early stopping's rows by the row hash, as ``probnn fit`` (in memory or streamed) keeps
    # them: a family's figures here are its fit's
    from probnn.tables.model import early_stopping_rows

    settings = {k: v for k, v in fit_params.items() if k not in ("progress", "ensemble", "n_jobs")}
    shared = _shared_preprocessing(train_frame, not_features, impute)
    # a class family's model on the training rows knows every label of the column: a label
    # rarer than the folds, absent from these training rows, is scored too (its held-out
    # rows at the small probability its half pseudo-count leaves it, TabularModel.fit)
    given = classes
    classes = {f: column_classes(frame[target], target, f, levels) if given is None
               else np.asarray(given)
               for f in tried if problems[f] is None and FAMILIES[f].is_classifier}  # fmt: skip
    tasks = [dict(frame=train_frame, target=target, family=family, seed=seed, impute=impute,
                  levels=levels, prepared=shared, **fit_params,
                  **({"classes": classes[family]} if family in classes else {}),
                  validation=None if fit_params.get("ensemble", 1) > 1 else
                  early_stopping_rows(train if groups is None else np.asarray(groups)[train],
                                      family, seed, test_size, **settings),  # fmt: skip
                  **({"family_params": dict(params_of[family])} if params_of.get(family) else {}))
             for family in tried if problems[family] is None]  # fmt: skip
    # the families' fits run ahead through joblib; their results come in the families' order
    fits = iter(parallel_map(_fit_family, tasks, n_jobs=n_jobs))
    held = _HeldOut(held_out, shared)
    nll_rows, skipped, dists, models, trained, seconds = {}, [], {}, {}, {}, {}
    for family in tried:
        if problems[family] is not None:
            skipped.append((family, problems[family]))
            continue
        model, took, failure = next(fits)
        if failure is not None:
            # one family failing to train says something about it; rank the others
            skipped.append((family, failure))
            continue
        trained[family], seconds[family] = model, took
        try:
            dist = held.predict_dist(model)  # once: the NLL's and the table's
            nll_rows[family] = _row_nll(model, held_out, kind, dist)
            dists[family], models[family] = dist, model
        except (DataError, ValueError) as exc:  # e.g. a mixture whose component collapsed
            # onto one integer (scale 0); (a class family's model knows every label: classes)
            skipped.append((family, f"cannot score the held-out rows: {exc}"))
    if not nll_rows:
        raise DataError(
            "expected at least one family that can model the target; all were skipped: "
            + "; ".join(f"{f}: {why}" for f, why in skipped)
        )
    best, se = paired_standard_errors(nll_rows)
    means = {f: float(np.mean(rows)) for f, rows in nll_rows.items()}
    ranked = sorted(means, key=means.get)
    held = {f: _held_out_metrics(models[f], held_out, dists[f], coverage) if calibration
            else (math.nan, math.nan, math.nan, None) for f in ranked}  # fmt: skip
    crps_rows = {f: held[f][3] for f in ranked if held[f][3] is not None}
    # the CRPS's own winner and paired SEs (its ranking may differ from the NLL's)
    crps_best, crps_se = paired_standard_errors(crps_rows) if crps_rows else (None, {})
    rows = []
    for family in ranked:
        covered, expected, ks, scores = held[family]
        rows.append({"family": family, "nll_nats": means[family],
                     "nll_bits": means[family] / math.log(2),
                     "minus_best": means[family] - means[best],
                     "se": math.nan if family == best else se[family],
                     "coverage": covered, "coverage_expected": expected, "pit_ks": ks,
                     "crps": math.nan if scores is None else float(np.mean(scores)),
                     "crps_se": (math.nan if scores is None or family == crps_best
                                 else crps_se[family])})  # fmt: skip
    table = pd.DataFrame(rows, columns=["family", "nll_nats", "nll_bits", "minus_best", "se",
                                        "coverage", "coverage_expected", "pit_ks", "crps",
                                        "crps_se"])  # fmt: skip
    return FamilyComparison(
        table=table, models=models, best=best, verdict=_verdict(ranked, means, se),
        kinds=tuple(kinds), why=why, train=train, test=test,
        scoring=_CENSORED_SCORING if censoring is not None else scoring_line(kinds),
        nll_rows=nll_rows, standard_errors=se, dists=dists, trained=trained, seconds=seconds,
        skipped=skipped, left_out=left_out, families=tried,
        attempted=[f for f in tried if problems[f] is None], coverage=coverage,
        crps_rows=crps_rows,
    )  # fmt: skip
