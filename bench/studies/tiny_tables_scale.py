"""The constant-scale variant of the tiny-table folds (``estimators._folds``: below 40 rows the
folds also score the network with its scale output made one constant and keep it unless the
learned scale wins by more than one standard error), before and after, on cases the rule was
not designed on: subsamples of the five larger tables at seeds 10-19 (``tiny_tables.py`` used
0-9) and synthetic laws with heavy-tailed or skewed features (fresh rows from the law, the
truth's NLL known), beside scipy's constant model. The same script runs under either tree
(``PYTHONPATH``), so "before" is main's code and "after" this branch's.

Run: ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=TREE python -m
bench.studies.tiny_tables_scale [part] [parts] > FILE.jsonl``; ``--summarise BEFORE AFTER``
pairs two such files (or two of ``tiny_tables.py``'s ``new`` runs) by case.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from bench.studies import json_lines
from bench.studies.tiny_tables import _large

LARGE = ("california", "bike-day", "concrete", "energy", "yacht")
LAWS = ("lognormal-x", "t3-x", "t3-heteroscedastic")


def _law(kind, n, rng):
    """Features, target and the true (loc, sd) of each row."""
    if kind == "lognormal-x":  # skewed features, y = x1 + N(0, 1)
        x = rng.lognormal(0.0, 1.0, size=(n, 2))
        loc, sd = x[:, 0], np.ones(n)
    elif kind == "t3-x":  # heavy-tailed features (Student-t, 3 df), y = x1 + N(0, 1)
        x = rng.standard_t(3, size=(n, 2))
        loc, sd = x[:, 0], np.ones(n)
    else:  # heavy-tailed feature, sd 0.5 + 0.5 |x|
        x = rng.standard_t(3, size=(n, 1))
        loc, sd = x[:, 0], 0.5 + 0.5 * np.abs(x[:, 0])
    return x, loc + sd * rng.normal(size=n), loc, sd


def cases():
    out = [("subsample", name, seed) for name in LARGE for seed in range(10, 20)]
    return out + [("synthetic", kind, seed) for kind in LAWS for seed in range(10)]


def _split(case):
    group, name, seed = case
    rng = np.random.default_rng(1000 + seed)
    truth = None
    if group == "subsample":
        X, y = _large(name)
        n = int(rng.integers(20, 40))
        idx = rng.permutation(len(y))
        tr, te = idx[:n], idx[n:n + 1000]
    else:
        n = int(rng.integers(20, 40))
        X, y, loc, sd = _law(name, n + 5000, rng)
        tr, te = np.arange(n), np.arange(n, n + 5000)
        truth = float(-stats.norm.logpdf(y[te], loc[te], sd[te]).mean())
    mu, s = X[tr].mean(0), X[tr].std(0)
    s[s == 0] = 1.0
    X = (X - mu) / s
    return X[tr], y[tr], X[te], y[te], truth


def run_case(case) -> dict:
    from probnn import MLPRegressor

    Xtr, ytr, Xte, yte, truth = _split(case)
    row = {"group": case[0], "table": case[1], "seed": case[2], "n_train": len(ytr),
           "truth": truth,
           "constant": float(-stats.norm.logpdf(yte, ytr.mean(), ytr.std()).mean())}
    t = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = MLPRegressor(random_state=case[2]).fit(Xtr, ytr)
    row["new_s"] = time.process_time() - t
    row["new"] = float(m.score_nll(Xte, yte))
    row["constant_scale"] = not np.any(m.coefs_[-1][:, 1])
    return row


def _rows(path):
    return {(r["group"], r["table"], r["seed"]): r for r in json_lines(path)}


def summarise(before_path, after_path) -> str:
    before, after = _rows(before_path), _rows(after_path)
    rows = []
    for key in before.keys() & after.keys():
        b, a = before[key], after[key]
        rows.append(dict(group=key[0], table=key[1], seed=key[2], constant=a["constant"],
                         before=b["new"], after=a["new"], truth=a.get("truth"),
                         chosen=a.get("constant_scale"), s_before=b["new_s"],
                         s_after=a["new_s"]))  # fmt: skip
    df = pd.DataFrame(rows).sort_values(["group", "table", "seed"])

    def ms(s):
        return f"{s.mean():.3g} ± {s.std(ddof=1) / np.sqrt(len(s)):.2g}"
    lines = ["| group | table | cases | constant | before | after | after - constant (max) | "
             "worse than constant +0.5 before / after | constant scale chosen | truth |",
             "|" + "---|" * 10]
    groups = list(df.groupby(["group", "table"], sort=False)) + [(("all", ""), df)]
    for (group, table), g in groups:
        d = g.after - g.constant
        bad = f"{(g.before > g.constant + 0.5).sum()} / {(g.after > g.constant + 0.5).sum()}"
        chosen = f"{int(g.chosen.fillna(False).sum())} of {len(g)}"
        truth = ms(g.truth.dropna()) if g.truth.notna().any() else ""
        lines.append(f"| {group} | {table} | {len(g)} | {ms(g.constant)} | {ms(g.before)} | "
                     f"{ms(g.after)} | {ms(d)} ({d.max():.3g}) | {bad} | {chosen} | {truth} |")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--summarise"]:
        print(summarise(sys.argv[2], sys.argv[3]))
        sys.exit(0)
    part, parts = (int(a) for a in sys.argv[1:3]) if len(sys.argv) > 2 else (0, 1)
    for i, case in enumerate(cases()):
        if i % parts == part:
            print(json.dumps(run_case(case)), flush=True)
