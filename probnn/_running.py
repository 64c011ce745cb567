"""Statistics of a column read in pieces that do not depend on where the pieces are cut.

Used by :class:`probnn.tables.preprocessing.Preprocessor` both on a table in memory (one
piece) and on a table streamed from disk in record batches (:mod:`probnn.tables.streaming`),
so that the two give
bit-identical results:

* :class:`BlockMoments`: mean and variance over fixed canonical blocks of ``BLOCK_ROWS``
  rows (whatever the batch sizes), each block as numpy computes ``mean`` and ``std``,
  merged in order with Chan, Golub & LeVeque's pairwise update. A table of at most
  ``BLOCK_ROWS`` rows gives exactly ``np.mean`` and ``np.std``.
* :class:`ExactMedian`: ``np.median`` of a column seen in several passes, in bounded
  memory, by radix selection on the order-preserving integer keys of the float64 values.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["BLOCK_ROWS", "BlockMoments", "ExactMedian"]

# Rows per canonical block. Independent of any reader's batch size; 2**16 rows keep a
# block's pairwise sums as accurate as numpy's on the whole column to within a few ulps.
BLOCK_ROWS = 65_536


class BlockMoments:
    """Count, mean and variance of a stream of values, NaN meaning missing.

    ``update`` takes the values of consecutive rows in any pieces; the rows are
    regrouped into blocks of ``block_rows`` (the last may be shorter). Per block:
    ``mean = sum(x) / n`` and ``m2 = sum((x - mean)**2)`` over its present values,
    numpy's own arithmetic; blocks merge in order by

        n = n_a + n_b,  d = mean_b - mean_a,
        mean = mean_a + d n_b / n,  m2 = m2_a + m2_b + d^2 n_a n_b / n.

    Parameters
    ----------
    block_rows : int or None, default=None
        None: the module's ``BLOCK_ROWS``.
    """

    def __init__(self, block_rows: int | None = None):
        self.block_rows = int(BLOCK_ROWS if block_rows is None else block_rows)
        self.count, self.mean, self.m2 = 0, 0.0, 0.0
        self._pending: list[np.ndarray] = []
        self._pending_rows = 0

    def update(self, values: np.ndarray) -> None:
        """Add the values of the next rows, shape (n_rows,), float64 with NaN for missing."""
        values = np.asarray(values, dtype=np.float64).ravel()
        if values.size == 0:
            return
        self._pending.append(values)
        self._pending_rows += values.size
        if self._pending_rows < self.block_rows:
            return
        joined = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
        full = (joined.size // self.block_rows) * self.block_rows
        for start in range(0, full, self.block_rows):
            self._add_block(joined[start:start + self.block_rows])
        rest = joined[full:]
        self._pending = [rest] if rest.size else []
        self._pending_rows = rest.size

    def _add_block(self, block: np.ndarray) -> None:
        present = block[~np.isnan(block)]
        n = present.size
        if n == 0:
            return
        mean = float(present.mean())
        deviation = present - mean
        m2 = float(np.add.reduce(deviation * deviation))
        if self.count == 0:
            self.count, self.mean, self.m2 = n, mean, m2
            return
        total = self.count + n
        delta = mean - self.mean
        self.mean = self.mean + delta * n / total
        self.m2 = self.m2 + m2 + delta * delta * self.count * n / total
        self.count = total

    def finish(self) -> "BlockMoments":
        """Fold in the last, shorter block; returns self."""
        if self._pending_rows:
            joined = np.concatenate(self._pending)
            self._pending, self._pending_rows = [], 0
            self._add_block(joined)
        return self

    @property
    def std(self) -> float:
        """Population standard deviation ``sqrt(m2 / count)`` (NaN when empty)."""
        return math.sqrt(self.m2 / self.count) if self.count else math.nan


# ----------------------------------------------------------------- the median
_SIGN = np.uint64(1 << 63)
_DIGIT_BITS = 16
_DIGITS = 1 << _DIGIT_BITS
# a candidate range holding at most this many values is collected and selected in memory
COLLECT_LIMIT = 1 << 21


def order_keys(values: np.ndarray) -> np.ndarray:
    """uint64 keys that sort as the (non-NaN) float64 ``values`` do; -0.0 and 0.0 share one."""
    bits = (np.asarray(values, dtype=np.float64) + 0.0).view(np.uint64)
    return np.where(bits & _SIGN, ~bits, bits | _SIGN)


def key_value(key: int) -> float:
    """Inverse of :func:`order_keys` for one key."""
    key = np.uint64(key)
    bits = key ^ _SIGN if key & _SIGN else ~key
    return float(np.array([bits], dtype=np.uint64).view(np.float64)[0])


class _Rank:
    """The search for one order statistic: the keys' high ``known`` bits are ``prefix``."""

    def __init__(self):
        self.rank = -1  # set once the count is known
        self.prefix, self.known = 0, 0
        self.in_range = -1  # values whose key starts with prefix (-1: not counted yet)
        self.value: float | None = None
        self._hist: np.ndarray | None = None
        self._kept: list[np.ndarray] | None = None

    def begin(self) -> None:
        if self.in_range == -1 or self.in_range > COLLECT_LIMIT:
            self._hist, self._kept = np.zeros(_DIGITS, dtype=np.int64), None
        else:
            self._hist, self._kept = None, []

    def update(self, keys: np.ndarray) -> None:
        if self.known:
            keys = keys[(keys >> np.uint64(64 - self.known)) == np.uint64(self.prefix)]
        if self._hist is not None:
            digit = (keys >> np.uint64(64 - self.known - _DIGIT_BITS)) & np.uint64(_DIGITS - 1)
            self._hist += np.bincount(digit.astype(np.intp), minlength=_DIGITS)
        else:
            self._kept.append(keys)

    def end(self) -> None:
        if self._kept is not None:
            keys = np.concatenate(self._kept) if self._kept else np.empty(0, np.uint64)
            self.value = key_value(np.partition(keys, self.rank)[self.rank])
            self._kept = None
            return
        cumulative = np.cumsum(self._hist)
        digit = int(np.searchsorted(cumulative, self.rank, side="right"))
        below = int(cumulative[digit - 1]) if digit else 0
        self.rank -= below
        self.in_range = int(self._hist[digit])
        self.prefix = (self.prefix << _DIGIT_BITS) | digit
        self.known += _DIGIT_BITS
        self._hist = None
        if self.known == 64:  # every key in range is this one
            self.value = key_value(self.prefix)


class ExactMedian:
    """``np.median`` of a column that can be read more than once, in bounded memory.

    Each pass over the column (``begin_pass``, ``update`` per piece, ``end_pass``)
    narrows the two middle order statistics by 16 bits of their float64 keys with a
    histogram of 65,536 counts, until the candidates number at most ``COLLECT_LIMIT``;
    a last pass collects those and selects exactly. The first pass may run before the
    count is known (``set_count`` before its ``end_pass``). Usually two passes.
    """

    def __init__(self):
        self.count = -1
        self._ranks: list[_Rank] = [_Rank(), _Rank()]
        self._active: list[_Rank] = []

    def set_count(self, count: int) -> None:
        """The number of present values (known after the first pass)."""
        self.count = int(count)
        lo, hi = (self.count - 1) // 2, self.count // 2
        self._ranks[0].rank, self._ranks[1].rank = lo, hi

    @property
    def done(self) -> bool:
        return self.count == 0 or all(r.value is not None for r in self._ranks)

    def begin_pass(self) -> None:
        self._active = [r for r in self._ranks if r.value is None]
        for r in self._active:
            r.begin()

    def update(self, values: np.ndarray) -> None:
        """The next piece's values (NaN: missing, skipped)."""
        if not self._active:
            return
        values = np.asarray(values, dtype=np.float64)
        keys = order_keys(values[~np.isnan(values)])
        for r in self._active:
            r.update(keys)

    def end_pass(self) -> None:
        if self.count < 0:
            raise RuntimeError("set_count must be called before the first pass ends")
        if self.count == 0:
            return
        for r in self._active:
            r.end()
        self._active = []

    @property
    def value(self) -> float:
        """The median, as ``np.median`` gives it (the mean of the two middle values)."""
        if not self.done or self.count == 0:
            raise RuntimeError("the median needs more passes (or values)")
        lo, hi = self._ranks[0].value, self._ranks[1].value
        return float(np.median(np.array([lo, hi]))) if self.count % 2 == 0 else lo
