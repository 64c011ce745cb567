"""Scenario 2: speed on small data with L-BFGS, probnn vs ``sklearn MLPClassifier(solver="lbfgs")``.

Data: scikit-learn's digits (1797 x 64, 10 classes) and breast-cancer (569 x 30, 2 classes),
a stratified 75 / 25 split (seed 0), features standardised with the training split's mean and
standard deviation. Every peer: one hidden layer of 100 relu units, L-BFGS, alpha = 1e-4 (L2),
tol = 1e-4, max_iter = 2000 (so that the convergence test, not the cap, ends the fit),
max_fun = 15000, the same random_state (the repeat's seed; each library draws its own
initial weights from it).

Figures per fit: seconds to convergence (best of ``INNER`` identical fits, since one fit takes
milliseconds and the machine is shared), L-BFGS iterations, the final training objective
J = mean training NLL + alpha / (2 n) * sum ||W||^2 computed here by the same formula for every
peer from its fitted coefficients and predicted probabilities, the held-out NLL and accuracy.
probnn runs twice: float64 (the precision scikit-learn uses on float64 data; the like-for-like
row the target is judged on) and its default float32.
"""
from __future__ import annotations

import numpy as np

from bench._common import (check_probnn_nll, child_main, fmt, sklearn_log_loss, summary,
                           timed, two_threads)

HIDDEN = (100,)
ALPHA = 1e-4
SETTINGS = dict(hidden_layer_sizes=HIDDEN, activation="relu", solver="lbfgs", alpha=ALPHA,
                tol=1e-4, max_iter=2000, max_fun=15000)
INNER = 3  # identical fits per measurement; the fastest is kept
J_TOLERANCE = 1e-3  # nats per example: "the same" final objective, within L-BFGS's tolerance
PEERS = ("sklearn", "probnn-float64", "probnn-float32")


def _data(name):
    from sklearn.datasets import load_breast_cancer, load_digits
    from sklearn.model_selection import train_test_split

    X, y = {"digits": load_digits, "breast-cancer": load_breast_cancer}[name](return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    mu, sd = Xtr.mean(axis=0), Xtr.std(axis=0)
    sd[sd == 0] = 1.0  # digits has constant (always-zero) pixels
    return (Xtr - mu) / sd, (Xte - mu) / sd, ytr, yte


def _make(peer, seed):
    if peer == "sklearn":
        from sklearn.neural_network import MLPClassifier
        return MLPClassifier(**SETTINGS, random_state=seed)
    from probnn.estimators import MLPClassifier
    return MLPClassifier(**SETTINGS, random_state=seed, dtype=peer.split("-")[1])


def _measure(peer, seed, Xtr, Xte, ytr, yte, inner):
    times = []
    for _ in range(inner):
        est = _make(peer, seed)
        with two_threads():
            t, _ = timed(lambda: est.fit(Xtr, ytr))
        times.append(t)
    labels = np.unique(ytr)
    if peer == "sklearn":
        nll_tr = sklearn_log_loss(ytr, est.predict_proba(Xtr), labels)
        nll_te = sklearn_log_loss(yte, est.predict_proba(Xte), labels)
        converged = est.n_iter_ < SETTINGS["max_iter"]
    else:
        nll_tr = check_probnn_nll(est, Xtr, ytr)
        nll_te = check_probnn_nll(est, Xte, yte)
        converged = bool(est.converged_)
    sq = sum(float(np.sum(np.asarray(W, dtype=np.float64) ** 2)) for W in est.coefs_)
    return {"seconds": min(times), "n_iter": int(est.n_iter_), "converged": converged,
            "objective": nll_tr + ALPHA * sq / (2 * Xtr.shape[0]), "train_nll": nll_tr,
            "test_nll": nll_te, "accuracy": float(np.mean(est.predict(Xte) == yte))}


def run(quick: bool, repeats: int, log) -> dict:
    inner = 1 if quick else INNER
    out = {"settings": {**SETTINGS, "hidden_layer_sizes": list(HIDDEN), "inner": inner,
                        "repeats": repeats, "j_tolerance": J_TOLERANCE}, "datasets": {}}
    for name in ("digits", "breast-cancer"):
        Xtr, Xte, ytr, yte = _data(name)
        for p in PEERS:  # warm-up: imports, first-call costs
            _measure(p, 0, Xtr[:200], Xte, ytr[:200], yte, 1)
        runs = {p: [] for p in PEERS}
        for r in range(repeats):
            order = PEERS[r % len(PEERS):] + PEERS[:r % len(PEERS)]
            for p in order:
                runs[p].append(_measure(p, r, Xtr, Xte, ytr, yte, inner))
                log(f"  scenario 2 {name} seed {r} {p}: " + ", ".join(
                    f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in runs[p][-1].items()))
        out["datasets"][name] = {
            "shape": [int(Xtr.shape[0]), int(Xte.shape[0]), int(Xtr.shape[1])],
            "n_classes": int(len(np.unique(ytr))),
            "peers": {p: {"runs": v, **{k: summary([x[k] for x in v]) for k in
                                        ("seconds", "n_iter", "objective", "train_nll",
                                         "test_nll", "accuracy")},
                          "converged": sum(x["converged"] for x in v)} for p, v in runs.items()},
        }
    return out


def targets(res: dict) -> list[tuple[str, bool, str]]:
    """(name, met, figures) per data set: probnn-float64 at least as fast to the same or lower J."""
    rows = []
    for name, d in res["datasets"].items():
        sk, pn = d["peers"]["sklearn"], d["peers"]["probnn-float64"]
        faster = pn["seconds"]["median"] <= sk["seconds"]["median"]
        same_j = pn["objective"]["median"] <= sk["objective"]["median"] + J_TOLERANCE
        rows.append((f"Scenario 2 {name}: probnn (float64) at least as fast as scikit-learn to "
                     f"the same or lower objective", faster and same_j,
                     f"time {pn['seconds']['median']:.3f} s vs {sk['seconds']['median']:.3f} s "
                     f"(ratio {pn['seconds']['median'] / sk['seconds']['median']:.2f}); "
                     f"J {pn['objective']['median']:.2e} vs {sk['objective']['median']:.2e} "
                     f"(same = within {J_TOLERANCE:g} nats)"))
    return rows


def markdown(res: dict) -> list[str]:
    s = res["settings"]
    lines = ["## Scenario 2: small data, L-BFGS, time to convergence", "",
             f"scikit-learn digits and breast-cancer, stratified 75/25 split (seed 0), features "
             f"standardised on the training split. Every peer: hidden {tuple(s['hidden_layer_sizes'])}"
             f" relu, L-BFGS, alpha {s['alpha']:g}, tol {s['tol']:g}, max_iter {s['max_iter']}, "
             f"max_fun {s['max_fun']}, 2 threads; random_state = repeat index "
             f"({s['repeats']} repeats, peers interleaved). Seconds: best of {s['inner']} "
             "identical fits. J = mean training NLL + alpha/(2n)·ΣW², computed the same way for "
             "every peer; NLLs in nats per example (scikit-learn's: `log_loss` of "
             "`predict_proba`, which clips probabilities to [eps, 1-eps]; probnn's: `score_nll`, "
             "asserted equal to scipy.stats on `predict_dist`). Figures: median [min, max]. "
             "`conv`: fits that stopped by the tolerance, not the cap.", "",
             "| data | peer | seconds | probnn-f64 / peer | iterations | conv | final J | "
             "held-out NLL | accuracy |", "|---|---|---|---|---|---|---|---|---|"]
    for name, d in res["datasets"].items():
        ref = d["peers"]["probnn-float64"]["seconds"]["median"]
        for p, v in d["peers"].items():
            lines.append(
                f"| {name} ({d['shape'][0]}+{d['shape'][1]} x {d['shape'][2]}, "
                f"{d['n_classes']} classes) | {p} | {fmt(v['seconds'])} | "
                f"{ref / v['seconds']['median']:.2f} | {fmt(v['n_iter'], 0)} | "
                f"{v['converged']}/{len(v['runs'])} | "
                f"{v['objective']['median']:.2e} [{v['objective']['min']:.2e}, "
                f"{v['objective']['max']:.2e}] | {fmt(v['test_nll'])} | {fmt(v['accuracy'])} |")
    return lines


if __name__ == "__main__":
    child_main(run)
