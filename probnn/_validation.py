"""Shared input checks and error-message helpers.

Every error probnn raises about data says what was expected, what was found,
and where (rows, columns, file). These helpers keep the wording uniform.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "describe_rows", "describe_values", "check_sample_weight", "Interval", "POSITIVE",
    "Options", "InstanceOf", "check_params", "encode_labels", "make_rng", "data_rows",
    "describe_list", "name_data_rows",
]

# The row numbers of a table's rows as its user counts them (1 = the first row after the
# header), while ``data_rows`` is active: see :func:`describe_rows`.
_DATA_ROWS: contextvars.ContextVar = contextvars.ContextVar("probnn_data_rows", default=None)


@contextlib.contextmanager
def data_rows(numbers: ArrayLike, files: list | None = None) -> Iterator[None]:
    """Within this block, :func:`describe_rows` names rows as a table's user counts them.

    A family's or estimator's check knows only positions in the array it was given; the
    table layer knows which row of the file each position is. Any mask of exactly
    ``len(numbers)`` entries described inside the block is named by these numbers, as
    ``"data rows 18, 41"``.

    Parameters
    ----------
    numbers : array-like of int, shape (n_rows,)
        The data row (1-based, the header not counted) of each position.
    files : list of (name, first row, rows), optional
        A table read from several files end to end: rows are named within their file.
    """
    token = _DATA_ROWS.set((np.asarray(numbers, dtype=np.int64), files))
    try:
        yield
    finally:
        _DATA_ROWS.reset(token)


def describe_rows(mask: ArrayLike, limit: int = 10, numbers: ArrayLike | None = None,
                  files: list | None = None) -> str:  # fmt: skip
    """Describe where a boolean mask over rows is true, e.g. ``"rows [17, 40]"``.

    Positions in an array are 0-based (``"rows [17, 40]"``); rows of a table are named
    as its user counts them, 1-based with the header not counted (``"data rows 18,
    41"``), when ``numbers`` is given or a :func:`data_rows` block of the mask's length
    is active.

    Parameters
    ----------
    mask : array-like of bool, shape (n_samples,) or (n_samples, k)
        True at the offending entries; a 2-D mask is reduced over its columns.
    limit : int
        How many row numbers to list before summarising the rest.
    numbers : array-like of int, shape (n_samples,), optional
        The data row of each position.
    files : list of (name, first row, rows), optional
        See :func:`name_data_rows`.
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim > 1:
        mask = mask.reshape(mask.shape[0], -1).any(axis=1)
    rows = np.flatnonzero(mask)
    if numbers is None:
        active = _DATA_ROWS.get()
        if active is not None and active[0].shape == mask.shape:
            numbers, files = active
    if numbers is not None:
        return name_data_rows(np.asarray(numbers)[rows[:limit]], rows.size, files)
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    more = f" and {rows.size - limit} more" if rows.size > limit else ""
    word = "row" if rows.size == 1 else "rows"
    return f"{word} [{shown}]{more}"


def name_data_rows(named: ArrayLike, total: int | None = None, files: list | None = None) -> str:
    """Data rows in words: ``"data rows 18, 41"``, ``"data row 9 of b.parquet"``.

    Parameters
    ----------
    named : array-like of int
        The data rows to show (1-based; of the whole table when ``files`` is given).
    total : int, optional
        How many rows there are in all (``len(named)`` by default): the rest are counted.
    files : list of (name, first row, rows), optional
        A table read from several files end to end: each file's name, its first row's
        0-based number in the table and its row count; rows are then named in their file.
    """
    named = [int(r) for r in np.asarray(named).ravel()]
    total = len(named) if total is None else int(total)
    more = f" and {total - len(named)} more" if total > len(named) else ""
    word = "data row" if total == 1 else "data rows"
    if not files:
        return f"{word} {', '.join(map(str, named))}{more}"
    groups: dict = {}
    for r in named:
        name, local = next(((f, r - start) for f, start, n in files if start < r <= start + n),
                           (None, r))  # fmt: skip
        groups.setdefault(name, []).append(local)
    parts = [", ".join(map(str, rows)) + (f" of {name}" if name is not None else "")
             for name, rows in groups.items()]  # fmt: skip
    return f"{word} {' and '.join(parts)}{more}"


def describe_values(values: ArrayLike, limit: int = 5) -> str:
    """List the distinct offending values, e.g. ``"2, -1"``, truncated after ``limit``."""
    values = np.unique(np.asarray(values).ravel())
    shown = ", ".join(_fmt(v) for v in values[:limit])
    more = f", ... ({values.size} distinct)" if values.size > limit else ""
    return shown + more


def describe_list(values: ArrayLike, limit: int = 10) -> str:
    """``values`` in their order as a list, e.g. ``"[a, b, c]"``, truncated after ``limit``."""
    values = list(np.asarray(values, dtype=object).ravel())
    shown = ", ".join(_fmt(v) for v in values[:limit])
    more = f", ... ({len(values)} in all)" if len(values) > limit else ""
    return f"[{shown}{more}]"


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v)) if abs(v) < 1e15 else repr(float(v))
    if isinstance(v, str) and (v != " ".join(v.split()) or not v):
        return repr(v)  # ' yes' is not yes: whitespace a reader would not see, quoted
    return str(v)


def check_sample_weight(sample_weight: ArrayLike | None, n_samples: int, dtype=np.float64):
    """Return ``sample_weight`` as a 1-D array of length ``n_samples`` (ones if None).

    Raises
    ------
    ValueError
        If the shape is wrong or a weight is negative or not finite.
    """
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype)
    w = np.asarray(sample_weight, dtype=dtype)
    if w.ndim == 0:
        w = np.full(n_samples, w, dtype=dtype)
    if w.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},); found shape {w.shape}"
        )
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise ValueError(
            "sample_weight must be finite and non-negative; found "
            f"{describe_values(w[bad])} at {describe_rows(bad)}"
        )
    return w


def weighed_rows(w: np.ndarray, *arrays):
    """``w`` (n,), checked weights, and each of ``arrays`` (first axis n) on the rows of
    positive weight only; the inputs themselves where every weight is positive.

    A row of weight 0 counts for nothing, even where its NLL or curvature is infinite (0 x
    inf is nan): the Laplace posteriors and the evidence leave such rows out before summing.
    """
    weighed = np.asarray(w) > 0
    if weighed.all():
        return (w, *arrays)
    return (np.asarray(w)[weighed], *(np.asarray(a)[weighed] for a in arrays))


def weighted_mean(values: ArrayLike, sample_weight: ArrayLike | None) -> float:
    """``sum_i w_i v_i / sum_i w_i`` of per-row scores (the plain mean if ``sample_weight``
    is None).

    Parameters
    ----------
    values : array-like of shape (n_samples,)
    sample_weight : array-like of shape (n_samples,) or None

    Raises
    ------
    ValueError
        If the weights are invalid (:func:`check_sample_weight`) or all zero: a mean over
        no weight is undefined, and a silent ``nan`` would rank last in a search.
    """
    values = np.asarray(values, dtype=np.float64)
    w = check_sample_weight(sample_weight, values.shape[0])
    if np.any(w == 0):  # a row of weight 0 counts for nothing, even an infinite NLL (0 x inf)
        values = np.where(w == 0, 0.0, values)
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(w.sum())
        mean = float(np.dot(w, values) / total) if total > 0 else math.nan
    if not total > 0:
        raise ValueError("sample_weight must have a positive sum to average over; "
                         f"found zero weight on all {values.shape[0]} rows")
    if not (math.isfinite(mean) and np.finfo(np.float64).tiny <= total < math.inf):
        # weights whose sums overflow (1e308) or lose digits (subnormal): the mean is a ratio
        w = w / w.max()
        with np.errstate(over="ignore", invalid="ignore"):
            mean = float(np.dot(w, values) / w.sum())
    return mean


def check_outcomes(y: ArrayLike, batch_shape: tuple[int, ...], who: str = "y") -> np.ndarray:
    """``y`` as one observation per predicted distribution: shape ``batch_shape``.

    A column vector ``(n, 1)`` against a batch ``(n,)`` is flattened (as scikit-learn
    treats a column-vector ``y``). Any other shape is refused: a distribution's methods
    broadcast, so ``(n, 1)`` against ``(n,)`` would score every row against every
    observation (an ``n x n`` table) and a mean over it is a wrong number, not an error.

    Raises
    ------
    ValueError
        If ``y`` does not have the batch's shape (or its column-vector form).
    """
    y = np.asarray(y)
    batch = tuple(batch_shape)
    if y.shape == batch:
        return y
    if len(batch) == 1 and y.shape == (*batch, 1):
        return y.reshape(batch)
    raise ValueError(f"{who} must have one value per row (the predictions' shape {batch}); "
                     f"found shape {y.shape}")


# ------------------------------------------------------------ parameter constraints
@dataclass(frozen=True)
class Interval:
    """A constraint on a numeric setting: ``low < value < high`` (ends per ``closed``).

    The declarative table of allowed values, in the spirit of scikit-learn's
    ``_parameter_constraints``: families declare their fixed parameters with it
    (``fixed_params = {"scale": POSITIVE}``) and the estimators their settings,
    and :meth:`check` is called once, at the boundary (``get_family``, ``fit``).

    Parameters
    ----------
    low, high : float
        The ends; ``-inf`` / ``inf`` for none.
    closed : {"neither", "left", "right", "both"}
        Which ends are allowed values.
    integer : bool
        Whether the value must be a whole number.
    """

    low: float = -math.inf
    high: float = math.inf
    closed: str = "neither"
    integer: bool = False

    def describe(self) -> str:
        """In words, e.g. ``"a finite number > 0"`` or ``"an integer >= 2"``."""
        kind = "an integer" if self.integer else "a finite number"
        parts = []
        if self.low > -math.inf:
            parts.append((">= " if self.closed in ("left", "both") else "> ") + _fmt(self.low))
        if self.high < math.inf:
            parts.append(("<= " if self.closed in ("right", "both") else "< ") + _fmt(self.high))
        return kind + (" " + " and ".join(parts) if parts else "")

    def satisfied_by(self, value) -> bool:
        """Whether ``value`` is a number (not a bool, not a string) inside the interval."""
        if isinstance(value, (bool, np.bool_, str, bytes)):
            return False
        try:
            number = float(value)
        except (TypeError, ValueError):
            return False
        low_ok = number >= self.low if self.closed in ("left", "both") else number > self.low
        high_ok = number <= self.high if self.closed in ("right", "both") else number < self.high
        whole = not self.integer or (math.isfinite(number) and number == round(number))
        return math.isfinite(number) and low_ok and high_ok and whole

    def check(self, name: str, value, owner: str = "") -> float | int:
        """``value`` as a float (an int if ``integer``); ``ValueError`` naming it otherwise."""
        if not self.satisfied_by(value):
            where = f"{owner}: " if owner else ""
            raise ValueError(f"{where}{name} must be {self.describe()}; found {value!r}")
        number = float(value)
        return int(round(number)) if self.integer else number


POSITIVE = Interval(0.0, math.inf)


@dataclass(frozen=True, init=False)
class Options:
    """A constraint allowing a fixed set of values (strings, ``None``, booleans ...).

    ``Options("auto")``, ``Options(None)``, ``Options(True, False)``; compared by
    equality and, for booleans and ``None``, by identity (so ``1`` is not ``True``).
    """

    values: tuple

    def __init__(self, *values) -> None:
        object.__setattr__(self, "values", tuple(values))

    def satisfied_by(self, value) -> bool:
        for allowed in self.values:
            if allowed is None or isinstance(allowed, bool):
                if value is allowed or (isinstance(value, np.bool_) and bool(value) is allowed):
                    return True
            elif isinstance(value, type(allowed)) and value == allowed:
                return True
        return False

    def describe(self) -> str:
        names = [repr(v) for v in self.values]
        return " or ".join(names) if len(names) <= 2 else "one of " + ", ".join(names)


@dataclass(frozen=True)
class InstanceOf:
    """A constraint allowing instances of ``types``, with an optional further test.

    ``InstanceOf(dict)``; ``InstanceOf((tuple, list), "a sequence of integers >= 1",
    test=...)``.
    """

    types: type | tuple
    description: str = ""
    test: object = None  # callable value -> bool, run after the isinstance check

    def satisfied_by(self, value) -> bool:
        return isinstance(value, self.types) and (self.test is None or bool(self.test(value)))

    def describe(self) -> str:
        if self.description:
            return self.description
        types = self.types if isinstance(self.types, tuple) else (self.types,)
        return "an instance of " + " or ".join(t.__name__ for t in types)


def check_params(params: dict, constraints: dict, owner: str) -> None:
    """Check settings against a declarative table, as scikit-learn's ``_parameter_constraints``.

    Parameters
    ----------
    params : dict
        Setting name -> value (e.g. ``estimator.get_params(deep=False)``).
    constraints : dict
        Setting name -> list of constraints (:class:`Interval`, :class:`Options`,
        :class:`InstanceOf`); a value is valid if it satisfies any one of them.
        Settings absent from the table are not checked.
    owner : str
        Names the class in the error message.

    Raises
    ------
    ValueError
        For the first invalid setting, e.g. ``MLPRegressor: alpha must be a finite
        number >= 0; found -1``.
    """
    for name, allowed in constraints.items():
        if name not in params:
            continue
        value = params[name]
        if not any(c.satisfied_by(value) for c in allowed):
            ways = " or ".join(c.describe() for c in allowed)
            raise ValueError(f"{owner}: {name} must be {ways}; found {value!r}")


def unsortable_labels(y: ArrayLike) -> str:
    """What makes class labels unsortable for NumPy (``np.unique`` raised TypeError, as
    scikit-learn's classifiers let it), e.g. ``"found None or NaN at rows [1, 3]"``: the
    missing labels, else the text among other kinds (numbers). ``y`` of shape (n_samples,)."""
    flat = np.asarray(y, dtype=object).ravel()
    missing = np.array([v is None or (isinstance(v, float) and v != v) for v in flat])
    if missing.any():
        return f"found None or NaN at {describe_rows(missing)}"
    text = np.array([isinstance(v, (str, bytes)) for v in flat])
    others = ", ".join(sorted({type(v).__name__ for v in flat[~text]}))
    if text.any() and not text.all():
        return f"found text at {describe_rows(text)}; {others} at {describe_rows(~text)}"
    return f"found labels of the kinds {others}"


def encode_labels(y: ArrayLike, classes: np.ndarray, where: str = "the classes seen in fit"):
    """Class indices ``0..C-1`` of labels ``y`` in the sorted array ``classes``.

    The one label encoder of the estimators and scorers.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
    classes : ndarray of shape (n_classes,), sorted (as ``np.unique`` returns them)
    where : str
        Names ``classes`` in the error message.

    Returns
    -------
    ndarray of int, shape (n_samples,)

    Raises
    ------
    ValueError
        Naming the labels that are not in ``classes`` and their rows.
    """
    y = np.asarray(y)
    classes = np.asarray(classes)
    try:
        index = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
    except TypeError:  # None among text labels, text against number classes
        raise ValueError(f"labels must be among {where} {describe_list(classes)}; "
                         f"{unsortable_labels(y)}") from None
    unknown = classes[index] != y
    if unknown.any():
        raise ValueError(
            f"labels must be among {where} {describe_list(classes)}; found "
            f"{describe_values(y[unknown])} at {describe_rows(unknown)}"
        )
    return index


def make_rng(random_state) -> np.random.Generator:
    """A NumPy Generator from None, an int seed, a Generator or a legacy RandomState.

    The one random-state helper: a Generator is used as it is (its stream goes on);
    a RandomState seeds a new Generator from one draw.
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    return np.random.default_rng(random_state)
