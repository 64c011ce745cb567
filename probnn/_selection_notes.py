"""What the model selection tells its reader beside its choice (:mod:`probnn.selection`):
a point mass at an end of a real target (read as censored there, or a warning that the
densities' scores cannot be compared), a heap inside its range (a warning, and a floor on a
mixture's scales), why a capacity was not tried, and the one line that says the choice
(:func:`selection_line`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from probnn.tables import resolution as _resolution

__all__ = ["POINT_MASS_SHARE", "point_mass", "point_masses", "point_mass_censoring",
           "point_mass_note", "selection_censoring"]

POINT_MASS_SHARE = _resolution.POINT_MASS_SHARE
_real_values = _resolution.real_values


CAPACITY_WORDS = {"constant": "constant model", "glm": "GLM", "network": "network"}


def _name(candidate: tuple[str, str]) -> str:
    return f"{candidate[0]} {CAPACITY_WORDS[candidate[1]]}"


def selection_line(table: pd.DataFrame, folds: Sequence, n_rows: int) -> str:
    """The choice and why in one line, from the candidates' table."""
    scored = table[table["folds"] == len(folds)].dropna(subset=["minus_best"])
    pick = scored[scored["status"] == "chosen"].iloc[0]
    how = (f"{len(folds)}-fold cross-validation over {n_rows:,} rows" if len(folds) > 1
           else f"one split, {folds[0][1].size:,} held-out rows")
    chosen = _name((pick["family"], pick["capacity"]))
    if pick["minus_best"] == 0:
        others = scored[scored["status"] != "chosen"]
        if others.empty:
            return (f"chose {chosen}: held-out NLL {pick['nll_nats']:.4f} nats, the only "
                    f"candidate ({how})")
        nxt = others.iloc[0]
        return (f"chose {chosen}: the lowest held-out NLL, {pick['nll_nats']:.4f} nats, vs "
                f"{_name((nxt['family'], nxt['capacity']))} {nxt['nll_nats']:.4f} "
                f"(+{nxt['minus_best']:.4f} +- {nxt['se']:.4f}) ({how})")  # fmt: skip
    best = scored.iloc[0]
    return (f"chose {chosen}: held-out NLL {pick['nll_nats']:.4f} nats vs "
            f"{_name((best['family'], best['capacity']))} {best['nll_nats']:.4f} "
            f"(+-{pick['se']:.4f}, within 1 SE: the simplest model within noise of the best) "
            f"({how})")  # fmt: skip


def point_mass(column: pd.Series, kinds: Sequence[str]) -> tuple[float, float, str] | None:
    """The point mass at an end of a target of real values, or None.

    Parameters
    ----------
    column : pandas.Series
        The target column.
    kinds : sequence of str
        Its kinds (``probnn.tables.targets.target_kinds``); counts and class labels are
        probabilities already, and hold no point mass in this sense.

    Returns
    -------
    (value, share, side) or None
        The value (the target's smallest or largest), the share of the rows exactly there
        (at least :data:`POINT_MASS_SHARE`), and ``"smallest"`` or ``"largest"``.
    """
    values = _real_values(column, kinds)
    if values is None:
        return None
    counts = values.value_counts()
    value, share = float(counts.index[0]) + 0.0, float(counts.iloc[0] / counts.sum())  # (-0.0 is 0)
    low, high = float(values.min()), float(values.max())
    if not _resolution.is_point_mass(int(counts.iloc[0]), int(counts.sum())) or \
            value not in (low, high) or low == high:
        return None
    return value, share, "smallest" if value == low else "largest"


def point_masses(column: pd.Series, kinds: Sequence[str]) -> list[tuple[float, float, str]]:
    """The point masses at the ends of a target of real values, smallest end first: none,
    :func:`point_mass`'s one, or both ends.

    The other end is a point mass too when it holds, by :func:`point_mass`'s rule,
    :data:`POINT_MASS_SHARE` of the rows and ``POINT_MASS_ROWS`` at least, and two distinct
    values lie between the ends (with fewer, every row but one would be censored, which a
    spike on that one row or a step between the ends fits without bound). A proportion with
    exact 0s and 1s (6% each) holds both: reading only the larger as censored left the other a
    density could spike on (a mixture's component of scale 0.001 on the 1s, held-out NLL 0.40
    against the best constant's -0.86).

    Returns
    -------
    list of (value, share, side)
        As :func:`point_mass` returns them; ``side`` ``"smallest"`` or ``"largest"``.
    """
    found = point_mass(column, kinds)
    if found is None:
        return []
    values = _real_values(column, kinds)
    low, high = float(values.min()), float(values.max())
    other, side = (high, "largest") if found[2] == "smallest" else (low, "smallest")
    at_other = int((values == other).sum())
    inside = values[(values > low) & (values < high)]
    if not _resolution.is_point_mass(at_other, values.size) or inside.nunique() < 2:
        return [found]
    second = (other + 0.0, at_other / values.size, side)  # (-0.0 is 0)
    return [found, second] if found[2] == "smallest" else [second, found]


def point_mass_note(column: pd.Series, kinds: Sequence[str]) -> str | None:
    """A warning when a target of real values holds a point mass at its smallest or largest
    value, or both (at least :data:`POINT_MASS_SHARE` of the rows exactly there,
    :func:`point_masses`), else None.

    A density can put a spike on such an atom: its NLL there has no lower bound, so the
    continuous families' held-out NLLs measure the spike, not the fit, and are not
    comparable with a probability (statsmodels' fair affairs: 68% of the rows exactly 0,
    where a Student-t network's scale collapsed to 0.0008). Reading the atom's rows as
    censored there (a Tobit model) scores every family on the same measure. Counts and
    class labels are probabilities already: no note. The selection says this only when
    told to score densities (``point_mass="density"``); otherwise it reads the atom as
    censored (:func:`point_mass_censoring`).
    """
    found = point_masses(column, kinds)
    if not found:
        return None
    options = " ".join(f"{'--censored-below' if side == 'smallest' else '--censored-above'} "
                       f"{value:g}" for value, _, side in found)  # fmt: skip
    return (f"{_exactly(found)}: a density can spike there and its NLL has no lower bound, so "
            "the continuous families' held-out NLLs are not comparable with a probability; "
            f"{options} reads those rows as censored there (a Tobit model)")


def _exactly(found: Sequence[tuple[float, float, str]]) -> str:
    """The point masses in words: "5% of the target's rows are exactly 0, its smallest value"
    (and "..., and 6% exactly 1, its largest" for both ends)."""
    (value, share, side), *more = found
    words = f"{share:.0%} of the target's rows are exactly {value:g}, its {side} value"
    for value, share, side in more:
        words += f", and {share:.0%} exactly {value:g}, its {side}"
    return words


def heap_note(column: pd.Series, kinds: Sequence[str]) -> str | None:
    """A warning when a target of real values holds a heap *inside* its range: one value,
    neither its smallest nor its largest, with at least :data:`POINT_MASS_SHARE` of the rows
    exactly there (a rounded or coded value: R's geyser durations, 18% recorded as exactly 4
    minutes, the night's "long"), else None.

    A density can spike on such a heap as on a point mass at an end, and its NLL there has no
    lower bound, but no censoring reads it (the value stands for an interval the table does
    not give); ``--upper COL`` can give those rows their intervals. Counts and class labels
    are probabilities already: no note.
    """
    found = _resolution.heap(column, kinds)
    if found is None:
        return None
    value, share, _ = found
    return (f"{share:.0%} of the target's rows are exactly {value:g}, inside its range (a "
            "rounded or coded value?): a density can spike on such a heap and its NLL there has "
            "no lower bound, so the continuous families' held-out NLLs may reward the spike (a "
            "mixture's components are kept no narrower than the targets' resolution); "
            "--upper COL can give those rows the interval they stand for")


def point_mass_censoring(column: pd.Series, kinds: Sequence[str]):
    """The censoring that reads a target's point masses at its ends as censored there, and
    the sentence that says so; None without such a point mass (:func:`point_masses`).

    An atom at the smallest value ``v`` is read as left-censored, ``Y <= v``
    (``Censoring(below=v)``, a Tobit model); at the largest, right-censored, ``Y > v``
    (``Censoring(above=v)``); atoms at both ends as both (``Censoring(below=v, above=u)``).
    Every family is then scored by ``-log P(Y <= v)`` (``-log P(Y > u)``) on those rows, a
    probability, and by its density elsewhere: no spike can win.

    Returns
    -------
    (probnn.tables.censoring.Censoring, str) or None
    """
    from probnn.tables.censoring import Censoring

    found = point_masses(column, kinds)
    if not found:
        return None
    limits = {("below" if side == "smallest" else "above"): value for value, _, side in found}
    censoring = Censoring(**limits)
    if len(found) == 2:
        how, model = "left-censored and right-censored there", " (a two-limit Tobit model)"
    elif "below" in limits:
        how, model = "left-censored there", " (a Tobit model)"
    else:
        how, model = "right-censored there", ""
    return censoring, (f"{_exactly(found)}: read as {how}{model}, so every family is scored "
                       "on the same measure, a probability on those rows (a density could "
                       "spike there)")


def _unchecked_networks(folds: Sequence, names: Sequence[str], network: Mapping) -> str | None:
    """Why no network is tried, or None: a regression network's default budget (about
    100,000 steps) is kept in check by early stopping, which ``"auto"`` leaves off below
    ``2 * defaults.AUTO_MIN_VALIDATION_ROWS`` training rows (too few to hold any out); there
    a network chooses its epochs by folds of its own (``estimators._folds``) inside the
    selection's, about 5 times the CPU, and was never chosen on the 20 tiny tables measured
    (``bench/studies/tiny_tables_selection.py``: 3.2 s a selection against 15 s, mean held-out
    NLL 4.09 against 4.05), and the GLM already has a weight for every few rows. A caller's
    own ``epochs`` or ``early_stopping`` is kept."""
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
            f"out for early stopping (below {2 * defaults.AUTO_MIN_VALIDATION_ROWS}): a network "
            "would choose its epochs by folds inside these folds; constants and GLMs only")


def selection_censoring(column: pd.Series, kinds: Sequence[str], censoring, point_mass: str):
    """How the selection reads its target: ``(censoring, said, note)``.

    The caller's own ``censoring`` (active) is kept; else, with ``point_mass="censor"``, a
    point mass at an end is read as censored there (:func:`point_mass_censoring`, ``said``
    the sentence); with ``"density"`` every row is scored by its density and ``note`` is
    :func:`point_mass_note`'s warning. The two others are None.

    Raises
    ------
    ValueError
        For a ``point_mass`` other than ``"censor"`` or ``"density"``.
    """
    if point_mass not in ("censor", "density"):
        raise ValueError(f"point_mass must be 'censor' or 'density'; found {point_mass!r}")
    if censoring is not None and censoring.active:
        return censoring, None, None
    if point_mass == "censor":
        found = point_mass_censoring(column, kinds)
        if found is not None:
            return found[0], found[1], None
    return None, None, point_mass_note(column, kinds)
