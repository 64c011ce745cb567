"""The log rule for numeric features spanning orders of magnitude: :class:`LogScan` decides,
from running sums over the training rows, which positive columns the
:class:`~probnn.tables.preprocessing.Preprocessor` reads as ``log x`` instead of ``x``.

Why. Every numeric feature is standardised, so a GLM with a log link fits
``log mean = b0 + b1 x``. A power law ``mean ~ x**a`` (brain weight against body weight,
claims against policy holders, interlocks against assets) is ``log mean = a log x``: a model
linear in ``x`` follows it only as far as ``log x`` is a straight line in ``x`` over the rows.
The part of ``log x`` that no straight line in ``x`` explains,

    resid_sd = sd(log x) * sqrt(1 - corr(x, log x)**2)   (nats),

is that model's root-mean-square miss of the log-mean per unit exponent. A column whose
present values are all > 0 and whose ``resid_sd >= RESID_SD_MIN`` (0.5: the mean missed by a
factor e**0.5 = 1.65 at exponent 1, chosen from that reading before any table was measured)
is replaced by its log (``bench/studies/skewed_features.md``: measured on 20 real tables).

The guard. A column that is an exact power ``x = c z**p`` (p != 1) of another positive feature
``z`` (``expersq = exper**2``) was built for the shape of ``z``'s effect; its log would be
``log c + p log z`` and the shape would be lost, so it stays raw. "Exact": ``log x`` is a
straight line in ``log z`` up to ``sqrt(1 - corr**2) <= POWER_TOL`` (1e-3: a derived value
stored to 3 significant digits; the closest pair of measured columns among the bench's
tables, h2-fatalities' pop2124 and pop1820, is at 5e-2). ``p = 1`` (a rescaled copy) is no
guard: ``resid_sd`` is scale-free, so ``z`` is logged with ``x``.

Streamed exactly: five sums per column (``x, x**2, log x, (log x)**2, x log x``) and, for the
guard, four sums per pair of columns (their logs over the rows where both are present),
added over fixed blocks of rows (:data:`probnn._running.BLOCK_ROWS`) whatever the pieces, so a
table read in pieces gives the same decision, bit for bit, as in memory. The pairs cost
``p**2`` per row: beyond :data:`MAX_COLUMNS` numeric columns the rule is off.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from probnn.exceptions import DataWarning

__all__ = ["LogScan", "MAX_COLUMNS", "POWER_TOL", "RESID_SD_MIN", "warn_logged"]

RESID_SD_MIN = 0.5
POWER_TOL = 1e-3
MAX_COLUMNS = 100


class LogScan:
    """Which of ``names`` to read on the log scale, from their values in pieces of rows.

    Parameters
    ----------
    names : list of str
        The numeric feature columns, in the order :meth:`update` gives their values.
    """

    def __init__(self, names: list[str]):
        from probnn._running import BLOCK_ROWS, BlockMoments

        self.names = list(names)
        self.block_rows = BLOCK_ROWS
        self.positive = np.ones(len(self.names), dtype=bool)  # every present value > 0 so far
        self.log_moments = [BlockMoments() for _ in self.names]  # of log x (while positive)
        self._sums: list[np.ndarray] | None = None
        self._pending: list[np.ndarray] = []
        self._pending_rows = 0

    def update(self, values: np.ndarray) -> None:
        """The next rows' values, shape (n_rows, len(names)), float64, NaN for missing."""
        values = np.asarray(values, dtype=np.float64).reshape(-1, len(self.names))
        if values.shape[0] == 0:
            return
        with np.errstate(invalid="ignore"):
            self.positive &= ~np.any(values <= 0, axis=0)  # (NaN compares False)
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
        present = ~np.isnan(block)
        logged = present & (block > 0)
        X = np.where(present, block, 0.0)
        L = np.log(np.where(logged, block, 1.0))  # 0 where absent (or <= 0: never logged)
        both = logged.astype(np.float64)
        sums = [present.sum(axis=0).astype(np.float64), X.sum(axis=0), (X * X).sum(axis=0),
                L.sum(axis=0), (L * L).sum(axis=0), (X * L).sum(axis=0),
                both.T @ both, L.T @ both, (L * L).T @ both, L.T @ L]  # fmt: skip
        self._sums = sums if self._sums is None else [a + b for a, b in zip(self._sums, sums)]

    def finish(self) -> "LogScan":
        """Fold in the last, shorter block; returns self."""
        if self._pending_rows:
            joined = np.concatenate(self._pending)
            self._pending, self._pending_rows = [], 0
            self._add_block(joined)
        for moments in self.log_moments:
            moments.finish()
        return self

    def resid_sd(self) -> np.ndarray:
        """``sd(log x) sqrt(1 - corr(x, log x)**2)`` of each column, shape (len(names),);
        NaN for a column with a value <= 0, fewer than 3 values or no spread."""
        out = np.full(len(self.names), np.nan)
        if self._sums is None:
            return out
        n, sx, sxx, sl, sll, sxl = self._sums[:6]
        for j in np.flatnonzero(self.positive & (n >= 3)):
            var_x = sxx[j] / n[j] - (sx[j] / n[j]) ** 2
            var_l = sll[j] / n[j] - (sl[j] / n[j]) ** 2
            if not (var_x > 0 and var_l > 0):
                continue
            cov = sxl[j] / n[j] - sx[j] * sl[j] / n[j] ** 2
            out[j] = math.sqrt(max(0.0, var_l - cov * cov / var_x))
        return out

    def power_of(self, j: int) -> tuple[str, float] | None:
        """The other positive column ``z`` of which column ``j`` is an exact power
        ``c z**p`` with p != 1, and p; None when there is none."""
        nn, s1, s2, slz = self._sums[6:]
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
        if len(self.names) > MAX_COLUMNS:
            return []
        spread = self.resid_sd()
        return [self.names[j] for j in np.flatnonzero(spread >= RESID_SD_MIN)
                if self.power_of(j) is None]  # fmt: skip


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
        f"spanning orders of magnitude, where a model linear in x would miss a power law")
    message.key = key
    warnings.warn(message, stacklevel=2)
