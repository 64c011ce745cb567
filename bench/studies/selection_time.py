"""The selection's CPU time against one default fit (issue 22's 3x), on one table.

Usage: ``OMP_NUM_THREADS=1 python -m bench.studies.selection_time {california,bike} [prof]``.
Prints the CPU seconds of one default Poisson fit (the type rule's choice before selection on
these integer targets), of ``select_model(X, y, seed=0, impute=True)`` (what ``probnn fit``
runs) and of one default fit of the chosen family, their ratios, the selection's line and its
candidates' table (``prof``: a cProfile of the selection, by cumulative time). Numba's cache is
cold in a fresh checkout, where "auto" runs NumPy until a fit compiles: run once with
``PROBNN_ENGINE=numba`` first. Interleave runs of two checkouts to compare them.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time

from bench._data import DATA_DIR


def _table(name: str):
    import pandas as pd

    if name == "california":
        return pd.read_csv(DATA_DIR / "california-housing" / "housing.csv"), "median_house_value"
    frame = pd.read_csv(DATA_DIR / "bike-sharing" / "hour.csv")
    return frame.drop(columns=["instant", "dteday", "casual", "registered"]), "cnt"


def main(argv: list[str]) -> None:
    from probnn.selection import select_model
    from probnn.tables.model import TabularModel

    name = argv[0]
    frame, target = _table(name)
    X, y = frame.drop(columns=[target]), frame[target]
    started = time.process_time()
    TabularModel.fit(frame, target, family="poisson", seed=0, impute=True)
    poisson = time.process_time() - started
    profile = cProfile.Profile() if len(argv) > 1 else None
    started = time.process_time()
    if profile is not None:
        profile.enable()
    sel = select_model(X, y, seed=0, impute=True)
    if profile is not None:
        profile.disable()
    selection = time.process_time() - started
    started = time.process_time()
    TabularModel.fit(frame, target, family=sel.family, seed=0, impute=True)
    chosen = time.process_time() - started
    print(f"{name} engine={os.environ.get('PROBNN_ENGINE', 'auto')}: poisson {poisson:.2f}s "
          f"select {selection:.2f}s chosen({sel.family}) {chosen:.2f}s ratio/poisson "
          f"{selection / poisson:.2f} ratio/chosen {selection / chosen:.2f}")
    print(sel.line)
    print(sel.table.to_string())
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(50)


if __name__ == "__main__":
    main(sys.argv[1:])
