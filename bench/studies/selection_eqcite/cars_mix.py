"""h6-cars-dist seed 0: the mixture-normal constant (TabularModel.fit(constant=True), as select_model
fits it) on each CV fold, its raw outputs and held-out NLL, next to the family's constant_raw. ``--floor``: with min_scale = 1/sqrt(2 pi), the resolution
floor for integers (h = 1)."""
import pickle, sys, tempfile, warnings
from pathlib import Path
import numpy as np
from bench._tables import all_tables, write_csv
from bench import selection as B
from probnn.tables.sources import read_table
from probnn.tables.model import TabularModel
from probnn.compare import _row_nll
from probnn.families import FAMILIES
name = "h6-cars-dist"
table = next(t for t in all_tables() if t.name == name)
frame, _ = table.load()
with tempfile.TemporaryDirectory() as tmp:
    frame = read_table(write_csv(frame, Path(tmp), table.name))
tr, te = B._split_rows(frame.shape[0], 0)
train = frame.iloc[tr]
floor = {"family_params": {"min_scale": 1 / np.sqrt(2 * np.pi)}} if "--floor" in sys.argv else {}
P = pickle.load(open(f"/tmp/eqcite/{name}.pkl", "rb"))
y = train["dist"].to_numpy(float)
print("train y sorted", np.sort(y))
for i, (a, b) in enumerate(P["folds"]):
    fa, fb = train.iloc[a], train.iloc[b]
    m = TabularModel.fit(fa, "dist", family="mixture-normal", seed=0, hidden=(), solver="lbfgs", constant=True, progress=False, **floor)
    fam = m.estimator.family_ if hasattr(m.estimator, "family_") else None
    raw = np.asarray(m.estimator.intercepts_[-1])
    k = 3
    w = np.exp(raw[:k] - np.logaddexp.reduce(raw[:k])); mu = raw[k:2*k]; s = np.logaddexp(0, raw[2*k:])
    # closed-form constant_raw (EM + bounded polish) on the same rows
    cr = FAMILIES["mixture-normal"]().constant_raw(fa["dist"].to_numpy(float)) if hasattr(FAMILIES["mixture-normal"], "constant_raw") else None
    print(f"fold {i}: raw {np.round(raw,3)}\n   w {np.round(w,3)} mu {np.round(mu,2)} sd {s}")
    if cr is not None:
        print("   constant_raw:", np.round(cr, 3))
    try:
        r = _row_nll(m, fb, "count"); print("   held-out mean NLL", r.mean(), "max", r.max(), "y at max", fb['dist'].to_numpy()[np.argmax(r)])
    except Exception as e:
        print("   score error:", e)
