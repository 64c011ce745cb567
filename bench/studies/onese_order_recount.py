"""(P1) of ``onese_order.md``: the one-SE rule before (main f784ee1: covering, capacity, raw
outputs) and after (nesting declared by the registry, CV mean between rivals, a tie within the
fits' tolerance by raw outputs), recounted on saved per-row CV NLLs (``onese_monotone``'s rows
pickles: ``{"rows", "outputs", "covering"}`` per table-seed); no fits, no held-out scores.

``python -m bench.studies.onese_order_recount DIR``
"""
import pickle
import sys
from pathlib import Path

import numpy as np

from probnn import defaults
from probnn.selection import CAPACITIES, nested_families, one_standard_error_choice
from bench.studies.onese_monotone import near_dominated


def old_choice(rows, outputs, covering):
    """main f784ee1's rule: its within-noise set (``near_dominated``: the dominance by the
    order covering, capacity, raw outputs), the simplest by that order, then the mean."""
    mean = {c: float(np.mean(r)) for c, r in rows.items()}
    near = near_dominated(rows, mean, outputs, covering)
    return min(near, key=lambda c: (c[0] not in covering, CAPACITIES.index(c[1]),
                                    outputs.get(c, 0), mean[c]))  # fmt: skip


def main(directory: str) -> None:
    nests, tol = nested_families(), defaults.REGRESSOR["tol"]
    files = sorted(Path(directory).glob("*.pkl"))
    changed = bad = 0
    for p in files:
        d = pickle.loads(p.read_bytes())
        rows, outputs, covering = d["rows"], d["outputs"], d["covering"]
        old = old_choice(rows, outputs, covering)
        new, best, _ = one_standard_error_choice(rows, outputs, covering)
        if new == old:
            continue
        changed += 1
        m = {c: float(np.mean(r)) for c, r in rows.items()}
        ok = m[old] - m[new] > tol and old[0] not in nests.get(new[0], ()) or old[1] != new[1]
        bad += not ok
        print(f"{p.stem}: {' '.join(old)} ({m[old]:.4f}, {outputs[old]} outputs) -> "
              f"{' '.join(new)} ({m[new]:.4f}, {outputs[new]} outputs): CV {m[new] - m[old]:+.4f}; "
              f"CV best {' '.join(best)} {m[best]:.4f}{'' if ok else '  FAILS P1'}")
    print(f"{changed} of {len(files)} table-seeds change; {bad} fail P1")


if __name__ == "__main__":
    main(sys.argv[1])
