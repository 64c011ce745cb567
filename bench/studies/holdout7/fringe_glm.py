"""h7-fringe-peratio seed 0: the right family's (normal censored at 0) GLM as the bench fits it;
which held-out rows give its 456,308-nat mean."""
import tempfile, sys, numpy as np, pandas as pd
from pathlib import Path
from bench._tables import all_tables, write_csv
from bench import selection as B
from probnn.tables.sources import read_table
seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
table = next(t for t in all_tables() if t.name == "h7-fringe-peratio")
frame, _ = table.load()
with tempfile.TemporaryDirectory() as tmp:
    frame = read_table(write_csv(frame, Path(tmp), table.name))
defaults = B._cli_defaults(table.impute)
tr, te = B._split_rows(frame.shape[0], seed)
train, held = frame.iloc[tr], frame.iloc[te]
censoring, measure = B._measure(train, table.target, "censor")
glm, took = B._fit(train, table.target, "normal", seed, defaults, hidden=(), solver="lbfgs", censoring=censoring)
r = B._row_nll(glm, held, "real")
print(measure, "GLM mean", r.mean(), "median", np.median(r), "took", took)
o = np.argsort(-r)[:5]
print("worst rows NLL", r[o])
d = glm.predict_dist(held)
print("loc", np.asarray(d.loc)[o] if hasattr(d, "loc") else None, "scale", np.asarray(getattr(d, "scale", np.nan))[o])
print(held.iloc[o][["peratio", "annearn", "annhrs", "exper", "tenure", "vserat"]])
print("train ranges\n", train[["annearn", "annhrs", "vserat", "lannhrs"]].describe().loc[["min", "max"]])
print("without the worst row:", np.delete(r, o[:1]).mean(), "without 2:", np.delete(r, o[:2]).mean())
