"""Per-row held-out NLL of the mixture-normal and mixture-studentt GLMs (the selection's refit:
``TabularModel.fit`` with the GLM capacity's parameters) on h7-speedgenderheight-height,
the CLI's split of each seed given; each fit's components on two rows, the paired
difference and the rows that weigh most in it.

Usage: ``python -m bench.studies.mixt_sgh_rows 0 1 2``
"""
import sys, tempfile, numpy as np
from pathlib import Path
from bench._tables import all_tables, write_csv
from bench.selection import _cli_defaults, _row_nll, _split_rows
from probnn.tables.sources import read_table
from probnn.tables.model import TabularModel
from probnn.selection import _capacity_params, EVIDENCE_BELOW
t = next(t for t in all_tables() if t.name == "h7-speedgenderheight-height")
f, _ = t.load()
with tempfile.TemporaryDirectory() as tmp:
    f = read_table(write_csv(f, Path(tmp), t.name))
d = _cli_defaults(True); d.pop("levels"); imp = d.pop("impute")
for seed in [int(s) for s in sys.argv[1:]]:
    tr, te = _split_rows(f.shape[0], seed)
    train, held = f.iloc[tr], f.iloc[te]
    r = {}
    for fam in ("mixture-normal", "mixture-studentt"):
        p = _capacity_params("glm", d, train.shape[0] < EVIDENCE_BELOW)
        m = TabularModel.fit(train, "height", family=fam, seed=seed, impute=imp, **p)
        r[fam] = _row_nll(m, held, "positive")
        dist = m.predict_dist(held.iloc[:2])
        print(fam, "params", getattr(dist, "components", None) and [(c.loc[:2], c.scale[:2]) for c in dist.components], np.exp(np.asarray(dist.logits))[:, :2] if hasattr(dist, "logits") else "")
    dd = r["mixture-studentt"] - r["mixture-normal"]
    print(f"seed {seed}: t - n {dd.mean():+.4f} +- {dd.std(ddof=1)/np.sqrt(dd.size):.4f}; median {np.median(dd):+.4f}")
    o = np.argsort(-np.abs(dd))[:8]
    y = held["height"].to_numpy(); g = held["gender"].to_numpy()
    for i in o: print(f"  y={y[i]} {g[i]} n={r['mixture-normal'][i]:.3f} t={r['mixture-studentt'][i]:.3f}")
    print("  without top 5 rows:", np.sort(dd)[5:-5].mean() if dd.size > 10 else None)
