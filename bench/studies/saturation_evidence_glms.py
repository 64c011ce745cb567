"""The evidence's prior strength of the count GLMs with an extra head, across code versions.

``PYTHONPATH=<worktree> python -m bench.studies.saturation_evidence_glms TABLES SEEDS OUT``
runs, per table (comma-separated names of ``bench._tables``), seed (comma-separated) and
family with an extra head (negative binomial, zero-inflated and hurdle Poisson / NB), the
GLM the selection fits below ``EVIDENCE_BELOW`` rows (``hidden=()``, L-BFGS,
``alpha="evidence"``, the CLI's defaults) on the CLI's training rows, and appends one JSON
line to OUT: the chosen ``alpha``, the evidence of every ``alpha`` tried and the held-out
rows' NLL. Run it under each worktree (before / after a change) into its own OUT, then
``python -m bench.studies.saturation_evidence_glms --compare BEFORE,AFTER[,...]`` (not part
of ``python -m bench``; results: ``bench/results/selection_s39_saturation.md``).
"""
from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np

FAMILIES = ("negative-binomial", "zero-inflated-poisson", "zero-inflated-negative-binomial",
            "hurdle-poisson", "hurdle-negative-binomial")


def run(tables: list[str], seeds: list[int], out: str) -> None:
    from bench import selection as S
    from bench._tables import all_tables

    warnings.filterwarnings("ignore")
    with open(out, "a") as fh:
        for table in [t for t in all_tables() if t.name in tables]:
            frame, _ = table.load()
            defaults = S._cli_defaults(table.impute)
            for seed in seeds:
                train_idx, test_idx = S._split_rows(frame.shape[0], seed)
                train, held = frame.iloc[train_idx], frame.iloc[test_idx]
                for family in FAMILIES:
                    started = time.perf_counter()
                    try:
                        model, _ = S._fit(train, table.target, family, seed, defaults,
                                          hidden=(), solver="lbfgs", alpha="evidence")
                        rows = S._row_nll(model, held, "count")
                        est = model.estimator
                        rec = dict(alpha=float(est.alpha), nll=float(rows.mean()),
                                   rows=rows.tolist(),
                                   evidence={f"{np.log10(a):.1f}": v
                                             for a, v in est.evidence_.items()})
                    except Exception as exc:  # recorded, the run goes on
                        rec = dict(error=str(exc)[:200])
                    rec.update(table=table.name, seed=seed, family=family,
                               s=time.perf_counter() - started)
                    fh.write(json.dumps(rec) + "\n")
                    fh.flush()
                    print(table.name, seed, family, rec.get("alpha"), rec.get("nll"),
                          rec.get("error", ""), flush=True)


def _load(path: str) -> dict:
    out = {}
    with open(path) as fh:
        for line in fh:
            r = json.loads(line)
            out[(r["table"], r["seed"], r["family"])] = r
    return out


def compare(paths: list[str]) -> None:
    """Per pair of runs: the GLMs whose alpha changed and their held-out NLL's paired
    differences; and how often a ZINB / hurdle-NB GLM's alpha is the NB GLM's."""
    runs = {p: _load(p) for p in paths}
    keys = sorted(set.intersection(*(set(r) for r in runs.values())))
    keys = [k for k in keys if all("rows" in r[k] for r in runs.values())]
    print(f"{len(keys)} GLM fits, {len({k[0] for k in keys})} tables")
    for a, b in zip(paths, paths[1:]):
        A, B = runs[a], runs[b]
        changed = [k for k in keys if A[k]["alpha"] != B[k]["alpha"]]
        diffs, ses = [], []
        for k in changed:
            x = np.asarray(B[k]["rows"]) - np.asarray(A[k]["rows"])
            diffs.append(x.mean())
            ses.append(x.std(ddof=1) / np.sqrt(x.size))
        d, se = np.asarray(diffs), np.asarray(ses)
        larger = sum(B[k]["alpha"] > A[k]["alpha"] for k in changed)
        print(f"{b} - {a}: alpha changed in {len(changed)}/{len(keys)} (larger in {larger}); "
              f"their held-out NLL differences: mean {d.mean():+.4f}, median "
              f"{np.median(d):+.4f}; better by > 2 SE {int(np.sum(d < -2 * se))}, worse by "
              f"> 2 SE {int(np.sum(d > 2 * se))}")
    for p, r in runs.items():
        same = total = 0
        for k in keys:
            nb = r.get((k[0], k[1], "negative-binomial"))
            if k[2] in FAMILIES[2::2] and nb and "alpha" in nb:
                total += 1
                same += r[k]["alpha"] == nb["alpha"]
        print(f"{p}: ZINB / hurdle-NB GLM's alpha == the NB GLM's in {same}/{total}")


if __name__ == "__main__":
    if sys.argv[1] == "--compare":
        compare(sys.argv[2].split(","))
    else:
        run(sys.argv[1].split(","), [int(s) for s in sys.argv[2].split(",")], sys.argv[3])
