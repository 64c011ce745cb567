"""Issue 22's count intervals: the selection's cross-fitted NB2 dispersion factor, measured.

``PYTHONPATH=$PWD python -m bench.studies.count_dispersion TABLE[,TABLE...] SEEDS
[MAX_ROWS_ALL_SEEDS [FIRST_SEED]]``
(not part of ``python -m bench``; results: ``bench/results/count_dispersion.json``, merged
with earlier runs by table and seed).

Per table and seed, on scenario 9's split (``bench.selection``: 20% of the rows held out by
the CLI's row hash): ``probnn fit --family auto``'s selection with every default, then on the
held-out rows the same fitted model twice, with the dispersion factor ``c`` the selection
cross-fitted (``select_model(dispersion=True)``: ``estimators._widening.
cross_fitted_dispersion``) and with ``c = 1`` (the model before this change: every other
number of the fit is identical): the mean NLL, their
paired difference with its standard error, the 90% intervals' coverage and the model's own
mass of them (``coverage_bar``'s z), and the share of rows in each far tail (``F(y) < 0.01``
below, ``P(Y >= y) < 0.01`` above; a calibrated model puts at most 1% there). Tables above
``MAX_ROWS_ALL_SEEDS`` rows (default 10,000): seed 0 only. Also ``syn-poisson-3000``, counts
from a Poisson law (the factor must stay 1 there, or be harmless). ``TABLE:FAMILY``: the
selection among that family's capacities alone (``nb``: negative-binomial; a Poisson table's
choice is a Poisson law, which has no dispersion).
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench._tables import _features, _frame
from bench.selection import COVERAGE, _cli_defaults, _split_rows

OUT = Path(__file__).resolve().parents[1] / "results" / "count_dispersion.json"


def syn_poisson(n: int) -> pd.DataFrame:
    """Equidispersed counts: Poisson with mean exp(1 + 0.7 x0) (syn-nb-3000's mean)."""
    rng, x = _features(n, 5, 105)
    return _frame(x, rng.poisson(np.exp(1 + 0.7 * x[:, 0])))


def _table(name: str):
    if name == "syn-poisson-3000":
        return "y", syn_poisson(3000), False
    from bench._tables import all_tables

    table = next(t for t in all_tables() if t.name == name)
    frame, _ = table.load()
    return table.target, frame, table.impute


def _members(estimator):
    return getattr(estimator, "estimators_", None) or [estimator]


def _at(model, held: pd.DataFrame, factor: float) -> dict:
    """The held-out measures of ``model`` with every member's dispersion factor ``factor``."""
    from probnn.estimators._widening import set_dispersion_factor

    set_dispersion_factor(model.estimator, factor)
    y = model.encode_target(held)
    nll = model.nll_rows(held, y)
    m = model.evaluate(held, coverage=COVERAGE)
    dist = model.predict_dist(held)
    below = np.asarray(dist.cdf(y), dtype=np.float64) < 0.01
    above = (1.0 - np.asarray(dist.cdf(y - 1.0), dtype=np.float64)) < 0.01
    return dict(nll_rows=nll, nll=float(np.mean(nll)), coverage=float(m["coverage"]),
                expected=float(m["coverage_expected"]), below_1pct=float(np.mean(below)),
                above_1pct=float(np.mean(above)))  # fmt: skip


def _select(frame, target, seed, defaults, families=None):
    """``bench.selection._select`` (``probnn fit --family auto``'s selection, every default)
    with ``dispersion=True``; ``families``: those alone."""
    from probnn.selection import select_model

    params = dict(defaults)
    impute, levels = params.pop("impute"), params.pop("levels")
    started = time.perf_counter()
    sel = select_model(frame.drop(columns=[target]), frame[target], seed=seed, impute=impute,
                       levels=levels, families=families, dispersion=True, **params)  # fmt: skip
    return sel.model, time.perf_counter() - started, f"{sel.family} {sel.capacity}"




def run(name: str, seeds: int, max_rows_all_seeds: int, first: int = 0) -> list[dict]:
    """``name``, or ``name:FAMILY``: that family alone (its capacities); seeds from
    ``first``."""
    label = name
    name, _, family = name.partition(":")
    families = None if not family else ["negative-binomial" if family == "nb" else family]
    target, frame, impute = _table(name)
    out = []
    for seed in range(first, seeds if frame.shape[0] <= max_rows_all_seeds else first + 1):
        train_idx, test_idx = _split_rows(frame.shape[0], seed)
        train, held = frame.iloc[train_idx], frame.iloc[test_idx]
        started = time.perf_counter()
        model, took, chosen = _select(train, target, seed, _cli_defaults(impute), families)
        factors = {getattr(e, "dispersion_factor_", 1.0) for e in _members(model.estimator)}
        factor = factors.pop()
        if model.is_classifier or not hasattr(_members(model.estimator)[0], "dispersion_factor_"):
            out.append(dict(table=label, seed=seed, chosen=chosen, factor=None))
            continue
        after, before = _at(model, held, factor), _at(model, held, 1.0)
        d = after.pop("nll_rows") - before.pop("nll_rows")
        rec = dict(table=label, seed=seed, rows=int(frame.shape[0]), n_test=int(test_idx.size),
                   chosen=chosen, factor=factor, d_nll=float(d.mean()),
                   d_nll_se=float(d.std(ddof=1) / math.sqrt(d.size)), before=before, after=after,
                   seconds=round(time.perf_counter() - started, 1))  # fmt: skip
        for when in ("before", "after"):
            r = rec[when]
            r["z"] = (r["coverage"] - r["expected"]) / math.sqrt(
                r["expected"] * (1 - r["expected"]) / test_idx.size)
        print(json.dumps(rec), flush=True)
        out.append(rec)
    return out


def main(argv: list[str]) -> None:
    names = argv[0].split(",")
    seeds = int(argv[1]) if len(argv) > 1 else 3
    max_rows = int(argv[2]) if len(argv) > 2 else 10_000
    first = int(argv[3]) if len(argv) > 3 else 0
    old = json.loads(OUT.read_text()) if OUT.exists() else []
    for name in names:
        new = run(name, seeds, max_rows, first)
        keys = {(r["table"], r["seed"]) for r in new}
        old = [r for r in old if (r["table"], r["seed"]) not in keys] + new
        tmp = OUT.with_suffix(".tmp")
        tmp.write_text(json.dumps(old, indent=1))
        tmp.replace(OUT)


if __name__ == "__main__":
    main(sys.argv[1:])
