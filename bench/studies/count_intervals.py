"""The 90% intervals of discrete and bounded targets before and after the unspent-tail rule
(issue 22): per table and seed, ``probnn fit --family auto``'s selection (scenario 9's ``_select``,
on scenario 9's split), then the held-out coverage and the model's own mass of two intervals of
the *same* fitted model: the equal-tailed one (``F^-1(0.05)``, ``F^-1(0.95)``, clipped to the
bounds of a censored target: the rule before) and :func:`probnn.metrics.central_interval`'s
(what ``probnn fit`` / ``predict`` write now).

``python -m bench.studies.count_intervals TABLE[,TABLE...] [SEEDS]``
"""

from __future__ import annotations

import sys

import numpy as np

from bench._tables import all_tables
from bench.selection import COVERAGE, _cli_defaults, _select, _split_rows
from probnn.metrics import central_interval, interval_mass


def _equal_tailed(dist, below, above):
    t = (1 - COVERAGE) / 2
    lo = np.asarray(dist.icdf(np.full(dist.batch_shape, t)), dtype=np.float64)
    hi = np.asarray(dist.icdf(np.full(dist.batch_shape, 1 - t)), dtype=np.float64)
    b = -np.inf if below is None else below
    a = np.inf if above is None else above
    return np.clip(lo, b, a), np.clip(hi, b, a)


def measure(name: str, seeds: list[int]) -> list[dict]:
    table = {t.name: t for t in all_tables()}[name]
    frame, why = table.load()
    if frame is None:
        print(f"{name}: skipped ({why})")
        return []
    defaults = _cli_defaults(table.impute)
    out = []
    for seed in seeds:
        train_idx, test_idx = _split_rows(frame.shape[0], seed)
        train, held = frame.iloc[train_idx], frame.iloc[test_idx]
        model, took, chosen = _select(train, table.target, seed, defaults)
        if model.is_classifier:
            print(f"{name} seed {seed}: {chosen}: a classifier, no interval")
            continue
        c = model.censoring
        below, above = (None, None) if c is None or c.columns else (c.below, c.above)
        dist = model.predict_dist(held)
        y = held[table.target].to_numpy(dtype=np.float64)
        rec = {"table": name, "seed": seed, "chosen": chosen, "n": int(y.size)}
        for key, (lo, hi) in (("before", _equal_tailed(dist, below, above)),
                              ("after", central_interval(dist, COVERAGE, below, above))):
            rec[key] = float(np.mean((lo <= y) & (y <= hi)))
            rec[key + "_mass"] = float(np.mean(interval_mass(dist, lo, hi, COVERAGE, below,
                                                             above)))  # fmt: skip
            rec[key + "_width"] = float(np.mean(hi - lo))
        print(f"{name} seed {seed}: {chosen} ({took:.0f} s): coverage {rec['before']:.3f} -> "
              f"{rec['after']:.3f}, own mass {rec['before_mass']:.3f} -> {rec['after_mass']:.3f},"
              f" mean width {rec['before_width']:.2f} -> {rec['after_width']:.2f}", flush=True)
        out.append(rec)
    return out


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    seeds = list(range(int(argv[1]) if len(argv) > 1 else 3))
    rows = [r for name in argv[0].split(",") for r in measure(name, seeds)]
    print("\n| table | chosen (seed 0) | coverage before | after | own mass before | after |"
          " width before | after |\n|---|---|---|---|---|---|---|---|")
    for name in dict.fromkeys(r["table"] for r in rows):
        rs = [r for r in rows if r["table"] == name]
        m = {k: np.mean([r[k] for r in rs]) for k in ("before", "after", "before_mass",
                                                     "after_mass", "before_width", "after_width")}
        print(f"| {name} | {rs[0]['chosen']} | {m['before']:.3f} | {m['after']:.3f} | "
              f"{m['before_mass']:.3f} | {m['after_mass']:.3f} | {m['before_width']:.2f} | "
              f"{m['after_width']:.2f} |")


if __name__ == "__main__":
    main()
