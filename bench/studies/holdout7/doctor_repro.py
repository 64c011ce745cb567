"""Seed 0 of h7-doctor-visits as bench.selection runs it: the selection, then its held-out
coverage, with the traceback of the failure the bench logged in one line."""
import pickle, sys, tempfile, time, traceback
from pathlib import Path
from bench._tables import all_tables, write_csv
from bench import selection as B
from probnn.tables.sources import read_table
from probnn.tables.targets import target_kinds
name, seed = sys.argv[1], int(sys.argv[2])
table = next(t for t in all_tables() if t.name == name)
frame, _ = table.load()
with tempfile.TemporaryDirectory() as tmp:
    frame = read_table(write_csv(frame, Path(tmp), table.name))
    frame.to_csv(f"/tmp/h7/cli/{name}.csv", index=False)
kinds, why = target_kinds(frame[table.target])
defaults = B._cli_defaults(table.impute)
tr, te = B._split_rows(frame.shape[0], seed)
train, held = frame.iloc[tr], frame.iloc[te]
t0 = time.perf_counter()
model, took, chosen = B._select(train, table.target, seed, defaults, "censor", (kinds, why))
print("chosen", chosen, took, flush=True)
pickle.dump(model, open(f"/tmp/h7/diag/{name}-{seed}-model.pkl", "wb"))
try:
    print(B._coverage(model, held, "auto"))
except Exception:
    traceback.print_exc()
try:
    print(B._constant_rows(model, train, held, "count", None, seed, defaults).mean())
except Exception:
    traceback.print_exc()
