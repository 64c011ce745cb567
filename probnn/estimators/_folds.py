"""``MLPRegressor``'s epochs on a table too small to hold validation rows out (fewer than
``2 * defaults.AUTO_MIN_VALIDATION_ROWS``): chosen by K-fold cross-validation, then one fit on
all the rows for that many steps, its scales widened by the factor of the folds' held-out rows.

Without it such a fit trains its whole budget with nothing held out, and a learned scale
collapses onto the training rows (R's FoodExpenditure, 30 training rows: a held-out NLL of
2.4e19 nats). Every row is held out once, so the curve the epochs are chosen on is scored on
all ``n`` rows, where one split would score on a handful.

For a family whose second output is a learned scale or spread (``constant_scale_applies``),
the folds also score the same networks with that output made one constant (its maximum-
likelihood value given the locations, on each fold's training rows) and keep the constant
scale unless the learned one is better by more than one standard error: on 20-39 rows a scale
that varies with x extrapolates to rows the folds never saw (yacht subsamples: 81.7 nats a row
held out against the constant model's 4.18; ``bench/studies/tiny_tables.md``).

The predictive is the equal-weight mixture of the fit on all rows and the K fold networks
trained again to the chosen epoch (``fold_members_``; each with the fit on all rows' scale
rule, floor and widening): on so few rows the folds can be optimistic about the one epoch
they chose (yacht subsample 8: folds 2.6-3.0 nats, the fit on all rows 73 on new rows), and a
mixture of K + 1 is never worse than its best member by more than log(K + 1) a row.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from probnn import defaults
from probnn.estimators._auto import auto_batch_size, auto_validation_fraction

__all__ = ["FoldChoice", "applies", "constant_scale_applies", "cross_validated_epochs",
           "bound_scale", "fit_constant_scale", "one_se_epoch", "fold_mean", "fold_distribution",
           "fold_nll", "fold_parameter_columns", "export_fold_members", "import_fold_members",
           "stream_without_validation"]


@dataclass(frozen=True)
class FoldChoice:
    """What the folds chose: ``epochs`` of the fit on all rows, the widening ``factor`` (1
    where ``recalibrate`` is off or the family has no learned scale), the folds' pooled
    held-out NLL per epoch, ``curve``, and each fold's, ``scores`` (in y's units), whether
    the fit on all rows makes its scale output one constant, ``constant_scale``, and the fold
    networks trained again to ``epochs``, ``members`` (fitted ``MLPRegressor``s, the scale
    rule, floor and ``factor`` applied as to the fit on all rows; :func:`fold_distribution`)."""

    epochs: int
    factor: float
    curve: np.ndarray
    scores: np.ndarray | None = None
    constant_scale: bool = False
    members: tuple = ()

    def stop(self, epoch: int, loss: float, score) -> bool:
        """The fit on all rows' ``on_epoch``: stop after ``epochs``."""
        return epoch >= self.epochs


class _Patience:
    """A fold's ``on_epoch``: stop once its held-out NLL has gone ``patience`` epochs (the
    fit's ``n_iter_no_change_``) without a new best; its path is not changed (the rate's
    drops follow the training loss, as in the fit on all rows), only cut short."""

    def __init__(self, fold) -> None:
        self.fold, self.best, self.waited = fold, math.inf, 0

    def __call__(self, epoch: int, loss: float, score: float) -> bool:
        if score < self.best:
            self.best, self.waited = score, 0
        else:
            self.waited += 1
        return self.waited > self.fold.n_iter_no_change_


def applies(estimator, n_rows: int, validation, interval: bool, incremental: bool,
            stream) -> bool:  # fmt: skip
    """Whether ``fit`` chooses its epochs by folds: ``early_stopping="auto"`` with a stochastic
    solver, in memory, on exact targets, without ``validation_data`` or a warm start, where
    early stopping would hold out no rows, on 4 rows or more (two folds of two)."""
    return (isinstance(estimator.early_stopping, str) and estimator.solver != "lbfgs"
            and validation is None and not interval and not incremental and stream is None
            and not estimator.warm_start and n_rows >= 4
            and auto_validation_fraction(n_rows, float(estimator.validation_fraction)) == 0.0)


def _steps_per_epoch(batch_size, n_rows: int) -> int:
    bs = auto_batch_size(n_rows) if batch_size == "auto" else min(int(batch_size), n_rows)
    return math.ceil(n_rows / bs)


def one_se_epoch(curve: np.ndarray, scores: np.ndarray) -> int:
    """The one-standard-error rule (Breiman et al. 1984; Hastie, Tibshirani and Friedman, ESL
    7.10): the first epoch (1-based) whose pooled held-out NLL ``curve`` is within one
    standard error of its minimum, the error that of the mean of the folds' ``scores`` there
    (their spread over the square root of their number). An earlier epoch's scales are less
    sharpened; later minima on so few rows are mostly chance."""
    best = int(np.argmin(curve))
    se = float(np.std(scores[:, best], ddof=1)) / math.sqrt(scores.shape[0])
    if not np.isfinite(se):
        return best + 1
    return int(np.argmax(curve <= curve[best] + se)) + 1


def cross_validated_epochs(estimator, X, y, w) -> FoldChoice | None:
    """K folds (``defaults.AUTO_CV_FOLDS``, fewer on fewer than twice as many rows), each
    trained with the estimator's settings and no early stopping, its held-out NLL recorded
    after every epoch (``validation_scores_``); the epoch of the pooled NLL's one-standard-
    error rule (:func:`one_se_epoch`), counted in optimiser steps, is converted to epochs of
    a fit on all ``n`` rows. A fold stops early
    once its held-out NLL has gone a patience without a new best (``_Patience``); the curve
    ends with the shortest fold. The widening factor:
    the folds trained again to that epoch, the maximum-likelihood factor of all ``n`` held-out
    rows' scales (:func:`probnn.likelihood.fit_factor`), ``recalibrate_estimate``'s estimate
    of it on ``n`` rows, at least 1 (as :func:`~probnn.estimators._widening.scale_factor`).
    """
    from sklearn.base import clone
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.utils import check_random_state

    n = X.shape[0]
    seed = check_random_state(estimator.random_state).randint(np.iinfo(np.int32).max)
    splits = _weighted_splits(w, seed)
    if splits is None:  # fewer than 4 rows of positive weight: as on fewer than 4 rows
        return None
    settings = dict(early_stopping=False, recalibrate=False, verbose=False, progress=False,
                    warm_start=False)  # fmt: skip
    if "predictive" in estimator.get_params():  # the members are the mixture's, not wrapped
        settings["predictive"] = "plug-in"

    def fold_fit(train, held, epochs=None):
        fold = clone(estimator).set_params(**settings)
        fold._fold_on_epoch = (_Patience(fold) if epochs is None
                               else FoldChoice(epochs, 1.0, np.empty(0)).stop)  # fmt: skip
        with warnings.catch_warnings():  # the budget is the folds' business, not the user's
            warnings.simplefilter("ignore", ConvergenceWarning)
            fold.fit(X[train], y[train], w[train], validation_data=(X[held], y[held], w[held]))
        return fold

    folds = [fold_fit(train, held) for train, held in splits]
    curves = [list(f.validation_scores_ or ()) for f in folds]
    length = min(map(len, curves))
    totals = np.array([w[held].sum() for _, held in splits])
    scores = np.array([c[:length] for c in curves], dtype=np.float64)
    scores[~np.isfinite(scores)] = np.inf
    curve = totals @ scores / totals.sum()  # (inf where any fold diverged)
    best = one_se_epoch(curve, scores) if length else 1  # (no epoch: a budget of none)
    steps = best * _steps_per_epoch(estimator.batch_size, len(splits[0][0]))
    epochs = max(1, round(steps / _steps_per_epoch(estimator.batch_size, n)))
    factor, constant = 1.0, False
    head = _training_head(estimator, y, w)
    learned = _has_learned_scale(head)
    refits = [fold_fit(t, h, best) for t, h in splits]  # (the mixture's members, below)
    if (estimator.recalibrate is not False and learned) or constant_scale_applies(head):
        parts = _held_out_parts(refits, splits, X, y, w)
        constant = constant_scale_applies(head) and _prefers_constant_scale(parts, w, splits)
        if constant:
            parts = [(p, _with_scale(raw, c), yh, c) for p, raw, yh, c in parts]
        if estimator.recalibrate is not False:
            factor = _held_out_factor(estimator, parts, splits, w)
        members = [_as_member(f, X[t], c, constant, factor, head)
                   for f, (t, _), (*_, c) in zip(refits, splits, parts)]  # fmt: skip
    else:
        members = [_as_member(f, X[t], None, False, factor, head) for f, (t, _) in zip(refits, splits)]
    return FoldChoice(epochs, factor, curve, scores, constant, tuple(members))


def _weighted_splits(w: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """K shuffled folds (``defaults.AUTO_CV_FOLDS``, fewer on fewer than twice as many rows)
    of the rows of positive weight, each a (training, held-out) pair of row indices into
    ``w`` (n,); the rows of weight 0 join every fold's training rows, where they count for
    nothing. A fold's held-out rows of weight 0 alone would score nothing (an NLL averaged
    over no weight). With no weight 0, KFold's own splits of all ``n`` rows; None with fewer
    than 4 rows of positive weight (two folds of two, as :func:`applies` asks of all rows)."""
    from sklearn.model_selection import KFold

    positive = np.flatnonzero(w > 0)
    if positive.size < 4:
        return None
    k = min(defaults.AUTO_CV_FOLDS, positive.size // 2)
    if positive.size == w.size:
        return list(KFold(n_splits=k, shuffle=True, random_state=seed).split(w))
    unweighted = np.flatnonzero(w == 0)
    return [(np.sort(np.concatenate([positive[train], unweighted])), positive[held])
            for train, held in KFold(n_splits=k, shuffle=True, random_state=seed).split(positive)]


def _as_member(fold, X_train, constant_raw, constant: bool, factor: float, head):
    """A fold network as a member of the predictive mixture, as the folds scored it and as the
    fit on all rows is treated (:func:`bound_scale`): its scale output one constant
    (``constant_raw``, the fold's training rows' MLE) where the folds chose one, else floored
    at its least on the fold's training rows where that output grows with the spread; widened
    by ``factor``. Its trainer and fold hook dropped (never trained further)."""
    fold.__dict__.pop("_fold_on_epoch", None)
    fold._trainer = None
    network = fold._network
    if constant and constant_raw is not None:
        network.coefs[-1][:, 1] = 0.0
        network.intercepts[-1][1] = constant_raw
    elif constant_scale_applies(head) and _spread_grows(head):
        raw = np.asarray(network.forward(X_train), dtype=np.float64)
        if raw.ndim == 2 and raw.shape[1] == 2:
            fold.scale_floor_ = float(np.min(raw[:, 1]))
    fold.scale_factor_ = float(factor)
    fold._set_predictive()
    return fold


def _training_head(estimator, y, w):
    """The family ``estimator`` trains with (fixed or estimated parameters resolved)."""
    from probnn.families import get_family

    family = get_family(estimator._family_name(), **estimator._family_params())
    return estimator._training_head(family, 1.0)


def _has_learned_scale(head) -> bool:
    """Whether the network outputs the family's scale or spread (what the widening widens)."""
    return bool((head.location_scale and not head.scale_params)
                or head.spread_power is not None)  # fmt: skip


def _spread_grows(head) -> bool:
    """Whether raw output 1 widens the distribution as it grows (a location-scale family's
    scale, the log-normal's sigma; not the gamma's, Weibull's or log-logistic's shape)."""
    return bool(head.location_scale or (head.spread_power or 0) > 0)


def constant_scale_applies(head) -> bool:
    """Whether the folds also score the constant-scale variant: a learned scale or spread
    (normal, laplace, studentt, log-normal, gamma, weibull, log-logistic; not a fixed or
    estimated scale), in the second of two raw outputs (checked on the outputs: not a
    mixture)."""
    return _has_learned_scale(head)


def _with_scale(raw: np.ndarray, value: float) -> np.ndarray:
    out = np.array(raw, dtype=np.float64, copy=True)
    out[:, 1] = value
    return out


def fit_constant_scale(predictive, raw, y, w) -> float:
    """The raw scale output (column 1) of largest weighted likelihood of ``y`` given the
    other output of ``raw`` (shape (n, 2)): one scale for every row, the locations kept.
    A bounded one-dimensional search, 12 units either side of the rows' own raw scales."""
    from scipy.optimize import minimize_scalar

    from probnn.families._affine import AffineTarget

    family = AffineTarget(predictive.base, predictive.shift, predictive.scale)
    raw = np.asarray(raw, dtype=np.float64)
    total = float(np.sum(w))

    def nll(value: float) -> float:
        return float(w @ family.nll(_with_scale(raw, value), y)) / total

    lo, hi = float(np.min(raw[:, 1])) - 12.0, float(np.max(raw[:, 1])) + 12.0
    return float(minimize_scalar(nll, bounds=(lo, hi), method="bounded",
                                 options={"xatol": 1e-8}).x)  # fmt: skip


def _held_out_parts(folds, splits, X, y, w) -> list:
    """Each fold's (predictive, raw outputs of its held-out rows, their y, the constant raw
    scale of its training rows (None without the variant))."""
    parts = []
    for fold, (train, held) in zip(folds, splits):
        p = fold._predictive
        raw = np.asarray(fold._raw(X[held]), dtype=np.float64)
        c = None
        if raw.ndim == 2 and raw.shape[1] == 2:
            raw_train = fold._raw(X[train])
            c = fit_constant_scale(p, raw_train, y[train], w[train])
            if _spread_grows(p.base):  # bound_scale's bound
                np.maximum(raw[:, 1], np.min(raw_train[:, 1]), out=raw[:, 1])
        parts.append((p, raw, y[held], c))
    return parts


def _prefers_constant_scale(parts, w, splits) -> bool:
    """The one-standard-error rule between the learned scale and one constant scale: the
    constant (the simpler) unless the learned scale's pooled held-out NLL is lower by more
    than one standard error of its folds' mean NLL (as :func:`one_se_epoch`)."""
    from probnn.families._affine import AffineTarget

    if any(c is None for *_, c in parts):  # (not two raw outputs)
        return False
    learned, constant = [], []
    for (p, raw, yh, c), (_, held) in zip(parts, splits):
        family, wh = AffineTarget(p.base, p.shift, p.scale), w[held]
        learned.append(float(wh @ family.nll(raw, yh)) / wh.sum())
        constant.append(float(wh @ family.nll(_with_scale(raw, c), yh)) / wh.sum())
    totals = np.array([w[held].sum() for _, held in splits])
    learned_nll, constant_nll = (totals @ np.nan_to_num(np.array(v), nan=np.inf) / totals.sum()
                                 for v in (learned, constant))  # fmt: skip
    if not np.isfinite(constant_nll):
        return False
    if constant_nll <= learned_nll:
        return True
    se = float(np.std(learned, ddof=1)) / math.sqrt(len(learned))
    return bool(constant_nll <= learned_nll + se)


def _held_out_factor(estimator, parts, splits, w) -> float:
    """The widening factor of the folds' predicted scales on their held-out rows, pooled
    (``parts``: each fold's predictive, held-out raw outputs and y; 1 for a family without a
    learned scale)."""
    from probnn.estimators._widening import posterior_factor
    from probnn.families._affine import AffineTarget
    from probnn.likelihood import fit_factor

    if not _has_learned_scale(parts[0][0].base):
        return 1.0

    def nll_rows(f: float) -> np.ndarray:
        return np.concatenate([AffineTarget(p.base, p.shift, p.scale, spread=f).nll(raw, yh)
                               for p, raw, yh, *_ in parts])  # fmt: skip

    wv = np.concatenate([w[held] for _, held in splits])
    factor = fit_factor(nll_rows, wv)
    if estimator.recalibrate_estimate == "posterior":
        factor = posterior_factor(factor, wv)
    return max(1.0, factor)


def bound_scale(estimator, folds: FoldChoice, X, y_fit, w, head) -> float | None:
    """The fit on all rows' scale output as the folds chose (``FoldChoice.constant_scale``):
    one constant, the output layer's weights into it zeroed and its bias the maximum-likelihood
    raw scale of the training rows (standardised ``y_fit`` under the training ``head``) given
    the network's locations (returns None); or the learned one, whose least raw value on the
    training rows is returned where that output grows with the spread (``_spread_grows``):
    ``scale_floor_``, below which ``_raw`` never predicts it (the folds score it so too).

    A learned scale shrinks away from the rows it was fitted on where nothing held out
    scored it (heptathlon, 20 rows: 1.7 points on a held-out athlete outside the training
    rows' box, 27 at least on the training rows; 50.5 nats a row held out, 7.7 with the bound);
    None where the family has no learned scale in the second of two outputs."""
    from probnn.families._affine import AffineTarget

    network = estimator._network
    raw = np.asarray(network.forward(X), dtype=np.float64)
    if not (constant_scale_applies(head) and raw.ndim == 2 and raw.shape[1] == 2):
        return None
    if not folds.constant_scale:  # (a bound where raw output 1 grows with the spread)
        return float(np.min(raw[:, 1])) if _spread_grows(head) else None
    value = fit_constant_scale(AffineTarget(head, 0.0, 1.0), raw, y_fit, w)
    network.coefs[-1][:, 1] = 0.0
    network.intercepts[-1][1] = value
    return None


# ------------------------------------------------ the predictive: a mixture with the folds
def _members_raw(estimator, X, raw) -> list:
    """``[(predictive, raw outputs)]`` of the fit on all rows (``raw``, from ``_raw(X)``) and
    of each fold member (``fold_members_``), on the same rows."""
    from sklearn.utils.validation import validate_data

    rows = np.ascontiguousarray(validate_data(estimator, X, reset=False,
                                              dtype=estimator._np_dtype()))  # fmt: skip
    return [(estimator._predictive, raw)] + [(m._predictive, m._raw(rows))
                                             for m in estimator.fold_members_]  # fmt: skip


def fold_mean(estimator, X, raw) -> np.ndarray:
    """``MLPRegressor.predict``: the predictive's mean, shape (n_samples,); with fold members
    the mean of the members' means (the equal-weight mixture's)."""
    if not getattr(estimator, "fold_members_", None):
        return estimator._predictive.mean(raw)
    means = [np.asarray(p.mean(r), dtype=np.float64) for p, r in _members_raw(estimator, X, raw)]
    return np.mean(means, axis=0).astype(np.asarray(estimator._predictive.mean(raw)).dtype)


def fold_distribution(estimator, X, raw):
    """``MLPRegressor.predict_dist``: the family's distribution of ``raw``; with fold members
    the equal-weight :class:`~probnn.distributions.Mixture` of the fit on all rows' (first)
    and the members' distributions, batch shape (n_samples,)."""
    if not getattr(estimator, "fold_members_", None):
        return estimator._predictive.distribution(raw)
    from probnn.distributions import Mixture

    return Mixture([p.distribution(r) for p, r in _members_raw(estimator, X, raw)])


def fold_nll(estimator, X, raw, y) -> np.ndarray:
    """``MLPRegressor``'s NLL per row of exact or (lower, upper) targets ``y``, shape
    (n_samples,); with fold members ``log M - logsumexp_m(-nll_m)`` over the M members' own
    NLLs (each with its standardisation's Jacobian): the equal-weight mixture's."""
    if not getattr(estimator, "fold_members_", None):
        return estimator._predictive.nll(raw, y)
    from scipy.special import logsumexp

    nll = np.array([np.asarray(p.nll(r, y), dtype=np.float64)
                    for p, r in _members_raw(estimator, X, raw)])  # fmt: skip
    with np.errstate(invalid="ignore"):
        return math.log(nll.shape[0]) - logsumexp(-nll, axis=0)


def fold_parameter_columns(estimator, family, dist) -> dict[str, np.ndarray]:
    """The columns ``probnn predict`` writes for ``estimator``'s ``dist``: the family's own;
    with fold members each component's, numbered as an ensemble's members (``loc_1``,
    ``scale_1``, ``loc_2``, ...; 1 is the fit on all rows)."""
    if not getattr(estimator, "fold_members_", None):
        return family.parameter_columns(dist)
    return {f"{name}_{k}": values for k, component in enumerate(dist.components, 1)
            for name, values in family.parameter_columns(component).items()}  # fmt: skip


def export_fold_members(estimator, arrays: dict, meta: dict) -> None:
    """A model file's fold members (none: nothing written, the file as before): each
    member's arrays prefixed ``fold{k}.`` into ``arrays``, their metadata listed under
    ``meta["fold_members"]``."""
    members = getattr(estimator, "fold_members_", None)
    if not members:
        return
    listed = []
    for k, member in enumerate(members):
        own, own_meta = member._export_state()
        arrays.update({f"fold{k}.{name}": value for name, value in own.items()})
        listed.append(own_meta)
    meta["fold_members"] = listed


def import_fold_members(estimator, arrays: dict, meta: dict) -> None:
    """Inverse of :func:`export_fold_members`: ``fold_members_`` (empty where the file has
    none: older files, and every fit the folds did not choose). ValueError on a member that
    is not a regressor of the same features."""
    from probnn.estimators._state import estimator_from_state

    listed = meta.get("fold_members")
    members = []
    if listed is not None:
        if not isinstance(listed, list):
            raise ValueError(f"expected fold_members to be a list; found {type(listed).__name__}")
        for k, own_meta in enumerate(listed):
            prefix = f"fold{k}."
            own = {n[len(prefix):]: v for n, v in arrays.items() if n.startswith(prefix)}
            member = estimator_from_state(own, own_meta)
            if (type(member) is not type(estimator) or getattr(member, "fold_members_", None)
                    or member.n_features_in_ != estimator.n_features_in_):
                raise ValueError(f"expected fold member {k} to be a {type(estimator).__name__} "
                                 f"of {estimator.n_features_in_} features without members of "
                                 "its own")  # fmt: skip
            members.append(member)
    estimator.fold_members_ = members


def stream_without_validation(estimator, X: np.ndarray, stream: tuple, on_epoch):
    """``fit_chunks`` with early stopping and no validation rows to score (a tiny table
    streamed, whose row hash kept none of its rows): fitted as ``fit`` fits the rows, its
    ``validation_fraction`` held out of them, where the first chunk is all of them; refused
    in one line where it is not (the trainer crashed scoring nothing). Without early
    stopping: as given.

    Parameters
    ----------
    estimator : BaseNetworkEstimator
    X : ndarray of shape (n_first, n_features)
        The first chunk, prepared.
    stream : tuple (chunks, None, n_rows, on_epoch)
        ``_fit_network``'s stream, without validation rows.
    on_epoch : callable or None
        ``_fit_network``'s in-memory callback.

    Returns
    -------
    stream : tuple or None
        None where ``fit``'s path takes over.
    on_epoch : callable or None
        The stream's callback, in the trainer's units as ``fit``'s path calls it.
    """
    n_rows = int(stream[2])
    if not estimator._resolve_training(estimator._trainer_kwargs(), n_rows, None)["early_stopping"]:
        return stream, on_epoch
    if n_rows != X.shape[0]:
        raise ValueError(
            f"early stopping needs validation rows to score after each epoch; found none for "
            f"the {n_rows} training rows read in chunks (give validation rows, a larger "
            f"validation_fraction, or early_stopping=False)"
        )
    log = stream[3]
    if log is None:
        return None, on_epoch
    offset = estimator._nll_offset  # (read at each epoch: a regressor's scaling is set later)
    return None, lambda epoch, loss, score: log(
        epoch, loss + offset(), None if score is None else score + offset())
