"""The selection's constants and GLMs on h7-olive-eicosenoic's bench training rows with K
folds (``cv=K``, networks off: the GLMs' scores do not depend on them), the candidate table and
the paired CV difference of each GLM to the mixture-normal GLM: its mean, SE, the mean without
the two rows of largest value (the column's 0.56 and 0.58 where in the training rows) and the
median.

``python -m bench.studies.olive_k10 K SEED ...``
"""
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from bench import selection as B
from bench._tables import all_tables, write_csv
from probnn.compare import paired_difference
from probnn.selection import select_model
from probnn.tables.sources import read_table
from probnn.tables.targets import target_kinds

warnings.simplefilter("ignore")
k, seeds = int(sys.argv[1]), [int(s) for s in sys.argv[2:]]
table = next(t for t in all_tables() if t.name == "h7-olive-eicosenoic")
frame, _ = table.load()
with tempfile.TemporaryDirectory() as tmp:
    frame = read_table(write_csv(frame, Path(tmp), table.name))
target = table.target
kinds = target_kinds(frame[target])
params = dict(B._cli_defaults(table.impute))
impute, levels = params.pop("impute"), params.pop("levels")
for seed in seeds:
    train = frame.iloc[B._split_rows(frame.shape[0], seed)[0]]
    sel = select_model(train.drop(columns=[target]), train[target], seed=seed, impute=impute,
                       levels=levels, kinds=kinds, cv=k, network_families=0, **params)
    print(f"K={k} seed {seed}: {sel.line}")
    print(sel.table[["family", "capacity", "nll_nats", "minus_best", "se", "status"]]
          .head(8).to_string(), flush=True)
    y = np.concatenate([train[target].to_numpy()[te] for _, te in sel.folds])
    keep = y < 0.56
    mn = sel.nll_rows[("mixture-normal", "glm")]
    for (fam, cap), rows in sel.nll_rows.items():
        if cap != "glm" or fam == "mixture-normal":
            continue
        d = rows - mn
        gap, se = paired_difference(rows, mn)
        print(f"  {fam} glm - mixture-normal glm: {gap:+.4f} +- {se:.4f}; without y >= 0.56 "
              f"({(~keep).sum()} rows) {d[keep].mean():+.4f}; median {np.median(d):+.4f}",
              flush=True)
