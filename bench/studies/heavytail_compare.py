"""Before / after table of bench.selection runs (issue 22: the mixture-studentt candidate).

Usage: ``python -m bench.studies.heavytail_compare BEFORE.json[,...] AFTER.json[,...]``: for
each table in both, each seed's choice and held-out NLL of ``auto`` before and after, the
mean change over the seeds (the same test rows per seed: paired) and its standard error over
the seeds, and auto's mean wall time (indicative only on a loaded machine).
"""

from __future__ import annotations

import json
import sys

import numpy as np


def _tables(paths: str) -> dict:
    out = {}
    for path in paths.split(","):
        for table in json.load(open(path))["tables"]:
            out[table["table"]] = table
    return out


def main(argv: list[str]) -> None:
    before, after = _tables(argv[0]), _tables(argv[1])
    print("| table | rows | seed: before -> after (auto's choice) | auto NLL before | after | "
          "change (mean +- SE over seeds) | auto s before / after |")
    print("|---|---|---|---|---|---|---|")
    changes = []
    for name in [t for t in before if t in after]:
        b, a = before[name], after[name]
        seeds_b = {s["seed"]: s for s in b["seeds"] if "nll" in s}
        seeds_a = {s["seed"]: s for s in a["seeds"] if "nll" in s}
        common = sorted(set(seeds_b) & set(seeds_a))
        nb = np.array([seeds_b[s]["nll"]["auto"] for s in common])
        na = np.array([seeds_a[s]["nll"]["auto"] for s in common])
        d = na - nb
        se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
        changes.append(d.mean())
        picks = "; ".join(
            f"{s}: {seeds_b[s]['chosen']}" + ("" if seeds_a[s]["chosen"] == seeds_b[s]["chosen"]
                                             else f" -> **{seeds_a[s]['chosen']}**")
            for s in common)
        tb = np.mean([seeds_b[s]["auto_time"] for s in common])
        ta = np.mean([seeds_a[s]["auto_time"] for s in common])
        print(f"| {name} | {b['rows']:,} | {picks} | {nb.mean():.4f} | {na.mean():.4f} | "
              f"{d.mean():+.4f} +- {se:.4f} | {tb:.0f} / {ta:.0f} |")
    print(f"\nmean change over {len(changes)} tables: {np.mean(changes):+.4f} nats")


if __name__ == "__main__":
    main(sys.argv[1:])
