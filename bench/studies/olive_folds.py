"""The CV's view of the mixture-normal GLM on h7-olive-eicosenoic against the held-out rows':
each fold's GLM (the selection's folds, ``probnn.selection.cv_splits``) scored on its own
held-out fold and on the bench's held-out rows, for a few families; the rows of largest NLL.

``python -m bench.studies.olive_folds SEED FAMILY ...``
"""
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from bench import selection as B
from bench._tables import all_tables, write_csv
from probnn._selection_scores import _capacity_params
from probnn.selection import cv_splits
from probnn.tables.model import TabularModel
from probnn.tables.sources import read_table
from probnn.tables.targets import target_kinds

warnings.simplefilter("ignore")
seed, fams = int(sys.argv[1]), sys.argv[2:]
table = next(t for t in all_tables() if t.name == "h7-olive-eicosenoic")
frame, _ = table.load()
with tempfile.TemporaryDirectory() as tmp:
    frame = read_table(write_csv(frame, Path(tmp), table.name))
target = table.target
kinds = target_kinds(frame[target])
params = dict(B._cli_defaults(table.impute))
impute, levels = params.pop("impute"), params.pop("levels")
train_idx, test_idx = B._split_rows(frame.shape[0], seed)
train, held = frame.iloc[train_idx], frame.iloc[test_idx]
folds = cv_splits(train.shape[0], "auto", seed)
kw = dict(seed=seed, impute=impute, levels=levels, **_capacity_params("glm", params, True))
for fam in fams:
    cv_rows, on_held = [], []
    for k, (tr, te) in enumerate(folds):
        m = TabularModel.fit(train.iloc[tr], target, family=fam, **kw)
        r = B._row_nll(m, train.iloc[te], kinds[0][0])
        h = B._row_nll(m, held, kinds[0][0])
        cv_rows.append(r)
        on_held.append(h.mean())
        worst = np.argsort(r)[-3:][::-1]
        print(f"seed {seed} {fam:16s} fold {k}: own fold {r.mean():+.4f} (rows {r.size}; "
              f"median {np.median(r):+.3f}; worst {', '.join(f'{r[i]:+.2f} at y={train.iloc[te][target].iloc[i]:.2f}' for i in worst)}); "
              f"bench held-out {h.mean():+.4f}", flush=True)
    allr = np.concatenate(cv_rows)
    full = TabularModel.fit(train, target, family=fam, **kw)
    hf = B._row_nll(full, held, kinds[0][0])
    print(f"seed {seed} {fam:16s} CV {allr.mean():+.4f} (median {np.median(allr):+.3f}, "
          f"rows > 0 nats: {(allr > 0).sum()}, their sum/n {allr[allr > 0].sum() / allr.size:+.4f}); "
          f"fold models on held-out, mean {np.mean(on_held):+.4f}; refit on all training rows "
          f"on held-out {hf.mean():+.4f} (median {np.median(hf):+.3f}, rows > 0: {(hf > 0).sum()} of {hf.size})",
          flush=True)
