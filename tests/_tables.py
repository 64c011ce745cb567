"""A small mixed table the streamed-fit tests share (numbers, a text column, missing values)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def mixed_table(n: int, classifier: bool, seed: int = 11) -> pd.DataFrame:
    """``n`` rows: ``x`` and ``z`` numbers (a tenth of ``z`` missing), ``colour`` text (a
    twentieth missing), and ``y``: a label "yes" / "no" (``classifier``) or a real value,
    each a function of the three plus noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n).astype(object)
    z = rng.normal(size=n)
    signal = 1.5 * x + (colour == "red") - 0.5 * z
    if classifier:
        y = np.where(signal + rng.logistic(size=n) > 0, "yes", "no")
    else:
        y = 3.0 + signal + 0.5 * rng.normal(size=n)
    z[rng.random(n) < 0.1] = np.nan  # missing values, imputed
    colour[rng.random(n) < 0.05] = None
    return pd.DataFrame({"x": x, "colour": colour, "z": z, "y": y})


def few_rows_table() -> pd.DataFrame:
    """119 rows of ``y = 2 x1 + 1.5 [c = b] + 0.3 x2 + N(0, 1)``: with ``--test-size 0.99`` a
    GLM is fitted on 4 rows, whose held-out NLL (about 4.3e16 for a normal) is past the
    figures' exponent threshold and far worse than the best constant."""
    rng = np.random.default_rng(0)
    n = 300
    x1, c, x2 = rng.normal(size=n), rng.choice(["a", "b", "c"], size=n), rng.integers(0, 5, n)
    y = 2 * x1 + (c == "b") * 1.5 + 0.3 * x2 + rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "c": c, "x2": x2, "y": y}).head(119)
