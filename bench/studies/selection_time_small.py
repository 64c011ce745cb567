"""Where a small table's selection spends its time (issue 22: 16-67x one default fit on h8).

Usage: ``OMP_NUM_THREADS=1 python -m bench.studies.selection_time_small TABLE [SEED] [prof]``
(TABLE a ``bench._tables_holdout8`` name, e.g. ``h8-loomis-anvisits``). On the bench's training
rows of ``SEED`` (the CLI's split): CPU seconds of one default fit of the type rule's family and
of ``select_model`` with the CLI's defaults (``bench.selection._select``'s call), the choice, the
candidates' table with each one's seconds summed over folds, and the CPU by capacity; ``prof``
adds a cProfile of the selection by cumulative time. Prints a ``digest`` of the choice and every
candidate's per-row NLLs, so that two checkouts can be compared for identical results.
"""

from __future__ import annotations

import cProfile
import hashlib
import pstats
import sys
import time

import numpy as np


def _frame(name: str):
    from bench._tables_holdout8 import holdout8_tables

    table = next(t for t in holdout8_tables() if t.name == name)
    frame, why = table.load()
    if frame is None:
        raise SystemExit(f"{name}: {why}")
    return table, frame


def digest(sel) -> str:
    """A hash of the choice and every scored candidate's held-out NLLs, bit for bit."""
    h = hashlib.sha256(f"{sel.family} {sel.capacity}".encode())
    for key in sorted(sel.nll_rows):
        h.update(repr(key).encode())
        h.update(np.ascontiguousarray(sel.nll_rows[key], dtype=np.float64).tobytes())
    return h.hexdigest()[:16]


def main(argv: list[str]) -> None:
    from bench.selection import _cli_defaults, _split_rows
    from probnn.selection import select_model
    from probnn.tables.model import TabularModel
    from probnn.tables.targets import infer_family, target_kinds

    name = argv[0]
    seed = int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 0
    table, frame = _frame(name)
    train_idx, _ = _split_rows(frame.shape[0], seed)
    train = frame.iloc[train_idx]
    params = _cli_defaults(table.impute)
    impute, levels = params.pop("impute"), params.pop("levels")
    auto, _ = infer_family(train[table.target])
    started = time.process_time()
    TabularModel.fit(train, table.target, family=auto, seed=seed, impute=impute, **params)
    default = time.process_time() - started
    profile = cProfile.Profile() if "prof" in argv else None
    started = time.process_time()
    if profile is not None:
        profile.enable()
    sel = select_model(train.drop(columns=[table.target]), train[table.target], seed=seed,
                       impute=impute, levels=levels, kinds=target_kinds(frame[table.target]),
                       **params)  # fmt: skip
    if profile is not None:
        profile.disable()
    selection = time.process_time() - started
    print(f"{name} seed {seed} ({train.shape[0]} training rows): default {auto} "
          f"{default:.2f}s select {selection:.2f}s ratio {selection / default:.1f} "
          f"digest {digest(sel)}")
    print(sel.line)
    print(sel.table.to_string())
    print(sel.table.groupby("capacity")["seconds"].sum().to_string())
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)


if __name__ == "__main__":
    main(sys.argv[1:])
