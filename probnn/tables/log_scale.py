"""The log rule for numeric features spanning orders of magnitude: :class:`LogScan` decides,
from the training rows, which positive columns the
:class:`~probnn.tables.preprocessing.Preprocessor` reads as ``log x`` instead of ``x``.

Why. Every numeric feature is standardised, so a GLM with a log link fits
``log mean = b0 + b1 x``. A power law ``mean ~ x**a`` (brain weight against body weight,
claims against policy holders, interlocks against assets) is ``log mean = a log x``: a model
linear in ``x`` follows it only as far as ``log x`` is a straight line in ``x`` over the rows.

The trigger: every present value > 0 and the bulk of the values, their central 90%, spans at
least :data:`SPAN_MIN` = 100 (two decades), ``q95 / q05 >= 100``. Why 100, from the curve
alone (set before any table was run): over ``[a, R a]`` the best straight line in ``x``
misses ``log x`` by at most ``e(R) = (ln((R - 1) / ln R) - 1 + ln R / (R - 1)) / 2`` nats
(the minimax line: half the chord's largest gap). ``e(100) = 1.06``: a model linear in ``x``
is off by a factor ``e`` in the mean somewhere in the bulk, at exponent 1. A column spread
*linearly* from zero (uniform on ``[0, b]``, the widest bulk such a column has) spans 19
(``e = 0.49``, where the earlier rule's threshold sat): five times short in ratio, an index
``1..n`` always short of 19 too.

Below two decades (stop 41), the span only says whether the choice can matter (a straight line
in the wrong reading misses the other by ``e(R)`` either way), not which reading is right; the
shape says that (Tukey's ladder, Box-Cox): a quantity made by multiplying causes is near
symmetric on the log scale and skewed to the right on ``x``, one made by adding is symmetric on
``x`` and skewed to the left on ``log x``. So a bulk spanning at least :data:`SHAPE_SPAN_MIN` =
19 (a column spread linearly from zero: ``e = 0.49``; a narrower bulk leaves either reading
within half a nat of the other) is read as ``log x`` when that is the more symmetric reading:
``|S(log x)| < |S(x)|``, ``S`` Bowley's quantile skewness (:func:`quantile_skewness`) of the
same two bounds and the median's order statistic. A uniform or index column never fires: its
bounded bulk spans less than 19, and its ``S`` is 0 on ``x``, about -0.56 on ``log x``.

A few values cannot move it: the two quantiles are order statistics taken at distribution-free
confidence bounds, ``q05`` from above and ``q95`` from below, each at ``1 - ALPHA``
(:func:`tail_rank`: the 0-based ranks ``k`` and ``n - 1 - k``, ``k`` the binomial
``(n, 0.05)`` quantile at ``1 - ALPHA``), so a column whose true central 90% spans less than
100 fires with probability below ``2 ALPHA`` whatever ``n`` (a uniform one from zero: below
2e-6 at every ``n``, 1e-11 from ``n = 100``), moving the trigger takes more than 5% of the
rows, and a column of fewer than 8 values never fires.

The guard. A column that is an exact power ``x = c z**p`` (p != 1) of another positive feature
``z`` (``expersq = exper**2``) was built for the shape of ``z``'s effect; its log would be
``log c + p log z`` and the shape would be lost, so it stays raw. "Exact": ``log x`` is a
straight line in ``log z`` up to ``sqrt(1 - corr**2) <= POWER_TOL`` (1e-3: a derived value
stored to 3 significant digits; the closest pair of measured columns among the bench's
tables, h2-fatalities' pop2124 and pop1820, is at 5e-2). ``p = 1`` (a rescaled copy) is no
guard: the span is scale-free, so ``z`` is logged with ``x``.

Streamed exactly: counts, minima and maxima in the value pass and, for the guard, four sums
per pair of columns (their logs over the rows where both are present) over fixed blocks of
rows (:data:`probnn._running.BLOCK_ROWS`) whatever the pieces; then, only for a positive
column with ``max / min >= SHAPE_SPAN_MIN`` (a necessary condition), the three order statistics
(the two bounds and the median's) by the
exact rank search of :mod:`probnn._running` (``pending``, ``begin_pass``, ``update_pass``,
``end_pass``: one more pass up to ``COLLECT_LIMIT`` values, in memory as streamed). So a table
read in pieces gives the same decision, bit for bit, as in memory. The pairs cost ``p**2`` per
row: beyond :data:`MAX_COLUMNS` numeric columns the rule is off.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from probnn.exceptions import DataWarning

__all__ = ["ALPHA", "LogScan", "MAX_COLUMNS", "POWER_TOL", "SHAPE_SPAN_MIN", "SPAN_MIN", "TAIL",
           "quantile_skewness", "tail_rank", "warn_logged"]  # fmt: skip

SPAN_MIN = 100.0  # q95 / q05 of the present values (two decades: see the module's docstring)
TAIL = 0.05  # the bulk: the central 1 - 2 TAIL of the values
# Below SPAN_MIN, from the span of a column spread linearly from zero (19: the module's docstring)
# up, log x is read when it is the more symmetric reading of the bulk (quantile_skewness)
SHAPE_SPAN_MIN = 19.0  # (1 - TAIL) / TAIL, written out: the float quotient is 19 - 4e-15
ALPHA = 1e-3  # each quantile's bound holds at 1 - ALPHA
POWER_TOL = 1e-3
MAX_COLUMNS = 100


def quantile_skewness(low: float, middle: float, high: float) -> float:
    """Bowley's quantile skewness ``(high + low - 2 middle) / (high - low)`` of three
    quantiles ``low < high`` (``low <= middle <= high``): 0 for a symmetric bulk, towards
    +1 (-1) for one skewed to the right (left)."""
    return (high + low - 2.0 * middle) / (high - low)


def _log_is_more_symmetric(low: float, middle: float, high: float) -> bool:
    """Whether ``log`` of three positive quantiles is nearer symmetry than they are."""
    on_x = quantile_skewness(low, middle, high)
    on_log = quantile_skewness(math.log(low), math.log(middle), math.log(high))
    return abs(on_log) < abs(on_x)


def tail_rank(n: int) -> int:
    """The 0-based rank ``k`` of the order statistic that is at or above the ``TAIL``
    quantile of the law with probability ``>= 1 - ALPHA`` among ``n`` values: the smallest
    ``k`` with ``P(Binomial(n, TAIL) <= k) >= 1 - ALPHA`` (values at or below the quantile
    number ``Binomial(n, TAIL)``). ``n - 1 - k`` bounds the ``1 - TAIL`` quantile from
    below alike; the bounds are usable when ``k < n - 1 - k``."""
    from scipy.special import bdtr

    lo, hi = 0, max(int(n), 0)  # bdtr(hi, n, p) = 1 >= 1 - ALPHA
    while lo < hi:  # bisection: the cdf is increasing in k
        mid = (lo + hi) // 2
        if bdtr(mid, n, TAIL) >= 1.0 - ALPHA:
            hi = mid
        else:
            lo = mid + 1
    return lo


class LogScan:
    """Which of ``names`` to read on the log scale, from their values in pieces of rows.

    A value pass (:meth:`update` each piece, :meth:`finish`), then, while :attr:`pending` is
    not empty, further passes over those columns (:meth:`begin_pass`, :meth:`update_pass`
    each piece, :meth:`end_pass`); then :meth:`chosen`.

    Parameters
    ----------
    names : list of str
        The numeric feature columns, in the order :meth:`update` gives their values.
    """

    def __init__(self, names: list[str]):
        from probnn._running import BLOCK_ROWS, BlockMoments

        self.names = list(names)
        self.block_rows = BLOCK_ROWS
        p = len(self.names)
        self.positive = np.ones(p, dtype=bool)  # every present value > 0 so far
        self.count = np.zeros(p, dtype=np.int64)  # present values
        self.low, self.high = np.full(p, np.inf), np.full(p, -np.inf)
        self.log_moments = [BlockMoments() for _ in self.names]  # of log x (while positive)
        # (q05 from above, the median's order statistic, q95 from below)
        self.bounds: dict[str, tuple[float, float, float]] = {}
        self._ranks: dict[str, list] = {}  # the order statistics' searches (_running._Rank)
        self._sums: list[np.ndarray] | None = None
        self._pending: list[np.ndarray] = []
        self._pending_rows = 0

    def update(self, values: np.ndarray) -> None:
        """The next rows' values, shape (n_rows, len(names)), float64, NaN for missing."""
        values = np.asarray(values, dtype=np.float64).reshape(-1, len(self.names))
        if values.shape[0] == 0:
            return
        present = ~np.isnan(values)
        with np.errstate(invalid="ignore"):
            self.positive &= ~np.any(values <= 0, axis=0)  # (NaN compares False)
        self.count += present.sum(axis=0)
        some = present.any(axis=0)
        self.low[some] = np.minimum(self.low[some], np.nanmin(values[:, some], axis=0))
        self.high[some] = np.maximum(self.high[some], np.nanmax(values[:, some], axis=0))
        for j in np.flatnonzero(self.positive):
            self.log_moments[j].update(np.log(values[:, j]))
        self._pending.append(values)
        self._pending_rows += values.shape[0]
        if self._pending_rows < self.block_rows:
            return
        joined = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
        full = (joined.shape[0] // self.block_rows) * self.block_rows
        for start in range(0, full, self.block_rows):
            self._add_block(joined[start:start + self.block_rows])
        rest = joined[full:]
        self._pending = [rest] if rest.shape[0] else []
        self._pending_rows = rest.shape[0]

    def _add_block(self, block: np.ndarray) -> None:
        """The guard's sums over one block: per pair of columns, their logs where both > 0."""
        logged = ~np.isnan(block) & (block > 0)
        L = np.log(np.where(logged, block, 1.0))  # 0 where absent (or <= 0: never logged)
        both = logged.astype(np.float64)
        sums = [both.T @ both, L.T @ both, (L * L).T @ both, L.T @ L]
        self._sums = sums if self._sums is None else [a + b for a, b in zip(self._sums, sums)]

    def finish(self) -> "LogScan":
        """Fold in the last, shorter block and start the rank searches; returns self."""
        from probnn._running import _Rank

        if self._pending_rows:
            joined = np.concatenate(self._pending)
            self._pending, self._pending_rows = [], 0
            self._add_block(joined)
        for moments in self.log_moments:
            moments.finish()
        for j in np.flatnonzero(self.positive & (self.count >= 3)):
            n = int(self.count[j])
            k, middle = tail_rank(n), (n - 1) // 2
            widest = min(SPAN_MIN, SHAPE_SPAN_MIN)  # (max / min below it: it cannot fire)
            if k < middle < n - 1 - k and self.high[j] >= widest * self.low[j]:
                ranks = [_Rank(), _Rank(), _Rank()]
                for rank, at in zip(ranks, (k, middle, n - 1 - k)):
                    rank.rank, rank.in_range = at, n  # every value is in range at the start
                self._ranks[self.names[j]] = ranks
        return self

    @property
    def pending(self) -> list[str]:
        """The columns whose order statistics need another pass over their values."""
        return [name for name, ranks in self._ranks.items() if name not in self.bounds]

    def begin_pass(self) -> None:
        for name in self.pending:
            for rank in self._ranks[name]:
                if rank.value is None:
                    rank.begin()

    def update_pass(self, name: str, values: np.ndarray) -> None:
        """The next piece's values of the pending column ``name``, shape (n_rows,)."""
        from probnn._running import order_keys

        values = np.asarray(values, dtype=np.float64)
        keys = order_keys(values[~np.isnan(values)])
        for rank in self._ranks[name]:
            if rank.value is None:
                rank.update(keys)

    def end_pass(self) -> None:
        for name in self.pending:
            ranks = self._ranks[name]
            for rank in ranks:
                if rank.value is None:
                    rank.end()
            if all(rank.value is not None for rank in ranks):
                self.bounds[name] = (ranks[0].value, ranks[1].value, ranks[2].value)

    def span(self) -> dict[str, float]:
        """``q95 / q05`` (their confidence bounds) of each column whose search is done."""
        return {name: hi / lo for name, (lo, _, hi) in self.bounds.items()}

    def wide(self, name: str) -> bool:
        """Whether column ``name``'s bulk calls for ``log x``: it spans :data:`SPAN_MIN`, or
        :data:`SHAPE_SPAN_MIN` with ``log x`` the more symmetric reading (no guard here)."""
        if name not in self.bounds:
            return False
        low, middle, high = self.bounds[name]
        span = high / low
        return bool(span >= SPAN_MIN or span >= SHAPE_SPAN_MIN
                    and _log_is_more_symmetric(low, middle, high))  # fmt: skip

    def power_of(self, j: int) -> tuple[str, float] | None:
        """The other positive column ``z`` of which column ``j`` is an exact power
        ``c z**p`` with p != 1, and p; None when there is none."""
        nn, s1, s2, slz = self._sums
        for k in np.flatnonzero(self.positive):
            n = nn[j, k]
            if k == j or n < 3:
                continue
            mean_j, mean_k = s1[j, k] / n, s1[k, j] / n
            var_j, var_k = s2[j, k] / n - mean_j ** 2, s2[k, j] / n - mean_k ** 2
            if not (var_j > 0 and var_k > 0):
                continue
            cov = slz[j, k] / n - mean_j * mean_k
            unexplained = max(0.0, 1.0 - cov * cov / (var_j * var_k))
            power = cov / var_k
            if math.sqrt(unexplained) <= POWER_TOL and abs(power - 1.0) > POWER_TOL:
                return self.names[k], float(power)
        return None

    def chosen(self) -> list[str]:
        """The columns to read as ``log x``, in the order of ``names`` (none beyond
        :data:`MAX_COLUMNS` columns)."""
        if len(self.names) > MAX_COLUMNS or self.pending:
            return []
        return [name for j, name in enumerate(self.names)
                if self.wide(name) and self.power_of(j) is None]  # fmt: skip


def warn_logged(names: list[str]) -> None:
    """The one :class:`~probnn.exceptions.DataWarning` line saying which columns are read on
    the log scale (said once per command for the same columns, however many fits)."""
    from probnn.tables.columns import _SAID

    key = ("log scale", tuple(names))
    if not names or not _SAID.first_time(key):
        return
    listed = ", ".join(repr(n) for n in names)
    message = DataWarning(
        f"column{'s' if len(names) > 1 else ''} {listed} read as log(x): every value > 0, "
        f"its central 90% spanning a wide ratio, where a model linear in x would miss a power "
        f"law")
    message.key = key
    warnings.warn(message, stacklevel=2)
