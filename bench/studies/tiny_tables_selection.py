"""Run: ``OMP_NUM_THREADS=1 python -m bench.studies.tiny_tables_selection PART PARTS [TABLES [SEEDS]]``.

--family auto on the study's tiny tables: the current selection (no network below 40 fold
rows) against the same with the network candidate allowed (probnn.selection's
_unchecked_networks patched to None). Held-out NLL of the chosen model on the study's rows."""
import json
import sys
import time
import warnings

import pandas as pd

import probnn.selection as S
from bench.studies import tiny_tables as t
def main() -> None:
    warnings.simplefilter("ignore")
    part, parts = int(sys.argv[1]), int(sys.argv[2])
    want = sys.argv[3].split(",") if len(sys.argv) > 3 else None
    seeds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    orig = S._unchecked_networks
    cs = [c for c in t.cases() if c[2] < seeds and (want is None or c[1] in want)]
    for i, c in enumerate(cs):
        if i % parts != part:
            continue
        Xtr, ytr, Xte, yte, _ = t._split(c, standardise=False)
        cols = [f"x{i}" for i in range(Xtr.shape[1])]
        X, te = pd.DataFrame(Xtr, columns=cols), pd.DataFrame(Xte, columns=cols).assign(y=yte)
        row = {"group": c[0], "table": c[1], "seed": c[2], "n_train": len(ytr)}
        for arm, patch in (("sel", orig), ("sel_net", lambda *a, **k: None)):
            S._unchecked_networks = patch
            t0 = time.process_time()
            try:
                sel = S.select_model(X, pd.Series(ytr, name="y"), seed=c[2])
                row[arm] = float(sel.model.evaluate(te)["nll_nats"])
                row[arm + "_line"] = sel.line
            except Exception as e:
                row[arm] = None; row[arm + "_line"] = repr(e)[:200]
            row[arm + "_s"] = round(time.process_time() - t0, 1)
        S._unchecked_networks = orig
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
