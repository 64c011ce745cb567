"""CPU seconds of ``select_model`` on a K-fold table with and without the mixture-studentt
candidate (the same process, interleaved: the load is shared alike). Issue 22.

Usage: ``OMP_NUM_THREADS=1 python -m bench.studies.heavytail_cost TABLE [REPEATS]``.
"""

from __future__ import annotations

import sys
import time
import warnings


def main(argv: list[str]) -> None:
    from bench._tables import all_tables
    from probnn.selection import select_model
    from probnn.tables.targets import families_of_kinds, target_kinds

    table = {t.name: t for t in all_tables()}[argv[0]]
    frame, target = table.make(), table.target
    X, y = frame.drop(columns=[target]), frame[target]
    every = families_of_kinds(target_kinds(y)[0])
    without = [f for f in every if f != "mixture-studentt"]
    for _ in range(int(argv[1]) if len(argv) > 1 else 1):
        for name, families in (("without", without), ("with", every)):
            started = time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sel = select_model(X, y, seed=0, families=families)
            print(f"{argv[0]} {name}: {time.process_time() - started:.1f} s CPU, chose "
                  f"{sel.family} {sel.capacity}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
