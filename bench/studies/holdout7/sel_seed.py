"""select_model rerun on one seed's training rows of a bench table (bench/studies/selection_eqcite/sel.py with the
seed as second argument): python bench/studies/holdout7/sel_seed.py TABLE SEED; then
bench/studies/selection_eqcite/analyse.py /tmp/h7/diag/TABLE-SEED.pkl."""
import pickle, tempfile, time, sys
from pathlib import Path
import numpy as np
from bench._tables import all_tables, write_csv
from bench import selection as B
from probnn.tables.sources import read_table
from probnn.tables.targets import target_kinds
name = sys.argv[1]; seed = int(sys.argv[2])
table = next(t for t in all_tables() if t.name == name)
frame, why = table.load()
with tempfile.TemporaryDirectory() as tmp:
    frame = read_table(write_csv(frame, Path(tmp), table.name))
kinds, why = target_kinds(frame[table.target])
defaults = B._cli_defaults(table.impute)
tr, te = B._split_rows(frame.shape[0], seed)
train, held = frame.iloc[tr], frame.iloc[te]
from probnn.selection import select_model
params = dict(defaults); impute, levels = params.pop("impute"), params.pop("levels")
t0 = time.perf_counter()
sel = select_model(train.drop(columns=[table.target]), train[table.target], seed=seed, impute=impute,
                   levels=levels, point_mass="censor", kinds=(kinds, why), **params)
print("took", time.perf_counter() - t0, flush=True)
import pandas as pd
pd.set_option("display.width", 250); pd.set_option("display.max_columns", 20); pd.set_option("display.max_colwidth", 90)
print(sel.table.to_string()); print(sel.line); print(sel.notes, sel.censoring, sel.point_mass)
out = {"table": sel.table, "nll_rows": sel.nll_rows, "folds": sel.folds, "line": sel.line,
       "notes": sel.notes, "family": sel.family, "capacity": sel.capacity}
pickle.dump(out, open(f"/tmp/h7/diag/{name}-{seed}.pkl", "wb"))
