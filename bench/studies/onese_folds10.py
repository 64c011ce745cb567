"""(b) of wt-onese3's brief: 10 folds instead of 5 below ``LARGE_TABLE``, measured, not adopted.
Per table-seed, the selection as ``bench.selection._select`` runs it (the bench's split and the
CLI's defaults, the whole column's kinds) twice: ``selection.N_SPLITS`` = 5 (as now) and 10 (the
"auto" folds, stratified for class labels as now); each choice's model (the selection's refit)
scored on the held-out rows (``bench.selection._row_nll``), the paired difference 10 - 5 and its
SE, and each selection's CPU seconds (``time.process_time``, one thread). The 5-fold run also
records main f784ee1's rule's choice from the same rows (``onese_order_recount.old_choice``):
where it differs from this checkout's, that is a change of (a) outside the 74 saved table-seeds.

``python -m bench.studies.onese_folds10 OUT.jsonl TABLE SEED [SEED ...]``
"""
import json
import math
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np


def _select(S, B, table, train, kinds, why, seed, k, seen):
    original, folds = S.one_standard_error_choice, S.N_SPLITS

    def recording(nll_rows, outputs=None, covering=()):
        seen.update(rows=dict(nll_rows), outputs=dict(outputs or {}), covering=list(covering))
        return original(nll_rows, outputs, covering)

    S.one_standard_error_choice, S.N_SPLITS = recording, k
    t0 = time.process_time()
    try:
        params = dict(B._cli_defaults(table.impute))
        impute, levels = params.pop("impute"), params.pop("levels")
        sel = S.select_model(train.drop(columns=[table.target]), train[table.target], seed=seed,
                             impute=impute, levels=levels, point_mass="censor",
                             kinds=(kinds, why), **params)  # fmt: skip
    finally:
        S.one_standard_error_choice, S.N_SPLITS = original, folds
    return sel, time.process_time() - t0


def run_one(table, frame, seed):
    import probnn.selection as S
    from bench import selection as B
    from bench.studies.onese_order_recount import old_choice
    from probnn.tables.targets import target_kinds

    kinds, why = target_kinds(frame[table.target])
    tr, te = B._split_rows(frame.shape[0], seed)
    train, held = frame.iloc[tr], frame.iloc[te]
    rec = {"table": table.name, "seed": seed, "rows": int(frame.shape[0])}
    rows = {}
    for k in (5, 10):
        seen = {}
        sel, cpu = _select(S, B, table, train, kinds, why, seed, k, seen)
        rows[k] = B._row_nll(sel.model, held, kinds[0])
        rec[f"k{k}"] = {"folds": len(sel.folds), "choice": f"{sel.family} {sel.capacity}",
                        "cpu_s": round(cpu, 1), "held": float(rows[k].mean())}
        if k == 5 and "rows" in seen:
            old = old_choice(seen["rows"], seen["outputs"], seen["covering"])
            rec["rule_old_at_5"] = " ".join(old)
    d = rows[10] - rows[5]
    rec["ten_minus_five"] = [float(d.mean()), float(np.std(d, ddof=1) / math.sqrt(d.size))]
    return rec


def main(argv):
    from bench._tables import all_tables, write_csv
    from probnn.tables.sources import read_table

    warnings.simplefilter("ignore")
    out, name, seeds = Path(argv[0]), argv[1], [int(s) for s in argv[2:]]
    table = next(t for t in all_tables() if t.name == name)
    frame, why = table.load()
    with tempfile.TemporaryDirectory() as tmp:
        frame = read_table(write_csv(frame, Path(tmp), table.name))
    for seed in seeds:
        try:
            rec = run_one(table, frame, seed)
        except Exception as exc:  # recorded, the run goes on
            rec = {"table": name, "seed": seed, "error": f"{type(exc).__name__}: {exc}"[:300]}
        with open(out, "a") as f:
            f.write(json.dumps(rec) + "\n")
        print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
