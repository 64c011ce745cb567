"""The regressor's target in float64: its weighted location and spread, and whether a float32
fit can resolve it (kept apart from ``regressor.py``, which trains and predicts)."""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict

import numpy as np

from probnn.exceptions import DataError, PrecisionError

__all__ = ["CONSTANT_CACHE_SIZE", "RESOLUTION_MARGIN", "check_resolution",
           "check_resolvable_spread", "constant_raw", "regression_family_name",
           "weighted_shift_scale"]  # fmt: skip


#: a float32 fit that is not standardised must place the mean to within this fraction of
#: the target's standard deviation (:func:`check_resolution`)
RESOLUTION_MARGIN = 32


#: how many constant models :func:`constant_raw` remembers (the selection fits a family's
#: constant model, its GLM and perhaps its network on the same rows, each starting there;
#: every family's constant models come first, then every GLM: up to ~20 families apart)
CONSTANT_CACHE_SIZE = 64
_CONSTANTS: OrderedDict = OrderedDict()
_CONSTANTS_LOCK = threading.Lock()


def _digest(a) -> tuple:
    """A numeric array's dtype, shape and a hash of its bytes (TypeError for others: an
    object array's bytes are addresses, not values)."""
    a = np.ascontiguousarray(a)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"no digest of a {a.dtype} array")
    return a.dtype.str, a.shape, hashlib.blake2b(a.tobytes(), digest_size=16).digest()


def _fitted_constant(family, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``family.constant_raw(y, w)`` as float64, with one BLAS thread: a constant model's
    optimiser (a few parameters, elementwise losses) only pays a second thread's wake-ups."""
    from probnn.network._fast import blas_threads_for

    with blas_threads_for((1, 1), 1):  # (products of one multiply-add: always one thread)
        return np.array(family.constant_raw(y, w), dtype=np.float64)


def constant_raw(family, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``family.constant_raw(y, w)`` as float64, remembered for the last
    :data:`CONSTANT_CACHE_SIZE` (family, y, w) (a few hundred bytes each).

    A family's constant model is a deterministic function of its parameters, the targets
    and the weights, so a later fit with the same three (the selection's constant model,
    GLM and network of one family on one fold's rows; the mixture-normal's costs 0.1-0.2 s)
    gets the same array without fitting it again. Only for :class:`probnn.families.base.
    Family` instances, which compare and hash by class and parameters; others are fitted
    every time. Returns a fresh array (the caller may change it).
    """
    from probnn.families.base import Family

    if not (isinstance(family, Family) and type(family).__hash__ is Family.__hash__):
        return _fitted_constant(family, y, w)
    try:
        key = (type(family), tuple(sorted(family.get_params().items())), _digest(y), _digest(w))
        hash(key)
    except TypeError:  # a parameter that does not hash, targets not numbers: fitted anew
        return _fitted_constant(family, y, w)
    with _CONSTANTS_LOCK:
        hit = _CONSTANTS.get(key)
        if hit is not None:
            _CONSTANTS.move_to_end(key)
            return hit.copy()
    value = _fitted_constant(family, y, w)
    with _CONSTANTS_LOCK:
        _CONSTANTS[key] = value.copy()
        while len(_CONSTANTS) > CONSTANT_CACHE_SIZE:
            _CONSTANTS.popitem(last=False)
    return value


def weighted_shift_scale(y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted mean and standard deviation (dividing by the total weight) of ``y``.

    A standard deviation of 0 (one distinct value), or one too small to divide
    by, is taken as 1: then the target is only shifted.
    """
    shift, spread = _weighted_moments(y, w)
    if not (math.isfinite(spread) and spread >= np.finfo(np.float64).tiny):
        spread = 1.0
    return shift, spread


def check_resolvable_spread(y: np.ndarray, w: np.ndarray | None = None,
                            target: str = "the target") -> None:  # fmt: skip
    """DataError for targets (shape (n,)) that vary, but by a standard deviation below
    float64's smallest normal number (2.2e-308): subnormal numbers hold fewer significant
    digits the smaller they are, and a scale that small has no finite reciprocal, so no
    density, standardisation or scale estimate would be trustworthy (e.g. ``N(1, 1) *
    1e-310``). Targets of 1e-300 are normal numbers: trained on and scored as any others.
    """
    w = np.ones(np.shape(y)[0]) if w is None else np.asarray(w, dtype=np.float64)
    _, spread = _weighted_moments(y, w)
    tiny = float(np.finfo(np.float64).tiny)
    if 0 < spread < tiny:
        raise DataError(
            f"expected {target} to vary by a standard deviation float64 can resolve (at least "
            f"its smallest normal number, {tiny:.3g}); found {spread:.3g}, whose subnormal "
            "values hold too few significant digits to fit or score: rescale the target "
            "(e.g. multiply it by 1e300)"
        )


def check_not_constant(y: np.ndarray, w: np.ndarray, family) -> None:
    """DataError for a target of one value (on the rows of positive weight, a single such
    row included) under a family of a continuous law whose spread the network fits: its
    likelihood grows without bound as the spread shrinks, so training ran to a scale of 0
    ("Normal: scale must be finite and > 0", after 20,000 epochs from ``probnn fit --family
    normal``) or an NLL of 1e20 (log-normal, gamma). A spread fixed or floored (normal-fixed, a given ``scale``, a mixture's
    ``min_scale``) and the count families (a constant count is a Poisson's MLE) fit it.
    """
    if family.support not in ("real", "positive", "unit-interval"):
        return
    params = family.get_params()
    if any(params.get(p) for p in (*family.scale_params, family.resolution_param) if p):
        return
    kept = np.asarray(y)[np.asarray(w) > 0]
    n_rows = np.asarray(y).shape[0]
    if kept.size == 1:  # (rows of weight 0 count for nothing: one value, as below)
        raise DataError(
            f"expected at least two rows of positive weight for family {family.name!r}, whose "
            f"fitted spread would shrink to 0 on one value; found 1 sample of positive weight "
            f"(of {n_rows:,} row{'s' * (n_rows != 1)}): give more rows weight, or family "
            f"'normal-fixed' (squared error)"
        )
    if kept.size > 1 and np.all(kept == kept[0]):
        raise DataError(
            f"expected a target with at least two distinct values for family {family.name!r}, "
            f"whose fitted spread would shrink to 0 on one; found {kept[0]:.17g} on every row "
            f"(float64 rounds away a variation below its precision there); family "
            f"'normal-fixed' fits a constant (squared error)"
        )


def _weighted_moments(y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted mean and standard deviation of ``y`` (0 for one distinct value; both 0 for
    no rows or no weight: a streamed chunk whose rows are all held out has nothing to locate,
    and 0 / 0 would give NaN and a bare NumPy warning)."""
    y = np.asarray(y, dtype=np.float64)
    total = float(w.sum())
    if total == 0:
        return 0.0, 0.0
    shift = float(np.dot(w, y) / total)
    deviation = y - shift
    # scaled by the largest deviation first, so squares of huge targets do not overflow
    largest = float(np.max(np.abs(deviation), initial=0.0))
    scale = 0.0
    if largest > 0 and math.isfinite(largest):
        scale = largest * math.sqrt(float(np.dot(w, (deviation / largest) ** 2)) / total)
    return shift, scale


def check_resolution(y_fit: np.ndarray, w: np.ndarray, head, dtype,
                     units: tuple[float, float] | None = None) -> np.ndarray | None:  # fmt: skip
    """Refuse a float32 fit that cannot resolve the target's spread about its location
    (:class:`~probnn.exceptions.PrecisionError`).

    A standardised target (mean 0, standard deviation 1) always can. Otherwise the
    network's float32 outputs place the predicted mean only to within what one float32
    step of a raw output moves it (at the best constant model's raw outputs), and the
    target itself is rounded to float32: if either exceeds ``1 / RESOLUTION_MARGIN`` of
    the noise (the target's standard deviation, or the family's own at the target's mean
    when smaller) the fit answers with rounding, e.g. ``y = 1e9 + N(0, 10)``, or Poisson
    counts around 1e9 under the log link (one step moves the mean by 1,900, a sixteenth
    of its standard deviation of 31,600; measured: a float32 fit covered 47% with its 90%
    intervals, a float64 one 82%; at 1e8, 87% and 92%). A float64 fit whose raw outputs
    cannot place the mean either is a DataError (:func:`_check_float64_resolution`).

    ``units``: the ``(shift, scale)`` that standardised ``y_fit`` (None: not standardised): the
    message's figures are said in the target's own units (in standardised ones a sentinel of 1e8 among values near
    10 read "its location (3.2e-17), a standard deviation of 4.1e-07").

    Returns
    -------
    ndarray of float64 or None
        ``head.constant_raw(y_fit, w)`` (``y_fit`` as float64) where the check computed
        it, so the fit can start its output layer there without fitting it again; None
        where the fit computes it itself (float64 training, one distinct value).
    """
    check_resolvable_spread(y_fit, w)  # (float64 cannot either)
    y64 = np.asarray(y_fit, dtype=np.float64)
    location, spread = weighted_shift_scale(y64, w)
    if spread == 1.0 and not np.any(y64 != y64[0]):
        return None  # one distinct value: nothing to resolve
    if dtype != np.float32:
        _check_float64_resolution(y64, w, head, location, spread)
        return None
    constant = constant_raw(head, y64, w)
    moved, noise = _mean_step(head, constant, spread, np.float32)
    # the largest target the fit weighs (a row of weight 0 is not fitted: its size is no limit)
    largest = float(np.max(np.abs(y64[np.asarray(w) > 0])))
    shift, scale = (0.0, 1.0) if units is None else units
    standardise = (", or standardise it (standardize_target='auto')"
                   if head.location_scale and units is None else "")  # fmt: skip
    problem = None
    if largest > float(np.finfo(np.float32).max):
        # (standardised targets of ~1e150: rows of weight 1e-300 beside one of weight 1; cast
        # to float32 they are inf, and the check below read a NaN as no limit)
        problem = (f"the target's rows lie up to {largest:.3g} of its weighted standard "
                   f"deviation, {spread * scale:.3g}, from its weighted location "
                   f"({shift + location * scale:.10g}), beyond float32's range (rows of tiny "
                   f"sample weight far from those of large weight)")  # fmt: skip
    else:
        rounding = float(np.spacing(np.float32(largest)))
        resolution = max(moved, rounding)
        if resolution * RESOLUTION_MARGIN > noise:
            what = (f"a standard deviation of {spread * scale:.6g}" if noise == spread else
                    f"family {head.name}'s own standard deviation at its constant model, "
                    f"{noise * scale:.6g}")  # fmt: skip
            problem = (f"the target's spread about its location "
                       f"({shift + location * scale:.10g}), {what}, is below what float32 "
                       f"training can resolve there (one float32 step moves the predicted mean "
                       f"by {resolution * scale:.3g}, more than 1/{RESOLUTION_MARGIN} of it)")
    if problem is not None:
        raise PrecisionError(f"{problem}; train in float64 (dtype='float64'){standardise}",
                             problem=problem)
    return constant


def regression_family_name(family: str | None, loss: str | None) -> str:
    """The registry name of the family an ``MLPRegressor`` fits: ``family``, the one ``loss``
    (a scikit-learn loss name) names, or the default real family; ValueError naming the
    choices for anything else or for both given (moved here from ``regressor.py``)."""
    from probnn.families import FAMILIES, default_family

    if loss is not None:
        by_loss = {cls.sklearn_loss: name for name, cls in FAMILIES.items()
                   if cls.sklearn_loss and not cls.is_classifier}  # fmt: skip
        if loss not in by_loss:
            raise ValueError(
                f"loss must be {', '.join(repr(k) for k in sorted(by_loss))} or None; "
                f"found {loss!r}"
            )
        if family is not None:
            raise ValueError(
                f"give either loss or family, not both; found loss={loss!r} and "
                f"family={family!r}"
            )
        return by_loss[loss]
    if family is None:
        return default_family("real")
    regression = sorted(name for name, cls in FAMILIES.items() if not cls.is_classifier)
    if family not in regression:
        raise ValueError(
            f"MLPRegressor family must be one of {', '.join(regression)}; "
            f"found {family!r}"
        )
    return family


def _mean_step(head, constant: np.ndarray, spread: float, dtype,
               own_noise: bool = True) -> tuple[float, float]:  # fmt: skip
    """How far one ``dtype`` step of a raw output moves the family's predicted mean at its
    constant model ``constant`` (shape (p,)), and the spread to compare it with: ``spread``,
    or (``own_noise``) the family's own standard deviation there when smaller."""
    raw0 = constant.ravel()
    base = float(np.asarray(head.mean(raw0[None, :]), dtype=np.float64).ravel()[0])
    moved = 0.0
    for j in np.flatnonzero(np.isfinite(raw0)):  # (an infinite one is at a limit, e.g.
        # a Gamma shape whose MLE overflows: it does not move the mean)
        up = raw0.copy()
        up[j] += float(np.spacing(dtype(abs(raw0[j]))))
        mean = float(np.asarray(head.mean(up[None, :]), dtype=np.float64).ravel()[0])
        moved = max(moved, abs(mean - base))
    if own_noise and np.all(np.isfinite(raw0)):
        # the family's own noise at the target's mean, when smaller (a Poisson's sqrt(mean)
        # under a target that varies far more with the features)
        noise = float(np.asarray(head.distribution(raw0[None, :]).stddev,
                                 dtype=np.float64).ravel()[0])  # fmt: skip
        if math.isfinite(noise) and noise > 0:
            spread = min(spread, noise)
    return moved, spread


def _check_float64_resolution(y64: np.ndarray, w: np.ndarray, head, location: float,
                              spread: float) -> None:
    """DataError where even float64 raw outputs cannot place the family's mean to within
    ``1 / RESOLUTION_MARGIN`` of the target's spread (shape (n,) targets ``y64``): a log
    link's ``z1 = log(1e15)`` moves by 7e-15 a step, the mean by 7, so ``1e15 + N(0, 1)``
    is a few heaps of log t to a log-logistic (its folds' NLL 0.69 nats against the law's
    1.42; held out 2.47, 22% of rows in its 90% intervals). Only the target's own spread
    counts, not its rounding (the data are float64 already) nor the family's noise (counts
    of 1e40 vary with x by 1e39, a Poisson's noise of 1e20 is below their float64 spacing:
    their mean is still placed to 1e-14). A standardised target always passes."""
    constant = constant_raw(head, y64, w)
    moved, _ = _mean_step(head, constant, spread, np.float64, own_noise=False)
    if moved * RESOLUTION_MARGIN > spread:
        raise DataError(
            f"family {head.name!r} cannot resolve the target's spread about its location "
            f"({location:.10g}), a standard deviation of {spread:.6g}, even in float64 (one "
            f"step of its raw outputs moves its predicted mean by {moved:.3g}, more than "
            f"1/{RESOLUTION_MARGIN} of it): use a family that predicts the location itself "
            "(normal, studentt, laplace), or subtract the location from the target"
        )
