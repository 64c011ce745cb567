"""Issue 25's California measure: the capped house values read as right-censored, against the
same family fitted as if the cap were exact.

``PYTHONPATH=$PWD python -m bench.studies.censored_california [FAMILY ...]`` (not part of
``python -m bench``); results in ``bench/studies/censored_california.md``.

California's ``median_house_value`` is recorded as 500,001 for every district above
500,000 (965 of 20,640 rows; 27 more hold exactly 500,000). For each family and seed the
same ``TabularModel`` (the command line's defaults: ``probnn fit --impute``) is fitted twice
on the same training rows (``split_rows``, 20% held out): once with
``Censoring(above=500000)`` (the rows at or above the cap as ``Y > 500,000``, ``probnn fit
--censored-above 500000``) and once reading 500,001 as an exact value. Both are scored on the
same held-out rows by the censored likelihood through their predictive distributions: the
density at an exact value, ``-log P(Y > 500,000)`` for a capped row; the table gives its mean
(with the standard error of the paired difference), the same split into the exact and the
capped rows, and the mean predicted ``P(Y > 500,000)`` of the held-out capped rows.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from bench._data import load_csv
from probnn._split import split_rows
from probnn.tables.censoring import Censoring
from probnn.tables.model import TabularModel

CAP = 500_000.0
TARGET = "median_house_value"


def _scores(model: TabularModel, held_out) -> tuple[np.ndarray, np.ndarray]:
    """Per-row censored NLL of ``held_out`` under ``model``'s predictive distributions (the
    cap read as ``Y > CAP`` whatever the fit did: ``-log S(CAP)``; the density elsewhere) and
    each row's predicted P(Y > CAP). Through the distributions, so a fit's recalibrated
    spread (the exact fit's) is scored as it predicts."""
    dist = model.predict_dist(held_out)
    y = held_out[TARGET].to_numpy(dtype=np.float64)
    above = 1.0 - np.asarray(dist.cdf(np.full(len(held_out), CAP)), dtype=np.float64)
    capped = y >= CAP
    with np.errstate(divide="ignore"):
        nll = np.where(capped, -np.log(above), -np.asarray(dist.log_prob(y), dtype=np.float64))
    return nll, above


def main(families: list[str], seeds: list[int]) -> None:
    frame = load_csv("california-housing/housing.csv")
    if frame is None:
        sys.exit("california-housing/housing.csv not found under ../shared/data")
    capped_all = frame[TARGET].to_numpy() >= CAP
    print(f"{len(frame):,} rows, {capped_all.sum():,} at the cap (recorded as 500,001)")
    print("| family | seed | fit | held-out censored NLL | minus censored fit (SE) | exact rows | "
          "capped rows | mean P(Y > 500,000) of capped rows | CPU s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for family in families:
        for seed in seeds:
            train, test = split_rows(len(frame), seed, 0.2)
            held_out = frame.iloc[test]
            capped = held_out[TARGET].to_numpy() >= CAP
            rows = {}
            for label, censoring in (("censored", Censoring(above=CAP)), ("as exact", None)):
                start = time.process_time()
                model = TabularModel.fit(frame.iloc[train], TARGET, family=family, seed=seed,
                                         impute=True, censoring=censoring)  # fmt: skip
                cpu = time.process_time() - start
                rows[label] = (*_scores(model, held_out), cpu)
            base = rows["censored"][0]
            for label, (nll, above, cpu) in rows.items():
                diff = nll - base
                se = diff.std(ddof=1) / math.sqrt(diff.size)
                gap = "-" if label == "censored" else f"{diff.mean():+.4f} ({se:.4f})"
                print(f"| {family} | {seed} | {label} | {nll.mean():.4f} | {gap} | "
                      f"{nll[~capped].mean():.4f} | {nll[capped].mean():.4f} | "
                      f"{above[capped].mean():.3f} | {cpu:.0f} |", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    main([a for a in args if not a.isdigit()] or ["normal", "log-normal"],
         [int(a) for a in args if a.isdigit()] or [0, 1])
