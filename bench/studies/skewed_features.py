"""Study: a strictly positive feature spanning orders of magnitude, given log(x) as a column.

Why. probnn's preprocessing standardises every numeric feature, so a GLM with a log link
fits ``log mean = b0 + b1 * x``. A power law ``mean ~ x**a`` (allometry: brain ~ body**0.75;
incomes, assets, populations) is ``log mean = a * log x``: the GLM can follow it only as far
as ``log x`` is a straight line in ``x`` over the data. The part of ``log x`` no straight
line in ``x`` explains, ``resid_sd`` below (nats: the standard deviation of the residual of
``log x`` regressed on ``x`` over the training rows), is the GLM's root-mean-square miss of
the log-mean per unit of exponent. That is the first-principles measure of the need; it
needs only five running sums (``x, x**2, log x, log x**2, x log x``), so a streamed scan
could compute it exactly. Two simpler rules are listed beside it: the range ``max/min``
(brief's example; one outlier decides it) and the central 90% ``q95/q05`` (robust, but a
quantile costs extra passes when streamed).

What it measures, per table whose features trigger ``resid_sd >= 0.5`` (a miss of a factor
e**0.5 = 1.65 in the mean at exponent 1; chosen from the law, not from these tables), on the
rows ``bench.selection`` uses (CSV round trip, the CLI's split by seed): probnn fit's
selection (``--family auto``, every default) and the right family's GLM, on the table as is
(``raw``) and with ``log_<x>`` added beside each triggered ``x`` (``beside``) or replacing it
(``instead``): held-out NLL per row, paired differences against ``raw`` +- their standard
error pooled over seeds. Equivalent to the preprocessor adding the column: it standardises
``log_<x>`` like any numeric column.

Findings (``skewed_features.md``): *instead* helps where a power law holds (h5-mammals-brain
-1.26 nats per row); *beside* is fragile (a fold's held-out extreme of the raw column, exp'd
by a log-link GLM). Stop 39, all 20 triggering tables: mean -0.13 nats for auto, but
h2-crime-rate worse by 2.3 SE, and a uniform column from zero sits on the threshold
(resid_sd -> 1/2), so the rule fires on it by chance: the default is unchanged. Stop 40:
probnn's own rule (``probnn.tables.log_scale``: q95/q05 >= 100 at confidence bounds, guarded;
``--rule span --variants rule``) on the 6 tables it fires on: adopted (mean auto -0.21).
Stop 41: the lower edge (a bulk spanning 19-100 read as log x when that is the more symmetric
reading; ``--rule shape --variants rule``: *raw* is then stop 40's rule, main's).

Run: ``OMP_NUM_THREADS=1 python -m bench.studies.skewed_features --triggers`` (cheap) and
``... --tables T1,T2 --variants beside,instead --seeds 3 --out FILE.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

RESID_SD_MIN = 0.5  # nats of log-mean per unit exponent a GLM on x cannot follow (see above)
# The derived-column guard (stop 39): x stays raw when log x = a + p log z for another positive
# feature z, exactly up to rounding (sqrt(1 - corr**2) <= POWER_TOL: a stored derived value
# rounded to 3 significant digits), with p != 1 (|p - 1| > POWER_TOL): x = c z**p is a term
# built for the shape of z's effect (exper**2), which log x would flatten into log z. p = 1
# (x a rescaled copy of z) is no guard: resid_sd is scale-free, so z is logged with x.
POWER_TOL = 1e-3


def spread(values: np.ndarray) -> dict | None:
    """The three measures of one feature's present values, shape (n,); None unless > 0."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 3 or v.min() <= 0 or np.unique(v).size < 3:
        return None
    logs = np.log(v)
    design = np.column_stack([np.ones_like(v), (v - v.mean()) / v.std()])
    beta, *_ = np.linalg.lstsq(design, logs, rcond=None)
    q05, q95 = np.quantile(v, [0.05, 0.95])
    return {"range": float(v.max() / v.min()), "q95_q05": float(q95 / q05),
            "resid_sd": float(np.std(logs - design @ beta)), "log_sd": float(logs.std())}


def triggered(frame: pd.DataFrame, target: str) -> dict[str, dict]:
    """The numeric features whose ``resid_sd`` reaches :data:`RESID_SD_MIN`."""
    out = {}
    for name in frame.columns:
        if name == target or not pd.api.types.is_numeric_dtype(frame[name]) \
                or pd.api.types.is_bool_dtype(frame[name]):
            continue
        s = spread(frame[name].to_numpy(dtype=float, na_value=np.nan))
        if s is not None and s["resid_sd"] >= RESID_SD_MIN:
            out[str(name)] = s
    return out


def powers_of_others(frame: pd.DataFrame, target: str, names: list[str]) -> dict[str, tuple]:
    """Of the triggered ``names``: those that are an exact power (not 1) of another positive
    feature, -> (that feature, the power p); the guard leaves them raw."""
    positive = {}
    for name in frame.columns:
        if name == target or not pd.api.types.is_numeric_dtype(frame[name]) \
                or pd.api.types.is_bool_dtype(frame[name]):
            continue
        v = frame[name].to_numpy(dtype=float, na_value=np.nan)
        if np.nanmin(v) > 0:
            positive[str(name)] = np.log(v)
    out = {}
    for x in names:
        for z, lz in positive.items():
            lx = positive[x]
            both = ~np.isnan(lx) & ~np.isnan(lz)
            if z == x or both.sum() < 3 or lz[both].std() == 0:
                continue
            r = np.corrcoef(lx[both], lz[both])[0, 1]
            p = r * lx[both].std() / lz[both].std()
            if math.sqrt(max(0.0, 1 - r * r)) <= POWER_TOL and abs(p - 1) > POWER_TOL:
                out[x] = (z, float(p))
                break
    return out


def span_rule(frame: pd.DataFrame, target: str) -> list[str]:
    """The columns probnn's own rule (:mod:`probnn.tables.log_scale`, stop 40: q95 / q05 >= 100
    at confidence bounds, with the power guard) reads as log x on ``frame``'s features."""
    from probnn.tables.preprocessing import Preprocessor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return list(Preprocessor(impute=True).fit(frame.drop(columns=[target])).logged_)


def with_logs(frame: pd.DataFrame, names: list[str], variant: str) -> pd.DataFrame:
    if variant == "raw":
        return frame
    frame = frame.copy()
    for name in names:
        at = list(frame.columns).index(name)
        frame.insert(at + 1, f"log_{name}", np.log(frame[name].astype(float)))
        if variant == "instead":
            frame = frame.drop(columns=[name])
    return frame


def list_triggers() -> list[dict]:
    from bench._tables import all_tables
    rows = []
    for table in all_tables():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame, why = table.load()
        if frame is None:
            continue
        found = triggered(frame, table.target)
        guarded = powers_of_others(frame, table.target, list(found))
        try:
            span = span_rule(frame, table.target)
        except Exception as exc:  # (a table the preprocessor refuses: said, not fatal)
            span = [f"error: {exc}"]
        rows.append({"table": table.name, "rows": int(frame.shape[0]), "features": found,
                     "guarded": guarded, "span_rule": span})
        if found or span:
            print(table.name, frame.shape[0], {k: {m: round(x, 3) for m, x in v.items()}
                                              for k, v in found.items()} or "-",
                  f"guard: {guarded}" if guarded else "", f"| span rule: {span}", flush=True)
    return rows


def measure(names: list[str], variants: list[str], seeds: int, out: Path,
            max_rows_all_seeds: int = 10**9, seed_list: list[int] | None = None,
            rule: str = "resid_sd") -> dict:
    from bench._tables import all_tables, write_csv
    from bench.selection import _cli_defaults, _fit, _row_nll, _select, _split_rows
    from probnn.tables.sources import read_table
    from probnn.tables.targets import target_kinds

    from probnn.tables import log_scale

    span_min, shape_min = log_scale.SPAN_MIN, log_scale.SHAPE_SPAN_MIN
    res: dict = {"seeds": seeds, "variants": variants, "tables": []}
    by_name = {t.name: t for t in all_tables()}
    for table in [by_name[name] for name in names]:  # in the order asked
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with tempfile.TemporaryDirectory() as tmp:
                frame = read_table(write_csv(table.make(), Path(tmp), table.name))
        log_scale.SPAN_MIN, log_scale.SHAPE_SPAN_MIN = span_min, shape_min  # (set per fit below)
        logs = (span_rule(frame, table.target) if rule in ("span", "shape")
                else list(triggered(frame, table.target)))  # fmt: skip
        kinds, why = target_kinds(frame[table.target])
        defaults = _cli_defaults(table.impute)
        entry: dict = {"table": table.name, "rows": int(frame.shape[0]), "logs": logs, "seeds": []}
        seed_order = seed_list if seed_list is not None else range(seeds)
        for seed in [s for s in seed_order if s == 0 or frame.shape[0] <= max_rows_all_seeds]:
            train_idx, test_idx = _split_rows(frame.shape[0], seed)
            rec: dict = {"seed": seed, "n_test": int(test_idx.size)}
            for variant in ["raw", *variants]:
                # "rule": the table as is, read by probnn's own rule (each fit decides on its
                # training rows); every other variant with that rule off (main's reading)
                # (--rule shape: "raw" is stop 40's rule, main's; the lower edge only in "rule")
                log_scale.SPAN_MIN = span_min if variant == "rule" or rule == "shape" else math.inf
                log_scale.SHAPE_SPAN_MIN = shape_min if variant == "rule" else math.inf
                f = with_logs(frame, logs, "raw" if variant == "rule" else variant)
                train, held = f.iloc[train_idx], f.iloc[test_idx]
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model, _, chosen = _select(train, table.target, seed, defaults, "censor",
                                               (kinds, why))
                    glm, _ = _fit(train, table.target, table.right, seed, defaults, hidden=(),
                                  solver="lbfgs")
                rec[variant] = {"chosen": chosen, "time": time.perf_counter() - t0,
                                "auto": _row_nll(model, held, kinds[0]).tolist(),
                                "glm": _row_nll(glm, held, kinds[0]).tolist()}
                print(f"{table.name} seed {seed} {variant}: auto {chosen} "
                      f"{np.mean(rec[variant]['auto']):.4f}, GLM {np.mean(rec[variant]['glm']):.4f} "
                      f"({rec[variant]['time']:.0f} s)", flush=True)
            entry["seeds"].append(rec)
            out.write_text(json.dumps(res | {"tables": res["tables"] + [entry]}))
        res["tables"].append(entry)
    log_scale.SPAN_MIN, log_scale.SHAPE_SPAN_MIN = span_min, shape_min
    out.write_text(json.dumps(res))
    return res


def paired(entry: dict, variant: str, model: str) -> tuple[float, float]:
    """Mean over seeds of (variant - raw) held-out NLL per row, and its pooled SE."""
    means, ses = [], []
    for rec in entry["seeds"]:
        if variant not in rec:
            continue
        d = np.array(rec[variant][model]) - np.array(rec["raw"][model])
        means.append(d.mean())
        ses.append(d.std(ddof=1) / math.sqrt(d.size))
    return float(np.mean(means)), float(math.sqrt(np.mean(np.square(ses)) / len(ses)))


def report(paths: list[str]) -> list[str]:
    """Markdown rows: per table and variant, (variant - raw) of auto and of the GLM."""
    lines = ["| table | rows | log columns | seeds | variant | auto raw | auto variant | "
             "auto: variant - raw | GLM raw | GLM variant | GLM: variant - raw | chosen raw -> variant |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    merged: dict[str, dict] = {}  # one table's seeds from several runs (files) together
    for path in paths:
        for entry in json.loads(Path(path).read_text())["tables"]:
            if entry["table"] in merged:  # (a seed run twice counts once: the first)
                have = {r["seed"] for r in merged[entry["table"]]["seeds"]}
                merged[entry["table"]]["seeds"] += [r for r in entry["seeds"]
                                                    if r["seed"] not in have]
            else:
                merged[entry["table"]] = {**entry, "seeds": list(entry["seeds"])}
    for entry in merged.values():
        if True:
            seeds = entry["seeds"]
            variants = [v for v in seeds[0] if v not in ("seed", "n_test", "raw")]
            for v in variants:
                done = [r for r in seeds if v in r]
                row = [entry["table"], str(entry["rows"]), ", ".join(entry["logs"]), str(len(done)), v]
                for model in ("auto", "glm"):
                    raw = np.mean([np.mean(r["raw"][model]) for r in done])
                    new = np.mean([np.mean(r[v][model]) for r in done])
                    d, se = paired({"seeds": done}, v, model)
                    row += [f"{raw:.3f}", f"{new:.3f}", f"{d:+.3f} +- {se:.3f}"]
                row.append("; ".join(f"{r['raw']['chosen']} -> {r[v]['chosen']}" for r in done))
                lines.append("| " + " | ".join(row) + " |")
    return lines


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--triggers", action="store_true")
    ap.add_argument("--tables", default="")
    ap.add_argument("--variants", default="beside",
                    help="beside, instead (the study's column edit) and rule (probnn's own)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out", default="skewed_features.json")
    ap.add_argument("--max-rows-all-seeds", type=int, default=10**9,
                    help="tables with more rows run seed 0 only (as bench.selection's option)")
    ap.add_argument("--seed-list", default="", help="comma-separated seeds (instead of 0..seeds-1)")
    ap.add_argument("--rule", default="resid_sd", choices=["resid_sd", "span", "shape"],
                    help="which columns to log: stop 38-39's resid_sd >= 0.5 (no guard), or "
                         "probnn.tables.log_scale's rule (stop 40: q95/q05 >= 100, guarded); "
                         "shape: the rule with stop 41's lower edge against stop 40's (main's)")
    ap.add_argument("--report", default="", help="comma-separated JSON files: markdown rows")
    a = ap.parse_args(argv)
    if a.report:
        print("\n".join(report(a.report.split(","))))
        return
    if a.triggers:
        list_triggers()
        return
    measure(a.tables.split(","), a.variants.split(","), a.seeds, Path(a.out), a.max_rows_all_seeds,
            [int(s) for s in a.seed_list.split(",")] if a.seed_list else None, a.rule)


if __name__ == "__main__":
    main(sys.argv[1:])
