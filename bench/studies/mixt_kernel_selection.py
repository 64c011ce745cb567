"""CPU seconds of ``select_model`` with the mixture-studentt candidate, its compiled loss on
and off, and without the candidate (one process, interleaved; every default engine). Issue 22.

Usage: ``OMP_NUM_THREADS=1 python -m bench.studies.mixt_kernel_selection TABLE [REPEATS]``.
"Loss off" patches ``MixtureStudentTFamily.compiled_loss_applies`` to False (main's NumPy loss
before this branch); the choices must be the same (the kernel is bit-identical).
"""

from __future__ import annotations

import sys
import time
import warnings


def main(argv: list[str]) -> None:
    from bench._tables import all_tables
    from probnn.families.mixture_studentt import MixtureStudentTFamily
    from probnn.selection import select_model
    from probnn.tables.targets import families_of_kinds, target_kinds

    table = {t.name: t for t in all_tables()}[argv[0]]
    frame, target = table.make(), table.target
    X, y = frame.drop(columns=[target]), frame[target]
    every = families_of_kinds(target_kinds(y)[0])
    without = [f for f in every if f != "mixture-studentt"]
    applies = MixtureStudentTFamily.compiled_loss_applies
    off = property(lambda self: False)
    for _ in range(int(argv[1]) if len(argv) > 1 else 1):
        for name, families, prop in (("without the candidate", without, applies),
                                     ("with, NumPy loss", every, off),
                                     ("with, compiled loss", every, applies)):
            MixtureStudentTFamily.compiled_loss_applies = prop
            started = time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sel = select_model(X, y, seed=0, families=families)
            best = sel.table.iloc[0]
            print(f"{argv[0]} {name}: {time.process_time() - started:.1f} s CPU, chose "
                  f"{sel.family} {sel.capacity} (best CV {best['nll_nats']:.6f})", flush=True)
    MixtureStudentTFamily.compiled_loss_applies = applies


if __name__ == "__main__":
    main(sys.argv[1:])
