"""How often the rule of :mod:`probnn.tables.extrapolation` fires on honest held-out rows.

For each table of ``bench._tables`` that loads (every suite), 20 random splits (``split_rows``,
test fraction 0.2, seeds 0..19): the preprocessor fitted on the training rows, and the held-out
rows counted that lie beyond a numeric column's training range by more than ``m`` widths of it,
for m = 0 (beyond the range at all), 0.5, 1 (the rule) and 2; and the rule's warning checked to
fire exactly when m = 1 finds a row. ``-v`` prints each firing value against its range.

``PYTHONPATH=$PWD python -m bench.studies.extrapolation_rule [-v] [TABLE ...]``
"""

from __future__ import annotations

import collections
import sys
import warnings

import numpy as np

from bench import _tables
from probnn.exceptions import ExtrapolationWarning
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.split import split_rows

MARGINS = (0.0, 0.5, 1.0, 2.0)
SEEDS = range(20)


def table_counts(frame, target: str, impute: bool, verbose: bool) -> tuple[dict, dict, int]:
    """Splits fired and rows named at each margin, and the splits the warning fired on."""
    features = frame.drop(columns=[target])
    fired, rows, warned = collections.Counter(), collections.Counter(), 0
    for seed in SEEDS:
        train, test = split_rows(len(frame), seed, 0.2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pre = Preprocessor(impute=impute).fit(features.iloc[train])
        held = features.iloc[test]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pre.transform(held)
        warned += any(issubclass(w.category, ExtrapolationWarning) for w in caught)
        for m in MARGINS:
            far = np.zeros(len(held), dtype=bool)
            for name, (low, high) in zip(pre.numeric_, pre.range_):
                values = Preprocessor._numeric(held[name], name, pre.parsers_.get(name))
                width = high - low
                beyond = (values > high + m * width) | (values < low - m * width)
                if verbose and m == 1.0 and beyond.any():
                    print(f"    seed {seed} {name}: {values[beyond][:3]} against {low:.4g}..{high:.4g}")
                far |= beyond
            fired[m] += bool(far.any())
            rows[m] += int(far.sum())
    return fired, rows, warned


def main(argv: list[str]) -> None:
    verbose = "-v" in argv
    only = [a for a in argv if a != "-v"]
    tables = _tables.all_tables() + _tables.holdout2_tables() + _tables.holdout3_tables()
    seen: set = set()
    total_fired, total_rows, n_tables, held_out = collections.Counter(), collections.Counter(), 0, 0
    for table in tables:
        if table.name in seen or (only and table.name not in only):
            continue
        seen.add(table.name)
        frame, why = table.load()
        if frame is None:
            print(f"{table.name}: skipped ({why})")
            continue
        try:
            fired, rows, warned = table_counts(frame, table.target, table.impute, verbose)
        except Exception as exc:  # a table that needs an option the bench gives it elsewhere
            print(f"{table.name}: skipped ({exc})")
            continue
        assert warned == fired[1.0], (table.name, warned, fired[1.0])
        n_tables += 1
        held_out += sum(len(split_rows(len(frame), s, 0.2)[1]) for s in SEEDS)
        total_fired.update(fired)
        total_rows.update(rows)
        print(f"{table.name:28s} n={len(frame):6d} splits fired at 0 / 0.5 / 1 / 2 widths: "
              + " / ".join(f"{fired[m]:2d}" for m in MARGINS) + f"  rows at 1: {rows[1.0]}",
              flush=True)  # fmt: skip
    print(f"{n_tables} tables x {len(SEEDS)} splits, {held_out:,} held-out rows: splits fired "
          + ", ".join(f"{m:g} widths: {total_fired[m]}" for m in MARGINS) + "; rows named "
          + ", ".join(f"{m:g} widths: {total_rows[m]}" for m in MARGINS))  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
