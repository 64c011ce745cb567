"""The selection with and without the mixture-studentt candidate, per seed (issue 22).

Usage: ``python -m bench.studies.mixt_selection TABLE SEEDS OUT.json``: for each seed
0..SEEDS-1, the CLI's split (bench.selection's), then ``select_model`` with every default on
the training rows twice: the kind's families (with mixture-studentt) and the same list
without it. Records both candidates tables (cross-validated NLL of each candidate, its gap
to the best and that gap's SE), the choices, and their per-row held-out NLLs; prints the
paired difference (with - without) over the held-out rows and the two mixtures' GLMs'
paired CV difference.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from bench._tables import all_tables, write_csv
from bench.selection import _cli_defaults, _row_nll, _split_rows


def _select(train, target, seed, defaults, kinds, families=None):
    from probnn.selection import select_model

    params = dict(defaults)
    impute, levels = params.pop("impute"), params.pop("levels")
    return select_model(train.drop(columns=[target]), train[target], seed=seed, impute=impute,
                        levels=levels, kinds=kinds, families=families, **params)


def main(argv: list[str]) -> None:
    from probnn.tables.sources import read_table
    from probnn.tables.targets import families_of_kinds, target_kinds

    name, seeds, out_path = argv[0], int(argv[1]), argv[2]
    first = int(argv[3]) if len(argv) > 3 else 0
    table = next(t for t in all_tables() if t.name == name)
    frame, _ = table.load()
    with tempfile.TemporaryDirectory() as tmp:
        frame = read_table(write_csv(frame, Path(tmp), name))
    target = table.target
    kinds = target_kinds(frame[target])
    defaults = _cli_defaults(table.impute)
    without = [f for f in families_of_kinds(kinds[0]) if f != "mixture-studentt"]
    res = []
    for seed in range(first, seeds):
        tr, te = _split_rows(frame.shape[0], seed)
        train, held = frame.iloc[tr], frame.iloc[te]
        rec = {"seed": seed}
        rows = {}
        for label, fams in (("with", None), ("without", without)):
            sel = _select(train, target, seed, defaults, kinds, fams)
            rows[label] = _row_nll(sel.model, held, kinds[0][0])
            tab = sel.table[["family", "capacity", "nll_nats", "minus_best", "se", "status"]]
            rec[label] = {"chosen": f"{sel.family} {sel.capacity}",
                          "held_out": float(rows[label].mean()),
                          "table": json.loads(tab.to_json(orient="records"))}
            if label == "with":
                a = sel.nll_rows.get(("mixture-studentt", "glm"))
                b = sel.nll_rows.get(("mixture-normal", "glm"))
                if a is not None and b is not None:
                    d = np.asarray(a) - np.asarray(b)
                    rec["cv_glm_t_minus_n"] = [float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size))]
            print(f"seed {seed} {label}: {rec[label]['chosen']} held out "
                  f"{rec[label]['held_out']:.4f}", flush=True)
            print(tab.head(8).to_string(), flush=True)
        d = rows["with"] - rows["without"]
        rec["held_out_with_minus_without"] = [float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size))]
        print(f"seed {seed}: with - without {d.mean():+.4f} +- {d.std(ddof=1) / np.sqrt(d.size):.4f}; "
              f"CV GLM t - normal {rec.get('cv_glm_t_minus_n')}", flush=True)
        res.append(rec)
        json.dump({"table": name, "seeds": res}, open(out_path, "w"), indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
