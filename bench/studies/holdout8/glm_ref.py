"""The bench's reference GLM of a table's right family on one seed (bench.selection's (c):
L-BFGS, every other CLI default, early-stopping rows as probnn fit keeps them), its held-out
NLL and its worst rows: python -m bench.studies.holdout8.glm_ref TABLE SEED."""
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from bench import selection as B
from bench._tables import all_tables, write_csv
from probnn.tables.sources import read_table
from probnn.tables.targets import target_kinds

warnings.simplefilter("ignore")
name, seed = sys.argv[1], int(sys.argv[2])
table = next(t for t in all_tables() if t.name == name)
frame, _ = table.load()
with tempfile.TemporaryDirectory() as tmp:
    frame = read_table(write_csv(frame, Path(tmp), table.name))
kinds, _ = target_kinds(frame[table.target])
tr, te = B._split_rows(frame.shape[0], seed)
train, held = frame.iloc[tr], frame.iloc[te]
glm, took = B._fit(train, table.target, table.right, seed, B._cli_defaults(table.impute),
                   hidden=(), solver="lbfgs")
rows = B._row_nll(glm, held, kinds[0])
print(f"{name} seed {seed}: GLM of {table.right} held-out NLL {rows.mean():.4f} "
      f"({took:.1f} s); without its worst row {np.sort(rows)[:-1].mean():.4f}")
worst = np.argsort(rows)[::-1][:3]
print(held.iloc[worst].assign(nll=rows[worst]).to_string())
pred = glm.predict_params(held.iloc[worst].drop(columns=[table.target])) if hasattr(
    glm, "predict_params") else None
print(pred)
