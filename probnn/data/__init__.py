"""Example tables shipped with probnn, so that the README's commands run on a fresh install.

``bike-sharing-day.csv``: the UCI Bike Sharing daily counts (731 days of 2011-2012; the
target ``cnt`` is the day's rentals, ``casual + registered``), by Hadi Fanaee-T and Joao
Gama, under the Creative Commons Attribution 4.0 licence (CC BY 4.0); the original
``Readme.txt`` is beside it as ``bike-sharing-Readme.txt`` and ``README.md`` says where it
comes from and how to cite it.
"""

from __future__ import annotations

import pathlib

__all__ = ["path", "bike_sharing_daily"]

_HERE = pathlib.Path(__file__).resolve().parent


def path(name: str = "bike-sharing-day.csv") -> pathlib.Path:
    """The path of a shipped example file.

    Parameters
    ----------
    name : str, default="bike-sharing-day.csv"

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        For a name probnn does not ship (the message lists those it does).
    """
    found = _HERE / name
    if found.parent != _HERE or not found.is_file() or found.suffix == ".py":
        shipped = sorted(p.name for p in _HERE.iterdir() if p.suffix in (".csv",))
        raise FileNotFoundError(f"probnn ships the example tables {', '.join(shipped)}; "
                                f"found no {name!r}")  # fmt: skip
    return found


def bike_sharing_daily():
    """The UCI Bike Sharing daily counts as a pandas DataFrame (731 rows, 16 columns).

    Returns
    -------
    pandas.DataFrame
        ``instant``, ``dteday`` (a date string), the calendar and weather columns, and the
        counts ``casual``, ``registered`` and ``cnt``.
    """
    import pandas as pd

    from probnn._io import CSV_MISSING  # the missing values probnn's own readers read

    return pd.read_csv(path("bike-sharing-day.csv"), **CSV_MISSING)
