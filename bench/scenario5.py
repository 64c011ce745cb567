"""Scenario 5: predictive distributions on the UCI regression protocol (concrete, energy, yacht).

The protocol of Hernández-Lobato and Adams (2015) as in ``../shared/data/uci/README.md``: for each
of the 20 standard splits, x standardised on the training rows, fit on the training rows, test NLL
per example in the units of y (nats) and test RMSE; mean and standard error over the splits.

Peers (random_state = split index):

* ``probnn default``: ``MLPRegressor()``, probnn's defaults (the "normal" family and the
  "auto" rule that sizes the batch, the step budget and early stopping by the data).
* ``probnn laplace``: each split's ``probnn default`` network wrapped in the Laplace posterior
  of ``probnn fit --posterior laplace`` (``probnn.defaults.TABLE_LAPLACE``: the output layer's
  weights, the prior's precision chosen by the evidence; ``prefit=True``, so paired with
  ``probnn default``; ``bench.studies.laplace_uci.laplace_score``); fit s is the posterior's
  alone. The markdown adds the paired difference from ``probnn default`` and its SE.
* ``probnn ensemble``: ``EnsembleRegressor()`` with its defaults (5 members
  ``MLPRegressor(**probnn.defaults.ENSEMBLE_MEMBER)``, fitted one after the
  other), the equal mixture of the members, on the first ``ENSEMBLE_SPLITS`` splits (all 20).
* ``probnn member`` (not in ``PEERS`` by default; ``_fit_score`` still knows it): one network of
  the ensemble's member configuration.
* ``sklearn``: scikit-learn ``MLPRegressor`` with its defaults on standardised y, scored as
  Normal(mean, training RMSE).
* ``torch``: a plain PyTorch Gaussian-NLL loop of the defaults' size and settings (see
  ``_torch_fit_predict``), early stopping on a random tenth of the training rows, on the first
  ``TORCH_SPLITS`` splits (all 20); skipped with a note when torch is missing.
* ``constant``: Normal fit on the training y (the floor every model must beat).

All NLLs are computed here with scipy.stats from the predicted parameters (the ensemble's as the
log of the mean of its members' scipy densities); probnn's ``score_nll`` is asserted equal.
Fit time is wall-clock with 2 threads (torch: 1, see ``_torch_fit_predict``). ``--quick``: the first 2 splits; ``--splits K``: the first K.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy import special, stats

from bench._common import timed, two_threads

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "uci"
SETS = ("concrete", "energy", "yacht")
# published test NLL / RMSE (README of ../shared/data/uci): MC dropout, deep ensembles, NGBoost
PUBLISHED = {
    "concrete": {"nll": (2.93, 3.06, 3.04), "rmse": (4.82, 6.03, 5.06)},
    "energy": {"nll": (1.21, 1.38, 0.60), "rmse": (0.54, 2.09, 0.46)},
    "yacht": {"nll": (1.25, 1.18, 0.20), "rmse": (0.67, 1.58, 0.50)},
}
PUBLISHED_NAMES = ("MC dropout", "deep ensembles", "NGBoost")
PEERS = ("constant", "probnn default", "probnn ensemble", "sklearn", "torch")
# the peer derived from "probnn default" (its network with the Laplace posterior)
LAPLACE = "probnn laplace"
# the torch loop runs probnn's default budget (about 20,000 steps; it stops early, after 1-8 s
# on a quiet AMD EPYC, 1-6 ms a step on shared cores) on the first TORCH_SPLITS splits
TORCH_SPLITS = 20
# the ensemble (five networks of the member configuration) on the first ENSEMBLE_SPLITS splits:
# all of them since its members are MLPRegressor's defaults (a few seconds an ensemble)
ENSEMBLE_SPLITS = 20
# A single network's test NLL on a split moves by tenths of a nat with its seed (and with the
# BLAS kernels' rounding, which changes the whole training path): `probnn default` is also fitted
# with SEEDS - 1 further seeds per split (random_state = split + 1000 r), to say what a user
# can expect from the defaults rather than what one draw gave
SEEDS = 5


def read_split(name: str, k: int):
    """(X, y, train rows, test rows) of split k of data set ``name``, as stored (unscaled)."""
    d = DATA / name
    data = np.loadtxt(d / "data.txt")
    feats = np.loadtxt(d / "index_features.txt", dtype=int)
    target = int(np.loadtxt(d / "index_target.txt"))
    tr = np.loadtxt(d / f"index_train_{k}.txt", dtype=int)
    te = np.loadtxt(d / f"index_test_{k}.txt", dtype=int)
    return data[:, feats], data[:, target], tr, te


def standardised_pair(X, y, fit_rows, eval_rows):
    """(X_fit, y_fit, X_eval, y_eval), x standardised on the ``fit_rows`` only."""
    mu, sd = X[fit_rows].mean(0), X[fit_rows].std(0)
    sd[sd == 0] = 1.0
    return (X[fit_rows] - mu) / sd, y[fit_rows], (X[eval_rows] - mu) / sd, y[eval_rows]


def load_split(name: str, k: int):
    """(X_train, y_train, X_test, y_test) of split k, x standardised on the training rows."""
    X, y, tr, te = read_split(name, k)
    return standardised_pair(X, y, tr, te)


def default_settings(n_rows: int) -> dict:
    """What ``MLPRegressor()`` trains with on ``n_rows`` rows: its parameters, "auto" resolved."""
    from probnn.estimators import MLPRegressor

    est = MLPRegressor()
    out = est._resolve_training(est._trainer_kwargs(), n_rows, None)
    out["hidden_layer_sizes"] = tuple(est._hidden_sizes())
    return out


def _torch_fit_predict(Xtr, ytr, Xte, seed):
    """A plain PyTorch Gaussian-NLL loop with probnn's default settings and early stopping.

    The network of ``MLPRegressor()``'s size (its hidden layers, relu), Adam at its learning
    rate, its L2 (alpha / 2 ||W||^2 / n_rows, added to each minibatch's mean NLL), batch size,
    epoch budget and patience as probnn's "auto" rule gives them for these rows; a random tenth
    of the training rows is held out and the epoch with the best validation NLL is kept; mean
    and softplus scale heads on standardised y; torch's own initialisation.
    """
    import torch

    P = default_settings(len(ytr))
    # one thread: on a network this small a second one only adds OpenMP waits, which cost
    # 10-100x on shared cores (fits of 100 epochs took 5-120 s with two)
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    perm = np.random.default_rng(seed).permutation(len(ytr))
    n_val = int(np.ceil(P["validation_fraction"] * len(ytr)))
    va, tr = perm[:n_val], perm[n_val:]
    shift, scale = ytr[tr].mean(), ytr[tr].std()
    X = torch.tensor(Xtr[tr], dtype=torch.float32)
    Y = torch.tensor((ytr[tr] - shift) / scale, dtype=torch.float32)
    Xv = torch.tensor(Xtr[va], dtype=torch.float32)
    Yv = torch.tensor((ytr[va] - shift) / scale, dtype=torch.float32)
    sizes = [Xtr.shape[1], *P["hidden_layer_sizes"]]
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-1], 2))
    opt = torch.optim.Adam(net.parameters(), lr=P["learning_rate_init"])
    n, bs = len(Y), P["batch_size"]
    g = torch.Generator().manual_seed(seed)

    def nll(out, target):
        var = torch.nn.functional.softplus(out[:, 1]) ** 2
        return torch.nn.functional.gaussian_nll_loss(out[:, 0], target, var, full=True)

    best, best_state, stale = np.inf, None, 0
    for _ in range(P["max_iter"]):
        for idx in torch.randperm(n, generator=g).split(bs):
            l2 = sum((m.weight ** 2).sum() for m in net if isinstance(m, torch.nn.Linear))
            loss = nll(net(X[idx]), Y[idx]) + 0.5 * P["alpha"] * l2 / n
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            score = float(nll(net(Xv), Yv))
        if score < best - P["tol"]:
            stale = 0
        else:
            stale += 1
        if score < best:
            best, best_state = score, {k: v.clone() for k, v in net.state_dict().items()}
        if stale > P["n_iter_no_change"]:
            break
    net.load_state_dict(best_state)
    with torch.no_grad():
        out = net(torch.tensor(Xte, dtype=torch.float32)).double().numpy()
    return out[:, 0] * scale + shift, np.logaddexp(0.0, out[:, 1]) * scale


def _fit_score(peer: str, Xtr, ytr, Xte, yte, seed: int, laplace: bool = False) -> dict:
    from probnn.estimators import EnsembleRegressor, MLPRegressor
    from probnn.estimators.ensemble import default_member

    if peer == "constant":
        sec, (mu, sd) = timed(lambda: (ytr.mean(), ytr.std()))
        loc, sc = np.full_like(yte, mu), np.full_like(yte, sd)
        nll = float(-np.mean(stats.norm.logpdf(yte, loc, sc)))
        return {"nll": nll, "rmse": float(np.sqrt(np.mean((yte - loc) ** 2))), "seconds": sec}
    if peer == "torch":
        sec, (loc, sc) = timed(lambda: _torch_fit_predict(Xtr, ytr, Xte, seed))
        nll = float(-np.mean(stats.norm.logpdf(yte, loc, sc)))
        return {"nll": nll, "rmse": float(np.sqrt(np.mean((yte - loc) ** 2))), "seconds": sec}
    if peer == "sklearn":
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.neural_network import MLPRegressor as SkMLP
        from sklearn.preprocessing import StandardScaler

        est = TransformedTargetRegressor(regressor=SkMLP(random_state=seed),
                                         transformer=StandardScaler())
        sec, _ = timed(lambda: est.fit(Xtr, ytr))
        sigma = float(np.sqrt(np.mean((ytr - est.predict(Xtr)) ** 2)))
        loc = est.predict(Xte)
        nll = float(-np.mean(stats.norm.logpdf(yte, loc, sigma)))
        return {"nll": nll, "rmse": float(np.sqrt(np.mean((yte - loc) ** 2))), "seconds": sec}
    if peer == "probnn ensemble":
        est = EnsembleRegressor(random_state=seed)
    elif peer == "probnn member":
        est = default_member().set_params(random_state=seed)
    else:
        est = MLPRegressor(random_state=seed)  # the defaults a user gets without arguments
    sec, _ = timed(lambda: est.fit(Xtr, ytr))
    if peer == "probnn ensemble":
        locs = np.array([np.asarray(m.predict_dist(Xte).loc, np.float64) for m in est.estimators_])
        scs = np.array([np.asarray(m.predict_dist(Xte).scale, np.float64)
                        for m in est.estimators_])
        logp = special.logsumexp(stats.norm.logpdf(yte, locs, scs), axis=0) - np.log(len(locs))
        nll, loc = float(-np.mean(logp)), locs.mean(0)
    else:
        dist = est.predict_dist(Xte)
        loc = np.asarray(dist.loc, np.float64)
        nll = float(-np.mean(stats.norm.logpdf(yte, loc, np.asarray(dist.scale, np.float64))))
    ours = est.score_nll(Xte, yte)
    assert abs(ours - nll) <= 2e-4 + 2e-4 * abs(nll), (peer, ours, nll)
    out = {"nll": nll, "rmse": float(np.sqrt(np.mean((yte - loc) ** 2))), "seconds": sec}
    if peer == "probnn default" and laplace:  # the same network with its Laplace posterior
        from bench.studies.laplace_uci import laplace_score

        out["laplace"] = laplace_score(est, Xtr, ytr, Xte, yte)
    return out


def _mean_se(xs) -> dict | None:
    xs = np.asarray([x for x in xs if x is not None and np.isfinite(x)], dtype=np.float64)
    if xs.size == 0:
        return None
    se = float(xs.std(ddof=1) / np.sqrt(xs.size)) if xs.size > 1 else 0.0
    return {"mean": float(xs.mean()), "se": se, "n": int(xs.size), "max": float(xs.max())}


def run(quick: bool, repeats: int, log, splits: int | None = None, sets=SETS, peers=None,
        first_split: int = 0, seeds: int = 1) -> dict:
    import importlib.util

    n_splits = splits or (2 if quick else 20)
    only = peers
    peers = list(PEERS) if only is None else list(only)
    # "probnn laplace" is not fitted: it is each "probnn default" network wrapped (below); named
    # in --peers it would record the plain network's scores under its name as well
    peers = [p for p in peers if p != LAPLACE]
    notes = []
    if importlib.util.find_spec("torch") is None:
        peers.remove("torch")
        notes.append("torch peer skipped: torch is not installed")
        log("scenario 5 torch peer skipped: torch is not installed")
    from probnn.defaults import ENSEMBLE_MEMBER

    out = {"settings": {"splits": n_splits, "member_params": {
        k: (list(v) if isinstance(v, tuple) else v) for k, v in ENSEMBLE_MEMBER.items()},
        "n_members": 5}, "notes": notes, "datasets": {}}
    sizes = []
    for name in SETS:
        if (DATA / name / "data.txt").exists():
            n = len(load_split(name, 0)[1])
            d = default_settings(n)
            sizes.append(f"{name} ({n} rows): hidden {list(d['hidden_layer_sizes'])}, batch "
                         f"{d['batch_size']}, up to {d['max_iter']} epochs, patience "
                         f"{d['n_iter_no_change']}, early stopping {d['early_stopping']}, "
                         f"alpha {d['alpha']}, lr {d['learning_rate_init']}, "
                         f"ema_decay {d['ema_decay']}")
    out["settings"]["default_settings"] = "; ".join(sizes)
    for name in sets:
        if not (DATA / name / "data.txt").exists():
            log(f"scenario 5 {name} skipped: {DATA / name} not found")
            continue
        rec = {p: [] for p in peers}
        if "probnn default" in rec:  # its network wrapped in the Laplace posterior, paired
            rec = {q: v for p, v in rec.items()
                   for q, v in ([(p, v), (LAPLACE, [])] if p == "probnn default" else [(p, v)])}
        for k in range(first_split, n_splits):
            Xtr, ytr, Xte, yte = load_split(name, k)
            order = peers[k % len(peers):] + peers[:k % len(peers)]
            for p in order:
                if only is None and ((p == "torch" and k >= TORCH_SPLITS) or (
                        p == "probnn ensemble" and k >= ENSEMBLE_SPLITS)):
                    continue
                with two_threads():
                    rec[p].append(_fit_score(p, Xtr, ytr, Xte, yte, seed=k, laplace=True))
                if "laplace" in rec[p][-1]:
                    rec[LAPLACE].append(rec[p][-1].pop("laplace"))
                    x = rec[LAPLACE][-1]
                    log(f"  scenario 5 {name} split {k} {LAPLACE}: nll={x['nll']:.4g}, "
                        f"lambda={x['lambda']:.3g}, seconds={x['seconds']:.3g}")
                x = rec[p][-1]
                log(f"  scenario 5 {name} split {k} {p}: nll={x['nll']:.4g}, "
                    f"rmse={x['rmse']:.4g}, seconds={x['seconds']:.3g}")
        out["datasets"][name] = {p: {"runs": v, **{m: _mean_se([x[m] for x in v])
                                                   for m in ("nll", "rmse", "seconds")}}
                                 for p, v in rec.items()}
        if seeds > 1 and rec.get("probnn default"):
            out["datasets"][name]["probnn default"]["seed_runs"] = _more_seeds(
                name, range(first_split, n_splits), rec["probnn default"], seeds, log)
    return out


def _more_seeds(name: str, splits, first_runs: list, seeds: int, log) -> list:
    """Per split, the test NLL of ``probnn default`` for seeds k, k + 1000, ..., and of the
    constant Normal: ``[{"nll": [...], "constant": c}, ...]`` (seed k's from ``first_runs``)."""
    out = []
    for k, first in zip(splits, first_runs):
        Xtr, ytr, Xte, yte = load_split(name, k)
        nll = [first["nll"]]
        for r in range(1, seeds):
            with two_threads():
                nll.append(_fit_score("probnn default", Xtr, ytr, Xte, yte, seed=k + 1000 * r)["nll"])
        const = _fit_score("constant", Xtr, ytr, Xte, yte, seed=k)["nll"]
        out.append({"nll": nll, "constant": const})
        log(f"  scenario 5 {name} split {k} probnn default, {seeds} seeds: "
            + ", ".join(f"{v:.4g}" for v in nll))
    return out


def _seed_summary(seed_runs: list) -> dict:
    """Mean over every (split, seed) fit, the spread of the per-seed means over the splits,
    and the fits worse than their split's constant Normal."""
    nll = np.array([x["nll"] for x in seed_runs])  # (splits, seeds)
    const = np.array([x["constant"] for x in seed_runs])
    per_seed = nll.mean(axis=0)
    return {"seeds": nll.shape[1], "fits": int(nll.size), "mean": float(nll.mean()),
            "seed_min": float(per_seed.min()), "seed_max": float(per_seed.max()),
            "worse": int((nll > const[:, None]).sum()), "worst": float(nll.max())}


def _laplace_difference(d: dict) -> dict | None:
    """``probnn laplace`` minus ``probnn default`` per split: mean, SE, n; lambda and seconds."""
    one, wrapped = d.get("probnn default"), d.get(LAPLACE)
    if not one or not wrapped or not wrapped["runs"]:
        return None
    diff = [b["nll"] - a["nll"] for a, b in zip(one["runs"], wrapped["runs"])]
    out = _mean_se(diff)
    out["lambda"] = float(np.median([r["lambda"] for r in wrapped["runs"]]))
    out["seconds"] = float(np.mean([r["seconds"] for r in wrapped["runs"]]))
    return out


def targets(res: dict) -> list[tuple[str, bool, str]]:
    rows = []
    for name, d in res["datasets"].items():
        paired = _laplace_difference(d)
        if paired:
            ok = paired["mean"] <= paired["se"]
            rows.append((f"Scenario 5 {name}: the Laplace-wrapped default network's test NLL at "
                         "or below the plain network's, never worse by more than its SE "
                         "(issue 24)", ok,
                         f"difference {paired['mean']:+.4f} ± {paired['se']:.4f} over "
                         f"{paired['n']} splits"))
        pub = PUBLISHED[name]
        best = min(pub["nll"])
        ens, one, const = d.get("probnn ensemble"), d.get("probnn default"), d.get("constant")
        if ens:
            ok = ens["nll"]["mean"] <= best and ens["rmse"]["mean"] <= pub["rmse"][1]
            rows.append((f"Scenario 5 {name}: ensemble NLL <= best published ({best}) with RMSE "
                         f"<= deep ensembles' ({pub['rmse'][1]})", ok,
                         f"NLL {ens['nll']['mean']:.3f} ± {ens['nll']['se']:.3f}, RMSE "
                         f"{ens['rmse']['mean']:.3f} (first {ens['nll']['n']} splits)"))
        if one and one.get("seed_runs"):
            sm = _seed_summary(one["seed_runs"])
            ok = sm["worse"] == 0 and sm["mean"] < pub["nll"][1]
            rows.append((f"Scenario 5 {name}: default single network over {sm['seeds']} seeds "
                         f"per split: no fit worse than a constant Normal and mean NLL < deep "
                         f"ensembles' ({pub['nll'][1]})", ok,
                         f"NLL {sm['mean']:.3f} over {sm['fits']} fits (per-seed means "
                         f"{sm['seed_min']:.3f} to {sm['seed_max']:.3f}); worse than the "
                         f"constant in {sm['worse']} of {sm['fits']} fits"))
        for label, v in (("default single network", one),
                         ("recommended single network", d.get("probnn member"))):
            if not v or not const:  # a run without the constant peer (--peers) cannot say
                continue
            worse_than_const = [i for i, (a, c) in enumerate(zip(v["runs"], const["runs"]))
                                if a["nll"] > c["nll"]]
            ok = not worse_than_const and v["nll"]["mean"] < pub["nll"][1]
            rows.append((f"Scenario 5 {name}: {label} never worse than a constant Normal and "
                         f"NLL < deep ensembles' ({pub['nll'][1]})", ok,
                         f"NLL {v['nll']['mean']:.3f} ± {v['nll']['se']:.3f}; worse than the "
                         f"constant on {len(worse_than_const)} of {len(v['runs'])} splits"))
    return rows


def markdown(res: dict) -> list[str]:
    s = res["settings"]
    lines = ["## Scenario 5: UCI regression protocol (predictive distributions)", "",
             f"First {s['splits']} of the 20 standard splits; x standardised on the training "
             "rows; test NLL per example in y's units (nats) and RMSE: mean ± standard error "
             "over the splits (NLL max: the worst split). Ensemble: `EnsembleRegressor()`, 5 "
             f"members `MLPRegressor(**{s['member_params']})`, fitted one after the other. "
             "`probnn default`: "
             "`MLPRegressor()` (its \"auto\" rule on these sizes: "
             f"{s.get('default_settings', '')}). scikit-learn: its "
             "defaults on standardised y, scored as Normal(mean, training RMSE). torch: a plain "
             "Gaussian-NLL loop with the defaults' network and settings, early stopping on a "
             f"random tenth of the training rows. 2 threads (torch: 1); "
             "NLLs with scipy.stats. " + " ".join(res.get("notes", [])), "",
             "| data | peer | test NLL | NLL max | test RMSE | fit s |", "|---|---|---|---|---|---|"]
    for name, d in res["datasets"].items():
        for p, v in d.items():
            if v["nll"]["n"] != s["splits"]:
                p = f"{p} (first {v['nll']['n']} splits)"
            lines.append(f"| {name} | {p} | {v['nll']['mean']:.3f} ± {v['nll']['se']:.3f} | "
                         f"{v['nll']['max']:.2f} | {v['rmse']['mean']:.3f} ± "
                         f"{v['rmse']['se']:.3f} | {v['seconds']['mean']:.2f} |")
        pub = PUBLISHED[name]
        for i, who in enumerate(PUBLISHED_NAMES):
            lines.append(f"| {name} | published: {who} | {pub['nll'][i]:.2f} | | "
                         f"{pub['rmse'][i]:.2f} | |")
    paired = {name: _laplace_difference(d) for name, d in res["datasets"].items()
              if _laplace_difference(d)}
    if paired:
        lines += ["", "`probnn laplace` minus `probnn default` (the same networks, paired over "
                  "the splits; negative: the posterior predicts the test rows better), and the "
                  "prior precision the evidence chose (median over the splits):", "",
                  "| data | NLL difference | its SE | lambda | posterior s |", "|---|---|---|---|---|"]
        for name, x in paired.items():
            lines.append(f"| {name} | {x['mean']:+.4f} | {x['se']:.4f} | {x['lambda']:.3g} | "
                         f"{x['seconds']:.3f} |")
    seeded = {name: _seed_summary(d["probnn default"]["seed_runs"])
              for name, d in res["datasets"].items()
              if d.get("probnn default", {}).get("seed_runs")}
    if seeded:
        n = next(iter(seeded.values()))["seeds"]
        lines += ["", f"`probnn default` with {n} seeds per split (random_state = split + 1000 r; "
                  "the table above has r = 0): test NLL over every fit, the range of the "
                  "per-seed means over the splits, and the fits worse than their split's "
                  "constant Normal:", "",
                  "| data | fits | test NLL | per-seed means | worse than the constant | worst fit |",
                  "|---|---|---|---|---|---|"]
        for name, sm in seeded.items():
            lines.append(f"| {name} | {sm['fits']} | {sm['mean']:.3f} | {sm['seed_min']:.3f} to "
                         f"{sm['seed_max']:.3f} | {sm['worse']} | {sm['worst']:.2f} |")
    return lines


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.scenario5")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=1, help="unused (splits are the repeats)")
    ap.add_argument("--splits", type=int, default=None)
    ap.add_argument("--sets", default=",".join(SETS),
                    help="comma-separated data sets (default: all three)")
    ap.add_argument("--peers", default=None,
                    help="comma-separated peers, all splits (default: all, with the ensemble and "
                         "torch on their first splits)")
    ap.add_argument("--from-split", type=int, default=0)
    ap.add_argument("--seeds", type=int, default=None,
                    help=f"seeds per split for probnn default (default: {SEEDS}, 1 with --quick)")
    ap.add_argument("--merge", nargs="+", default=None, metavar="JSON",
                    help="no run: merge the JSON outputs of runs on separate sets and print "
                         "their table and targets")
    a = ap.parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    if a.merge:
        parts = [json.loads(Path(f).read_text()) for f in a.merge]
        res = parts[0]
        for other in parts[1:]:
            for name, peers_ in other["datasets"].items():
                mine = res["datasets"].setdefault(name, {})
                for p, v in peers_.items():
                    # the runs of one peer on further splits (--from-split) extend its list
                    runs = mine.get(p, {}).get("runs", []) + v["runs"]
                    seeded = mine.get(p, {}).get("seed_runs", []) + v.get("seed_runs", [])
                    mine[p] = {"runs": runs, **{m: _mean_se([x[m] for x in runs])
                                                for m in ("nll", "rmse", "seconds")},
                               **({"seed_runs": seeded} if seeded else {})}
        res["datasets"] = {k: res["datasets"][k] for k in SETS if k in res["datasets"]}
        print(json.dumps(res))
        print("\n".join(markdown(res)))
        print("\n| target | met | figures |\n|---|---|---|")
        for name, ok, figs in targets(res):
            print(f"| {name} | {'met' if ok else '**not met**'} | {figs} |")
        return
    sets = tuple(x for x in a.sets.split(",") if x)
    bad = [x for x in sets if x not in SETS]
    if bad:
        raise SystemExit(f"--sets takes {', '.join(SETS)}; found {', '.join(bad)}")
    peers = None if a.peers is None else [x for x in a.peers.split(",") if x]
    seeds = a.seeds if a.seeds is not None else (1 if a.quick else SEEDS)
    res = run(quick=a.quick, repeats=a.repeats, log=log, splits=a.splits, sets=sets,
              peers=peers, first_split=a.from_split, seeds=seeds)
    print(json.dumps(res))
    # the table and the targets for a reader of a standalone run (stdout stays one JSON line)
    log("\n".join(markdown(res)))
    for name, ok, figs in targets(res):
        log(f"{'met' if ok else 'NOT MET'}: {name}: {figs}")


if __name__ == "__main__":
    main()
