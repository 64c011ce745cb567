"""How often the gap-only 'within 1 SE' label (main) and the rule's own set (within_noise) disagree,
on the folds' rows saved by bench/studies/onese_monotone.py (ONESE_ROWS), s41.

``python bench/studies/onese_labels.py ROWS_DIR [ROWS_DIR ...]``
"""
import pickle, sys
from pathlib import Path
from probnn.compare import gap_exceeds_se, paired_standard_errors
from probnn.selection import one_standard_error_choice, within_noise
n = diff = 0
for p in sorted(f for d in sys.argv[1:] for f in Path(d).glob("*.pkl")):
    d = pickle.load(open(p, "rb"))
    rows, outputs, cov = d["rows"], d["outputs"], d["covering"]
    chosen, best, _ = one_standard_error_choice(rows, outputs, cov)
    old = {c for c in rows if c not in (chosen, best) and not gap_exceeds_se(rows[c], rows[best])}
    new = {c for c in within_noise(rows, outputs, cov) if c not in (chosen, best)}
    n += 1
    if old != new:
        diff += 1
        print(p.stem, "gap-only only:", sorted(" ".join(c) for c in old - new),
              "rule only:", sorted(" ".join(c) for c in new - old))
print(f"{diff} of {n} table-seeds' tables label differently")
