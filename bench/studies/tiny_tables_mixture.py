"""Why yacht subsample 8 and California subsample 16 stay far above the constant model
(``tiny_tables.md``, "One scale for every x ..."), and two candidate rules scored after the
fact on the same fitted networks: the inputs clamped to the training rows' box, and the equal-
weight mixture of the fit on all rows and the 5 fold networks the folds trained again to the
chosen epoch (``estimators._folds``: they exist already, for the widening and the scale
choice; captured here by wrapping ``_folds._held_out_parts``).

Cases: ``tiny_tables.py``'s yacht subsamples (seeds 0-9, where yacht 8 was seen) and
``tiny_tables_scale.py``'s 80 cases (subsamples at seeds 10-19 and three laws; California 16
was seen there; neither rule was chosen on them: both are textbook rules, not tuned).

Run: ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python -m bench.studies.tiny_tables_mixture
PART PARTS > F.jsonl``; ``--summarise FILES``; ``--compare BEFORE AFTER`` (one file each, the
same cases, before and after the mixture was built into ``MLPRegressor``: session 38).
"""

from __future__ import annotations

import json
import sys
import warnings

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import logsumexp

from bench.studies import json_lines
from bench.studies import tiny_tables as tt
from bench.studies import tiny_tables_scale as ts


def cases():
    return [("tt",) + c[:3] for c in tt.cases() if c[1] == "yacht"] + \
        [("ts",) + c for c in ts.cases()]  # fmt: skip


def run_case(case) -> dict:
    from probnn import MLPRegressor
    from probnn.estimators import _folds

    src, group, name, seed = case
    if src == "tt":
        Xtr, ytr, Xte, yte, truth = tt._split([c for c in tt.cases()
                                                if c[1] == name and c[2] == seed][0])  # fmt: skip
    else:
        Xtr, ytr, Xte, yte, truth = ts._split((group, name, seed))
    captured = {}
    original = _folds._held_out_parts

    def spy(folds, splits, X, y, w):
        captured["folds"] = folds
        return original(folds, splits, X, y, w)

    _folds._held_out_parts = spy
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = MLPRegressor(random_state=seed).fit(Xtr, ytr)
    finally:
        _folds._held_out_parts = original
    lo, hi = Xtr.min(0), Xtr.max(0)
    net = float(m.score_nll(Xte, yte))  # the estimator's predictive (since s38: the mixture)
    members, m.fold_members_ = list(getattr(m, "fold_members_", [])), []  # all rows alone:
    log_p = [np.asarray(f.predict_dist(Xte).log_prob(yte), dtype=np.float64)
             for f in [m, *captured["folds"]]]  # fmt: skip
    mixture = -(logsumexp(np.array(log_p), axis=0) - np.log(len(log_p))).mean()
    single, clamped = (float(m.score_nll(x, yte)) for x in (Xte, np.clip(Xte, lo, hi)))
    m.fold_members_ = members
    return dict(src=src, group=group, table=name, seed=seed, n=len(ytr), truth=truth,
                constant=float(-stats.norm.logpdf(yte, ytr.mean(), ytr.std()).mean()),
                net=net, single=single, clamped=clamped,
                mixture=float(mixture), folds=[float(-lp.mean()) for lp in log_p[1:]],
                epochs=int(m.n_iter_),
                outside=float(np.mean(np.any((Xte < lo) | (Xte > hi), axis=1))))


def summarise(rows) -> str:
    df = pd.DataFrame(rows)
    df["set"] = np.where(df.src == "tt", "study (yacht 0-9)", "unseen (tiny_tables_scale)")

    def ms(s):
        return f"{s.mean():.3g} ± {s.std(ddof=1) / np.sqrt(len(s)):.2g} ({s.max():.3g})"

    lines = ["| set | table | cases | constant | network (now) | clamped | mixture | "
             "mixture - constant | > constant + 0.5: now / clamped / mixture |",
             "|" + "---|" * 9]
    groups = list(df.groupby(["set", "table"], sort=False)) + [
        (("all", ""), df), (("unseen", "all"), df[df.src == "ts"])]
    for (s, table), g in groups:
        worse = "/".join(str(int(((g[k] - g.constant) > 0.5).sum()))
                         for k in ("net", "clamped", "mixture"))  # fmt: skip
        lines.append(f"| {s} | {table} | {len(g)} | {ms(g.constant)} | {ms(g.net)} | "
                     f"{ms(g.clamped)} | {ms(g.mixture)} | {ms(g.mixture - g.constant)} | "
                     f"{worse} |")
    return "\n".join(lines)


def compare(before, after) -> str:
    """Before (main: ``net`` the fit on all rows alone, ``mixture`` the mixture scored after
    the fact with the folds' own learned scales) against after (``net``: the estimator's
    mixture, its members treated as the fit on all rows), paired by case."""
    keys = ["src", "table", "seed"]
    df = pd.DataFrame(before).merge(pd.DataFrame(after), on=keys, suffixes=("", "_after"))
    df["set"] = np.where(df.src == "tt", "study (yacht 0-9)", "unseen (tiny_tables_scale)")

    def ms(s):
        return f"{s.mean():.3g} ± {s.std(ddof=1) / np.sqrt(len(s)):.2g} ({s.max():.3g})"

    lines = ["| set | table | cases | constant | before: network | s37's mixture | after | "
             "after - constant | after < before | > constant + 0.5: before / s37 / after |",
             "|" + "---|" * 10]
    groups = list(df.groupby(["set", "table"], sort=False)) + [
        (("all", ""), df), (("unseen", "all"), df[df.src == "ts"])]
    for (s, table), g in groups:
        worse = "/".join(str(int(((g[k] - g.constant) > 0.5).sum()))
                         for k in ("net", "mixture", "net_after"))  # fmt: skip
        lines.append(f"| {s} | {table} | {len(g)} | {ms(g.constant)} | {ms(g.net)} | "
                     f"{ms(g.mixture)} | {ms(g.net_after)} | {ms(g.net_after - g.constant)} | "
                     f"{int((g.net_after < g.net).sum())} | {worse} |")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--compare"]:
        print(compare(json_lines(sys.argv[2]), json_lines(sys.argv[3])))
        sys.exit(0)
    if sys.argv[1:2] == ["--summarise"]:
        print(summarise(json_lines(*sys.argv[2:])))
        sys.exit(0)
    part, parts = (int(a) for a in sys.argv[1:3]) if len(sys.argv) > 2 else (0, 1)
    for i, case in enumerate(cases()):
        if i % parts == part:
            print(json.dumps(run_case(case)), flush=True)
