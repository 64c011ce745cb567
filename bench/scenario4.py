"""Scenario 4: real data, held-out NLL and accuracy / RMSE.

* MNIST, 10 classes: 60000 training / 10000 test images (the official split), pixels in [0, 1];
  784-256-10 relu, Adam lr 1e-3, batch 128, alpha 1e-4, ``MNIST_EPOCHS`` epochs;
  probnn ``MLPClassifier`` vs scikit-learn ``MLPClassifier``.
* UCI Bike Sharing, hourly counts (``hour.csv``): target ``cnt``; ``instant``, ``dteday``,
  ``casual`` and ``registered`` dropped (the last two add up to the target); the other 12
  columns (season, yr, mnth, hr, holiday, weekday, workingday, weathersit, temp, atemp, hum,
  windspeed) used as numbers. probnn poisson and normal (learned scale) vs scikit-learn
  ``loss="poisson"`` and ``loss="squared_error"``.
* California housing (``housing.csv``): target ``median_house_value`` in dollars (censored at
  500001); the 207 missing ``total_bedrooms`` filled with the training median, the categorical
  ``ocean_proximity`` one-hot encoded (``probnn.tables.preprocessing.Preprocessor(impute=True)``). probnn
  normal, laplace and studentt (df 3), all with learned scale, vs scikit-learn
  ``loss="squared_error"``.
* On both regression sets also probnn's own fixed-scale ``loss="squared_error"``, scored like
  scikit-learn's (Normal with the training RMSE), which separates the engine from the likelihood.

Tabular data: one random 80 / 20 split (seed 0); features standardised with the training split's
mean and standard deviation (``Preprocessor``). Every tabular peer: hidden (64, 64) relu, Adam lr
1e-3, batch 200, alpha 1e-4, ``TAB_EPOCHS`` epochs (fixed budget: tol 0, no early stopping),
random_state = repeat index; probnn's defaults otherwise (float32; ``standardize_target="auto"``,
which fits the location-scale families on the standardised target and maps everything back).
scikit-learn's squared-error regressor runs twice: on ``y`` as given (its default) and on the
standardised ``y`` (``TransformedTargetRegressor`` with ``StandardScaler``, the same treatment
probnn's default gives the target). A squared-error model is scored as Normal(mean prediction,
sigma = training RMSE), the maximum-likelihood constant sigma; a Poisson model as
Poisson(predicted mean). All NLLs with scipy.stats, probnn's ``score_nll`` asserted equal to them.
Normal / Laplace / Student-t NLLs on the integer counts of Bike Sharing are densities, not
probabilities (comparable with the Poisson NLL since the counts are spaced 1 apart).
"""
from __future__ import annotations

import numpy as np

from bench._common import (check_probnn_nll, child_main, fmt, nll_normal, nll_poisson,
                           sklearn_log_loss, summary, timed, two_threads)

MNIST_EPOCHS = 5
TAB_EPOCHS = 100
HIDDEN = (64, 64)
RMSE_TOLERANCE = 0.02  # "equal RMSE": within 2 %


def _split(frame, target, drop, seed=0):
    from probnn.tables.preprocessing import Preprocessor

    y = frame[target].to_numpy()
    Xf = frame.drop(columns=[target, *drop])
    perm = np.random.default_rng(seed).permutation(len(frame))
    n_tr = int(round(0.8 * len(frame)))
    tr, te = perm[:n_tr], perm[n_tr:]
    pre = Preprocessor(impute=True).fit(Xf.iloc[tr])
    return (pre.transform(Xf.iloc[tr]), pre.transform(Xf.iloc[te]), y[tr], y[te],
            pre.feature_names_out_)


def _tab_kw(seed, epochs):
    return dict(hidden_layer_sizes=HIDDEN, activation="relu", solver="adam", alpha=1e-4,
                learning_rate_init=1e-3, batch_size=200, max_iter=epochs, tol=0.0,
                n_iter_no_change=10**9, shuffle=True, random_state=seed,
                # stated: MLPRegressor's default is "auto" (on for data this large)
                early_stopping=False)


def _regressor(peer, seed, epochs):
    kw = _tab_kw(seed, epochs)
    if peer.startswith("probnn"):
        from probnn.estimators import MLPRegressor
        if "squared_error" in peer:
            return MLPRegressor(loss="squared_error", **kw)
        return MLPRegressor(family=peer.split()[1], **kw)
    from sklearn.neural_network import MLPRegressor
    if peer == "sklearn poisson":
        return MLPRegressor(loss="poisson", **kw)
    est = MLPRegressor(loss="squared_error", **kw)
    if "standardised" in peer:
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.preprocessing import StandardScaler
        est = TransformedTargetRegressor(regressor=est, transformer=StandardScaler())
    return est


def _fit_score_regressor(peer, seed, epochs, Xtr, Xte, ytr, yte) -> dict:
    from probnn.exceptions import TrainingDivergedError

    est = _regressor(peer, seed, epochs)
    y_fit = ytr.astype(np.float64) if "poisson" not in peer else ytr
    try:
        with two_threads():
            sec, _ = timed(lambda: est.fit(Xtr, y_fit))
    except TrainingDivergedError as exc:
        return {"status": "diverged", "message": str(exc)}
    pred_tr, pred_te = est.predict(Xtr), est.predict(Xte)
    if not np.all(np.isfinite(pred_te)):
        return {"status": "diverged", "message": "non-finite predictions"}
    if "const sigma" in peer:  # either library's fixed-scale regressor
        sigma = float(np.sqrt(np.mean((ytr - pred_tr) ** 2)))
        nll = nll_normal(yte, pred_te, sigma)
    elif peer.startswith("probnn"):
        nll = check_probnn_nll(est, Xte, yte)
    elif peer == "sklearn poisson":
        nll = nll_poisson(yte, pred_te)
    else:
        raise ValueError(f"no NLL for peer {peer!r}")
    return {"status": "ok", "seconds": sec, "nll": nll,
            "rmse": float(np.sqrt(np.mean((yte - pred_te) ** 2))),
            "mae": float(np.mean(np.abs(yte - pred_te)))}


def _fit_score_mnist(peer, seed, epochs, Xtr, Xte, ytr, yte) -> dict:
    kw = dict(hidden_layer_sizes=(256,), activation="relu", solver="adam", alpha=1e-4,
              learning_rate_init=1e-3, batch_size=128, max_iter=epochs, tol=0.0,
              n_iter_no_change=10**9, shuffle=True, random_state=seed)
    if peer == "probnn":
        from probnn.estimators import MLPClassifier
        est = MLPClassifier(**kw, dtype="float32")
    else:
        from sklearn.neural_network import MLPClassifier
        est = MLPClassifier(**kw)  # keeps the float32 input in float32
    with two_threads():
        sec, _ = timed(lambda: est.fit(Xtr, ytr))
    nll = (check_probnn_nll(est, Xte, yte) if peer == "probnn"
           else sklearn_log_loss(yte, est.predict_proba(Xte), est.classes_))
    return {"status": "ok", "seconds": sec, "nll": nll,
            "accuracy": float(np.mean(est.predict(Xte) == yte))}


def _interleaved(name, peers, repeats, fit, log) -> dict:
    rec = {p: [] for p in peers}
    for r in range(repeats):
        order = peers[r % len(peers):] + peers[:r % len(peers)]
        for p in order:
            rec[p].append(fit(p, r))
            x = rec[p][-1]
            log(f"  scenario 4 {name} seed {r} {p}: " + (", ".join(
                f"{k}={v:.4g}" for k, v in x.items() if isinstance(v, float))
                if x["status"] == "ok" else x["status"] + ": " + x["message"][:200]))
    out = {}
    for p, runs in rec.items():
        ok = [x for x in runs if x["status"] == "ok"]
        keys = [k for k in ("nll", "accuracy", "rmse", "mae", "seconds") if ok and k in ok[0]]
        out[p] = {"runs": runs, "n_ok": len(ok), "n_diverged": len(runs) - len(ok),
                  **{k: summary([x[k] for x in ok]) for k in keys}}
    return out


def run(quick: bool, repeats: int, log) -> dict:
    from bench._data import load_csv, load_mnist_test, load_mnist_train

    mnist_epochs, tab_epochs = (1, 3) if quick else (MNIST_EPOCHS, TAB_EPOCHS)
    out = {"settings": {"mnist_epochs": mnist_epochs, "tab_epochs": tab_epochs,
                        "hidden_layer_sizes": list(HIDDEN), "repeats": repeats,
                        "rmse_tolerance": RMSE_TOLERANCE}, "datasets": {}}
    train, test = load_mnist_train(), load_mnist_test()
    if train is None or test is None:
        log("scenario 4 MNIST skipped: ../shared/data/mnist not found")
    else:
        (Xtr, ytr), (Xte, yte) = train, test
        out["datasets"]["mnist"] = {
            "kind": "classification", "shape": [len(ytr), len(yte), Xtr.shape[1]],
            "peers": _interleaved("mnist", ["sklearn", "probnn"], repeats,
                                  lambda p, r: _fit_score_mnist(p, r, mnist_epochs, Xtr, Xte,
                                                                ytr, yte), log)}
    for name, rel, target, drop, peers in (
            ("bike-sharing", "bike-sharing/hour.csv", "cnt",
             ["instant", "dteday", "casual", "registered"],
             ["sklearn poisson", "sklearn squared_error + const sigma",
              "sklearn squared_error (y standardised) + const sigma", "probnn poisson",
              "probnn normal", "probnn squared_error + const sigma"]),
            ("california-housing", "california-housing/housing.csv", "median_house_value", [],
             ["sklearn squared_error + const sigma",
              "sklearn squared_error (y standardised) + const sigma", "probnn normal",
              "probnn laplace", "probnn studentt", "probnn squared_error + const sigma"])):
        frame = load_csv(rel)
        if frame is None:
            log(f"scenario 4 {name} skipped: ../shared/data/{rel} not found")
            continue
        Xtr, Xte, ytr, yte, feats = _split(frame, target, drop)
        out["datasets"][name] = {
            "kind": "regression", "shape": [len(ytr), len(yte), Xtr.shape[1]],
            "features": feats, "target": target,
            "peers": _interleaved(name, peers, repeats,
                                  lambda p, r: _fit_score_regressor(p, r, tab_epochs, Xtr, Xte,
                                                                    ytr, yte), log)}
    return out


def _best(peers: dict, prefix: str):
    ok = {p: v for p, v in peers.items() if p.startswith(prefix) and v.get("nll")}
    return min(ok.items(), key=lambda kv: kv[1]["nll"]["median"]) if ok else (None, None)


def targets(res: dict) -> list[tuple[str, bool, str]]:
    rows = []
    for name, d in res["datasets"].items():
        if d["kind"] != "regression":
            continue
        (pp, pv), (sp, sv) = _best(d["peers"], "probnn"), _best(d["peers"], "sklearn")
        if pp is None or sp is None:
            rows.append((f"Scenario 4 {name}: probnn's held-out NLL better than scikit-learn's",
                         False, "a side has no model that trained"))
            continue
        nll_ok = pv["nll"]["median"] < sv["nll"]["median"]
        rmse_ok = pv["rmse"]["median"] <= (1 + RMSE_TOLERANCE) * sv["rmse"]["median"]
        rows.append((f"Scenario 4 {name}: probnn's held-out NLL better than scikit-learn's at "
                     f"equal RMSE (within {RMSE_TOLERANCE:.0%}) or better (best of each by NLL)",
                     nll_ok and rmse_ok,
                     f"{pp} NLL {pv['nll']['median']:.4f}, RMSE {pv['rmse']['median']:.4g} vs "
                     f"{sp} NLL {sv['nll']['median']:.4f}, RMSE {sv['rmse']['median']:.4g}"))
    return rows


def markdown(res: dict) -> list[str]:
    s = res["settings"]
    lines = ["## Scenario 4: real data, held-out NLL and accuracy / RMSE", "",
             f"MNIST: official 60000/10000 split, 784-256-10 relu, Adam lr 1e-3, batch 128, "
             f"alpha 1e-4, {s['mnist_epochs']} epochs. Tabular: one random 80/20 split (seed 0), "
             f"features standardised on the training split (California: missing total_bedrooms "
             f"filled with the training median, ocean_proximity one-hot); hidden "
             f"{tuple(s['hidden_layer_sizes'])} relu, Adam lr 1e-3, batch 200, alpha 1e-4, "
             f"{s['tab_epochs']} epochs (fixed budget). {s['repeats']} repeats (random_state = "
             "repeat index, peers interleaved), 2 threads. Squared-error models are scored as "
             "Normal(mean, training RMSE); Poisson models as Poisson(mean); continuous NLLs on "
             "the integer bike counts are densities. probnn fits location-scale families on the "
             "standardised target by default (`standardize_target='auto'`); scikit-learn's "
             "squared-error regressor is shown on y as given and on standardised y "
             "(`TransformedTargetRegressor`). Figures: median [min, max]; `ok`: repeats that "
             "trained (others diverged).", "",
             "| data | peer | held-out NLL (nats) | accuracy / RMSE | ok | fit s |",
             "|---|---|---|---|---|---|"]
    for name, d in res["datasets"].items():
        label = f"{name} ({d['shape'][0]}+{d['shape'][1]} x {d['shape'][2]})"
        for p, v in d["peers"].items():
            if v["n_ok"] == 0:
                lines.append(f"| {label} | {p} | diverged | diverged | 0/{len(v['runs'])} | |")
                continue
            acc = (f"acc {fmt(v['accuracy'], 4)}" if "accuracy" in v
                   else f"RMSE {fmt(v['rmse'], 4 if v['rmse']['median'] < 10 else 0)}")
            lines.append(f"| {label} | {p} | {fmt(v['nll'], 4)} | {acc} | "
                         f"{v['n_ok']}/{len(v['runs'])} | {fmt(v['seconds'], 1)} |")
    return lines


if __name__ == "__main__":
    child_main(run)
