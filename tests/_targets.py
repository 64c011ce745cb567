"""Valid targets for any registered family, drawn by the support the family declares (so a
family added to the registry is covered by the registry-wide tests untouched). Imported as ``from _targets import targets_for`` (pytest puts ``tests/``
on ``sys.path``)."""
from __future__ import annotations

import numpy as np


def targets_for(family, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` targets on ``family.support`` (the registry's property, not the family's name)."""
    support = family.support
    if support == "binary":
        return rng.integers(0, 2, n)
    if support in ("classes", "ordered-classes"):
        return np.arange(n) % 3
    if support == "count":
        return rng.poisson(2.0, n)
    if support == "positive":
        return rng.gamma(2.0, 1.0, n)
    if support == "unit-interval":
        return rng.beta(2.0, 3.0, n)
    return rng.normal(size=n)
