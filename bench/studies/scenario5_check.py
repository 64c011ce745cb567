"""The default rule checked on data it was not chosen on (bench/studies/scenario5_check.md).

``python -m bench.studies.scenario5_check [REPEATS] [--peers P,Q]``: on Bike Sharing (hourly, 13903 training rows;
daily, 585 rows) and California housing (16512 rows), with scenario 4's split (one random
80 / 20 split, seed 0, features standardised on the training part; California's missing values
imputed, its category one-hot), test NLL (scipy.stats, probnn's asserted equal), RMSE and fit
seconds of

* ``defaults``: ``MLPRegressor(random_state=r)``, the package's defaults ("normal" family, the
  "auto" size rule for the batch, step budget and early stopping, alpha, hidden layers);
* ``defaults without averaging``: ``MLPRegressor(ema_decay=None, learning_rate_init=0.003)``,
  the defaults before the averaged weights (and their higher rate) were added;
* ``previous defaults``: the defaults before the rule (hidden (100,), batch min(200, n),
  max_iter 200 epochs, tol 1e-4 over 10 epochs on the training loss, alpha 1e-4, lr 1e-3, a
  random output layer);
* ``scenario 4's configuration`` (hourly and California only): hidden (64, 64), batch 200,
  alpha 1e-4, lr 1e-3, 100 epochs, no early stopping, as scenario 4 fits "probnn normal".

None of these sets was used to choose the rule (that was done on validation rows of concrete,
energy and yacht: scenario5_search.py). 2 threads; median over REPEATS (default 3) seeds.

``python -m bench.studies.scenario5_check --s34`` / ``--s34-average``: see :func:`start_ab`.
"""
from __future__ import annotations

import sys
import warnings

import numpy as np
from scipy import stats

from bench._common import check_probnn_nll, timed, two_threads

PREVIOUS = dict(hidden_layer_sizes=(100,), batch_size=200, max_iter=200, early_stopping=False,
                n_iter_no_change=10, alpha=1e-4, learning_rate_init=1e-3, tol=1e-4)
SCENARIO4 = dict(hidden_layer_sizes=(64, 64), batch_size=200, max_iter=100, early_stopping=False,
                 n_iter_no_change=10**9, alpha=1e-4, learning_rate_init=1e-3, tol=0.0)
WITHOUT_AVERAGING = dict(ema_decay=None, learning_rate_init=0.003)
SETS = (("bike-sharing hourly", "bike-sharing/hour.csv", "cnt",
         ["instant", "dteday", "casual", "registered"], True),
        ("bike-sharing daily", "bike-sharing/day.csv", "cnt",
         ["instant", "dteday", "casual", "registered"], False),
        ("california-housing", "california-housing/housing.csv", "median_house_value", [], True))


def _fit(peer: str, seed: int, Xtr, ytr, Xte, yte) -> dict:
    from probnn.estimators import MLPRegressor

    if peer == "defaults":
        est = MLPRegressor(random_state=seed)
    elif peer == "defaults without averaging":
        est = MLPRegressor(random_state=seed, **WITHOUT_AVERAGING)
    else:
        est = MLPRegressor(family="normal", random_state=seed,
                           **(PREVIOUS if peer == "previous defaults" else SCENARIO4))
    # the previous defaults and scenario 4 started from a random output layer
    est._start_at_constant = peer.startswith("defaults")
    with two_threads():
        sec, _ = timed(lambda: est.fit(Xtr, ytr))
    nll = check_probnn_nll(est, Xte, yte)
    rmse = float(np.sqrt(np.mean((yte - est.predict(Xte)) ** 2)))
    return {"nll": nll, "rmse": rmse, "seconds": sec, "epochs": int(est.n_iter_)}


def start_ab(log=print, change: str = "start") -> None:
    """``--s34``: scenarios 3 and 4's probnn regressors (their own fixed configurations, early
    stopping off as they state), seed 0, with the constant start (the package's) and with a
    random output layer (before): the one change of this rule that reaches those scenarios.
    ``--s34-average`` (``change="average"``): with the weights' moving average ("auto", the
    package's) and without it (``ema_decay=None``), the other change that reaches them."""
    from bench import scenario3, scenario4
    from bench._data import load_csv

    from probnn import defaults

    if change == "average":
        log("| scenario | data | peer | NLL, averaged (default) | NLL, ema_decay=None |")
    else:
        log("| scenario | data | peer | NLL, constant start | NLL, random output layer |")
    log("|---|---|---|---|---|")
    rows = []
    for task in ("hetero-normal", "poisson"):
        Xtr, Xte, ytr, yte, _ = scenario3._data(task, scenario3.N_TRAIN, scenario3.N_TEST, 1000)
        for peer in scenario3._peers(task):
            if peer.startswith("probnn"):
                rows.append(("3", task, peer, lambda p=peer, a=(Xtr, Xte, ytr, yte), t=task:
                             {"nll": scenario3._fit_score(t, p, 0, scenario3.EPOCHS, *a)[1]}))
    for name, rel, target, drop, peers in scenario4_sets():
        frame = load_csv(rel)
        if frame is None:
            continue
        Xtr, Xte, ytr, yte, _ = scenario4._split(frame, target, drop)
        for peer in peers:
            rows.append(("4", name, peer, lambda p=peer, a=(Xtr, Xte, ytr, yte):
                         scenario4._fit_score_regressor(p, 0, scenario4.TAB_EPOCHS, *a)))
    from probnn.estimators import MLPRegressor

    decay = defaults.AUTO_EMA_DECAY
    for scen, data, peer, fit in rows:
        out = []
        for on in (True, False):
            if change == "average":
                defaults.AUTO_EMA_DECAY = decay if on else None
            else:
                MLPRegressor._start_at_constant = on
            try:
                out.append(fit()["nll"])
            finally:
                MLPRegressor._start_at_constant = True
                defaults.AUTO_EMA_DECAY = decay
        log(f"| {scen} | {data} | {peer} | {out[0]:.4f} | {out[1]:.4f} |")


def scenario4_sets():
    return (("bike-sharing", "bike-sharing/hour.csv", "cnt",
             ["instant", "dteday", "casual", "registered"],
             ["probnn poisson", "probnn normal", "probnn squared_error + const sigma"]),
            ("california-housing", "california-housing/housing.csv", "median_house_value", [],
             ["probnn normal", "probnn laplace", "probnn studentt",
              "probnn squared_error + const sigma"]))


def main(argv=None) -> None:
    from bench._data import load_csv
    from bench.scenario4 import _split

    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("--s34", "--s34-average"):
        warnings.simplefilter("ignore")
        start_ab(lambda m: print(m, flush=True),
                 "average" if argv[0] == "--s34-average" else "start")
        return
    chosen = None
    if "--peers" in argv:  # --peers "defaults,previous defaults": only these
        i = argv.index("--peers")
        chosen, argv = argv[i + 1].split(","), argv[:i] + argv[i + 2:]
    repeats = int(argv[0]) if argv else 3
    warnings.simplefilter("ignore")
    print("| data | peer | test NLL | RMSE | fit s | epochs |")
    print("|---|---|---|---|---|---|")
    for name, rel, target, drop, with_s4 in SETS:
        frame = load_csv(rel)
        if frame is None:
            print(f"| {name} | skipped: ../shared/data/{rel} not found | | | | |")
            continue
        Xtr, Xte, ytr, yte, _ = _split(frame, target, drop)
        ytr, yte = ytr.astype(np.float64), yte.astype(np.float64)
        const = float(-np.mean(stats.norm.logpdf(yte, ytr.mean(), ytr.std())))
        print(f"| {name} ({len(ytr)}+{len(yte)}) | constant Normal | {const:.4f} | "
              f"{np.sqrt(np.mean((yte - ytr.mean()) ** 2)):.1f} | | |", flush=True)
        peers = ["defaults", "defaults without averaging", "previous defaults"] + (
            ["scenario 4's configuration"] if with_s4 else [])
        peers = [p for p in peers if chosen is None or p in chosen]
        for peer in peers:
            runs = [_fit(peer, r, Xtr, ytr, Xte, yte) for r in range(repeats)]
            med = {k: float(np.median([x[k] for x in runs])) for k in runs[0]}
            lo = min(x["nll"] for x in runs)
            hi = max(x["nll"] for x in runs)
            print(f"| {name} | {peer} | {med['nll']:.4f} [{lo:.4f}, {hi:.4f}] | "
                  f"{med['rmse']:.1f} | {med['seconds']:.1f} | {med['epochs']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
