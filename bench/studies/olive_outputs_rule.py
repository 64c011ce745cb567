"""Where would the one-SE rule choose otherwise without its raw-outputs order (the
same-capacity families within noise then ranked by their CV mean)? Recount on saved per-row
CV NLLs (``onese_monotone``'s rows pickles: ``{"rows", "outputs", "covering"}`` per
table-seed); no fits, no held-out scores.

``python -m bench.studies.olive_outputs_rule DIR``
"""
import pickle
import sys
from pathlib import Path

import numpy as np

from probnn.selection import one_standard_error_choice

changed = 0
files = sorted(Path(sys.argv[1]).glob("*.pkl"))
for p in files:
    d = pickle.loads(p.read_bytes())
    now, best, se = one_standard_error_choice(d["rows"], d["outputs"], d["covering"])
    alt, _, _ = one_standard_error_choice(d["rows"], None, d["covering"])
    if alt != now:
        changed += 1
        m = {c: float(np.mean(r)) for c, r in d["rows"].items()}
        print(f"{p.stem}: now {' '.join(now)} ({m[now]:.4f}, {d['outputs'][now]} outputs) -> "
              f"{' '.join(alt)} ({m[alt]:.4f}, {d['outputs'][alt]} outputs); CV best "
              f"{' '.join(best)} {m[best]:.4f}")
print(f"{changed} of {len(files)} table-seeds change")
