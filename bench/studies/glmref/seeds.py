"""bench.selection's measurements (a)-(c) of one table on chosen seeds (``--seeds N`` runs
0..N-1 only), compare's families skipped, per-row NLLs saved:
``python -m bench.studies.glmref.seeds TABLE OUT.json SEED ...``."""
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

from bench import selection as B
from bench._tables import all_tables, write_csv
from probnn.tables.sources import read_table

warnings.simplefilter("ignore")
os.environ["BENCH_SAVE_ROWS"] = "1"
name, out, seeds = sys.argv[1], Path(sys.argv[2]), [int(s) for s in sys.argv[3:]]
table = next(t for t in all_tables() if t.name == name)
frame, _ = table.load()
with tempfile.TemporaryDirectory() as tmp:
    path = write_csv(frame, Path(tmp), table.name)
    t = B.run_table(table, read_table(path), seeds, 0, lambda m: print(m, file=sys.stderr,
                                                                       flush=True), path=path)
t["summary"] = B.summarise(t)
out.write_text(json.dumps({"command": "python -m bench.studies.glmref.seeds "
                           + " ".join(sys.argv[1:]), "tables": [t]}))
