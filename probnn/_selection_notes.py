"""What the model selection tells its reader beside its choice (:mod:`probnn.selection`):
a warning when the scores cannot be compared, or why a capacity was not tried."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

__all__ = ["POINT_MASS_SHARE", "point_mass_note"]

# A real target with at least this share of its rows exactly at its smallest or largest
# value holds a point mass there (point_mass_note): 5% of the rows is far more than rounding
# stacks on one end of a continuous target, and enough for a density's spike to dominate
# the mean NLL.
POINT_MASS_SHARE = 0.05


def point_mass_note(column: pd.Series, kinds: Sequence[str]) -> str | None:
    """A warning when a target of real values holds a point mass at its smallest or largest
    value (at least :data:`POINT_MASS_SHARE` of the rows exactly there), else None.

    A density can put a spike on such an atom: its NLL there has no lower bound, so the
    continuous families' held-out NLLs measure the spike, not the fit, and are not
    comparable with a probability (statsmodels' fair affairs: 68% of the rows exactly 0,
    where a Student-t network's scale collapsed to 0.0008). Reading the atom's rows as
    censored there (a Tobit model) scores every family on the same measure. Counts and
    class labels are probabilities already: no note.
    """
    from probnn.families import DISCRETE_KINDS

    if not kinds or kinds[0] in DISCRETE_KINDS:
        return None
    values = pd.to_numeric(column, errors="coerce").dropna()
    if values.empty:
        return None
    shares = values.value_counts(normalize=True)
    value, share = float(shares.index[0]) + 0.0, float(shares.iloc[0])  # (-0.0 is 0)
    low, high = float(values.min()), float(values.max())
    if share < POINT_MASS_SHARE or value not in (low, high) or low == high:
        return None
    side, option = ("smallest", "--censored-below") if value == low else ("largest",
                                                                          "--censored-above")
    return (f"{share:.0%} of the target's rows are exactly {value:g}, its {side} value: a "
            f"density can spike there and its NLL has no lower bound, so the continuous "
            f"families' held-out NLLs are not comparable with a probability; {option} "
            f"{value:g} reads those rows as censored there (a Tobit model)")


def _unchecked_networks(folds: Sequence, names: Sequence[str], network: Mapping) -> str | None:
    """Why no network is tried, or None: a regression network's default budget (about
    100,000 steps) is kept in check by early stopping, which ``"auto"`` leaves off below
    ``2 * defaults.AUTO_MIN_VALIDATION_ROWS`` training rows (too few to hold any out); there
    a network trains its whole budget unchecked (bench's R suite: 25 training rows of
    GasolineYield, a normal network's held-out NLL 3e8 after 70 s), and the GLM already has
    a weight for every few rows. A caller's own ``epochs`` or ``early_stopping`` is kept."""
    from probnn import defaults
    from probnn.estimators._auto import auto_validation_fraction
    from probnn.families import FAMILIES

    if network.get("epochs") is not None or network.get("early_stopping") not in (None, "auto"):
        return None
    if all(FAMILIES[f].is_classifier for f in names):  # (a classifier's budget is epochs)
        return None
    smallest = min(train.size for train, _ in folds)
    fraction = network.get("validation_fraction", defaults.REGRESSOR["validation_fraction"])
    if auto_validation_fraction(smallest, fraction) > 0:  # "auto"'s own rule holds rows out
        return None
    return (f"no network tried: the folds' {smallest} training rows are too few to hold any "
            f"out for early stopping (below {2 * defaults.AUTO_MIN_VALIDATION_ROWS}), so a "
            "network would train its whole budget unchecked; constants and GLMs only")
