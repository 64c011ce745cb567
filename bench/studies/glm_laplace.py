"""A GLM's Laplace posterior predictive against its plug-in fit, on held-out rows (issue 22).

The selection's GLMs are fitted with the prior of largest evidence (``alpha="evidence"``) and
predict with their fitted weights: the weights' own uncertainty is left out, which on a small
table with many columns (a 48-level factor) makes the predictive too sure. Per table and seed
(scenario 9's split), the family's GLM fitted as the selection fits it, once plain and once
wrapped in its Laplace posterior (``TabularModel.fit(posterior="laplace")``,
``defaults.TABLE_LAPLACE``): held-out NLL (as scenario 9 scores it) and 90% coverage.

``python -m bench.studies.glm_laplace TABLE:FAMILY[,TABLE:FAMILY...] [SEEDS]``
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

from bench._tables import all_tables
from bench.selection import COVERAGE, _cli_defaults, _fit, _row_nll, _split_rows
from probnn.metrics import central_interval
from probnn.tables.targets import target_kinds


def compare(name: str, family: str, seeds: list[int]) -> None:
    table = {t.name: t for t in all_tables()}[name]
    frame, why = table.load()
    if frame is None:
        print(f"{name}: skipped ({why})")
        return
    kind = target_kinds(frame[table.target])[0][0]
    defaults = _cli_defaults(table.impute)
    for seed in seeds:
        train_idx, test_idx = _split_rows(frame.shape[0], seed)
        train, held = frame.iloc[train_idx], frame.iloc[test_idx]
        out = []
        for posterior in ("none", "laplace"):
            model, _ = _fit(train, table.target, family, seed, defaults, hidden=(),
                            solver="lbfgs", alpha="evidence", posterior=posterior)  # fmt: skip
            nll = float(np.mean(_row_nll(model, held, kind)))
            cover = ""
            if not model.is_classifier:
                y = held[table.target].to_numpy(dtype=np.float64)
                lo, hi = central_interval(model.predict_dist(held), COVERAGE)
                cover = f" cov {np.mean((lo <= y) & (y <= hi)):.3f}"
            out.append((nll, cover))
        print(f"| {name} | {seed} | {family} | {out[0][0]:.4f}{out[0][1]} | {out[1][0]:.4f}"
              f"{out[1][1]} | {out[1][0] - out[0][0]:+.4f} |", flush=True)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    seeds = list(range(int(argv[1]) if len(argv) > 1 else 3))
    warnings.simplefilter("ignore")
    print("| table | seed | family | plug-in NLL | Laplace NLL | Laplace - plug-in |\n"
          "|---|---|---|---|---|---|")
    for item in argv[0].split(","):
        name, family = item.split(":")
        compare(name, family, seeds)


if __name__ == "__main__":
    main()
