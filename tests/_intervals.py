"""The interval of a value recorded at fixed bounds, ``clip(Y, below, above)``, by hand from a
scipy law of the latent ``Y`` (continuous): the oracle of :func:`probnn.metrics.central_interval`
with bounds. Imported as ``from _intervals import recorded_interval`` (pytest puts ``tests/`` on
``sys.path``).

The equal-tailed ends are ``Y``'s quantiles at ``t = (1 - c) / 2`` and ``1 - t``, clipped. An end
at a bound leaves no mass beyond it (the bound's atom is inside), so its tail's ``t`` goes to
the other end: the lower end at the bound makes the upper ``Y``'s quantile at ``c``, the upper
end at the bound makes the lower the quantile at ``1 - c``. Of the two, the one holding less
``P(lower <= R <= upper)`` (the lower end kept on a tie).
"""

from __future__ import annotations

import numpy as np


def recorded_interval(law, coverage: float, below: float | None = None,
                      above: float | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    b = -np.inf if below is None else below
    a = np.inf if above is None else above
    t = (1 - coverage) / 2
    lo, hi = np.clip(law.ppf(t), b, a), np.clip(law.ppf(1 - t), b, a)
    left = np.where(lo <= b, 0.0, t)  # P(R < lo)
    right = np.where(hi >= a, 0.0, t)  # P(R > hi)
    upper_a = np.clip(law.ppf(coverage + left), b, a)
    lower_b = np.clip(law.ppf(1 - coverage - right), b, a)

    def at_most(x):
        return np.where(x >= a, 1.0, law.cdf(x))

    def less(x):
        return np.where(x <= b, 0.0, law.cdf(x))

    first = at_most(upper_a) - less(lo) <= at_most(hi) - less(lower_b)
    return np.where(first, lo, lower_b), np.where(first, upper_a, hi)


def count_interval(law, coverage: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A scipy count law's interval and its mass: the equal-tailed ends ``ppf(t)``,
    ``ppf(1 - t)``; the mass one end leaves unspent beyond it goes to the other end (the lower
    kept: the upper is ``ppf(c + P(Y < lower))``; the upper kept: the lower is
    ``ppf(1 - c - P(Y > upper))``); of the two the one holding less, the first on a tie."""
    t = (1 - coverage) / 2
    lo, hi = law.ppf(t), law.ppf(1 - t)
    left, right = law.cdf(lo - 1), law.sf(hi)
    upper_a, lower_b = law.ppf(coverage + left), law.ppf(1 - coverage - right)
    mass_a = law.cdf(upper_a) - left
    mass_b = law.cdf(hi) - law.cdf(lower_b - 1)
    first = mass_a <= mass_b
    return (np.where(first, lo, lower_b), np.where(first, upper_a, hi),
            np.where(first, mass_a, mass_b))
