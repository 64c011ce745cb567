"""The reference GLMs of bench.selection's (c) on tables' seeds, without the selection:
the GLM ``probnn fit --family RIGHT --hidden none --seed S`` fits (bench.selection._cli_glm,
the CLI itself), the bench's GLM before s41 (L-BFGS at the default alpha) and the right
family's constant, each's per-row held-out NLLs (one JSON line a table-seed).

``python -m bench.studies.glmref.glms OUT.jsonl TABLE:SEEDS ...`` (SEEDS: 0,1,2)."""
import json
import math
import sys
import tempfile
import time
import warnings
from pathlib import Path

from bench import selection as B
from bench._tables import all_tables, write_csv
from probnn.tables.sources import read_table
from probnn.tables.targets import infer_family, target_kinds

warnings.simplefilter("ignore")


def one(table, frame, path, seed: int, tmp: str) -> dict:
    kinds, why = target_kinds(frame[table.target])
    kind = kinds[0]
    censoring, measure = B._measure(frame.iloc[B._split_rows(frame.shape[0], seed)[0]],
                                    table.target, "censor")  # fmt: skip
    rec = {"table": table.name, "seed": seed, "right": table.right, "measure": measure,
           "rows": {}}
    tr, te = B._split_rows(frame.shape[0], seed)
    train, held = frame.iloc[tr], frame.iloc[te]
    auto, _ = infer_family(frame[table.target])
    classes = B._column_classes(frame[table.target], table.target, auto, (kinds, why))
    defaults = B._cli_defaults(table.impute)
    cens = {} if censoring is None else {"censoring": censoring}
    try:
        old, _ = B._fit(train, table.target, table.right, seed, defaults, classes, hidden=(),
                        solver="lbfgs", **cens)  # fmt: skip
        rec["rows"]["glm_lbfgs"] = B._row_nll(old, held, kind).tolist()
        rec["rows"]["const"] = B._constant_rows(old, train, held, kind, censoring, seed,
                                                defaults).tolist()  # fmt: skip
    except B.FIT_ERRORS as exc:
        rec["glm_lbfgs_error"] = " ".join(str(exc).split())[:200]
    if censoring is not None:
        rec["glm_error"] = "censored measure: --hidden none fits densities"
        return rec
    started = time.perf_counter()
    glm, _, err = B._cli_glm(path, table.target, table.right, seed, frame.shape[0], tmp,
                             table.impute)  # fmt: skip
    rec["glm_time"] = time.perf_counter() - started
    if err:
        rec["glm_error"] = err
    else:
        rec["rows"]["glm"] = B._row_nll(glm, held, kind).tolist()
        rec["glm_alpha"] = str(getattr(glm.estimator, "alpha_", getattr(glm.estimator, "alpha", None)))
    return rec


def main(argv):
    out = Path(argv[0])
    tables = {t.name: t for t in all_tables()}
    with tempfile.TemporaryDirectory() as tmp:
        for spec in argv[1:]:
            name, seeds = spec.split(":")
            table = tables[name]
            frame, why = table.load()
            if frame is None:
                print(f"{name}: skipped: {why}", file=sys.stderr)
                continue
            path = write_csv(frame, Path(tmp), table.name)
            frame = read_table(path)
            for seed in map(int, seeds.split(",")):
                rec = one(table, frame, path, seed, tmp)
                means = {k: sum(v) / len(v) for k, v in rec["rows"].items() if v}
                print(name, seed, {k: round(v, 4) for k, v in means.items()},
                      rec.get("glm_error", ""), file=sys.stderr, flush=True)
                with out.open("a") as f:
                    f.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
