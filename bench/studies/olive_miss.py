"""Why auto loses to the mixture-normal GLM on h7-olive-eicosenoic: the selection's
candidate table on the bench's training rows (the call ``bench.selection._select`` makes),
and every constant and GLM candidate refitted on those training rows as the selection
refits its choice, scored on the bench's held-out rows (CV rank against held-out rank).

``python -m bench.studies.olive_miss OUT.json SEED ...``
"""
import json
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from bench import selection as B
from bench._tables import all_tables, write_csv
from probnn._selection_scores import _capacity_params
from probnn.selection import select_model
from probnn.tables.model import TabularModel
from probnn.tables.sources import read_table
from probnn.tables.targets import target_kinds

warnings.simplefilter("ignore")
out, seeds = Path(sys.argv[1]), [int(s) for s in sys.argv[2:]]
table = next(t for t in all_tables() if t.name == "h7-olive-eicosenoic")
frame, _ = table.load()
with tempfile.TemporaryDirectory() as tmp:
    frame = read_table(write_csv(frame, Path(tmp), table.name))
target = table.target
kinds = target_kinds(frame[target])
defaults = B._cli_defaults(table.impute)
params = dict(defaults)
impute, levels = params.pop("impute"), params.pop("levels")
res = []
for seed in seeds:
    train_idx, test_idx = B._split_rows(frame.shape[0], seed)
    train, held = frame.iloc[train_idx], frame.iloc[test_idx]
    sel = select_model(train.drop(columns=[target]), train[target], seed=seed, impute=impute,
                       levels=levels, point_mass="censor", kinds=kinds, **params)
    tab = sel.table[["family", "capacity", "nll_nats", "minus_best", "se", "status"]]
    print(f"seed {seed}: {sel.line}", flush=True)
    print(tab.to_string(), flush=True)
    auto_rows = B._row_nll(sel.model, held, kinds[0][0])
    rec = {"seed": seed, "line": sel.line, "chosen": [sel.family, sel.capacity],
           "table": json.loads(tab.to_json(orient="records")),
           "held_auto": float(auto_rows.mean()), "held": {}, "cv_vs_chosen": {}}
    chosen = (sel.family, sel.capacity)
    for (fam, cap), rows in sel.nll_rows.items():
        gap, se = B.paired_difference(rows, sel.nll_rows[chosen]) if hasattr(
            B, "paired_difference") else (None, None)
        if gap is None:
            from probnn.compare import paired_difference
            gap, se = paired_difference(rows, sel.nll_rows[chosen])
        rec["cv_vs_chosen"][f"{fam} {cap}"] = [float(gap), float(se)]
        if cap == "network":
            continue
        model = TabularModel.fit(train, target, family=fam, seed=seed, impute=impute,
                                 levels=levels, **_capacity_params(cap, params, True))
        r = B._row_nll(model, held, kinds[0][0])
        from probnn.compare import paired_difference
        d, dse = paired_difference(auto_rows, r)
        rec["held"][f"{fam} {cap}"] = [float(r.mean()), float(d), float(dse)]
    print("held-out (refitted on the training rows): mean NLL, auto - it +- SE", flush=True)
    for k, v in sorted(rec["held"].items(), key=lambda kv: kv[1][0]):
        cv = rec["cv_vs_chosen"][k]
        print(f"  {k:32s} held {v[0]:+.4f}  auto-it {v[1]:+.4f} +- {v[2]:.4f}"
              f"   CV it-chosen {cv[0]:+.4f} +- {cv[1]:.4f}", flush=True)
    print(f"  auto ({sel.family} {sel.capacity}) held {rec['held_auto']:+.4f}", flush=True)
    res.append(rec)
    out.write_text(json.dumps(res, indent=1))
