"""The discrete central interval before and after its exact search (issue 22's leftover).

Before: ``_first_holding_discrete`` walked at most 64 counts from the equal-tailed interval.
After: the same walk for 16 counts, then a search, exact however far it goes. Per count table
and seed on bench.selection's split: the selection's model (every default), the right
family's GLM, and that GLM's Laplace posterior (a mixture of 100 laws: the wide case); on the
held-out rows, the 90% intervals of the *same* model by main's module (``--before PATH``, the
file ``probnn/_central_interval.py`` of the tree before) and by this tree's: coverage, own
mass (``metrics.interval_mass``), mean width, rows whose interval changed.

    python -m bench.studies.count_intervals_exact --before /work/main/probnn/_central_interval.py \
        r-quine-days,r-biochemists-art 0,1
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time

import numpy as np


def _module(path: str):
    spec = importlib.util.spec_from_file_location("central_before", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _score(model, held, before, log):
    from probnn import metrics

    y = held[model.target].to_numpy(dtype=np.float64)
    dist = model.predict_dist(held)
    c = model.censoring
    bounds = (None, None) if c is None else (c.below, c.above)
    out = {}
    for name, mod in (("before", before), ("after", metrics)):
        t0 = time.perf_counter()
        lo, hi = mod.central_interval(dist, 0.9, *bounds)
        took = time.perf_counter() - t0
        mass = metrics.interval_mass(dist, lo, hi, 0.9, *bounds)
        out[name] = {"coverage": float(np.mean((lo <= y) & (y <= hi))),
                     "mass": float(np.mean(mass)), "width": float(np.mean(hi - lo)),
                     "seconds": took, "lo": lo, "hi": hi}
    changed = (out["before"]["lo"] != out["after"]["lo"]) | (out["before"]["hi"] != out["after"]["hi"])
    for v in out.values():
        v.pop("lo"), v.pop("hi")
    out["rows_changed"] = int(changed.sum())
    out["rows"] = int(y.size)
    return out


def main(argv=None) -> None:
    from bench._tables import all_tables
    from bench.selection import _cli_defaults, _fit, _select, _split_rows
    from probnn.tables.model import TabularModel  # noqa: F401

    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True)
    ap.add_argument("--no-laplace", action="store_true")
    ap.add_argument("tables")
    ap.add_argument("seeds")
    a = ap.parse_args(argv)
    before = _module(a.before)
    tables = {t.name: t for t in all_tables()}
    for name in a.tables.split(","):
        table = tables[name]
        frame, why = table.load()
        if frame is None:
            print(json.dumps({"table": name, "skipped": why}), flush=True)
            continue
        defaults = _cli_defaults(table.impute)
        for seed in (int(s) for s in a.seeds.split(",")):
            tr, te = _split_rows(frame.shape[0], seed)
            train, held = frame.iloc[tr], frame.iloc[te]
            models = {}
            model, _, chosen = _select(train, table.target, seed, defaults)
            models[f"auto ({chosen})"] = model
            glm, _ = _fit(train, table.target, table.right, seed, defaults, hidden=(),
                          solver="lbfgs")
            models[f"glm {table.right}"] = glm
            if not a.no_laplace:
                lap, _ = _fit(train, table.target, table.right, seed, defaults, hidden=(),
                              solver="lbfgs", posterior="laplace")
                models[f"glm {table.right} laplace"] = lap
            for label, m in models.items():
                print(json.dumps({"table": name, "seed": seed, "model": label,
                                  **_score(m, held, before, print)}), flush=True)


if __name__ == "__main__":
    main()
