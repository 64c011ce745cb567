"""(P2), (P3) of ``onese_order.md``: per table-seed, the selection as ``bench.selection._select``
runs it (the same CSV round trip, the bench's split, the CLI's defaults, the whole column's
kinds) with this checkout's rule; main f784ee1's choice from the same folds' rows
(``onese_order_recount.old_choice``); where they differ the old choice refitted on the training
rows as ``select_model`` refits a choice (``onese_monotone.refit``); both, and a reference
candidate (``--ref FAMILY:CAPACITY``, refitted the same way), scored on the held-out rows
(``bench.selection._row_nll``). Appends one JSON line per table-seed; the rows pickled under
``/tmp/onese3/rows``.

``python -m bench.studies.onese_order_heldout OUT.jsonl TABLE SEED [SEED ...] [--ref F:C]``
"""
import json
import math
import pickle
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROWS = Path("/tmp/onese3/rows")


def _paired(a, b):
    d = a - b
    return float(d.mean()), float(np.std(d, ddof=1) / math.sqrt(d.size))


def run_one(table, frame, seed, ref):
    import probnn.selection as S
    from bench import selection as B
    from bench.studies.onese_monotone import refit
    from bench.studies.onese_order_recount import old_choice
    from probnn.tables.targets import target_kinds

    kinds, why = target_kinds(frame[table.target])
    defaults = B._cli_defaults(table.impute)
    tr, te = B._split_rows(frame.shape[0], seed)
    train, held = frame.iloc[tr], frame.iloc[te]
    seen, original = {}, S.one_standard_error_choice

    def recording(nll_rows, outputs=None, covering=()):
        seen.update(rows=dict(nll_rows), outputs=dict(outputs or {}), covering=list(covering))
        return original(nll_rows, outputs, covering)

    S.one_standard_error_choice = recording
    t0 = time.process_time()
    try:
        params = dict(defaults)
        impute, levels = params.pop("impute"), params.pop("levels")
        sel = S.select_model(train.drop(columns=[table.target]), train[table.target], seed=seed,
                             impute=impute, levels=levels, point_mass="censor",
                             kinds=(kinds, why), **params)  # fmt: skip
    finally:
        S.one_standard_error_choice = original
    rows, outputs, covering = seen["rows"], seen["outputs"], seen["covering"]
    ROWS.mkdir(parents=True, exist_ok=True)
    (ROWS / f"{table.name}_s{seed}.pkl").write_bytes(pickle.dumps(
        {"rows": rows, "outputs": outputs, "covering": covering}))
    new, old = (sel.family, sel.capacity), old_choice(rows, outputs, covering)
    mean = {c: float(np.mean(r)) for c, r in rows.items()}
    kind = kinds[0]
    r_new = B._row_nll(sel.model, held, kind)
    rec = {"table": table.name, "seed": seed, "cpu_select_s": round(time.process_time() - t0, 1),
           "old": " ".join(old), "new": " ".join(new), "changed": old != new,
           "cv_old": mean[old], "cv_new": mean[new], "held_new": float(r_new.mean()),
           "n_test": int(r_new.size), "line": sel.line}
    if old != new:
        r_old = B._row_nll(refit(train, table.target, old, seed, defaults, sel.censoring),
                           held, kind)  # fmt: skip
        rec["held_old"] = float(r_old.mean())
        rec["new_minus_old"] = _paired(r_new, r_old)
    if ref is not None:
        r_ref = B._row_nll(refit(train, table.target, ref, seed, defaults, sel.censoring),
                           held, kind)  # fmt: skip
        rec["ref"] = " ".join(ref)
        rec["held_ref"] = float(r_ref.mean())
        rec["new_minus_ref"] = _paired(r_new, r_ref)
        if old != new:
            rec["old_minus_ref"] = _paired(r_old, r_ref)
    return rec


def main(argv):
    from bench._tables import all_tables, write_csv
    from probnn.tables.sources import read_table

    warnings.simplefilter("ignore")
    ref = None
    if "--ref" in argv:
        i = argv.index("--ref")
        ref = tuple(argv[i + 1].split(":"))
        argv = argv[:i] + argv[i + 2:]
    out, name, seeds = Path(argv[0]), argv[1], [int(s) for s in argv[2:]]
    table = next(t for t in all_tables() if t.name == name)
    frame, why = table.load()
    with tempfile.TemporaryDirectory() as tmp:
        frame = read_table(write_csv(frame, Path(tmp), table.name))
    for seed in seeds:
        rec = run_one(table, frame, seed, ref)
        with open(out, "a") as f:
            f.write(json.dumps(rec) + "\n")
        print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
