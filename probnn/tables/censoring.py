"""Censored targets in a table: which columns and values say a target is only bounded.

A table's target column holds the value observed; a :class:`Censoring` says how to read
it as ``(lower, upper)`` bounds (``lower < Y <= upper``, ``Family.check_interval_target``):

* ``upper``: a column of upper bounds beside the target, whose value is then the lower
  bound; an empty cell is an exact value (upper = lower), ``inf`` right-censored, a
  target of ``-inf`` (or the support's lower end) with a finite upper bound left-censored;
* ``event``: a column of 1 (the event was observed: an exact time) and 0 (right-censored:
  the time is only a lower bound), as survival tables hold it;
* ``above``: a cap: targets at or above it are right-censored at it (``Y > above``);
  California's house values, recorded as 500,001 above 500,000, are ``above=500000``;
* ``below``: a detection limit: targets at or below it are left-censored (``Y <= below``).

The bounds are built and checked here, before any training, with every problem named by
its data rows and columns (:class:`~probnn.exceptions.DataError`).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from probnn._validation import data_rows
from probnn.exceptions import DataError
from probnn.tables.columns import _numeric_values, _thousands_as_numbers
from probnn.tables.sources import _located_rows, _rows

__all__ = ["Censoring", "censoring_counts", "CENSORING_KINDS", "censored_family",
           "check_censored_family"]

# the kinds of rows, in the order the model card lists them
CENSORING_KINDS = ("exact", "right-censored", "left-censored", "interval-censored")


@dataclasses.dataclass(frozen=True)
class Censoring:
    """How a table's target column (and the columns named here) give ``(lower, upper)``.

    Parameters
    ----------
    upper : str, optional
        Column of upper bounds (empty: exact).
    event : str, optional
        Column of event indicators: 1 observed, 0 right-censored.
    above : float, optional
        Targets ``>= above`` are right-censored at ``above``.
    below : float, optional
        Targets ``<= below`` are left-censored at ``below``.
    """

    upper: str | None = None
    event: str | None = None
    above: float | None = None
    below: float | None = None

    def __post_init__(self):
        if self.upper is not None and self.event is not None:
            raise ValueError("give either a column of upper bounds or a column of events, not "
                             f"both; found upper={self.upper!r} and event={self.event!r}")  # fmt: skip
        for name in ("above", "below"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value)):
                raise ValueError(f"{name} must be a finite number; found {value!r}")
        if self.above is not None and self.below is not None and not self.below < self.above:
            raise ValueError(f"the left-censoring limit ({self.below:g}) must be below the "
                             f"right-censoring cap ({self.above:g})")  # fmt: skip

    @property
    def active(self) -> bool:
        """Whether anything is censored at all."""
        return any(v is not None for v in dataclasses.astuple(self))

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns besides the target that this reads (not features)."""
        return tuple(c for c in (self.upper, self.event) if c is not None)

    def describe(self) -> str:
        """The rule in words, for the model card."""
        parts = []
        if self.upper is not None:
            parts.append(f"upper bounds in column {self.upper!r} (empty: exact)")
        if self.event is not None:
            parts.append(f"events in column {self.event!r} (1 observed, 0 right-censored)")
        if self.above is not None:
            parts.append(f"values >= {self.above:g} right-censored at {self.above:g}")
        if self.below is not None:
            parts.append(f"values <= {self.below:g} left-censored at {self.below:g}")
        return "; ".join(parts) or "none"

    def to_meta(self) -> dict:
        """JSON-ready fields, for a model file."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    @classmethod
    def from_meta(cls, meta) -> "Censoring":
        """The inverse of :meth:`to_meta` (ValueError naming a field that is not valid)."""
        if not isinstance(meta, dict) or set(meta) - {"upper", "event", "above", "below"}:
            raise ValueError(f"expected a censoring record with fields upper, event, above, "
                             f"below; found {str(meta)[:80]}")  # fmt: skip
        for key in ("upper", "event"):
            if key in meta and not isinstance(meta[key], str):
                raise ValueError(f"expected censoring {key!r} to be a column name; found "
                                 f"{str(meta[key])[:40]}")  # fmt: skip
        return cls(**meta)

    # ------------------------------------------------------------------ bounds
    def bounds(self, frame: pd.DataFrame, target: str, family) -> np.ndarray:
        """The target as ``(lower, upper)`` rows, checked against ``family``.

        Parameters
        ----------
        frame : DataFrame of shape (n_rows, n_columns)
            The target column and the columns named here.
        target : str
        family : Family
            The family the bounds are for; it must model interval targets.

        Returns
        -------
        ndarray of shape (n_rows, 2), float64
            As ``family.check_interval_target`` returns them.

        Raises
        ------
        DataError
            A missing column, a missing or non-numeric value, an event that is not 0 or 1,
            an upper bound below its target, a family without a cdf; naming rows and columns.
        """
        y = self.raw_bounds(frame, target)
        try:
            with data_rows(*_located_rows(frame[target])):  # the family's rows named as the file's
                return np.asarray(family.check_interval_target(y), dtype=np.float64)
        except ValueError as exc:
            raise DataError(f"target column {target!r}: {exc}") from None

    def raw_bounds(self, frame: pd.DataFrame, target: str) -> np.ndarray:
        """The target as ``(lower, upper)`` rows before any family reads them (:meth:`bounds`
        without the family's check: no bound moved to the support's end).

        Raises
        ------
        DataError
            As :meth:`bounds`, but for the family's own check.
        """
        lower, upper = self._column_bounds(frame, target)
        exact = lower == upper
        if self.above is not None:
            capped = exact & (lower >= self.above)
            lower[capped], upper[capped] = self.above, np.inf
        if self.below is not None:
            floored = exact & (upper <= self.below)
            lower[floored], upper[floored] = -np.inf, self.below
        return np.column_stack([lower, upper])

    def _column_bounds(self, frame: pd.DataFrame, target: str) -> tuple[np.ndarray, np.ndarray]:
        """The target's ``(lower, upper)`` bounds, each of shape (n_rows,), from the target
        and the columns named here, before the fixed limits (``above``, ``below``)."""
        for name in self.columns:
            if name not in frame.columns:
                shown = ", ".join(repr(c) for c in list(frame.columns)[:20])
                raise DataError(f"expected a column {name!r} ({self._role(name)}); found "
                                f"columns {shown}")  # fmt: skip
            if name == target:
                raise DataError(f"the column {name!r} ({self._role(name)}) is the target itself")
        lower = _numbers(frame[target], f"target column {target!r}")
        allowed = ~np.isnan(lower) & (np.isfinite(lower) | ((lower == -np.inf) & (self.upper is not None)))
        _reject(~allowed, frame[target], f"expected finite numbers in target column {target!r}"
                + (" (or -inf, left-censored, with an upper bound)" if self.upper else ""),
                lower)  # fmt: skip
        upper = lower.copy()
        if self.upper is not None:
            given = _numbers(frame[self.upper], f"upper-bound column {self.upper!r}")
            present = ~np.isnan(given)
            upper[present] = given[present]
            _reject(upper < lower, frame[self.upper],
                    f"expected upper bounds (column {self.upper!r}) at or above the target "
                    f"(column {target!r})", given)  # fmt: skip
            _reject((lower == -np.inf) & np.isinf(upper), frame[self.upper],
                    f"expected a finite upper bound (column {self.upper!r}) where target "
                    f"column {target!r} is -inf: a row with neither bound says nothing",
                    upper)  # fmt: skip
        if self.event is not None:
            events = _numbers(frame[self.event], f"event column {self.event!r}")
            _reject(~np.isin(events, (0.0, 1.0)), frame[self.event],
                    f"expected 1 (observed) or 0 (right-censored) in event column "
                    f"{self.event!r}", events)  # fmt: skip
            upper[events == 0.0] = np.inf
        return lower, upper

    def limit_notes(self, frame: pd.DataFrame, target: str) -> list[str]:
        """What a table to be scored says against the fixed limits (``below``, ``above``),
        one sentence a side (none where it agrees), for a warning: the limits are the
        model's, read the same on every table, but a table recorded with other limits (or
        none) is then scored on other events than its values.

        * rows beyond a limit at two or more distinct values: a table recorded with the
          limit holds at most one value beyond it (the limit itself, or a stand-in such as
          California's 500,001 above 500,000), so these are values the limit would have
          hidden; they are scored as censored at the limit (``P(Y <= below)``), a true
          event of theirs, not by their values;
        * no row at or beyond a limit and a point mass at the table's end on that side
          (``tables.resolution.POINT_MASS_SHARE`` of the rows, ``POINT_MASS_ROWS`` at
          least, the rule by which ``fit`` reads a point mass as censored): the table may
          be censored there, a limit other than the model's; those rows are scored as
          exact values, by the density.

        Parameters
        ----------
        frame : DataFrame of shape (n_rows, n_columns)
        target : str

        Returns
        -------
        list of str
        """
        from probnn.tables.resolution import is_point_mass

        lower, upper = self._column_bounds(frame, target)
        exact = (lower == upper) & np.isfinite(lower)
        values, n = lower[exact], len(lower)
        notes = []
        sides = ((self.below, "below", "detection limit", "smallest",
                  "left-censored there, by P(Y <= {:g})"),
                 (self.above, "above", "cap", "largest", "right-censored there, by P(Y > {:g})"))
        for limit, side, name, end, event in sides:
            if limit is None:
                continue
            past = values < limit if side == "below" else values > limit
            beyond = np.unique(values[past])
            head = f"target column {target!r}: "
            if beyond.size >= 2:
                count = int(past.sum())  # (the rows at those values)
                notes.append(
                    f"{head}{count:,} of {n:,} rows lie {side} the model's {name} {limit:g}, at "
                    f"{beyond.size:,} distinct values from {beyond[0]:g} to {beyond[-1]:g}: "
                    f"scored as {event.format(limit)}, not by their values (a table recorded "
                    f"with that {name} holds at most one value {side} it)")  # fmt: skip
                continue
            censored = (upper <= limit) if side == "below" else (lower >= limit)
            if censored.any() or values.size == 0:
                continue
            edge = values.min() if side == "below" else values.max()
            at = int((values == edge).sum())
            if is_point_mass(at, n):
                notes.append(
                    f"{head}{at:,} of {n:,} rows ({at / n:.0%}) sit at {edge:g}, its {end} "
                    f"value, and none at or {side} the model's {name} {limit:g}: scored as "
                    f"exact values, by the density; if the table was recorded with a {name} "
                    f"at {edge:g}, those rows are censored there and these figures do not "
                    "measure them")  # fmt: skip
        return notes

    def check_trainable(self, frame: pd.DataFrame, target: str) -> None:
        """:meth:`check_has_maximum` on :meth:`raw_bounds`, for a caller with no family yet
        (the selection, before its candidates): a support's end moves bounds only to
        ``-inf`` / ``+inf``, so a table one-sided here is one-sided under every family."""
        self.check_has_maximum(self.raw_bounds(frame, target), target)

    def check_has_maximum(self, y: np.ndarray, target: str, rows: str = "rows") -> None:
        """DataError when every row of bounds ``y`` (as :meth:`bounds` returns them) is
        censored on the same side, before any training: that censored likelihood has no
        maximum (``probnn.families._interval.one_sided``, the estimators' own check), said
        in the words of this censoring's columns and values.

        Parameters
        ----------
        y : ndarray of shape (n_rows, 2)
        target : str
            The target column's name.
        rows : str, default="rows"
            What the rows are, e.g. "training rows".
        """
        from probnn.families._interval import one_sided

        side = one_sided(y)
        if side is None:
            return
        if side == "right":
            how = [f"event column {self.event!r} 0" if self.event is not None else None,
                   f"upper-bound column {self.upper!r} inf" if self.upper is not None else None,
                   f"target column {target!r} at or above the cap {self.above:g}"
                   if self.above is not None else None]  # fmt: skip
            where, other = "above", "left-censored"
        else:
            how = [f"target column {target!r} at or below the limit {self.below:g}"
                   if self.below is not None else None,
                   f"target column {target!r} -inf (or the support's lower end) with a finite "
                   f"upper bound in column {self.upper!r}" if self.upper is not None else None]
            where, other = "below", "right-censored"
        how = "each has " + " or ".join(h for h in how if h)
        exact = "exact (observed) row" + (", an interval with finite bounds" if self.upper else "")
        n = int(np.isfinite(y).any(axis=1).sum())  # (a row (-inf, inf) says nothing)
        raise DataError(f"target column {target!r}: expected at least one {exact} or some rows "
                        f"{other}; found all {n:,} {rows} {side}-censored ({how}): the censored "
                        f"likelihood has no maximum (a model's mass would move {where} every "
                        "bound without end)")  # fmt: skip

    def _role(self, name: str) -> str:
        return "upper bounds" if name == self.upper else "events: 1 observed, 0 censored"


def _numbers(column: pd.Series, what: str) -> np.ndarray:
    """A column as float64 (NaN where empty); DataError naming text that is not a number."""
    column = _thousands_as_numbers(column)
    values, bad = _numeric_values(column)
    if bad.any():
        shown = column[bad].astype(str).to_numpy()[:5]
        raise DataError(f"expected numbers in {what}; found {', '.join(map(repr, shown))} at "
                        f"{_rows(bad, column)}")  # fmt: skip
    return np.array(values, dtype=np.float64)  # a copy: the bounds are changed in place


def _reject(mask: np.ndarray, column: pd.Series, message: str, values: np.ndarray) -> None:
    if mask.any():
        shown = ", ".join("empty" if np.isnan(v) else f"{v:g}" for v in values[mask][:5])
        raise DataError(f"{message}; found {shown} at {_rows(mask, column)}")


def censoring_counts(y: np.ndarray) -> dict[str, int]:
    """How many rows of checked bounds ``y`` (n, 2) are of each kind (:data:`CENSORING_KINDS`).

    Exact: ``lower == upper``; right-censored: ``upper = inf``; left-censored: ``lower =
    -inf`` with a finite upper bound; interval-censored: both bounds finite and apart.
    """
    lower, upper = y[:, 0], y[:, 1]
    exact = lower == upper
    right = ~exact & (upper == np.inf)
    left = ~exact & ~right & (lower == -np.inf)
    interval = ~exact & ~right & ~left
    return dict(zip(CENSORING_KINDS, (int(m.sum()) for m in (exact, right, left, interval))))


def censored_family(column: pd.Series) -> tuple[str, str]:
    """The family ``--family auto`` takes for a censored target: the registry's default for
    the target's kind if it models intervals, else the first of that kind's families that
    does; and why, in words.

    Raises
    ------
    DataError
        When no family of the target's kind models censored targets.
    """
    from probnn.families import get_family
    from probnn.tables.targets import families_of_kinds, infer_family, target_kinds

    family, why = infer_family(column)
    if get_family(family).models_intervals:
        return family, why
    kinds, _ = target_kinds(column)
    for name in families_of_kinds(kinds):
        if get_family(name).models_intervals:
            return name, (f"{why}; {family}, that kind's default, has no cdf kernel for "
                          f"censored rows, {name} has")  # fmt: skip
    raise DataError(f"expected a family that models censored targets for a target of kind "
                    f"{kinds[0]}; none of {', '.join(families_of_kinds(kinds))} does")  # fmt: skip


def check_censored_family(name: str) -> None:
    """DataError unless the family ``name`` models censored targets (it has a cdf kernel),
    naming it and those that do."""
    from probnn.families import get_family

    try:
        get_family(name).check_interval_target(np.zeros((0, 2)))
    except ValueError as exc:
        raise DataError(f"censored targets: {exc}") from None
