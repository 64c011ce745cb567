"""Would a monotone "within noise" set change scenario 9's choices, and for better or worse?

The one-standard-error rule of ``probnn.selection.one_standard_error_choice`` (main a4f8095)
keeps as "within noise" each candidate not clearly behind the best nor any candidate of lower
mean NLL. That set is not monotone in the mean: a noisy candidate can be in while a steadier
one with a lower mean is out (h6-equationcitations-cites seed 0,
``bench/results/selection_s39_eqcite.md``). The rule measured here (``new_rule``) keeps only
the candidates of mean NLL below every excluded candidate's (the near set is a prefix of the
candidates ranked by mean).

Per table and seed: the selection exactly as ``bench.selection._select`` runs it (same CSV round
trip, split, CLI defaults, whole column's kinds), with ``one_standard_error_choice`` wrapped to
record its arguments (the folds' per-row NLLs, the raw outputs, the covering families) and to
return main's choice. Both rules' choices come from those same rows. Only where they differ is
the new choice fitted on the training rows as ``select_model`` refits a choice, and both are
scored on the held-out rows (``bench.selection._row_nll``, the bench's scoring); the paired
difference new - old and its SE over the held-out rows are recorded.

``python bench/studies/onese_monotone.py OUT.jsonl SEED TABLE [TABLE ...]`` (appends a line per
table-seed). ``python bench/studies/onese_monotone.py --summary OUT.jsonl [...]`` prints the
summary table.
"""
from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# where each table-seed's folds' rows are pickled (None: not kept); ONESE_ROWS overrides
ROWS_DIR = Path(__import__("os").environ.get("ONESE_ROWS", "/tmp/onese/rows"))
# which change is refitted and scored on the held-out rows: "prefix" (s40, the default) or
# "dominance" (s41's fresh check of the rule s40 adopted; ONESE_REFIT=dominance)
REFIT = __import__("os").environ.get("ONESE_REFIT", "prefix")


def near_old(nll_rows, mean):
    """main's near set: not clearly behind the best, nor any candidate of lower mean."""
    from probnn.compare import paired_standard_errors
    from probnn.selection import _clearly_behind

    best, _ = paired_standard_errors(nll_rows)
    return [c for c in nll_rows if not _clearly_behind(nll_rows[c], nll_rows[best])
            and not any(_clearly_behind(nll_rows[c], nll_rows[d]) for d in nll_rows
                        if mean[d] < mean[c])]  # fmt: skip


def near_new(nll_rows, mean):
    """The monotone set: main's near candidates whose mean is below every excluded one's."""
    kept = near_old(nll_rows, mean)
    cut = min((mean[c] for c in nll_rows if c not in kept), default=math.inf)
    return [c for c in kept if mean[c] < cut]


def near_dominated(nll_rows, mean, outputs, covering):
    """The alternative: main's near set less each candidate dominated by one left out (a
    lower mean and at least as simple by the rule's own order: covering, capacity, outputs).
    Walked in the order of the mean, so a candidate left out for being dominated dominates
    in turn."""
    from probnn.selection import CAPACITIES

    kept = set(near_old(nll_rows, mean))
    simple = {c: (c[0] not in covering, CAPACITIES.index(c[1]), outputs.get(c, 0))
              for c in nll_rows}
    out = []
    for c in sorted(nll_rows, key=mean.get):
        if c not in kept or any(mean[d] < mean[c] and simple[d] <= simple[c] for d in out):
            out.append(c)
    return [c for c in nll_rows if c not in out]


def choose(nll_rows, outputs, covering, near):
    from probnn.selection import CAPACITIES

    mean = {c: float(np.mean(r)) for c, r in nll_rows.items()}
    outputs = outputs or {}
    return min(near(nll_rows, mean), key=lambda c: (c[0] not in covering,
                                                    CAPACITIES.index(c[1]),
                                                    outputs.get(c, 0), mean[c]))  # fmt: skip


def refit(train, target, chosen, seed, defaults, censoring):
    """``select_model``'s refit of a choice on all its rows (K folds)."""
    from probnn.families import FAMILIES
    from probnn.selection import ENSEMBLE_REFIT, EVIDENCE_BELOW, _capacity_params
    from probnn.tables.model import TabularModel

    params = dict(defaults)
    impute, levels = params.pop("impute"), params.pop("levels")
    evidence = train.shape[0] < EVIDENCE_BELOW and censoring is None
    extra = {}
    if chosen[1] == "network" and not FAMILIES[chosen[0]].is_classifier:
        members = ENSEMBLE_REFIT if censoring is None else 1
        if members > 1:
            extra.update(ensemble=members, n_jobs=1)
    return TabularModel.fit(train, target, family=chosen[0], seed=seed, impute=impute,
                            levels=levels, censoring=censoring,
                            **_capacity_params(chosen[1], params, evidence), **extra)  # fmt: skip


def run_one(table, frame, seed: int) -> dict:
    import probnn.selection as S
    from bench import selection as B
    from probnn.tables.targets import target_kinds

    kinds, why = target_kinds(frame[table.target])
    defaults = B._cli_defaults(table.impute)
    tr, te = B._split_rows(frame.shape[0], seed)
    train, held = frame.iloc[tr], frame.iloc[te]
    seen = {}
    original = S.one_standard_error_choice

    def recording(nll_rows, outputs=None, covering=()):
        # main's choice whatever this checkout's rule is (the refit and held-out model)
        seen.update(rows=dict(nll_rows), outputs=dict(outputs or {}), covering=list(covering))
        current, best, se = original(nll_rows, outputs, covering)
        seen["checkout"] = current  # this checkout's rule's choice (s41: dominance's)
        return choose(nll_rows, outputs, covering, near_old), best, se

    S.one_standard_error_choice = recording
    t0 = time.perf_counter()
    try:
        params = dict(defaults)
        impute, levels = params.pop("impute"), params.pop("levels")
        sel = S.select_model(train.drop(columns=[table.target]), train[table.target], seed=seed,
                             impute=impute, levels=levels, point_mass="censor",
                             kinds=(kinds, why), **params)  # fmt: skip
    finally:
        S.one_standard_error_choice = original
    rec = {"table": table.name, "seed": seed, "rows": int(frame.shape[0]),
           "select_s": round(time.perf_counter() - t0, 1), "folds": len(sel.folds)}
    if "rows" not in seen:  # (no candidate scored on every fold: no rule applied)
        rec["note"] = "unscored: the rule was not applied"
        return rec
    rows, outputs, covering = seen["rows"], seen["outputs"], seen["covering"]
    old = choose(rows, outputs, covering, near_old)
    new = choose(rows, outputs, covering, near_new)
    dom = choose(rows, outputs, covering,
                 lambda r, m: near_dominated(r, m, outputs, covering))  # fmt: skip
    assert old == (sel.family, sel.capacity), (old, sel.family, sel.capacity)
    mean = {c: float(np.mean(r)) for c, r in rows.items()}
    if ROWS_DIR is not None:  # the folds' rows, to weigh other rules offline
        import pickle

        ROWS_DIR.mkdir(parents=True, exist_ok=True)
        with open(ROWS_DIR / f"{table.name}_s{seed}.pkl", "wb") as f:
            pickle.dump({"rows": rows, "outputs": outputs, "covering": covering}, f)
    kept = near_old(rows, mean)
    out = [c for c in rows if c not in kept]
    if out:  # the candidate of lowest mean left out: where the new rule cuts
        from probnn.compare import paired_difference, paired_standard_errors

        cut = min(out, key=mean.get)
        gap, se = paired_difference(rows[cut], rows[paired_standard_errors(rows)[0]])
        rec["cut"] = {"candidate": " ".join(cut), "gap": gap, "se": se}
    rec.update(candidates=len(rows), old=" ".join(old), new=" ".join(new),
               near_old=[" ".join(c) for c in near_old(rows, mean)],
               near_new=[" ".join(c) for c in near_new(rows, mean)],
               cv_old=mean[old], cv_new=mean[new], changed=old != new, dominated=" ".join(dom))
    rec["checkout"] = " ".join(seen["checkout"])  # (s41: the checkout's rule is dominance)
    if dom not in (old, new):  # (not seen: the alternative differs only where the prefix does)
        rec["note"] = "the dominance rule's choice differs from both"
    if REFIT == "dominance":  # s41: only dominance's change is refitted and scored
        rec["dom_changed"] = dom != old
        if dom != old:
            kind = kinds[0]
            model_dom = refit(train, table.target, dom, seed, defaults, sel.censoring)
            r_old = B._row_nll(sel.model, held, kind)
            r_dom = B._row_nll(model_dom, held, kind)
            d = r_dom - r_old
            rec.update(n_test=int(d.size), held_old=float(r_old.mean()),
                       held_dom=float(r_dom.mean()), diff_dom=float(d.mean()),
                       diff_dom_se=float(np.std(d, ddof=1) / math.sqrt(d.size))
                       if d.size > 1 else None)  # fmt: skip
    elif old != new:
        kind = kinds[0]
        model_new = refit(train, table.target, new, seed, defaults, sel.censoring)
        r_old = B._row_nll(sel.model, held, kind)
        r_new = B._row_nll(model_new, held, kind)
        d = r_new - r_old
        rec.update(n_test=int(d.size), held_old=float(r_old.mean()), held_new=float(r_new.mean()),
                   diff=float(d.mean()),
                   diff_se=float(np.std(d, ddof=1) / math.sqrt(d.size)) if d.size > 1 else None)
    return rec


def main(argv):
    from bench._tables import all_tables, write_csv
    from probnn.tables.sources import read_table

    out, seed, names = Path(argv[0]), int(argv[1]), argv[2:]
    tables = {t.name: t for t in all_tables()}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            table = tables[name]
            frame, why = table.load()
            if frame is None:
                rec = {"table": name, "seed": seed, "skipped": why}
            else:
                frame = read_table(write_csv(frame, Path(tmp), table.name))
                try:
                    rec = run_one(table, frame, seed)
                except Exception as exc:  # recorded, the run goes on
                    rec = {"table": name, "seed": seed, "error": f"{type(exc).__name__}: {exc}"[:300]}
            with open(out, "a") as f:
                f.write(json.dumps(rec) + "\n")
            print(json.dumps({k: v for k, v in rec.items() if not k.startswith("near")}), flush=True)


def summary(paths):
    recs = {}
    for r in (json.loads(line) for p in paths for line in open(p) if line.strip()):
        if "old" in r or (r["table"], r["seed"]) not in recs:  # a scored record wins
            recs[(r["table"], r["seed"])] = r
    recs = list(recs.values())
    done = [r for r in recs if "old" in r]
    changed = [r for r in done if r["changed"]]
    smaller = [r for r in done if set(r["near_new"]) != set(r["near_old"])]
    print(f"{len(recs)} table-seeds run, {len(done)} scored, {len(changed)} choices changed; "
          f"near set smaller on {len(smaller)}: "
          + "; ".join(f"{r['table']} s{r['seed']} drops {sorted(set(r['near_old']) - set(r['near_new']))}"
                      for r in smaller))
    for r in changed:
        print(f"{r['table']} s{r['seed']}: {r['old']} -> {r['new']}: held out "
              f"{r.get('diff', math.nan):+.4f} +- {r.get('diff_se') or math.nan:.4f} (n {r.get('n_test')})")
    if changed:
        d = np.array([r["diff"] for r in changed])
        print(f"mean over changed table-seeds {d.mean():+.4f}; worst {d.max():+.4f}")
    dom = [r for r in done if r.get("dom_changed")]  # s41's runs (ONESE_REFIT=dominance)
    if any("dom_changed" in r for r in done):
        print(f"dominance: {len(dom)} choices changed of "
              f"{sum('dom_changed' in r for r in done)} scored; the checkout's rule differs "
              f"from the script's dominance on "
              f"{sum(r.get('checkout', r['dominated']) != r['dominated'] for r in done)}")
        for r in dom:
            z = r["diff_dom"] / r["diff_dom_se"] if r.get("diff_dom_se") else math.nan
            print(f"{r['table']} s{r['seed']}: {r['old']} -> {r['dominated']}: held out "
                  f"{r['diff_dom']:+.4f} +- {r.get('diff_dom_se') or math.nan:.4f} "
                  f"({z:+.1f} SE, n {r['n_test']})")
        if dom:
            d = np.array([r["diff_dom"] for r in dom])
            print(f"dominance: mean over changed table-seeds {d.mean():+.4f}; worst {d.max():+.4f}")
    for r in recs:
        if "old" not in r:
            print("not scored:", r)


if __name__ == "__main__":
    if sys.argv[1] == "--summary":
        summary(sys.argv[2:])
    else:
        main(sys.argv[1:])
