"""Seed 0's held-out NLL (141 rows) of h6-equationcitations-cites' constants and the hurdle negative
binomial network ensemble, fitted as select_model refits them, paired against the mixture constant."""
import tempfile, warnings, time
from pathlib import Path
import numpy as np
warnings.simplefilter("ignore")
from bench._tables import all_tables, write_csv
from bench import selection as B
from probnn.tables.sources import read_table
from probnn.tables.model import TabularModel
from probnn.compare import _row_nll, paired_difference
from probnn.selection import _capacity_params
name = "h6-equationcitations-cites"
table = next(t for t in all_tables() if t.name == name)
frame, _ = table.load()
with tempfile.TemporaryDirectory() as tmp:
    frame = read_table(write_csv(frame, Path(tmp), table.name))
tr, te = B._split_rows(frame.shape[0], 0)
train, held = frame.iloc[tr], frame.iloc[te]
defaults = B._cli_defaults(table.impute); params = dict(defaults); params.pop("impute"); params.pop("levels")
rows = {}
for fam in ("mixture-normal", "hurdle-negative-binomial", "negative-binomial"):
    m = TabularModel.fit(train, "cites", family=fam, seed=0, impute=False, levels=None, **_capacity_params("constant", params))
    rows[fam + " constant"] = _row_nll(m, held, "count")
t0 = time.time()
m = TabularModel.fit(train, "cites", family="hurdle-negative-binomial", seed=0, impute=False, levels=None, ensemble=5, **_capacity_params("network", params))
rows["hurdle-negative-binomial network (ensemble 5, no dispersion widening)"] = _row_nll(m, held, "count")
print("network took", time.time() - t0)
ref = rows["mixture-normal constant"]
for k, r in rows.items():
    g, s = paired_difference(r, ref)
    print(f"{k:75s} held-out {r.mean():.4f}  minus mixture constant {g:+.4f} +- {s:.4f}  (n={r.size})")
