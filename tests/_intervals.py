"""The intervals of :func:`probnn.metrics.central_interval` by hand from scipy laws: the
oracles of its tests. Imported as ``from _intervals import recorded_interval`` (pytest puts
``tests/`` on ``sys.path``).

The rule: of the equal-tailed intervals ``J(d) = [F^-1(d), F^-1(1 - d)]`` (``d`` from ``(1 - c)
/ 2`` to ``1/2``, nested: the larger ``d`` the narrower), the narrowest holding ``c``. For a count
law that is the interval grown from the median one count at a time, each time on the side
with more mass beyond it (the lower on a tie), until it holds ``c`` (:func:`grown_interval`).
For a continuous law recorded at fixed bounds, ``clip(Y, below, above)``, a bound is inside
``J(d)`` where its atom reaches ``d``; found here over a grid of 4,001 values of ``d`` and the
points where the mass can reach ``c`` exactly (``1 - c``, the atoms).
"""

from __future__ import annotations

import numpy as np


def recorded_interval(law, coverage: float, below: float | None = None,
                      above: float | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    b = -np.inf if below is None else below
    a = np.inf if above is None else above
    t = (1 - coverage) / 2
    shape = np.shape(law.mean())
    atom_b = np.where(np.isfinite(b), law.cdf(b), 0.0) * np.ones(shape)
    atom_a = np.where(np.isfinite(a), law.sf(a), 0.0) * np.ones(shape)

    def ends(d):
        return (np.where(d <= atom_b, b, np.clip(law.ppf(d), b, a)),
                np.where(d <= atom_a, a, np.clip(law.ppf(1 - d), b, a)))

    def mass(lo, hi):
        return np.where(hi >= a, 1.0, law.cdf(hi)) - np.where(lo <= b, 0.0, law.cdf(lo))

    best = np.full(shape, t)
    points = [np.full(shape, d) for d in np.linspace(t, 0.5, 4001)]
    for d in points + [np.full(shape, 1 - coverage), atom_b, atom_a]:
        d = np.clip(d, t, 0.5)
        best = np.where((mass(*ends(d)) >= coverage - 1e-12) & (d > best), d, best)
    return ends(best)


def grown_interval(cdf: np.ndarray, coverage: float) -> tuple[np.ndarray, np.ndarray,
                                                               np.ndarray]:  # fmt: skip
    """From each row's cdf over 0..K-1 (scipy): start at the median (the smallest k with
    ``F(k) >= 1/2``); while the interval holds less than ``coverage``, add ``lo - 1`` where
    ``P(Y <= lo - 1) >= P(Y >= hi + 1)``, else ``hi + 1``. Returns ``lo, hi, F(hi) - F(lo - 1)``."""
    rows = np.arange(cdf.shape[0])
    left = np.concatenate([np.zeros((cdf.shape[0], 1)), cdf[:, :-1]], axis=1)  # P(Y < k)
    lo = hi = np.argmax(cdf >= 0.5, axis=1)
    for _ in range(cdf.shape[1]):
        short = cdf[rows, hi] - left[rows, lo] < coverage
        if not short.any():
            break
        down = (lo > 0) & (left[rows, lo] >= 1 - cdf[rows, hi])
        lo = np.where(short & down, lo - 1, lo)
        hi = np.where(short & ~down, np.minimum(hi + 1, cdf.shape[1] - 1), hi)
    return lo, hi, cdf[rows, hi] - left[rows, lo]


def count_interval(law, coverage: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A scipy count law's interval (:func:`grown_interval`) and its mass."""
    top = int(np.max(law.ppf(1 - 1e-13))) + 2
    cdf = np.atleast_2d(law.cdf(np.arange(top)[:, None]).T)
    lo, hi, mass = grown_interval(cdf, coverage)
    return lo.astype(float), hi.astype(float), mass


def narrowest_equal_tailed(cdf: np.ndarray, coverage: float) -> tuple[np.ndarray, np.ndarray,
                                                                      np.ndarray]:  # fmt: skip
    """From each row's cdf over 0..K-1 (scipy; ``F(K - 1) >= 1 - (1 - c) / 2``), the rule read
    literally: ``J(d) = [F^-1(d), F^-1(1 - d)]`` (``F^-1(q)`` the smallest k with ``F(k) >= q``)
    at every ``d`` in ``[(1 - c) / 2, 1/2]`` where ``J`` can change (each ``F(k)`` and ``1 -
    F(k)``, and the floats beside them), and of those holding ``c`` the one of the largest
    ``d``. Returns ``lo, hi, F(hi) - F(lo - 1)`` per row."""
    t = (1.0 - coverage) / 2.0
    out = []
    for row in np.atleast_2d(cdf):
        assert row[-1] >= 1.0 - t / 2, "the lattice stops short of the interval"
        points = np.concatenate([[t], row, 1.0 - row])
        points = np.concatenate([points, np.nextafter(points, 0.0), np.nextafter(points, 1.0)])
        d = np.unique(points[(points >= t) & (points <= 0.5)])
        lo = np.searchsorted(row, d, side="left")
        hi = np.searchsorted(row, 1.0 - d, side="left")
        mass = row[hi] - np.where(lo > 0, row[np.maximum(lo - 1, 0)], 0.0)
        holding = np.flatnonzero(mass >= coverage)  # J(t) holds 1 - 2t = c but for rounding
        best = holding[-1] if holding.size else 0
        out.append((lo[best], hi[best], mass[best]))
    lo, hi, mass = (np.array(v, dtype=float) for v in zip(*out))
    return lo, hi, mass
